#pragma once
// Lloyd's k-means loop, with scikit-learn's stopping rules: stop when the
// labels no longer change, or when the summed squared centre shift falls to
// tol x the mean per-feature variance; then reassign once more so that the
// labels returned belong to the centres returned.
//
// The loop (detail::kmeans_loop) takes the assignment step as a parameter:
// every row against every centre (FullAssignment, here), or a step that skips
// rows whose bounds prove their label (cluster/bounds.hpp). Both give the same
// labels, so the centres, stopping and relocation are one code and one result.

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <cstddef>
#include <numeric>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/core/clustering.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/format.hpp"
#include "segkit/core/matrix.hpp"
#include "segkit/core/options.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/distance/concept.hpp"
#include "segkit/distance/nearest.hpp"
#include "segkit/distance/squared_euclidean.hpp"

namespace segkit {

namespace detail {

/// Mean over features of the population variance, in double, in one pass over
/// the rows: sums of (x - x0) and (x - x0)^2 with x0 the first row, which is
/// close enough to the mean that the difference of the two sums keeps its digits
/// (a plain sum of squares would lose them on uncentred data). Fixed chunks of
/// rows on up to `threads` threads, merged in chunk order: the same for any count.
template <class T>
double mean_feature_variance(const xt::xtensor<T, 2>& X, std::size_t threads = 1) {
  const std::size_t n = X.shape(0), d = X.shape(1);
  std::vector<double> shift(d);
  for (std::size_t j = 0; j < d; ++j) shift[j] = static_cast<double>(X.data()[j]);
  const auto sums = feature_sums<2>(X.data(), n, d, threads, [&shift](double x, std::size_t j) {
    const double v = x - shift[j];
    return std::array<double, 2>{v, v * v};
  });
  double total = 0;
  for (std::size_t j = 0; j < d; ++j) {
    const double mean = sums[j][0] / static_cast<double>(n);
    total += std::max(0.0, sums[j][1] / static_cast<double>(n) - mean * mean);
  }
  return total / static_cast<double>(d);
}

/// The centre-shift tolerance in X's squared units: options.absolute_tol when given, else
/// tol x the mean feature variance (tol = 0, stop only when the labels stop changing,
/// needs no variance and skips its pass over X).
template <class T>
double absolute_tol(const xt::xtensor<T, 2>& X, const Options& options) {
  if (options.absolute_tol) return *options.absolute_tol;
  return options.tol > 0 ? options.tol * mean_feature_variance(X, options.threads) : 0.0;
}

/// Rows per partial sum of the centre update: fixed by n alone (never by the
/// thread count), and at most ~256 chunks so the partial sums stay small.
inline std::size_t sum_chunk_rows(std::size_t n) { return std::max<std::size_t>(4096, (n + 255) / 256); }

/// Adds rows [b, e) of X to sums[label * d ...] (in double), in row order.
template <class T>
void add_rows(const T* __restrict X, std::size_t d, const std::size_t* __restrict labels, std::size_t b, std::size_t e,
              double* __restrict sums) {
  for (std::size_t i = b; i < e; ++i) {
    const T* x = X + i * d;
    double* s = sums + labels[i] * d;
    for (std::size_t j = 0; j < d; ++j) s[j] += static_cast<double>(x[j]);
  }
}

/// counts[labels[i]] += 1 for i in [b, e): even and odd rows counted apart (the odd
/// ones in a per-thread array, added at the end), so that a run of one label is not
/// one chain of increments through memory (6 % of a Lloyd pass at 1,000,000 x 16 x 8 in float).
inline void count_labels(const std::size_t* labels, std::size_t b, std::size_t e, std::size_t* counts, std::size_t k) {
  thread_local std::vector<std::size_t> odd;
  odd.assign(k, 0);
  std::size_t i = b;
  for (; i + 2 <= e; i += 2) {
    ++counts[labels[i]];
    ++odd[labels[i + 1]];
  }
  if (i < e) ++counts[labels[i]];
  for (std::size_t c = 0; c < k; ++c) counts[c] += odd[c];
}

/// The sum of best[b..e) in double, in four interleaved partial sums (one chain of
/// additions waits 4 cycles a row), added in a fixed order: the same for any thread
/// count. A distance below zero (a user's policy may return one) makes the sum NaN,
/// which the loop refuses: a sum of them could still look like an objective.
template <class T>
double block_sum(const T* best, std::size_t b, std::size_t e) {
  double part[4] = {0, 0, 0, 0};
  bool negative = false;
  std::size_t i = b;
  for (; i + 4 <= e; i += 4)
    for (std::size_t l = 0; l < 4; ++l) {
      negative |= best[i + l] < 0;
      part[l] += static_cast<double>(best[i + l]);
    }
  for (; i < e; ++i) {
    negative |= best[i] < 0;
    part[0] += static_cast<double>(best[i]);
  }
  if (negative) return std::numeric_limits<double>::quiet_NaN();
  return (part[0] + part[1]) + (part[2] + part[3]);
}

/// Rows an assignment step labels together (assignment_pass hands out blocks of this many).
inline constexpr std::size_t assignment_block = 256;

/// What an assignment pass may also measure while the rows are in cache (each only when asked).
struct PassOutputs {
  /// Each chunk's per-cluster sums (n_chunks x k x d, in double), so the mean update
  /// needs no second pass over X.
  std::vector<double>* chunk_sums = nullptr;
  /// Rows per cluster after the pass.
  std::vector<std::size_t>* counts = nullptr;
  /// Rows whose label the pass changed (so no copy of the previous labels is kept;
  /// `labels` must then hold labels already).
  std::size_t* changed = nullptr;
  /// Whether the pass returns the summed distance of every row. Without it a bounded
  /// step measures only the rows its bounds cannot settle and returns their sum.
  bool objective = true;
};

/// One assignment pass over X, shared by every assignment step: chunks of
/// sum_chunk_rows(n) rows on up to `threads` threads, blocks of assignment_block rows within.
/// `make_worker()` gives each chunk a callable (b, e) -> double that labels rows
/// [b, e) and returns their summed distance (it owns its scratch buffers). `out`
/// says what else to measure. Returns the summed distance, merged in chunk order:
/// independent of the thread count, as every output is.
template <class T, class MakeWorker>
double assignment_pass(const xt::xtensor<T, 2>& X, std::size_t k, const std::size_t* labels, std::size_t threads,
                       const PassOutputs& out, MakeWorker&& make_worker) {
  const std::size_t n = X.shape(0), d = X.shape(1);
  const std::size_t chunk = sum_chunk_rows(n), n_chunks = chunk_count(n, chunk);
  if (out.chunk_sums) out.chunk_sums->assign(n_chunks * k * d, 0.0);
  std::vector<double> partial(n_chunks);
  std::vector<std::size_t> moved(out.changed ? n_chunks : 0), chunk_counts(out.counts ? n_chunks * k : 0);
  parallel_for(n_chunks, threads, [&](std::size_t c) {
    auto assign_block = make_worker();
    std::array<std::size_t, assignment_block> before;
    const std::size_t chunk_end = std::min(n, (c + 1) * chunk);
    double sum = 0;
    std::size_t chunk_moved = 0;
    for (std::size_t b = c * chunk; b < chunk_end; b += assignment_block) {
      const std::size_t e = std::min(chunk_end, b + assignment_block);
      if (out.changed) std::copy(labels + b, labels + e, before.begin());
      sum += assign_block(b, e);
      if (out.changed)
        for (std::size_t i = b; i < e; ++i) chunk_moved += before[i - b] != labels[i];
      if (out.counts) count_labels(labels, b, e, chunk_counts.data() + c * k, k);
      if (out.chunk_sums) add_rows(X.data(), d, labels, b, e, out.chunk_sums->data() + c * k * d);
    }
    partial[c] = sum;
    if (out.changed) moved[c] = chunk_moved;
  });
  if (out.changed) *out.changed = std::accumulate(moved.begin(), moved.end(), std::size_t{0});
  if (out.counts) {
    out.counts->assign(k, 0);
    for (std::size_t c = 0; c < n_chunks; ++c)
      for (std::size_t cl = 0; cl < k; ++cl) (*out.counts)[cl] += chunk_counts[c * k + cl];
  }
  return std::accumulate(partial.begin(), partial.end(), 0.0);
}

/// Assigns each row its nearest centre (the first on ties). Returns the summed
/// distance, merged in chunk order so it does not depend on the thread count;
/// `out` as for assignment_pass.
template <class T, class D>
double assign_nearest(const D& distance, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& centers,
                      std::size_t* labels, T* nearest, std::size_t threads, const PassOutputs& out = {}) {
  const std::size_t k = centers.shape(0);
  return assignment_pass(X, k, labels, threads_for(X.size() * k, threads), out, [&] {
    return [&, scratch = std::vector<T>()](std::size_t b, std::size_t e) mutable {
      detail::nearest(distance, X, b, e, centers, labels + b, nearest + b, scratch);
      return block_sum(nearest, b, e);
    };
  });
}

/// A distance whose centre is the plain mean (it says so with `center_is_mean`):
/// the loop then sums each cluster in the assignment pass instead of gathering members.
template <class D>
concept CentreIsMean = requires {
  requires D::center_is_mean;
};

/// Each cluster's mean from per-chunk partial sums, added in chunk order.
template <class T>
void means_from_chunk_sums(const std::vector<double>& partial, const std::vector<std::size_t>& counts,
                           xt::xtensor<T, 2>& centers) {
  const std::size_t k = counts.size(), d = centers.shape(1), n_chunks = partial.size() / (k * d);
  std::vector<double> total(k * d, 0.0);
  for (std::size_t c = 0; c < n_chunks; ++c)
    for (std::size_t e = 0; e < k * d; ++e) total[e] += partial[c * k * d + e];
  for (std::size_t cl = 0; cl < k; ++cl)
    for (std::size_t j = 0; j < d; ++j)
      centers(cl, j) = static_cast<T>(total[cl * d + j] / static_cast<double>(counts[cl]));
}

/// Each cluster's mean in one pass over X, in the chunks of assign_nearest's
/// fused sums (so both give the same bits), independent of the thread count.
template <class T>
void update_means(const xt::xtensor<T, 2>& X, const std::vector<std::size_t>& labels,
                  const std::vector<std::size_t>& counts, xt::xtensor<T, 2>& centers, std::size_t threads) {
  const std::size_t n = X.shape(0), d = X.shape(1), k = counts.size();
  const std::size_t chunk = sum_chunk_rows(n), n_chunks = chunk_count(n, chunk);
  std::vector<double> partial(n_chunks * k * d, 0.0);
  parallel_for(n_chunks, n * d < (std::size_t{1} << 18) ? 1 : threads, [&](std::size_t c) {
    add_rows(X.data(), d, labels.data(), c * chunk, std::min(n, (c + 1) * chunk), partial.data() + c * k * d);
  });
  means_from_chunk_sums(partial, counts, centers);
}

/// Counts each cluster's rows and gives every empty cluster the row farthest
/// from its own centre (taken from a cluster that keeps at least one row), as
/// scikit-learn does. Returns whether any cluster was empty.
template <class T>
bool relocate_empty(std::vector<std::size_t>& update_labels, const T* nearest, std::vector<std::size_t>& counts) {
  const std::size_t k = counts.size(), n = update_labels.size();
  const std::size_t empty = static_cast<std::size_t>(std::count(counts.begin(), counts.end(), std::size_t{0}));
  if (empty == 0) return false;
  // Farthest first, the earlier row on ties (a stable order). Only the first few
  // are taken, so order a prefix; order it all only if that prefix runs out.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  const auto farther = [&](std::size_t a, std::size_t b) {
    return nearest[a] > nearest[b] || (nearest[a] == nearest[b] && a < b);
  };
  std::size_t sorted = std::min(n, 4 * empty + 64);
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(sorted), order.end(), farther);
  std::size_t next = 0;
  for (std::size_t c = 0; c < k; ++c) {
    if (counts[c] != 0) continue;
    while (true) {
      if (next == sorted && sorted < n) {
        std::sort(order.begin() + static_cast<std::ptrdiff_t>(sorted), order.end(), farther);
        sorted = n;
      }
      if (counts[update_labels[order[next]]] >= 2) break;
      ++next;
    }
    const std::size_t row = order[next++];
    --counts[update_labels[row]];
    update_labels[row] = c;
    counts[c] = 1;
  }
  return true;
}

/// Lloyd's assignment step: every row against every centre.
struct FullAssignment {
  /// Whether the last assign() filled `nearest` with each row's distance to its centre
  /// and returned their sum (a bounded step skips rows and does neither).
  bool nearest_exact() const { return true; }

  template <class T, class D>
  double assign(const D& distance, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& centers, std::size_t* labels,
                T* nearest, std::size_t threads, const PassOutputs& out) {
    return assign_nearest(distance, X, centers, labels, nearest, threads, out);
  }
  /// Called when the loop moved rows itself (an empty cluster was relocated).
  void reset() {}
};

/// Whether Lloyd's loop checks X's values in its first pass instead of a pass of
/// their own: with SquaredEuclidean a NaN or an infinity in a row makes that pass's
/// sum non-finite. Any other distance (a user's may turn NaN into a number) has X
/// scanned first, by check_start.
template <class D>
inline constexpr bool first_pass_checks_values = std::is_same_v<D, SquaredEuclidean>;

/// The checks every clusterer makes on its starting point; `who` names it in messages.
/// Without `scan_values`, X's values are left to the first pass (first_pass_checks_values).
template <class T>
void check_start(const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& initial_centers, const Options& options,
                 const char* who, bool scan_values = true) {
  const std::size_t n = X.shape(0), d = X.shape(1), k = initial_centers.shape(0);
  if (scan_values)
    check_data(X, "X", options.threads);
  else if (n == 0 || d == 0)
    check_data(X, "X");  // names the empty side
  // Appended, not built as string(who) + "...": GCC 12 reports a false -Wrestrict on that.
  std::string message(who);
  if (k == 0) throw error(message.append(" needs at least one starting centre"));
  if (k > n)
    throw error(message.append(" was given ")
                    .append(std::to_string(k))
                    .append(" starting centres for ")
                    .append(std::to_string(n))
                    .append(" rows"));
  if (initial_centers.shape(1) != d)
    throw error("the starting centres have " + std::to_string(initial_centers.shape(1)) +
                " feature(s) but the data has " + std::to_string(d));
  check_finite(initial_centers, "the starting centres");
  if (options.max_iter == 0) throw error("max_iter must be at least 1");
  if (!(options.tol >= 0)) throw error("tol must be a non-negative number");
  if (options.absolute_tol && !(*options.absolute_tol >= 0)) throw error("absolute_tol must be a non-negative number");
}

/// Ends a fit whose summed distance is not a finite number: X holds NaN or an
/// infinity (for SquaredEuclidean, whose first pass is X's only check: the message
/// names the row and column), the squares of X's values overflow, or the distance
/// policy returned NaN or a value below zero.
template <class T, class D>
[[noreturn]] void refuse_distances(const D& distance, const xt::xtensor<T, 2>& X, double sum, std::size_t threads) {
  (void)distance;
  check_finite(X, "X", threads);
  if (std::isinf(sum) && sum > 0) {
    double largest = 0;
    for (const T v : X) largest = std::max(largest, std::abs(static_cast<double>(v)));
    throw error(
        "the distances overflow to infinity: X holds values as large as " + format_number(largest) +
        ", whose squares are beyond the range of the value type; scale the data first (a scaler, or other units)");
  }
  throw error("the distance policy " + policy_name<D>() +
              " returned NaN or a negative value; a distance must be a number of at least zero");
}

/// Lloyd's loop around an assignment step. Any step that gives the same labels
/// as FullAssignment gives the same clustering, bit for bit.
template <class T, class D, class Step>
Clustering<T> kmeans_loop(const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& initial_centers, const D& distance,
                          const Options& options, Step& step) {
  const std::size_t n = X.shape(0), d = X.shape(1), k = initial_centers.shape(0);
  const double tol = absolute_tol(X, options);
  const std::size_t threads = options.threads;

  Clustering<T> result;
  result.centers = initial_centers;
  // Left unset (every pass writes every row): n-long fills cost a serial pass each.
  result.labels = xt::empty<std::size_t>({n});
  xt::xtensor<T, 2>& centers = result.centers;
  xt::xtensor<T, 2> next_centers = centers;

  std::size_t* labels = result.labels.data();
  // The labels the centres are updated from: the assignment's own, unless an
  // empty cluster took rows, which then happens on this copy (made only then).
  std::vector<std::size_t> relocated_labels;
  const std::unique_ptr<T[]> nearest_values(new T[n]);
  T* const nearest = nearest_values.get();
  std::vector<std::size_t> counts(k), offsets(k + 1), members;  // members: only for a non-mean centre
  std::vector<double> chunk_sums;

  bool strict = false;
  double pass_sum = 0;  // the last pass's summed distance
  for (std::size_t it = 0; it < options.max_iter; ++it) {
    // Rows whose label changed; the first pass has no labels to compare with.
    std::size_t changed = n;
    // The first pass measures every row whatever the step: its sum is X's check.
    PassOutputs out{.chunk_sums = CentreIsMean<D> ? &chunk_sums : nullptr,
                    .counts = &counts,
                    .changed = it > 0 ? &changed : nullptr,
                    .objective = options.inertia_trace};
    pass_sum = step.assign(distance, X, centers, labels, nearest, threads, out);
    if (!std::isfinite(pass_sum)) refuse_distances(distance, X, pass_sum, threads);
    if (options.inertia_trace) result.inertia_trace.push_back(pass_sum);
    bool relocated = false;
    if (std::find(counts.begin(), counts.end(), std::size_t{0}) != counts.end()) {
      // Rare: the farthest rows are needed, which a bounded step does not know.
      if (!step.nearest_exact()) assign_nearest(distance, X, centers, labels, nearest, threads);
      relocated_labels.assign(labels, labels + n);
      relocated = relocate_empty(relocated_labels, nearest, counts);
      step.reset();
    }
    const std::size_t* update_labels = relocated ? relocated_labels.data() : labels;

    if constexpr (CentreIsMean<D>) {
      if (relocated)
        update_means(X, relocated_labels, counts, next_centers, threads);
      else
        means_from_chunk_sums(chunk_sums, counts, next_centers);
    } else {
      // Members of each cluster in row order (a counting sort), then each centre.
      members.resize(n);
      offsets[0] = 0;
      for (std::size_t c = 0; c < k; ++c) offsets[c + 1] = offsets[c] + counts[c];
      std::vector<std::size_t> fill(offsets.begin(), offsets.end() - 1);
      for (std::size_t i = 0; i < n; ++i) members[fill[update_labels[i]]++] = i;
      parallel_for(k, threads, [&](std::size_t c) {
        distance.center(X, std::span<const std::size_t>(members.data() + offsets[c], counts[c]),
                        std::span<T>(next_centers.data() + c * d, d));
      });
    }

    double shift = 0;
    for (std::size_t i = 0; i < k * d; ++i) {
      const double diff = static_cast<double>(next_centers.data()[i]) - centers.data()[i];
      shift += diff * diff;
    }
    std::swap(centers, next_centers);
    result.iterations = it + 1;
    if (!relocated && changed == 0) {
      strict = true;
      break;
    }
    if (shift <= tol) {
      result.converged = true;
      break;
    }
  }
  result.converged = result.converged || strict;
  if (!strict) step.assign(distance, X, centers, labels, nearest, threads, PassOutputs{});
  // Stopped on unchanged labels, the centres are the ones the last full assignment
  // measured (the same sums, in the same order): its summed distance is the inertia.
  if (strict && step.nearest_exact())
    result.inertia = pass_sum;
  else
    result.inertia = labelled_inertia(distance, X, centers, labels, threads);
  if (!std::isfinite(result.inertia)) refuse_distances(distance, X, result.inertia, threads);
  return result;
}

}  // namespace detail

}  // namespace segkit
