// One fitted model served from many threads at once: predict, predict_one and
// score() on the same Pipeline (one fitted here, one loaded from its model file),
// every answer checked against the one-thread answer. Built also under
// ThreadSanitizer by CI (.ci/run), where a data race fails the run.

#include <doctest/doctest.h>

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <segkit/io/model.hpp>
#include <segkit/pipeline/pipeline.hpp>

namespace {

xt::xtensor<double, 2> blobs(std::size_t n, std::size_t d, std::size_t k, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::uniform_real_distribution<double> centre(-10.0, 10.0);
  xt::xtensor<double, 2> centres = xt::empty<double>({k, d});
  for (auto& v : centres) v = centre(rng);
  xt::xtensor<double, 2> X = xt::empty<double>({n, d});
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) X(i, j) = centres(i % k, j) + noise(rng);
  return X;
}

/// A directory of its own under the system's temporary directory, removed at the end.
struct ScratchDir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("segkit-serving-" + std::to_string(std::random_device{}()));
  ScratchDir() { std::filesystem::create_directories(path); }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

}  // namespace

TEST_CASE("one model serves 8 threads at once: predict, predict_one and score() give the one-thread answers") {
  const xt::xtensor<double, 2> X = blobs(3000, 6, 5, 3);
  segkit::Pipeline<> fitted(segkit::Options{.k = 5, .n_init = 2, .seed = 9, .threads = 2});
  fitted.fit(X);
  const ScratchDir dir;
  segkit::io::save(fitted, dir.path / "model.json");
  const auto loaded = segkit::io::load<segkit::Pipeline<>>(dir.path / "model.json", segkit::Options{.threads = 2});

  // The one-thread answers, asked before any thread starts (score() is computed here
  // for the expected value only on a copy, so the threads race to compute the original's).
  const xt::xtensor<std::size_t, 1> expected = fitted.predict(X);
  REQUIRE(xt::all(xt::equal(expected, fitted.labels())));
  const double expected_score = segkit::Pipeline<>(fitted).score();

  constexpr std::size_t threads = 8, rounds = 40;
  std::atomic<std::size_t> wrong{0}, answers{0};
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (std::size_t round = 0; round < rounds; ++round) {
        const std::size_t i = (t * 7919 + round * 104729) % X.shape(0);
        const std::span<const double> row(X.data() + i * X.shape(1), X.shape(1));
        wrong += fitted.predict_one(row) != expected(i);
        wrong += loaded.predict_one(row) != expected(i);
        if (round % 10 == t % 10) {
          wrong += !xt::all(xt::equal(loaded.predict(X), expected));
          wrong += fitted.score() != expected_score;
        }
        answers += 2;
      }
    });
  for (auto& thread : pool) thread.join();
  CHECK(answers.load() == threads * rounds * 2);
  CHECK(wrong.load() == 0);
}
