#pragma once
// RobustScaler: median removed, divided by the interquartile range, so a few
// extreme customers do not squeeze everyone else together.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string_view>
#include <vector>

#include "segkit/core/median.hpp"
#include "segkit/scaler/affine.hpp"

namespace segkit {

class RobustScaler : public AffineScaler {
 public:
  /// Its name in the policy registry (pipeline/registry.hpp), the tool and model files.
  static constexpr std::string_view name = "robust";

  template <class T>
  RobustScaler& fit(const xt::xtensor<T, 2>& X) {
    detail::check_data(X, "the data given to RobustScaler::fit");
    const std::size_t d = X.shape(1);
    std::vector<double> median(d), iqr(d);
    for (std::size_t j = 0; j < d; ++j) {
      std::vector<double> column = column_of(X, j);
      const auto quantile = detail::percentile_points_in_place(column, {25, 50, 75});
      median[j] = quantile[1].value();
      iqr[j] = nonzero_scale(quantile[2].value() - quantile[0].value());
    }
    set(std::move(median), std::move(iqr));
    return *this;
  }
};

}  // namespace segkit
