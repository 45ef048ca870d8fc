#!/usr/bin/env bash
# End-to-end checks of the segkit tool on the bundled data: test_cli.sh SEGKIT DATA_DIR SCENARIO
# Each scenario runs in a scratch folder of its own and fails with a message on the first wrong outcome.
# Scenario cpp_model takes a 4th argument: the program tests/cli/pipeline_model.cpp.
set -euo pipefail
segkit=$1 data=$2 scenario=$3 helper=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/in" "$work/out"
cd "$work/out"  # outputs land here; inputs made by a scenario go to ../in

fail() { echo "FAIL ($scenario): $*" >&2; exit 1; }
expect_in() { grep -qF -- "$1" "$2" || { cat "$2" >&2; fail "expected \"$1\" in $2"; }; }
expect_not_in() { ! grep -qF -- "$1" "$2" || { cat "$2" >&2; fail "did not expect \"$1\" in $2"; }; }
lines() { wc -l < "$1" | tr -d ' '; }
# A bad input: exit status non-zero, one line on stderr naming the problem, no output file left.
expect_error() {
  local pattern=$1; shift
  if "$segkit" "$@" --out out.csv > stdout.txt 2> stderr.txt; then fail "succeeded on bad input: $*"; fi
  expect_in "$pattern" stderr.txt
  [ "$(grep -c 'error:' stderr.txt)" = 1 ] || fail "more than one error line"
  [ -z "$(ls -A | grep -v -e stdout.txt -e stderr.txt)" ] || fail "output files left behind: $(ls)"
  rm -f stdout.txt stderr.txt
}

case $scenario in
  mall)  # K = 5 chosen, 200 labels, a report, and a model that reproduces the labels
    "$segkit" segment "$data/mall_customers/Mall_Customers.csv" --features 'Annual Income (k$),Spending Score (1-100)' \
      --k auto --out labels.csv --report report.html --model model.json > stdout.txt 2> stderr.txt
    expect_in "K = 5 (3 of 4 criteria agree)" stdout.txt
    # Progress on stderr (not a terminal here): one plain line per K of the sweep, and per start of a fit.
    expect_in "segkit: K 9/9 (" stderr.txt
    # The sweep's fit of the chosen K is kept: the same segments as fitting K = 5 alone.
    "$segkit" segment "$data/mall_customers/Mall_Customers.csv" --features 'Annual Income (k$),Spending Score (1-100)' \
      --k 5 --out fixed.csv > /dev/null 2> fixed_err.txt
    expect_in "segkit: start 10/10 (" fixed_err.txt
    cmp labels.csv fixed.csv || fail "--k auto and --k 5 give different segments"
    rm fixed.csv fixed_err.txt
    "$segkit" segment "$data/mall_customers/Mall_Customers.csv" --features 'Annual Income (k$),Spending Score (1-100)' \
      --k auto --quiet > quiet.txt 2> quiet_err.txt
    [ ! -s quiet_err.txt ] || fail "--quiet still printed on stderr: $(cat quiet_err.txt)"
    cmp <(grep -v '^segkit:' stdout.txt) quiet.txt || fail "--quiet changed the results printed"
    rm quiet.txt quiet_err.txt
    expect_in "high Annual Income · low Spending Score" stdout.txt
    [ "$(lines labels.csv)" = 201 ] || fail "labels.csv has $(lines labels.csv) lines"
    expect_in "CustomerID,segment" labels.csv
    expect_in "0001," labels.csv
    for chart in elbow score-silhouette pca-scatter silhouette-plot; do expect_in "class=\"chart $chart\"" report.html; done
    "$segkit" predict --model model.json "$data/mall_customers/Mall_Customers.csv" --out predicted.csv > /dev/null
    cmp labels.csv predicted.csv || fail "predict does not reproduce the labels"
    ;;
  cpp_model)  # a Pipeline fitted and saved in C++ is used by segkit predict, with the Pipeline's labels
    [ -x "$helper" ] || fail "no pipeline_model program given"
    "$helper" "$data/mall_customers/Mall_Customers.csv" ../in/model.json ../in/labels.csv
    expect_in '"name": "robust"' ../in/model.json
    "$segkit" predict --model ../in/model.json "$data/mall_customers/Mall_Customers.csv" --out predicted.csv \
      > stdout.txt
    [ "$(lines predicted.csv)" = 201 ] || fail "predicted.csv has $(lines predicted.csv) lines"
    cmp <(cut -d, -f2 predicted.csv) ../in/labels.csv || fail "predict does not give the Pipeline's labels"
    ;;
  marketing)  # every customer gets a segment; missing incomes and outliers are reported
    "$segkit" segment "$data/customer_personality/marketing_campaign.csv" --k 4 --out labels.csv > stdout.txt
    [ "$(lines labels.csv)" = 2241 ] || fail "labels.csv has $(lines labels.csv) lines"
    expect_in "Income: missing values imputed with the median 51381.5 (24 customers)" stdout.txt
    # Outliers are kept and reported unless clipping is asked for.
    expect_in "Income: outliers beyond the IQR fences" stdout.txt
    expect_in "age in 2014 (from Year_Birth): outliers beyond the IQR fences" stdout.txt
    expect_not_in "clipped" stdout.txt
    "$segkit" segment "$data/customer_personality/marketing_campaign.csv" --k 4 --outliers clip > clipped.txt
    expect_in "Income: outliers clipped to the IQR fences [-64354, 168179] (1 customer)" clipped.txt
    rm -f clipped.txt
    expect_in "Marital_Status: one-hot encoded into 8 columns" stdout.txt
    # A model that drops customers with a missing value says so when it predicts, and a file
    # without the id column (no feature) is assigned all the same, its rows numbered.
    "$segkit" segment "$data/customer_personality/marketing_campaign.csv" --k 3 --missing drop \
      --features Income,MntWines,Recency --model drop.json > /dev/null
    "$segkit" predict --model drop.json "$data/customer_personality/marketing_campaign.csv" --out drop.csv > drop.txt
    expect_in "Income: customers left out: a missing value (24 customers)" drop.txt
    expect_in "24 of 2240 customers could not be assigned: written with an empty segment and the reason" drop.txt
    # Every customer is written, those without a segment with the reason.
    [ "$(lines drop.csv)" = 2241 ] || fail "drop.csv has $(lines drop.csv) lines"
    expect_in "ID,segment,reason" drop.csv
    [ "$(grep -c ',,"a missing value in ""Income"" (the model leaves such customers out)"$' drop.csv)" = 24 ] ||
      fail "drop.csv does not give 24 customers without a segment and the reason"
    cut -f2- "$data/customer_personality/marketing_campaign.csv" > no_id.tsv
    "$segkit" predict --model drop.json no_id.tsv --out no_id.csv > no_id.txt
    expect_in "row,segment" no_id.csv
    [ "$(lines no_id.csv)" = 2241 ] || fail "no_id.csv has $(lines no_id.csv) lines"
    rm -f drop.json drop.csv drop.txt no_id.tsv no_id.csv no_id.txt
    # Spaces around the names of a list are the list's; one thread gives the segments of all of them.
    "$segkit" segment "$data/customer_personality/marketing_campaign.csv" --k 3 --features 'Income, MntWines , Recency' \
      --threads 1 --out spaced.csv > /dev/null
    "$segkit" segment "$data/customer_personality/marketing_campaign.csv" --k 3 --features Income,MntWines,Recency \
      --out plain.csv > /dev/null
    cmp spaced.csv plain.csv || fail "--features with spaces or --threads 1 changed the segments"
    rm -f spaced.csv plain.csv
    ;;
  exports)  # centres and profiles as CSV or JSON; labels with the customers' own columns and outlier flags
    mall="$data/mall_customers/Mall_Customers.csv" two='Annual Income (k$),Spending Score (1-100)'
    "$segkit" segment "$mall" --features "$two" --k 5 --out plain.csv > /dev/null
    "$segkit" segment "$mall" --features "$two" --k 5 --out labels.csv --out-columns 'Genre, Age' --out-outliers \
      --centers centers.csv --profiles profiles.json > stdout.txt
    expect_in "CustomerID,Genre,Age,segment,outliers" labels.csv
    expect_in "0001,Male,19," labels.csv
    [ "$(lines labels.csv)" = 201 ] || fail "labels.csv has $(lines labels.csv) lines"
    cmp <(cut -d, -f1,4 labels.csv) plain.csv || fail "the extra columns changed the segments"
    expect_in "segment,name,customers,Annual Income (k\$),Spending Score (1-100)" centers.csv
    [ "$(lines centers.csv)" = 6 ] || fail "centers.csv has $(lines centers.csv) lines"
    expect_in '"mean": {' profiles.json
    expect_in '"Annual Income (k$)": ' profiles.json
    "$segkit" segment "$mall" --features "$two" --k 5 --out all.csv --out-columns all --centers centers.json \
      --profiles profiles.csv > /dev/null
    expect_in "CustomerID,Genre,Age,Annual Income (k\$),Spending Score (1-100),segment" all.csv
    expect_in '"center": {' centers.json
    expect_in "segment,name,customers,share,Annual Income (k\$) (mean)" profiles.csv
    # Outlier flags name the features: a customer far out in income on made-up data.
    { echo "id,spend,visits"; for i in $(seq 1 60); do echo "$i,$((100 + i % 7)),$((i % 5))"; done; echo "61,100000,2"; } > ../in/far.csv
    "$segkit" segment ../in/far.csv --k 2 --out far.csv --out-outliers > far.txt
    grep -qE "^61,[01],spend$" far.csv || fail "customer 61 is not flagged as an outlier in spend"
    rm -f plain.csv labels.csv centers.csv profiles.json all.csv centers.json profiles.csv stdout.txt far.csv far.txt
    # The model as ONNX: onnx's checker passes it, and run on the two features it gives every customer's segment.
    "$segkit" segment "$mall" --features "$two" --k 5 --out onnx_labels.csv --onnx mall.onnx > /dev/null
    tail -n +2 "$mall" | cut -d, -f4,5 > ../in/features.csv
    tail -n +2 onnx_labels.csv | cut -d, -f2 > ../in/labels.txt
    /usr/bin/python3 "$here/../onnx/check_onnx.py" mall.onnx ../in/features.csv ../in/labels.txt > onnx.txt \
      || { cat onnx.txt >&2; fail "the ONNX file does not assign the customers as segkit does"; }
    expect_in "200 rows, 5 segments, same labels" onnx.txt
    rm -f onnx_labels.csv mall.onnx onnx.txt
    # And as PMML 4.4, with the Manhattan distance (cityBlock): read and scored as the specification says.
    "$segkit" segment "$mall" --features "$two" --k 4 --distance manhattan --out pmml_labels.csv --pmml mall.pmml \
      > /dev/null
    tail -n +2 pmml_labels.csv | cut -d, -f2 > ../in/labels.txt
    /usr/bin/python3 "$here/../pmml/check_pmml.py" mall.pmml ../in/features.csv ../in/labels.txt > pmml.txt \
      || { cat pmml.txt >&2; fail "the PMML file does not assign the customers as segkit does"; }
    expect_in "PMML 4.4 cityBlock: 200 rows, 4 segments, same labels" pmml.txt
    # A centre moved in the file: the check fails (it can).
    sed -i '0,/<Array n="2" type="real">/s//<Array n="2" type="real">9 /' mall.pmml
    sed -i '0,/<Array n="2" type="real">9 \([^ ]*\) \([^<]*\)</s//<Array n="2" type="real">9 9</' mall.pmml
    if /usr/bin/python3 "$here/../pmml/check_pmml.py" mall.pmml ../in/features.csv ../in/labels.txt > pmml.txt 2>&1; then
      fail "a PMML file with a moved centre still passed the check"
    fi
    rm -f pmml_labels.csv mall.pmml pmml.txt
    expect_error '--pmml writes a model of the squared Euclidean or the Manhattan distance only, not --distance cosine' \
      segment "$mall" --k 3 --distance cosine --pmml m.pmml
    expect_error '--onnx writes a model of the squared Euclidean distance only, not --distance manhattan' \
      segment "$mall" --k 3 --distance manhattan --onnx m.onnx
    # An export's format is its extension, checked before the file is read; columns are checked before the fit.
    expect_error '--centers "c.txt": name a .csv or a .json file' segment "$mall" --k 3 --centers c.txt
    expect_error '--profiles "p": name a .csv or a .json file' segment "$mall" --k 3 --profiles p
    expect_error 'no column "Nope"' segment "$mall" --k 3 --out-columns Nope
    if "$segkit" segment "$mall" --k 3 --out-outliers > stdout.txt 2> stderr.txt; then fail "--out-outliers without --out"; fi
    expect_in "give --out too" stderr.txt
    ;;
  options)  # standard input, decimal commas, numeric codes as categories
    mall="$data/mall_customers/Mall_Customers.csv"
    "$segkit" segment "$mall" --k 4 --out file.csv > /dev/null
    "$segkit" segment - --k 4 --out stdin.csv < "$mall" > stdin.txt 2> stdin_err.txt
    cmp file.csv stdin.csv || fail "reading standard input gave other segments than reading the file"
    expect_in "segkit: reading standard input" stdin_err.txt
    # The same customers written the European way: ';' between fields, ',' before the decimals.
    awk -F, 'NR == 1 { print "id;income;score"; next } { printf "%s;%s,5;%s\n", $1, $4, $5 }' "$mall" > ../in/comma.csv
    awk -F, 'NR == 1 { print "id;income;score"; next } { printf "%s;%s.5;%s\n", $1, $4, $5 }' "$mall" > ../in/point.csv
    "$segkit" segment ../in/point.csv --k 4 --out point.csv > /dev/null
    "$segkit" segment ../in/comma.csv --decimal , --k 4 --out comma.csv > comma.txt
    cmp point.csv comma.csv || fail "--decimal , read other numbers than the same file written with points"
    expect_in "2 features: income, score" comma.txt
    rm -f file.csv stdin.csv stdin.txt stdin_err.txt point.csv comma.csv comma.txt
    # Without it, the column is refused with the hint.
    expect_error 'read a decimal comma as one (segkit --decimal ,' segment ../in/comma.csv --k 4
    expect_error '--decimal must be . or ,' segment ../in/comma.csv --k 4 --decimal ';'
    expect_error "the delimiter and the decimal separator are both ','" segment "$mall" --k 4 --decimal , --delimiter ,
    # Numeric codes as categories: one column per channel, named by its code, and predict reads them alike.
    wholesale="$data/wholesale_customers/Wholesale customers data.csv"
    "$segkit" segment "$wholesale" --categorical 'Channel, Region' --k 3 --out w.csv --model w.json > w.txt
    expect_in "Channel: one-hot encoded into 2 columns" w.txt
    expect_in "Region: one-hot encoded into 3 columns" w.txt
    "$segkit" predict --model w.json "$wholesale" --out wp.csv > /dev/null
    cmp w.csv wp.csv || fail "predict with a model of categorical codes does not reproduce the labels"
    rm -f w.csv w.json w.txt wp.csv
    # --version names the kernels; a category predict never saw is counted, in the singular for one customer.
    "$segkit" --version > version.txt
    expect_in "segkit 0." version.txt
    expect_in "(SIMD kernels: " version.txt
    "$segkit" segment "$mall" --k 3 --model genre.json > /dev/null
    sed '2s/,Male,/,Other,/' "$mall" > ../in/other.csv
    "$segkit" predict --model genre.json ../in/other.csv --out other.csv > other.txt
    expect_in "Genre: values not seen at fit (encoded as no level) (1 customer)" other.txt
    [ "$(lines other.csv)" = 201 ] || fail "other.csv has $(lines other.csv) lines"
    rm -f version.txt genre.json other.csv other.txt
    ;;
  rfm_retail)
    "$segkit" rfm "$data/retail_data_transactions/Retail_Data_Transactions.csv" --customer customer_id \
      --date trans_date --amount tran_amount --k 4 --out rfm.csv --report rfm.html > stdout.txt
    expect_in "RFM of 6889 customers as of 2015-03-17" stdout.txt
    [ "$(lines rfm.csv)" = 6890 ] || fail "rfm.csv has $(lines rfm.csv) lines"
    expect_in "customer,recency,frequency,monetary,r_score,f_score,m_score,rfm_segment,segment" rfm.csv
    expect_in "class=\"chart pca-scatter\"" rfm.html
    # The model replays the scores and segments on a log: on the same log, the same file.
    "$segkit" rfm "$data/retail_data_transactions/Retail_Data_Transactions.csv" --customer customer_id \
      --date trans_date --amount tran_amount --k 4 --model rfm.json > /dev/null
    "$segkit" predict --model rfm.json "$data/retail_data_transactions/Retail_Data_Transactions.csv" --out replay.csv \
      > replay.txt
    cmp rfm.csv replay.csv || fail "rfm --model and predict do not give the same scores and segments"
    expect_in "scored with the model's thresholds" replay.txt
    rm -f rfm.json replay.csv replay.txt
    # A reference date: any of the reader's date formats; a blank or wrong one is refused, never a crash.
    "$segkit" rfm "$data/retail_data_transactions/Retail_Data_Transactions.csv" --customer customer_id \
      --date trans_date --amount tran_amount --k 4 --as-of 20150401 > as_of.txt
    expect_in "as of 2015-04-01" as_of.txt
    rm -f rfm.csv rfm.html as_of.txt stdout.txt
    for bad in ' ' '' '2015-02-30' 'soon'; do
      expect_error "--as-of \"$bad\" is not a date" rfm "$data/retail_data_transactions/Retail_Data_Transactions.csv" \
        --customer customer_id --date trans_date --amount tran_amount --k 4 --as-of "$bad"
    done
    ;;
  rfm_cdnow)
    "$segkit" rfm "$data/cdnow/CDNOW_master.txt" --delimiter whitespace --no-header --customer 1 --date 2 \
      --amount 4 --k 3 --out rfm.csv > stdout.txt
    expect_in "RFM of 23570 customers as of 1998-07-01" stdout.txt
    expect_in "score thresholds: R 5 below " stdout.txt
    [ "$(lines rfm.csv)" = 23571 ] || fail "rfm.csv has $(lines rfm.csv) lines"
    expect_in "00001," rfm.csv
    ;;
  ids)  # a column named like an id is read as text: ids keep their zeros; one that repeats is a feature
    {
      echo "customer_id,store_id,spend,visits"
      for i in $(seq 1 60); do
        printf '%04d,%d,%d,%d\n' "$i" $((i % 3 + 1)) $(( i <= 30 ? 10 + i % 5 : 90 + i % 7 )) $(( i <= 30 ? 2 : 9 ))
      done
    } > ../in/shops.csv
    "$segkit" segment ../in/shops.csv --k 2 --out labels.csv > stdout.txt
    expect_in "customer_id: left out: an identifier" stdout.txt
    expect_in "features: store_id, spend, visits" stdout.txt
    expect_in "customer_id,segment" labels.csv
    expect_in "0007," labels.csv
    [ "$(lines labels.csv)" = 61 ] || fail "labels.csv has $(lines labels.csv) lines"
    ;;
  mpi)  # mpirun -np 1..4 segkit segment: each rank reads its part of the file; the labels of one process
    # (4th argument: mpirun). One process with --init k-means|| is the reference.
    mpirun=$helper
    file="$data/customer_personality/marketing_campaign.csv"
    "$segkit" segment "$file" --k 4 --seed 3 --n-init 3 --log-skewed --init 'k-means||' --out one.csv \
      --model one.json > one.txt 2> /dev/null
    for ranks in 1 2 3 4; do
      "$mpirun" -np $ranks "$segkit" segment "$file" --k 4 --seed 3 --n-init 3 --log-skewed --out spread.csv \
        --model spread.json > spread.txt 2> spread_err.txt || { cat spread_err.txt >&2; fail "$ranks ranks failed"; }
      cmp one.csv spread.csv || fail "$ranks ranks give other labels than one process"
      [ "$ranks" = 1 ] || expect_in "over $ranks processes (MPI ranks)" spread.txt
      # The segments as printed: sizes, names and medians are those of one process.
      cmp <(sed -n '/^Segments:/,$p' one.txt | cut -c1-40) <(sed -n '/^Segments:/,$p' spread.txt | cut -c1-40) \
        || fail "$ranks ranks print other segments"
      # The model predicts the same labels as one process's.
      "$segkit" predict --model spread.json "$file" --out predicted.csv > /dev/null
      cmp one.csv predicted.csv || fail "the model of $ranks ranks predicts other labels"
      rm spread.csv spread.json predicted.csv
    done
    [ "$(lines one.csv)" = 2241 ] || fail "one.csv has $(lines one.csv) lines"
    # A bad cell in the last rank's part: that rank names the file, line and column; no file is written.
    sed -n '1,600p' "$file" > ../in/bad.csv
    printf '9999\t1970\tPhD\tSingle\tlots\t0\t0\t01-01-2013\t1\t1\t1\t1\t1\t1\t1\t1\t1\t1\t1\t1\t0\t0\t0\t0\t0\t0\t3\t11\t0\r\n' \
      >> ../in/bad.csv
    if "$mpirun" -np 3 "$segkit" segment ../in/bad.csv --k 3 --out bad_out.csv > stdout.txt 2> stderr.txt; then
      fail "a bad cell went through"
    fi
    expect_in "bad.csv: column \"Income\" holds numbers but data row 600 holds the text \"lots\"" stderr.txt
    [ "$(grep -c 'error:' stderr.txt)" = 1 ] || { cat stderr.txt >&2; fail "expected the message once"; }
    [ ! -e bad_out.csv ] || fail "an output was written"
    # K chosen over the ranks as one process chooses it.
    mall="$data/mall_customers/Mall_Customers.csv"
    "$segkit" segment "$mall" --k auto --init 'k-means||' --out one_auto.csv > one_auto.txt 2> /dev/null
    "$mpirun" -np 3 "$segkit" segment "$mall" --k auto --out spread_auto.csv > spread_auto.txt 2> /dev/null \
      || fail "--k auto over 3 ranks failed"
    cmp one_auto.csv spread_auto.csv || fail "--k auto over 3 ranks gives other labels"
    cmp <(grep -A1 '^Number of segments' one_auto.txt) <(grep -A1 '^Number of segments' spread_auto.txt) \
      || fail "--k auto over 3 ranks chooses otherwise"
    expect_in "K = " spread_auto.txt
    # What one process alone does is said, not half done.
    if "$mpirun" -np 2 "$segkit" segment "$file" --k 3 --report r.html > stdout.txt 2> stderr.txt; then
      fail "--report ran over ranks"
    fi
    expect_in "--report is not written over MPI ranks yet" stderr.txt
    [ "$(grep -c 'error:' stderr.txt)" = 1 ] || { cat stderr.txt >&2; fail "expected the message once"; }
    if "$mpirun" -np 2 "$segkit" predict --model one.json "$file" > stdout.txt 2> stderr.txt; then fail "predict ran"; fi
    expect_in "only segkit segment runs over several MPI ranks" stderr.txt
    ;;
  gmm)  # a Gaussian mixture (K by BIC, probabilities, a model that predicts the same segments); Ward; DBSCAN;
    # k-medoids; k-prototypes; compare
    mall="$data/mall_customers/Mall_Customers.csv"
    "$segkit" segment "$mall" --features 'Annual Income (k$),Spending Score (1-100)' --algorithm gmm --k auto \
      --out labels.csv --model model.json --proba proba.csv --report report.html > stdout.txt 2> /dev/null
    expect_in "the lowest BIC (" stdout.txt
    expect_in "of the Gaussian mixtures of K = 2..10" stdout.txt
    expect_in '"mixture"' model.json
    expect_in '"covariance": "full"' model.json
    [ "$(lines proba.csv)" = 201 ] || fail "proba.csv has $(lines proba.csv) lines"
    expect_in "CustomerID,segment 0,segment 1" proba.csv
    # Every customer's probabilities sum to 1, and the most probable segment is its label.
    paste -d, <(tail -n +2 proba.csv) <(tail -n +2 labels.csv | cut -d, -f2) | awk -F, '{
        s = 0; best = 2; for (i = 2; i < NF; ++i) { s += $i; if ($i > $best) best = i }
        if (s < 0.9999 || s > 1.0001) { print "row " NR " sums to " s; exit 1 }
        if (best - 2 != $NF) { print "row " NR ": most probable segment " best - 2 ", label " $NF; exit 1 } }' \
      || fail "probabilities and labels disagree"
    for chart in elbow score-silhouette pca-scatter; do expect_in "class=\"chart $chart\"" report.html; done
    "$segkit" predict --model model.json "$mall" --out predicted.csv > /dev/null 2>&1
    cmp labels.csv predicted.csv || fail "predict with the mixture does not reproduce the labels"
    # K given, another covariance type; what a mixture cannot do is said.
    "$segkit" segment "$mall" --algorithm gmm --covariance spherical --k 4 --out four.csv > four.txt 2> /dev/null
    expect_in "K = 4 as asked" four.txt
    [ "$(tail -n +2 four.csv | cut -d, -f2 | sort -u | wc -l)" -le 4 ] || fail "more than 4 segments"
    rm four.csv four.txt labels.csv proba.csv report.html predicted.csv stdout.txt
    mv model.json ../in/model.json
    expect_error "--proba writes a Gaussian mixture's probabilities: give --algorithm gmm" segment "$mall" --proba p.csv
    expect_error "the covariance type must be full, tied, diag or spherical" segment "$mall" --algorithm gmm \
      --covariance diagonal
    expect_error "--onnx writes models of nearest centres only, not --algorithm gmm" segment "$mall" --algorithm gmm \
      --onnx m.onnx
    if "$segkit" update --model ../in/model.json "$mall" > stdout.txt 2> stderr.txt; then
      fail "update of a mixture ran"
    fi
    expect_in "a Gaussian mixture's model is fitted again instead" stderr.txt
    # Agglomerative: Ward's tree cut where the criteria vote, a model that says how it assigns.
    "$segkit" segment "$mall" --features 'Annual Income (k$),Spending Score (1-100)' --algorithm ward --k auto \
      --out ward.csv --model ../in/ward.json --report ward.html > ward.txt 2> /dev/null
    expect_in "K = 5 (3 of 4 criteria agree)" ward.txt
    expect_in 'class="chart dendrogram"' ward.html
    expect_in "cuts it into 5 segments" ward.html
    [ "$(grep -c 'class="link"' ward.html)" = 29 ] || fail "the dendrogram does not draw the last 29 merges"
    expect_in "high Annual Income · low Spending Score" ward.txt
    expect_in '"algorithm": "ward"' ../in/ward.json
    "$segkit" predict --model ../in/ward.json "$mall" --out predicted.csv > predict.txt 2> /dev/null
    expect_in "note: the segments were made by agglomerative clustering (ward linkage)" predict.txt
    # Most customers keep their segment under the nearest-centre rule.
    same=$(paste -d, ward.csv predicted.csv | awk -F, 'NR > 1 && $2 == $4 { n++ } END { print n }')
    [ "$same" -ge 180 ] || fail "only $same of 200 customers keep their Ward segment when predicted"
    "$segkit" segment "$mall" --algorithm average --k 4 --out average.csv > average.txt 2> /dev/null
    expect_in "K = 4 as asked" average.txt
    rm ward.csv ward.txt ward.html predicted.csv predict.txt average.csv average.txt
    # DBSCAN: eps at the knee of the k-distances, customers in no dense region a segment
    # "unassigned", a model that places new customers by the nearest core customer within eps.
    "$segkit" segment "$mall" --features 'Annual Income (k$),Spending Score (1-100)' --algorithm dbscan \
      --out dense.csv --model ../in/dense.json --report dense.html > dense.txt 2> /dev/null
    expect_in '7 dense regions (DBSCAN, eps = 0.312909 (in standard-scaled units), min_samples = 4; eps at the knee' \
      dense.txt
    expect_in '18 of the 200 customers in none: segment 7, "unassigned"' dense.txt
    expect_in '7        unassigned' dense.txt
    [ "$(tail -n +2 dense.csv | cut -d, -f2 | grep -c '^7$')" = 18 ] || fail "not 18 customers in segment 7"
    expect_in 'class="chart k-distance"' dense.html
    expect_in '"algorithm": "dbscan"' ../in/dense.json
    "$segkit" predict --model ../in/dense.json "$mall" --out predicted.csv > predict.txt 2> /dev/null
    expect_in "the nearest core customer within eps = 0.312909" predict.txt
    cmp dense.csv predicted.csv || fail "predict with the DBSCAN model does not reproduce the labels"
    # eps and min_samples given; what DBSCAN does not take is refused before the file is read.
    "$segkit" segment "$mall" --features 'Annual Income (k$),Spending Score (1-100)' --algorithm dbscan \
      --eps 0.5 --min-samples 10 > given.txt 2> /dev/null
    expect_in '4 dense regions (DBSCAN, eps = 0.5 (in standard-scaled units), min_samples = 10; eps as asked)' given.txt
    rm dense.csv dense.txt dense.html predicted.csv predict.txt given.txt
    expect_error "--algorithm dbscan finds the number of segments itself" segment no-such-file.csv --algorithm dbscan \
      --k 5
    expect_error "--eps must be a positive distance" segment no-such-file.csv --algorithm dbscan --eps -1
    expect_error "--eps and --min-samples are DBSCAN's" segment no-such-file.csv --eps 0.5
    expect_error "--pmml writes models of nearest centres only, not --algorithm dbscan" segment no-such-file.csv \
      --algorithm dbscan --pmml m.pmml
    expect_error "finds no dense region: every customer is noise" segment "$mall" --algorithm dbscan --eps 0.0001
    if "$segkit" update --model ../in/dense.json "$mall" > stdout.txt 2> stderr.txt; then
      fail "update of a DBSCAN model ran"
    fi
    expect_in "a DBSCAN model has none to move" stderr.txt
    rm stdout.txt stderr.txt
    # k-medoids: K voted as for k-means, each segment's typical customer shown, a model whose
    # centres are those customers (predict, ONNX alike).
    "$segkit" segment "$mall" --features 'Annual Income (k$),Spending Score (1-100)' --algorithm kmedoids \
      --out medoids.csv --model ../in/medoids.json --report medoids.html > medoids.txt 2> /dev/null
    expect_in "K = 5 (3 of 4 criteria agree)" medoids.txt
    expect_in "The typical customer of each segment (its medoid):" medoids.txt
    expect_in "The typical customer of each segment" medoids.html
    expect_in '"algorithm": "kmedoids"' ../in/medoids.json
    "$segkit" predict --model ../in/medoids.json "$mall" --out predicted.csv > predict.txt 2> /dev/null
    cmp medoids.csv predicted.csv || fail "predict with the k-medoids model does not reproduce the labels"
    if grep -q "note:" predict.txt; then fail "predict says a k-medoids model assigns by a stand-in"; fi
    if "$segkit" update --model ../in/medoids.json "$mall" > stdout.txt 2> stderr.txt; then
      fail "update of a k-medoids model ran"
    fi
    expect_in "a k-medoids model's centres are customers" stderr.txt
    rm stdout.txt stderr.txt
    rm medoids.csv medoids.txt medoids.html predicted.csv predict.txt
    # k-prototypes: marketing_campaign's Education and Marital_Status kept as categories; each
    # segment's modal categories shown; a model that places customers by the prototypes.
    marketing="$data/customer_personality/marketing_campaign.csv"
    "$segkit" segment "$marketing" --features 'Income,Recency,MntWines,Education,Marital_Status' \
      --algorithm kprototypes --k 4 --out proto.csv --model ../in/proto.json --report proto.html > proto.txt 2> /dev/null
    expect_in "gamma = 0.5 (half the mean standard deviation of the numeric features)" proto.txt
    expect_in "The modal categories of each segment (k-prototypes' modes):" proto.txt
    expect_in "Marital_Status (most frequent)" proto.txt
    expect_in "The modal categories of each segment" proto.html
    [ "$(lines proto.csv)" = 2241 ] || fail "proto.csv has $(lines proto.csv) lines, not every customer"
    "$segkit" predict --model ../in/proto.json "$marketing" --out predicted.csv > /dev/null 2>&1
    cmp proto.csv predicted.csv || fail "predict with the k-prototypes model does not reproduce the labels"
    rm proto.csv proto.txt proto.html predicted.csv
    # k-medoids by Gower's dissimilarity: the same mixed table, categories as categories.
    "$segkit" segment "$marketing" --features 'Income,Recency,MntWines,Education,Marital_Status' \
      --algorithm kmedoids --distance gower --k 3 --out gower.csv --model ../in/gower.json > gower.txt 2> /dev/null
    expect_in "The typical customer of each segment (its medoid):" gower.txt
    expect_in '"distance": "gower"' ../in/gower.json
    "$segkit" predict --model ../in/gower.json "$marketing" --out predicted.csv > /dev/null 2>&1
    cmp gower.csv predicted.csv || fail "predict with the Gower k-medoids model does not reproduce the labels"
    rm gower.csv gower.txt predicted.csv
    expect_error "--distance gower is k-medoids'" segment no-such-file.csv --distance gower
    expect_error "--gamma is k-prototypes': give --algorithm kprototypes" segment no-such-file.csv --gamma 1
    expect_error "--onnx writes models of nearest centres only, not --algorithm kprototypes" segment no-such-file.csv \
      --algorithm kprototypes --onnx m.onnx
    expect_error "k-prototypes needs categorical columns" segment "$mall" --features 'Age,Annual Income (k$)' \
      --algorithm kprototypes
    expect_error "--algorithm must be kmeans, gmm, ward, complete, average, single, dbscan, kmedoids or kprototypes" \
      segment "$mall" --algorithm optics
    # compare: the default algorithms side by side, a recommendation, every algorithm's labels.
    "$segkit" compare "$mall" --features 'Annual Income (k$),Spending Score (1-100)' --report compare.html \
      --out compare.csv > compare.txt 2> /dev/null
    expect_in "Algorithms compared:" compare.txt
    expect_in "Agreement between the segmentations:" compare.txt
    expect_in "Recommended: kmedoids (K = 5): the highest silhouette (0.556)" compare.txt
    [ "$(head -1 compare.csv)" = "CustomerID,kmeans,gmm,ward,kmedoids" ] || fail "compare.csv header: $(head -1 compare.csv)"
    [ "$(lines compare.csv)" = 201 ] || fail "compare.csv has $(lines compare.csv) lines"
    expect_in 'id="side-by-side"' compare.html
    [ "$(grep -c 'class="chart panel"' compare.html)" = 4 ] || fail "not 4 panels side by side"
    "$segkit" compare "$mall" --features 'Age,Annual Income (k$)' --algorithms kmeans,kprototypes --k 3 \
      > skipped.txt 2> /dev/null
    expect_in "skipped: k-prototypes needs categorical columns" skipped.txt
    rm compare.txt compare.csv compare.html skipped.txt
    expect_error "--algorithms must name some of kmeans, gmm" compare "$mall" --algorithms kmeans,spectral
    ;;
  bad_input)
    printf 'a,b\n1,2\n3\n' > ../in/ragged.csv
    expect_error 'line 3' segment ../in/ragged.csv
    head -c 0 /dev/null > ../in/empty.csv
    expect_error 'empty' segment ../in/empty.csv
    printf 'a,b\n1,\0002\n' > ../in/binary.csv
    expect_error 'binary' segment ../in/binary.csv
    { echo 'id,age,income'; for i in $(seq 1 30); do echo "$i,$((20 + i % 9)),$((i * 3 % 50))"; done; echo '31,abc,7'; } > ../in/text.csv
    expect_error 'holds the text "abc"' segment ../in/text.csv --features age,income
    # One number grammar: "inf" is no number, and the message names the file, the column and the row.
    { echo 'id,spend,visits'; for i in $(seq 1 30); do echo "$i,$((100 + 7 * i)).5,$((i % 5))"; done; echo '31,inf,2'; } > ../in/inf.csv
    expect_error 'inf.csv: column "spend" holds numbers but data row 31 holds the text "inf"' segment ../in/inf.csv
    { echo 'id,income,age'; for i in $(seq 1 30); do echo "$i,\"$i,$((100 + i))\",$((20 + i))"; done; } > ../in/grouped.csv
    expect_error 'column "income" holds numbers written with thousands separators' segment ../in/grouped.csv --features income,age
    expect_error 'no column "Incme"' segment "$data/mall_customers/Mall_Customers.csv" --features Incme
    expect_error 'cannot open' segment no-such-file.csv
    expect_error '--k must be a number' segment "$data/mall_customers/Mall_Customers.csv" --k many
    expect_error 'k = 500 is larger than the number of rows (200)' segment "$data/mall_customers/Mall_Customers.csv" --k 500
    # Absurd settings are refused before the file is read (it does not even exist here).
    expect_error '--k must be at least 1' segment no-such-file.csv --k 0
    expect_error '--k must be a number or "auto", not "-1"' segment no-such-file.csv --k=-1
    expect_error '--k-range must start at 2' segment no-such-file.csv --k-range 1..5
    expect_error '--tol must be a number from 0 to 1' segment no-such-file.csv --tol nan
    expect_error '--tol must be a number from 0 to 1' segment no-such-file.csv --tol=-0.5
    expect_error '--max-iter: Value 0 not in range' segment no-such-file.csv --max-iter 0
    # A report into a folder that does not exist: nothing at all is written, not even the labels.
    if "$segkit" segment "$data/mall_customers/Mall_Customers.csv" --k 3 --out labels.csv --report missing/r.html \
      > /dev/null 2>&1; then fail "wrote into a missing folder"; fi
    [ ! -e labels.csv ] || fail "labels.csv written although the report could not be"
    # An output that is an input (or another output) is refused before any work, and the file is untouched.
    cp "$data/mall_customers/Mall_Customers.csv" ../in/mall.csv
    before=$(md5sum < ../in/mall.csv)
    for same in ../in/mall.csv ../in/./mall.csv "$(cd ../in && pwd)/mall.csv"; do
      if "$segkit" segment ../in/mall.csv --k 3 --out "$same" > stdout.txt 2> stderr.txt; then fail "--out $same replaced the input"; fi
      expect_in "is the input file" stderr.txt
    done
    [ "$(md5sum < ../in/mall.csv)" = "$before" ] || fail "the customer file changed"
    "$segkit" segment ../in/mall.csv --k 3 --model ../in/model.json > /dev/null 2>&1
    model_before=$(md5sum < ../in/model.json)
    if "$segkit" predict --model ../in/model.json ../in/mall.csv --out ../in/model.json > stdout.txt 2> stderr.txt; then
      fail "predict --out replaced the model"
    fi
    expect_in "is the --model file" stderr.txt
    [ "$(md5sum < ../in/model.json)" = "$model_before" ] || fail "the model changed"
    if "$segkit" segment ../in/mall.csv --k 3 --out ../in/x.csv --report ../in/x.csv > stdout.txt 2> stderr.txt; then
      fail "two outputs on one file"
    fi
    expect_in "name the same file" stderr.txt
    [ ! -e ../in/x.csv ] || fail "a file was written for a refused run"
    rm -f stdout.txt stderr.txt
    # A folder as an output is refused before any work: the old labels are kept.
    mkdir ../in/folder
    echo "old labels" > ../in/labels.csv
    if "$segkit" segment ../in/mall.csv --k 3 --out ../in/labels.csv --model ../in/folder > stdout.txt 2> stderr.txt; then
      fail "wrote a model over a folder"
    fi
    expect_in "it is a folder" stderr.txt
    [ "$(cat ../in/labels.csv)" = "old labels" ] || fail "the labels were replaced by a failed run"
    # A file of the user's named like a temporary file is neither replaced nor removed.
    echo "mine" > ../in/labels.csv.partial
    "$segkit" segment ../in/mall.csv --k 3 --out ../in/labels.csv > /dev/null 2>&1
    [ "$(cat ../in/labels.csv.partial)" = "mine" ] || fail "labels.csv.partial was replaced"
    [ "$(lines ../in/labels.csv)" = 201 ] || fail "labels.csv not written"
    # A link is written through to its target; a pipe is written into; "-" is standard output.
    ln -s labels.csv ../in/latest.csv
    "$segkit" segment ../in/mall.csv --k 4 --out ../in/latest.csv > /dev/null 2>&1
    [ -L ../in/latest.csv ] || fail "the link was replaced by a file"
    cmp -s ../in/latest.csv ../in/labels.csv || fail "the link's target was not written"
    mkfifo ../in/labels.fifo
    timeout 60 cat ../in/labels.fifo > ../in/from_fifo.csv &
    "$segkit" segment ../in/mall.csv --k 4 --out ../in/labels.fifo > /dev/null 2>&1
    wait
    [ -p ../in/labels.fifo ] || fail "the pipe was replaced by a file"
    cmp -s ../in/from_fifo.csv ../in/labels.csv || fail "the pipe did not carry the labels"
    "$segkit" segment ../in/mall.csv --k 4 --out - > stdout.txt 2> stderr.txt
    cmp -s stdout.txt ../in/labels.csv || fail "--out - did not write only the labels to standard output"
    expect_in "Segments:" stderr.txt
    "$segkit" segment ../in/mall.csv --k 4 --model ../in/model4.json > /dev/null 2>&1
    "$segkit" predict --model ../in/model4.json ../in/mall.csv > stdout.txt 2> stderr.txt
    cmp -s stdout.txt ../in/labels.csv || fail "predict without --out did not write only the labels to standard output"
    # As root (CI), a character device of the test's own is written into, not replaced.
    if mknod ../in/null c 1 3 2> /dev/null && echo > ../in/null 2> /dev/null; then
      "$segkit" segment ../in/mall.csv --k 3 --out ../in/null > /dev/null 2>&1
      [ -c ../in/null ] || fail "the device was replaced by a file"
    fi
    rm -f stdout.txt stderr.txt
    ;;
  align)  # a refit aligned with a previous model: every customer keeps its id, ids vanish and appear, predict gives ids
    mall="$data/mall_customers/Mall_Customers.csv" f='Annual Income (k$),Spending Score (1-100)'
    "$segkit" segment "$mall" --features "$f" --k 5 --quiet --model ../in/first.json --out ../in/first.csv > /dev/null
    # Refused before any work (no output left behind).
    expect_error "--previous-labels says where customers went beside the previous model's segments: give --align-to too" \
      segment "$mall" --k 5 --previous-labels ../in/first.csv
    expect_error "../in/first.json: segments can be aligned only on the same features; the previous segments have \"Annual Income (k\$)\", which this fit has not; this fit has \"Age\"" \
      segment "$mall" --features 'Age,Spending Score (1-100)' --k 5 --align-to ../in/first.json
    expect_error "--model ../in/first.json is the --align-to file" \
      segment "$mall" --features "$f" --k 5 --align-to ../in/first.json --model ../in/first.json
    log="$data/retail_data_transactions/Retail_Data_Transactions.csv"
    rfm=(--customer customer_id --date trans_date --amount tran_amount --k 4 --quiet)
    expect_error "../in/first.json: segments can be aligned only on the same features; the previous segments have \"Annual Income (k\$)\", \"Spending Score (1-100)\", which this fit has not; this fit has \"recency\", \"frequency\", \"monetary\"" \
      rfm "$log" "${rfm[@]}" --align-to ../in/first.json
    printf 'CustomerID,segment\n0001,2\n0002,two\n' > ../in/bad_labels.csv
    expect_error "\"../in/bad_labels.csv\", line 3, column 2 (\"segment\"): \"two\" is not a segment id (a whole number)" \
      segment "$mall" --features "$f" --k 5 --align-to ../in/first.json --previous-labels ../in/bad_labels.csv
    # The same customers, last first (a line end added where the file has none).
    { head -1 "$mall"; tail -n +2 "$mall" | sed -e '$a\' | tac; } > ../in/reversed.csv
    "$segkit" segment ../in/reversed.csv --features "$f" --k 5 --quiet --out plain.csv > /dev/null
    if cmp -s <(sort ../in/first.csv) <(sort plain.csv); then
      fail "the reversed file is numbered alike without --align-to: the test would prove nothing"
    fi
    "$segkit" segment ../in/reversed.csv --features "$f" --k 5 --quiet --align-to ../in/first.json \
      --previous-labels ../in/first.csv --out aligned.csv --report report.html > stdout.txt
    cmp <(sort ../in/first.csv) <(sort aligned.csv) || fail "a customer changed segment id in the reversed file"
    expect_in "Where the customers went: 200 in both, 200 of them in the same segment" stdout.txt
    expect_in "Since the previous segments" report.html
    expect_in "Where the customers went" report.html
    # Four segments: one id vanishes, the others stay; the model keeps the ids and predict writes them.
    "$segkit" segment ../in/reversed.csv --features "$f" --k 4 --quiet --align-to ../in/first.json \
      --previous-labels ../in/first.csv --model four.json --out four.csv > stdout.txt
    vanished=$(awk '$2 == "vanished" {print $1}' stdout.txt)
    [ -n "$vanished" ] || { cat stdout.txt >&2; fail "no segment vanished going from 5 segments to 4"; }
    expect_in '"segment_ids"' four.json
    ! cut -d, -f2 four.csv | grep -qx "$vanished" || fail "the vanished id $vanished is still given"
    [ "$(cut -d, -f2 four.csv | tail -n +2 | sort -u | wc -l)" = 4 ] || fail "four.csv does not hold 4 segment ids"
    "$segkit" predict --model four.json ../in/reversed.csv --out predicted.csv > predict.txt
    cmp four.csv predicted.csv || fail "predict does not give the aligned ids"
    expect_not_in "segment $vanished:" predict.txt
    # Six segments aligned with the four: the vanished id is never given again; the new one is 5.
    "$segkit" segment ../in/reversed.csv --features "$f" --k 6 --quiet --align-to four.json --model six.json \
      --out six.csv --onnx six.onnx --pmml six.pmml > stdout.txt
    [ "$(awk '$2 == "new" {print $1}' stdout.txt | tr '\n' ' ')" = "5 6 " ] || { cat stdout.txt >&2; fail "the new segments are not 5 and 6"; }
    ! cut -d, -f2 six.csv | grep -qx "$vanished" || fail "the vanished id $vanished was given again"
    expect_in '"next_segment_id": 7' six.json
    # ONNX and PMML name the segments by id too (ids 5 and 6 beside four of 0..4).
    tail -n +2 ../in/reversed.csv | cut -d, -f4,5 > ../in/features.csv
    tail -n +2 six.csv | cut -d, -f2 > ../in/ids.txt
    grep -qa segment_ids six.onnx || fail "six.onnx has no segment_ids to map its centres to ids"
    /usr/bin/python3 "$here/../onnx/check_onnx.py" six.onnx ../in/features.csv ../in/ids.txt > onnx.txt \
      || { cat onnx.txt >&2; fail "the aligned ONNX file does not give the segment ids"; }
    /usr/bin/python3 "$here/../pmml/check_pmml.py" six.pmml ../in/features.csv ../in/ids.txt > pmml.txt \
      || { cat pmml.txt >&2; fail "the aligned PMML file does not give the segment ids"; }
    # RFM segments too: the same log, last row first, fitted from other starts (--seed), keeps
    # the segments' ids; a few customers on the borders move (another local optimum).
    "$segkit" rfm "$log" "${rfm[@]}" --model ../in/rfm.json --out ../in/rfm.csv > /dev/null
    { head -1 "$log"; tail -n +2 "$log" | sed -e '$a\' | tac; } > ../in/rfm_reversed.csv
    "$segkit" rfm ../in/rfm_reversed.csv "${rfm[@]}" --seed 3 --out rfm_plain.csv > /dev/null
    if cmp -s ../in/rfm.csv rfm_plain.csv; then fail "the RFM refit is numbered alike without --align-to"; fi
    "$segkit" rfm ../in/rfm_reversed.csv "${rfm[@]}" --seed 3 --align-to ../in/rfm.json \
      --previous-labels ../in/rfm.csv --out rfm_aligned.csv --report rfm.html > stdout.txt
    [ "$(grep -c "kept its id" stdout.txt)" = 4 ] || { cat stdout.txt >&2; fail "an RFM segment did not keep its id"; }
    stayed=$(sed -n 's/^Where the customers went: 6889 in both, \([0-9]*\) of them in the same segment$/\1/p' stdout.txt)
    [ "${stayed:-0}" -ge 6800 ] || { cat stdout.txt >&2; fail "only ${stayed:-?} of 6889 customers kept their RFM segment id"; }
    [ "$(diff ../in/rfm.csv rfm_aligned.csv | grep -c '^<')" = $((6889 - stayed)) ] ||
      fail "the --out file's segment ids are not those the flow table counts"
    expect_in "Since the previous segments" rfm.html
    ;;
  update)  # new customers move a saved model's segments (mini-batch rule); the model file is replaced whole
    mall="$data/mall_customers/Mall_Customers.csv" f='Annual Income (k$),Spending Score (1-100)'
    "$segkit" segment "$mall" --features "$f" --k 5 --quiet --model model.json --out labels.csv > /dev/null
    cp model.json ../in/fitted.json
    # Refused before any change: a model whose centres are no means, an --out that is the model.
    "$segkit" segment "$mall" --features "$f" --k 5 --quiet --distance manhattan --model ../in/manhattan.json > /dev/null
    cp ../in/manhattan.json ../in/manhattan_before.json
    if "$segkit" update --model ../in/manhattan.json "$mall" > stdout.txt 2> stderr.txt; then fail "updated a Manhattan model"; fi
    expect_in "the centre of the squared Euclidean distance only" stderr.txt
    cmp ../in/manhattan.json ../in/manhattan_before.json || fail "a refused update changed the model file"
    if "$segkit" update --model model.json "$mall" --out model.json > stdout.txt 2> stderr.txt; then fail "--out the model"; fi
    expect_in "--out model.json is the --model file" stderr.txt
    cmp model.json ../in/fitted.json || fail "a refused update changed the model file"
    # The fit's own customers again: every centre stays (Lloyd's fixed point), every count doubles.
    "$segkit" update --model model.json "$mall" --out again.csv > stdout.txt
    cmp labels.csv again.csv || fail "update did not put the fit's customers in their segments"
    expect_in "Centres moved" stdout.txt
    /usr/bin/python3 - ../in/fitted.json model.json <<'PY' || fail "the centres moved or the counts did not double"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert [2 * c for c in a["counts"]] == b["counts"], (a["counts"], b["counts"])
for ca, cb in zip(a["centers"], b["centers"]):
    assert all(abs(x - y) <= 1e-12 * max(1, abs(x)) for x, y in zip(ca, cb)), (ca, cb)
PY
    # Big spenders with high incomes arrive: their segment's centre moves towards them, the others stay.
    { echo "CustomerID,Genre,Age,Annual Income (k\$),Spending Score (1-100)"; for i in $(seq 1 40); do echo "9$i,Female,30,$((140 + i % 5)),$((95 + i % 3))"; done; } > ../in/arrivals.csv
    "$segkit" update --model model.json ../in/arrivals.csv --out arrivals.csv > stdout.txt
    [ "$(tail -n +2 arrivals.csv | cut -d, -f2 | sort -u | wc -l)" = 1 ] || fail "the arrivals did not join one segment"
    moved=$(grep -c "+40 customers" stdout.txt); [ "$moved" = 1 ] || { cat stdout.txt >&2; fail "not one segment took the 40"; }
    [ "$(grep -c '+0 customers, moved 0,' stdout.txt)" = 4 ] || { cat stdout.txt >&2; fail "segments without arrivals moved"; }
    ;;
  *) fail "unknown scenario" ;;
esac
echo "ok ($scenario)"
