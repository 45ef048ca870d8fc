#pragma once
// The Distance concept, and the one call the clusterers make through it.
//
// A Distance gives the distance between two rows and the centre that
// minimises a cluster's summed distance (mean for squared Euclidean, median
// for Manhattan, ...): the two belong together, since k-means with a
// distance and someone else's centre optimises no coherent objective.
// It may also give batch kernels `pairwise` (rows against centres) and
// `nearest` (each row's nearest centre); without them, the per-pair distance
// is used (distance/nearest.hpp).

#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

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

/// A Distance with nothing beyond the concept (no batch kernels, no SIMD row
/// kernel), whose square root is a metric and whose centre is the mean: the
/// properties the most demanding built-in clusterers ask for. The Initializer and
/// Clusterer concepts are checked against it, so a policy that passes them relies
/// on no one distance's extras and works with any Distance it accepts.
struct DistanceArchetype {
  static constexpr bool is_metric = false;
  static constexpr bool sqrt_is_metric = true;
  static constexpr bool center_is_mean = true;
  template <class T>
  T distance(std::span<const T>, std::span<const T>) const {
    return T{};
  }
  template <class T>
  void center(const xt::xtensor<T, 2>&, std::span<const std::size_t>, std::span<T>) const {}
};

}  // namespace detail
}  // namespace segkit
