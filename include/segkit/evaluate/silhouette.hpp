#pragma once
// The silhouette (Rousseeuw 1987) with Euclidean distance, computed exactly:
// every pair once, O(n^2 d / 2), vectorised and spread over the threads.

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
#include "segkit/core/labels.hpp"

namespace segkit {

namespace detail {

/// Silhouette of each row. Each pair of rows is computed once and added to
/// both rows' sums (rows sorted by label, tiles of 256 x 256 above the
/// diagonal). The sums land in a fixed number of partial copies, each filled
/// by one task in a fixed order and merged in order, so the result does not
/// depend on the thread count.
template <class T>
std::vector<double> silhouette_samples(const xt::xtensor<T, 2>& X, const DenseLabels& labels, std::size_t threads) {
  const std::size_t n = X.shape(0), d = X.shape(1), m = labels.count();
  // Rows grouped by label, so each label's rows are one contiguous range of slots.
  std::vector<std::size_t> offsets(m + 1, 0);
  for (std::size_t c = 0; c < m; ++c) offsets[c + 1] = offsets[c] + labels.sizes[c];
  std::vector<std::size_t> fill(offsets.begin(), offsets.end() - 1), row_of_slot(n), label_of_slot(n);
  std::vector<T> sorted(n * d), transposed(d * n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t slot = fill[labels.codes[i]]++;
    row_of_slot[slot] = i;
    label_of_slot[slot] = labels.codes[i];
    for (std::size_t f = 0; f < d; ++f) sorted[slot * d + f] = transposed[f * n + slot] = X(i, f);
  }

  constexpr std::size_t block = 256;
  const std::size_t n_blocks = chunk_count(n, block);
  // Up to 8 partial copies of the n x m sums, within 128 MB; never by thread count.
  const std::size_t copies = std::clamp<std::size_t>((std::size_t{128} << 20) / (n * m * sizeof(double)), 1, 8);
  std::vector<double> partial(copies * n * m, 0.0);
  const auto& kernel = simd::active<T>();
  parallel_for(copies, threads, [&](std::size_t copy) {
    double* sums = partial.data() + copy * n * m;  // sums[slot * m + label]
    std::vector<T> column_sums(m * block);         // per label of the tile's rows, per column
    for (std::size_t I = copy; I < n_blocks; I += copies) {
      const std::size_t ib = I * block, ie = std::min(n, ib + block);
      for (std::size_t J = I; J < n_blocks; ++J) {
        const std::size_t jb = J * block, je = std::min(n, jb + block);
        std::fill(column_sums.begin(), column_sums.end(), T(0));
        for (std::size_t s = ib; s < ie;) {
          const std::size_t own = label_of_slot[s], own_end = std::min(ie, offsets[own + 1]);
          const std::size_t rows = own_end - s >= 4 ? 4 : 1;  // four rows of one label at a time
          for (std::size_t c0 = jb; c0 < je;) {
            const std::size_t other = label_of_slot[c0], c1 = std::min(je, offsets[other + 1]);
            double row_sums[4] = {0, 0, 0, 0};
            (rows == 4 ? kernel.distance_sums_4 : kernel.distance_sums_1)(sorted.data() + s * d, transposed.data(), n,
                                                                          d, c0, c1, row_sums,
                                                                          column_sums.data() + own * block + (c0 - jb));
            for (std::size_t r = 0; r < rows; ++r) sums[(s + r) * m + other] += row_sums[r];
            c0 = c1;
          }
          s += rows;
        }
        // A diagonal tile held every pair of its rows both ways already.
        if (J != I)
          for (std::size_t c = 0; c < m; ++c)
            for (std::size_t j = jb; j < je; ++j)
              sums[j * m + c] += static_cast<double>(column_sums[c * block + j - jb]);
      }
    }
  });
  for (std::size_t copy = 1; copy < copies; ++copy)
    for (std::size_t e = 0; e < n * m; ++e) partial[e] += partial[copy * n * m + e];

  std::vector<double> samples(n);
  for (std::size_t slot = 0; slot < n; ++slot) {
    const std::size_t own = label_of_slot[slot], i = row_of_slot[slot];
    if (labels.sizes[own] == 1) {  // a lone row has no silhouette; scikit-learn scores it 0
      samples[i] = 0;
      continue;
    }
    double a = 0, b_min = std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < m; ++c) {
      const double sum = partial[slot * m + c];
      if (c == own)
        a = sum / static_cast<double>(labels.sizes[c] - 1);
      else
        b_min = std::min(b_min, sum / static_cast<double>(labels.sizes[c]));
    }
    const double denom = std::max(a, b_min);
    samples[i] = denom > 0 ? (b_min - a) / denom : 0.0;
  }
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
  const detail::MatrixArg<T> X_arg(X, "X");
  const xt::xtensor<T, 2>& data = *X_arg;
  detail::check_data(data, "X");
  return detail::silhouette(data, detail::encode_labels(labels, data.shape(0)), threads);
}

/// Each row's silhouette, as scikit-learn's silhouette_samples.
template <class E, class L>
xt::xtensor<double, 1> silhouette_samples(const xt::xexpression<E>& X, const L& labels, std::size_t threads = 0) {
  using T = compute_type_t<detail::expression_value_t<E>>;
  const detail::MatrixArg<T> X_arg(X, "X");
  const xt::xtensor<T, 2>& data = *X_arg;
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

/// Evaluator policy: the silhouette of a fixed sample of the rows (as scikit-learn's
/// silhouette_score with sample_size), for data too large for the exact O(n^2) score.
/// `rows` are indices into X, each at most once; the same rows give the same score.
struct SampledSilhouette {
  static constexpr bool higher_is_better = true;
  std::vector<std::size_t> rows;

  template <class T>
  double evaluate(const xt::xtensor<T, 2>& X, const Clustering<T>& clustering, std::size_t threads) const {
    const std::size_t d = X.shape(1), m = rows.size();
    xt::xtensor<T, 2> sample = xt::empty<T>({m, d});
    std::vector<std::size_t> labels(m);
    for (std::size_t i = 0; i < m; ++i) {
      if (rows[i] >= X.shape(0))
        throw error("silhouette sample row " + std::to_string(rows[i]) + " is beyond the data's " +
                    std::to_string(X.shape(0)) + " rows");
      std::copy_n(X.data() + rows[i] * d, d, sample.data() + i * d);
      labels[i] = clustering.labels(rows[i]);
    }
    return detail::silhouette(sample, detail::encode_labels(labels, m), threads);
  }
};

}  // namespace segkit
