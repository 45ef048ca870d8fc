#!/usr/bin/python3
"""Side-by-side: segkit's Lloyd against scikit-learn's, in one run, on the same data.

Both start from the same centres with tol = 0 and the same max_iter, so both do
the same iterations (segkit reproduces scikit-learn's labels exactly; the
iteration counts are printed to show it). Each configuration is timed
`--repetitions` times per library, alternating, and the medians are compared.

    /usr/bin/python3 benchmarks/compare_sklearn.py --binary build-bench/benchmarks/compare_lloyd

Run it with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (see docs/performance.md):
they select a slower OpenBLAS kernel for scikit-learn.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.cluster import KMeans
import sklearn
import threadpoolctl

CONFIGS = [  # (n, d, k)
    (100_000, 2, 8),
    (100_000, 16, 8),
    (100_000, 64, 64),
    (1_000_000, 16, 8),
]


def blobs(n, d, k, seed):
    rng = np.random.RandomState(seed)
    centres = rng.uniform(-10, 10, size=(k, d))
    labels = rng.randint(k, size=n)
    return centres[labels] + rng.normal(size=(n, d))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True, help="path of the compare_lloyd program")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--max-iter", type=int, default=20)
    args = parser.parse_args()

    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
          f"threads: {threadpoolctl.threadpool_info()}", file=sys.stderr)
    print("| n | d | k | iterations (segkit / sklearn) | segkit median s | scikit-learn median s | sklearn / segkit |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n, d, k in CONFIGS:
            X = blobs(n, d, k, seed=1)
            init = X[np.random.RandomState(2).choice(n, k, replace=False)]
            x_path, c_path = os.path.join(tmp, "X.bin"), os.path.join(tmp, "C.bin")
            X.astype(np.float64).tofile(x_path)
            init.astype(np.float64).tofile(c_path)
            ours, theirs = [], []
            our_iter = their_iter = None
            for _ in range(args.repetitions):
                out = subprocess.run([args.binary, x_path, c_path, str(n), str(d), str(k), str(args.max_iter), "1"],
                                     check=True, capture_output=True, text=True).stdout.split()
                ours.append(float(out[0]))
                our_iter = int(out[1])
                start = time.perf_counter()
                km = KMeans(n_clusters=k, init=init, n_init=1, max_iter=args.max_iter, tol=0.0,
                            algorithm="lloyd").fit(X)
                theirs.append(time.perf_counter() - start)
                their_iter = km.n_iter_
            a, b = statistics.median(ours), statistics.median(theirs)
            print(f"| {n} | {d} | {k} | {our_iter} / {their_iter} | {a:.4f} | {b:.4f} | {b / a:.2f} |", flush=True)


if __name__ == "__main__":
    main()
