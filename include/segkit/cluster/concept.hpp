#pragma once
// The Clusterer concept: iterates from starting centres to a Clustering.

#include <concepts>
#include <cstddef>

#include <xtensor/xtensor.hpp>

#include "segkit/core/clustering.hpp"
#include "segkit/core/options.hpp"
#include "segkit/distance/concept.hpp"
#include "segkit/distance/nearest.hpp"

namespace segkit {

template <class C, class T>
concept ClustererFor = std::copy_constructible<C> &&
    requires(const C& clusterer, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& centers,
             const detail::DistanceArchetype& distance, const Options& options) {
  { clusterer.cluster(X, centers, distance, options) } -> std::same_as<Clustering<T>>;
};

template <class C>
concept Clusterer = ClustererFor<C, float> && ClustererFor<C, double>;

/// A clusterer's segments are, unless it says otherwise, the cells of its centres: a
/// new row belongs to its nearest centre (every k-means variant). One that assigns
/// otherwise (a mixture's most probable component, a density clusterer's noise) gives
/// `predict(X, centers, distance, labels, threads)`, and a Pipeline's predict uses it.
template <class C, class D, class T>
concept PredictsItself = requires(const C& clusterer, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& centers,
                                  const D& distance, std::size_t* labels, std::size_t threads) {
  clusterer.predict(X, centers, distance, labels, threads);
};

/// labels[i] = the segment the clusterer gives row i of X (scaled) after a fit that
/// ended at `centers`: its own predict when it has one, else the nearest centre.
template <class C, class D, class T>
void predict_segments(const C& clusterer, const D& distance, const xt::xtensor<T, 2>& X,
                      const xt::xtensor<T, 2>& centers, std::size_t* labels, std::size_t threads) {
  if constexpr (PredictsItself<C, D, T>)
    clusterer.predict(X, centers, distance, labels, threads);
  else
    nearest_centers(distance, X, centers, labels, threads);
}

}  // namespace segkit
