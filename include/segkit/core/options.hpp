#pragma once
// segkit::Options — the run-time settings shared by a Pipeline and its clusterer.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "segkit/core/progress.hpp"

namespace segkit {

struct Options {
  std::size_t k = 8;       ///< number of segments
  std::size_t n_init = 1;  ///< independent starts; the lowest inertia wins
  std::size_t max_iter = 300;
  double tol = 1e-4;  ///< relative to the mean per-feature variance (scikit-learn's meaning)
  /// tol in X's own squared units (tol x the mean per-feature variance of X), when the
  /// caller has it: a Pipeline computes it once for all its starts, not one pass over X
  /// per start. Empty: each fit computes it from tol.
  std::optional<double> absolute_tol{};
  std::uint64_t seed = 0;               ///< same seed, same result, whatever the thread count
  std::size_t threads = 0;              ///< 0 = all cores
  ProgressCallback progress = nullptr;  ///< told after each start of a fit and each K of a sweep (may be empty)
  /// Whether a clusterer records the objective after each step (Clustering::inertia_trace).
  /// The bounded steps (Hamerly, Yinyang) then measure every row their bounds let them
  /// skip, about a tenth of their time; without it, only the final inertia is computed,
  /// as scikit-learn does. A Pipeline keeps no trace and turns it off for its starts.
  bool inertia_trace = true;
};

/// The clustering algorithms the workflow, the tool and model files know by name: k-means,
/// a Gaussian mixture, agglomerative clustering by its linkage, DBSCAN, k-medoids, k-prototypes.
inline constexpr std::array<std::string_view, 9> algorithm_names = {
    "kmeans", "gmm", "ward", "complete", "average", "single", "dbscan", "kmedoids", "kprototypes"};

inline bool is_algorithm(std::string_view name) {
  return std::find(algorithm_names.begin(), algorithm_names.end(), name) != algorithm_names.end();
}

/// "kmeans, gmm, ..., dbscan or kmedoids", for messages.
inline std::string algorithm_list() {
  std::string out;
  for (std::size_t a = 0; a < algorithm_names.size(); ++a)
    out += std::string(a == 0 ? "" : a + 1 == algorithm_names.size() ? " or " : ", ") + std::string(algorithm_names[a]);
  return out;
}

}  // namespace segkit
