// The three scores against scikit-learn, and their definitions on small cases.

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include <segkit/evaluate/calinski_harabasz.hpp>
#include <segkit/evaluate/concept.hpp>
#include <segkit/evaluate/davies_bouldin.hpp>
#include <segkit/evaluate/inertia.hpp>
#include <segkit/evaluate/silhouette.hpp>

#include "fixture.hpp"

// The suite's files are compiled together (a unity build): each keeps its helpers to itself.
namespace segkit_test_evaluate {

using segkit::test::Fixture;

static_assert(segkit::Evaluator<segkit::Silhouette> && segkit::Silhouette::higher_is_better);
static_assert(segkit::Evaluator<segkit::DaviesBouldin> && !segkit::DaviesBouldin::higher_is_better);
static_assert(segkit::Evaluator<segkit::CalinskiHarabasz> && segkit::CalinskiHarabasz::higher_is_better);
static_assert(segkit::Evaluator<segkit::Inertia> && !segkit::Inertia::higher_is_better);

namespace {

bool close(double a, double b, double rel) { return std::abs(a - b) <= rel * std::max(std::abs(a), std::abs(b)); }

}  // namespace

TEST_CASE("silhouette, Davies-Bouldin and Calinski-Harabasz equal scikit-learn's to 1e-9 on the real datasets") {
  for (const std::string name : segkit::test::datasets) {
    const Fixture f(name);
    for (const std::string prefix : {"lloyd_k3", "lloyd_k5", "lloyd_k8", "std_lloyd_k5"}) {
      CAPTURE(name);
      CAPTURE(prefix);
      const xt::xtensor<double, 2> X = prefix.rfind("std_", 0) == 0
                                           ? xt::xtensor<double, 2>((f["X"] - f["standard_mean"]) / f["standard_scale"])
                                           : f["X"];
      const xt::xtensor<long, 1> labels = xt::cast<long>(xt::flatten(f[prefix + "_labels"]));
      const double s = segkit::silhouette_score(X, labels);
      const double db = segkit::davies_bouldin_score(X, labels);
      const double ch = segkit::calinski_harabasz_score(X, labels);
      INFO("silhouette " << s << " vs " << f.scalar(prefix + "_silhouette"));
      CHECK(close(s, f.scalar(prefix + "_silhouette"), 1e-9));
      CHECK(close(db, f.scalar(prefix + "_davies_bouldin"), 1e-9));
      CHECK(close(ch, f.scalar(prefix + "_calinski_harabasz"), 1e-9));
    }
  }
}

TEST_CASE("float data is scored in float, close to the double score") {
  const Fixture f("wholesale");
  const xt::xtensor<float, 2> X = xt::cast<float>(f["X"]);
  const xt::xtensor<int, 1> labels = xt::cast<int>(xt::flatten(f["lloyd_k5_labels"]));
  CHECK(close(segkit::silhouette_score(X, labels), f.scalar("lloyd_k5_silhouette"), 1e-5));
  CHECK(close(segkit::davies_bouldin_score(X, labels), f.scalar("lloyd_k5_davies_bouldin"), 1e-6));
  CHECK(close(segkit::calinski_harabasz_score(X, labels), f.scalar("lloyd_k5_calinski_harabasz"), 1e-6));
}

TEST_CASE("scores on a hand-computed example") {
  // Two clusters on a line: {0, 1} and {10, 11}.
  const xt::xtensor<double, 2> X = {{0}, {1}, {10}, {11}};
  const std::vector<int> labels{0, 0, 1, 1};
  // Row 0: a = 1, b = (10 + 11) / 2 = 10.5; row 1: a = 1, b = (9 + 10) / 2 = 9.5; rows 2, 3 mirror them.
  const double s0 = 9.5 / 10.5, s1 = 8.5 / 9.5;
  CHECK(segkit::silhouette_score(X, labels) == doctest::Approx((s0 + s1) / 2).epsilon(1e-14));
  // Centroids 0.5 and 10.5, spreads 0.5 each: DB = (0.5 + 0.5) / 10 = 0.1.
  CHECK(segkit::davies_bouldin_score(X, labels) == doctest::Approx(0.1).epsilon(1e-14));
  // Between = 2 * 25 * 2 = 100, within = 4 * 0.25 = 1: CH = 100 * (4 - 2) / (1 * 1) = 200.
  CHECK(segkit::calinski_harabasz_score(X, labels) == doctest::Approx(200).epsilon(1e-14));
  // Label values are arbitrary (re-coded as scikit-learn's LabelEncoder does).
  CHECK(segkit::silhouette_score(X, std::vector<int>{-3, -3, 7, 7}) == segkit::silhouette_score(X, labels));
  // Any 1-D container or xtensor expression of integers.
  CHECK(segkit::silhouette_score(X, std::array<unsigned, 4>{1, 1, 0, 0}) == segkit::silhouette_score(X, labels));
  CHECK(segkit::silhouette_score(X, xt::xtensor<std::size_t, 1>{0, 0, 1, 1} + 0) ==
        segkit::silhouette_score(X, labels));
}

TEST_CASE("scikit-learn's edge cases: singletons, identical rows, thread count") {
  const xt::xtensor<double, 2> X = {{0, 0}, {0, 0}, {5, 5}, {9, 1}};
  // A singleton scores 0; silhouette_samples shows it.
  const auto samples = segkit::silhouette_samples(X, std::vector<int>{0, 0, 1, 2});
  CHECK(samples(2) == 0.0);
  CHECK(samples(3) == 0.0);
  CHECK(samples(0) == doctest::Approx(1.0));  // a = 0: identical rows
  // Every row on its centroid: Calinski-Harabasz is 1 and Davies-Bouldin 0.
  const xt::xtensor<double, 2> Y = {{1, 1}, {1, 1}, {4, 4}, {4, 4}};
  CHECK(segkit::calinski_harabasz_score(Y, std::vector<int>{0, 0, 1, 1}) == 1.0);
  CHECK(segkit::davies_bouldin_score(Y, std::vector<int>{0, 0, 1, 1}) == 0.0);
  // Bit-identical whatever the thread count.
  const Fixture f("marketing");
  const auto labels = xt::flatten(f["lloyd_k5_labels"]);
  const xt::xtensor<long, 1> l = xt::cast<long>(labels);
  const double one = segkit::silhouette_score(f["X"], l, 1);
  CHECK(segkit::silhouette_score(f["X"], l, 2) == one);
  CHECK(segkit::silhouette_score(f["X"], l, 0) == one);
  CHECK(segkit::silhouette_score(f["X"], l, 3) == one);
}

TEST_CASE_TEMPLATE("the tiled silhouette equals a plain all-pairs loop (uneven labels, lone rows, odd sizes)", T, float,
                   double) {
  // 1,037 rows over tiles of 256, labels of very different sizes (one of a single row),
  // in an order that interleaves them, so tiles cut through label ranges.
  const std::size_t n = 1037, d = 5;
  xt::xtensor<T, 2> X = xt::empty<T>({n, d});
  std::vector<int> labels(n);
  for (std::size_t i = 0; i < n; ++i) {
    labels[i] = i == 500 ? 11 : static_cast<int>((i * i) % 5) + (i % 11 == 0 ? 5 : 0);
    for (std::size_t j = 0; j < d; ++j)
      X(i, j) = static_cast<T>(std::sin(0.37 * static_cast<double>(i * (j + 1))) * 3 + labels[i]);
  }
  double expected = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<double> sum(12, 0.0), count(12, 0.0);  // labels are 0..9 and 11 (one row)
    for (std::size_t j = 0; j < n; ++j) {
      double d2 = 0;
      for (std::size_t f = 0; f < d; ++f) {
        const double diff = static_cast<double>(X(i, f)) - static_cast<double>(X(j, f));
        d2 += diff * diff;
      }
      sum[static_cast<std::size_t>(labels[j])] += std::sqrt(d2);
      count[static_cast<std::size_t>(labels[j])] += 1;
    }
    const auto own = static_cast<std::size_t>(labels[i]);
    if (count[own] == 1) continue;  // scores 0
    const double a = sum[own] / (count[own] - 1);
    double b = std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < 12; ++c)
      if (c != own && count[c] > 0) b = std::min(b, sum[c] / count[c]);
    expected += (b - a) / std::max(a, b);
  }
  expected /= static_cast<double>(n);
  const double tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  CHECK(close(segkit::silhouette_score(X, labels), expected, tolerance));
  CHECK(segkit::silhouette_score(X, labels, 1) == segkit::silhouette_score(X, labels, 2));
}

TEST_CASE("inertia_score agrees with the Lloyd fixture's inertia") {
  const Fixture f("mall");
  const xt::xtensor<long, 1> labels = xt::cast<long>(xt::flatten(f["lloyd_k5_labels"]));
  CHECK(close(segkit::inertia_score(f["X"], labels, f["lloyd_k5_centers"]), f.scalar("lloyd_k5_inertia"), 1e-12));
}

}  // namespace segkit_test_evaluate
