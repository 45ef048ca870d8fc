#pragma once
// RobustScaler: median removed, divided by the interquartile range, so a few
// extreme customers do not squeeze everyone else together.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "segkit/scaler/affine.hpp"

namespace segkit {

namespace detail {

/// numpy's default ("linear") percentile of sorted values, q in [0, 100],
/// including numpy's way of interpolating from the nearer end.
inline double percentile_sorted(const std::vector<double>& sorted, double q) {
  const double position = q / 100.0 * static_cast<double>(sorted.size() - 1);
  const std::size_t lo = static_cast<std::size_t>(std::floor(position));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double t = position - static_cast<double>(lo);
  const double a = sorted[lo], b = sorted[hi];
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

}  // namespace detail

class RobustScaler : public AffineScaler {
 public:
  template <class T>
  RobustScaler& fit(const xt::xtensor<T, 2>& X) {
    detail::check_data(X, "the data given to RobustScaler::fit");
    const std::size_t d = X.shape(1);
    std::vector<double> median(d), iqr(d);
    for (std::size_t j = 0; j < d; ++j) {
      std::vector<double> column = column_of(X, j);
      std::sort(column.begin(), column.end());
      median[j] = detail::percentile_sorted(column, 50);
      iqr[j] = nonzero_scale(detail::percentile_sorted(column, 75) - detail::percentile_sorted(column, 25));
    }
    set(std::move(median), std::move(iqr));
    return *this;
  }
};

}  // namespace segkit
