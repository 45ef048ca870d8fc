#!/usr/bin/python3
"""The segkit tool end to end against pandas + scikit-learn on the same CSV, in one run.

    /usr/bin/python3 benchmarks/compare/tool_vs_pandas.py --segkit build/tools/segkit [--rows 1000000 --features 16]

Both sides do the same job from the same file, each in a process of its own, timed as a whole
(start-up, reading, preparing, fitting, scoring, writing the labels):

  --k 8:     read the CSV, standardise the features, k-means with k = 8 and 10 k-means++ starts,
             write one label per customer;
  --k auto:  the same for every K in 2..10, scoring each K with the silhouette (on a random sample of
             10,000 rows when there are more, as the tool does), Davies-Bouldin and Calinski-Harabasz,
             then the chosen K's labels.

segkit runs with --outliers keep (scikit-learn's side clips nothing) and --quiet. Peak memory is each
process's ru_maxrss, through peak_rss.py. Medians of --repetitions runs, alternating the two sides.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import peak_rss

PYTHON_SIDE = r'''
import sys
import numpy as np, pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score
from sklearn.preprocessing import StandardScaler
path, mode, out = sys.argv[1], sys.argv[2], sys.argv[3]
table = pd.read_csv(path)
X = StandardScaler().fit_transform(table.drop(columns=["id"]).to_numpy())
if mode == "fixed":
    labels = KMeans(n_clusters=8, n_init=10, random_state=0).fit(X).labels_
else:
    best = None
    sample = min(10000, X.shape[0])
    for k in range(2, 11):
        labels_k = KMeans(n_clusters=k, n_init=10, random_state=0).fit(X).labels_
        s = silhouette_score(X, labels_k, sample_size=sample, random_state=0)
        davies_bouldin_score(X, labels_k)
        calinski_harabasz_score(X, labels_k)
        if best is None or s > best[0]:
            best = (s, labels_k)
    labels = best[1]
pd.DataFrame({"id": table["id"], "segment": labels}).to_csv(out, index=False)
'''


def timed(command):
    """Wall seconds and peak resident MiB of one process (its own: started through peak_rss.py, so that
    this driver's peak, with the data it generated, is not lent to it)."""
    start = time.perf_counter()
    process, rss = peak_rss.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{process.stderr.decode()}")
    return seconds, rss / 1024.0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--segkit", required=True, help="path of the segkit tool")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=16)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--modes", default="fixed,auto",
                        help="fixed (--k 8), auto (--k auto), or both: fixed,auto (the default)")
    args = parser.parse_args()
    modes = args.modes.split(",")
    if any(mode not in ("fixed", "auto") for mode in modes):
        parser.error(f"--modes: {args.modes!r} is not fixed, auto or fixed,auto")

    with tempfile.TemporaryDirectory() as tmp:
        rng = np.random.RandomState(1)
        n, d, k = args.rows, args.features, 8
        centres = rng.uniform(-10, 10, size=(k, d))
        X = centres[rng.randint(k, size=n)] + rng.normal(size=(n, d))
        path = os.path.join(tmp, "customers.csv")
        with open(path, "w") as f:
            f.write("id," + ",".join(f"f{j}" for j in range(d)) + "\n")
            np.savetxt(f, np.column_stack([np.arange(n), X]), fmt=["%d"] + ["%.4f"] * d, delimiter=",")
        matrix_mib = n * d * 8 / 2**20
        print(f"{n} customers x {d} features ({os.path.getsize(path) / 2**20:.0f} MiB of CSV; "
              f"the n x d matrix is {matrix_mib:.0f} MiB in double); segkit: "
              f"{subprocess.run([args.segkit, '--version'], capture_output=True, text=True).stdout.strip()}")
        print()
        print("| job | segkit s | pandas + scikit-learn s | ratio | segkit peak MiB (x matrix) | pandas + scikit-learn peak MiB |")
        print("|---|---:|---:|---:|---:|---:|")
        for mode in modes:
            k_args = ["--k", "8"] if mode == "fixed" else ["--k", "auto", "--k-range", "2..10"]
            ours = [args.segkit, "segment", path, *k_args, "--n-init", "10", "--outliers", "keep", "--quiet",
                    "--out", os.path.join(tmp, "segkit_labels.csv")]
            theirs = [sys.executable, "-c", PYTHON_SIDE, path, mode, os.path.join(tmp, "sklearn_labels.csv")]
            a, b = [], []
            for _ in range(args.repetitions):
                a.append(timed(ours))
                b.append(timed(theirs))
            ta, tb = statistics.median(x[0] for x in a), statistics.median(x[0] for x in b)
            ma, mb = statistics.median(x[1] for x in a), statistics.median(x[1] for x in b)
            job = "--k 8 --n-init 10" if mode == "fixed" else "--k auto (2..10), --n-init 10"
            print(f"| {job} | {ta:.2f} | {tb:.2f} | {tb / ta:.2f} | {ma:.0f} ({ma / matrix_mib:.1f}) | {mb:.0f} |",
                  flush=True)


if __name__ == "__main__":
    main()
