#!/usr/bin/env bash
# Reading benchmark: segkit's CSV reader against pandas.read_csv, and the whole `segkit segment`
# run, on generated customer files (1,000,000 rows x 8 and x 16 numeric columns plus an id).
#
#   benchmarks/reading/run.sh [SEGKIT_TOOL] [WORK_DIR]
#
# SEGKIT_TOOL defaults to build/tools/segkit; WORK_DIR (default /tmp/segkit_reading) receives the
# CSV files and the read_bench binary. Prints medians of 3 runs: read time (1 and 2 threads),
# pandas' read time, the whole segment run's time and its peak resident memory (/usr/bin/time).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tool=${1:-$root/build/tools/segkit}
work=${2:-/tmp/segkit_reading}
mkdir -p "$work"

g++ -std=c++20 -O3 -DNDEBUG -I"$root/include" -I/usr/include/xtensor-blas "$here/read_bench.cpp" \
    -o "$work/read_bench" -lcsv -pthread

median() { sort -g | sed -n 2p; }

for d in 8 16; do
  csv="$work/customers_1m_x$d.csv"
  [ -f "$csv" ] || /usr/bin/python3 "$here/make_csv.py" "$csv" 1000000 "$d"
  echo "== $(basename "$csv"): $(du -m "$csv" | cut -f1) MB, matrix 1000000 x $d doubles = $((d * 8)) MB"
  for threads in 1 2; do
    echo "segkit read_csv, $threads thread(s): $("$work/read_bench" "$csv" 3 "$threads" | tail -1)"
  done
  /usr/bin/python3 - "$csv" <<'PY'
import statistics, sys, time
import pandas as pd
times = []
for _ in range(3):
    start = time.perf_counter(); pd.read_csv(sys.argv[1]); times.append(time.perf_counter() - start)
print(f"pandas {pd.__version__} read_csv: median {statistics.median(times):.3f} s of 3 ({' '.join(f'{t:.3f}' for t in times)})")
PY
  runs=()
  for _ in 1 2 3; do
    /usr/bin/time -o "$work/time.txt" -f '%e %M' "$tool" segment "$csv" --k 8 --n-init 1 >/dev/null 2>&1
    runs+=("$(tail -1 "$work/time.txt")")
  done
  printf '%s\n' "${runs[@]}" | awk '{print $1}' | median | xargs printf 'segkit segment --k 8 --n-init 1: median %s s, '
  printf '%s\n' "${runs[@]}" | awk '{print $2}' | median | xargs -I{} echo "peak RSS {} KB (runs: ${runs[*]})"
done
