#pragma once
// segkit::PCA — principal component analysis as scikit-learn's PCA(svd_solver="full"),
// for the 2-D picture of the segments and for reading which features vary together.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <tuple>

#include <xtensor/xexpression.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor-blas/xlinalg.hpp>

#include "segkit/core/error.hpp"
#include "segkit/core/matrix.hpp"

namespace segkit {

/// Fits on n x d data (float or double; always computed and kept in double).
/// components() are the principal axes (n_components x d), in decreasing order
/// of explained variance, with scikit-learn's signs (see fit).
class PCA {
 public:
  /// 0 keeps min(n, d) components, scikit-learn's default.
  explicit PCA(std::size_t n_components = 0) : requested_(n_components) {}

  template <class E>
  PCA& fit(const xt::xexpression<E>& X) {
    // double whatever the input: the SVD of float data in float would lose
    // half the digits of the small components, and the results are kept in double.
    xt::xtensor<double, 2> data = detail::to_matrix<double>(X, "X");
    detail::check_data(data, "X");
    const std::size_t n = data.shape(0), d = data.shape(1);
    if (n < 2) throw error("PCA needs at least 2 rows to estimate a variance, got 1");
    const std::size_t rank = std::min(n, d);
    if (requested_ > rank)
      throw error("n_components = " + std::to_string(requested_) +
                  " is larger than min(rows, features) = " + std::to_string(rank));
    const std::size_t m = requested_ == 0 ? rank : requested_;

    mean_ = xt::zeros<double>({d});
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < d; ++j) mean_(j) += data(i, j);
    for (std::size_t j = 0; j < d; ++j) mean_(j) /= static_cast<double>(n);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < d; ++j) data(i, j) -= mean_(j);

    // The SVD of the centred data, not the eigenvectors of its covariance:
    // forming X'X squares the condition number and loses the small components.
    auto [U, S, Vt] = xt::linalg::svd(data, /*full_matrices=*/false, /*compute_uv=*/true);

    // scikit-learn's svd_flip(U, Vt) with u_based_decision=True: each column of U
    // (a component's scores on the training rows) has its largest-|value| entry,
    // the first one on a tie as numpy's argmax, made positive. Without a rule the
    // sign is whatever LAPACK returns, and pictures would flip between versions.
    components_ = xt::zeros<double>({m, d});
    for (std::size_t c = 0; c < m; ++c) {
      std::size_t top = 0;
      for (std::size_t i = 1; i < n; ++i)
        if (std::abs(U(i, c)) > std::abs(U(top, c))) top = i;
      const double sign = U(top, c) < 0 ? -1.0 : 1.0;  // np.sign(0) = 0 only for an all-zero column
      for (std::size_t j = 0; j < d; ++j) components_(c, j) = sign * Vt(c, j);
    }

    // The ratio is taken over every component, also those not kept, as scikit-learn does.
    double total = 0;
    for (std::size_t c = 0; c < rank; ++c) total += S(c) * S(c) / static_cast<double>(n - 1);
    singular_values_ = xt::zeros<double>({m});
    explained_variance_ = xt::zeros<double>({m});
    explained_variance_ratio_ = xt::zeros<double>({m});
    for (std::size_t c = 0; c < m; ++c) {
      singular_values_(c) = S(c);
      explained_variance_(c) = S(c) * S(c) / static_cast<double>(n - 1);
      // Constant data has no variance to explain; 0 rather than scikit-learn's NaN.
      explained_variance_ratio_(c) = total > 0 ? explained_variance_(c) / total : 0.0;
    }
    return *this;
  }

  /// Projects X (rows x d, the features of fit) onto the components: rows x n_components.
  template <class E>
  xt::xtensor<double, 2> transform(const xt::xexpression<E>& X) const {
    require_fitted();
    const detail::MatrixArg<double> X_arg(X, "X");
    const xt::xtensor<double, 2>& data = *X_arg;
    detail::check_finite(data, "X");
    detail::check_width(data, components_.shape(1), "X");
    const std::size_t n = data.shape(0), d = data.shape(1), m = components_.shape(0);
    xt::xtensor<double, 2> out = xt::zeros<double>({n, m});
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t c = 0; c < m; ++c) {
        double sum = 0;
        for (std::size_t j = 0; j < d; ++j) sum += (data(i, j) - mean_(j)) * components_(c, j);
        out(i, c) = sum;
      }
    return out;
  }

  template <class E>
  xt::xtensor<double, 2> fit_transform(const xt::xexpression<E>& X) {
    fit(X);
    return transform(X);
  }

  std::size_t n_components() const { return require_fitted(), components_.shape(0); }
  /// n_components x d, unit rows.
  const xt::xtensor<double, 2>& components() const { return require_fitted(), components_; }
  /// Variance along each component, with n - 1 in the denominator (scikit-learn's ddof = 1).
  const xt::xtensor<double, 1>& explained_variance() const { return require_fitted(), explained_variance_; }
  /// Share of the total variance (over all min(n, d) components) along each kept component.
  const xt::xtensor<double, 1>& explained_variance_ratio() const { return require_fitted(), explained_variance_ratio_; }
  const xt::xtensor<double, 1>& singular_values() const { return require_fitted(), singular_values_; }
  /// Per-feature mean of the training data, subtracted before projecting.
  const xt::xtensor<double, 1>& mean() const { return require_fitted(), mean_; }
  bool is_fitted() const { return components_.size() != 0; }

 private:
  void require_fitted() const {
    if (!is_fitted()) throw error("the PCA is used before fit()");
  }

  std::size_t requested_;
  xt::xtensor<double, 2> components_;
  xt::xtensor<double, 1> explained_variance_, explained_variance_ratio_, singular_values_, mean_;
};

}  // namespace segkit
