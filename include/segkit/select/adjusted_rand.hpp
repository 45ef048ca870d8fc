#pragma once
// Adjusted Rand index (Hubert & Arabie 1985) as scikit-learn computes it: how
// much two labellings of the same rows agree, 1 for the same partition, about 0
// for chance. Used to ask whether segments survive a change of seed.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "segkit/core/error.hpp"
#include "segkit/core/labels.hpp"

namespace segkit {

namespace detail {

// Pair counts reach n^2 and their products n^4: beyond 64 bits from n of about
// 55,000, where scikit-learn switches to Python's unbounded integers.
__extension__ typedef __int128 ari_wide;

/// 0..m-1 codes of the values, in sorted order of the values; m is returned in `count`.
inline std::vector<std::uint64_t> dense_codes(const std::vector<std::int64_t>& values, std::uint64_t& count) {
  std::vector<std::int64_t> distinct = values;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  count = distinct.size();
  std::vector<std::uint64_t> codes(values.size());
  for (std::size_t i = 0; i < values.size(); ++i)
    codes[i] =
        static_cast<std::uint64_t>(std::lower_bound(distinct.begin(), distinct.end(), values[i]) - distinct.begin());
  return codes;
}

}  // namespace detail

/// scikit-learn's adjusted_rand_score(labels_a, labels_b): any 1-D containers or
/// xtensor expressions of integers, of the same length; the label values themselves
/// do not matter, only which rows share one. Symmetric in its arguments.
template <class A, class B>
double adjusted_rand_score(const A& labels_a, const B& labels_b) {
  const std::vector<std::int64_t> a = detail::label_values(labels_a);
  const std::vector<std::int64_t> b = detail::label_values(labels_b);
  if (a.size() != b.size())
    throw error("adjusted_rand_score: the labellings have " + std::to_string(a.size()) + " and " +
                std::to_string(b.size()) + " labels; they must label the same rows");
  const std::size_t n = a.size();
  std::uint64_t na = 0, nb = 0;
  const std::vector<std::uint64_t> ca = detail::dense_codes(a, na);
  const std::vector<std::uint64_t> cb = detail::dense_codes(b, nb);

  // The non-zero cells of the contingency table, as runs of equal (a, b) keys:
  // a dense na x nb table would be n^2 when every row has its own label.
  std::vector<std::uint64_t> keys(n);
  for (std::size_t i = 0; i < n; ++i) keys[i] = ca[i] * nb + cb[i];
  std::sort(keys.begin(), keys.end());
  std::vector<std::int64_t> row_sum(na, 0), col_sum(nb, 0);
  for (std::size_t i = 0; i < n; ++i) ++row_sum[ca[i]], ++col_sum[cb[i]];

  using wide = detail::ari_wide;
  wide sum_squares = 0, by_col = 0, by_row = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && keys[j] == keys[i]) ++j;
    const wide cell = static_cast<wide>(j - i);
    sum_squares += cell * cell;
    by_col += cell * col_sum[keys[i] % nb];
    by_row += cell * row_sum[keys[i] / nb];
    i = j;
  }
  // scikit-learn's pair_confusion_matrix: ordered pairs, so twice the unordered counts.
  const wide nn = static_cast<wide>(n);
  const wide tp = sum_squares - nn;
  const wide fp = by_col - sum_squares;
  const wide fn = by_row - sum_squares;
  const wide tn = nn * nn - fp - fn - sum_squares;
  if (fn == 0 && fp == 0) return 1.0;  // also the empty and the one-row case, as scikit-learn
  const wide numerator = 2 * (tp * tn - fn * fp);
  const wide denominator = (tp + fn) * (fn + tn) + (tp + fp) * (fp + tn);
  return static_cast<double>(static_cast<long double>(numerator) / static_cast<long double>(denominator));
}

}  // namespace segkit
