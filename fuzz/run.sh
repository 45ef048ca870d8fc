#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang from Debian: apt-get install clang libclang-rt-dev or clang-14)
# with AddressSanitizer and UBSan, and runs each for SECONDS (default 600) from the committed corpus,
# with the dictionary fuzz/numbers.dict. CI (.ci/run) runs it for 30 seconds.
#   fuzz/run.sh            # 10 minutes each
#   fuzz/run.sh 30         # a short run
# New inputs go to a scratch directory, never into fuzz/corpus; a finding (crash, sanitizer report,
# an exception other than segkit::error) stops the run, is kept in that directory, and the script fails.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
work=$(mktemp -d "${TMPDIR:-/tmp}/segkit-fuzz.XXXXXX")
echo "scratch directory: $work"
flags=(-std=c++20 -O1 -g1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Iinclude)
# Both built at once (a minute each on one core), then run one after the other.
for target in csv model; do
  clang++ "${flags[@]}" "fuzz/fuzz_$target.cpp" -o "$work/fuzz_$target" -lcsv -lopenblas -llapack -pthread &
done
for target in csv model; do wait -n || { echo "a fuzz harness did not build" >&2; exit 1; }; done
status=0
for target in csv model; do
  mkdir -p "$work/$target"
  if ! "$work/fuzz_$target" "$work/$target" "fuzz/corpus/$target" -max_total_time="$seconds" -max_len=65536 \
      -dict=fuzz/numbers.dict -artifact_prefix="$work/$target-" -print_final_stats=1 2> "$work/$target.log"; then
    echo "fuzz_$target: FINDING (see $work/$target.log and $work/$target-*)"
    tail -40 "$work/$target.log"
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$work/$target.log" | sed "s/^/fuzz_$target: /"
  fi
done
exit $status
