#!/usr/bin/env bash
# Renders a segkit report in headless Chromium and checks that every chart is
# laid out and its marks are drawn (non-empty bounding boxes), not just present
# in the markup.   check_report.sh SEGKIT DATA_DIR
set -euo pipefail
segkit=$1 data=$2
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "chromium is not installed (apt-get install chromium): skipped"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$segkit" segment "$data/mall_customers/Mall_Customers.csv" --features 'Age,Annual Income (k$),Spending Score (1-100)' \
  --k auto --report "$work/report.html" > /dev/null 2>&1

# The probe: after layout, one line per chart with its size, its marks and how many of them have a box.
# It is put on one line by sed below, so it holds no // comments and no backslashes.
probe='<script>
window.addEventListener("load", () => {
  const lines = [];
  for (const svg of document.querySelectorAll("svg.chart")) {
    const marks = [...svg.querySelectorAll("circle, path, rect.plot, rect.cell")];
    const drawn = marks.filter(m => { const b = m.getBBox(); return b.width > 0 || b.height > 0; }).length;
    const r = svg.getBoundingClientRect();
    lines.push(svg.getAttribute("class") + " size=" + Math.round(r.width) + "x" + Math.round(r.height) +
               " marks=" + marks.length + " drawn=" + drawn);
  }
  const pre = document.createElement("pre");
  pre.id = "segkit-probe";
  pre.textContent = lines.join(String.fromCharCode(10));
  document.body.appendChild(pre);
});
</script>'
# Prints the probe's lines for the report $1 (rendered as $1.probe.html).
probe_of() {
  sed "s#</body>#${probe//$'\n'/ }</body>#" "$1" > "$1.probe.html"
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$work/profile" \
    --virtual-time-budget=10000 --dump-dom "file://$1.probe.html" > "$work/dom.html" 2> "$work/chromium.log" || true
  sed -n '/<pre id="segkit-probe">/,/<\/pre>/p' "$work/dom.html" | sed 's/<[^>]*>//g'
}
result=$(probe_of "$work/report.html")
if [ -z "$result" ]; then
  cat "$work/chromium.log" >&2
  echo "FAIL: the report did not render (no probe output)" >&2
  exit 1
fi
echo "$result"
status=0
check() {  # check CLASS MIN_MARKS: the chart is laid out and all of at least MIN_MARKS marks are drawn
  local line
  line=$(echo "$result" | grep -E "^chart $1 " | head -n 1)
  [ -n "$line" ] || { echo "FAIL: no chart $1" >&2; status=1; return; }
  local size marks drawn
  size=$(echo "$line" | sed -E 's/.* size=([0-9]+)x([0-9]+).*/\1 \2/')
  marks=$(echo "$line" | sed -E 's/.* marks=([0-9]+).*/\1/')
  drawn=$(echo "$line" | sed -E 's/.* drawn=([0-9]+).*/\1/')
  set -- "$1" "$2" $size
  if [ "$3" -lt 100 ] || [ "$4" -lt 100 ] || [ "$marks" -lt "$2" ] || [ "$drawn" -ne "$marks" ]; then
    echo "FAIL: chart $1: $line (want at least $2 marks, all drawn, 100x100 px or more)" >&2
    status=1
  fi
}
check elbow 9              # one point per K = 2..10
check score-silhouette 9
check score-davies-bouldin 9
check score-calinski-harabasz 9
check pca-scatter 200      # one point per customer
check silhouette-plot 2    # one bar path per segment
check pair 3               # each pair panel: its frame and a path of markers per segment
check pair-histogram 3     # each segment's histogram of the feature
check heat-map 6           # a cell per segment and feature

# A customer base too large to draw point by point: the charts draw a stratified sample of about
# 3,000 customers, say so, and the page stays small; the profiles still count every customer.
awk 'BEGIN { srand(7); print "customer_id,spend,visits,basket";
             for (i = 1; i <= 200000; i++) { g = i % 4; printf "%06d,%.2f,%d,%.2f\n", i, 100 * g + 10 * rand(), 3 * g + int(3 * rand()), 20 + 5 * g + rand() } }' \
  > "$work/big.csv"
"$segkit" segment "$work/big.csv" --k 4 --report "$work/big.html" > "$work/big.txt" 2>&1
grep -q "random sample of 30[0-9][0-9] of the 200000 customers" "$work/big.html" ||
  { echo "FAIL: the 200,000-customer report does not say it draws a sample" >&2; status=1; }
size=$(wc -c < "$work/big.html")
[ "$size" -lt 3000000 ] || { echo "FAIL: the 200,000-customer report is $size bytes" >&2; status=1; }
points=$(grep -o 'class="point segment-' "$work/big.html" | wc -l)
# The PCA scatter draws each sampled customer, never 200,000.
{ [ "$points" -ge 3000 ] && [ "$points" -lt 3100 ]; } || { echo "FAIL: $points points drawn" >&2; status=1; }
grep -q "50000" "$work/big.txt" || { echo "FAIL: the profile does not count every customer" >&2; status=1; }
result=$(probe_of "$work/big.html")
echo "$result" | grep -E "pca-scatter|silhouette-plot"
check pca-scatter 3000     # the sample, drawn
check silhouette-plot 4
check pair 5
exit $status
