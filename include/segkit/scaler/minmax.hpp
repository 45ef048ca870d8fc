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
    std::vector<double> bounds(2 * d);  // per column: lowest, highest (none: +inf, -inf)
    for (std::size_t j = 0; j < d; ++j) {
      double lo = std::numeric_limits<double>::infinity(), hi = -lo;
      for (std::size_t i = 0; i < n; ++i) {
        const double v = static_cast<double>(X.data()[i * d + j]);
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
      bounds[2 * j] = lo, bounds[2 * j + 1] = hi;
    }
    const std::vector<double> every = comm.allgather(std::move(bounds));
    std::vector<double> low(d, std::numeric_limits<double>::infinity()),
        high(d, -std::numeric_limits<double>::infinity()), range(d);
    for (std::size_t at = 0; at + 1 < every.size(); at += 2) {
      const std::size_t j = (at / 2) % d;
      low[j] = std::min(low[j], every[at]);
      high[j] = std::max(high[j], every[at + 1]);
    }
    for (std::size_t j = 0; j < d; ++j) range[j] = nonzero_scale(high[j] - low[j]);
    set(std::move(low), std::move(range));
    return *this;
  }
};

}  // namespace segkit
