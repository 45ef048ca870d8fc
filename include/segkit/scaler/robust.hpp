#pragma once
// RobustScaler: median removed, divided by the interquartile range, so a few
// extreme customers do not squeeze everyone else together.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string_view>
#include <vector>

#include "segkit/core/comm.hpp"
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

  /// The same statistics over the rows of every rank of `comm` (a rank may hold none): the
  /// median and quartiles of all the values of each column, exactly as one process finds
  /// them, without moving the values (detail::spread_percentile_points). Collective; the
  /// rows are checked by the caller.
  template <class T, Communicator Comm>
  RobustScaler& fit(const xt::xtensor<T, 2>& X, const Comm& comm, const RowLayout& layout) {
    const std::size_t d = X.shape(1);
    std::vector<std::vector<double>> columns(d);
    for (std::size_t j = 0; j < d; ++j) columns[j] = column_of(X, j);
    const auto quantiles = detail::spread_percentile_points(comm, std::move(columns), layout.n_global, {25, 50, 75});
    std::vector<double> median(d), iqr(d);
    for (std::size_t j = 0; j < d; ++j) {
      median[j] = quantiles[j][1].value();
      iqr[j] = nonzero_scale(quantiles[j][2].value() - quantiles[j][0].value());
    }
    set(std::move(median), std::move(iqr));
    return *this;
  }
};

}  // namespace segkit
