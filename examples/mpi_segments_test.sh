#!/usr/bin/env bash
# mpi_segments on 1 rank and on 3: the same labels file, byte for byte (the one-process answer).
#   mpi_segments_test.sh MPIEXEC MPI_SEGMENTS
set -euo pipefail
mpiexec=$1 program=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/segkit-mpi-example.XXXXXX")
trap 'rm -rf "$work"' EXIT
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_mpi_yield_when_idle=1
[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
"$mpiexec" -np 1 "$program" "" "$work/one.csv"
"$mpiexec" -np 3 "$program" "" "$work/three.csv"
[ "$(wc -l <"$work/one.csv")" -gt 8000 ] || { echo "FAIL: one.csv holds $(wc -l <"$work/one.csv") lines"; exit 1; }
cmp "$work/one.csv" "$work/three.csv" || { echo "FAIL: 3 ranks wrote other labels than 1"; exit 1; }
echo "1 and 3 ranks: the same labels file"
