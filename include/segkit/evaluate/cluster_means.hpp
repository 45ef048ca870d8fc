#pragma once
// Per-label means in double, shared by the centroid-based scores.

#include <cstddef>

#include <xtensor/xtensor.hpp>

#include "segkit/core/labels.hpp"

namespace segkit::detail {

template <class T>
xt::xtensor<double, 2> cluster_means(const xt::xtensor<T, 2>& X, const DenseLabels& labels) {
  const std::size_t n = X.shape(0), d = X.shape(1);
  xt::xtensor<double, 2> means = xt::zeros<double>({labels.count(), d});
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) means(labels.codes[i], j) += static_cast<double>(X(i, j));
  for (std::size_t c = 0; c < labels.count(); ++c)
    for (std::size_t j = 0; j < d; ++j) means(c, j) /= static_cast<double>(labels.sizes[c]);
  return means;
}

}  // namespace segkit::detail
