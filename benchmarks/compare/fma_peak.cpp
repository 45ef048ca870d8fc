// Floating-point peak of this machine, for the roofline of run.py: many
// independent chains acc = acc * a + b of the widest vectors the compiler
// flags allow (compiled -O3 -march=native -ffp-contract=fast, so each is one
// FMA instruction), for float and double, on 1 and on 2 threads. A chain per
// FMA unit and latency cycle hides the latency; 16 (AVX-512, 32 registers) or
// 12 (AVX2, 16 registers) chains are more than Zen 4/5 or Intel cores need.
//
//   fma_peak [million iterations = 40] [repetitions = 3] [max threads = 2]
//
// Prints "fma <float|double> <threads> <GFLOP/s>" (an FMA counts 2 flops per lane).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "spin_barrier.hpp"

namespace {

#if defined(__AVX512F__)
constexpr int vector_bytes = 64, chains = 16;
#else
constexpr int vector_bytes = 32, chains = 12;
#endif

volatile double sink;

template <class T>
double chain_kernel(long iterations, T start) {
  typedef T V __attribute__((vector_size(vector_bytes)));
  V acc[chains];
  const T one_minus = T(1) - T(1) / T(1 << 20), step = T(1) / T(1 << 20);
  V a, b;
  for (int l = 0; l < vector_bytes / static_cast<int>(sizeof(T)); ++l) a[l] = one_minus, b[l] = step;
  for (int j = 0; j < chains; ++j)
    for (int l = 0; l < vector_bytes / static_cast<int>(sizeof(T)); ++l) acc[j][l] = start + T(j);
  for (long i = 0; i < iterations; ++i) {
#pragma GCC unroll 16
    for (int j = 0; j < chains; ++j) acc[j] = acc[j] * a + b;
  }
  V total = acc[0];
  for (int j = 1; j < chains; ++j) total += acc[j];
  return static_cast<double>(total[0]);
}

template <class T>
void measure(const char* name, long iterations, int repetitions, unsigned max_threads) {
  const double lanes = vector_bytes / static_cast<double>(sizeof(T));
  for (unsigned threads = 1; threads <= max_threads; ++threads) {
    double best = 1e300;
    // The workers synchronise by spinning and worker 0 keeps the time (see stream_triad.cpp).
    compare::SpinBarrier sync(threads);
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        for (int r = 0; r < repetitions; ++r) {
          sync.arrive_and_wait();
          const auto start = std::chrono::steady_clock::now();
          sink = chain_kernel<T>(iterations, static_cast<T>(t + 1));
          sync.arrive_and_wait();
          if (t == 0)
            best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        }
      });
    for (auto& th : pool) th.join();
    const double flops = 2.0 * lanes * chains * static_cast<double>(iterations) * threads;
    std::printf("fma %s %u %.3f\n", name, threads, flops / best / 1e9);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const long iterations = (argc > 1 ? std::stol(argv[1]) : 40) * 1000000L;
  const int repetitions = argc > 2 ? std::stoi(argv[2]) : 3;
  const unsigned max_threads = argc > 3 ? static_cast<unsigned>(std::stoul(argv[3])) : 2;
  std::printf("info %d-byte vectors, %d chains\n", vector_bytes, chains);
  measure<float>("float", iterations, repetitions, max_threads);
  measure<double>("double", iterations, repetitions, max_threads);
  return 0;
}
