#pragma once
// MinMaxScaler: each feature mapped onto [0, 1].

#include <algorithm>
#include <cstddef>
#include <limits>
#include <string_view>
#include <vector>

#include "segkit/core/comm.hpp"
#include "segkit/scaler/affine.hpp"

namespace segkit {

class MinMaxScaler : public AffineScaler {
 public:
  /// Its name in the policy registry (pipeline/registry.hpp), the tool and model files.
  static constexpr std::string_view name = "minmax";

  template <class T>
  MinMaxScaler& fit(const xt::xtensor<T, 2>& X) {
    detail::check_data(X, "the data given to MinMaxScaler::fit");
    return fit(X, SerialComm{}, RowLayout::serial(X.shape(0)));
  }

  /// The same over the rows of every rank of `comm` (a rank may hold none): the least and
  /// greatest value of each column over all ranks, exactly. Collective; the rows are
  /// checked by the caller.
  template <class T, Communicator Comm>
  MinMaxScaler& fit(const xt::xtensor<T, 2>& X, const Comm& comm, const RowLayout& /*layout*/) {
    const std::size_t n = X.shape(0), d = X.shape(1);
    constexpr double none = std::numeric_limits<double>::infinity();  // a rank without rows
    std::vector<double> lowest(d, none), highest(d, -none), range(d);
    for (std::size_t j = 0; j < d; ++j)
      for (std::size_t i = 0; i < n; ++i) {
        const double v = static_cast<double>(X.data()[i * d + j]);
        lowest[j] = std::min(lowest[j], v);
        highest[j] = std::max(highest[j], v);
      }
    std::vector<double> low =
        fold_blocks(comm, std::move(lowest), d, none, [](double a, double b) { return std::min(a, b); });
    const std::vector<double> high =
        fold_blocks(comm, std::move(highest), d, -none, [](double a, double b) { return std::max(a, b); });
    for (std::size_t j = 0; j < d; ++j) range[j] = nonzero_scale(high[j] - low[j]);
    set(std::move(low), std::move(range));
    return *this;
  }
};

}  // namespace segkit
