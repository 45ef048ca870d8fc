#pragma once
// Hamerly: exact k-means accelerated with Hamerly's bounds (cluster/bounds.hpp),
// always. Lloyd's result, bit for bit, in fewer distance computations; any
// distance without the triangle inequality fails to compile. Lloyd itself
// switches to these bounds where they pay (see cluster/lloyd.hpp).

#include <xtensor/xtensor.hpp>

#include "segkit/cluster/bounds.hpp"
#include "segkit/cluster/kmeans_loop.hpp"
#include "segkit/core/clustering.hpp"
#include "segkit/core/comm.hpp"
#include "segkit/core/options.hpp"
#include "segkit/distance/concept.hpp"

namespace segkit {

/// Exact k-means, accelerated with Hamerly's bounds: Lloyd's result in fewer
/// distance computations, fastest at small to moderate k (up to ~50) and low d.
struct Hamerly {
  // (clang-format 14 would join the requires-clause to the declaration.)
  // clang-format off
  template <class T, class D>
    requires DistanceFor<D, T> && TriangleInequality<D>
  Clustering<T> cluster(const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& initial_centers, const D& distance,
                        const Options& options) const {
    // clang-format on
    detail::check_start(X, initial_centers, options, "Hamerly", !detail::first_pass_checks_values<D>);
    detail::HamerlyAssignment<T, D> step;
    return detail::kmeans_loop(X, initial_centers, distance, options, step);
  }

  /// The same on this rank's rows of rows spread over the ranks of `comm` (Lloyd's
  /// overload of the same form says how; cluster_spread, cluster/spread.hpp, calls it).
  // clang-format off
  template <class T, class D, Communicator Comm>
    requires DistanceFor<D, T> && TriangleInequality<D>
  Clustering<T> cluster(const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& initial_centers, const D& distance,
                        const Options& options, const Comm& comm, const RowLayout& layout) const {
    // clang-format on
    detail::HamerlyAssignment<T, D> step;
    return detail::kmeans_loop(X, initial_centers, distance, options, step, comm, &layout);
  }
};

}  // namespace segkit
