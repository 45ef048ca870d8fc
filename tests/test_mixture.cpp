// The Gaussian mixture against scikit-learn's GaussianMixture from the same starts
// (tests/fixtures/make_mixture_fixtures.py): Mall Customers and Wholesale customers, every
// covariance type. Then its invariants: the log-likelihood never falls between iterations,
// the same result for any thread count, probabilities that sum to 1, bad input refused.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <segkit/data/csv.hpp>
#include <segkit/mixture/gaussian.hpp>

#include "fixture.hpp"

namespace {

using segkit::test::Fixture;

const std::string mixture_bundled = std::string(SEGKIT_FIXTURE_DIR) + "/../../data/";

// The fixture script's data: Mall's income and spending score, the log of Wholesale's spending.
xt::xtensor<double, 2> mixture_data(const std::string& name) {
  if (name == "mall")
    return segkit::data::read_csv(mixture_bundled + "mall_customers/Mall_Customers.csv")
        .matrix({"Annual Income (k$)", "Spending Score (1-100)"});
  xt::xtensor<double, 2> X =
      segkit::data::read_csv(mixture_bundled + "wholesale_customers/Wholesale customers data.csv")
          .matrix({"Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"});
  for (double& v : X) v = std::log(v);
  return X;
}

// A fixture's k x d x d (full, tied) or k x d (diag, spherical) array in the mixture's layout.
segkit::ComponentMatrices as_matrices(const xt::xtensor<double, 2>& a, segkit::CovarianceType type, std::size_t k,
                                      std::size_t d) {
  using segkit::CovarianceType;
  const std::size_t m = type == CovarianceType::tied ? 1 : k;
  segkit::ComponentMatrices out;
  if (type == CovarianceType::full || type == CovarianceType::tied)
    out = xt::empty<double>({m, d, d});
  else
    out = xt::empty<double>({k, std::size_t{1}, type == CovarianceType::diag ? d : std::size_t{1}});
  std::copy(a.begin(), a.end(), out.begin());
  return out;
}

void check_close(const xt::xtensor<double, 3>& a, const segkit::ComponentMatrices& b, double rel) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(a.data()[i] == doctest::Approx(b.data()[i]).epsilon(rel));
}

}  // namespace

TEST_CASE("mixture: equal to scikit-learn's GaussianMixture from the same starts, every covariance type") {
  const Fixture f("mixture");
  for (const auto& [name, k] : {std::pair<std::string, std::size_t>{"mall", 5}, {"wholesale", 4}}) {
    const xt::xtensor<double, 2> X = mixture_data(name);
    const std::size_t d = X.shape(1);
    for (const char* kind : {"full", "tied", "diag", "spherical"}) {
      INFO(name << ", " << kind);
      const std::string p = name + "_" + kind + "_";
      const segkit::CovarianceType type = segkit::covariance_type(kind);
      segkit::MixtureStart start;
      for (const double w : f[p + "weights_init"]) start.weights.push_back(w);
      start.means = f[p + "means_init"];
      start.precisions = as_matrices(f[p + "precisions_init"], type, k, d);
      segkit::GaussianMixture gm({.k = k, .covariance = type, .threads = 2});
      gm.fit(X, start);
      CHECK(gm.iterations() == static_cast<std::size_t>(f[p + "n_iter"](0, 0)));
      CHECK(gm.converged() == (f[p + "converged"](0, 0) == 1));
      CHECK(gm.lower_bound() == doctest::Approx(f[p + "lower_bound"](0, 0)).epsilon(1e-9));
      const xt::xtensor<double, 2>& weights = f[p + "weights"];
      for (std::size_t c = 0; c < k; ++c) CHECK(gm.weights()[c] == doctest::Approx(weights(c, 0)).epsilon(1e-6));
      check_close(as_matrices(f[p + "means"], segkit::CovarianceType::diag, k, d),
                  as_matrices(gm.means(), segkit::CovarianceType::diag, k, d), 1e-6);
      check_close(as_matrices(f[p + "covariances"], type, k, d), gm.covariances(), 1e-6);
      const xt::xtensor<double, 2>& labels = f[p + "labels"];
      std::size_t differ = 0;
      for (std::size_t i = 0; i < X.shape(0); ++i) differ += gm.labels()(i) != static_cast<std::size_t>(labels(i, 0));
      CHECK(differ == 0);
      const xt::xtensor<double, 2> head = xt::view(X, xt::range(0, 5), xt::all());
      const xt::xtensor<double, 2> proba = gm.predict_proba(head);
      const xt::xtensor<double, 2>& expected = f[p + "proba_head"];
      for (std::size_t i = 0; i < proba.size(); ++i)
        CHECK(proba.data()[i] == doctest::Approx(expected.data()[i]).epsilon(1e-6).scale(1e-12));
      CHECK(gm.score(X) == doctest::Approx(f[p + "score"](0, 0)).epsilon(1e-9));
      CHECK(gm.bic(X) == doctest::Approx(f[p + "bic"](0, 0)).epsilon(1e-9));
      CHECK(gm.aic(X) == doctest::Approx(f[p + "aic"](0, 0)).epsilon(1e-9));
    }
  }
}

TEST_CASE("mixture: the log-likelihood never falls, threads change nothing, probabilities sum to 1") {
  const xt::xtensor<double, 2> X = mixture_data("wholesale");
  for (const char* kind : {"full", "tied", "diag", "spherical"}) {
    INFO(kind);
    const segkit::MixtureOptions options{.k = 4,
                                         .covariance = segkit::covariance_type(kind),
                                         .tol = 0,
                                         .max_iter = 1,
                                         .n_init = 2,
                                         .seed = 7,
                                         .threads = 1};
    // One iteration at a time from the k-means start: each lower bound at least the one before.
    double previous = -std::numeric_limits<double>::infinity();
    for (std::size_t iterations = 1; iterations <= 30; iterations += 1) {
      segkit::MixtureOptions some = options;
      some.max_iter = iterations;
      segkit::GaussianMixture gm(some);
      gm.fit(X);
      CHECK(gm.lower_bound() >= previous - 1e-12 * std::abs(previous));
      previous = gm.lower_bound();
    }
    segkit::MixtureOptions many = options;
    many.max_iter = 100, many.tol = 1e-3;
    segkit::GaussianMixture one(many);
    one.fit(X);
    many.threads = 3;
    segkit::GaussianMixture three(many);
    three.fit(X);
    CHECK(one.means() == three.means());
    CHECK(one.covariances() == three.covariances());
    CHECK(one.labels() == three.labels());
    CHECK(one.lower_bound() == three.lower_bound());
    const xt::xtensor<double, 2> proba = one.predict_proba(X);
    for (std::size_t i = 0; i < X.shape(0); ++i) {
      double sum = 0;
      for (std::size_t c = 0; c < 4; ++c) sum += proba(i, c);
      CHECK(sum == doctest::Approx(1.0).epsilon(1e-12));
    }
    CHECK(one.predict(X) == one.labels());
    // Labels in range, and a float copy of the rows fits too.
    for (const std::size_t l : one.labels()) CHECK(l < 4);
    const xt::xtensor<float, 2> Xf = xt::cast<float>(X);
    segkit::GaussianMixture f(many);
    f.fit(Xf);
    CHECK(f.weights().size() == 4);
  }
}

TEST_CASE("mixture: BIC is lower at the number of blobs the data was drawn from") {
  // Three well-separated blobs: BIC falls to K = 3 and rises after it.
  std::mt19937_64 gen(3);
  std::normal_distribution<double> noise(0.0, 1.0);
  xt::xtensor<double, 2> X = xt::empty<double>({600, 2});
  const double centres[3][2] = {{0, 0}, {12, 0}, {0, 12}};
  for (std::size_t i = 0; i < 600; ++i)
    for (std::size_t j = 0; j < 2; ++j) X(i, j) = centres[i % 3][j] + noise(gen);
  std::vector<double> bic;
  for (std::size_t k = 1; k <= 6; ++k) {
    segkit::GaussianMixture gm({.k = k, .n_init = 3, .seed = 1});
    gm.fit(X);
    bic.push_back(gm.bic(X));
  }
  CHECK(std::min_element(bic.begin(), bic.end()) - bic.begin() == 2);
}

TEST_CASE("mixture: bad input is refused with a message") {
  const xt::xtensor<double, 2> X = mixture_data("mall");
  CHECK_THROWS_WITH_AS(segkit::GaussianMixture({.k = 0}).fit(X), "k must be at least 1", segkit::error);
  CHECK_THROWS_WITH_AS(segkit::GaussianMixture({.k = 300}).fit(X),
                       "k = 300 components need at least as many rows; X has 200", segkit::error);
  CHECK_THROWS_WITH_AS(segkit::covariance_type("diagonal"),
                       "the covariance type must be full, tied, diag or spherical, not \"diagonal\"", segkit::error);
  xt::xtensor<double, 2> bad = X;
  bad(3, 1) = std::nan("");
  CHECK_THROWS_AS(segkit::GaussianMixture({.k = 2}).fit(bad), segkit::error);
  // Two groups of identical customers: no covariance beyond the regularisation, refused without it.
  xt::xtensor<double, 2> same = xt::zeros<double>({10, 2});
  xt::view(same, xt::range(5, 10), xt::all()) = 1.0;
  CHECK_THROWS_WITH_AS(segkit::GaussianMixture({.k = 2, .reg_covar = 0}).fit(same),
                       doctest::Contains("not positive definite"), segkit::error);
  segkit::GaussianMixture unfitted;
  CHECK_THROWS_WITH_AS(unfitted.predict(X), "the Gaussian mixture is not fitted", segkit::error);
  segkit::GaussianMixture gm({.k = 2});
  gm.fit(X);
  const xt::xtensor<double, 2> wide = xt::zeros<double>({3, 3});
  CHECK_THROWS_WITH_AS(gm.predict(wide), "X has 3 feature(s), the mixture 2", segkit::error);
  segkit::MixtureStart start{{0.5, 0.4}, xt::zeros<double>({2, 2}), xt::zeros<double>({2, 2, 2})};
  CHECK_THROWS_WITH_AS(gm.fit(X, start), "the starting weights do not sum to 1", segkit::error);
}
