#pragma once
// segkit::Clustering<T> — what a Clusterer returns.

#include <cstddef>
#include <vector>

#include <xtensor/xtensor.hpp>

namespace segkit {

template <class T>
struct Clustering {
  using value_type = T;
  xt::xtensor<std::size_t, 1> labels;  ///< one per row, each < k
  xt::xtensor<T, 2> centers;           ///< k x d, in the space the clusterer saw
  double inertia = 0.0;                ///< sum over rows of the distance to its centre
  std::size_t iterations = 0;
  bool converged = false;
  /// The objective after each assignment step; Lloyd never lets it rise.
  std::vector<double> inertia_trace;
};

}  // namespace segkit
