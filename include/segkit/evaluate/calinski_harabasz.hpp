#pragma once
// Calinski-Harabasz index (1974), the variance ratio criterion: higher is better.

#include <cstddef>
#include <vector>

#include <xtensor/xexpression.hpp>
#include <xtensor/xtensor.hpp>

#include "segkit/core/clustering.hpp"
#include "segkit/core/matrix.hpp"
#include "segkit/evaluate/cluster_means.hpp"
#include "segkit/core/labels.hpp"

namespace segkit {

namespace detail {

/// The index from each cluster's centroid (m x d) and size, the overall mean, the summed
/// squared distance of the rows to their centroids (within), and the row count.
inline double calinski_harabasz_from(const xt::xtensor<double, 2>& means, const std::vector<std::size_t>& sizes,
                                     const std::vector<double>& overall, double within, std::size_t n) {
  const std::size_t m = means.shape(0), d = means.shape(1);
  double between = 0;
  for (std::size_t c = 0; c < m; ++c) {
    double sq = 0;
    for (std::size_t j = 0; j < d; ++j) sq += (means(c, j) - overall[j]) * (means(c, j) - overall[j]);
    between += static_cast<double>(sizes[c]) * sq;
  }
  if (within == 0.0) return 1.0;  // every row on its centroid: scikit-learn's convention
  return between * static_cast<double>(n - m) / (within * static_cast<double>(m - 1));
}

template <class T>
double calinski_harabasz(const xt::xtensor<T, 2>& X, const DenseLabels& labels) {
  const std::size_t n = X.shape(0), d = X.shape(1);
  const xt::xtensor<double, 2> means = cluster_means(X, labels);
  std::vector<double> overall(d, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) overall[j] += static_cast<double>(X(i, j));
  for (double& v : overall) v /= static_cast<double>(n);
  double within = 0;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) {
      const double diff = static_cast<double>(X(i, j)) - means(labels.codes[i], j);
      within += diff * diff;
    }
  return calinski_harabasz_from(means, labels.sizes, overall, within, n);
}

}  // namespace detail

template <class E, class L>
double calinski_harabasz_score(const xt::xexpression<E>& X, const L& labels) {
  using T = compute_type_t<detail::expression_value_t<E>>;
  const detail::MatrixArg<T> X_arg(X, "X");
  const xt::xtensor<T, 2>& data = *X_arg;
  detail::check_data(data, "X");
  return detail::calinski_harabasz(data, detail::encode_labels(labels, data.shape(0)));
}

/// Evaluator policy: higher is better.
struct CalinskiHarabasz {
  static constexpr bool higher_is_better = true;

  template <class T>
  double evaluate(const xt::xtensor<T, 2>& X, const Clustering<T>& clustering, std::size_t /*threads*/) const {
    return detail::calinski_harabasz(X, detail::clustering_labels(clustering, X.shape(0)));
  }
};

}  // namespace segkit
