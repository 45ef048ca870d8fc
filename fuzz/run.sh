#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang from Debian: apt-get install clang libclang-rt-dev or clang-14)
# with AddressSanitizer and UBSan, and runs each for SECONDS (default 600) from the committed corpus.
#   fuzz/run.sh            # 10 minutes each
#   fuzz/run.sh 30         # a short run
# New inputs go to a scratch directory, never into fuzz/corpus; a finding (crash, sanitizer report,
# an exception other than segkit::error) stops the run, is kept in that directory, and the script fails.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
work=$(mktemp -d "${TMPDIR:-/tmp}/segkit-fuzz.XXXXXX")
echo "scratch directory: $work"
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Iinclude)
status=0
for target in csv model; do
  clang++ "${flags[@]}" "fuzz/fuzz_$target.cpp" -o "$work/fuzz_$target" -lcsv -lopenblas -llapack -pthread
  mkdir -p "$work/$target"
  if ! "$work/fuzz_$target" "$work/$target" "fuzz/corpus/$target" -max_total_time="$seconds" -max_len=65536 \
      -artifact_prefix="$work/$target-" -print_final_stats=1 2> "$work/$target.log"; then
    echo "fuzz_$target: FINDING (see $work/$target.log and $work/$target-*)"
    tail -40 "$work/$target.log"
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$work/$target.log" | sed "s/^/fuzz_$target: /"
  fi
done
exit $status
