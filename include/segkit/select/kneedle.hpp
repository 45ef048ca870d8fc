#pragma once
// The Kneedle elbow (Satopaa, Albrecht, Irwin, Raghavan 2011) of a convex,
// decreasing curve such as inertia over k.
//
// As the kneed package does for curve="convex", direction="decreasing": x and y
// are normalised to [0, 1], the difference curve is D_i = (1 - y_i) - x_i (the
// normalised curve flipped to a rising one, minus the diagonal), and the elbow
// is where D is largest. Choices, documented here because kneed differs:
//  - the elbow is the global maximum of D (the first on a tie). kneed's offline
//    mode walks the local maxima of D with the sensitivity threshold S and keeps
//    the first one after which D drops below it; on a curve with one bump (every
//    inertia curve seen on the bundled data) both give the same point;
//  - D uses x itself; kneed's flips use the x-values mirrored (1 - x_{m-1-i}),
//    which is the same for evenly spaced x, as a contiguous range of k is;
//  - no elbow when D never exceeds 1e-12 (a straight line, a concave curve) or y
//    is constant: the curve has no bend to point at.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "segkit/core/error.hpp"

namespace segkit {

/// The Kneedle difference curve D_i of y over x (x strictly increasing, y finite):
/// one value per point, 0 at both ends, positive where the curve bends below the chord.
inline std::vector<double> kneedle_difference(std::span<const double> x, std::span<const double> y) {
  if (x.size() != y.size())
    throw error("kneedle: x has " + std::to_string(x.size()) + " values but y has " + std::to_string(y.size()));
  if (x.size() < 2) throw error("kneedle: a curve needs at least 2 points, got " + std::to_string(x.size()));
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i]))
      throw error("kneedle: point " + std::to_string(i) + " is not finite");
    if (i > 0 && !(x[i] > x[i - 1]))
      throw error("kneedle: x must be strictly increasing (at point " + std::to_string(i) + ")");
  }
  double y_min = y[0], y_max = y[0];
  for (const double v : y) y_min = std::min(y_min, v), y_max = std::max(y_max, v);
  const double x_span = x.back() - x.front(), y_span = y_max - y_min;
  std::vector<double> difference(x.size(), 0.0);
  if (y_span == 0) return difference;
  for (std::size_t i = 0; i < x.size(); ++i)
    difference[i] = (1.0 - (y[i] - y_min) / y_span) - (x[i] - x.front()) / x_span;
  return difference;
}

/// Index of the elbow of the convex decreasing curve (x, y), or none if it has no bend.
inline std::optional<std::size_t> kneedle_elbow(std::span<const double> x, std::span<const double> y) {
  const std::vector<double> difference = kneedle_difference(x, y);
  std::size_t best = 0;
  for (std::size_t i = 1; i < difference.size(); ++i)
    if (difference[i] > difference[best]) best = i;
  if (!(difference[best] > 1e-12)) return std::nullopt;
  return best;
}

/// Index of the knee of a convex increasing curve (x, y), such as sorted k-distances: where
/// it turns from flat to steep, or none if it has no bend. The same difference curve, of
/// the curve mirrored left to right (which makes it decreasing).
inline std::optional<std::size_t> kneedle_knee_rising(std::span<const double> x, std::span<const double> y) {
  const std::size_t m = x.size();
  std::vector<double> mirrored_x(m), mirrored_y(m);
  for (std::size_t i = 0; i < m; ++i) mirrored_x[i] = -x[m - 1 - i], mirrored_y[i] = y[m - 1 - i];
  const auto at = kneedle_elbow(mirrored_x, mirrored_y);
  if (!at) return std::nullopt;
  return m - 1 - *at;
}

}  // namespace segkit
