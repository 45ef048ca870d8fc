// silhouette_score on Gaussian blobs labelled by the blob each row came from.
//
// The score is exact, O(n^2 d): every row against every other row. It runs on
// all cores (its default), since that is how Pipeline::score() and model
// selection over K call it.
//
// items_per_second counts rows; FLOP counts 3 n^2 d (a subtract, a multiply and
// an add per feature, per ordered pair of rows) and ignores the n^2 square
// roots, so at d = 2 it understates the work done.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <thread>

#include <benchmark/benchmark.h>

#include <segkit/evaluate/silhouette.hpp>

#include "blobs.hpp"

namespace {

template <class T>
void BM_Silhouette(benchmark::State& state) {
  const segkit_bench::BlobsKey key{static_cast<std::size_t>(state.range(0)), static_cast<std::size_t>(state.range(1)),
                                   static_cast<std::size_t>(state.range(2))};
  const auto& data = segkit_bench::cached_blobs<T>(key);
  for (auto _ : state) {
    double score = segkit::silhouette_score(data.X, data.blob);
    benchmark::DoNotOptimize(score);
  }
  const auto n = static_cast<double>(key.n);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(key.n));
  state.counters["FLOP"] =
      benchmark::Counter(3.0 * n * n * static_cast<double>(key.d) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
  state.counters["threads"] = static_cast<double>(std::max(1U, std::thread::hardware_concurrency()));
}

void sizes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n", "d", "k"});
  for (const std::int64_t n : {1'000, 5'000, 20'000})
    for (const std::int64_t d : {2, 16, 64})
      for (const std::int64_t k : {2, 8}) b->Args({n, d, k});
}

}  // namespace

// Wall-clock time: the work runs on threads of the library's own, whose CPU
// time the default (main-thread CPU time) would not see.
BENCHMARK_TEMPLATE(BM_Silhouette, float)->Apply(sizes)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Silhouette, double)->Apply(sizes)->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
