#pragma once
// Deterministic chunked parallelism.
//
// Work is cut into chunks whose size never depends on the thread count, and
// whatever a chunk produces is merged by the caller in chunk order, so the
// result is bit-identical for 1, 2 or all threads.

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <cstddef>
#include <exception>
#include <mutex>
#include <numeric>
#include <system_error>
#include <thread>
#include <vector>

#include "segkit/core/comm.hpp"
#include "segkit/core/process_local.hpp"

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

/// Below about 2^18 multiply-adds one thread is as fast as handing chunks to a kept
/// thread (~7 us to wake it); above, two are faster: Lloyd fits on 2 threads of a Zen 4
/// VM, medians of 60, us per iteration, threshold 2^20 against 2^18: 8,192 x 8 x 4 (2^18)
/// 44.8 / 44.7, 20,000 x 8 x 4 144 / 102, 10,000 x 8 x 8 76.8 / 69.0, 40,000 x 2 x 4
/// 258 / 207 (at 2^17 some fits were 10 % slower). Results are the same either way.
inline std::size_t threads_for(std::size_t work, std::size_t threads) {
  return work < (std::size_t{1} << 18) ? 1 : threads;
}

/// Threads kept between parallel_for calls. Starting one costs ~40 us (2-vCPU Zen 4
/// VM), a seventh of a Lloyd pass at 100,000 x 8 x 8 on two threads, and it starts cold.
/// A call posts its job and works on it itself; idle pool threads join it, at most as
/// many as it asks for. The caller can do every chunk alone, so a pool with fewer
/// threads than asked for (the system refused some), a parallel_for inside a chunk, or
/// calls from several threads at once all finish, with the same results.
class WorkerPool {
 public:
  /// One parallel_for: `drain(context)` does chunks until none is left.
  struct Job {
    void (*drain)(void*);
    void* context;
    std::size_t wanted;                  // helpers it may still take
    std::atomic<std::size_t> active{0};  // helpers in drain (changed with the pool's mutex held)
  };

  /// The process's pool (a child of fork gets its own: the parent's threads are not in it).
  static WorkerPool& shared() { return process_local<WorkerPool>(); }

  /// Runs job.drain on this thread and on up to `helpers` pool threads; returns once all are out of it.
  void run(Job& job, std::size_t helpers) {
    bool posted = false;  // (job.wanted is the helpers' to change once posted)
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      grow(helpers);
      job.wanted = std::min(helpers, workers_);
      posted = job.wanted > 0;
      if (posted) {
        queue_.push_back(&job);
        queue_changed();
      }
    }
    if (posted) wake_.notify_all();
    job.drain(job.context);
    std::unique_lock<std::mutex> lock(mutex_);
    // Helpers that did not come in time are not needed: the chunks are all taken.
    const auto queued = std::find(queue_.begin(), queue_.end(), &job);
    if (queued != queue_.end()) {
      queue_.erase(queued);
      queue_changed();
    }
    if (job.active.load(std::memory_order_acquire) != 0) {
      // The helpers are on their last chunks: watched for a while, as serve() watches
      // the queue, rather than slept on (waking would take longer than what is left).
      lock.unlock();
      watch_for_a_while([&] { return job.active.load(std::memory_order_acquire) != 0; });
      lock.lock();
    }
    done_.wait(lock, [&] { return job.active.load(std::memory_order_relaxed) == 0; });
  }

 private:
  // With mutex_ held (a new thread waits for it before it looks at the queue).
  void grow(std::size_t wanted) {
    // A thread the system refuses (a process limit, no memory for its stack) leaves the
    // work to the threads that exist.
    try {
      for (; workers_ < wanted; ++workers_) std::thread([this] { serve(); }).detach();
    } catch (const std::system_error&) {
    }
  }

  void serve() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      if (queue_.empty()) {
        // Watch the queue a while before sleeping: an iterative caller (a Lloyd fit) posts
        // its next pass soon after the last, and a sleeping thread takes tens of
        // microseconds to wake on a VM, a share of a short pass it then misses.
        lock.unlock();
        watch_for_a_while([&] { return queued_.load(std::memory_order_acquire) == 0; });
        lock.lock();
      }
      wake_.wait(lock, [&] { return !queue_.empty(); });
      Job* job = queue_.front();
      if (--job->wanted == 0) {
        queue_.pop_front();
        queue_changed();
      }
      ++job->active;
      lock.unlock();
      job->drain(job->context);
      lock.lock();
      if (--job->active == 0) done_.notify_all();
    }
  }

  // With mutex_ held, after every change to queue_.
  void queue_changed() noexcept { queued_.store(queue_.size(), std::memory_order_release); }

  // Spins while still_waiting() holds, for at most spin_before_sleep.
  template <class Pred>
  static void watch_for_a_while(Pred&& still_waiting) noexcept {
    const auto until = std::chrono::steady_clock::now() + spin_before_sleep;
    while (still_waiting() && std::chrono::steady_clock::now() < until) pause();
  }

  static void pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }

  static constexpr std::chrono::microseconds spin_before_sleep{100};

  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::deque<Job*> queue_;              // jobs that still take helpers, oldest first
  std::atomic<std::size_t> queued_{0};  // queue_.size(), for threads that watch it unlocked
  std::size_t workers_ = 0;
};

/// Calls body(c) for every c in [0, n_chunks) on up to `threads` threads (the caller's
/// and the pool's). The first exception thrown by any chunk is rethrown on the caller's thread.
template <class Body>
void parallel_for(std::size_t n_chunks, std::size_t threads, Body&& body) {
  threads = std::min(resolve_threads(threads), n_chunks);
  if (threads <= 1) {
    for (std::size_t c = 0; c < n_chunks; ++c) body(c);
    return;
  }
  struct Shared {
    Body& body;
    std::size_t n_chunks;
    std::atomic<std::size_t> next{0};
    std::exception_ptr failure;
    std::mutex failure_mutex;
  } shared{body, n_chunks, {0}, {}, {}};
  const auto drain = [](void* context) {
    Shared& s = *static_cast<Shared*>(context);
    for (;;) {
      const std::size_t c = s.next.fetch_add(1, std::memory_order_relaxed);
      if (c >= s.n_chunks) return;
      try {
        s.body(c);
      } catch (...) {
        const std::lock_guard<std::mutex> lock(s.failure_mutex);
        if (!s.failure) s.failure = std::current_exception();
        s.next.store(s.n_chunks, std::memory_order_relaxed);  // stop handing out work
      }
    }
  };
  WorkerPool::Job job{drain, &shared, 0};
  WorkerPool::shared().run(job, threads - 1);
  if (shared.failure) std::rethrow_exception(shared.failure);
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
