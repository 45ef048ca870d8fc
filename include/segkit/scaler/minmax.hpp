#pragma once
// MinMaxScaler: each feature mapped onto [0, 1].

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <vector>

#include "segkit/scaler/affine.hpp"

namespace segkit {

class MinMaxScaler : public AffineScaler {
 public:
  /// Its name in the policy registry (pipeline/registry.hpp), the tool and model files.
  static constexpr std::string_view name = "minmax";

  template <class T>
  MinMaxScaler& fit(const xt::xtensor<T, 2>& X) {
    detail::check_data(X, "the data given to MinMaxScaler::fit");
    const std::size_t d = X.shape(1);
    std::vector<double> low(d), range(d);
    for (std::size_t j = 0; j < d; ++j) {
      const std::vector<double> column = column_of(X, j);
      const auto [lo, hi] = std::minmax_element(column.begin(), column.end());
      low[j] = *lo;
      range[j] = nonzero_scale(*hi - *lo);
    }
    set(std::move(low), std::move(range));
    return *this;
  }
};

}  // namespace segkit
