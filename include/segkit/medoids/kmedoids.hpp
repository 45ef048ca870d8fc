#pragma once
// k-medoids: segments around real customers, so that each segment has a typical customer
// to show, and any dissimilarity works (Gower's for mixed tables), not only those whose
// centre is a mean. FasterPAM (Schubert and Rousseeuw, "Fast and eager k-medoids
// clustering", 2021): PAM's swap search with the losses of removing each medoid shared by
// every candidate, O(n^2) per pass instead of PAM's O(k n^2), and a swap made as soon as
// it lowers the loss. It ends where no swap of one medoid for one customer lowers the
// loss: PAM's local optimum. Starts: BUILD (Kaufman and Rousseeuw's greedy start, as PAM)
// or k-medoids++ (k-means++'s seeding with the dissimilarity as weight, seeded).
//
// Dissimilarities are computed when needed and never stored: O(n) memory beyond the
// data, O(n^2 d) time per pass. Candidates are weighed in blocks on the threads and taken
// in customer order, so the medoids are the same for any thread count.

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"
#include "segkit/core/matrix.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/random.hpp"
#include "segkit/features/mixed.hpp"

namespace segkit {

/// What k-medoids needs of a dissimilarity: the dissimilarity of two rows (symmetric,
/// non-negative, 0 between equal rows). No centre: the medoid is a customer.
template <class D, class T>
concept DissimilarityFor = std::copy_constructible<D> && requires(const D& d, std::span<const T> row) {
  { d.distance(row, row) } -> std::convertible_to<double>;
};

/// The Euclidean distance (not squared): k-medoids' usual dissimilarity, pyclustering's default.
struct Euclidean {
  static constexpr std::string_view name = "euclidean";
  template <class T>
  double distance(std::span<const T> a, std::span<const T> b) const {
    double sum = 0;
    for (std::size_t j = 0; j < a.size(); ++j) {
      const double diff = static_cast<double>(a[j]) - static_cast<double>(b[j]);
      sum += diff * diff;
    }
    return std::sqrt(sum);
  }
};

/// Gower's dissimilarity of mixed rows (Gower 1971): the mean over the columns of |a - b| /
/// range for a numeric column and of a mismatch (0 or 1) for a categorical one, whose
/// values are category codes. Every column counts alike, whatever its units; a column of
/// one value (range 0) never differs.
struct Gower {
  static constexpr std::string_view name = "gower";
  std::vector<double> ranges;     ///< per column: max - min of a numeric column (unused for a categorical one)
  std::vector<bool> categorical;  ///< per column: whether it holds category codes

  /// Gower's dissimilarity with the ranges of the columns of X.
  template <class T>
  static Gower of(const xt::xtensor<T, 2>& X, std::vector<bool> categorical) {
    const std::size_t n = X.shape(0), d = X.shape(1);
    if (categorical.size() != d)
      throw error("Gower's dissimilarity: " + std::to_string(categorical.size()) + " column kinds for " +
                  std::to_string(d) + " columns");
    Gower out{std::vector<double>(d, 0.0), std::move(categorical)};
    for (std::size_t j = 0; j < d && n > 0; ++j) {
      if (out.categorical[j]) continue;
      double lo = static_cast<double>(X(0, j)), hi = lo;
      for (std::size_t i = 1; i < n; ++i)
        lo = std::min(lo, static_cast<double>(X(i, j))), hi = std::max(hi, static_cast<double>(X(i, j)));
      out.ranges[j] = hi - lo;
    }
    return out;
  }

  template <class T>
  double distance(std::span<const T> a, std::span<const T> b) const {
    double sum = 0;
    for (std::size_t j = 0; j < a.size(); ++j) {
      if (categorical[j])
        sum += a[j] != b[j] ? 1.0 : 0.0;
      else if (ranges[j] > 0)
        sum += std::abs(static_cast<double>(a[j]) - static_cast<double>(b[j])) / ranges[j];
    }
    return a.empty() ? 0.0 : sum / static_cast<double>(a.size());
  }
};

enum class MedoidStart {
  build,              ///< BUILD: each medoid the customer that lowers the loss most (O(k n^2))
  kmedoids_plus_plus  ///< k-means++'s seeding, weighted by the dissimilarity to the nearest medoid (O(k n))
};

struct KMedoidsOptions {
  std::size_t k = 8;
  MedoidStart start = MedoidStart::build;
  std::size_t max_iter = 100;  ///< passes over the customers as candidates, at most
  std::uint64_t seed = 0;      ///< k-medoids++'s draws
  /// Given starting medoids (k distinct rows), used instead of `start` when not empty.
  std::vector<std::size_t> initial = {};
  std::size_t threads = 0;  ///< 0 = every core; the medoids are the same for any count
};

template <class Dissimilarity = Euclidean>
class KMedoids {
 public:
  explicit KMedoids(KMedoidsOptions options = {}, Dissimilarity dissimilarity = {})
      : options_(options), dissimilarity_(std::move(dissimilarity)) {}

  template <class T>
  requires DissimilarityFor<Dissimilarity, T> KMedoids& fit(const xt::xtensor<T, 2>& X) {
    detail::check_data(X, "X", options_.threads);
    const std::size_t n = X.shape(0), k = options_.k;
    if (k == 0) throw error("k-medoids needs k >= 1");
    if (k > n)
      throw error("k = " + std::to_string(k) + " medoids of " + std::to_string(n) + " customers: k must be at most n");
    const std::size_t d = X.shape(1);
    const auto row = [&](std::size_t i) { return std::span<const T>(X.data() + i * d, d); };
    const auto dist = [&](std::size_t i, std::size_t j) { return dissimilarity_.distance(row(i), row(j)); };
    const std::size_t threads = detail::threads_for(n * n * d, options_.threads);
    medoids_.clear();
    losses_.clear();
    swaps_ = passes_ = 0;
    converged_ = false;
    near_.assign(n, 0.0);
    if (!options_.initial.empty()) {
      if (options_.initial.size() != k)
        throw error(std::to_string(options_.initial.size()) + " starting medoids for k = " + std::to_string(k));
      std::vector<std::size_t> sorted = options_.initial;
      std::sort(sorted.begin(), sorted.end());
      if (sorted.back() >= n)
        throw error("starting medoid " + std::to_string(sorted.back()) + " is no row of " + std::to_string(n));
      if (const auto twice = std::adjacent_find(sorted.begin(), sorted.end()); twice != sorted.end())
        throw error("the starting medoids name row " + std::to_string(*twice) + " twice");
      medoids_ = options_.initial;
    } else if (options_.start == MedoidStart::build || k == 1) {
      build(n, dist, threads);
    } else {
      seed_plus_plus(n, dist);
    }
    start_ = medoids_;
    if (k == 1 && !options_.initial.empty()) {  // one medoid: the best one, BUILD's, whatever the start
      medoids_.clear();
      build(n, dist, threads);
    }
    assign(n, dist, threads);
    losses_.push_back(loss_);
    if (k > 1)
      swap(n, dist, threads);
    else
      converged_ = true;  // BUILD's one medoid is the best one
    medoid_rows_ = xt::empty<double>({k, d});
    for (std::size_t c = 0; c < k; ++c)
      for (std::size_t j = 0; j < d; ++j) medoid_rows_(c, j) = static_cast<double>(X(medoids_[c], j));
    labels_ = xt::empty<std::size_t>({n});
    std::copy(nearest_.begin(), nearest_.end(), labels_.begin());
    return *this;
  }

  /// Each row's segment: its nearest medoid (the first on a tie).
  template <class T>
  requires DissimilarityFor<Dissimilarity, T> xt::xtensor<std::size_t, 1> predict(const xt::xtensor<T, 2>& X)
  const {
    if (medoids_.empty()) throw error("k-medoids: predict before fit");
    const std::size_t d = medoid_rows_.shape(1);
    if (X.shape(0) > 0 && X.shape(1) != d)
      throw error("customers of " + std::to_string(X.shape(1)) + " features for medoids of " + std::to_string(d));
    xt::xtensor<std::size_t, 1> out = xt::zeros<std::size_t>({X.shape(0)});
    std::vector<T> medoid(d);
    for (std::size_t i = 0; i < X.shape(0); ++i) {
      double best = std::numeric_limits<double>::infinity();
      for (std::size_t c = 0; c < medoid_rows_.shape(0); ++c) {
        for (std::size_t j = 0; j < d; ++j) medoid[j] = static_cast<T>(medoid_rows_(c, j));
        const double v = dissimilarity_.distance(std::span<const T>(X.data() + i * d, d), std::span<const T>(medoid));
        if (v < best) best = v, out(i) = c;
      }
    }
    return out;
  }

  /// The medoids' rows of X, in label order: segment c is the customers nearest medoids()[c].
  const std::vector<std::size_t>& medoids() const { return medoids_; }
  /// The start's medoids (BUILD's or k-medoids++'s), in the order chosen.
  const std::vector<std::size_t>& start() const { return start_; }
  const xt::xtensor<double, 2>& medoid_rows() const { return medoid_rows_; }
  const xt::xtensor<std::size_t, 1>& labels() const { return labels_; }
  /// The summed dissimilarity of every customer to its medoid.
  double loss() const { return loss_; }
  /// The loss at the start and after each swap: it never rises.
  const std::vector<double>& losses() const { return losses_; }
  std::size_t swaps() const { return swaps_; }
  std::size_t passes() const { return passes_; }
  /// Whether a whole pass found no swap that lowers the loss (else max_iter ended it).
  bool converged() const { return converged_; }
  const KMedoidsOptions& options() const { return options_; }
  const Dissimilarity& dissimilarity() const { return dissimilarity_; }

 private:
  /// BUILD: the customer of least summed dissimilarity, then each next medoid the customer
  /// that lowers the loss most; the first customer on a tie.
  template <class Dist>
  void build(std::size_t n, const Dist& dist, std::size_t threads) {
    std::vector<double> score(n);
    std::vector<char> chosen(n, 0);
    for (std::size_t m = 0; m < options_.k; ++m) {
      parallel_candidates(n, threads, [&](std::size_t c) {
        if (chosen[c]) return;
        double s = 0;
        for (std::size_t o = 0; o < n; ++o) {
          const double v = dist(o, c);
          s += m == 0 ? v : std::max(0.0, near_[o] - v);  // first: the sum; then: the gain
        }
        score[c] = s;
      });
      std::size_t best = n;
      for (std::size_t c = 0; c < n; ++c)
        if (!chosen[c] && (best == n || (m == 0 ? score[c] < score[best] : score[c] > score[best]))) best = c;
      chosen[best] = 1;
      medoids_.push_back(best);
      for (std::size_t o = 0; o < n; ++o) near_[o] = m == 0 ? dist(o, best) : std::min(near_[o], dist(o, best));
    }
  }

  /// k-medoids++: a first medoid drawn uniformly, each next one drawn with probability
  /// proportional to a customer's dissimilarity to its nearest medoid so far.
  template <class Dist>
  void seed_plus_plus(std::size_t n, const Dist& dist) {
    detail::Rng rng(detail::derive_seed(options_.seed, 0));
    std::size_t first = rng.below(n);
    medoids_.push_back(first);
    for (std::size_t o = 0; o < n; ++o) near_[o] = dist(o, first);
    while (medoids_.size() < options_.k) {
      double total = 0;
      for (const double v : near_) total += v;
      std::size_t next = n;
      if (total > 0) {
        double target = rng.uniform() * total;
        for (std::size_t o = 0; o < n && next == n; ++o)
          if (near_[o] > 0 && (target -= near_[o]) < 0) next = o;
        if (next == n)  // rounding left the target at the end: the last customer with weight
          for (std::size_t o = n; o-- > 0 && next == n;)
            if (near_[o] > 0) next = o;
      } else {
        // Every customer sits on a medoid: any customer not yet one.
        for (std::size_t o = 0; o < n && next == n; ++o)
          if (std::find(medoids_.begin(), medoids_.end(), o) == medoids_.end()) next = o;
      }
      medoids_.push_back(next);
      for (std::size_t o = 0; o < n; ++o) near_[o] = std::min(near_[o], dist(o, next));
    }
  }

  /// Each customer's nearest and second-nearest medoid, the loss, and what removing each
  /// medoid would cost (its customers moving to their second-nearest).
  template <class Dist>
  void assign(std::size_t n, const Dist& dist, std::size_t threads) {
    const std::size_t k = medoids_.size();
    nearest_.assign(n, 0);
    second_.assign(n, std::numeric_limits<double>::infinity());
    const std::size_t block = 1024;
    detail::parallel_for(detail::chunk_count(n, block), threads, [&](std::size_t b) {
      for (std::size_t o = b * block; o < std::min(n, (b + 1) * block); ++o) {
        double first = std::numeric_limits<double>::infinity(), second = first;
        std::size_t at = 0;
        for (std::size_t c = 0; c < k; ++c) {
          const double v = dist(o, medoids_[c]);
          if (v < first)
            second = first, first = v, at = c;
          else if (v < second)
            second = v;
        }
        near_[o] = first, second_[o] = second, nearest_[o] = at;
      }
    });
    removal_.assign(k, 0.0);
    loss_ = 0;
    for (std::size_t o = 0; o < n; ++o) {
      removal_[nearest_[o]] += second_[o] - near_[o];
      loss_ += near_[o];
    }
  }

  /// The best swap of candidate c for a medoid: (the medoid's label, the change of the loss).
  template <class Dist>
  std::pair<std::size_t, double> weigh(std::size_t c, std::size_t n, const Dist& dist) const {
    std::vector<double> delta = removal_;
    double added = 0;
    for (std::size_t o = 0; o < n; ++o) {
      const double v = dist(o, c);
      if (v < near_[o]) {
        added += v - near_[o];
        delta[nearest_[o]] += near_[o] - second_[o];  // o leaves its medoid for c anyway
      } else if (v < second_[o]) {
        delta[nearest_[o]] += v - second_[o];  // were its medoid removed, o would go to c
      }
    }
    const std::size_t best = static_cast<std::size_t>(std::min_element(delta.begin(), delta.end()) - delta.begin());
    return {best, delta[best] + added};
  }

  /// FasterPAM's eager swaps: candidates in customer order, cycling, until a whole pass
  /// from the last swap finds none that lowers the loss.
  template <class Dist>
  void swap(std::size_t n, const Dist& dist, std::size_t threads) {
    std::vector<char> is_medoid(n, 0);
    for (const std::size_t m : medoids_) is_medoid[m] = 1;
    const std::size_t block = std::max<std::size_t>(1, detail::resolve_threads(threads)) * 16;
    std::vector<std::pair<std::size_t, double>> weighed(block);
    std::size_t next = 0, quiet = 0;  // the next candidate; candidates weighed since the last swap
    while (quiet < n && passes_ < options_.max_iter) {
      const std::size_t count = std::min(block, n - quiet);
      parallel_candidates(count, threads, [&](std::size_t b) {
        const std::size_t c = (next + b) % n;
        weighed[b] = is_medoid[c] ? std::pair<std::size_t, double>{0, 0.0} : weigh(c, n, dist);
      });
      std::size_t taken = count;
      for (std::size_t b = 0; b < count && taken == count; ++b)
        if (weighed[b].second < -1e-12 * loss_) taken = b;
      const std::size_t used = taken == count ? count : taken + 1;
      if (next + used >= n) ++passes_;
      if (taken == count) {
        quiet += count;
      } else {
        const std::size_t c = (next + taken) % n, medoid = weighed[taken].first;
        is_medoid[medoids_[medoid]] = 0;
        is_medoid[c] = 1;
        medoids_[medoid] = c;
        ++swaps_;
        assign(n, dist, threads);
        losses_.push_back(loss_);
        quiet = 0;
      }
      next = (next + used) % n;
    }
    converged_ = quiet >= n;
  }

  /// body(c) for c in [0, count), on the threads when there are any.
  template <class Body>
  static void parallel_candidates(std::size_t count, std::size_t threads, Body&& body) {
    const std::size_t per = 4;
    detail::parallel_for(detail::chunk_count(count, per), threads, [&](std::size_t b) {
      for (std::size_t c = b * per; c < std::min(count, (b + 1) * per); ++c) body(c);
    });
  }

  KMedoidsOptions options_;
  Dissimilarity dissimilarity_;
  std::vector<std::size_t> medoids_, start_, nearest_;
  std::vector<double> near_, second_, removal_, losses_;
  double loss_ = 0;
  std::size_t swaps_ = 0, passes_ = 0;
  bool converged_ = false;
  xt::xtensor<double, 2> medoid_rows_;
  xt::xtensor<std::size_t, 1> labels_;
};

/// k-medoids by Gower's dissimilarity over prepared features, as a model keeps it: the
/// columns read as numbers and categories (features::MixedColumns), the dissimilarity with
/// its ranges, and the medoids' rows as MixedColumns::mixed gives them.
struct GowerMedoids {
  features::MixedColumns columns;
  Gower gower;
  xt::xtensor<double, 2> medoids;

  /// Each customer's nearest medoid (the first on a tie) from its prepared features.
  xt::xtensor<std::size_t, 1> assign(const xt::xtensor<double, 2>& prepared) const {
    const xt::xtensor<double, 2> rows = columns.mixed(prepared).first;
    const std::size_t n = rows.shape(0), w = rows.shape(1);
    if (medoids.shape(1) != w)
      throw error("customers of " + std::to_string(w) + " columns for medoids of " + std::to_string(medoids.shape(1)));
    xt::xtensor<std::size_t, 1> out = xt::zeros<std::size_t>({n});
    for (std::size_t i = 0; i < n; ++i) {
      double best = std::numeric_limits<double>::infinity();
      for (std::size_t c = 0; c < medoids.shape(0); ++c) {
        const double v = gower.distance(std::span<const double>(rows.data() + i * w, w),
                                        std::span<const double>(medoids.data() + c * w, w));
        if (v < best) best = v, out(i) = c;
      }
    }
    return out;
  }
};

}  // namespace segkit
