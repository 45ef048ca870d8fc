#pragma once
// The Distance concept, and the one call the clusterers make through it.
//
// A Distance gives the distance between two rows and the centre that
// minimises a cluster's summed distance (mean for squared Euclidean, median
// for Manhattan, ...): the two belong together, since k-means with a
// distance and someone else's centre optimises no coherent objective.
// It may also give batch kernels `pairwise` (rows against centres) and
// `nearest` (each row's nearest centre); without them, the per-pair distance
// is used.

#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <xtensor/xtensor.hpp>

namespace segkit {

template <class D, class T>
concept DistanceFor = std::copy_constructible<D> &&
    requires(const D& dist, std::span<const T> row, const xt::xtensor<T, 2>& X, std::span<const std::size_t> members,
             std::span<T> out) {
  { dist.distance(row, row) } -> std::convertible_to<T>;
  dist.center(X, members, out);                   // writes the centre of the rows X[members] into out
  { D::is_metric } -> std::convertible_to<bool>;  // may triangle-inequality tricks be used?
};

/// A distance policy usable on both float and double data.
template <class D>
concept Distance = DistanceFor<D, float> && DistanceFor<D, double>;

namespace detail {

/// A policy's type as the compiler spells it ("MyDistance", "segkit::Manhattan"), for messages.
template <class P>
std::string policy_name() {
  const std::string_view signature = __PRETTY_FUNCTION__;  // "... [with P = MyDistance; ...]" (GCC, Clang)
  const std::size_t from = signature.find("P = ");
  if (from == std::string_view::npos) return "the distance policy";
  const std::size_t to = signature.find_first_of(";]", from);
  return std::string(signature.substr(from + 4, to - from - 4));
}

template <class D, class T>
concept HasPairwise = requires(const D& dist, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& C, std::size_t i,
                               T* out) {
  dist.pairwise(X, i, i, C, out);
};

/// out[(i - begin) * k + c] = distance(X[i], C[c]) for i in [begin, end).
template <class D, class T>
void pairwise(const D& dist, const xt::xtensor<T, 2>& X, std::size_t begin, std::size_t end, const xt::xtensor<T, 2>& C,
              T* out) {
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

template <class D, class T>
concept HasNearest = requires(const D& dist, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& C, std::size_t i,
                              std::size_t* labels, T* best) {
  dist.nearest(X, i, i, C, labels, best);
};

/// For rows [begin, end): labels[i - begin] = the first c minimising distance(X[i], C[c]),
/// best[i - begin] that distance. `scratch` holds (end - begin) x k values.
template <class D, class T>
void nearest(const D& dist, const xt::xtensor<T, 2>& X, std::size_t begin, std::size_t end, const xt::xtensor<T, 2>& C,
             std::size_t* labels, T* best, std::vector<T>& scratch) {
  if constexpr (HasNearest<D, T>) {
    dist.nearest(X, begin, end, C, labels, best);
  } else {
    const std::size_t k = C.shape(0);
    scratch.resize((end - begin) * k);
    pairwise(dist, X, begin, end, C, scratch.data());
    for (std::size_t i = 0; i < end - begin; ++i) {
      const T* row = scratch.data() + i * k;
      std::size_t pick = 0;
      for (std::size_t c = 1; c < k; ++c)
        if (row[c] < row[pick]) pick = c;
      labels[i] = pick;
      best[i] = row[pick];
    }
  }
}

}  // namespace detail
}  // namespace segkit
