#!/bin/sh
# The side-by-side benchmark in one command: installs the peers (Debian 12
# packages), builds the programs and runs benchmarks/compare/run.py, to which
# every argument is passed (see README.md next to this file):
#
#   benchmarks/compare/run.sh [--no-install] [--quick] [--sizes 1,3] [--repetitions 5] [--json out.json]
#
# Environment: BUILD_DIR (default build-bench), BUILD_JOBS (default 1: the
# programs are small, and a parallel build is no use on a machine kept quiet
# for timing).
set -eu
cd "$(dirname "$0")/../.."

install=yes
for arg in "$@"; do
  [ "$arg" = --no-install ] && install=no
done
if [ "$install" = yes ]; then
  sudo=
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends \
    python3-sklearn python3-numpy python3-pandas python3-faiss libarmadillo-dev libopencv-dev
fi

# Set in this sandbox to work around old OpenBLAS bugs; they select slower kernels
# for the peers that use OpenBLAS (scikit-learn, FAISS).
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE

build=${BUILD_DIR:-build-bench}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DSEGKIT_BUILD_TESTS=OFF -DSEGKIT_BUILD_EXAMPLES=OFF \
      -DSEGKIT_BUILD_TOOLS=OFF
targets="segkit_lloyd stream_triad fma_peak"
for peer in armadillo_kmeans opencv_kmeans; do
  # Defined only when CMake found the peer's package (benchmarks/CMakeLists.txt).
  if [ -d "$build/benchmarks/CMakeFiles/$peer.dir" ]; then
    targets="$targets $peer"
  else
    echo "run.sh: $peer is not configured (package not found); that peer is left out" >&2
  fi
done
# shellcheck disable=SC2086
cmake --build "$build" -j "${BUILD_JOBS:-1}" --target $targets

exec /usr/bin/python3 benchmarks/compare/run.py --build-dir "$build" "$@"
