#pragma once
// The Clusterer concept: iterates from starting centres to a Clustering.

#include <concepts>

#include <xtensor/xtensor.hpp>

#include "segkit/core/clustering.hpp"
#include "segkit/core/options.hpp"
#include "segkit/distance/squared_euclidean.hpp"

namespace segkit {

template <class C, class T>
concept ClustererFor = std::copy_constructible<C> &&
    requires(const C& clusterer, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& centers,
             const SquaredEuclidean& distance, const Options& options) {
  { clusterer.cluster(X, centers, distance, options) } -> std::same_as<Clustering<T>>;
};

template <class C>
concept Clusterer = ClustererFor<C, float> && ClustererFor<C, double>;

}  // namespace segkit
