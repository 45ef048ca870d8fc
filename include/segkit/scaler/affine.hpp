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
#include "segkit/core/format.hpp"
#include "segkit/core/matrix.hpp"
#include "segkit/scaler/any.hpp"

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

  /// Restores fitted parameters: every centre finite, every scale a positive number
  /// that a value can be divided by (not 0, not 1e-320).
  void set_parameters(std::vector<double> center, std::vector<double> scale) {
    if (center.size() != scale.size() || scale.empty())
      throw scaler_state_error("scale", "has " + std::to_string(scale.size()) + " values and \"center\" " +
                                            std::to_string(center.size()) + ": one of each per feature");
    for (std::size_t j = 0; j < scale.size(); ++j) {
      if (!std::isfinite(center[j]))
        throw scaler_state_error("center[" + std::to_string(j) + "]",
                                 "must be a finite number, not " + format_number(center[j]));
      if (!(scale[j] >= std::numeric_limits<double>::min()) || !std::isfinite(scale[j]))
        throw scaler_state_error("scale[" + std::to_string(j) + "]",
                                 "must be a positive number, not " + format_number(scale[j]));
    }
    set(std::move(center), std::move(scale));
  }

  /// What a model file keeps (scaler/any.hpp): "center" and "scale", one number per feature.
  ScalerState state() const { return {{"center", center_}, {"scale", scale_}}; }
  /// Restores state(); a part missing, unknown or out of range is a scaler_state_error naming it.
  void set_state(const ScalerState& state) {
    for (const auto& entry : state)
      if (entry.first != "center" && entry.first != "scale")
        throw scaler_state_error(entry.first, "is not a part of this scaler's state (\"center\", \"scale\")");
    set_parameters(state_entry(state, "center"), state_entry(state, "scale"));
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
