// Distances: definitions, the SIMD kernel against the per-pair distance, and centres.

#include <doctest/doctest.h>

#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include <xtensor/xview.hpp>

#include <segkit/distance/concept.hpp>
#include <segkit/distance/cosine.hpp>
#include <segkit/distance/manhattan.hpp>
#include <segkit/distance/squared_euclidean.hpp>

// The suite's files are compiled together (a unity build): each keeps its helpers to itself.
namespace segkit_test_distance {

static_assert(segkit::Distance<segkit::SquaredEuclidean>);
static_assert(segkit::Distance<segkit::Manhattan>);
static_assert(segkit::Distance<segkit::Cosine>);
static_assert(segkit::Manhattan::is_metric && !segkit::Cosine::is_metric);
static_assert(!segkit::SquaredEuclidean::is_metric && segkit::SquaredEuclidean::sqrt_is_metric);

namespace {

template <class T>
xt::xtensor<T, 2> random_matrix(std::size_t rows, std::size_t cols, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> normal(0.0, 10.0);
  xt::xtensor<T, 2> out = xt::empty<T>({rows, cols});
  for (auto& v : out) v = static_cast<T>(normal(gen));
  return out;
}

template <class T>
std::span<const T> row(const xt::xtensor<T, 2>& M, std::size_t i) {
  return std::span<const T>(M.data() + i * M.shape(1), M.shape(1));
}

}  // namespace

TEST_CASE_TEMPLATE("the SIMD kernel gives exactly the per-pair distance for every shape", T, float, double) {
  const segkit::SquaredEuclidean distance;
  for (std::size_t d : {1u, 2u, 3u, 7u, 17u, 64u}) {
    for (std::size_t k : {1u, 2u, 3u, 5u, 8u, 9u, 17u, 33u, 64u}) {
      CAPTURE(d);
      CAPTURE(k);
      const auto X = random_matrix<T>(13, d, 1);
      const auto C = random_matrix<T>(k, d, 2);
      std::vector<T> out(5 * k);
      distance.pairwise(X, 4, 9, C, out.data());
      std::size_t mismatches = 0;
      for (std::size_t i = 4; i < 9; ++i)
        for (std::size_t c = 0; c < k; ++c)
          mismatches += out[(i - 4) * k + c] != distance.distance(row(X, i), row(C, c));
      CHECK(mismatches == 0);
    }
  }
}

TEST_CASE_TEMPLATE("distances have their textbook values", T, float, double) {
  const std::vector<T> a{1, 2, 3}, b{4, 6, 3}, zero{0, 0, 0};
  CHECK(segkit::SquaredEuclidean{}.distance<T>(a, b) == T(25));
  CHECK(segkit::Manhattan{}.distance<T>(a, b) == T(7));
  const double cosine = (4 + 12 + 9) / (std::sqrt(14.0) * std::sqrt(61.0));
  CHECK(segkit::Cosine{}.distance<T>(a, b) == doctest::Approx(1 - cosine));
  CHECK(segkit::Cosine{}.distance<T>(a, a) == doctest::Approx(0).epsilon(1e-6));
  CHECK(segkit::Cosine{}.distance<T>(a, zero) == T(1));  // a zero vector has no direction
}

TEST_CASE_TEMPLATE("each distance's centre minimises the summed distance of the cluster", T, float, double) {
  const auto X = random_matrix<T>(41, 3, 5);
  std::vector<std::size_t> members(X.shape(0));
  std::iota(members.begin(), members.end(), std::size_t{0});
  auto summed = [&](const auto& dist, const std::vector<T>& c) {
    double s = 0;
    for (std::size_t i : members) s += dist.distance(row(X, i), std::span<const T>(c));
    return s;
  };
  auto check_optimal = [&](const auto& dist) {
    std::vector<T> centre(3);
    dist.center(X, members, std::span<T>(centre));
    const double best = summed(dist, centre);
    // Any nudge of any coordinate makes it worse (or no better, within rounding).
    for (std::size_t j = 0; j < 3; ++j)
      for (T step : {T(-0.05), T(0.05)}) {
        std::vector<T> moved = centre;
        moved[j] += step;
        CHECK(summed(dist, moved) >= best * (1 - 1e-6));
      }
  };
  check_optimal(segkit::SquaredEuclidean{});
  check_optimal(segkit::Manhattan{});
  check_optimal(segkit::Cosine{});

  std::vector<T> mean(3);
  segkit::SquaredEuclidean{}.center(X, members, std::span<T>(mean));
  CHECK(mean[0] == doctest::Approx(xt::mean(xt::view(X, xt::all(), 0))()).epsilon(1e-6));
  std::vector<T> direction(3);
  segkit::Cosine{}.center(X, members, std::span<T>(direction));
  CHECK(std::sqrt(direction[0] * direction[0] + direction[1] * direction[1] + direction[2] * direction[2]) ==
        doctest::Approx(1).epsilon(1e-6));
}

TEST_CASE("the Manhattan centre is the median, the midpoint for an even count") {
  const xt::xtensor<double, 2> X = {{1, 10}, {2, 40}, {100, 20}, {7, 30}};
  std::vector<double> centre(2);
  segkit::Manhattan{}.center(X, std::vector<std::size_t>{0, 1, 2}, std::span<double>(centre));
  CHECK(centre == std::vector<double>{2, 20});
  segkit::Manhattan{}.center(X, std::vector<std::size_t>{0, 1, 2, 3}, std::span<double>(centre));
  CHECK(centre == std::vector<double>{4.5, 25});
}

}  // namespace segkit_test_distance
