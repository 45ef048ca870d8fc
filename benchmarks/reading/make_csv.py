#!/usr/bin/python3
"""Writes a customer-like CSV for the reading benchmark: an integer id column and D numeric columns.

usage: make_csv.py OUT.csv [ROWS=1000000] [D=16] [SEED=0]
Columns are blobs around 8 centres with mixed scales, written with 6 significant digits
(as an export from a spreadsheet or a database would); LF line ends, no quoting.
"""
import sys

import numpy as np

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
d = int(sys.argv[3]) if len(sys.argv) > 3 else 16
rng = np.random.default_rng(int(sys.argv[4]) if len(sys.argv) > 4 else 0)
centres = rng.normal(0, 10, size=(8, d))
scales = 10.0 ** rng.integers(-1, 4, size=d)
X = (centres[rng.integers(0, 8, size=n)] + rng.normal(0, 2, size=(n, d))) * scales
header = "customer_id," + ",".join(f"f{j + 1}" for j in range(d))
ids = np.arange(1, n + 1).reshape(-1, 1)
np.savetxt(out, np.hstack([ids, X]), delimiter=",", header=header, comments="",
           fmt=["%d"] + ["%.6g"] * d)
