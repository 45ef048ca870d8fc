// Lloyd's k-means on Gaussian blobs, at one iteration's worth of work.
//
//   BM_AssignNearest   the assignment step alone (detail::assign_nearest): every
//                      row against every centre, the kernel that dominates a fit.
//   BM_AssignNearestProducts  the same by products (SquaredEuclidean::Method::products).
//   BM_LloydOneIter    the public call Lloyd{}.cluster(X, C0, SquaredEuclidean{},
//                      {.max_iter = 1}); besides one assignment and one centre
//                      update it checks the input, computes the per-feature
//                      variance that scales tol, reassigns once more so the
//                      labels match the returned centres, and sums the inertia.
//                      The gap between the two families is that fixed cost.
//
// items_per_second counts rows; FLOP counts 3 n k d per assignment (a subtract,
// a multiply and an add per feature, per row, per centre), so it reads as
// FLOP/s of the distance kernel and ignores the argmin and the centre update.
//
// Sizes: the full cross product n in {1e4, 1e5} x d in {2, 16, 64} x k in
// {2, 8, 64}; at n = 1e6 only (d, k) in {(2, 8), (16, 8), (64, 64)}, a typical
// customer table, a wide one, and the compute-bound corner: the whole cross
// product there would take minutes per pass on a 2-core machine and says
// nothing the n = 1e5 rows do not (the work is linear in n). Each size runs
// on 1 thread and on all cores.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include <segkit/cluster/lloyd.hpp>
#include <segkit/core/options.hpp>
#include <segkit/distance/squared_euclidean.hpp>
#include <segkit/init/random_init.hpp>

#include "blobs.hpp"

namespace {

using segkit_bench::BlobsKey;

struct Config {
  BlobsKey key;
  std::size_t threads;
};

Config config(const benchmark::State& state) {
  return {{static_cast<std::size_t>(state.range(0)), static_cast<std::size_t>(state.range(1)),
           static_cast<std::size_t>(state.range(2))},
          static_cast<std::size_t>(state.range(3))};
}

/// k distinct rows of X, from a fixed seed: the same start for every run of a size.
template <class T>
xt::xtensor<T, 2> starting_centres(const xt::xtensor<T, 2>& X, std::size_t k) {
  return segkit::RandomInit{}.initial_centers(X, k, segkit::SquaredEuclidean{}, 7, 1);
}

void set_counters(benchmark::State& state, const Config& c, double assignments) {
  const auto iterations = static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(c.key.n));
  state.counters["FLOP"] =
      benchmark::Counter(3.0 * static_cast<double>(c.key.n * c.key.k * c.key.d) * assignments * iterations,
                         benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

template <class T, segkit::SquaredEuclidean::Method method = segkit::SquaredEuclidean::Method::automatic>
void BM_AssignNearest(benchmark::State& state) {
  const Config c = config(state);
  const auto& data = segkit_bench::cached_blobs<T>(c.key);
  const xt::xtensor<T, 2> centres = starting_centres(data.X, c.key.k);
  std::vector<std::size_t> labels(c.key.n);
  std::vector<T> nearest(c.key.n);
  segkit::SquaredEuclidean distance;
  distance.method = method;
  for (auto _ : state) {
    double inertia =
        segkit::detail::assign_nearest(distance, data.X, centres, labels.data(), nearest.data(), c.threads);
    benchmark::DoNotOptimize(inertia);
    benchmark::ClobberMemory();
  }
  set_counters(state, c, 1.0);
}

template <class T>
void BM_LloydOneIter(benchmark::State& state) {
  const Config c = config(state);
  const auto& data = segkit_bench::cached_blobs<T>(c.key);
  const xt::xtensor<T, 2> centres = starting_centres(data.X, c.key.k);
  const segkit::Options options{.k = c.key.k, .max_iter = 1, .threads = c.threads};
  for (auto _ : state) {
    auto result = segkit::Lloyd{}.cluster(data.X, centres, segkit::SquaredEuclidean{}, options);
    benchmark::DoNotOptimize(result.inertia);
  }
  // max_iter = 1 never converges strictly, so cluster() always reassigns once more.
  set_counters(state, c, 2.0);
}

void sizes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n", "d", "k", "threads"});
  const std::int64_t all = std::max<std::int64_t>(1, std::thread::hardware_concurrency());
  std::vector<std::int64_t> threads{1};
  if (all > 1) threads.push_back(all);
  auto add = [&](std::int64_t n, std::int64_t d, std::int64_t k) {
    for (const std::int64_t t : threads) b->Args({n, d, k, t});
  };
  for (const std::int64_t n : {10'000, 100'000})
    for (const std::int64_t d : {2, 16, 64})
      for (const std::int64_t k : {2, 8, 64}) add(n, d, k);
  add(1'000'000, 2, 8);
  add(1'000'000, 16, 8);
  add(1'000'000, 64, 64);
}

}  // namespace

// Wall-clock time: the work runs on threads of the library's own, whose CPU
// time the default (main-thread CPU time) would not see.
BENCHMARK_TEMPLATE(BM_AssignNearest, float)->Apply(sizes)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_AssignNearest, double)->Apply(sizes)->UseRealTime()->Unit(benchmark::kMillisecond);
// The same step measured by products (|c|^2 - 2 x.c with near ties measured again),
// which SquaredEuclidean does not choose by itself (see its by_products()).
template <class T>
void BM_AssignNearestProducts(benchmark::State& state) {
  BM_AssignNearest<T, segkit::SquaredEuclidean::Method::products>(state);
}
BENCHMARK_TEMPLATE(BM_AssignNearestProducts, float)->Apply(sizes)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_AssignNearestProducts, double)->Apply(sizes)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_LloydOneIter, float)->Apply(sizes)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_LloydOneIter, double)->Apply(sizes)->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
