#pragma once
// Greedy k-means++ (Arthur & Vassilvitskii 2007, with scikit-learn's greedy
// local trials): each new centre is the best of several candidates drawn with
// probability proportional to the current potential.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include "segkit/core/parallel.hpp"
#include "segkit/core/random.hpp"
#include "segkit/distance/concept.hpp"
#include "segkit/distance/nearest.hpp"

namespace segkit {

struct KMeansPlusPlus {
  /// Candidates drawn per centre; 0 means scikit-learn's 2 + floor(ln k).
  std::size_t n_local_trials = 0;

  /// The candidates drawn per centre for k centres.
  std::size_t trials(std::size_t k) const {
    return n_local_trials != 0 ? n_local_trials : 2 + static_cast<std::size_t>(std::log(static_cast<double>(k)));
  }

  /// Runs for different k with the same prefix_group draw the same centres in the same
  /// order: the first j centres of a run for k are, bit for bit, the run for j (same
  /// seed), whenever prefix_group(j) == prefix_group(k). Nothing but the number of
  /// candidates per centre depends on k, so a K sweep draws once per group, at its
  /// largest K (sweep_k: K = 3..7 share one run, 8..20 another).
  std::size_t prefix_group(std::size_t k) const { return trials(k); }

  /// The potential is the summed policy distance to the nearest chosen centre
  /// (for SquaredEuclidean this is the classic D^2 weighting).
  template <class T, class D>
  xt::xtensor<T, 2> initial_centers(const xt::xtensor<T, 2>& X, std::size_t k, const D& distance, std::uint64_t seed,
                                    std::size_t threads) const {
    return std::move(initial_centers_for_seeds(X, k, distance, std::span<const std::uint64_t>(&seed, 1), threads)[0]);
  }

  /// The starting centres of several starts at once, one set per seed, each equal to
  /// initial_centers with that seed (bit for bit): the starts share the passes over X.
  /// A pass is one call of the distance kernel per block of rows for every start's
  /// probe centres, so n_init starts read X about n_init times less often. Starts are
  /// taken in groups whose per-row state (one distance per row and start) stays within
  /// a quarter of the size of X.
  template <class T, class D>
  std::vector<xt::xtensor<T, 2>> initial_centers_for_seeds(const xt::xtensor<T, 2>& X, std::size_t k, const D& distance,
                                                           std::span<const std::uint64_t> seeds,
                                                           std::size_t threads) const {
    const std::size_t most = std::max<std::size_t>(1, X.shape(1) / 4);
    // As many groups as that bound needs, as even as they can be (ten starts in
    // groups of four: 4, 3 and 3, not 4, 4 and 2, whose last pass is mostly padding).
    const std::size_t n_groups = detail::chunk_count(seeds.size(), most);
    std::vector<xt::xtensor<T, 2>> centers;
    centers.reserve(seeds.size());
    for (std::size_t g = 0, first = 0; g < n_groups; ++g) {
      const std::size_t size = seeds.size() / n_groups + (g < seeds.size() % n_groups ? 1 : 0);
      for (auto& c : together(X, k, distance, seeds.subspan(first, size), threads)) centers.push_back(std::move(c));
      first += size;
    }
    return centers;
  }

 private:
  /// One start's state between passes.
  template <class T>
  struct Start {
    Start(std::uint64_t seed, std::size_t n, std::size_t n_chunks, std::size_t trials)
        : rng(seed),
          closest(n),
          chunk_potential(n_chunks),
          chunk_end(n_chunks),
          partial(n_chunks * trials),
          candidate_ids(trials) {}
    detail::Rng rng;
    // closest[i]: from row i to the nearest chosen centre but the newest (a value of
    // the kernel's type T, so T holds it exactly); chunk_potential[ch]: the sum over
    // chunk ch of the distance to the nearest of all.
    std::vector<T> closest;
    std::vector<double> chunk_potential, chunk_end, partial;
    std::vector<std::size_t> candidate_ids;
  };

  /// One pass over X per centre, for every start of the group: each pass first folds
  /// the newest centre into every row's distance to its nearest centre, then sums the
  /// potential of the next candidates. The draws need the distances with the newest
  /// centre before that pass, but only the per-chunk sums (the chosen candidate's, from
  /// the pass) and the rows of the one chunk a draw lands in (recomputed for those rows alone).
  template <class T, class D>
  std::vector<xt::xtensor<T, 2>> together(const xt::xtensor<T, 2>& X, std::size_t k, const D& distance,
                                          std::span<const std::uint64_t> seeds, std::size_t threads) const {
    constexpr std::size_t chunk = 256;
    const std::size_t n = X.shape(0), d = X.shape(1), n_starts = seeds.size();
    const std::size_t trials = this->trials(k);
    const std::size_t n_chunks = detail::chunk_count(n, chunk);
    const std::size_t width = 1 + trials;  // probe rows per start
    // A task takes several chunks: one kernel call and one buffer for all of them
    // (each row's distances are the same whatever the call's range or the number of
    // probe rows), about 256 KiB of distances per task.
    const std::size_t chunks_per_task =
        std::clamp<std::size_t>((std::size_t{32768} / (width * n_starts)) / chunk, 1, 16);

    std::vector<Start<T>> starts;
    starts.reserve(n_starts);
    for (const std::uint64_t seed : seeds) starts.emplace_back(seed, n, n_chunks, trials);
    std::vector<xt::xtensor<T, 2>> centers(n_starts, xt::xtensor<T, 2>::from_shape({k, d}));
    // Rows s * width of `probe`: start s's newest centre, whose distances are not yet in
    // its `closest`; rows s * width + 1 + t: its candidates for the next one.
    xt::xtensor<T, 2> probe = xt::zeros<T>({n_starts * width, d});
    auto set_probe = [&](std::size_t s, std::size_t slot, std::size_t row) {
      std::copy_n(X.data() + row * d, d, probe.data() + (s * width + slot) * d);
    };
    for (std::size_t s = 0; s < n_starts; ++s) {
      const std::size_t first = starts[s].rng.below(n);
      std::copy_n(X.data() + first * d, d, centers[s].data());
      set_probe(s, 0, first);
    }
    std::vector<T> to_newest(chunk);

    for (std::size_t c = 0; c < k; ++c) {
      const bool draw = c > 0, fold_newest = c > 1;
      if (draw) {
        for (std::size_t s = 0; s < n_starts; ++s) {
          Start<T>& st = starts[s];
          // The running sum of the distances in row order, kept only at chunk ends: a draw
          // walks its chunk from there, adding in the same order as a full running sum.
          double running = 0;
          for (std::size_t ch = 0; ch < n_chunks; ++ch) st.chunk_end[ch] = running += st.chunk_potential[ch];
          const xt::xtensor<T, 2> newest = xt::view(probe, xt::range(s * width, s * width + 1), xt::all());
          for (std::size_t t = 0; t < trials; ++t) {
            const double r = st.rng.uniform() * running;
            // The first row whose running sum reaches r (the last row if none does).
            const std::size_t ch = static_cast<std::size_t>(
                std::lower_bound(st.chunk_end.begin(), st.chunk_end.end(), r) - st.chunk_end.begin());
            std::size_t row = n - 1;
            if (ch < n_chunks) {
              const std::size_t b = ch * chunk, e = std::min(n, b + chunk);
              if (fold_newest) detail::pairwise(distance, X, b, e, newest, to_newest.data());
              double sum = ch == 0 ? 0.0 : st.chunk_end[ch - 1];
              for (std::size_t i = b; i < e; ++i) {
                const T nearest = fold_newest ? std::min(st.closest[i], to_newest[i - b]) : st.closest[i];
                if ((sum += static_cast<double>(nearest)) >= r) {
                  row = i;
                  break;
                }
              }
            }
            st.candidate_ids[t] = row;
            set_probe(s, 1 + t, row);
          }
        }
      }
      // The pass, per chunk and start: fold in the newest centre, then each candidate's
      // potential (merged in chunk order below, so nothing depends on the thread count).
      detail::parallel_for(detail::chunk_count(n_chunks, chunks_per_task), threads, [&](std::size_t task) {
        const std::size_t first_chunk = task * chunks_per_task;
        const std::size_t last_chunk = std::min(n_chunks, first_chunk + chunks_per_task);
        const std::size_t begin = first_chunk * chunk, end = std::min(n, last_chunk * chunk);
        const std::size_t stride = width * n_starts;
        const std::unique_ptr<T[]> out(new T[(end - begin) * stride]);  // every value written below
        detail::pairwise(distance, X, begin, end, probe, out.get());
        for (std::size_t s = 0; s < n_starts; ++s) {
          Start<T>& st = starts[s];
          for (std::size_t ch = first_chunk; ch < last_chunk; ++ch) {
            const std::size_t b = ch * chunk, e = std::min(n, b + chunk);
            const T* rows = out.get() + (b - begin) * stride + s * width;
            T* closest = st.closest.data() + b;
            if (c == 0) {
              double sum = 0;
              for (std::size_t i = 0; i < e - b; ++i) sum += static_cast<double>(closest[i] = rows[i * stride]);
              st.chunk_potential[ch] = sum;
              continue;
            }
            for (std::size_t i = 0; i < e - b; ++i) closest[i] = std::min(closest[i], rows[i * stride]);
            // One running sum per candidate, in row order; four at a time in registers.
            double* pot = st.partial.data() + ch * trials;
            for (std::size_t t = 0; t < trials; t += 4) {
              const std::size_t in_group = std::min<std::size_t>(4, trials - t);
              double acc[4] = {0, 0, 0, 0};
              const T* cand = rows + 1 + t;
              for (std::size_t i = 0; i < e - b; ++i, cand += stride)
                for (std::size_t u = 0; u < 4; ++u)
                  if (u < in_group) acc[u] += static_cast<double>(std::min(closest[i], cand[u]));
              std::copy_n(acc, in_group, pot + t);
            }
          }
        }
      });
      if (!draw) continue;
      for (std::size_t s = 0; s < n_starts; ++s) {
        Start<T>& st = starts[s];
        std::size_t best = 0;
        double best_potential = 0;
        for (std::size_t t = 0; t < trials; ++t) {
          double pot = 0;
          for (std::size_t ch = 0; ch < n_chunks; ++ch) pot += st.partial[ch * trials + t];
          if (t == 0 || pot < best_potential) best = t, best_potential = pot;
        }
        std::copy_n(X.data() + st.candidate_ids[best] * d, d, centers[s].data() + c * d);
        set_probe(s, 0, st.candidate_ids[best]);
        for (std::size_t ch = 0; ch < n_chunks; ++ch) st.chunk_potential[ch] = st.partial[ch * trials + best];
      }
    }
    return centers;
  }
};

}  // namespace segkit
