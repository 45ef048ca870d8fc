#!/usr/bin/env bash
# segkit's Gaussian mixture, Ward and DBSCAN against scikit-learn's, side by side in one run:
#   bash benchmarks/algorithms/run.sh [THREADS]        (default 2; from the repository root)
# Installs Debian's scikit-learn, builds segkit's program in build-bench/, prints the table.
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=${1:-2}
if ! /usr/bin/python3 -c 'import sklearn' 2> /dev/null; then
  apt-get update && apt-get install -y --no-install-recommends python3-sklearn
fi
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DSEGKIT_BUILD_TESTS=OFF -DSEGKIT_BUILD_EXAMPLES=OFF \
  -DSEGKIT_BUILD_BENCHMARKS=ON > /dev/null
cmake --build build-bench -j2 --target segkit_algorithms > /dev/null
/usr/bin/python3 benchmarks/algorithms/run.py build-bench/benchmarks/segkit_algorithms "$threads"
