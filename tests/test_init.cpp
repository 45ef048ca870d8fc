// Initializers: k-means++ quality against scikit-learn, determinism, and GivenCenters.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <cstdint>
#include <set>
#include <span>
#include <utility>
#include <vector>

#include <segkit/distance/manhattan.hpp>
#include <segkit/init/given_centers.hpp>
#include <segkit/init/kmeans_plus_plus.hpp>
#include <segkit/init/random_init.hpp>
#include <segkit/pipeline/pipeline.hpp>

#include "fixture.hpp"

// The suite's files are compiled together (a unity build): each keeps its helpers to itself.
namespace segkit_test_init {

using segkit::test::Fixture;

static_assert(segkit::Initializer<segkit::KMeansPlusPlus>);
static_assert(segkit::Initializer<segkit::RandomInit>);
static_assert(segkit::Initializer<segkit::GivenCenters>);

namespace {

/// Index of the row of X equal to `centre`, or X.shape(0) if none is.
template <class T>
std::size_t row_index(const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& C, std::size_t c) {
  for (std::size_t i = 0; i < X.shape(0); ++i)
    if (xt::view(X, i, xt::all()) == xt::view(C, c, xt::all())) return i;
  return X.shape(0);
}

}  // namespace

// k-means++ is random, so one run of it is one sample: scikit-learn's own
// best-of-10 with random_state 1..40 misses its random_state=0 value by up to
// 5% on these data, and even medians over 11 seeds differ by 1.7% between
// equally good implementations (wholesale, k = 9, is bimodal). What is stable
// is the best each finds with the same budget: the lowest of our 41 seeded
// best-of-10 runs against the lowest of scikit-learn's 41 (random_state 0..40).
// Even so one configuration of 36 (marketing, k = 10) lands 0.6% above, where
// scikit-learn's 41 runs hold one lucky outlier; so each configuration must be
// within 1%, and on average over all 36 within 0.1%.
TEST_CASE("k-means++ with 10 starts reaches scikit-learn's best inertia, k = 2..10") {
  constexpr std::uint64_t seeds = 41;
  double ratio_sum = 0;
  std::size_t configurations = 0;
  for (const std::string name : segkit::test::datasets) {
    const Fixture f(name);
    for (std::size_t k = 2; k <= 10; ++k) {
      CAPTURE(name);
      CAPTURE(k);
      double ours = INFINITY;
      for (std::uint64_t seed = 0; seed < seeds; ++seed) {
        segkit::Pipeline<> pipeline(segkit::Options{.k = k, .n_init = 10, .seed = seed});
        pipeline.fit(f["X"]);
        ours = std::min(ours, pipeline.inertia());
      }
      const double theirs = f["kmeanspp_min_best_inertia"](k - 2, 0);
      INFO("best inertia: segkit " << ours << ", scikit-learn " << theirs
                                   << " (scikit-learn random_state=0: " << f["kmeanspp_best_inertia"](k - 2, 0) << ")");
      CHECK(ours <= theirs * 1.01);
      ratio_sum += ours / theirs;
      ++configurations;
    }
  }
  CHECK(ratio_sum / static_cast<double>(configurations) <= 1.001);
}

TEST_CASE_TEMPLATE("initializers pick k distinct rows of X, the same for the same seed", T, float, double) {
  const Fixture f("marketing");
  const xt::xtensor<T, 2> X = xt::cast<T>(f["X"]);
  auto check = [&](const auto& init) {
    for (std::size_t k : {1u, 2u, 9u, 40u}) {
      CAPTURE(k);
      const auto C = init.initial_centers(X, k, segkit::SquaredEuclidean{}, 11, 1);
      REQUIRE(C.shape(0) == k);
      std::set<std::size_t> rows;
      for (std::size_t c = 0; c < k; ++c) rows.insert(row_index(X, C, c));
      CHECK(rows.size() == k);
      CHECK(rows.count(X.shape(0)) == 0);
      CHECK(init.initial_centers(X, k, segkit::SquaredEuclidean{}, 11, 2) == C);  // thread count does not matter
      CHECK(init.initial_centers(X, k, segkit::SquaredEuclidean{}, 11, 0) == C);
    }
    CHECK(init.initial_centers(X, 9, segkit::SquaredEuclidean{}, 12, 1) !=
          init.initial_centers(X, 9, segkit::SquaredEuclidean{}, 11, 1));
  };
  check(segkit::KMeansPlusPlus{});
  check(segkit::RandomInit{});
}

TEST_CASE_TEMPLATE("k-means++ on many row blocks is the same for 1, 2 and 3 threads", T, float, double) {
  // More rows than several of the pass's per-task blocks, the last one partial.
  std::mt19937_64 rng(3);
  std::normal_distribution<double> normal;
  xt::xtensor<T, 2> X = xt::empty<T>({std::size_t{3 * 4096 + 301}, std::size_t{5}});
  for (auto& v : X) v = static_cast<T>(normal(rng));
  for (const std::size_t k : {2u, 9u}) {
    const auto C = segkit::KMeansPlusPlus{}.initial_centers(X, k, segkit::SquaredEuclidean{}, 7, 1);
    CHECK(segkit::KMeansPlusPlus{}.initial_centers(X, k, segkit::SquaredEuclidean{}, 7, 2) == C);
    CHECK(segkit::KMeansPlusPlus{}.initial_centers(X, k, segkit::SquaredEuclidean{}, 7, 3) == C);
  }
}

TEST_CASE_TEMPLATE("k-means++ for many seeds at once gives each seed's own centres, in groups and threads", T, float,
                   double) {
  // 12 features: groups of at most 3 starts share a pass, so 7 seeds make groups of 3, 2 and 2;
  // more rows than several of the pass's per-task blocks, the last one partial.
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal;
  xt::xtensor<T, 2> X = xt::empty<T>({std::size_t{2 * 4096 + 77}, std::size_t{12}});
  for (auto& v : X) v = static_cast<T>(normal(rng));
  const std::vector<std::uint64_t> seeds = {7, 8, 1234567, 0, 42, 43, 99};
  auto check = [&](const auto& distance) {
    for (const std::size_t k : {2u, 9u})
      for (const std::size_t threads : {1u, 2u, 3u}) {
        const auto together = segkit::KMeansPlusPlus{}.initial_centers_for_seeds(
            X, k, distance, std::span<const std::uint64_t>(seeds), threads);
        REQUIRE(together.size() == seeds.size());
        for (std::size_t s = 0; s < seeds.size(); ++s) {
          CAPTURE(k);
          CAPTURE(threads);
          CAPTURE(s);
          CHECK(together[s] == segkit::KMeansPlusPlus{}.initial_centers(X, k, distance, seeds[s], 1));
        }
      }
  };
  check(segkit::SquaredEuclidean{});
  check(segkit::Manhattan{});
}

TEST_CASE_TEMPLATE("k-means++ for k and for fewer centres with as many candidates: the same first centres", T, float,
                   double) {
  // What lets a K sweep draw once per group of K (sweep_k): prefix_group says which k share.
  std::mt19937_64 rng(9);
  std::normal_distribution<double> normal;
  xt::xtensor<T, 2> X = xt::empty<T>({std::size_t{5000}, std::size_t{6}});
  for (auto& v : X) v = static_cast<T>(normal(rng));
  const segkit::KMeansPlusPlus init;
  CHECK(init.prefix_group(2) == 2);
  for (std::size_t k = 3; k <= 7; ++k) CHECK(init.prefix_group(k) == 3);
  for (std::size_t k = 8; k <= 20; ++k) CHECK(init.prefix_group(k) == 4);
  CHECK(init.prefix_group(21) == 5);
  CHECK(segkit::KMeansPlusPlus{.n_local_trials = 6}.prefix_group(2) == 6);
  for (const std::uint64_t seed : {1u, 77u}) {
    for (const auto& [small, large] : {std::pair<std::size_t, std::size_t>{3, 7}, {8, 20}}) {
      const xt::xtensor<T, 2> many = init.initial_centers(X, large, segkit::SquaredEuclidean{}, seed, 2);
      for (std::size_t k = small; k < large; ++k) {
        CAPTURE(k);
        const xt::xtensor<T, 2> prefix = xt::view(many, xt::range(0, k), xt::all());
        CHECK(init.initial_centers(X, k, segkit::SquaredEuclidean{}, seed, 1) == prefix);
      }
    }
  }
}

TEST_CASE("k-means++ spreads its centres: one per well-separated blob") {
  // Four tight blobs far apart; D^2 sampling should hit each one.
  xt::xtensor<double, 2> X = xt::zeros<double>({400, 2});
  for (std::size_t i = 0; i < 400; ++i) {
    X(i, 0) = (i % 4) * 1000.0 + static_cast<double>(i % 7);
    X(i, 1) = (i % 4 >= 2 ? 1000.0 : 0.0) + static_cast<double>(i % 5);
  }
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    const auto C = segkit::KMeansPlusPlus{}.initial_centers(X, 4, segkit::SquaredEuclidean{}, seed, 1);
    std::set<int> blobs;
    for (std::size_t c = 0; c < 4; ++c)
      blobs.insert(static_cast<int>(C(c, 0) / 500) * 10 + static_cast<int>(C(c, 1) / 500));
    CHECK(blobs.size() == 4);
  }
}

TEST_CASE_TEMPLATE("GivenCenters returns the caller's centres in the data's type", T, float, double) {
  const xt::xtensor<T, 2> X = {{0, 0}, {1, 1}, {2, 2}};
  const segkit::GivenCenters given{{{0.5, 0.5}, {2, 2}}};
  const auto C = given.initial_centers(X, 2, segkit::SquaredEuclidean{}, 0, 1);
  static_assert(std::is_same_v<typename decltype(C)::value_type, T>);
  CHECK(C == xt::xtensor<T, 2>{{0.5, 0.5}, {2, 2}});
}

}  // namespace segkit_test_init
