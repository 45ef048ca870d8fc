#pragma once
// Lloyd: exact k-means, scikit-learn's algorithm = "lloyd" (same labels and
// iterations from the same centres). The loop is detail::kmeans_loop
// (cluster/kmeans_loop.hpp). Where the distance has the triangle inequality and
// k is large enough for bounds to pay, it skips the rows whose label Hamerly's
// bounds prove (cluster/bounds.hpp): the result is the same to the bit, only
// sooner. `accelerate = false` computes every distance of every row.

#include <cstddef>

#include <xtensor/xtensor.hpp>

#include "segkit/cluster/bounds.hpp"
#include "segkit/cluster/kmeans_loop.hpp"
#include "segkit/core/clustering.hpp"
#include "segkit/core/options.hpp"
#include "segkit/distance/concept.hpp"

namespace segkit {

struct Lloyd {
  /// Use Hamerly's bounds where they pay (same result either way).
  bool accelerate = true;
  /// From this many centres on, bounds win: below it the full assignment is
  /// memory-bound and the bounds' bookkeeping costs more than the distances they
  /// save (1,000,000 x 16: full wins at k = 8, bounds at k = 64; 200,000 x 64 at k = 32).
  static constexpr std::size_t bounds_from_k = 16;

  // (clang-format 14 would join the requires-clause to the declaration.)

  // clang-format off
  template <class T, class D>
    requires DistanceFor<D, T>
  Clustering<T> cluster(const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& initial_centers, const D& distance,
                        const Options& options) const {
    // clang-format on
    detail::check_start(X, initial_centers, options, "Lloyd", !detail::first_pass_checks_values<D>);
    if constexpr (TriangleInequality<D>) {
      if (accelerate && initial_centers.shape(0) >= bounds_from_k) {
        detail::HamerlyAssignment<T, D> step;
        return detail::kmeans_loop(X, initial_centers, distance, options, step);
      }
    }
    detail::FullAssignment step;
    return detail::kmeans_loop(X, initial_centers, distance, options, step);
  }
};

}  // namespace segkit
