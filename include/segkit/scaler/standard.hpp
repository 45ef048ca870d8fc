#pragma once
// StandardScaler: zero mean, unit (population) standard deviation per feature.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "segkit/scaler/affine.hpp"

namespace segkit {

class StandardScaler : public AffineScaler {
 public:
  template <class T>
  StandardScaler& fit(const xt::xtensor<T, 2>& X) {
    detail::check_data(X, "the data given to StandardScaler::fit", 0);
    const std::size_t n = X.shape(0), d = X.shape(1);
    const double eps = std::numeric_limits<double>::epsilon();
    // Row blocks side by side, each summing every feature of its rows, the blocks' sums
    // added in block order: two passes over X in all (not two per feature, down a
    // strided column), and the same numbers for any thread count.
    constexpr std::size_t chunk = 8192;
    const std::size_t n_chunks = detail::chunk_count(n, chunk);
    const std::size_t threads = n * d < (std::size_t{1} << 20) ? 1 : 0;
    std::vector<double> partial(n_chunks * d);
    auto sum_chunks = [&](auto&& term) {
      detail::parallel_for(n_chunks, threads, [&](std::size_t c) {
        double* sum = partial.data() + c * d;
        std::fill(sum, sum + d, 0.0);
        for (std::size_t i = c * chunk, e = std::min(n, i + chunk); i < e; ++i)
          for (std::size_t j = 0; j < d; ++j) sum[j] += term(static_cast<double>(X(i, j)), j);
      });
      std::vector<double> total(d, 0.0);
      for (std::size_t c = 0; c < n_chunks; ++c)
        for (std::size_t j = 0; j < d; ++j) total[j] += partial[c * d + j];
      return total;
    };
    std::vector<double> mean = sum_chunks([](double v, std::size_t) { return v; });
    for (double& m : mean) m /= static_cast<double>(n);
    const std::vector<double> squares = sum_chunks([&mean](double v, std::size_t j) { return (v - mean[j]) * (v - mean[j]); });
    std::vector<double> scale(d);
    for (std::size_t j = 0; j < d; ++j) {
      const double m = mean[j], var = squares[j] / static_cast<double>(n);
      // scikit-learn's _is_constant_feature: a variance no larger than its own
      // rounding error means a constant column, which keeps scale 1.
      const double bound = static_cast<double>(n) * eps * var + std::pow(static_cast<double>(n) * m * eps, 2);
      scale[j] = var <= bound ? 1.0 : std::sqrt(var);
    }
    set(std::move(mean), std::move(scale));
    return *this;
  }
};

}  // namespace segkit
