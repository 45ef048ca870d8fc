#!/usr/bin/python3
"""Side-by-side Lloyd k-means: segkit against scikit-learn, Armadillo, OpenCV and FAISS.

Every peer gets the same data (Gaussian blobs written once per size as raw float64
and float32 files) and starts from the same k rows, with tol = 0, on 1 and on 2
threads, in float64 and float32 (OpenCV and FAISS: float32 only). Each peer runs
in a process of its own, once per repetition, in turn; each process makes these
fits, timed inside the process around the library call only:

  fit to the fixed point   at most --fit-max-iter iterations (300), stop when the
                           labels no longer change: its time and iterations;
  ms per iteration         --periter-fits fits (3) of at most --max-iter iterations
                           (20) each, after the fit to the fixed point: the median
                           of their times divided by the iterations they ran (so
                           that what only a process's first fits pay, such as
                           faulting in fresh memory, is not taken for the cost of
                           an iteration; the fit to the fixed point, the first,
                           pays it); before them, fits of at most --max-iter
                           iterations, untimed, until the process has fitted
                           for --warmup seconds (0.25) with the fixed-point fit
                           (the first milliseconds of a process's 2-thread fits
                           often ran at 1-thread speed on a 2-vCPU VM),

and the process's peak RSS is taken from its rusage (ru_maxrss, through peak_rss.py). Medians over the
repetitions are printed as one Markdown table per thread count and value type,
with "peer / segkit" ratios (above 1: segkit is faster). The final inertia of each
peer is recomputed here in float64 from the centres it returned (each row to its
nearest centre), so that all are computed alike and show that the peers did the
same work. A roofline of one Lloyd iteration (bytes of X over the measured
bandwidth against 2 n k d flops over the measured FMA peak) closes the output.

Normally started by benchmarks/compare/run.sh, which installs the peers and builds
the programs; see benchmarks/compare/README.md.

    /usr/bin/python3 benchmarks/compare/run.py --build-dir build-bench [--quick] [--sizes 1,3]
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

import peak_rss

SIZES = [  # (n, d, k)
    (100_000, 8, 8),
    (1_000_000, 16, 8),
    (1_000_000, 16, 64),
    (200_000, 64, 32),
]
PEERS = ["segkit", "scikit-learn", "Armadillo", "OpenCV", "FAISS"]
FLOAT32_ONLY = {"OpenCV", "FAISS"}
PROGRAMS = {"segkit": "segkit_lloyd", "Armadillo": "armadillo_kmeans", "OpenCV": "opencv_kmeans"}
TYPES = ["float64", "float32"]
SHORT = {"float64": "f64", "float32": "f32"}


# --------------------------------------------------------------------------- workers
# The Python peers run in a child process of their own (run.py --worker NAME ...),
# with the same arguments and output as the C++ programs (see common.hpp).

def warm_up(spent, fit):
    """Runs fit() until spent (the fixed-point fit's seconds) and its runs add up to
    COMPARE_WARMUP_SECONDS (as common.hpp's warm_up: 0.25 unless set)."""
    goal = float(os.environ.get("COMPARE_WARMUP_SECONDS", "0.25"))
    while spent < goal:
        spent += fit()[0]


def worker(argv):
    import numpy as np
    import threadpoolctl

    name = argv[0]
    x_path, c_path, n, d, k, vtype, threads, m, periter_fits, max_iter, out_path = argv[1:12]
    n, d, k, threads, m, max_iter = int(n), int(d), int(k), int(threads), int(m), int(max_iter)
    periter_fits = int(periter_fits)
    dtype = np.float32 if vtype == "f32" else np.float64
    X = np.fromfile(x_path, dtype=dtype).reshape(n, d)
    C0 = np.fromfile(c_path, dtype=dtype).reshape(k, d)

    if name == "sklearn":
        import warnings
        import sklearn
        from sklearn.cluster import KMeans
        warnings.simplefilter("ignore")

        def fit(iterations):
            start = time.perf_counter()
            km = KMeans(n_clusters=k, init=C0, n_init=1, max_iter=iterations, tol=0.0, algorithm="lloyd").fit(X)
            return time.perf_counter() - start, km.n_iter_, km.inertia_, km.cluster_centers_

        # threadpoolctl sets both of scikit-learn's thread pools: OpenMP (the Lloyd loop) and BLAS.
        with threadpoolctl.threadpool_limits(limits=threads):
            fixed = fit(max_iter)
            warm_up(fixed[0], lambda: fit(m))
            short = [fit(m) for _ in range(periter_fits)]
            pools = ", ".join(f"{p['internal_api']} {p['num_threads']}" for p in threadpoolctl.threadpool_info())
        info = f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, threads: {pools}"
    elif name == "faiss":
        import faiss
        niter_fixed = int(argv[12])  # FAISS has no stopping rule: run.py passes the fixed point's count

        def fit(iterations):
            km = faiss.Kmeans(d, k, niter=iterations, verbose=False, spherical=False, seed=1234, nredo=1,
                              min_points_per_centroid=1, max_points_per_centroid=n)  # never subsample
            start = time.perf_counter()
            km.train(X, init_centroids=C0)
            return time.perf_counter() - start, iterations, float(km.obj[-1]), km.centroids

        faiss.omp_set_num_threads(threads)
        with threadpoolctl.threadpool_limits(limits=threads):  # the BLAS of IndexFlatL2's search
            fixed = fit(niter_fixed)
            warm_up(fixed[0], lambda: fit(m))
            short = [fit(m) for _ in range(periter_fits)]
            pools = ", ".join(f"{p['internal_api']} {p['num_threads']}" for p in threadpoolctl.threadpool_info())
        info = f"faiss {faiss.__version__}, faiss.omp_get_max_threads() = {faiss.omp_get_max_threads()}, {pools}"
    else:
        raise SystemExit(f"unknown worker {name}")

    np.ascontiguousarray(fixed[3], dtype=dtype).tofile(out_path)
    print(f"fixed {fixed[0]:.9f} {fixed[1]} {fixed[2]:.17g}")
    for s in short:
        print(f"periter {s[0]:.9f} {s[1]} {s[2]:.17g}")
    print(f"info {info}")


# --------------------------------------------------------------------------- driver

def child_env(threads, omp_wait_policy="passive", warmup=0.25):
    env = dict(os.environ)
    env["COMPARE_WARMUP_SECONDS"] = repr(warmup)
    # Set in this sandbox to work around old OpenBLAS bugs; they select a slower kernel.
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    if omp_wait_policy in ("passive", "active"):
        env["OMP_WAIT_POLICY"] = omp_wait_policy.upper()
    return env


def run_child(cmd, env):
    """Runs cmd; returns its stdout and its peak RSS in KiB (its own: started through peak_rss.py, so that
    this driver's peak, with the data it holds, is not lent to it)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc, rss = peak_rss.run(cmd, stdout=out, stderr=err, env=env)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stdout}\n{stderr}")
    return stdout, rss


def parse_output(stdout):
    """The fits a peer's process reports: {"fixed": fit, "periter": [fit, ...]}, each fit (seconds,
    iterations, inertia); and its info line."""
    fits, info = {"periter": []}, ""
    for line in stdout.splitlines():
        fields = line.split()
        if fields and fields[0] in ("fixed", "periter"):
            fit = (float(fields[1]), int(fields[2]), float(fields[3]))
            if fields[0] == "fixed":
                fits["fixed"] = fit
            else:
                fits["periter"].append(fit)
        elif fields and fields[0] == "info":
            info = line[5:]
    if "fixed" not in fits or not fits["periter"]:
        raise RuntimeError(f"no fixed and periter lines in the output:\n{stdout}")
    return fits, info


def blobs(n, d, k, seed):
    import numpy as np
    rng = np.random.RandomState(seed)
    centres = rng.uniform(-10, 10, size=(k, d))
    labels = rng.randint(k, size=n)
    return centres[labels] + rng.normal(size=(n, d))


def nearest(X, C, chunk=1 << 16):
    """Each row's nearest centre and the float64 sum of the squared distances to it."""
    import numpy as np
    cc = (C * C).sum(axis=1)
    labels = np.empty(len(X), dtype=np.int64)
    total = 0.0
    for b in range(0, len(X), chunk):
        xb = X[b:b + chunk]
        lab = np.argmin(cc[None, :] - 2.0 * (xb @ C.T), axis=1)
        labels[b:b + chunk] = lab
        total += float(((xb - C[lab]) ** 2).sum())  # exact, not expanded
    return labels, total


def parse_sizes(spec, quick):
    sizes = []
    for token in spec.split(","):
        token = token.strip()
        if "x" in token:
            sizes.append(tuple(int(v) for v in token.lower().split("x")))
        else:
            sizes.append(SIZES[int(token) - 1])
    if quick:
        sizes = [(n // 10, d, k) for n, d, k in sizes]
    return sizes


def machine_peaks(build_dir, quick):
    """Triad bandwidth (GB/s) and FMA peak (GFLOP/s) per thread count, from the two small programs."""
    bench = os.path.join(build_dir, "benchmarks")
    env = child_env(1)
    out, _ = run_child([os.path.join(bench, "stream_triad"), "128" if quick else "256", "5" if quick else "10", "2"],
                       env)
    bandwidth = {int(f[1]): float(f[2]) for f in (l.split() for l in out.splitlines()) if f and f[0] == "bandwidth"}
    out, _ = run_child([os.path.join(bench, "fma_peak"), "20" if quick else "40", "3", "2"], env)
    peak = {}
    for f in (l.split() for l in out.splitlines()):
        if f and f[0] == "fma":
            peak[("float32" if f[1] == "float" else "float64", int(f[2]))] = float(f[3])
    return bandwidth, peak


def fmt_ms(seconds):
    ms = seconds * 1e3
    return f"{ms:.3g}" if ms < 100 else f"{ms:.0f}"


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2:])
        return

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", default="build-bench", help="CMake build directory of the programs")
    parser.add_argument("--sizes", default="1,2,3,4",
                        help="sizes by number (1-4: " + ", ".join("x".join(map(str, s)) for s in SIZES) +
                             ") or as NxDxK, comma-separated")
    parser.add_argument("--repetitions", type=int, default=None, help="runs per peer and configuration (5; --quick: 1)")
    parser.add_argument("--quick", action="store_true", help="smoke run: n / 10, 1 repetition, shorter machine peaks")
    parser.add_argument("--max-iter", type=int, default=20, help="iterations of the ms-per-iteration fits (M)")
    parser.add_argument("--periter-fits", type=int, default=3,
                        help="ms-per-iteration fits per process (R), after the fit to the fixed point; the "
                             "process's figure is their median")
    parser.add_argument("--warmup", type=float, default=0.25,
                        help="seconds each process fits, untimed after the fixed-point fit, before the timed ones")
    parser.add_argument("--fit-max-iter", type=int, default=300, help="max_iter of the fit to the fixed point")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--types", default="float64,float32")
    parser.add_argument("--peers", default=",".join(PEERS))
    parser.add_argument("--omp-wait-policy", choices=("passive", "active", "default"), default="passive",
                        help="OMP_WAIT_POLICY of the peers (passive: idle OpenMP threads sleep instead of "
                             "spinning; 'default' leaves it unset)")
    parser.add_argument("--json", metavar="PATH", help="also write the raw results here")
    parser.add_argument("--no-install", action="store_true", help="(for run.sh; ignored here)")
    args = parser.parse_args()
    if args.periter_fits < 1:
        parser.error("--periter-fits must be at least 1")

    # This driver's own numpy (the data, the inertia of each peer's centres) on one thread: OpenBLAS's
    # threads spin for a while after each call, and on 2 cores they took the cores from the next peer's
    # fits (segkit's float32 fit at 1,000,000 x 16 x 8: 30 ms instead of 23). The peers get their
    # thread counts from child_env.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    import numpy as np

    repetitions = args.repetitions or (1 if args.quick else 5)
    sizes = parse_sizes(args.sizes, args.quick)
    thread_counts = [int(t) for t in args.threads.split(",")]
    types = [t for t in args.types.split(",") if t in TYPES]
    peers = [p for p in PEERS if p in args.peers.split(",")]
    bench = os.path.join(args.build_dir, "benchmarks")
    for peer in list(peers):
        if peer in PROGRAMS and not os.access(os.path.join(bench, PROGRAMS[peer]), os.X_OK):
            print(f"note: {PROGRAMS[peer]} is not built in {bench}: {peer} is left out", file=sys.stderr)
            peers.remove(peer)
    if "segkit" not in peers:
        raise SystemExit("segkit_lloyd is needed (it is the reference of every ratio)")
    me = os.path.abspath(__file__)

    started = time.strftime("%Y-%m-%d %H:%M:%S")
    load_start = os.getloadavg()
    print(f"# Lloyd k-means side by side ({started}, {'quick run, ' if args.quick else ''}"
          f"{repetitions} repetition(s), medians)\n", flush=True)
    print("Measuring the machine (stream_triad, fma_peak)...", file=sys.stderr, flush=True)
    bandwidth, peak = machine_peaks(args.build_dir, args.quick)

    runs, infos = [], {}
    with tempfile.TemporaryDirectory(prefix="segkit-compare-") as tmp:
        for (n, d, k) in sizes:
            size = f"{n}x{d}x{k}"
            X64 = blobs(n, d, k, seed=1)
            rows = np.random.RandomState(2).choice(n, k, replace=False)
            data = {}
            for vtype in types:
                X = X64.astype(np.float32) if vtype == "float32" else X64
                x_path, c_path = os.path.join(tmp, f"X.{vtype}"), os.path.join(tmp, f"C0.{vtype}")
                X.tofile(x_path)
                X[rows].tofile(c_path)
                X_as64 = X.astype(np.float64)
                data[vtype] = (x_path, c_path, X_as64)
            # Written back to disk now, not by the kernel (about 30 s after the write) in the middle of
            # a peer's fits.
            os.sync()
            if "OpenCV" in peers and "float32" in data:
                # OpenCV starts from labels: each row's nearest initial centre, in float64.
                _, _, X_as64 = data["float32"]
                labels0, _ = nearest(X_as64, X_as64[rows])
                labels0.astype(np.int32).tofile(os.path.join(tmp, "L0.int32"))
            opencv_iterations = 0  # the fixed point's count, found by opencv_kmeans on its first run
            for vtype in types:
                x_path, c_path, X_as64 = data[vtype]
                reference_iterations = None  # segkit's fixed-point count, for FAISS and OpenCV
                for threads in thread_counts:
                    env = child_env(threads, args.omp_wait_policy, args.warmup)
                    for rep in range(repetitions):
                        for peer in peers:
                            if vtype == "float64" and peer in FLOAT32_ONLY:
                                continue
                            out_path = os.path.join(tmp, "centres.out")
                            common = [x_path, c_path, str(n), str(d), str(k), SHORT[vtype], str(threads),
                                      str(args.max_iter), str(args.periter_fits), str(args.fit_max_iter), out_path]
                            if peer == "segkit" or peer == "Armadillo":
                                cmd = [os.path.join(bench, PROGRAMS[peer])] + common
                            elif peer == "OpenCV":
                                cmd = [os.path.join(bench, PROGRAMS[peer])] + common + [
                                    os.path.join(tmp, "L0.int32"), str(opencv_iterations),
                                    str(reference_iterations or 0)]
                            elif peer == "scikit-learn":
                                cmd = [sys.executable, me, "--worker", "sklearn"] + common
                            else:
                                cmd = [sys.executable, me, "--worker", "faiss"] + common + [
                                    str(reference_iterations or args.fit_max_iter)]
                            print(f"  {size} {vtype} {threads} thread(s) rep {rep + 1}: {peer}", file=sys.stderr,
                                  flush=True)
                            stdout, rss = run_child(cmd, env)
                            fits, info = parse_output(stdout)
                            infos[peer] = info
                            centres = np.fromfile(out_path, dtype=np.float32 if vtype == "float32" else np.float64)
                            _, inertia = nearest(X_as64, centres.reshape(k, d).astype(np.float64))
                            fixed, shorts = fits["fixed"], fits["periter"]
                            periter_ms = [1e3 * s[0] / s[1] for s in shorts]
                            if peer == "segkit" and reference_iterations is None:
                                reference_iterations = fixed[1]
                            if peer == "OpenCV":
                                opencv_iterations = fixed[1]
                            runs.append(dict(size=size, n=n, d=d, k=k, type=vtype, threads=threads, peer=peer,
                                             repetition=rep + 1, fit_seconds=fixed[0], fit_iterations=fixed[1],
                                             own_inertia=None if fixed[2] != fixed[2] else fixed[2],
                                             inertia=inertia,
                                             periter_fit_seconds=[s[0] for s in shorts],
                                             periter_iterations=statistics.median(s[1] for s in shorts),
                                             periter_ms_each=periter_ms,
                                             ms_per_iteration=statistics.median(periter_ms), peak_rss_kib=rss))

    # ----------------------------------------------------------------- medians and tables
    def median_of(rows, key):
        return statistics.median(r[key] for r in rows)

    medians = []
    for (n, d, k) in sizes:
        size = f"{n}x{d}x{k}"
        for vtype in types:
            for threads in thread_counts:
                for peer in peers:
                    rows = [r for r in runs if r["size"] == size and r["type"] == vtype and r["threads"] == threads
                            and r["peer"] == peer]
                    if not rows:
                        continue
                    medians.append(dict(size=size, n=n, d=d, k=k, type=vtype, threads=threads, peer=peer,
                                        **{key: median_of(rows, key) for key in
                                           ("ms_per_iteration", "periter_iterations", "fit_seconds",
                                            "fit_iterations", "peak_rss_kib", "inertia")}))

    def find(size, vtype, threads, peer):
        for m in medians:
            if (m["size"], m["type"], m["threads"], m["peer"]) == (size, vtype, threads, peer):
                return m
        return None

    for threads in thread_counts:
        for vtype in types:
            print(f"\n## {vtype}, {threads} thread{'s' if threads > 1 else ''}\n")
            print(f"| n × d × k | peer | ms / iter | iter (≤ {args.max_iter}) | fit ms | fit iter | peak RSS MiB "
                  "| inertia (f64) | vs segkit | ms/iter peer / segkit | fit peer / segkit |")
            print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            for (n, d, k) in sizes:
                size = f"{n}x{d}x{k}"
                ref = find(size, vtype, threads, "segkit")
                for peer in peers:
                    m = find(size, vtype, threads, peer)
                    if m is None or ref is None:
                        continue
                    rel = (m["inertia"] - ref["inertia"]) / ref["inertia"]
                    print(f"| {n:,} × {d} × {k} | {peer} | {m['ms_per_iteration']:.3g} | "
                          f"{m['periter_iterations']:g} | {fmt_ms(m['fit_seconds'])} | {m['fit_iterations']:g} | "
                          f"{m['peak_rss_kib'] / 1024:.0f} | {m['inertia']:.10g} | {rel:+.1e} | "
                          f"{m['ms_per_iteration'] / ref['ms_per_iteration']:.2f} | "
                          f"{m['fit_seconds'] / ref['fit_seconds']:.2f} |")

    # ----------------------------------------------------------------- roofline
    print("\n## Roofline of one Lloyd iteration\n")
    print("Machine: triad bandwidth " + ", ".join(f"{bandwidth[t]:.1f} GB/s ({t} thread{'s' if t > 1 else ''})"
                                                  for t in sorted(bandwidth)) +
          "; FMA peak " + ", ".join(f"{v:.0f} GFLOP/s ({t}, {th} thr.)" for (t, th), v in sorted(peak.items())) + ".")
    print("Bound = max(n d sizeof(T) / bandwidth, 2 n k d / peak), for the same thread count; "
          "'segkit % of bound' = bound / segkit's ms per iteration.\n")
    print("| n × d × k | type | threads | X MB | memory ms | compute ms | bound ms | segkit ms / iter "
          "| segkit % of bound |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    roofline = []
    for (n, d, k) in sizes:
        size = f"{n}x{d}x{k}"
        for vtype in types:
            for threads in thread_counts:
                ref = find(size, vtype, threads, "segkit")
                if ref is None or threads not in bandwidth or (vtype, threads) not in peak:
                    continue
                x_bytes = n * d * (4 if vtype == "float32" else 8)
                memory_ms = x_bytes / (bandwidth[threads] * 1e9) * 1e3
                compute_ms = 2 * n * k * d / (peak[(vtype, threads)] * 1e9) * 1e3
                bound = max(memory_ms, compute_ms)
                roofline.append(dict(size=size, type=vtype, threads=threads, x_bytes=x_bytes, memory_ms=memory_ms,
                                     compute_ms=compute_ms, bound_ms=bound,
                                     segkit_ms_per_iteration=ref["ms_per_iteration"]))
                print(f"| {n:,} × {d} × {k} | {vtype} | {threads} | {x_bytes / 1e6:.1f} | {memory_ms:.3g} | "
                      f"{compute_ms:.3g} | {bound:.3g} | {ref['ms_per_iteration']:.3g} | "
                      f"{100 * bound / ref['ms_per_iteration']:.0f} % |")

    # ----------------------------------------------------------------- notes
    load_end = os.getloadavg()
    print("\n## Notes\n")
    print(f"- Load average at start / end: {load_start[0]:.2f} / {load_end[0]:.2f} (on {os.cpu_count()} cores); "
          "another job's load inflates the 2-thread rows most.")
    print(f"- ms / iter: the median, over the {args.periter_fits} fits of at most M iterations that a process "
          f"makes after its fit to the fixed point and {args.warmup:g} s of untimed fits (with the first), of "
          "each fit's time divided by the iterations it ran; then "
          "the median over the repetitions. A fit that reaches its fixed point earlier spreads its per-call "
          "setup over fewer iterations. What only a process's first fits pay (faulting in fresh memory, which "
          "the C library's allocator may or may not keep between fits) is in 'fit ms', the process's first "
          "fit. All fits are timed "
          "inside the peer's process around the library call; peak RSS is the whole process's (for the "
          "Python peers it includes the interpreter and its modules).")
    print("- Inertia (f64): every peer's final centres, each row to its nearest centre, summed in float64 by "
          "run.py over the data the peer saw; 'vs segkit' is the relative difference. More than rounding "
          "(with other iteration counts): the peer left the common path, mostly at an empty cluster, which "
          "each library refills its own way (scikit-learn and segkit: the farthest rows; OpenCV: the "
          "farthest row of the biggest cluster; FAISS: splits a big cluster; Armadillo: the last row of a "
          "live cluster), or by float32 rounding.")
    if "OpenCV" in peers:
        print("- OpenCV takes no initial centres: it gets the labels of each row's nearest initial centre "
              "(KMEANS_USE_INITIAL_LABELS), so its first centres are the means of those labels, which are "
              "Lloyd's centres after one iteration from C0 (up to the rounding of OpenCV's float sums); after "
              "m iterations it holds Lloyd's centres after m iterations. The difference: that first assignment (to C0) is done by run.py, "
              "untimed, and OpenCV's last iteration computes no new labels. Criteria COUNT+EPS with epsilon 0 "
              "(stop when no centre moves). cv::kmeans does not report its iteration count: opencv_kmeans "
              "finds it once, untimed, as the smallest COUNT-only run that reproduces the same centres bit "
              "for bit, plus one.")
    if "FAISS" in peers:
        print("- FAISS has no convergence test: its fit to the fixed point runs exactly segkit's fixed-point "
              "iteration count (niter = that, same type), and its inertia shows whether it got to the same "
              "centres; max_points_per_centroid = n, so it never subsamples.")
    if "Armadillo" in peers:
        print("- Armadillo's kmeans stops after n_iter iterations or when the mean squared centre shift falls to "
              "machine epsilon; its iteration count is read from its own progress lines (print_mode = true, "
              "captured). It is parallel only when the program is compiled with OpenMP (as here).")
    print(f"- OMP_WAIT_POLICY={args.omp_wait_policy} for every peer (--omp-wait-policy). With libgomp's default, "
          "idle OpenMP threads spin: on 2 cores they starve OpenBLAS's threads inside FAISS, and any core "
          "taken by another job stalls every parallel region (FAISS 100k x 16 x 8, 2 threads, loaded "
          "machine: 278 ms/iter spinning, 6 ms/iter passive). segkit does not use OpenMP.")
    if "scikit-learn" in peers:
        print("- scikit-learn: KMeans(init=C0, n_init=1, tol=0, algorithm='lloyd'), default copy_x=True "
              "(fit copies and centres X); threads set with threadpoolctl (OpenMP and BLAS).")
    print("\nVersions and threads, as the peers report them:\n")
    for peer in peers:
        print(f"- {peer}: {infos.get(peer, '?')}")

    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(started=started, load_average_start=load_start, load_average_end=load_end,
                           settings=dict(sizes=[list(s) for s in sizes], repetitions=repetitions,
                                         max_iter=args.max_iter, periter_fits=args.periter_fits,
                                         fit_max_iter=args.fit_max_iter, warmup=args.warmup,
                                         threads=thread_counts, types=types, peers=peers, quick=args.quick,
                                         omp_wait_policy=args.omp_wait_policy),
                           machine=dict(bandwidth_gb_s={str(t): v for t, v in bandwidth.items()},
                                        fma_peak_gflop_s={f"{t},{th}": v for (t, th), v in peak.items()}),
                           peer_info=infos, runs=runs, medians=medians, roofline=roofline), f, indent=1)
        print(f"\nRaw results: {args.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
