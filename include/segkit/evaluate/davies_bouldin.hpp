#pragma once
// Davies-Bouldin index (1979), as scikit-learn defines it: lower is better.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include <xtensor/xexpression.hpp>
#include <xtensor/xtensor.hpp>

#include "segkit/core/clustering.hpp"
#include "segkit/core/matrix.hpp"
#include "segkit/evaluate/cluster_means.hpp"
#include "segkit/core/labels.hpp"

namespace segkit {

namespace detail {

/// The index from each cluster's centroid (m x d) and mean distance of its rows to it.
inline double davies_bouldin_from(const xt::xtensor<double, 2>& means, const std::vector<double>& spread) {
  const std::size_t m = means.shape(0), d = means.shape(1);
  auto euclidean = [d](const auto& a, const auto& b) {
    double sum = 0;
    for (std::size_t j = 0; j < d; ++j) {
      const double diff = a(j) - b(j);
      sum += diff * diff;
    }
    return std::sqrt(sum);
  };
  xt::xtensor<double, 2> separation = xt::zeros<double>({m, m});
  for (std::size_t a = 0; a < m; ++a)
    for (std::size_t b = 0; b < m; ++b)
      separation(a, b) =
          euclidean([&](std::size_t j) { return means(a, j); }, [&](std::size_t j) { return means(b, j); });

  // scikit-learn's np.allclose(..., 0): everything within 1e-8 of zero means a degenerate clustering.
  auto all_near_zero = [](const auto& values) {
    return std::all_of(values.begin(), values.end(), [](double v) { return std::abs(v) <= 1e-8; });
  };
  if (all_near_zero(spread) || all_near_zero(separation)) return 0.0;

  double total = 0;
  for (std::size_t a = 0; a < m; ++a) {
    double worst = -std::numeric_limits<double>::infinity();
    for (std::size_t b = 0; b < m; ++b) {
      const double sep = separation(a, b) == 0 ? std::numeric_limits<double>::infinity() : separation(a, b);
      worst = std::max(worst, (spread[a] + spread[b]) / sep);
    }
    total += worst;
  }
  return total / static_cast<double>(m);
}

template <class T>
double davies_bouldin(const xt::xtensor<T, 2>& X, const DenseLabels& labels) {
  const std::size_t n = X.shape(0), d = X.shape(1), m = labels.count();
  const xt::xtensor<double, 2> means = cluster_means(X, labels);
  auto euclidean = [d](const auto& a, const auto& b) {  // a, b: indexable rows of length d
    double sum = 0;
    for (std::size_t j = 0; j < d; ++j) {
      const double diff = static_cast<double>(a(j)) - static_cast<double>(b(j));
      sum += diff * diff;
    }
    return std::sqrt(sum);
  };
  std::vector<double> spread(m, 0.0);  // mean distance of a cluster's rows to its centroid
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = labels.codes[i];
    spread[c] += euclidean([&](std::size_t j) { return X(i, j); }, [&](std::size_t j) { return means(c, j); });
  }
  for (std::size_t c = 0; c < m; ++c) spread[c] /= static_cast<double>(labels.sizes[c]);
  return davies_bouldin_from(means, spread);
}

}  // namespace detail

template <class E, class L>
double davies_bouldin_score(const xt::xexpression<E>& X, const L& labels) {
  using T = compute_type_t<detail::expression_value_t<E>>;
  const detail::MatrixArg<T> X_arg(X, "X");
  const xt::xtensor<T, 2>& data = *X_arg;
  detail::check_data(data, "X");
  return detail::davies_bouldin(data, detail::encode_labels(labels, data.shape(0)));
}

/// Evaluator policy: lower is better, 0 at best.
struct DaviesBouldin {
  static constexpr bool higher_is_better = false;

  template <class T>
  double evaluate(const xt::xtensor<T, 2>& X, const Clustering<T>& clustering, std::size_t /*threads*/) const {
    return detail::davies_bouldin(X, detail::clustering_labels(clustering, X.shape(0)));
  }
};

}  // namespace segkit
