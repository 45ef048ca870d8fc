#pragma once
// The Evaluator concept: scores a clustering and says which way is better.

#include <concepts>
#include <cstddef>

#include <xtensor/xtensor.hpp>

#include "segkit/core/clustering.hpp"

namespace segkit {

template <class V, class T>
concept EvaluatorFor = std::copy_constructible<V> &&
    requires(const V& evaluator, const xt::xtensor<T, 2>& X, const Clustering<T>& clustering, std::size_t threads) {
  { evaluator.evaluate(X, clustering, threads) } -> std::convertible_to<double>;
  { V::higher_is_better } -> std::convertible_to<bool>;
};

template <class V>
concept Evaluator = EvaluatorFor<V, float> && EvaluatorFor<V, double>;

}  // namespace segkit
