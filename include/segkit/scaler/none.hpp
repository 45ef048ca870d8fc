#pragma once
// NoScaling: the clusterer sees the data in its original units.

#include <cstddef>
#include <string_view>
#include <vector>

#include "segkit/core/comm.hpp"
#include "segkit/scaler/affine.hpp"

namespace segkit {

class NoScaling : public AffineScaler {
 public:
  /// Its name in the policy registry (pipeline/registry.hpp), the tool and model files.
  static constexpr std::string_view name = "none";

  template <class T>
  NoScaling& fit(const xt::xtensor<T, 2>& X) {
    detail::check_data(X, "the data given to NoScaling::fit");
    set(std::vector<double>(X.shape(1), 0.0), std::vector<double>(X.shape(1), 1.0));
    return *this;
  }

  /// The same for rows spread over ranks (nothing to gather).
  template <class T, Communicator Comm>
  NoScaling& fit(const xt::xtensor<T, 2>& X, const Comm& /*comm*/, const RowLayout& /*layout*/) {
    set(std::vector<double>(X.shape(1), 0.0), std::vector<double>(X.shape(1), 1.0));
    return *this;
  }
};

}  // namespace segkit
