#pragma once
// StandardScaler: zero mean, unit (population) standard deviation per feature.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <string_view>
#include <limits>
#include <tuple>
#include <utility>
#include <vector>

#include "segkit/core/parallel.hpp"
#include "segkit/scaler/affine.hpp"

namespace segkit {

class StandardScaler : public AffineScaler {
 public:
  /// Its name in the policy registry (pipeline/registry.hpp), the tool and model files.
  static constexpr std::string_view name = "standard";

  template <class T>
  StandardScaler& fit(const xt::xtensor<T, 2>& X) {
    detail::check_data(X, "the data given to StandardScaler::fit", 0);
    const std::size_t n = X.shape(0), d = X.shape(1);
    const double eps = std::numeric_limits<double>::epsilon();
    // Per-feature sums over row blocks (detail::feature_sums): two passes over X in all
    // (the mean, then the squares about it, as scikit-learn), not two per feature down a
    // strided column, and the same numbers for any thread count.
    const auto sums =
        detail::feature_sums<1>(X.data(), n, d, 0, [](double v, std::size_t) { return std::array<double, 1>{v}; });
    std::vector<double> mean(d);
    for (std::size_t j = 0; j < d; ++j) mean[j] = sums[j][0] / static_cast<double>(n);
    const auto squares = detail::feature_sums<1>(X.data(), n, d, 0, [&mean](double v, std::size_t j) {
      return std::array<double, 1>{(v - mean[j]) * (v - mean[j])};
    });
    std::vector<double> scale(d);
    for (std::size_t j = 0; j < d; ++j) {
      if (!std::isfinite(mean[j]) || !std::isfinite(squares[j][0])) {
        // Values so large (beyond about 1e154) that their sum or squares overflow: the
        // same statistics in units of the column's largest value, then scaled back.
        std::tie(mean[j], scale[j]) = rescaled_moments(X, j);
        continue;
      }
      const double m = mean[j], var = squares[j][0] / static_cast<double>(n);
      // scikit-learn's _is_constant_feature: a variance no larger than its own
      // rounding error means a constant column, which keeps scale 1.
      const double bound = static_cast<double>(n) * eps * var + std::pow(static_cast<double>(n) * m * eps, 2);
      scale[j] = var <= bound ? 1.0 : std::sqrt(var);
    }
    set(std::move(mean), std::move(scale));
    return *this;
  }

 private:
  /// Column j's mean and standard deviation (1 if it is constant), computed on x / M with M
  /// its largest magnitude, so that neither the sum nor the squares overflow.
  template <class T>
  static std::pair<double, double> rescaled_moments(const xt::xtensor<T, 2>& X, std::size_t j) {
    const std::size_t n = X.shape(0), d = X.shape(1);
    double largest = 0;
    for (std::size_t i = 0; i < n; ++i) largest = std::max(largest, std::abs(static_cast<double>(X.data()[i * d + j])));
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) sum += static_cast<double>(X.data()[i * d + j]) / largest;
    const double mean = sum / static_cast<double>(n);
    double squares = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double v = static_cast<double>(X.data()[i * d + j]) / largest - mean;
      squares += v * v;
    }
    const double var = squares / static_cast<double>(n);
    const double eps = std::numeric_limits<double>::epsilon();
    const double bound = static_cast<double>(n) * eps * var + std::pow(static_cast<double>(n) * mean * eps, 2);
    return {mean * largest, var <= bound ? 1.0 : std::sqrt(var) * largest};
  }
};

}  // namespace segkit
