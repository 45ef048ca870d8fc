#pragma once
// Labels as the scores take them: any 1-D container or xtensor expression of
// integers, re-coded to 0..m-1 in sorted order (as scikit-learn's LabelEncoder).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <type_traits>
#include <vector>

#include <xtensor/xexpression.hpp>
#include <xtensor/xtensor.hpp>

#include "segkit/core/clustering.hpp"
#include "segkit/core/error.hpp"

namespace segkit::detail {

struct DenseLabels {
  std::vector<std::size_t> codes;  ///< one per row, in 0..count-1
  std::vector<std::size_t> sizes;  ///< rows per label
  std::size_t count() const { return sizes.size(); }
};

template <class L>
std::vector<std::int64_t> label_values(const L& labels) {
  std::vector<std::int64_t> values;
  auto take = [&values](const auto& range) {
    using V = std::remove_cvref_t<decltype(*std::begin(range))>;
    static_assert(std::is_integral_v<V>, "segkit: labels must be integers");
    for (const auto& v : range) {
      if constexpr (std::is_unsigned_v<V>) {
        if (static_cast<std::uint64_t>(v) > static_cast<std::uint64_t>(INT64_MAX))
          throw error("a label is too large: " + std::to_string(v));
      }
      values.push_back(static_cast<std::int64_t>(v));
    }
  };
  if constexpr (xt::is_xexpression<L>::value) {
    if (labels.dimension() != 1)
      throw error("labels must be 1-D, got " + std::to_string(labels.dimension()) + " dimension(s)");
    take(labels);
  } else {
    take(labels);
  }
  return values;
}

/// Re-codes labels for a score on n rows; throws unless there are n labels and
/// 2 <= distinct labels <= n - 1 (scikit-learn's rule: the scores mean nothing otherwise).
template <class L>
DenseLabels encode_labels(const L& labels, std::size_t n) {
  const std::vector<std::int64_t> values = label_values(labels);
  if (values.size() != n)
    throw error("X has " + std::to_string(n) + " row(s) but " + std::to_string(values.size()) + " label(s) were given");
  std::vector<std::int64_t> distinct = values;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  if (distinct.size() < 2 || distinct.size() + 1 > n)
    throw error("the labels hold " + std::to_string(distinct.size()) +
                " distinct value(s); a score needs from 2 to n - 1 = " + std::to_string(n > 0 ? n - 1 : 0) +
                " (inclusive)");
  DenseLabels out;
  out.codes.resize(n);
  out.sizes.assign(distinct.size(), 0);
  for (std::size_t i = 0; i < n; ++i) {
    const auto code =
        static_cast<std::size_t>(std::lower_bound(distinct.begin(), distinct.end(), values[i]) - distinct.begin());
    out.codes[i] = code;
    ++out.sizes[code];
  }
  return out;
}

/// Throws unless a Clustering has one label per row of X, each below its k.
template <class T>
void check_clustering_labels(const Clustering<T>& clustering, std::size_t n) {
  const std::size_t k = clustering.centers.shape(0);
  if (clustering.labels.size() != n)
    throw error("X has " + std::to_string(n) + " row(s) but the clustering has " +
                std::to_string(clustering.labels.size()) + " label(s)");
  for (std::size_t i = 0; i < n; ++i)
    if (clustering.labels(i) >= k)
      throw error("label " + std::to_string(clustering.labels(i)) + " at row " + std::to_string(i) +
                  " is out of range: the clustering has k = " + std::to_string(k));
}

/// The labels of a Clustering, checked against its own k, re-coded for a score.
template <class T>
DenseLabels clustering_labels(const Clustering<T>& clustering, std::size_t n) {
  check_clustering_labels(clustering, n);
  return encode_labels(clustering.labels, n);
}

}  // namespace segkit::detail
