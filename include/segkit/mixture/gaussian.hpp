#pragma once
// Gaussian mixture, fitted by expectation-maximisation: soft segments, each a Gaussian
// with its own weight, mean and covariance, and the log-likelihood, BIC and AIC that say
// how many segments the data supports. scikit-learn's GaussianMixture, step for step:
// the same covariance types (full, tied, diag, spherical), the same regularisation added
// to the covariances' diagonal, the same E- and M-steps, the same stopping rule (the change
// of the mean log-likelihood below tol) and the same final E-step for the labels, so that
// from the same starting weights, means and precisions it ends with the same parameters
// (to rounding) and labels (tests/fixtures/make_mixture_fixtures.py).
//
// Every sum over rows is cut into chunks fixed by the row count alone and added in chunk
// order: the result is the same for any number of threads. float or double rows; the
// parameters are double.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <string>
#include <string_view>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/cluster/lloyd.hpp"
#include "segkit/core/comm.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/random.hpp"
#include "segkit/distance/squared_euclidean.hpp"
#include "segkit/init/kmeans_plus_plus.hpp"

namespace segkit {

/// The shape of each component's covariance.
enum class CovarianceType {
  full,      ///< each component its own d x d matrix
  tied,      ///< one d x d matrix shared by all components
  diag,      ///< each component its own variances, no correlations
  spherical  ///< each component one variance
};

inline std::string_view covariance_name(CovarianceType type) {
  switch (type) {
    case CovarianceType::full:
      return "full";
    case CovarianceType::tied:
      return "tied";
    case CovarianceType::diag:
      return "diag";
    case CovarianceType::spherical:
      return "spherical";
  }
  return "?";
}

/// The type a name means ("full", "tied", "diag", "spherical"); another name is an error.
inline CovarianceType covariance_type(std::string_view name) {
  for (const CovarianceType t :
       {CovarianceType::full, CovarianceType::tied, CovarianceType::diag, CovarianceType::spherical})
    if (covariance_name(t) == name) return t;
  throw error("the covariance type must be full, tied, diag or spherical, not \"" + std::string(name) + "\"");
}

struct MixtureOptions {
  std::size_t k = 1;  ///< components (segments)
  CovarianceType covariance = CovarianceType::full;
  double tol = 1e-3;        ///< stop when the mean log-likelihood changes less than this
  double reg_covar = 1e-6;  ///< added to every covariance's diagonal, so none is singular
  std::size_t max_iter = 100;
  std::size_t n_init = 1;  ///< k-means starts (fit without a MixtureStart); the highest likelihood wins
  std::uint64_t seed = 0;
  std::size_t threads = 0;  ///< 0 = every core; the result is the same for any count
};

/// Parameters of the components, in the layout of their covariance type:
/// full (k, d, d), tied (1, d, d), diag (k, 1, d), spherical (k, 1, 1).
using ComponentMatrices = xt::xtensor<double, 3>;

/// Starting parameters, as scikit-learn's weights_init, means_init and precisions_init
/// (the precisions are the inverse covariances, in the layout of ComponentMatrices).
struct MixtureStart {
  std::vector<double> weights;   ///< k, summing to 1
  xt::xtensor<double, 2> means;  ///< k x d
  ComponentMatrices precisions;
};

/// A fitted mixture's parameters, as a model file keeps them.
struct MixtureParameters {
  CovarianceType covariance = CovarianceType::full;
  std::vector<double> weights;   ///< k, summing to 1
  xt::xtensor<double, 2> means;  ///< k x d
  ComponentMatrices covariances;
};

class GaussianMixture {
 public:
  explicit GaussianMixture(MixtureOptions options = {}) : options_(options) {}

  /// A mixture with these parameters, as fitted (to predict, score, give probabilities).
  /// Parameters that do not fit together, or a covariance that is not positive definite,
  /// are refused.
  static GaussianMixture from_parameters(const MixtureParameters& parameters, std::size_t threads = 0) {
    const std::size_t k = parameters.weights.size(), d = parameters.means.shape(1);
    GaussianMixture out({.k = k, .covariance = parameters.covariance, .threads = threads});
    const auto shape = out.matrices_shape(k, d);
    if (k == 0 || d == 0 || parameters.means.shape(0) != k || parameters.covariances.shape(0) != shape[0] ||
        parameters.covariances.shape(1) != shape[1] || parameters.covariances.shape(2) != shape[2])
      throw error("the mixture's weights, means and covariances do not fit together (" + std::to_string(k) +
                  " weights, " + std::to_string(parameters.means.shape(0)) + " x " + std::to_string(d) + " means, " +
                  std::string(covariance_name(parameters.covariance)) + " covariances)");
    for (const double w : parameters.weights)
      if (!(w > 0 && w <= 1)) throw error("a mixture weight is not in (0, 1]");
    out.fitted_.weights = parameters.weights;
    out.fitted_.means = parameters.means;
    out.fitted_.covariances = parameters.covariances;
    out.fitted_.precisions_cholesky = out.precision_cholesky_of_covariances(parameters.covariances);
    return out;
  }

  /// The fitted parameters.
  MixtureParameters parameters() const {
    return {options_.covariance, fitted_.weights, fitted_.means, fitted_.covariances};
  }

  /// Fits from options.n_init starts, each the segments of one k-means run (k-means++
  /// seeded by derive_seed(seed, start), then Lloyd) turned into weights, means and
  /// covariances, as scikit-learn's init_params="kmeans" does; the highest final
  /// log-likelihood wins (the first on a tie).
  template <class T>
  GaussianMixture& fit(const xt::xtensor<T, 2>& X) {
    check(X);
    if (options_.n_init == 0) throw error("n_init must be at least 1");
    const std::size_t n = X.shape(0);
    bool first = true;
    Fitted best;
    for (std::size_t s = 0; s < options_.n_init; ++s) {
      const std::uint64_t seed = detail::derive_seed(options_.seed, s);
      const xt::xtensor<T, 2> initial =
          KMeansPlusPlus{}.initial_centers(X, options_.k, SquaredEuclidean{}, seed, options_.threads);
      Options lloyd;
      lloyd.k = options_.k;
      lloyd.threads = options_.threads;
      const Clustering<T> segments = Lloyd{}.cluster(X, initial, SquaredEuclidean{}, lloyd);
      xt::xtensor<double, 2> resp = xt::zeros<double>({n, options_.k});
      for (std::size_t i = 0; i < n; ++i) resp(i, segments.labels(i)) = 1.0;
      fitted_ = {};
      maximise(X, resp, /*first=*/true);
      run(X);
      if (first || fitted_.lower_bound > best.lower_bound) best = fitted_;
      first = false;
    }
    fitted_ = std::move(best);
    finish(X);
    return *this;
  }

  /// Fits from the given starting parameters (one start).
  template <class T>
  GaussianMixture& fit(const xt::xtensor<T, 2>& X, const MixtureStart& start) {
    check(X);
    const std::size_t k = options_.k, d = X.shape(1);
    const auto shape = matrices_shape(k, d);
    if (start.weights.size() != k || start.means.shape(0) != k || start.means.shape(1) != d ||
        start.precisions.shape(0) != shape[0] || start.precisions.shape(1) != shape[1] ||
        start.precisions.shape(2) != shape[2])
      throw error("the starting parameters do not fit k = " + std::to_string(k) + ", d = " + std::to_string(d) +
                  " and the " + std::string(covariance_name(options_.covariance)) + " covariance type");
    double total = 0;
    for (const double w : start.weights) {
      if (!(w >= 0 && w <= 1)) throw error("a starting weight is not in [0, 1]");
      total += w;
    }
    if (std::abs(total - 1.0) > 1e-6) throw error("the starting weights do not sum to 1");
    fitted_ = {};
    fitted_.weights = start.weights;
    fitted_.means = start.means;
    fitted_.precisions_cholesky = precision_cholesky_of_precisions(start.precisions);
    run(X);
    finish(X);
    return *this;
  }

  /// The component of highest probability of each row (its segment).
  template <class T>
  xt::xtensor<std::size_t, 1> predict(const xt::xtensor<T, 2>& X) const {
    fitted_or_throw(X);
    xt::xtensor<std::size_t, 1> out = xt::empty<std::size_t>({X.shape(0)});
    expect(X, [&](std::size_t i, const double* log_resp) {
      out(i) = static_cast<std::size_t>(std::max_element(log_resp, log_resp + options_.k) - log_resp);
    });
    return out;
  }

  /// Each row's probability of each component (n x k, rows summing to 1).
  template <class T>
  xt::xtensor<double, 2> predict_proba(const xt::xtensor<T, 2>& X) const {
    fitted_or_throw(X);
    xt::xtensor<double, 2> out = xt::empty<double>({X.shape(0), options_.k});
    expect(X, [&](std::size_t i, const double* log_resp) {
      for (std::size_t c = 0; c < options_.k; ++c) out(i, c) = std::exp(log_resp[c]);
    });
    return out;
  }

  /// The mean log-likelihood of the rows.
  template <class T>
  double score(const xt::xtensor<T, 2>& X) const {
    fitted_or_throw(X);
    return expect(X, [](std::size_t, const double*) {});
  }

  /// Free parameters: the means, the covariances' and k - 1 weights.
  std::size_t free_parameters() const {
    const std::size_t k = options_.k, d = fitted_.means.shape(1);
    std::size_t covariance = 0;
    switch (options_.covariance) {
      case CovarianceType::full:
        covariance = k * d * (d + 1) / 2;
        break;
      case CovarianceType::tied:
        covariance = d * (d + 1) / 2;
        break;
      case CovarianceType::diag:
        covariance = k * d;
        break;
      case CovarianceType::spherical:
        covariance = k;
        break;
    }
    return covariance + k * d + k - 1;
  }

  /// Bayesian information criterion on X: -2 log-likelihood + parameters x ln n (lower is better).
  template <class T>
  double bic(const xt::xtensor<T, 2>& X) const {
    const double n = static_cast<double>(X.shape(0));
    return -2 * score(X) * n + static_cast<double>(free_parameters()) * std::log(n);
  }

  /// Akaike information criterion on X: -2 log-likelihood + 2 x parameters (lower is better).
  template <class T>
  double aic(const xt::xtensor<T, 2>& X) const {
    return -2 * score(X) * static_cast<double>(X.shape(0)) + 2 * static_cast<double>(free_parameters());
  }

  const MixtureOptions& options() const { return options_; }
  const std::vector<double>& weights() const { return fitted_.weights; }
  const xt::xtensor<double, 2>& means() const { return fitted_.means; }
  /// In the layout of the covariance type (ComponentMatrices).
  const ComponentMatrices& covariances() const { return fitted_.covariances; }
  /// Factors P of the precisions (precision = P P^T), in the same layout.
  const ComponentMatrices& precisions_cholesky() const { return fitted_.precisions_cholesky; }
  /// The mean log-likelihood of the training rows at the last iteration of the best start.
  double lower_bound() const { return fitted_.lower_bound; }
  std::size_t iterations() const { return fitted_.iterations; }
  bool converged() const { return fitted_.converged; }
  /// The training rows' components (the final E-step's).
  const xt::xtensor<std::size_t, 1>& labels() const { return labels_; }
  bool fitted() const { return fitted_.means.size() > 0; }

 private:
  struct Fitted {
    std::vector<double> weights;
    xt::xtensor<double, 2> means;
    ComponentMatrices covariances, precisions_cholesky;
    double lower_bound = -std::numeric_limits<double>::infinity();
    std::size_t iterations = 0;
    bool converged = false;
  };

  std::array<std::size_t, 3> matrices_shape(std::size_t k, std::size_t d) const {
    switch (options_.covariance) {
      case CovarianceType::full:
        return {k, d, d};
      case CovarianceType::tied:
        return {1, d, d};
      case CovarianceType::diag:
        return {k, 1, d};
      case CovarianceType::spherical:
        return {k, 1, 1};
    }
    return {0, 0, 0};
  }

  template <class T>
  void check(const xt::xtensor<T, 2>& X) const {
    detail::check_data(X, "X", options_.threads);
    if (options_.k == 0) throw error("k must be at least 1");
    if (X.shape(0) < options_.k)
      throw error("k = " + std::to_string(options_.k) + " components need at least as many rows; X has " +
                  std::to_string(X.shape(0)));
    if (!(options_.tol >= 0)) throw error("tol must be a non-negative number");
    if (!(options_.reg_covar >= 0)) throw error("reg_covar must be a non-negative number");
    if (options_.max_iter == 0) throw error("max_iter must be at least 1");
  }

  template <class T>
  void fitted_or_throw(const xt::xtensor<T, 2>& X) const {
    if (!fitted()) throw error("the Gaussian mixture is not fitted");
    if (X.shape(1) != fitted_.means.shape(1))
      throw error("X has " + std::to_string(X.shape(1)) + " feature(s), the mixture " +
                  std::to_string(fitted_.means.shape(1)));
    detail::check_finite(X, "X", options_.threads);
  }

  /// Lower Cholesky factor of a symmetric positive-definite d x d matrix at m (row-major);
  /// false if it is not positive definite.
  static bool cholesky(const double* m, std::size_t d, double* L) {
    std::fill(L, L + d * d, 0.0);
    for (std::size_t j = 0; j < d; ++j) {
      double s = m[j * d + j];
      for (std::size_t p = 0; p < j; ++p) s -= L[j * d + p] * L[j * d + p];
      if (!(s > 0)) return false;
      L[j * d + j] = std::sqrt(s);
      for (std::size_t i = j + 1; i < d; ++i) {
        double t = m[i * d + j];
        for (std::size_t p = 0; p < j; ++p) t -= L[i * d + p] * L[j * d + p];
        L[i * d + j] = t / L[j * d + j];
      }
    }
    return true;
  }

  [[noreturn]] static void ill_defined() {
    throw error(
        "fitting the mixture failed: a component's covariance is not positive definite (a component of one "
        "customer, or of customers with the same values); use fewer components or a larger reg_covar");
  }

  /// The factors P of the covariances' inverses (precision = P P^T): for a full or tied
  /// covariance C = L L^T, P = L^-T (upper triangular), as scikit-learn computes it.
  ComponentMatrices precision_cholesky_of_covariances(const ComponentMatrices& cov) const {
    ComponentMatrices out = xt::zeros<double>(cov.shape());
    const std::size_t d = cov.shape(2);
    if (options_.covariance == CovarianceType::full || options_.covariance == CovarianceType::tied) {
      std::vector<double> L(d * d), inverse(d * d);
      for (std::size_t c = 0; c < cov.shape(0); ++c) {
        if (!cholesky(&cov(c, 0, 0), d, L.data())) ill_defined();
        // inverse = L^-1 by forward substitution, column by column.
        std::fill(inverse.begin(), inverse.end(), 0.0);
        for (std::size_t col = 0; col < d; ++col)
          for (std::size_t i = col; i < d; ++i) {
            double s = i == col ? 1.0 : 0.0;
            for (std::size_t p = col; p < i; ++p) s -= L[i * d + p] * inverse[p * d + col];
            inverse[i * d + col] = s / L[i * d + i];
          }
        for (std::size_t i = 0; i < d; ++i)
          for (std::size_t j = 0; j < d; ++j) out(c, i, j) = inverse[j * d + i];
      }
      return out;
    }
    for (std::size_t c = 0; c < cov.shape(0); ++c)
      for (std::size_t j = 0; j < d; ++j) {
        if (!(cov(c, 0, j) > 0)) ill_defined();
        out(c, 0, j) = 1.0 / std::sqrt(cov(c, 0, j));
      }
    return out;
  }

  /// From given precisions: their lower Cholesky factors (full, tied), or square roots.
  ComponentMatrices precision_cholesky_of_precisions(const ComponentMatrices& precisions) const {
    ComponentMatrices out = xt::zeros<double>(precisions.shape());
    const std::size_t d = precisions.shape(2);
    if (options_.covariance == CovarianceType::full || options_.covariance == CovarianceType::tied) {
      for (std::size_t c = 0; c < precisions.shape(0); ++c)
        if (!cholesky(&precisions(c, 0, 0), d, &out(c, 0, 0)))
          throw error("a starting precision matrix is not positive definite");
      return out;
    }
    for (std::size_t c = 0; c < precisions.shape(0); ++c)
      for (std::size_t j = 0; j < d; ++j) {
        if (!(precisions(c, 0, j) > 0)) throw error("a starting precision is not positive");
        out(c, 0, j) = std::sqrt(precisions(c, 0, j));
      }
    return out;
  }

  /// The E-step of every row: body(i, log_resp of row i) on the threads; returns the mean
  /// of the rows' log-likelihoods (summed in chunks, in chunk order).
  template <class T, class Body>
  double expect(const xt::xtensor<T, 2>& X, Body&& body) const {
    const std::size_t n = X.shape(0), d = X.shape(1), k = options_.k;
    if (n == 0) return 0.0;
    const Fitted& f = fitted_;
    const auto type = options_.covariance;
    const bool shared = type == CovarianceType::tied;
    // Per component: the log-determinant of P, log weight, and mu P (full, tied) or mu^2 . p (diag, spherical).
    std::vector<double> constant(k), mu_p(k * d, 0.0), mu2_p(k, 0.0);
    const double log_2pi = std::log(2 * std::numbers::pi);
    for (std::size_t c = 0; c < k; ++c) {
      const std::size_t m = shared ? 0 : c;
      double log_det = 0;
      if (type == CovarianceType::full || type == CovarianceType::tied) {
        for (std::size_t j = 0; j < d; ++j) log_det += std::log(f.precisions_cholesky(m, j, j));
        for (std::size_t j = 0; j < d; ++j)
          for (std::size_t p = 0; p < d; ++p) mu_p[c * d + j] += f.means(c, p) * f.precisions_cholesky(m, p, j);
      } else if (type == CovarianceType::diag) {
        for (std::size_t j = 0; j < d; ++j) {
          const double pc = f.precisions_cholesky(c, 0, j), p = pc * pc;
          log_det += std::log(pc);
          mu2_p[c] += f.means(c, j) * f.means(c, j) * p;
          mu_p[c * d + j] = f.means(c, j) * p;
        }
      } else {
        const double pc = f.precisions_cholesky(c, 0, 0), p = pc * pc;
        log_det = static_cast<double>(d) * std::log(pc);
        for (std::size_t j = 0; j < d; ++j) mu2_p[c] += f.means(c, j) * f.means(c, j);
        mu2_p[c] *= p;
        for (std::size_t j = 0; j < d; ++j) mu_p[c * d + j] = f.means(c, j);
      }
      constant[c] = -0.5 * static_cast<double>(d) * log_2pi + log_det + std::log(f.weights[c]);
    }
    const std::size_t chunk = detail::sum_chunk_rows(n), chunks = detail::chunk_count(n, chunk);
    std::vector<double> partial(chunks, 0.0);
    detail::parallel_for(chunks,
                         detail::threads_for(n * k * d * (type == CovarianceType::full ? d : 1), options_.threads),
                         [&](std::size_t b) {
                           std::vector<double> x(d), y(d), log_resp(k);
                           const std::size_t lo = b * chunk, hi = std::min(n, lo + chunk);
                           double sum = 0;
                           for (std::size_t i = lo; i < hi; ++i) {
                             for (std::size_t j = 0; j < d; ++j) x[j] = static_cast<double>(X(i, j));
                             double x2 = 0;
                             for (std::size_t j = 0; j < d; ++j) x2 += x[j] * x[j];
                             for (std::size_t c = 0; c < k; ++c) {
                               double q = 0;  // the squared Mahalanobis distance to the mean
                               if (type == CovarianceType::full || type == CovarianceType::tied) {
                                 const std::size_t m = shared ? 0 : c;
                                 for (std::size_t j = 0; j < d; ++j) {
                                   double xp = 0;
                                   for (std::size_t p = 0; p < d; ++p) xp += x[p] * f.precisions_cholesky(m, p, j);
                                   const double v = xp - mu_p[c * d + j];
                                   q += v * v;
                                 }
                               } else if (type == CovarianceType::diag) {
                                 double cross = 0, square = 0;
                                 for (std::size_t j = 0; j < d; ++j) {
                                   const double pc = f.precisions_cholesky(c, 0, j);
                                   cross += x[j] * mu_p[c * d + j];
                                   square += x[j] * x[j] * (pc * pc);
                                 }
                                 q = mu2_p[c] - 2 * cross + square;
                               } else {
                                 const double pc = f.precisions_cholesky(c, 0, 0), p = pc * pc;
                                 double cross = 0;
                                 for (std::size_t j = 0; j < d; ++j) cross += x[j] * mu_p[c * d + j];
                                 q = mu2_p[c] - 2 * cross * p + x2 * p;
                               }
                               log_resp[c] = constant[c] - 0.5 * q;
                             }
                             // log-sum-exp, as scipy's: the largest term out, then the log of the sum.
                             const double top = *std::max_element(log_resp.begin(), log_resp.end());
                             double s = 0;
                             for (std::size_t c = 0; c < k; ++c) s += std::exp(log_resp[c] - top);
                             const double norm = std::log(s) + top;
                             for (std::size_t c = 0; c < k; ++c) log_resp[c] -= norm;
                             sum += norm;
                             body(i, log_resp.data());
                           }
                           partial[b] = sum;
                         });
    return fold_chunks(SerialComm{}, std::move(partial), 1)[0] / static_cast<double>(n);
  }

  /// The M-step from responsibilities (n x k): weights, means, covariances (+ reg_covar on
  /// the diagonal) and the precisions' factors, as scikit-learn's _estimate_gaussian_parameters.
  /// The `first` M-step (from the k-means segments) weighs each component by its share of
  /// the rows, as scikit-learn's initialisation does; the others by its share of the total.
  template <class T>
  void maximise(const xt::xtensor<T, 2>& X, const xt::xtensor<double, 2>& resp, bool first = false) {
    const std::size_t n = X.shape(0), d = X.shape(1), k = options_.k;
    const auto type = options_.covariance;
    const std::size_t chunk = detail::sum_chunk_rows(n), chunks = detail::chunk_count(n, chunk);
    const std::size_t threads = detail::threads_for(n * k * d, options_.threads);
    // First pass: nk, resp^T X and (diag, spherical) resp^T X^2 per chunk.
    const std::size_t width = k + 2 * k * d;
    std::vector<double> partial(chunks * width, 0.0);
    detail::parallel_for(chunks, threads, [&](std::size_t b) {
      double* at = partial.data() + b * width;
      for (std::size_t i = b * chunk; i < std::min(n, (b + 1) * chunk); ++i)
        for (std::size_t c = 0; c < k; ++c) {
          const double r = resp(i, c);
          at[c] += r;
          for (std::size_t j = 0; j < d; ++j) {
            const double x = static_cast<double>(X(i, j));
            at[k + c * d + j] += r * x;
            at[k + k * d + c * d + j] += r * x * x;
          }
        }
    });
    const std::vector<double> sums = fold_chunks(SerialComm{}, std::move(partial), width);
    std::vector<double> nk(k);
    Fitted& f = fitted_;
    f.means = xt::empty<double>({k, d});
    double nk_total = 0;
    for (std::size_t c = 0; c < k; ++c) {
      nk[c] = sums[c] + 10 * std::numeric_limits<double>::epsilon();
      nk_total += nk[c];
      for (std::size_t j = 0; j < d; ++j) f.means(c, j) = sums[k + c * d + j] / nk[c];
    }
    f.weights.assign(nk.begin(), nk.end());
    for (double& w : f.weights) w /= first ? static_cast<double>(n) : nk_total;
    f.covariances = xt::zeros<double>(matrices_shape(k, d));
    if (type == CovarianceType::full) {
      // Second pass: sum of r (x - mu)(x - mu)^T per component.
      std::vector<double> outer(chunks * k * d * d, 0.0);
      detail::parallel_for(chunks, detail::threads_for(n * k * d * d, options_.threads), [&](std::size_t b) {
        double* at = outer.data() + b * k * d * d;
        std::vector<double> diff(d);
        for (std::size_t i = b * chunk; i < std::min(n, (b + 1) * chunk); ++i)
          for (std::size_t c = 0; c < k; ++c) {
            const double r = resp(i, c);
            for (std::size_t j = 0; j < d; ++j) diff[j] = static_cast<double>(X(i, j)) - f.means(c, j);
            for (std::size_t p = 0; p < d; ++p)
              for (std::size_t q = 0; q < d; ++q) at[(c * d + p) * d + q] += r * diff[p] * diff[q];
          }
      });
      const std::vector<double> total = fold_chunks(SerialComm{}, std::move(outer), k * d * d);
      for (std::size_t c = 0; c < k; ++c) {
        for (std::size_t p = 0; p < d; ++p)
          for (std::size_t q = 0; q < d; ++q) f.covariances(c, p, q) = total[(c * d + p) * d + q] / nk[c];
        for (std::size_t p = 0; p < d; ++p) f.covariances(c, p, p) += options_.reg_covar;
      }
    } else if (type == CovarianceType::tied) {
      // X^T X - sum_c nk mu mu^T, over the total weight.
      std::vector<double> outer(chunks * d * d, 0.0);
      detail::parallel_for(chunks, detail::threads_for(n * d * d, options_.threads), [&](std::size_t b) {
        double* at = outer.data() + b * d * d;
        for (std::size_t i = b * chunk; i < std::min(n, (b + 1) * chunk); ++i)
          for (std::size_t p = 0; p < d; ++p)
            for (std::size_t q = 0; q < d; ++q)
              at[p * d + q] += static_cast<double>(X(i, p)) * static_cast<double>(X(i, q));
      });
      const std::vector<double> xx = fold_chunks(SerialComm{}, std::move(outer), d * d);
      for (std::size_t p = 0; p < d; ++p)
        for (std::size_t q = 0; q < d; ++q) {
          double mm = 0;
          for (std::size_t c = 0; c < k; ++c) mm += nk[c] * f.means(c, p) * f.means(c, q);
          f.covariances(0, p, q) = (xx[p * d + q] - mm) / nk_total;
        }
      for (std::size_t p = 0; p < d; ++p) f.covariances(0, p, p) += options_.reg_covar;
    } else {
      for (std::size_t c = 0; c < k; ++c) {
        double mean_variance = 0;
        for (std::size_t j = 0; j < d; ++j) {
          const double avg_x2 = sums[k + k * d + c * d + j] / nk[c];
          const double avg_x_mean = f.means(c, j) * sums[k + c * d + j] / nk[c];
          const double v = avg_x2 - 2 * avg_x_mean + f.means(c, j) * f.means(c, j) + options_.reg_covar;
          if (type == CovarianceType::diag)
            f.covariances(c, 0, j) = v;
          else
            mean_variance += v;
        }
        if (type == CovarianceType::spherical) f.covariances(c, 0, 0) = mean_variance / static_cast<double>(d);
      }
    }
    f.precisions_cholesky = precision_cholesky_of_covariances(f.covariances);
  }

  /// EM from the current parameters until the mean log-likelihood changes less than tol.
  template <class T>
  void run(const xt::xtensor<T, 2>& X) {
    const std::size_t n = X.shape(0), k = options_.k;
    xt::xtensor<double, 2> resp = xt::empty<double>({n, k});
    double lower = -std::numeric_limits<double>::infinity();
    fitted_.converged = false;
    for (std::size_t iteration = 1; iteration <= options_.max_iter; ++iteration) {
      const double previous = lower;
      lower = expect(X, [&](std::size_t i, const double* log_resp) {
        for (std::size_t c = 0; c < k; ++c) resp(i, c) = std::exp(log_resp[c]);
      });
      maximise(X, resp);
      fitted_.iterations = iteration;
      if (std::abs(lower - previous) < options_.tol) {
        fitted_.converged = true;
        break;
      }
    }
    fitted_.lower_bound = lower;
  }

  /// The final E-step: the labels agree with predict on the fitted parameters.
  template <class T>
  void finish(const xt::xtensor<T, 2>& X) {
    labels_ = predict(X);
  }

  MixtureOptions options_;
  Fitted fitted_;
  xt::xtensor<std::size_t, 1> labels_;
};

}  // namespace segkit
