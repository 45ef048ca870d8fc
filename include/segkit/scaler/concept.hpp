#pragma once
// The Scaler concept: learns per-feature parameters from X, maps rows into the
// space the clusterer works in, and maps centres back to original units.

#include <concepts>

#include <xtensor/xtensor.hpp>

namespace segkit {

template <class S, class T>
concept ScalerFor = std::copy_constructible<S> && std::default_initializable<S> &&
    requires(S& scaler, const S& fitted, const xt::xtensor<T, 2>& X, const xt::xtensor<double, 2>& centers) {
  scaler.fit(X);
  { fitted.transform(X) } -> std::same_as<xt::xtensor<T, 2>>;
  { fitted.inverse_transform(centers) } -> std::same_as<xt::xtensor<double, 2>>;
};

template <class S>
concept Scaler = ScalerFor<S, float> && ScalerFor<S, double>;

}  // namespace segkit
