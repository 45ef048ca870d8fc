#pragma once
// The Initializer concept: picks k starting centres from the data.

#include <concepts>
#include <cstddef>
#include <cstdint>

#include <xtensor/xtensor.hpp>

#include "segkit/distance/concept.hpp"

namespace segkit {

/// `initial_centers(X, k, distance, seed, threads)` returns k x d centres; the same
/// seed must give the same centres whatever the thread count.
template <class I, class T>
concept InitializerFor = std::copy_constructible<I> &&
    requires(const I& init, const xt::xtensor<T, 2>& X, std::size_t k, const detail::DistanceArchetype& distance,
             std::uint64_t seed, std::size_t threads) {
  { init.initial_centers(X, k, distance, seed, threads) } -> std::same_as<xt::xtensor<T, 2>>;
};

template <class I>
concept Initializer = InitializerFor<I, float> && InitializerFor<I, double>;

}  // namespace segkit
