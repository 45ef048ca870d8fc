// PCA against scikit-learn's PCA(svd_solver="full"), signs included, and its errors.

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

#include <segkit/decompose/pca.hpp>

#include "fixture.hpp"

// The suite's files are compiled together (a unity build): each keeps its helpers to itself.
namespace segkit_test_pca {

using segkit::test::Fixture;

namespace {

const char* const pca_cases[] = {"mall_std", "wholesale_std", "wholesale_raw"};

xt::xtensor<double, 1> column(const xt::xtensor<double, 2>& a) { return xt::flatten(a); }

}  // namespace

TEST_CASE("PCA equals scikit-learn's to 1e-9 on the real datasets, with the same signs") {
  const Fixture f("select_pca");
  for (const std::string name : pca_cases) {
    CAPTURE(name);
    const xt::xtensor<double, 2>& X = f[name + "_X"];
    segkit::PCA pca;
    pca.fit(X);
    REQUIRE(pca.n_components() == X.shape(1));
    // The centred columns of standardised data have means of order 1e-17: absolute there.
    segkit::test::check_close(pca.mean(), column(f[name + "_mean"]), 1e-9, 1e-6);
    // A component's entries are at most 1; tiny entries are compared absolutely.
    segkit::test::check_close(pca.components(), f[name + "_components"], 1e-9, 1e-6);
    segkit::test::check_close(pca.explained_variance(), column(f[name + "_explained_variance"]), 1e-9);
    segkit::test::check_close(pca.explained_variance_ratio(), column(f[name + "_explained_variance_ratio"]), 1e-9);
    segkit::test::check_close(pca.singular_values(), column(f[name + "_singular_values"]), 1e-9);
    // Projections are compared relative to the size of their column, so a score
    // near zero does not need 1e-9 of itself, but the sign of every larger one must match.
    const xt::xtensor<double, 2> projected = pca.transform(X);
    const xt::xtensor<double, 2>& expected = f[name + "_transform"];
    for (std::size_t c = 0; c < projected.shape(1); ++c) {
      CAPTURE(c);
      const double scale = xt::amax(xt::abs(xt::view(expected, xt::all(), c)))();
      segkit::test::check_close(xt::view(projected, xt::all(), c), xt::view(expected, xt::all(), c), 1e-9,
                                scale * 1e-6);
    }
  }
}

TEST_CASE("two components: the 2-D projection for the scatter plot, ratios over all components") {
  const Fixture f("select_pca");
  for (const std::string name : pca_cases) {
    CAPTURE(name);
    segkit::PCA pca(2);
    const xt::xtensor<double, 2> projected = pca.fit_transform(f[name + "_X"]);
    REQUIRE(projected.shape(1) == 2);
    REQUIRE(pca.components().shape(0) == 2);
    const xt::xtensor<double, 2>& expected = f[name + "_transform2"];
    for (std::size_t c = 0; c < 2; ++c) {
      const double scale = xt::amax(xt::abs(xt::view(expected, xt::all(), c)))();
      segkit::test::check_close(xt::view(projected, xt::all(), c), xt::view(expected, xt::all(), c), 1e-9,
                                scale * 1e-6);
    }
    segkit::test::check_close(pca.explained_variance_ratio(), column(f[name + "_explained_variance_ratio2"]), 1e-9);
  }
}

TEST_CASE_TEMPLATE("PCA of float data is computed in double", T, float, double) {
  const Fixture f("select_pca");
  const xt::xtensor<T, 2> X = xt::cast<T>(f["wholesale_std_X"]);
  segkit::PCA pca(2);
  pca.fit(X);
  // The only difference from the double fixture is the rounding of the input to T.
  const double rel = std::is_same_v<T, float> ? 1e-5 : 1e-9;
  segkit::test::check_close(pca.explained_variance(),
                            xt::view(column(f["wholesale_std_explained_variance"]), xt::range(0, 2)), rel);
  segkit::test::check_close(pca.components(), xt::view(f["wholesale_std_components"], xt::range(0, 2), xt::all()),
                            rel * 10, 1e-3);
  const xt::xtensor<double, 2> projected = pca.transform(X);
  CHECK(projected.shape(0) == X.shape(0));
}

TEST_CASE("PCA on a hand-made example: a line through the origin") {
  // Points on y = 2x: one direction holds all the variance, along (1, 2) / sqrt(5).
  const xt::xtensor<double, 2> X = {{-2, -4}, {-1, -2}, {0, 0}, {1, 2}, {3, 6}};
  segkit::PCA pca;
  pca.fit(X);
  const double inv = 1 / std::sqrt(5.0);
  // The largest projection is the last row's (positive along (1, 2)), so the sign is +.
  CHECK(pca.components()(0, 0) == doctest::Approx(inv).epsilon(1e-12));
  CHECK(pca.components()(0, 1) == doctest::Approx(2 * inv).epsilon(1e-12));
  CHECK(pca.mean()(0) == doctest::Approx(0.2));
  CHECK(pca.explained_variance_ratio()(0) == doctest::Approx(1.0).epsilon(1e-12));
  CHECK(pca.explained_variance_ratio()(1) == doctest::Approx(0.0).epsilon(1e-12));
  // Variance of x + variance of y with n - 1, all along the first component.
  CHECK(pca.explained_variance()(0) == doctest::Approx(5 * 3.7).epsilon(1e-12));
  // Negating the data negates the projections, so the sign rule turns the axis
  // round: the row with the largest projection (the last) stays positive.
  segkit::PCA flipped;
  flipped.fit(xt::xtensor<double, 2>(-X));
  CHECK(flipped.components()(0, 0) == doctest::Approx(-inv).epsilon(1e-12));
  CHECK(flipped.transform(xt::xtensor<double, 2>(-X))(4, 0) > 0);
}

TEST_CASE("PCA rejects bad input with segkit::error") {
  segkit::PCA pca;
  CHECK_THROWS_AS(pca.components(), segkit::error);
  CHECK_THROWS_AS(pca.transform(xt::xtensor<double, 2>({{1.0, 2.0}})), segkit::error);
  CHECK_THROWS_AS(pca.fit(xt::xtensor<double, 2>::from_shape({0, 3})), segkit::error);
  CHECK_THROWS_AS(pca.fit(xt::xtensor<double, 2>({{1.0, 2.0}})), segkit::error);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH_AS(pca.fit(xt::xtensor<double, 2>({{1.0, 2.0}, {nan, 3.0}, {4.0, 5.0}})), doctest::Contains("NaN"),
                       segkit::error);
  segkit::PCA three(3);
  // min(n, d) = 2 for 4 rows of 2 features, and for 2 rows of 5 features.
  CHECK_THROWS_WITH_AS(three.fit(xt::xtensor<double, 2>({{1.0, 2.0}, {2.0, 1.0}, {3.0, 5.0}, {0.0, 1.0}})),
                       doctest::Contains("n_components = 3"), segkit::error);
  CHECK_THROWS_AS(three.fit(xt::xtensor<double, 2>({{1.0, 2.0, 3.0, 4.0, 5.0}, {2.0, 1.0, 0.0, 1.0, 2.0}})),
                  segkit::error);
  segkit::PCA two(2);
  two.fit(xt::xtensor<double, 2>({{1.0, 2.0}, {2.0, 1.0}, {3.0, 5.0}}));
  CHECK_THROWS_WITH_AS(two.transform(xt::xtensor<double, 2>({{1.0, 2.0, 3.0}})), doctest::Contains("feature"),
                       segkit::error);
}

TEST_CASE("PCA of constant data: no variance, no NaN") {
  const xt::xtensor<double, 2> X = {{1, 2}, {1, 2}, {1, 2}};
  segkit::PCA pca;
  pca.fit(X);
  CHECK(pca.explained_variance()(0) == 0.0);
  CHECK(pca.explained_variance_ratio()(0) == 0.0);
  CHECK(xt::all(xt::isfinite(pca.components())));
  CHECK(xt::all(xt::equal(pca.transform(X), 0.0)));
}

}  // namespace segkit_test_pca
