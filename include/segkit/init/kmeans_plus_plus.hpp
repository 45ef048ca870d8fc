#pragma once
// Greedy k-means++ (Arthur & Vassilvitskii 2007, with scikit-learn's greedy
// local trials): each new centre is the best of several candidates drawn with
// probability proportional to the current potential.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include "segkit/core/parallel.hpp"
#include "segkit/core/random.hpp"
#include "segkit/distance/concept.hpp"

namespace segkit {

struct KMeansPlusPlus {
  /// Candidates drawn per centre; 0 means scikit-learn's 2 + floor(ln k).
  std::size_t n_local_trials = 0;

  /// The potential is the summed policy distance to the nearest chosen centre
  /// (for SquaredEuclidean this is the classic D^2 weighting).
  ///
  /// One pass over X per centre: each pass first folds the newest centre into every
  /// row's distance to its nearest centre, then sums the potential of the next
  /// candidates. The draws need the distances with the newest centre before that
  /// pass, but only the per-chunk sums (the chosen candidate's, from the pass) and the
  /// rows of the one chunk a draw lands in (recomputed for those rows alone).
  template <class T, class D>
  xt::xtensor<T, 2> initial_centers(const xt::xtensor<T, 2>& X, std::size_t k, const D& distance,
                                    std::uint64_t seed, std::size_t threads) const {
    constexpr std::size_t chunk = 256, chunks_per_task = 16;
    const std::size_t n = X.shape(0), d = X.shape(1);
    const std::size_t trials =
        n_local_trials != 0 ? n_local_trials : 2 + static_cast<std::size_t>(std::log(static_cast<double>(k)));
    const std::size_t n_chunks = detail::chunk_count(n, chunk);
    detail::Rng rng(seed);

    xt::xtensor<T, 2> centers = xt::zeros<T>({k, d});
    // Row 0 of `probe`: the newest centre, whose distances are not yet in `closest`;
    // rows 1..trials: the candidates for the next one.
    xt::xtensor<T, 2> probe = xt::zeros<T>({1 + trials, d});
    auto set_probe = [&](std::size_t slot, std::size_t row) {
      std::copy_n(X.data() + row * d, d, probe.data() + slot * d);
    };
    // closest[i]: from row i to the nearest chosen centre but the newest;
    // chunk_potential[ch]: the sum over chunk ch of the distance to the nearest of all.
    std::vector<double> closest(n), chunk_potential(n_chunks), chunk_end(n_chunks);
    std::vector<double> partial(n_chunks * trials);
    std::vector<std::size_t> candidate_ids(trials);
    std::vector<T> to_newest(chunk);
    const std::size_t first = rng.below(n);
    std::copy_n(X.data() + first * d, d, centers.data());
    set_probe(0, first);

    for (std::size_t c = 0; c < k; ++c) {
      const bool draw = c > 0, fold_newest = c > 1;
      if (draw) {
        // The running sum of the distances in row order, kept only at chunk ends: a draw
        // walks its chunk from there, adding in the same order as a full running sum.
        double running = 0;
        for (std::size_t ch = 0; ch < n_chunks; ++ch) chunk_end[ch] = running += chunk_potential[ch];
        const xt::xtensor<T, 2> newest = xt::view(probe, xt::range(0, 1), xt::all());
        for (std::size_t t = 0; t < trials; ++t) {
          const double r = rng.uniform() * running;
          // The first row whose running sum reaches r (the last row if none does).
          const std::size_t ch = static_cast<std::size_t>(
              std::lower_bound(chunk_end.begin(), chunk_end.end(), r) - chunk_end.begin());
          std::size_t row = n - 1;
          if (ch < n_chunks) {
            const std::size_t b = ch * chunk, e = std::min(n, b + chunk);
            if (fold_newest) detail::pairwise(distance, X, b, e, newest, to_newest.data());
            double sum = ch == 0 ? 0.0 : chunk_end[ch - 1];
            for (std::size_t i = b; i < e; ++i)
              if ((sum += fold_newest ? std::min(closest[i], static_cast<double>(to_newest[i - b])) : closest[i]) >= r) {
                row = i;
                break;
              }
          }
          candidate_ids[t] = row;
          set_probe(1 + t, row);
        }
      }
      // The pass, per chunk: fold in the newest centre, then each candidate's potential
      // (merged in chunk order below, so nothing depends on the thread count). A task
      // takes several chunks at once: one call of the distance kernel and one buffer
      // for all of them (each row's distances are the same whatever the call's range).
      detail::parallel_for(detail::chunk_count(n_chunks, chunks_per_task), threads, [&](std::size_t task) {
        const std::size_t first_chunk = task * chunks_per_task;
        const std::size_t last_chunk = std::min(n_chunks, first_chunk + chunks_per_task);
        const std::size_t begin = first_chunk * chunk, end = std::min(n, last_chunk * chunk), width = 1 + trials;
        std::vector<T> out((end - begin) * width);
        detail::pairwise(distance, X, begin, end, probe, out.data());
        for (std::size_t ch = first_chunk; ch < last_chunk; ++ch) {
          const std::size_t b = ch * chunk, e = std::min(n, b + chunk);
          double sum = 0;
          double* pot = partial.data() + ch * trials;  // one running sum per candidate, in row order
          if (draw) std::fill(pot, pot + trials, 0.0);
          for (std::size_t i = b; i < e; ++i) {
            const T* row = out.data() + (i - begin) * width;
            const double v = static_cast<double>(row[0]);
            const double nearest = c == 0 ? v : std::min(closest[i], v);
            closest[i] = nearest;
            sum += nearest;
            if (draw)
              for (std::size_t t = 0; t < trials; ++t) pot[t] += std::min(nearest, static_cast<double>(row[1 + t]));
          }
          if (c == 0) chunk_potential[ch] = sum;
        }
      });
      if (!draw) continue;
      std::size_t best = 0;
      double best_potential = 0;
      for (std::size_t t = 0; t < trials; ++t) {
        double pot = 0;
        for (std::size_t ch = 0; ch < n_chunks; ++ch) pot += partial[ch * trials + t];
        if (t == 0 || pot < best_potential) best = t, best_potential = pot;
      }
      std::copy_n(X.data() + candidate_ids[best] * d, d, centers.data() + c * d);
      set_probe(0, candidate_ids[best]);
      for (std::size_t ch = 0; ch < n_chunks; ++ch) chunk_potential[ch] = partial[ch * trials + best];
    }
    return centers;
  }
};

}  // namespace segkit
