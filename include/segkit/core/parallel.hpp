#pragma once
// Deterministic chunked parallelism.
//
// Work is cut into chunks whose size never depends on the thread count, and
// whatever a chunk produces is merged by the caller in chunk order, so the
// result is bit-identical for 1, 2 or all threads.

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <numeric>
#include <system_error>
#include <thread>
#include <vector>

#include "segkit/core/comm.hpp"

namespace segkit::detail {

inline std::size_t resolve_threads(std::size_t requested) {
  if (requested != 0) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : hw;
}

inline std::size_t chunk_count(std::size_t n, std::size_t chunk) { return (n + chunk - 1) / chunk; }

/// Rows per partial sum over the rows of a matrix: fixed by n alone (never by the
/// thread count, nor by how rows are spread over processes), and at most ~256 chunks
/// so the partial sums stay small. Every sum over rows that must be the same for any
/// thread count and any spread (core/comm.hpp) is cut in these chunks.
inline std::size_t sum_chunk_rows(std::size_t n) { return std::max<std::size_t>(4096, (n + 255) / 256); }

/// Below about a million multiply-adds one thread is faster than starting
/// threads (~0.1 ms; benchmarks: n = 1e4, d = 2, k = 2). Results are the same either way.
inline std::size_t threads_for(std::size_t work, std::size_t threads) {
  return work < (std::size_t{1} << 20) ? 1 : threads;
}

/// Calls body(c) for every c in [0, n_chunks) on up to `threads` threads.
/// The first exception thrown by any chunk is rethrown on the caller's thread.
template <class Body>
void parallel_for(std::size_t n_chunks, std::size_t threads, Body&& body) {
  threads = std::min(resolve_threads(threads), n_chunks);
  if (threads <= 1) {
    for (std::size_t c = 0; c < n_chunks; ++c) body(c);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto work = [&] {
    for (;;) {
      const std::size_t c = next.fetch_add(1, std::memory_order_relaxed);
      if (c >= n_chunks) return;
      try {
        body(c);
      } catch (...) {
        const std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        next.store(n_chunks, std::memory_order_relaxed);  // stop handing out work
      }
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  // A thread the system refuses (a process limit, no memory for its stack) leaves the
  // work to the threads that exist: chunks are handed out, not assigned, so the result
  // is the same. Unjoined, the threads already started would end the program.
  try {
    for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  } catch (const std::system_error&) {
  }
  work();
  for (auto& th : pool) th.join();
  if (failure) std::rethrow_exception(failure);
}

/// Sums body(begin, end) over rows [0, n) cut into chunks of `chunk` rows, on
/// up to `threads` threads, adding the partial sums in chunk order.
template <class Body>
double chunked_sum(std::size_t n, std::size_t chunk, std::size_t threads, Body&& body) {
  const std::size_t n_chunks = chunk_count(n, chunk);
  std::vector<double> partial(n_chunks);
  parallel_for(n_chunks, threads, [&](std::size_t c) {
    const std::size_t begin = c * chunk;
    partial[c] = body(begin, std::min(n, begin + chunk));
  });
  return std::accumulate(partial.begin(), partial.end(), 0.0);
}

/// Per-chunk, per-feature sums over the rows of a row-major n x d matrix: M sums per
/// feature of term(x_ij as double, j) (an std::array<double, M>), each over one chunk of
/// `chunk` rows (the first starting at row 0) added in row order: one pass over the
/// rows however many sums. Returns n_chunks x d x M sums, flat: [(c * d + j) * M + m]
/// (blocks of d x M, as fold_chunks adds them).
template <std::size_t M, class T, class Term>
std::vector<double> feature_chunk_sums(const T* data, std::size_t n, std::size_t d, std::size_t chunk,
                                       std::size_t threads, Term&& term) {
  const std::size_t n_chunks = chunk_count(n, chunk);
  std::vector<double> partial(n_chunks * d * M, 0.0);
  parallel_for(n_chunks, n * d < (std::size_t{1} << 20) ? 1 : threads, [&](std::size_t c) {
    double* sum = partial.data() + c * d * M;
    for (std::size_t i = c * chunk, e = std::min(n, i + chunk); i < e; ++i) {
      const T* x = data + i * d;
      for (std::size_t j = 0; j < d; ++j) {
        const std::array<double, M> t = term(static_cast<double>(x[j]), j);
        for (std::size_t m = 0; m < M; ++m) sum[j * M + m] += t[m];
      }
    }
  });
  return partial;
}

/// feature_chunk_sums over chunks of sum_chunk_rows(n) rows, the chunks' sums added in
/// chunk order: the same numbers for any thread count. Small matrices stay on one
/// thread. Returns the sums feature by feature: [j][m].
template <std::size_t M, class T, class Term>
std::vector<std::array<double, M>> feature_sums(const T* data, std::size_t n, std::size_t d, std::size_t threads,
                                                Term&& term) {
  const std::vector<double> total = fold_chunks(
      SerialComm{}, feature_chunk_sums<M>(data, n, d, sum_chunk_rows(n), threads, std::forward<Term>(term)), d * M);
  std::vector<std::array<double, M>> out(d);
  for (std::size_t j = 0; j < d; ++j)
    for (std::size_t m = 0; m < M; ++m) out[j][m] = total[j * M + m];
  return out;
}

}  // namespace segkit::detail
