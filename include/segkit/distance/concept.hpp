#pragma once
// The Distance concept, and the one call the clusterers make through it.
//
// A Distance gives the distance between two rows and the centre that
// minimises a cluster's summed distance (mean for squared Euclidean, median
// for Manhattan, ...): the two belong together, since k-means with a
// distance and someone else's centre optimises no coherent objective.
// It may also give a batch kernel `pairwise`; without one, the per-pair
// distance is used.

#include <concepts>
#include <cstddef>
#include <span>

#include <xtensor/xtensor.hpp>

namespace segkit {

template <class D, class T>
concept DistanceFor = std::copy_constructible<D> &&
    requires(const D& dist, std::span<const T> row, const xt::xtensor<T, 2>& X,
             std::span<const std::size_t> members, std::span<T> out) {
      { dist.distance(row, row) } -> std::convertible_to<T>;
      dist.center(X, members, out);  // writes the centre of the rows X[members] into out
      { D::is_metric } -> std::convertible_to<bool>;  // may triangle-inequality tricks be used?
    };

/// A distance policy usable on both float and double data.
template <class D>
concept Distance = DistanceFor<D, float> && DistanceFor<D, double>;

namespace detail {

template <class D, class T>
concept HasPairwise = requires(const D& dist, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& C,
                               std::size_t i, T* out) { dist.pairwise(X, i, i, C, out); };

/// out[(i - begin) * k + c] = distance(X[i], C[c]) for i in [begin, end).
template <class D, class T>
void pairwise(const D& dist, const xt::xtensor<T, 2>& X, std::size_t begin, std::size_t end,
              const xt::xtensor<T, 2>& C, T* out) {
  if constexpr (HasPairwise<D, T>) {
    dist.pairwise(X, begin, end, C, out);
  } else {
    const std::size_t d = X.shape(1), k = C.shape(0);
    for (std::size_t i = begin; i < end; ++i) {
      const std::span<const T> x(X.data() + i * d, d);
      for (std::size_t c = 0; c < k; ++c)
        *out++ = static_cast<T>(dist.distance(x, std::span<const T>(C.data() + c * d, d)));
    }
  }
}

}  // namespace detail
}  // namespace segkit
