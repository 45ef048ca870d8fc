// DBSCAN against scikit-learn's (tests/fixtures/make_density_fixtures.py): Mall Customers and
// Wholesale customers, standardised, two settings each: every label, noise and core customer.
// Then the k-distance curve, threads, and bad input.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <segkit/density/dbscan.hpp>

#include "fixture.hpp"

namespace {
using segkit::test::Fixture;
}  // namespace

TEST_CASE("density: DBSCAN's labels, noise and core customers equal scikit-learn's") {
  const Fixture f("density");
  for (const std::string name : {"mall", "wholesale"}) {
    const xt::xtensor<double, 2>& X = f[name + "_X"];
    for (const std::string s : {"0", "1"}) {
      const std::string p = name + "_" + s + "_";
      const segkit::DbscanOptions options{
          .eps = f[p + "eps"](0, 0), .min_samples = static_cast<std::size_t>(f[p + "min_samples"](0, 0)), .threads = 2};
      INFO(name << " eps " << options.eps << " min_samples " << options.min_samples);
      const segkit::Dbscan db = segkit::dbscan(X, options);
      const xt::xtensor<double, 2>& labels = f[p + "labels"];
      const xt::xtensor<double, 2>& core = f[p + "core"];
      std::size_t wrong_labels = 0, wrong_core = 0, noise = 0;
      std::ptrdiff_t top = -1;
      for (std::size_t i = 0; i < X.shape(0); ++i) {
        wrong_labels += db.labels[i] != static_cast<std::ptrdiff_t>(labels(i, 0));
        wrong_core += db.core[i] != (core(i, 0) == 1);
        noise += labels(i, 0) == -1;
        top = std::max(top, static_cast<std::ptrdiff_t>(labels(i, 0)));
      }
      CHECK(wrong_labels == 0);
      CHECK(wrong_core == 0);
      CHECK(db.noise_count == noise);
      CHECK(db.segments == static_cast<std::size_t>(top + 1));
      // Any thread count, the same segments.
      segkit::DbscanOptions one = options;
      one.threads = 1;
      CHECK(segkit::dbscan(X, one).labels == db.labels);
    }
  }
}

TEST_CASE("density: the k-distance curve is each customer's distance to its k-th neighbour, sorted") {
  std::mt19937_64 gen(5);
  std::normal_distribution<double> noise(0.0, 1.0);
  xt::xtensor<double, 2> X = xt::empty<double>({300, 3});
  for (double& v : X) v = noise(gen);
  const std::size_t k = 4;
  const std::vector<double> curve = segkit::k_distances(X, k, 2);
  // Brute force: every pairwise distance.
  std::vector<double> expected;
  for (std::size_t i = 0; i < X.shape(0); ++i) {
    std::vector<double> d;
    for (std::size_t j = 0; j < X.shape(0); ++j) {
      double s = 0;
      for (std::size_t f = 0; f < 3; ++f) s += (X(i, f) - X(j, f)) * (X(i, f) - X(j, f));
      d.push_back(std::sqrt(s));
    }
    std::sort(d.begin(), d.end());
    expected.push_back(d[k - 1]);
  }
  std::sort(expected.begin(), expected.end());
  REQUIRE(curve.size() == expected.size());
  for (std::size_t i = 0; i < curve.size(); ++i) CHECK(curve[i] == doctest::Approx(expected[i]).epsilon(1e-12));
  // eps between two values of the curve for min_samples = k makes exactly the customers below it core ones.
  REQUIRE(curve[150] < curve[151]);
  const double eps = (curve[150] + curve[151]) / 2;
  const segkit::Dbscan db = segkit::dbscan(X, {.eps = eps, .min_samples = k});
  std::size_t cores = 0;
  for (const bool c : db.core) cores += c;
  CHECK(cores == static_cast<std::size_t>(std::upper_bound(curve.begin(), curve.end(), eps) - curve.begin()));
}

TEST_CASE("density: bad input is refused with a message") {
  const xt::xtensor<double, 2> X = xt::zeros<double>({10, 2});
  CHECK_THROWS_WITH_AS(segkit::dbscan(X, {.eps = 0}), doctest::Contains("eps must be a positive distance"),
                       segkit::error);
  CHECK_THROWS_WITH_AS(segkit::dbscan(X, {.eps = 1, .min_samples = 0}), "min_samples must be at least 1",
                       segkit::error);
  CHECK_THROWS_WITH_AS(segkit::k_distances(X, 11), "k = 11 neighbours of 10 customers", segkit::error);
  xt::xtensor<double, 2> bad = X;
  bad(4, 0) = std::nan("");
  CHECK_THROWS_AS(segkit::dbscan(bad), segkit::error);
  // Every customer the same: one segment of core customers.
  const segkit::Dbscan same = segkit::dbscan(X, {.eps = 0.1, .min_samples = 10});
  CHECK(same.segments == 1);
  CHECK(same.noise_count == 0);
}
