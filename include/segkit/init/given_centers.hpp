#pragma once
// GivenCenters{C}: start from centres the caller chose, in the space the
// clusterer sees (after the Pipeline's Scaler; original units with NoScaling).

#include <cstddef>
#include <cstdint>
#include <string>

#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"
#include "segkit/core/matrix.hpp"

namespace segkit {

struct GivenCenters {
  xt::xtensor<double, 2> centers;

  template <class T, class D>
  xt::xtensor<T, 2> initial_centers(const xt::xtensor<T, 2>& X, std::size_t k, const D& /*distance*/,
                                    std::uint64_t /*seed*/, std::size_t /*threads*/) const {
    if (centers.shape(0) != k)
      throw error("GivenCenters holds " + std::to_string(centers.shape(0)) + " centre(s) but k = " + std::to_string(k));
    if (centers.shape(1) != X.shape(1))
      throw error("GivenCenters has " + std::to_string(centers.shape(1)) + " feature(s) but the data has " +
                  std::to_string(X.shape(1)));
    detail::check_finite(centers, "GivenCenters");
    xt::xtensor<T, 2> out = xt::cast<T>(centers);
    return out;
  }
};

}  // namespace segkit
