// Memory bandwidth of this machine, for the roofline of run.py: the STREAM
// triad a[i] = b[i] + s * c[i] on three arrays of doubles far larger than the
// caches, on 1 and on 2 threads (each thread touches its own slice first, so
// its pages sit where it runs). Bytes counted as STREAM does: 3 x 8 per element
// (the write-allocate read of a[] is not counted). Best of `repetitions`.
//
//   stream_triad [MiB per array = 256] [repetitions = 10] [max threads = 2]
//
// Prints "bandwidth <threads> <GB/s>" per thread count (GB = 1e9 bytes).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "spin_barrier.hpp"

int main(int argc, char** argv) {
  const std::size_t mib = argc > 1 ? std::stoul(argv[1]) : 256;
  const int repetitions = argc > 2 ? std::stoi(argv[2]) : 10;
  const unsigned max_threads = argc > 3 ? static_cast<unsigned>(std::stoul(argv[3])) : 2;
  const std::size_t n = mib * (std::size_t{1} << 20) / sizeof(double);
  // Uninitialised on purpose: the threads touch their own slices first.
  std::unique_ptr<double[]> a(new double[n]), b(new double[n]), c(new double[n]);
  const double s = 3.0;

  for (unsigned threads = 1; threads <= max_threads; ++threads) {
    double best = 1e300;
    // Only the workers synchronise (spinning), and worker 0 keeps the time: a
    // sleeping main thread woken late on a 2-core machine would time too little.
    compare::SpinBarrier sync(threads);
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        const std::size_t begin = n * t / threads, end = n * (t + 1) / threads;
        double* __restrict pa = a.get();
        const double* __restrict pb = b.get();
        const double* __restrict pc = c.get();
        for (std::size_t i = begin; i < end; ++i) a[i] = 0.0, b[i] = 1.0, c[i] = 2.0;
        for (int r = 0; r < repetitions; ++r) {
          sync.arrive_and_wait();  // start
          const auto start = std::chrono::steady_clock::now();
          for (std::size_t i = begin; i < end; ++i) pa[i] = pb[i] + s * pc[i];
          sync.arrive_and_wait();  // end
          if (t == 0)
            best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        }
      });
    for (auto& th : pool) th.join();
    std::printf("bandwidth %u %.3f\n", threads, 3.0 * sizeof(double) * static_cast<double>(n) / best / 1e9);
  }
  // Keep the stores: a checksum the compiler cannot drop.
  if (a[n / 2] != 1.0 + s * 2.0) std::fprintf(stderr, "stream_triad: wrong result %g\n", a[n / 2]);
  return 0;
}
