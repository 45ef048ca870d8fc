#pragma once
// Yinyang: exact k-means accelerated with Yinyang's grouped bounds
// (cluster/bounds.hpp): one lower bound per group of about ten centres, so large
// k skips more distances than Hamerly's single bound. Lloyd's result, bit for
// bit; any distance without the triangle inequality fails to compile.

#include <xtensor/xtensor.hpp>

#include "segkit/cluster/bounds.hpp"
#include "segkit/cluster/kmeans_loop.hpp"
#include "segkit/core/clustering.hpp"
#include "segkit/core/comm.hpp"
#include "segkit/core/options.hpp"
#include "segkit/distance/concept.hpp"

namespace segkit {

/// Exact k-means, accelerated with Yinyang's grouped bounds: for large k (64 and more).
struct Yinyang {
  // (clang-format 14 would join the requires-clause to the declaration.)
  // clang-format off
  template <class T, class D>
    requires DistanceFor<D, T> && TriangleInequality<D>
  Clustering<T> cluster(const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& initial_centers, const D& distance,
                        const Options& options) const {
    // clang-format on
    detail::check_start(X, initial_centers, options, "Yinyang", !detail::first_pass_checks_values<D>);
    detail::YinyangAssignment<T, D> step;
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
    detail::YinyangAssignment<T, D> step;
    return detail::kmeans_loop(X, initial_centers, distance, options, step, comm, &layout);
  }
};

}  // namespace segkit
