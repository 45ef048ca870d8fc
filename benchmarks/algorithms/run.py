#!/usr/bin/python3
"""segkit's Gaussian mixture, Ward and DBSCAN against scikit-learn's, side by side in one run
on the same data (benchmarks/algorithms/run.sh builds segkit's program and calls this).

    run.py SEGKIT_PROGRAM THREADS [REPEATS]

Each task runs REPEATS times (default 3) per library, alternating, on one generated dataset
(blobs, seed 0); the table gives the median seconds and the ratio scikit-learn / segkit.
scikit-learn runs with OMP_NUM_THREADS and OPENBLAS_NUM_THREADS = THREADS, segkit with
THREADS threads. Both do the same work: GaussianMixture and segkit::GaussianMixture 20 EM
iterations (tol 0) from a k-means start; AgglomerativeClustering(linkage="ward") and
segkit::agglomerate + cut at 8; DBSCAN(eps=0.05, min_samples=10) and segkit::dbscan.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

threads = sys.argv[2]
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = threads

import numpy as np
from sklearn.cluster import DBSCAN, AgglomerativeClustering
from sklearn.mixture import GaussianMixture

program, repeats = sys.argv[1], int(sys.argv[3]) if len(sys.argv) > 3 else 3


def blobs(n, d, k, seed=0, spread=1.0):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-5, 5, (k, d))
    return np.ascontiguousarray(centres[rng.integers(0, k, n)] + rng.normal(0, spread, (n, d)))


def sklearn_run(task, X):
    start = time.perf_counter()
    if task.startswith("gmm"):
        GaussianMixture(8, covariance_type=task[4:], tol=0, max_iter=20, random_state=0).fit(X)
    elif task == "ward":
        AgglomerativeClustering(8, linkage="ward").fit(X)
    else:
        DBSCAN(eps=0.05, min_samples=10).fit(X)
    return time.perf_counter() - start


def segkit_run(task, path, X):
    out = subprocess.run([program, task, path, str(X.shape[0]), str(X.shape[1]), threads],
                         check=True, capture_output=True, text=True).stdout
    return float(out.split()[0])


tasks = [("gmm-full", blobs(100_000, 8, 8)), ("gmm-diag", blobs(100_000, 8, 8)),
         ("ward", blobs(20_000, 16, 8)), ("dbscan", blobs(1_000_000, 2, 8, spread=0.5))]
print(f"{threads} thread(s), {repeats} runs each, median seconds")
print(f"{'task':10} {'rows x cols':>14} {'segkit':>9} {'scikit-learn':>13} {'ratio':>7}")
import warnings
warnings.filterwarnings("ignore")
with tempfile.TemporaryDirectory() as scratch:
    for task, X in tasks:
        path = os.path.join(scratch, "X.bin")
        X.tofile(path)
        ours, theirs = [], []
        for _ in range(repeats):
            ours.append(segkit_run(task, path, X))
            theirs.append(sklearn_run(task, X))
        a, b = statistics.median(ours), statistics.median(theirs)
        print(f"{task:10} {X.shape[0]:>8} x {X.shape[1]:<3} {a:9.3f} {b:13.3f} {b / a:6.2f}x", flush=True)
