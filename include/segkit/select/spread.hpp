#pragma once
// Choosing K over rows spread over the ranks of a communicator (core/comm.hpp): the K
// sweep of select/choose_k.hpp, each K fitted by kmeans_spread and scored by
// scores_spread, so that every rank gets the sweep one process would make of all the
// rows with Pipeline<Scaler, KMeansParallel>: the same fits bit for bit, the same
// silhouette sample, Davies-Bouldin and Calinski-Harabasz to rounding.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/cluster/spread.hpp"
#include "segkit/core/comm.hpp"
#include "segkit/evaluate/spread.hpp"
#include "segkit/scaler/none.hpp"
#include "segkit/select/choose_k.hpp"

namespace segkit {

/// A sweep over ranks: the scaler fitted on every rank's rows, and the sweep of the scaled
/// rows (the recommended K's labels for this rank's rows, its centres in the scaled space).
template <class Scaler>
struct SpreadSweep {
  Scaler scaler;
  KSweep sweep;
};

/// sweep_k of the rows of every rank of `comm` (this rank's X; a rank may hold none, as a
/// 0 x 0 matrix): the Scaler's statistics over all the rows, then for each K of the range
/// options.n_init k-means|| starts and Lloyd on the scaled rows (kmeans_spread), scored
/// over the ranks on the silhouette sample one process draws. Every K keeps its scores and
/// centres; only the recommended K keeps its labels (this rank's rows). Stability runs are
/// not made over ranks. Collective.
template <class Scaler = StandardScaler, Communicator Comm, class T>
SpreadSweep<Scaler> sweep_k_spread(const Comm& comm, const xt::xtensor<T, 2>& X, const Options& options,
                                   const SweepOptions& sweep = {}) {
  const std::vector<unsigned long long> widths = comm.allgather(std::vector<unsigned long long>{X.shape(1)});
  const std::size_t d = static_cast<std::size_t>(*std::max_element(widths.begin(), widths.end()));
  const RowLayout layout = detail::check_spread_rows(comm, X, d, options);
  const std::size_t n = layout.n_global;
  detail::check_sweep(n, sweep);
  if (sweep.stability_runs > 0) throw error("stability runs are not made over several processes");
  if (sweep.k_max > std::numeric_limits<std::uint16_t>::max()) throw error("k_max above 65535");

  SpreadSweep<Scaler> out;
  {
    const SpreadRows<T> rows = align_rows(comm, X, d);
    out.scaler.fit(rows.rows(X), comm, rows.aligned);
  }
  const xt::xtensor<T, 2> scaled = X.shape(0) > 0 ? xt::xtensor<T, 2>(out.scaler.transform(X))
                                                  : xt::xtensor<T, 2>(xt::empty<T>({std::size_t{0}, d}));
  out.sweep = detail::start_sweep(n, sweep, options.seed);
  KSweep& result = out.sweep;

  std::vector<std::vector<std::uint16_t>> labels;  // this rank's, per K, two bytes a row
  detail::report(options.progress, "K", 0, sweep.k_max - sweep.k_min + 1);
  for (std::size_t k = sweep.k_min; k <= sweep.k_max; ++k) {
    Options run = options;
    run.k = k;
    run.progress = nullptr;
    const Clustering<T> fit = kmeans_spread<NoScaling>(comm, scaled, run).clustering;
    const SpreadScores scores = scores_spread(comm, scaled, fit.labels, k, result.silhouette_rows, options.threads);
    KScore s;
    s.k = k;
    s.inertia = static_cast<double>(fit.inertia);
    s.iterations = fit.iterations;
    s.converged = fit.converged;
    s.silhouette = scores.silhouette;
    s.davies_bouldin = scores.davies_bouldin;
    s.calinski_harabasz = scores.calinski_harabasz;
    s.centers = xt::cast<double>(fit.centers);
    labels.emplace_back(fit.labels.begin(), fit.labels.end());
    result.scores.push_back(std::move(s));
    detail::report(options.progress, "K", k - sweep.k_min + 1, sweep.k_max - sweep.k_min + 1);
  }
  detail::recommend(result);
  detail::keep_recommended_labels(result, labels, sweep.k_min);
  return out;
}

}  // namespace segkit
