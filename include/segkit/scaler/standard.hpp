#pragma once
// StandardScaler: zero mean, unit (population) standard deviation per feature.

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
    detail::check_data(X, "the data given to StandardScaler::fit");
    const std::size_t n = X.shape(0), d = X.shape(1);
    const double eps = std::numeric_limits<double>::epsilon();
    std::vector<double> mean(d), scale(d);
    for (std::size_t j = 0; j < d; ++j) {
      const std::vector<double> column = column_of(X, j);
      double sum = 0;
      for (const double v : column) sum += v;
      const double m = sum / static_cast<double>(n);
      double var = 0;
      for (const double v : column) var += (v - m) * (v - m);
      var /= static_cast<double>(n);
      // scikit-learn's _is_constant_feature: a variance no larger than its own
      // rounding error means a constant column, which keeps scale 1.
      const double bound = static_cast<double>(n) * eps * var + std::pow(static_cast<double>(n) * m * eps, 2);
      mean[j] = m;
      scale[j] = var <= bound ? 1.0 : std::sqrt(var);
    }
    set(std::move(mean), std::move(scale));
    return *this;
  }
};

}  // namespace segkit
