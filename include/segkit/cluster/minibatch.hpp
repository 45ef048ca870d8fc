#pragma once
// MiniBatch: mini-batch k-means (Sculley 2010) as scikit-learn 1.2 runs it
// (MiniBatchKMeans.fit and _mini_batch_step in sklearn/cluster/_kmeans.py):
//
// - each step draws batch_size rows with replacement, assigns them to the
//   nearest centre, and moves each centre to the running mean of every row it
//   has been given so far (centre = (centre x count + sum of its batch rows) /
//   new count): the per-centre count is the learning rate;
// - max_iter is the number of passes over the data, so there are at most
//   max_iter x n / batch_size steps;
// - it stops early when an exponentially weighted average of the batch inertia
//   has not improved for max_no_improvement steps, or (tol > 0) when the summed
//   squared centre change falls to tol x the mean per-feature variance;
// - centres whose count falls below reassignment_ratio x the largest count are
//   moved to random rows of the batch, whenever 10 x k rows have been seen
//   since the last check or some centre has no row yet. (scikit-learn < 1.0
//   checked every 10 + min(count) steps; 1.2 does it this way, and with
//   batch_size >= 10 k that is every step.)
// - After the loop every row is assigned to the final centres, so the labels
//   belong to the returned centres and the inertia is that of the whole data.
//
// The running mean is a mean, so only a distance whose centre is the mean may
// be used (detail::CentreIsMean): with Manhattan or Cosine the update would
// optimise nothing coherent, and the call does not compile.
//
// Same seed, same result, whatever options.threads: the batch is drawn on one
// thread, its rows are assigned in fixed chunks, and everything summed is
// summed in chunk or batch order.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <vector>
#include <xtensor/xtensor.hpp>

#include "segkit/cluster/kmeans_loop.hpp"
#include "segkit/core/clustering.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/options.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/random.hpp"
#include "segkit/core/work_memory.hpp"
#include "segkit/distance/concept.hpp"
#include "segkit/distance/nearest.hpp"

namespace segkit {

struct MiniBatch {
  /// Rows drawn (with replacement) per step; capped at the number of rows.
  std::size_t batch_size = 1024;
  /// Stop after this many steps without improvement of the smoothed batch
  /// inertia; 0 switches this rule off (scikit-learn's None).
  std::size_t max_no_improvement = 10;
  /// Centres with fewer rows than this fraction of the busiest centre's are
  /// moved to random batch rows; 0 switches reassignment off. At most 1.
  double reassignment_ratio = 0.01;

  /// options.max_iter: passes over the data (scikit-learn's default for
  /// MiniBatchKMeans is 100, Options' is Lloyd's 300); options.tol: as
  /// scikit-learn's (scaled by the mean feature variance), 0 switches the
  /// centre-change rule off (scikit-learn's MiniBatchKMeans default is 0, Options' is 1e-4);
  /// options.seed: the batches and reassignments.
  ///
  /// Returns iterations = batch steps taken, converged = an early-stopping rule
  /// fired, inertia_trace = each step's batch inertia (the summed distance of
  /// the batch rows to their nearest centre before the step moves them).
  // (clang-format 14 would join the requires-clause to the declaration.)
  // clang-format off
  template <class T, class D>
    requires DistanceFor<D, T> && detail::CentreIsMean<D>
  Clustering<T> cluster(const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& initial_centers, const D& distance,
                        const Options& options) const {
    // clang-format on
    detail::check_start(X, initial_centers, options, "MiniBatch");
    if (batch_size == 0) throw error("MiniBatch: batch_size must be at least 1, got 0");
    if (!(reassignment_ratio >= 0 && reassignment_ratio <= 1))
      throw error(std::string("MiniBatch: reassignment_ratio must be between 0 and 1, got ")
                      .append(std::to_string(reassignment_ratio)));

    const std::size_t n = X.shape(0), d = X.shape(1), k = initial_centers.shape(0);
    const std::size_t batch = std::min(batch_size, n);
    const std::size_t threads = options.threads;
    const double tol = detail::absolute_tol(X, options);
    // max_iter x n / batch steps, without overflowing on absurd max_iter.
    const std::size_t n_steps = options.max_iter > std::numeric_limits<std::size_t>::max() / n
                                    ? std::numeric_limits<std::size_t>::max() / batch
                                    : options.max_iter * n / batch;

    Clustering<T> result;
    // The running means and counts are kept in double: a float centre updated
    // as (centre x count + sum) / count would lose a digit every tenfold count.
    std::vector<double> centres(initial_centers.begin(), initial_centers.end());
    std::vector<double> counts(k, 0.0), next(k * d);
    xt::xtensor<T, 2> centres_t = initial_centers;  // what the batch is assigned to
    xt::xtensor<T, 2> rows = xt::zeros<T>({batch, d});
    std::vector<std::size_t> labels(batch);
    std::vector<T> nearest(batch);
    std::vector<char> reassign(k);
    std::vector<std::size_t> picks(batch);

    detail::Rng rng(options.seed);
    constexpr std::size_t chunk = 256;  // rows of the batch per task: fixed, so the sums never depend on threads
    const std::size_t n_chunks = detail::chunk_count(batch, chunk);
    std::vector<double> partial(n_chunks);

    double ewa = 0, ewa_min = 0;
    bool have_ewa = false, have_ewa_min = false;
    std::size_t no_improvement = 0, seen_since_reassign = 0;

    for (std::size_t step = 0; step < n_steps; ++step) {
      for (std::size_t b = 0; b < batch; ++b) {
        const std::size_t i = rng.below(n);
        std::copy_n(X.data() + i * d, d, rows.data() + b * d);
      }

      detail::parallel_for(n_chunks, detail::threads_for(batch * k * d, threads), [&](std::size_t c) {
        std::vector<T> scratch;
        const std::size_t b = c * chunk, e = std::min(batch, b + chunk);
        detail::nearest(distance, rows, b, e, centres_t, labels.data() + b, nearest.data() + b, scratch);
        double sum = 0;
        for (std::size_t i = b; i < e; ++i) sum += static_cast<double>(nearest[i]);
        partial[c] = sum;
      });
      const double batch_inertia = std::accumulate(partial.begin(), partial.end(), 0.0);
      if (options.inertia_trace) result.inertia_trace.push_back(batch_inertia);

      // Decided before the update, from the counts so far, as scikit-learn's _random_reassign does.
      seen_since_reassign += batch;
      bool random_reassign = false;
      if (std::find(counts.begin(), counts.end(), 0.0) != counts.end() || seen_since_reassign >= 10 * k) {
        seen_since_reassign = 0;
        random_reassign = true;
      }

      // Running means: the old centre times its count, plus the batch rows in batch order.
      std::vector<double> added(k, 0.0);
      for (std::size_t c = 0; c < k; ++c)
        for (std::size_t j = 0; j < d; ++j) next[c * d + j] = centres[c * d + j] * counts[c];
      for (std::size_t b = 0; b < batch; ++b) {
        const std::size_t c = labels[b];
        added[c] += 1;
        for (std::size_t j = 0; j < d; ++j) next[c * d + j] += static_cast<double>(rows(b, j));
      }
      for (std::size_t c = 0; c < k; ++c) {
        if (added[c] == 0) {
          std::copy_n(centres.begin() + static_cast<std::ptrdiff_t>(c * d), d,
                      next.begin() + static_cast<std::ptrdiff_t>(c * d));
          continue;
        }
        counts[c] += added[c];
        for (std::size_t j = 0; j < d; ++j) next[c * d + j] /= counts[c];
      }

      if (random_reassign && reassignment_ratio > 0) reassign_small(rows, counts, next, reassign, picks, rng);

      double shift = 0;
      if (tol > 0)
        for (std::size_t e = 0; e < k * d; ++e) shift += (next[e] - centres[e]) * (next[e] - centres[e]);
      std::swap(centres, next);
      for (std::size_t e = 0; e < k * d; ++e) centres_t.data()[e] = static_cast<T>(centres[e]);
      result.iterations = step + 1;

      // Early stopping, as MiniBatchKMeans._mini_batch_convergence. The first
      // step's inertia is that of the starting centres, so it is not watched.
      if (step == 0) continue;
      const double mean_inertia = batch_inertia / static_cast<double>(batch);
      if (!have_ewa) {
        ewa = mean_inertia;
        have_ewa = true;
      } else {
        // Weight of a batch in the average: about batch / n, so it spans some two passes.
        const double alpha = std::min(1.0, static_cast<double>(batch) * 2.0 / (static_cast<double>(n) + 1));
        ewa = ewa * (1 - alpha) + mean_inertia * alpha;
      }
      if (tol > 0 && shift <= tol) {
        result.converged = true;
        break;
      }
      if (!have_ewa_min || ewa < ewa_min) {
        no_improvement = 0;
        ewa_min = ewa;
        have_ewa_min = true;
      } else {
        ++no_improvement;
      }
      if (max_no_improvement != 0 && no_improvement >= max_no_improvement) {
        result.converged = true;
        break;
      }
    }

    // Every row to its nearest final centre: labels that belong to the centres
    // returned, and the inertia of the whole data rather than of a batch.
    result.centers = centres_t;
    result.labels = xt::empty<std::size_t>({n});  // every row is labelled
    const detail::work_array<T> all_nearest = detail::make_work_array<T>(n);
    detail::assign_nearest(distance, X, result.centers, result.labels.data(), all_nearest.get(), threads);
    result.inertia = detail::labelled_inertia(distance, X, result.centers, result.labels.data(), threads);
    return result;
  }

 private:
  /// scikit-learn's reassignment: centres with counts below reassignment_ratio
  /// x the largest (at most half a batch of them, the smallest counts first) jump
  /// to distinct random rows of the batch, and their counts are raised to the
  /// smallest count kept, so that they are not reassigned again at once.
  template <class T>
  void reassign_small(const xt::xtensor<T, 2>& rows, std::vector<double>& counts, std::vector<double>& centres,
                      std::vector<char>& reassign, std::vector<std::size_t>& picks, detail::Rng& rng) const {
    const std::size_t k = counts.size(), d = rows.shape(1), batch = rows.shape(0);
    const double limit = reassignment_ratio * *std::max_element(counts.begin(), counts.end());
    for (std::size_t c = 0; c < k; ++c) reassign[c] = counts[c] < limit;
    std::size_t n_reassign = static_cast<std::size_t>(std::count(reassign.begin(), reassign.end(), char{1}));
    if (static_cast<double>(n_reassign) > 0.5 * static_cast<double>(batch)) {
      std::vector<std::size_t> order(k);
      std::iota(order.begin(), order.end(), std::size_t{0});
      std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return counts[a] < counts[b]; });
      for (std::size_t p = batch / 2; p < k; ++p) reassign[order[p]] = 0;
      n_reassign = static_cast<std::size_t>(std::count(reassign.begin(), reassign.end(), char{1}));
    }
    if (n_reassign == 0) return;
    // Distinct batch rows, uniformly: the first n_reassign of a random permutation.
    std::iota(picks.begin(), picks.end(), std::size_t{0});
    for (std::size_t p = 0; p < n_reassign; ++p) std::swap(picks[p], picks[p + rng.below(batch - p)]);
    double smallest_kept = std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < k; ++c)
      if (!reassign[c]) smallest_kept = std::min(smallest_kept, counts[c]);
    for (std::size_t c = 0, p = 0; c < k; ++c) {
      if (!reassign[c]) continue;
      for (std::size_t j = 0; j < d; ++j) centres[c * d + j] = static_cast<double>(rows(picks[p], j));
      ++p;
      counts[c] = smallest_kept;
    }
  }
};

}  // namespace segkit
