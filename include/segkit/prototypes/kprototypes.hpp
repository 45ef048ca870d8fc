#pragma once
// k-prototypes (Huang 1997, 1998): segments of customers described by numbers and categories
// at once, the categories kept as categories, not one-hot columns. A prototype holds a mean
// per numeric column and a mode per categorical one; a customer's cost to it is the squared
// Euclidean distance of its numbers plus gamma times the number of its categories that
// differ from the modes. Lloyd's batch steps: every customer to its cheapest prototype, then
// each prototype to its customers' means and modes (the least cost for them), so the loss
// never rises. Huang's own algorithm, as the kmodes package runs it, moves the prototypes
// after each customer instead; the batch steps reach the same kind of fixed point and give
// the same result for any thread count.
//
// Starts: Cao, Liang and Bai's (2009) density-based start, deterministic (the densest
// customer, then each next the customer of largest density x cost to the chosen ones), or
// Huang's (seeded: each category drawn by its frequency, then the customer nearest those
// draws); the numeric part of a start is that of the customers chosen.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <xtensor/xoperation.hpp>
#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"
#include "segkit/core/matrix.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/random.hpp"
#include "segkit/features/mixed.hpp"

namespace segkit {

enum class PrototypeStart {
  cao,   ///< density-based, deterministic (Cao, Liang and Bai 2009)
  huang  ///< categories drawn by frequency, seeded (Huang 1998)
};

struct KPrototypesOptions {
  std::size_t k = 8;
  /// The cost of one category that differs, against squared numeric distances; empty: half
  /// the mean (population) standard deviation of the numeric columns (Huang's suggestion,
  /// the kmodes package's default), 1 when there are none.
  std::optional<double> gamma{};
  PrototypeStart start = PrototypeStart::cao;
  std::size_t n_init = 1;  ///< Huang's starts, each seeded from `seed`; the lowest loss wins (Cao's is one)
  std::size_t max_iter = 100;
  std::uint64_t seed = 0;
  std::size_t threads = 0;  ///< 0 = every core; the result is the same for any count
};

class KPrototypes {
 public:
  explicit KPrototypes(KPrototypesOptions options = {}) : options_(options) {}

  /// numbers: n x p numeric columns (p may be 0), float or double (measured in double);
  /// categories: n x q category codes, each column's codes 0..levels-1 (q may be 0, p + q may not).
  template <class T>
  KPrototypes& fit(const xt::xtensor<T, 2>& numbers, const xt::xtensor<std::size_t, 2>& categories) {
    if constexpr (std::is_same_v<T, double>)
      return fit_rows(numbers, categories);
    else
      return fit_rows(xt::xtensor<double, 2>(xt::cast<double>(numbers)), categories);
  }

  /// Each customer's cheapest prototype (the first on a tie); a category code the fit never
  /// saw differs from every mode.
  template <class T>
  xt::xtensor<std::size_t, 1> predict(const xt::xtensor<T, 2>& numbers,
                                      const xt::xtensor<std::size_t, 2>& categories) const {
    if constexpr (std::is_same_v<T, double>)
      return predict_rows(numbers, categories);
    else
      return predict_rows(xt::xtensor<double, 2>(xt::cast<double>(numbers)), categories);
  }

 private:
  KPrototypes& fit_rows(const xt::xtensor<double, 2>& numbers, const xt::xtensor<std::size_t, 2>& categories) {
    const std::size_t n = check(numbers, categories);
    const std::size_t k = options_.k;
    if (k == 0) throw error("k-prototypes needs k >= 1");
    if (k > n) throw error("k = " + std::to_string(k) + " prototypes of " + std::to_string(n) + " customers");
    const std::size_t q = categories.shape(1);
    levels_.assign(q, 0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t l = 0; l < q; ++l) levels_[l] = std::max(levels_[l], categories(i, l) + 1);
    gamma_ = options_.gamma.value_or(default_gamma(numbers));
    if (!(gamma_ >= 0) || !std::isfinite(gamma_)) throw error("gamma must be a finite number >= 0");
    const std::size_t starts = options_.start == PrototypeStart::cao ? 1 : std::max<std::size_t>(1, options_.n_init);
    std::optional<Run> best;
    for (std::size_t s = 0; s < starts; ++s) {
      Run run = single(numbers, categories, start_rows(numbers, categories, s));
      if (!best || run.losses.back() < best->losses.back()) best = std::move(run);
    }
    run_ = std::move(*best);
    return *this;
  }

  xt::xtensor<std::size_t, 1> predict_rows(const xt::xtensor<double, 2>& numbers,
                                           const xt::xtensor<std::size_t, 2>& categories) const {
    if (run_.means.shape(0) == 0) throw error("k-prototypes: predict before fit");
    const std::size_t n = check(numbers, categories, false);
    if (numbers.shape(1) != run_.means.shape(1) || categories.shape(1) != run_.modes.shape(1))
      throw error("customers of " + std::to_string(numbers.shape(1)) + " numeric and " +
                  std::to_string(categories.shape(1)) + " categorical columns for prototypes of " +
                  std::to_string(run_.means.shape(1)) + " and " + std::to_string(run_.modes.shape(1)));
    xt::xtensor<std::size_t, 1> out = xt::zeros<std::size_t>({n});
    for (std::size_t i = 0; i < n; ++i) out(i) = cheapest(numbers, categories, i, run_.means, run_.modes).first;
    return out;
  }

 public:
  /// A fitted model of given prototypes (a saved model's), for predict.
  static KPrototypes from_prototypes(xt::xtensor<double, 2> means, xt::xtensor<std::size_t, 2> modes, double gamma) {
    if (means.shape(0) != modes.shape(0) || means.shape(0) == 0)
      throw error("k-prototypes: " + std::to_string(means.shape(0)) + " means for " + std::to_string(modes.shape(0)) +
                  " modes");
    if (!(gamma >= 0) || !std::isfinite(gamma)) throw error("gamma must be a finite number >= 0");
    KPrototypes out({.k = means.shape(0), .gamma = gamma});
    out.gamma_ = gamma;
    out.run_.means = std::move(means);
    out.run_.modes = std::move(modes);
    return out;
  }

  /// The prototypes: k x p means, k x q modes (the most frequent code, the lowest on a tie).
  const xt::xtensor<double, 2>& means() const { return run_.means; }
  const xt::xtensor<std::size_t, 2>& modes() const { return run_.modes; }
  const xt::xtensor<std::size_t, 1>& labels() const { return run_.labels; }
  /// The customers whose rows started the winning run, in prototype order.
  const std::vector<std::size_t>& start() const { return run_.start; }
  /// The summed cost of every customer to its prototype.
  double loss() const { return run_.losses.back(); }
  /// The loss after each assignment step: it never rises.
  const std::vector<double>& losses() const { return run_.losses; }
  std::size_t iterations() const { return run_.losses.size() - 1; }
  bool converged() const { return run_.converged; }
  double gamma() const { return gamma_; }
  /// Each categorical column's number of codes (the largest code seen + 1).
  const std::vector<std::size_t>& levels() const { return levels_; }
  const KPrototypesOptions& options() const { return options_; }

  /// Half the mean population standard deviation of the numeric columns; 1 with none.
  static double default_gamma(const xt::xtensor<double, 2>& numbers) {
    const std::size_t n = numbers.shape(0), p = numbers.shape(1);
    if (p == 0 || n == 0) return 1.0;
    double total = 0;
    for (std::size_t j = 0; j < p; ++j) {
      double mean = 0, square = 0;
      for (std::size_t i = 0; i < n; ++i) mean += numbers(i, j);
      mean /= static_cast<double>(n);
      for (std::size_t i = 0; i < n; ++i) square += (numbers(i, j) - mean) * (numbers(i, j) - mean);
      total += std::sqrt(square / static_cast<double>(n));
    }
    return 0.5 * total / static_cast<double>(p);
  }

 private:
  struct Run {
    xt::xtensor<double, 2> means;
    xt::xtensor<std::size_t, 2> modes;
    xt::xtensor<std::size_t, 1> labels;
    std::vector<std::size_t> start;
    std::vector<double> losses;
    bool converged = false;
  };

  std::size_t check(const xt::xtensor<double, 2>& numbers, const xt::xtensor<std::size_t, 2>& categories,
                    bool fitting = true) const {
    const std::size_t n = numbers.shape(1) > 0 ? numbers.shape(0) : categories.shape(0);
    if (numbers.shape(1) > 0 && categories.shape(1) > 0 && numbers.shape(0) != categories.shape(0))
      throw error("k-prototypes: " + std::to_string(numbers.shape(0)) + " rows of numbers but " +
                  std::to_string(categories.shape(0)) + " rows of categories");
    if (numbers.shape(1) + categories.shape(1) == 0) throw error("k-prototypes: no columns, numeric or categorical");
    if (fitting && n == 0) throw error("k-prototypes: no customers");
    if (numbers.shape(1) > 0 && n > 0) detail::check_finite(numbers, "the numeric columns", options_.threads);
    return n;
  }

  /// The cost of customer i to a prototype.
  double cost(const xt::xtensor<double, 2>& numbers, const xt::xtensor<std::size_t, 2>& categories, std::size_t i,
              const xt::xtensor<double, 2>& means, const xt::xtensor<std::size_t, 2>& modes, std::size_t c) const {
    double numeric = 0;
    for (std::size_t j = 0; j < means.shape(1); ++j) {
      const double diff = numbers(i, j) - means(c, j);
      numeric += diff * diff;
    }
    std::size_t differ = 0;
    for (std::size_t l = 0; l < modes.shape(1); ++l) differ += categories(i, l) != modes(c, l);
    return numeric + gamma_ * static_cast<double>(differ);
  }

  std::pair<std::size_t, double> cheapest(const xt::xtensor<double, 2>& numbers,
                                          const xt::xtensor<std::size_t, 2>& categories, std::size_t i,
                                          const xt::xtensor<double, 2>& means,
                                          const xt::xtensor<std::size_t, 2>& modes) const {
    std::size_t best = 0;
    double least = std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < means.shape(0); ++c) {
      const double v = cost(numbers, categories, i, means, modes, c);
      if (v < least) least = v, best = c;
    }
    return {best, least};
  }

  /// The customers a start takes its prototypes from.
  std::vector<std::size_t> start_rows(const xt::xtensor<double, 2>& numbers,
                                      const xt::xtensor<std::size_t, 2>& categories, std::size_t start) const {
    const std::size_t n = numbers.shape(1) > 0 ? numbers.shape(0) : categories.shape(0), q = categories.shape(1);
    const std::size_t k = options_.k;
    std::vector<std::size_t> rows;
    std::vector<char> taken(n, 0);
    const auto mismatches = [&](std::size_t a, std::size_t b) {
      std::size_t m = 0;
      for (std::size_t l = 0; l < q; ++l) m += categories(a, l) != categories(b, l);
      return m;
    };
    const auto distance = [&](std::size_t a, std::size_t b) {
      double s = 0;
      for (std::size_t j = 0; j < numbers.shape(1); ++j)
        s += (numbers(a, j) - numbers(b, j)) * (numbers(a, j) - numbers(b, j));
      return s + gamma_ * static_cast<double>(mismatches(a, b));
    };
    if (options_.start == PrototypeStart::cao) {
      // A customer's density: the mean share of customers that share each of its categories.
      std::vector<double> density(n, 1.0);
      if (q > 0) {
        std::vector<std::vector<std::size_t>> frequency(q);
        for (std::size_t l = 0; l < q; ++l) {
          frequency[l].assign(levels_[l], 0);
          for (std::size_t i = 0; i < n; ++i) ++frequency[l][categories(i, l)];
        }
        for (std::size_t i = 0; i < n; ++i) {
          double d = 0;
          for (std::size_t l = 0; l < q; ++l) d += static_cast<double>(frequency[l][categories(i, l)]);
          density[i] = d / static_cast<double>(n * q);
        }
      }
      std::size_t first = 0;
      for (std::size_t i = 1; i < n; ++i)
        if (density[i] > density[first]) first = i;
      rows.push_back(first);
      taken[first] = 1;
      std::vector<double> nearest(n, std::numeric_limits<double>::infinity());
      while (rows.size() < k) {
        std::size_t next = n;
        double best = -1;
        for (std::size_t i = 0; i < n; ++i) {
          if (taken[i]) continue;
          nearest[i] = std::min(nearest[i], distance(i, rows.back()));
          const double score = density[i] * nearest[i];
          if (score > best) best = score, next = i;
        }
        rows.push_back(next);
        taken[next] = 1;
      }
      return rows;
    }
    // Huang: each prototype's categories drawn by their frequencies (a random customer's
    // value, column by column), then the customer not yet taken with the fewest of them
    // different, the nearest in numbers to another random customer on a tie.
    detail::Rng rng(detail::derive_seed(options_.seed, start));
    for (std::size_t c = 0; c < k; ++c) {
      std::vector<std::size_t> wanted(q);
      for (std::size_t l = 0; l < q; ++l) wanted[l] = categories(rng.below(n), l);
      const std::size_t numbers_like = rng.below(n);
      std::size_t next = n, least = q + 1;
      double closest = std::numeric_limits<double>::infinity();
      for (std::size_t i = 0; i < n; ++i) {
        if (taken[i]) continue;
        std::size_t m = 0;
        for (std::size_t l = 0; l < q; ++l) m += categories(i, l) != wanted[l];
        const double numeric = distance(i, numbers_like) - gamma_ * static_cast<double>(mismatches(i, numbers_like));
        if (m < least || (m == least && numeric < closest)) least = m, closest = numeric, next = i;
      }
      rows.push_back(next);
      taken[next] = 1;
    }
    return rows;
  }

  /// Lloyd's batch steps from the prototypes of the customers `start`.
  Run single(const xt::xtensor<double, 2>& numbers, const xt::xtensor<std::size_t, 2>& categories,
             std::vector<std::size_t> start) const {
    const std::size_t n = numbers.shape(1) > 0 ? numbers.shape(0) : categories.shape(0);
    const std::size_t p = numbers.shape(1), q = categories.shape(1), k = options_.k;
    Run run;
    run.start = std::move(start);
    run.means = xt::empty<double>({k, p});
    run.modes = xt::empty<std::size_t>({k, q});
    for (std::size_t c = 0; c < k; ++c) {
      for (std::size_t j = 0; j < p; ++j) run.means(c, j) = numbers(run.start[c], j);
      for (std::size_t l = 0; l < q; ++l) run.modes(c, l) = categories(run.start[c], l);
    }
    run.labels = xt::zeros<std::size_t>({n});
    std::vector<double> costs(n);
    const std::size_t chunk = detail::sum_chunk_rows(n), chunks = detail::chunk_count(n, chunk);
    const std::size_t threads = detail::threads_for(n * k * (p + q + 1), options_.threads);
    std::size_t offset = 0;  // the number of codes before each column's, in the counts below
    std::vector<std::size_t> first_code(q);
    for (std::size_t l = 0; l < q; ++l) first_code[l] = offset, offset += levels_[l];
    for (std::size_t iteration = 0;; ++iteration) {
      std::vector<std::size_t> changed(chunks, 0);
      detail::parallel_for(chunks, threads, [&](std::size_t b) {
        for (std::size_t i = b * chunk; i < std::min(n, (b + 1) * chunk); ++i) {
          const auto [c, v] = cheapest(numbers, categories, i, run.means, run.modes);
          changed[b] += iteration == 0 || c != run.labels(i);
          run.labels(i) = c;
          costs[i] = v;
        }
      });
      // A prototype no customer chose takes the costliest customer (the first on a tie), whose
      // cost then falls to 0: the loss still falls.
      std::vector<std::size_t> size(k, 0);
      for (std::size_t i = 0; i < n; ++i) ++size[run.labels(i)];
      for (std::size_t c = 0; c < k; ++c) {
        if (size[c] > 0) continue;
        std::size_t far = 0;
        for (std::size_t i = 1; i < n; ++i)
          if (costs[i] > costs[far] && size[run.labels(i)] > 1) far = i;
        if (size[run.labels(far)] <= 1) continue;  // every customer alone: nothing to move
        --size[run.labels(far)];
        ++size[c];
        run.labels(far) = c;
        costs[far] = 0;
        for (std::size_t j = 0; j < p; ++j) run.means(c, j) = numbers(far, j);
        for (std::size_t l = 0; l < q; ++l) run.modes(c, l) = categories(far, l);
        changed.back() += 1;
      }
      double loss = 0;
      for (std::size_t b = 0; b < chunks; ++b) {
        double part = 0;
        for (std::size_t i = b * chunk; i < std::min(n, (b + 1) * chunk); ++i) part += costs[i];
        loss += part;
      }
      run.losses.push_back(loss);
      const bool moved = std::accumulate(changed.begin(), changed.end(), std::size_t{0}) > 0;
      if (iteration > 0 && !moved) {
        run.converged = true;
        break;
      }
      if (iteration == options_.max_iter) break;
      // Each prototype to its customers' means and modes: sums and counts by chunk, added in chunk order.
      std::vector<double> sums(chunks * k * p, 0.0);
      std::vector<std::size_t> counts(k * offset, 0);
      detail::parallel_for(chunks, threads, [&](std::size_t b) {
        double* s = sums.data() + b * k * p;
        for (std::size_t i = b * chunk; i < std::min(n, (b + 1) * chunk); ++i)
          for (std::size_t j = 0; j < p; ++j) s[run.labels(i) * p + j] += numbers(i, j);
      });
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t l = 0; l < q; ++l) ++counts[run.labels(i) * offset + first_code[l] + categories(i, l)];
      for (std::size_t c = 0; c < k; ++c) {
        for (std::size_t j = 0; j < p; ++j) {
          double total = 0;
          for (std::size_t b = 0; b < chunks; ++b) total += sums[(b * k + c) * p + j];
          run.means(c, j) = total / static_cast<double>(size[c]);
        }
        for (std::size_t l = 0; l < q; ++l) {
          const std::size_t* count = counts.data() + c * offset + first_code[l];
          run.modes(c, l) = static_cast<std::size_t>(std::max_element(count, count + levels_[l]) - count);
        }
      }
    }
    return run;
  }

  KPrototypesOptions options_;
  double gamma_ = 1;
  std::vector<std::size_t> levels_;
  Run run_;
};

/// A k-prototypes fit over prepared features, as a model keeps it: the columns, the
/// prototypes (means of the scaled numeric features, modes as level codes) and gamma.
struct PrototypeModel {
  features::MixedColumns columns;
  xt::xtensor<double, 2> means;
  xt::xtensor<std::size_t, 2> modes;
  double gamma = 1;

  /// Each customer's segment from its scaled and its prepared (unscaled) features.
  xt::xtensor<std::size_t, 1> assign(const xt::xtensor<double, 2>& scaled,
                                     const xt::xtensor<double, 2>& prepared) const {
    return KPrototypes::from_prototypes(means, modes, gamma).predict(columns.numbers(scaled), columns.codes(prepared));
  }
};

}  // namespace segkit
