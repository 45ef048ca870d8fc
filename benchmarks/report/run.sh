#!/usr/bin/env bash
# The report of a large customer base: size of the HTML and the time headless Chromium takes
# to load and lay it out, for `segkit segment --k auto --report` on a generated CSV.
#
#   benchmarks/report/run.sh SEGKIT [ROWS] [FEATURES]      (default 1,000,000 x 16)
#
# Needs chromium (apt-get install chromium). Prints the rows, the report's bytes, the marks drawn
# and the median of three renders (seconds from start to the layout probe's answer).
set -euo pipefail
segkit=$(realpath "$1") rows=${2:-1000000} features=${3:-16}
browser=$(command -v chromium || command -v chromium-browser) || { echo "chromium is not installed" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Eight blobs in `features` dimensions, ids first.
awk -v n="$rows" -v d="$features" 'BEGIN { srand(11); printf "customer_id";
  for (j = 1; j <= d; j++) printf ",f%d", j; printf "\n";
  for (i = 1; i <= n; i++) { g = i % 8; printf "%07d", i;
    for (j = 1; j <= d; j++) printf ",%.3f", 10 * ((g * 7 + j * 3) % 8) + 3 * (rand() + rand() + rand() - 1.5);
    printf "\n" } }' > "$work/customers.csv"
start=$(date +%s.%N)
"$segkit" segment "$work/customers.csv" --k auto --report "$work/report.html" --quiet > "$work/stdout.txt"
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }
echo "segkit segment --k auto --report: $(since "$start") s"
bytes=$(wc -c < "$work/report.html")
echo "rows $rows x $features: report $bytes bytes ($(awk -v b="$bytes" 'BEGIN { printf "%.2f", b / 1048576 }') MiB)"
echo "marks: $(grep -o 'class="point segment-' "$work/report.html" | wc -l) points, $(grep -o '<svg class="chart' "$work/report.html" | wc -l) charts"
probe='<script>window.addEventListener("load", () => { const p = document.createElement("pre"); p.id = "probe";
p.textContent = document.querySelectorAll("svg.chart").length + " charts laid out"; document.body.appendChild(p); });</script>'
sed "s#</body>#${probe//$'\n'/ }</body>#" "$work/report.html" > "$work/probe.html"
times=()
for run in 1 2 3; do
  t0=$(date +%s.%N)
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --user-data-dir="$work/profile" --dump-dom "file://$work/probe.html" > "$work/dom.html" 2> /dev/null || true
  t=$(since "$t0")
  grep -q 'charts laid out' "$work/dom.html" || { echo "render $run: no answer from the page" >&2; exit 1; }
  times+=("$t")
done
echo "render (headless Chromium, load and layout), 3 runs: ${times[*]} s; median $(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p) s"
