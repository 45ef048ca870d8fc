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
  template <class T, class D>
  xt::xtensor<T, 2> initial_centers(const xt::xtensor<T, 2>& X, std::size_t k, const D& distance,
                                    std::uint64_t seed, std::size_t threads) const {
    constexpr std::size_t chunk = 256;
    const std::size_t n = X.shape(0), d = X.shape(1);
    const std::size_t trials =
        n_local_trials != 0 ? n_local_trials : 2 + static_cast<std::size_t>(std::log(static_cast<double>(k)));
    const std::size_t n_chunks = detail::chunk_count(n, chunk);
    detail::Rng rng(seed);

    xt::xtensor<T, 2> centers = xt::zeros<T>({k, d});
    auto copy_row = [&](xt::xtensor<T, 2>& dst, std::size_t r, std::size_t src) {
      std::copy_n(X.data() + src * d, d, dst.data() + r * d);
    };
    copy_row(centers, 0, rng.below(n));

    // closest[i]: distance from row i to its nearest chosen centre.
    std::vector<double> closest(n);
    std::vector<double> partial(n_chunks * trials);
    {
      const xt::xtensor<T, 2> first = xt::view(centers, xt::range(0, 1), xt::all());
      detail::parallel_for(n_chunks, threads, [&](std::size_t c) {
        const std::size_t b = c * chunk, e = std::min(n, b + chunk);
        std::vector<T> out(e - b);
        detail::pairwise(distance, X, b, e, first, out.data());
        for (std::size_t i = b; i < e; ++i) closest[i] = out[i - b];
      });
    }
    double potential = 0;
    for (const double v : closest) potential += v;

    // The running sum of `closest` in row order, kept only at the end of each chunk:
    // a draw finds its chunk there and walks the chunk, adding in the same order,
    // so it picks the row a full n-long running sum would, in n / chunk of the memory.
    std::vector<double> chunk_end(n_chunks);
    std::vector<std::size_t> candidate_ids(trials);
    // Every row's distance to every candidate, kept so that the chosen one updates
    // `closest` without a second pass over X (n x trials values, a quarter of X at d = 16).
    std::vector<T> candidate_distance(n * trials);
    xt::xtensor<T, 2> candidates = xt::zeros<T>({trials, d});
    for (std::size_t c = 1; c < k; ++c) {
      double running = 0;
      for (std::size_t ch = 0; ch < n_chunks; ++ch) {
        for (std::size_t i = ch * chunk, e = std::min(n, i + chunk); i < e; ++i) running += closest[i];
        chunk_end[ch] = running;
      }
      for (std::size_t t = 0; t < trials; ++t) {
        const double r = rng.uniform() * potential;
        // The first row whose running sum reaches r (the last row if none does).
        const std::size_t ch = static_cast<std::size_t>(
            std::lower_bound(chunk_end.begin(), chunk_end.end(), r) - chunk_end.begin());
        std::size_t row = n - 1;
        if (ch < n_chunks) {
          double sum = ch == 0 ? 0.0 : chunk_end[ch - 1];
          for (std::size_t i = ch * chunk, e = std::min(n, i + chunk); i < e; ++i)
            if ((sum += closest[i]) >= r) {
              row = i;
              break;
            }
        }
        candidate_ids[t] = row;
        copy_row(candidates, t, candidate_ids[t]);
      }
      // Potential of each candidate, summed per chunk and merged in chunk order.
      detail::parallel_for(n_chunks, threads, [&](std::size_t ch) {
        const std::size_t b = ch * chunk, e = std::min(n, b + chunk);
        T* out = candidate_distance.data() + b * trials;
        detail::pairwise(distance, X, b, e, candidates, out);
        for (std::size_t t = 0; t < trials; ++t) {
          double sum = 0;
          for (std::size_t i = b; i < e; ++i)
            sum += std::min(closest[i], static_cast<double>(out[(i - b) * trials + t]));
          partial[ch * trials + t] = sum;
        }
      });
      std::size_t best = 0;
      double best_potential = 0;
      for (std::size_t t = 0; t < trials; ++t) {
        double pot = 0;
        for (std::size_t ch = 0; ch < n_chunks; ++ch) pot += partial[ch * trials + t];
        if (t == 0 || pot < best_potential) best = t, best_potential = pot;
      }
      copy_row(centers, c, candidate_ids[best]);
      detail::parallel_for(n_chunks, threads, [&](std::size_t ch) {
        const std::size_t b = ch * chunk, e = std::min(n, b + chunk);
        for (std::size_t i = b; i < e; ++i)
          closest[i] = std::min(closest[i], static_cast<double>(candidate_distance[i * trials + best]));
      });
      potential = best_potential;
    }
    return centers;
  }
};

}  // namespace segkit
