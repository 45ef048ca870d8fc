#pragma once
// The silhouette (Rousseeuw 1987) with Euclidean distance, computed exactly:
// every pair once per row, O(n^2 d), vectorised and spread over the threads.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <vector>

#include <xsimd/xsimd.hpp>
#include <xtensor/xexpression.hpp>
#include <xtensor/xtensor.hpp>

#include "segkit/core/clustering.hpp"
#include "segkit/core/dispatch.hpp"
#include "segkit/core/matrix.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/evaluate/labels.hpp"

namespace segkit {

namespace detail {

/// Silhouette of each row.
template <class T>
std::vector<double> silhouette_samples(const xt::xtensor<T, 2>& X, const DenseLabels& labels, std::size_t threads) {
  const std::size_t n = X.shape(0), d = X.shape(1), m = labels.count();
  // Rows grouped by label, so each label's rows are one contiguous range.
  std::vector<std::size_t> offsets(m + 1, 0);
  for (std::size_t c = 0; c < m; ++c) offsets[c + 1] = offsets[c] + labels.sizes[c];
  std::vector<std::size_t> fill(offsets.begin(), offsets.end() - 1);
  std::vector<T> transposed(d * n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t slot = fill[labels.codes[i]]++;
    for (std::size_t f = 0; f < d; ++f) transposed[f * n + slot] = X(i, f);
  }

  std::vector<double> samples(n);
  const auto& kernel = simd::active<T>();
  constexpr std::size_t chunk = 16;
  parallel_for(chunk_count(n, chunk), threads, [&](std::size_t ch) {
    std::vector<T> x(d);
    const std::size_t b = ch * chunk, e = std::min(n, b + chunk);
    for (std::size_t i = b; i < e; ++i) {
      for (std::size_t f = 0; f < d; ++f) x[f] = X(i, f);
      const std::size_t own = labels.codes[i];
      if (labels.sizes[own] == 1) {  // a lone row has no silhouette; scikit-learn scores it 0
        samples[i] = 0;
        continue;
      }
      double a = 0, b_min = std::numeric_limits<double>::infinity();
      for (std::size_t c = 0; c < m; ++c) {
        const double sum = kernel.summed_distance(x.data(), transposed.data(), n, d, offsets[c], offsets[c + 1]);
        if (c == own)
          a = sum / static_cast<double>(labels.sizes[c] - 1);
        else
          b_min = std::min(b_min, sum / static_cast<double>(labels.sizes[c]));
      }
      const double denom = std::max(a, b_min);
      samples[i] = denom > 0 ? (b_min - a) / denom : 0.0;
    }
  });
  return samples;
}

template <class T>
double silhouette(const xt::xtensor<T, 2>& X, const DenseLabels& labels, std::size_t threads) {
  const std::vector<double> samples = silhouette_samples(X, labels, threads);
  return std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(samples.size());
}

}  // namespace detail

/// Mean silhouette over all rows, as scikit-learn's silhouette_score (Euclidean, no sampling).
template <class E, class L>
double silhouette_score(const xt::xexpression<E>& X, const L& labels, std::size_t threads = 0) {
  using T = compute_type_t<detail::expression_value_t<E>>;
  const xt::xtensor<T, 2> data = detail::to_matrix<T>(X, "X");
  detail::check_data(data, "X");
  return detail::silhouette(data, detail::encode_labels(labels, data.shape(0)), threads);
}

/// Each row's silhouette, as scikit-learn's silhouette_samples.
template <class E, class L>
xt::xtensor<double, 1> silhouette_samples(const xt::xexpression<E>& X, const L& labels, std::size_t threads = 0) {
  using T = compute_type_t<detail::expression_value_t<E>>;
  const xt::xtensor<T, 2> data = detail::to_matrix<T>(X, "X");
  detail::check_data(data, "X");
  const std::vector<double> samples =
      detail::silhouette_samples(data, detail::encode_labels(labels, data.shape(0)), threads);
  xt::xtensor<double, 1> out = xt::empty<double>({samples.size()});
  std::copy(samples.begin(), samples.end(), out.begin());
  return out;
}

/// Evaluator policy: higher is better, in [-1, 1].
struct Silhouette {
  static constexpr bool higher_is_better = true;

  template <class T>
  double evaluate(const xt::xtensor<T, 2>& X, const Clustering<T>& clustering, std::size_t threads) const {
    return detail::silhouette(X, detail::clustering_labels(clustering, X.shape(0)), threads);
  }
};

}  // namespace segkit
