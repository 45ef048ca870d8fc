#pragma once
// What every built-in scaler shares: x' = (x - center) / scale per feature,
// with the parameters kept in double whatever the data's type.

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"
#include "segkit/core/matrix.hpp"

namespace segkit {

class AffineScaler {
 public:
  template <class T>
  xt::xtensor<T, 2> transform(const xt::xtensor<T, 2>& X) const {
    xt::xtensor<T, 2> out = X;
    transform_in_place(out);
    return out;
  }

  /// transform(), overwriting X: no second copy of a large matrix.
  template <class T>
  void transform_in_place(xt::xtensor<T, 2>& X) const {
    check_fitted_width(X.shape(1));
    const std::size_t n = X.shape(0), d = X.shape(1);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < d; ++j)
        X(i, j) = static_cast<T>((static_cast<double>(X(i, j)) - center_[j]) / scale_[j]);
  }

  xt::xtensor<double, 2> inverse_transform(const xt::xtensor<double, 2>& C) const {
    check_fitted_width(C.shape(1));
    xt::xtensor<double, 2> out = C;
    for (std::size_t i = 0; i < C.shape(0); ++i)
      for (std::size_t j = 0; j < C.shape(1); ++j) out(i, j) = C(i, j) * scale_[j] + center_[j];
    return out;
  }

  /// The value subtracted from each feature, and the value it is then divided by.
  const std::vector<double>& center() const { return center_; }
  const std::vector<double>& scale() const { return scale_; }
  bool fitted() const { return !scale_.empty(); }

  /// Restores fitted parameters, as a saved model does; every scale must be a
  /// finite non-zero number.
  void set_parameters(std::vector<double> center, std::vector<double> scale) {
    if (center.size() != scale.size() || scale.empty())
      throw error("scaler parameters: " + std::to_string(center.size()) + " centre(s) and " +
                  std::to_string(scale.size()) + " scale(s)");
    for (std::size_t j = 0; j < scale.size(); ++j)
      if (!std::isfinite(center[j]) || !std::isfinite(scale[j]) || scale[j] == 0)
        throw error("scaler parameters: feature " + std::to_string(j) + " has centre " + std::to_string(center[j]) +
                    " and scale " + std::to_string(scale[j]));
    set(std::move(center), std::move(scale));
  }

 protected:
  /// scikit-learn's _handle_zeros_in_scale: a (near-)zero spread becomes 1, so a
  /// constant column is centred but never divided by zero.
  static double nonzero_scale(double s) { return s < 10 * std::numeric_limits<double>::epsilon() ? 1.0 : s; }

  void set(std::vector<double> center, std::vector<double> scale) {
    center_ = std::move(center);
    scale_ = std::move(scale);
  }

 private:
  void check_fitted_width(std::size_t d) const {
    if (!fitted()) throw error("the scaler is used before fit()");
    if (d != scale_.size())
      throw error("the data has " + std::to_string(d) + " feature(s) but the scaler was fitted on " +
                  std::to_string(scale_.size()));
  }

  std::vector<double> center_, scale_;
};

/// Per-column values of X in double, one column at a time.
template <class T>
std::vector<double> column_of(const xt::xtensor<T, 2>& X, std::size_t j) {
  std::vector<double> out(X.shape(0));
  for (std::size_t i = 0; i < X.shape(0); ++i) out[i] = static_cast<double>(X(i, j));
  return out;
}

}  // namespace segkit
