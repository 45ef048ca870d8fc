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
#include "segkit/core/matrix.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/evaluate/labels.hpp"

namespace segkit {

namespace detail {

/// Sum over j in [begin, end) of the Euclidean distance from x to column j of
/// the transposed matrix xt (d x n, row stride n).
template <class T>
double summed_distance(const T* x, const T* xt, std::size_t stride, std::size_t d, std::size_t begin,
                       std::size_t end) {
  using batch = xsimd::batch<T>;
  constexpr std::size_t W = batch::size;
  constexpr std::size_t block = 1024;  // float lanes are flushed into double this often
  double total = 0;
  std::size_t j = begin;
  while (j + W <= end) {
    const std::size_t stop = std::min(end, j + block);
    batch acc_sum(T(0));
    // Four column blocks at a time: four independent chains over the features
    // instead of one as long as d; their roots are added in the same order as below.
    for (; j + 4 * W <= stop; j += 4 * W) {
      batch a0(T(0)), a1(T(0)), a2(T(0)), a3(T(0));
      const T* col = xt + j;
      for (std::size_t f = 0; f < d; ++f, col += stride) {
        const batch xf(x[f]);
        const batch d0 = xf - batch::load_unaligned(col);
        const batch d1 = xf - batch::load_unaligned(col + W);
        const batch d2 = xf - batch::load_unaligned(col + 2 * W);
        const batch d3 = xf - batch::load_unaligned(col + 3 * W);
        a0 += d0 * d0;
        a1 += d1 * d1;
        a2 += d2 * d2;
        a3 += d3 * d3;
      }
      acc_sum += xsimd::sqrt(a0);
      acc_sum += xsimd::sqrt(a1);
      acc_sum += xsimd::sqrt(a2);
      acc_sum += xsimd::sqrt(a3);
    }
    for (; j + W <= stop; j += W) {
      batch acc(T(0));
      for (std::size_t f = 0; f < d; ++f) {
        const batch diff = batch(x[f]) - batch::load_unaligned(xt + f * stride + j);
        acc += diff * diff;
      }
      acc_sum += xsimd::sqrt(acc);
    }
    total += static_cast<double>(xsimd::hadd(acc_sum));
  }
  for (; j < end; ++j) {
    T acc = 0;
    for (std::size_t f = 0; f < d; ++f) {
      const T diff = x[f] - xt[f * stride + j];
      acc += diff * diff;
    }
    total += static_cast<double>(std::sqrt(acc));
  }
  return total;
}

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
        const double sum = summed_distance(x.data(), transposed.data(), n, d, offsets[c], offsets[c + 1]);
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
