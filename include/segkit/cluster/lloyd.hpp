#pragma once
// Lloyd: exact k-means, scikit-learn's algorithm = "lloyd" (same labels and
// iterations from the same centres). The loop is detail::kmeans_loop
// (cluster/kmeans_loop.hpp). Where the distance has the triangle inequality, it
// skips the rows whose label Hamerly's bounds prove (cluster/bounds.hpp): from the
// start when k is large enough for bounds to pay, else once few labels still change.
// The result is the same to the bit, only sooner. `accelerate = false` computes
// every distance of every row.

#include <cstddef>

#include <xtensor/xtensor.hpp>

#include "segkit/cluster/bounds.hpp"
#include "segkit/cluster/kmeans_loop.hpp"
#include "segkit/core/clustering.hpp"
#include "segkit/core/comm.hpp"
#include "segkit/core/options.hpp"
#include "segkit/distance/concept.hpp"

namespace segkit {

namespace detail {

/// Lloyd's step below Lloyd::bounds_from_k centres: every row against every centre
/// while many labels change, then Hamerly's bounds from the pass after one in which
/// at most 1 / `bounds_below` of the rows changed label. The long tail of a slow
/// fit (a K the data does not hold, a start split across one group) moves a few
/// boundary rows per iteration, and there the bounds settle nearly every row without
/// its k distances. The labels are Lloyd's either way.
///
/// A full pass keeps the bounds (each row's second distance too) only when the pass
/// before it changed at most four times that share of labels: then it may be the last
/// full one. Earlier passes, and every pass of a fit that stops while many labels still
/// change (three passes at 1,000,000 x 16 x 8), find the nearest centre alone.
template <class T, class D>
class AdaptiveAssignment {
 public:
  explicit AdaptiveAssignment(std::size_t bounds_below) : bounds_below_(bounds_below) {
    bounds_.measure_all(true);
    bounds_.keep_bounds(false);
  }

  bool nearest_exact() const { return bounds_.nearest_exact(); }

  double assign(const D& distance, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& centers, std::size_t* labels,
                T* nearest, std::size_t threads, const PassOutputs& out) {
    const double sum = bounds_.assign(distance, X, centers, labels, nearest, threads, out);
    if (out.changed) {
      const std::size_t n = X.shape(0), changed = *out.changed;
      if (bounds_.bounds_kept() && changed * bounds_below_ <= n)
        bounds_.measure_all(false);
      else
        bounds_.keep_bounds(changed * bounds_below_ <= 4 * n);
    }
    return sum;
  }

  void reset() { bounds_.reset(); }

  bool measure_farthest(const D& distance, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& centers, T* nearest,
                        std::size_t threads, std::size_t count) const {
    return bounds_.measure_farthest(distance, X, centers, nearest, threads, count);
  }

 private:
  std::size_t bounds_below_;
  // Its full passes keep the bounds too, so the first bounded pass needs no pass of its own.
  HamerlyAssignment<T, D> bounds_;
};

}  // namespace detail

struct Lloyd {
  /// Use Hamerly's bounds where they pay (same result either way).
  bool accelerate = true;
  /// From this many centres on, bounds win: below it the full assignment is
  /// memory-bound and the bounds' bookkeeping costs more than the distances they
  /// save (1,000,000 x 16: full wins at k = 8, bounds at k = 64; 200,000 x 64 at k = 32).
  static constexpr std::size_t bounds_from_k = 16;
  /// Below bounds_from_k, the bounds start once an iteration moves at most one row
  /// in this many (0: never).
  std::size_t bounds_below_changed = 20;

  // (clang-format 14 would join the requires-clause to the declaration.)

  // clang-format off
  template <class T, class D>
    requires DistanceFor<D, T>
  Clustering<T> cluster(const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& initial_centers, const D& distance,
                        const Options& options) const {
    // clang-format on
    detail::check_start(X, initial_centers, options, "Lloyd", !detail::first_pass_checks_values<D>);
    return run(X, initial_centers, distance, options, SerialComm{}, nullptr);
  }

  /// The same on this rank's rows of rows spread over the ranks of `comm`, each rank
  /// holding whole chunks as `layout` says (cluster_spread, cluster/spread.hpp, arranges
  /// that and checks the start): the same labels and centres as one process, bit for bit.
  // clang-format off
  template <class T, class D, Communicator Comm>
    requires DistanceFor<D, T>
  Clustering<T> cluster(const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& initial_centers, const D& distance,
                        const Options& options, const Comm& comm, const RowLayout& layout) const {
    // clang-format on
    return run(X, initial_centers, distance, options, comm, &layout);
  }

 private:
  template <class T, class D, class Comm>
  Clustering<T> run(const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& initial_centers, const D& distance,
                    const Options& options, const Comm& comm, const RowLayout* layout) const {
    if constexpr (TriangleInequality<D>) {
      if (accelerate && initial_centers.shape(0) >= bounds_from_k) {
        detail::HamerlyAssignment<T, D> step;
        return detail::kmeans_loop(X, initial_centers, distance, options, step, comm, layout);
      }
      if (accelerate && bounds_below_changed > 0) {
        detail::AdaptiveAssignment<T, D> step(bounds_below_changed);
        return detail::kmeans_loop(X, initial_centers, distance, options, step, comm, layout);
      }
    }
    detail::FullAssignment step;
    return detail::kmeans_loop(X, initial_centers, distance, options, step, comm, layout);
  }
};

}  // namespace segkit
