#pragma once
// DBSCAN's radius from the data, as K is chosen for k-means: Ester et al. (1996) read eps
// off the sorted k-distance graph, where the distances turn from flat (customers inside
// dense regions) to steep (customers between them); Kneedle finds that knee. min_samples
// by Sander et al.'s (1998) rule: twice the number of features, at least Ester et al.'s 4.

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"
#include "segkit/density/dbscan.hpp"
#include "segkit/select/kneedle.hpp"

namespace segkit {

/// min_samples for customers of `features` features when none is given.
inline std::size_t default_min_samples(std::size_t features) { return std::max<std::size_t>(4, 2 * features); }

struct EpsChoice {
  double eps = 0;
  std::size_t min_samples = 0;
  /// Each customer's distance to its min_samples-th nearest customer (itself the first),
  /// sorted: a customer is a core one when this is at most eps.
  std::vector<double> distances;
  std::size_t knee = 0;  ///< index of the knee in distances (eps = distances[knee])
  bool bend = true;      ///< false when the curve has no knee (eps is then its largest value)
};

/// The knee of the k-distance curve of the rows of X for `min_samples` (k_distances).
template <class T>
EpsChoice choose_eps(const xt::xtensor<T, 2>& X, std::size_t min_samples, std::size_t threads = 0) {
  if (min_samples < 2) throw error("min_samples must be at least 2 to read eps off the k-distances");
  if (X.shape(0) < min_samples)
    throw error(std::to_string(X.shape(0)) + " customers are too few for min_samples = " + std::to_string(min_samples));
  EpsChoice out;
  out.min_samples = min_samples;
  out.distances = k_distances(X, min_samples, threads);
  std::vector<double> rank(out.distances.size());
  std::iota(rank.begin(), rank.end(), 0.0);
  const std::optional<std::size_t> knee =
      out.distances.size() >= 2 ? kneedle_knee_rising(rank, out.distances) : std::nullopt;
  out.bend = knee.has_value();
  out.knee = knee.value_or(out.distances.size() - 1);
  out.eps = out.distances[out.knee];
  // Every customer the same: no distance to read; any radius joins them all.
  if (!(out.eps > 0)) out.eps = 1e-12;
  return out;
}

}  // namespace segkit
