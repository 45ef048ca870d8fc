// Serving: customers assigned per second by one fitted model, on one thread.
//
// predict_one is the call a backend makes per customer (one row in, its segment
// out): the row scaled, then compared with the k centres by the same kernels as
// a batch predict. predict is the batch call on blocks of 1,000 customers.
// items_per_second counts customers.
//
//   bench_predict [--benchmark_filter=...]

#include <cstddef>
#include <span>

#include <benchmark/benchmark.h>

#include <xtensor/xview.hpp>

#include <segkit/pipeline/pipeline.hpp>

#include "blobs.hpp"

namespace {

/// A Pipeline fitted on 20,000 customers of k blobs, its training data let go (as served).
const segkit::Pipeline<>& served(std::size_t d, std::size_t k) {
  static std::size_t cached_d = 0, cached_k = 0;
  static segkit::Pipeline<> pipeline;
  if (cached_d != d || cached_k != k) {
    const auto& data = segkit_bench::cached_blobs<double>({20000, d, k});
    pipeline = segkit::Pipeline<>(segkit::Options{.k = k, .n_init = 1, .seed = 1, .threads = 1});
    pipeline.fit(data.X);
    pipeline.discard_training_data();
    cached_d = d, cached_k = k;
  }
  return pipeline;
}

void BM_PredictOne(benchmark::State& state) {
  const std::size_t d = static_cast<std::size_t>(state.range(0)), k = static_cast<std::size_t>(state.range(1));
  const segkit::Pipeline<>& pipeline = served(d, k);
  const auto& X = segkit_bench::cached_blobs<double>({20000, d, k}).X;
  std::size_t i = 0, sum = 0;
  for (auto _ : state) {
    sum += pipeline.predict_one(std::span<const double>(X.data() + i * d, d));
    i = i + 1 == X.shape(0) ? 0 : i + 1;
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_PredictOne)->Args({8, 5})->Args({16, 8})->Args({32, 16});

void BM_PredictBlock(benchmark::State& state) {
  const std::size_t d = static_cast<std::size_t>(state.range(0)), k = static_cast<std::size_t>(state.range(1));
  const segkit::Pipeline<>& pipeline = served(d, k);
  const auto& X = segkit_bench::cached_blobs<double>({20000, d, k}).X;
  const xt::xtensor<double, 2> block = xt::view(X, xt::range(0, 1000), xt::all());
  for (auto _ : state) benchmark::DoNotOptimize(pipeline.predict(block));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 1000);
}
BENCHMARK(BM_PredictBlock)->Args({8, 5})->Args({16, 8})->Args({32, 16});

}  // namespace

BENCHMARK_MAIN();
