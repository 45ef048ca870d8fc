#!/usr/bin/env bash
# Seconds per Lloyd iteration of k-means over 1..MAX_RANKS MPI ranks on generated rows
# (mpi_scaling.cpp), each rank on THREADS threads, medians of REPEATS runs. Build first:
#   cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build --target mpi_scaling
#   benchmarks/mpi/run.sh [ROWS] [MAX_RANKS] [THREADS]      (defaults: 10000000 4 1)
# More ranks than cores share them (--oversubscribe): on a 2-core machine, ranks 3 and 4
# measure the cost of sharing, not of communicating.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
program=${SEGKIT_BUILD_DIR:-$here/build}/benchmarks/mpi_scaling
rows=${1:-10000000} max_ranks=${2:-4} threads=${3:-1}
[ -x "$program" ] || { echo "build mpi_scaling first (cmake --build build --target mpi_scaling)" >&2; exit 1; }
export OMPI_MCA_mpi_yield_when_idle=1
[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
# OpenMPI binds each rank to one core (with 2 ranks or fewer): a rank's threads would share it.
bind=()
[ "$threads" -gt 1 ] && bind=(--bind-to none)
for ranks in $(seq 1 "$max_ranks"); do
  mpirun --oversubscribe "${bind[@]}" -np "$ranks" "$program" --rows "$rows" --threads "$threads" --iterations 10 \
    --repeats 3
done
