#pragma once
// KMeansParallel: k-means|| (Bahmani, Moseley, Vattani, Kumar, Vassilvitskii
// 2012, "Scalable K-Means++"), as Spark MLlib runs it.
//
// k-means++ needs k passes over the data, one per centre, each depending on the
// last. k-means|| needs a few (rounds): starting from one uniform row, each round
// keeps every row independently with probability min(1, l x d(x) / phi), where
// d(x) is the row's distance to the nearest candidate so far, phi their sum and
// l = oversampling x k. That gives about 1 + rounds x l candidates spread like
// k-means++'s draws. Each candidate is then weighted by the number of rows
// nearest to it, and the weighted candidates (a small problem) are reduced to k:
// weighted greedy k-means++ (2 + floor(ln k) local trials, as
// init/kmeans_plus_plus.hpp), then up to local_iterations weighted Lloyd
// iterations on the candidates (Spark's LocalKMeans), after which each centre
// is moved to the candidate of its cluster nearest to it, so that, like every
// segkit initializer, it returns k distinct rows of X.
//
// Why the draws are keyed: row i's draw in round r is the i-th number of a
// SplitMix64 stream keyed on (seed, r) (row_uniform below), so whether a row
// becomes a candidate depends on nothing but the seed, the round, the row's
// global index and its distance. Neither the thread count nor how the rows are
// cut into chunks (chunk_rows) changes the centres, and ranks that each hold rows
// [b, e) of a larger X (the communicator overload, core/comm.hpp) draw exactly what
// one process does. The potential phi is summed over the chunks of the global index
// (sum_chunk_rows) and merged in chunk order, for the same reason.
//
// Fewer than k distinct candidates (tiny or highly duplicated data): all of
// them are kept, and the rest are added from the data by greedy k-means++.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>
#include <xtensor/xtensor.hpp>

#include "segkit/core/comm.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/random.hpp"
#include "segkit/distance/concept.hpp"
#include "segkit/distance/nearest.hpp"

namespace segkit {

namespace detail::parallel_init {

/// Distinct rows of d values, kept in the order first added (-0 and +0 are the same point).
template <class T>
class RowValueSet {
 public:
  explicit RowValueSet(std::size_t d) : d_(d), set_(16, Hash{&rows_, d}, Equal{&rows_, d}) {}
  RowValueSet(const RowValueSet&) = delete;  // the set's functors point at rows_
  RowValueSet& operator=(const RowValueSet&) = delete;
  /// Adds a row; false if an equal row was there already.
  bool insert(const T* row) {
    rows_.insert(rows_.end(), row, row + d_);
    if (set_.insert(rows_.size() / d_ - 1).second) return true;
    rows_.resize(rows_.size() - d_);
    return false;
  }
  std::size_t size() const { return d_ == 0 ? 0 : rows_.size() / d_; }
  /// Rows [first, size()) as a matrix.
  xt::xtensor<T, 2> matrix(std::size_t first = 0) const {
    xt::xtensor<T, 2> out = xt::empty<T>({size() - first, d_});
    std::copy(rows_.begin() + static_cast<std::ptrdiff_t>(first * d_), rows_.end(), out.data());
    return out;
  }

 private:
  struct Hash {
    const std::vector<T>* rows;
    std::size_t d;
    std::size_t operator()(std::size_t i) const {
      std::size_t h = 1469598103934665603ULL;
      for (std::size_t j = 0; j < d; ++j) {
        T v = (*rows)[i * d + j];
        if (v == T(0)) v = T(0);
        h = (h ^ std::hash<T>{}(v)) * 1099511628211ULL;
      }
      return h;
    }
  };
  struct Equal {
    const std::vector<T>* rows;
    std::size_t d;
    bool operator()(std::size_t a, std::size_t b) const {
      for (std::size_t j = 0; j < d; ++j)
        if ((*rows)[a * d + j] != (*rows)[b * d + j]) return false;
      return true;
    }
  };
  std::size_t d_;
  std::vector<T> rows_;
  std::unordered_set<std::size_t, Hash, Equal> set_;
};

/// The rows `ids` of X as a matrix.
template <class T>
xt::xtensor<T, 2> gather_rows(const xt::xtensor<T, 2>& X, std::span<const std::size_t> ids) {
  const std::size_t d = X.shape(1);
  xt::xtensor<T, 2> out = xt::zeros<T>({ids.size(), d});
  for (std::size_t r = 0; r < ids.size(); ++r) std::copy_n(X.data() + ids[r] * d, d, out.data() + r * d);
  return out;
}

/// First index whose running sum exceeds r (r in [0, total)): never an entry of zero mass.
inline std::size_t draw_from(const std::vector<double>& cumulative, double r) {
  const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), r);
  return std::min<std::size_t>(static_cast<std::size_t>(it - cumulative.begin()), cumulative.size() - 1);
}

}  // namespace detail::parallel_init

struct KMeansParallel {
  /// l / k: expected rows kept per round, per centre wanted (Spark: 2).
  double oversampling = 2.0;
  /// Sampling rounds, each one pass over X (Spark's initializationSteps; the paper finds 5 plenty).
  std::size_t rounds = 5;
  /// Weighted Lloyd iterations on the candidates after the weighted k-means++
  /// (Spark's LocalKMeans); 0 returns the k-means++ choice among the candidates.
  std::size_t local_iterations = 10;
  /// Candidates tried per centre in the weighted k-means++; 0 means 2 + floor(ln k).
  std::size_t n_local_trials = 0;
  /// Rows per parallel task in the passes over X. The centres do not depend on it.
  std::size_t chunk_rows = 4096;

  /// The uniform number in [0, 1) that decides whether row `row` (its index in
  /// the whole data) is kept in round `round` of a run seeded with `seed`:
  /// the row-th output of a SplitMix64 stream keyed on (seed, round), so any
  /// process can draw any row's number without drawing the others.
  static double row_uniform(std::uint64_t seed, std::size_t round, std::size_t row) {
    return keyed_uniform(round_key(seed, round), row);
  }
  /// The key of round `round`'s stream, and the row-th number of that stream.
  static std::uint64_t round_key(std::uint64_t seed, std::size_t round) {
    return detail::derive_seed(seed, 1 + static_cast<std::uint64_t>(round));
  }
  static double keyed_uniform(std::uint64_t key, std::size_t row) {
    std::uint64_t state = key + static_cast<std::uint64_t>(row) * 0x9E3779B97F4A7C15ULL;
    return static_cast<double>(detail::splitmix64(state) >> 11) * 0x1.0p-53;
  }

  template <class T, class D>
  xt::xtensor<T, 2> initial_centers(const xt::xtensor<T, 2>& X, std::size_t k, const D& distance, std::uint64_t seed,
                                    std::size_t threads) const {
    detail::check_data(X, "X");
    return run(X, k, distance, seed, threads, SerialComm{}, RowLayout::serial(X.shape(0)));
  }

  /// The same on this rank's rows of rows spread over the ranks of `comm`, each rank
  /// holding whole chunks of sum_chunk_rows(n) rows as `layout` says (cluster_spread's
  /// layout, cluster/spread.hpp): every rank gets the centres one process holding every
  /// row would pick, bit for bit. Collective. Data with fewer distinct candidates than k
  /// after the rounds (which one process completes by k-means++ over all rows) is refused.
  template <class T, class D, Communicator Comm>
  xt::xtensor<T, 2> initial_centers(const xt::xtensor<T, 2>& X, std::size_t k, const D& distance, std::uint64_t seed,
                                    std::size_t threads, const Comm& comm, const RowLayout& layout) const {
    return run(X, k, distance, seed, threads, comm, layout);
  }

 private:
  /// Rows per block of fill_from_data's partial sums: fixed by the row index, never by
  /// chunk_rows or the thread count.
  static constexpr std::size_t sum_block = 4096;

  template <class T, class D, class Comm>
  xt::xtensor<T, 2> run(const xt::xtensor<T, 2>& X, std::size_t k, const D& distance, std::uint64_t seed,
                        std::size_t threads, const Comm& comm, const RowLayout& layout) const {
    const std::size_t n = layout.n_global, d = X.shape(1), first = layout.first;
    if (k == 0) throw error("KMeansParallel: k must be at least 1, got k = 0");
    if (k > n)
      throw error(std::string("KMeansParallel: k = ")
                      .append(std::to_string(k))
                      .append(" is larger than the number of rows (")
                      .append(std::to_string(n))
                      .append(")"));
    if (!(oversampling > 0) || !std::isfinite(oversampling))
      throw error(std::string("KMeansParallel: oversampling must be a positive number, got ")
                      .append(std::to_string(oversampling)));
    if (rounds == 0) throw error("KMeansParallel: rounds must be at least 1, got 0");
    if (chunk_rows == 0) throw error("KMeansParallel: chunk_rows must be at least 1, got 0");

    const std::size_t local = X.shape(0), n_chunks = detail::chunk_count(local, chunk_rows);
    detail::Rng rng(detail::derive_seed(seed, 0));  // the first row, and the reduction's draws

    // The candidates' values, in the order drawn (equal rows kept once). closest[i]:
    // distance from local row i to its nearest candidate; owner[i]: that candidate
    // (the first on ties), whose weight row i adds to.
    detail::parallel_init::RowValueSet<T> candidates(d);
    {
      const std::size_t row = rng.below(n);  // a global row: its values from the rank that holds it
      std::size_t holder = 0;
      while (layout.starts[holder + 1] <= row) ++holder;
      std::vector<T> values(d);
      if (row >= first && row < first + local) std::copy_n(X.data() + (row - first) * d, d, values.begin());
      if (layout.spread()) broadcast_values(comm, values.data(), d, holder);
      candidates.insert(values.data());
    }
    std::vector<double> closest(local, std::numeric_limits<double>::infinity());
    std::vector<std::size_t> owner(local, 0);
    add_candidates(X, distance, candidates.matrix(), 0, closest, owner, threads);

    const double l = oversampling * static_cast<double>(k);
    for (std::size_t round = 0; round < rounds; ++round) {
      const double phi = potential(closest, detail::sum_chunk_rows(n), threads, comm);
      if (!(phi > 0)) break;  // every row is a candidate already
      // Each chunk keeps its rows in row order; chunks (and ranks) are joined in
      // order, so the candidates come out in row order however the rows were cut.
      const std::uint64_t key = round_key(seed, round);
      std::vector<std::vector<std::size_t>> kept(n_chunks);
      detail::parallel_for(n_chunks, threads, [&](std::size_t c) {
        const std::size_t b = c * chunk_rows, e = std::min(local, b + chunk_rows);
        for (std::size_t i = b; i < e; ++i)
          if (keyed_uniform(key, first + i) < l * closest[i] / phi) kept[c].push_back(i);
      });
      std::vector<T> kept_values;
      for (const auto& rows : kept)
        for (const std::size_t i : rows)
          kept_values.insert(kept_values.end(), X.data() + i * d, X.data() + (i + 1) * d);
      kept_values = comm.allgather(std::move(kept_values));
      const std::size_t first_new = candidates.size();
      for (std::size_t at = 0; at + d <= kept_values.size() && d > 0; at += d)
        candidates.insert(kept_values.data() + at);  // equal rows drawn together: keep one
      if (candidates.size() == first_new) continue;
      add_candidates(X, distance, candidates.matrix(first_new), first_new, closest, owner, threads);
    }

    if (candidates.size() <= k) {
      if (layout.spread())
        throw error("KMeansParallel over ranks: the rows hold only " + std::to_string(candidates.size()) +
                    " distinct candidate(s) after the rounds, for k = " + std::to_string(k) +
                    "; one process would add the rest by k-means++ over every row: draw more (oversampling, rounds)");
      fill_from_data(X, k, distance, candidates, closest, rng, threads);
      return candidates.matrix();
    }
    // Each candidate's weight: the rows nearest to it, of every rank.
    std::vector<unsigned long long> counts(candidates.size(), 0);
    for (const std::size_t c : owner) ++counts[c];
    const std::vector<unsigned long long> all_counts = sum_counts(comm, std::move(counts));
    const std::vector<double> weights(all_counts.begin(), all_counts.end());
    const xt::xtensor<T, 2> C = candidates.matrix();
    const std::vector<std::size_t> picked = reduce(C, weights, k, distance, rng);
    xt::xtensor<T, 2> out = xt::empty<T>({k, d});
    for (std::size_t c = 0; c < k; ++c) std::copy_n(C.data() + picked[c] * d, d, out.data() + c * d);
    return out;
  }

  /// The summed distance to the nearest candidate over every rank's rows: in chunks of
  /// `block` rows of the global index, added in chunk order.
  template <class Comm>
  static double potential(const std::vector<double>& closest, std::size_t block, std::size_t threads,
                          const Comm& comm) {
    std::vector<double> partial(detail::chunk_count(closest.size(), block));
    detail::parallel_for(partial.size(), threads, [&](std::size_t c) {
      double sum = 0;
      for (std::size_t i = c * block, e = std::min(closest.size(), (c + 1) * block); i < e; ++i) sum += closest[i];
      partial[c] = sum;
    });
    return fold_chunks(comm, std::move(partial), 1)[0];
  }

  /// Lowers closest[] to the new candidates `fresh` (numbered from first_id on), row by row.
  template <class T, class D>
  void add_candidates(const xt::xtensor<T, 2>& X, const D& distance, const xt::xtensor<T, 2>& fresh,
                      std::size_t first_id, std::vector<double>& closest, std::vector<std::size_t>& owner,
                      std::size_t threads) const {
    const std::size_t n = X.shape(0);
    detail::parallel_for(detail::chunk_count(n, chunk_rows), threads, [&](std::size_t c) {
      const std::size_t b = c * chunk_rows, e = std::min(n, b + chunk_rows);
      std::vector<std::size_t> label(e - b);
      std::vector<T> best(e - b), scratch;
      detail::nearest(distance, X, b, e, fresh, label.data(), best.data(), scratch);
      for (std::size_t i = b; i < e; ++i) {
        const double v = static_cast<double>(best[i - b]);
        if (v < closest[i]) closest[i] = v, owner[i] = first_id + label[i - b];  // strict: earlier candidates win ties
      }
    });
  }

  std::size_t trials_for(std::size_t k) const {
    return n_local_trials != 0 ? n_local_trials : 2 + static_cast<std::size_t>(std::log(static_cast<double>(k)));
  }

  /// Too few distinct candidates: the rest by greedy k-means++ from the data,
  /// continuing from closest[] (each row's distance to the nearest candidate).
  /// The potentials are summed over fixed sum_block blocks, merged in order.
  template <class T, class D>
  void fill_from_data(const xt::xtensor<T, 2>& X, std::size_t k, const D& distance,
                      detail::parallel_init::RowValueSet<T>& chosen, std::vector<double>& closest, detail::Rng& rng,
                      std::size_t threads) const {
    const std::size_t d = X.shape(1);
    const std::size_t n = X.shape(0), trials = trials_for(k), n_blocks = detail::chunk_count(n, sum_block);
    std::vector<double> cumulative(n), partial(n_blocks * trials);
    std::vector<std::size_t> ids(trials);
    std::size_t next_row = 0;  // where the search for an unused row goes on when the potential is zero
    while (chosen.size() < k) {
      double running = 0;
      for (std::size_t i = 0; i < n; ++i) cumulative[i] = (running += closest[i]);
      std::size_t best = 0;
      if (!(running > 0)) {
        // Every row sits on a chosen centre (by this distance): take the next row of another value.
        while (next_row < n && !chosen.insert(X.data() + next_row * d)) ++next_row;
        if (next_row == n)
          throw error(std::string("KMeansParallel: k = ")
                          .append(std::to_string(k))
                          .append(" but the data holds only ")
                          .append(std::to_string(chosen.size()))
                          .append(" distinct row(s)"));
        ids.assign(1, next_row);
      } else {
        ids.resize(trials);
        for (std::size_t t = 0; t < trials; ++t)
          ids[t] = detail::parallel_init::draw_from(cumulative, rng.uniform() * running);
        const xt::xtensor<T, 2> tried = detail::parallel_init::gather_rows(X, std::span<const std::size_t>(ids));
        detail::parallel_for(n_blocks, threads, [&](std::size_t blk) {
          const std::size_t b = blk * sum_block, e = std::min(n, b + sum_block);
          std::vector<T> out((e - b) * trials);
          detail::pairwise(distance, X, b, e, tried, out.data());
          for (std::size_t t = 0; t < trials; ++t) {
            double sum = 0;
            for (std::size_t i = b; i < e; ++i)
              sum += std::min(closest[i], static_cast<double>(out[(i - b) * trials + t]));
            partial[blk * trials + t] = sum;
          }
        });
        double best_potential = 0;
        for (std::size_t t = 0; t < trials; ++t) {
          double pot = 0;
          for (std::size_t blk = 0; blk < n_blocks; ++blk) pot += partial[blk * trials + t];
          if (t == 0 || pot < best_potential) best = t, best_potential = pot;
        }
        chosen.insert(X.data() + ids[best] * d);  // a positive draw is never a chosen value
      }
      const xt::xtensor<T, 2> centre =
          detail::parallel_init::gather_rows(X, std::span<const std::size_t>(ids).subspan(best, 1));
      detail::parallel_for(n_blocks, threads, [&](std::size_t blk) {
        const std::size_t b = blk * sum_block, e = std::min(n, b + sum_block);
        std::vector<T> out(e - b);
        detail::pairwise(distance, X, b, e, centre, out.data());
        for (std::size_t i = b; i < e; ++i) closest[i] = std::min(closest[i], static_cast<double>(out[i - b]));
      });
    }
  }

  /// Index, among the candidates C, of each of the k centres: weighted greedy
  /// k-means++, then weighted Lloyd, then each centre's nearest member. On the
  /// candidates only (about 10 k rows), so one thread.
  template <class T, class D>
  std::vector<std::size_t> reduce(const xt::xtensor<T, 2>& C, const std::vector<double>& w, std::size_t k,
                                  const D& distance, detail::Rng& rng) const {
    const std::size_t m = C.shape(0), d = C.shape(1), trials = trials_for(k);
    std::vector<double> cumulative(m);
    auto distances_to = [&](std::span<const std::size_t> ids) {
      std::vector<T> out(m * ids.size());
      detail::pairwise(distance, C, 0, m, detail::parallel_init::gather_rows(C, ids), out.data());
      return out;
    };

    // The first in proportion to its weight: a uniform row's nearest candidate.
    std::partial_sum(w.begin(), w.end(), cumulative.begin());
    std::vector<std::size_t> picked{detail::parallel_init::draw_from(cumulative, rng.uniform() * cumulative.back())};
    std::vector<char> is_picked(m, 0);
    is_picked[picked[0]] = 1;
    std::vector<double> closest(m);
    {
      const std::vector<T> first = distances_to(std::span<const std::size_t>(picked));
      for (std::size_t j = 0; j < m; ++j) closest[j] = static_cast<double>(first[j]);
    }
    std::vector<std::size_t> ids(trials);
    while (picked.size() < k) {
      double running = 0;
      for (std::size_t j = 0; j < m; ++j) cumulative[j] = (running += w[j] * closest[j]);
      std::size_t choice = 0;
      if (!(running > 0)) {
        // No weighted potential left (zero-weight or zero-distance candidates): the next unused one.
        while (is_picked[choice]) ++choice;
      } else {
        for (std::size_t t = 0; t < trials; ++t)
          ids[t] = detail::parallel_init::draw_from(cumulative, rng.uniform() * running);
        const std::vector<T> out = distances_to(std::span<const std::size_t>(ids));
        double best_potential = 0;
        for (std::size_t t = 0; t < trials; ++t) {
          double pot = 0;
          for (std::size_t j = 0; j < m; ++j)
            pot += w[j] * std::min(closest[j], static_cast<double>(out[j * trials + t]));
          if (t == 0 || pot < best_potential) choice = ids[t], best_potential = pot;
        }
      }
      picked.push_back(choice);
      is_picked[choice] = 1;
      const std::vector<T> out = distances_to(std::span<const std::size_t>(&choice, 1));
      for (std::size_t j = 0; j < m; ++j) closest[j] = std::min(closest[j], static_cast<double>(out[j]));
    }
    if (local_iterations == 0) return picked;

    // Weighted Lloyd on the candidates. A cluster left without weight would
    // have no centre: the refinement stops at the last labels that had none.
    xt::xtensor<T, 2> centres = detail::parallel_init::gather_rows(C, std::span<const std::size_t>(picked));
    std::vector<std::size_t> labels(m), next(m);
    std::vector<T> nearest(m), scratch;
    auto assign = [&](std::vector<std::size_t>& out) {
      detail::nearest(distance, C, 0, m, centres, out.data(), nearest.data(), scratch);
      std::vector<double> mass(k, 0.0);
      for (std::size_t j = 0; j < m; ++j) mass[out[j]] += w[j];
      return std::find(mass.begin(), mass.end(), 0.0) == mass.end();
    };
    if (!assign(labels)) return picked;
    for (std::size_t it = 0;; ++it) {
      weighted_centres(C, w, labels, distance, centres);
      if (it + 1 == local_iterations) break;
      if (!assign(next) || next == labels) break;
      labels.swap(next);
    }
    // Each centre to the candidate of its own cluster nearest to it: the
    // clusters are disjoint, so the k rows are distinct.
    std::vector<double> best(k, std::numeric_limits<double>::infinity());
    for (std::size_t j = 0; j < m; ++j) {
      const std::size_t c = labels[j];
      const double v = static_cast<double>(
          distance.distance(std::span<const T>(C.data() + j * d, d), std::span<const T>(centres.data() + c * d, d)));
      if (v < best[c]) best[c] = v, picked[c] = j;
    }
    return picked;
  }

  /// Each cluster's centre with candidate j counted w[j] times: the weighted
  /// mean where the centre is the mean, otherwise the distance's own centre of
  /// the members repeated by weight (the weights are row counts).
  template <class T, class D>
  static void weighted_centres(const xt::xtensor<T, 2>& C, const std::vector<double>& w,
                               const std::vector<std::size_t>& labels, const D& distance, xt::xtensor<T, 2>& centres) {
    const std::size_t m = C.shape(0), d = C.shape(1), k = centres.shape(0);
    if constexpr (requires { requires D::center_is_mean; }) {
      std::vector<double> sum(k * d, 0.0), mass(k, 0.0);
      for (std::size_t j = 0; j < m; ++j) {
        mass[labels[j]] += w[j];
        for (std::size_t f = 0; f < d; ++f) sum[labels[j] * d + f] += w[j] * static_cast<double>(C(j, f));
      }
      for (std::size_t c = 0; c < k; ++c)
        for (std::size_t f = 0; f < d; ++f) centres(c, f) = static_cast<T>(sum[c * d + f] / mass[c]);
    } else {
      for (std::size_t c = 0; c < k; ++c) {
        std::vector<std::size_t> members;
        for (std::size_t j = 0; j < m; ++j)
          if (labels[j] == c) members.insert(members.end(), static_cast<std::size_t>(w[j]), j);
        distance.center(C, std::span<const std::size_t>(members), std::span<T>(centres.data() + c * d, d));
      }
    }
  }
};

}  // namespace segkit
