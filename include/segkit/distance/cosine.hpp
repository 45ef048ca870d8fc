#pragma once
// Cosine distance 1 - cos(a, b): not a metric; its centre is the normalised mean
// (spherical k-means), which maximises the summed cosine similarity.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

#include <string_view>

#include <xtensor/xtensor.hpp>

namespace segkit {

struct Cosine {
  /// Its name in the policy registry (pipeline/registry.hpp), the tool and model files.
  static constexpr std::string_view name = "cosine";

  static constexpr bool is_metric = false;

  /// A zero vector has no direction: its distance to anything is 1, as in
  /// scikit-learn's cosine_distances.
  template <class T>
  T distance(std::span<const T> a, std::span<const T> b) const {
    double dot = 0, na = 0, nb = 0;
    for (std::size_t j = 0; j < a.size(); ++j) {
      dot += static_cast<double>(a[j]) * b[j];
      na += static_cast<double>(a[j]) * a[j];
      nb += static_cast<double>(b[j]) * b[j];
    }
    if (na == 0 || nb == 0) return T(1);
    const double cosine = dot / (std::sqrt(na) * std::sqrt(nb));
    return static_cast<T>(std::max(0.0, 1.0 - cosine));
  }

  /// Mean of the unit-normalised members, normalised again; zero rows carry no direction.
  template <class T>
  void center(const xt::xtensor<T, 2>& X, std::span<const std::size_t> members, std::span<T> out) const {
    const std::size_t d = X.shape(1);
    std::vector<double> sum(d, 0.0);
    for (const std::size_t i : members) {
      const T* x = X.data() + i * d;
      double norm = 0;
      for (std::size_t j = 0; j < d; ++j) norm += static_cast<double>(x[j]) * x[j];
      if (norm == 0) continue;
      norm = std::sqrt(norm);
      for (std::size_t j = 0; j < d; ++j) sum[j] += x[j] / norm;
    }
    double norm = 0;
    for (const double v : sum) norm += v * v;
    norm = std::sqrt(norm);
    for (std::size_t j = 0; j < d; ++j) out[j] = static_cast<T>(norm > 0 ? sum[j] / norm : 0.0);
  }
};

}  // namespace segkit
