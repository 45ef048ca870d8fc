// detail::parallel_for on the threads it keeps between calls (core/parallel.hpp): every
// chunk done once, results the same for any thread count, a chunk's exception rethrown
// to the caller, parallel_for inside a chunk, calls from many threads at once, and a
// fit in a child of fork. Built also under ThreadSanitizer by CI (.ci/run).

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#if defined(__unix__)
#include <sys/wait.h>
#include <unistd.h>
#endif

#include <segkit/cluster/lloyd.hpp>
#include <segkit/core/parallel.hpp>
#include <segkit/distance/squared_euclidean.hpp>

#include "../fixture.hpp"

namespace {

using segkit::detail::parallel_for;
using segkit::test::blobs;

/// How many times each chunk was run, after parallel_for over n chunks on `threads` threads.
std::vector<int> runs_per_chunk(std::size_t n, std::size_t threads) {
  std::vector<std::atomic<int>> runs(n);
  parallel_for(n, threads, [&](std::size_t c) { runs[c].fetch_add(1, std::memory_order_relaxed); });
  std::vector<int> out;
  for (auto& r : runs) out.push_back(r.load());
  return out;
}

segkit::Clustering<double> fit(const xt::xtensor<double, 2>& X, std::size_t threads) {
  xt::xtensor<double, 2> start = xt::empty<double>({std::size_t{6}, X.shape(1)});
  std::copy_n(X.data(), start.size(), start.data());
  return segkit::Lloyd{}.cluster(X, start, segkit::SquaredEuclidean{},
                                 segkit::Options{.max_iter = 50, .tol = 0.0, .threads = threads});
}

}  // namespace

TEST_CASE("parallel_for runs every chunk exactly once, on any thread count, call after call") {
  for (const std::size_t threads : {1, 2, 3, 8, 64})
    for (const std::size_t n : {1, 2, 7, 1000}) {
      CAPTURE(threads);
      CAPTURE(n);
      // Several calls in a row reuse the kept threads.
      for (int call = 0; call < 3; ++call) CHECK(runs_per_chunk(n, threads) == std::vector<int>(n, 1));
    }
}

TEST_CASE("parallel_for rethrows a chunk's exception on the caller and stays usable") {
  for (const std::size_t threads : {2, 4}) {
    std::atomic<int> after{0};
    CHECK_THROWS_WITH_AS(parallel_for(100, threads,
                                      [&](std::size_t c) {
                                        if (c == 37) throw std::runtime_error("chunk 37 failed");
                                        after.fetch_add(1, std::memory_order_relaxed);
                                      }),
                         "chunk 37 failed", std::runtime_error);
    CHECK(after.load() <= 99);
    CHECK(runs_per_chunk(50, threads) == std::vector<int>(50, 1));
  }
}

TEST_CASE("parallel_for inside a chunk, and from many threads at once, finishes with every chunk done") {
  // Nested: each outer chunk runs an inner parallel_for; the pool's threads may all be busy.
  std::vector<std::atomic<int>> inner(16 * 50);
  parallel_for(16, 4, [&](std::size_t outer) {
    parallel_for(50, 4, [&](std::size_t c) { inner[outer * 50 + c].fetch_add(1, std::memory_order_relaxed); });
  });
  for (auto& v : inner) CHECK(v.load() == 1);

  // Eight callers sharing the kept threads, each call checked.
  std::atomic<int> wrong{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 8; ++t)
    callers.emplace_back([&] {
      for (int call = 0; call < 20; ++call)
        if (runs_per_chunk(33, 3) != std::vector<int>(33, 1)) wrong.fetch_add(1);
    });
  for (auto& c : callers) c.join();
  CHECK(wrong.load() == 0);
}

TEST_CASE("a fit gives the same bits on 1, 2 and 8 threads, one after another and side by side") {
  const xt::xtensor<double, 2> X = blobs<double>(60000, 4, 6, 10, 3);
  const auto one = fit(X, 1);
  for (const std::size_t threads : {2, 8, 2}) {
    const auto many = fit(X, threads);
    CHECK(many.labels == one.labels);
    const bool same_centres = many.centers == one.centers;  // (a bool: printing tensors trips GCC 12's -Wrestrict)
    CHECK(same_centres);
    CHECK(many.inertia == one.inertia);
    CHECK(many.iterations == one.iterations);
  }
  std::vector<segkit::Clustering<double>> side(3);
  std::vector<std::thread> fits;
  for (std::size_t t = 0; t < side.size(); ++t) fits.emplace_back([&, t] { side[t] = fit(X, 2); });
  for (auto& f : fits) f.join();
  for (const auto& s : side) {
    CHECK(s.labels == one.labels);
    CHECK(s.inertia == one.inertia);
  }
}

// (ThreadSanitizer does not let a child of a threaded process start threads: there it is not run.)
#if defined(__unix__) && !defined(__SANITIZE_THREAD__)
TEST_CASE("a child of fork fits on threads of its own, with the parent's answer") {
  const xt::xtensor<double, 2> X = blobs<double>(60000, 4, 6, 10, 5);
  const auto parent = fit(X, 2);  // the parent's threads exist now; the child has none of them
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const auto again = fit(X, 2);
    _exit(again.labels == parent.labels && again.inertia == parent.inertia ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
#endif
