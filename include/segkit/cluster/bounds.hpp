#pragma once
// Hamerly's bounds (Hamerly 2010, "Making k-means even faster") as an
// assignment step of detail::kmeans_loop: per row, an upper bound on the
// distance to its own centre and one lower bound on the distance to every
// other centre. Rows whose bounds prove the label cannot change skip the k
// distances; the others are computed with the same kernel as the full step,
// so the labels, and with them the whole clustering, are Lloyd's bit for bit.
//
// Bounds need the triangle inequality: they are kept on the distance itself
// for a metric (`is_metric`), on its square root where that is the metric
// (`sqrt_is_metric`, squared Euclidean).

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <type_traits>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/cluster/kmeans_loop.hpp"
#include "segkit/core/dispatch.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/work_memory.hpp"
#include "segkit/distance/concept.hpp"

namespace segkit {

/// A distance whose bounds obey the triangle inequality: a metric, or one whose
/// square root is a metric (it says so with `sqrt_is_metric`).
template <class D>
concept TriangleInequality = D::is_metric || requires {
  requires D::sqrt_is_metric;
};

namespace detail {

/// The metric value of a distance: itself, or its square root.
template <class D, class T>
double metric_of(T value) {
  if constexpr (D::is_metric)
    return static_cast<double>(value);
  else
    return std::sqrt(static_cast<double>(value));
}

/// Rounding slack of the bounds' tests: a row skips only when its bounds separate
/// by more than the kernel's and the bounds' rounding, so a skipped row's label is
/// exactly the one the full computation would give (ties are never skipped).
template <class T>
constexpr double bound_slack(std::size_t d) {
  return 4.0 * static_cast<double>(d + 8) * std::numeric_limits<T>::epsilon();
}

/// A bound kept in the data's type T (half the memory of double for float data): an
/// upper bound rounded up, a lower bound rounded down, so that the stored value never
/// claims more than the double it stands for (for double, the value itself). For float
/// the step to the next value is made on the bits, without a branch: which way the
/// conversion rounded is a coin toss per row, and a mispredicted branch (or a call to
/// nextafter) there cost float fits more than their narrower distances saved.
template <class T>
T bound_above(double v) {
  const T t = static_cast<T>(v);
  if constexpr (std::is_same_v<T, double>) {
    return t;
  } else if constexpr (std::is_same_v<T, float> && std::numeric_limits<float>::is_iec559) {
    // t < v: t is finite (or -inf, which v is not below) and the next float up is one
    // step of the bits away from zero for t >= 0 (+0 to the smallest subnormal), toward
    // it for t < 0 (-0 converts only from v <= 0, never below v).
    // (Products of comparisons, not ?:, which GCC compiles to branches here.)
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(t);
    const std::uint32_t step = 1u - 2u * static_cast<std::uint32_t>(t < 0);
    return std::bit_cast<float>(bits + static_cast<std::uint32_t>(static_cast<double>(t) < v) * step);
  } else {
    return static_cast<double>(t) < v ? std::nextafter(t, std::numeric_limits<T>::infinity()) : t;
  }
}
template <class T>
T bound_below(double v) {
  const T t = static_cast<T>(v);
  if constexpr (std::is_same_v<T, double>) {
    return t;
  } else if constexpr (std::is_same_v<T, float> && std::numeric_limits<float>::is_iec559) {
    // t > v: the next float down is one step toward zero for t > 0, away from it for
    // t < 0, and the negative smallest subnormal for either zero.
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(t);
    const std::uint32_t step = static_cast<std::uint32_t>(t < 0) - static_cast<std::uint32_t>(t > 0) +
                               static_cast<std::uint32_t>(t == 0) * (0x80000001u - bits);
    return std::bit_cast<float>(bits + static_cast<std::uint32_t>(static_cast<double>(t) > v) * step);
  } else {
    return static_cast<double>(t) > v ? std::nextafter(t, -std::numeric_limits<T>::infinity()) : t;
  }
}

/// Half the distance from each centre to its nearest other centre: a row
/// closer than that to its own centre cannot be closer to another.
template <class D, class T>
std::vector<double> half_gaps(const D& distance, const xt::xtensor<T, 2>& centers) {
  const std::size_t k = centers.shape(0), d = centers.shape(1);
  std::vector<double> gaps(k, std::numeric_limits<double>::infinity());
  for (std::size_t a = 0; a < k; ++a)
    for (std::size_t b = a + 1; b < k; ++b) {
      const double gap = metric_of<D>(distance.distance(std::span<const T>(centers.data() + a * d, d),
                                                        std::span<const T>(centers.data() + b * d, d)));
      gaps[a] = std::min(gaps[a], gap / 2);
      gaps[b] = std::min(gaps[b], gap / 2);
    }
  return gaps;
}

/// How far each centre moved since `previous`, in the metric.
template <class D, class T>
std::vector<double> centre_motions(const D& distance, const xt::xtensor<T, 2>& previous,
                                   const xt::xtensor<T, 2>& centers) {
  const std::size_t k = centers.shape(0), d = centers.shape(1);
  std::vector<double> motion(k);
  for (std::size_t c = 0; c < k; ++c)
    motion[c] = metric_of<D>(distance.distance(std::span<const T>(previous.data() + c * d, d),
                                               std::span<const T>(centers.data() + c * d, d)));
  return motion;
}

/// Hamerly's assignment step for detail::kmeans_loop.
template <class T, class D>
class HamerlyAssignment {
 public:
  /// Whether the last pass measured every row (its first, or one asked for with
  /// measure_all): then `nearest` holds each row's distance and the sum is of them all.
  bool nearest_exact() const { return measured_all_; }

  /// Measure every row in the passes to come, as Lloyd's full step does, and keep the
  /// bounds that gives: for a caller that runs full passes while many labels change
  /// and wants the bounds ready, at no pass of their own, when it stops.
  void measure_all(bool on) { measure_all_ = on; }

  /// Whether full passes keep the bounds (on by default). Off, a full pass measures only
  /// the nearest centre, as Lloyd's full step (no second distance to find and store),
  /// and the pass after it is a full one too.
  void keep_bounds(bool on) { keep_bounds_ = on; }

  /// Whether the bounds hold for the current labels: the next pass may be a bounded one.
  bool bounds_kept() const { return bounds_valid_; }

  /// `nearest_out` is the loop's array of each row's distance, the same at every call: a
  /// full pass leaves its distances there, and the next bounded pass takes the upper
  /// bounds from them.
  double assign(const D& distance, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& centers, std::size_t* labels,
                T* nearest_out, std::size_t threads, const PassOutputs& out) {
    const std::size_t n = X.shape(0), d = X.shape(1), k = centers.shape(0);
    const bool all = !bounds_valid_ || measure_all_, keep = !all || keep_bounds_;
    // A bounded pass after a full one (which kept the bounds, as they are valid) finds them
    // still as that pass's distances: the nearest in nearest_out, the second in lower_.
    const bool raw = !all && measured_all_;
    // Left unset: the first pass that needs them writes every row, spread over the threads
    // (a fill would fault every page in on one thread first). The upper bounds wait for
    // the first bounded pass: a fit of full passes only never pays for them.
    if (keep && !lower_) lower_ = make_work_array<T>(n);
    if (!all && !upper_) upper_ = make_work_array<T>(n);
    if (!all) centre_motion(distance, centers);
    // Whether the open rows' own distances come first: from the shape and type alone, so
    // that every thread count, every spread over processes and a fit with the objective or
    // without it pass through the same bounds (and sum the final pass's distances in the
    // same order).
    const bool tighten_open = tightening_pays(k, d);
    const std::size_t pass_threads = threads_for(n * d * (all ? k : 4), threads);
    const double total = assignment_pass(X, k, labels, pass_threads, out, all ? RowsRead::every : RowsRead::open, [&] {
      // Per-chunk buffers for one block of rows.
      return [&, gathered = xt::xtensor<T, 2>(xt::empty<T>({all ? 0 : assignment_block, d})),
              rows = std::vector<std::size_t>(), unsettled = std::vector<std::size_t>(assignment_block),
              holds = std::vector<unsigned char>(assignment_block),
              nearest = std::vector<std::size_t>(assignment_block), best = std::vector<T>(assignment_block),
              second = std::vector<T>(assignment_block),
              scratch = std::vector<T>()](std::size_t b, std::size_t e, Relabelled& relabelled) mutable {
        if (all) {
          // Every row, where it lies: the full step's labels and distances, and the bounds,
          // kept as the distances themselves (the nearest in nearest_out, the second in
          // lower_) until a bounded pass needs them (raw): a run of full passes takes no
          // square roots and writes no upper bounds.
          if (keep)
            nearest_two(distance, X, b, e, centers, labels + b, nearest_out + b, lower_.get() + b, scratch);
          else
            detail::nearest(distance, X, b, e, centers, labels + b, nearest_out + b, scratch);
          return block_sum(nearest_out, b, e);
        }
        // The m rows row(0), ..., row(m - 1) measured against every centre, as the rows of
        // the kernel's outputs: their labels (noted, for the pass), their distances added
        // to `sum` in that order, and both bounds.
        const auto measured_whole = [&](std::size_t m, auto row, double& sum) {
          for (std::size_t r = 0; r < m; ++r) {
            const std::size_t i = row(r);
            relabelled.note(i, labels[i], nearest[r]);
            labels[i] = nearest[r];
            sum += static_cast<double>(best[r]);
          }
          metric_bounds<true>(best.data(), m);
          metric_bounds<false>(second.data(), m);
          for (std::size_t r = 0; r < m; ++r) {
            const std::size_t i = row(r);
            upper_[i] = best[r];
            lower_[i] = second[r];
          }
        };
        if (raw) {
          std::copy(nearest_out + b, nearest_out + e, upper_.get() + b);
          metric_bounds<true>(upper_.get() + b, e - b);
          metric_bounds<false>(lower_.get() + b, e - b);
        }
        // First every row's bounds moved by the centres' motion, then only the rows
        // that this does not settle.
        const double eps = bound_slack<T>(d);
        move_bounds(labels, b, e, eps, holds.data());
        std::size_t open = 0;
        for (std::size_t i = b; i < e; ++i) {
          unsettled[open] = i;
          open += !holds[i - b];
        }
        if (2 * open > e - b) {
          // More than half the rows open (early passes, while the centres still move far):
          // every row of the block at once, where it lies, as a full pass does; cheaper than
          // each open row's own distance first (a cache miss each) and a gathered copy of
          // most (200,000 x 64 x 32, double, 2 threads: the first four passes 75 -> 67 ms;
          // a share of 0.3 or 0.7 measured the same within the noise).
          nearest_two(distance, X, b, e, centers, nearest.data(), best.data(), second.data(), scratch);
          double block = 0;
          measured_whole(
              e - b, [b](std::size_t r) { return b + r; }, block);
          return block;
        }
        // Each open row's own distance tightens its upper bound once (where that pays:
        // tighten_open); rows still open get every distance below. The sum runs in row
        // order either way. The open rows are scattered: each would wait for its row from
        // memory where it is first read, so their lines are asked for a few rows ahead.
        constexpr std::size_t ahead = 8;
        const auto prefetch_row = [&](std::size_t i) {
          kernels::prefetch_lines(reinterpret_cast<std::uintptr_t>(X.data() + i * d), d * sizeof(T));
        };
        double sum = 0;
        rows.clear();
        const auto tighten = [&](std::size_t i) {
          const std::size_t a = labels[i];
          const double measured = row_distance(distance, X, i, centers, a);
          upper_[i] = bound_above<T>(metric_of<D>(measured));
          const double limit = std::max(static_cast<double>(lower_[i]), half_gap_[a]) * (1 - eps);
          if (static_cast<double>(upper_[i]) * (1 + eps) < limit) {
            sum += measured;
          } else {
            rows.push_back(i);
          }
        };
        if (out.objective) {
          for (std::size_t i = b, next = 0; i < e; ++i)
            if (next < open && unsettled[next] == i) {
              if (tighten_open)
                tighten(i);
              else
                rows.push_back(i);
              ++next;
            } else {
              sum += row_distance(distance, X, i, centers, labels[i]);
            }
        } else if (!tighten_open) {
          rows.assign(unsettled.begin(), unsettled.begin() + static_cast<std::ptrdiff_t>(open));
        } else {
          for (std::size_t r = 0; r < open; ++r) {
            if (r + ahead < open) prefetch_row(unsettled[r + ahead]);
            tighten(unsettled[r]);
          }
        }
        // The rows whose label may change: every distance, with Lloyd's kernel, and
        // the nearest two of each (in SIMD where the distance has nearest_two).
        for (std::size_t r = 0; r < rows.size(); ++r) {
          if (!tighten_open && r + ahead < rows.size()) prefetch_row(rows[r + ahead]);
          std::copy_n(X.data() + rows[r] * d, d, gathered.data() + r * d);
        }
        nearest_two(distance, gathered, 0, rows.size(), centers, nearest.data(), best.data(), second.data(), scratch);
        measured_whole(
            rows.size(), [&rows](std::size_t r) { return rows[r]; }, sum);
        return sum;
      };
    });
    previous_ = centers;
    measured_all_ = all;
    bounds_valid_ = keep;
    return total;
  }

  /// The loop moved rows to empty clusters in its own copy of the labels; the
  /// bounds of the assignment labels stay valid, the centre motion covers the rest.
  void reset() {}

  /// After a bounded pass, for relocate_empty: nearest[i] becomes the full step's distance
  /// of every row that may be among the `count` farthest from their centres, and zero for
  /// every other row (nearer than all of those), measuring only the rows whose upper
  /// bounds reach the distance of the nearest of the `count` rows with the largest upper
  /// bounds. False where the bounds cannot tell (none kept, or that distance is zero):
  /// the caller then measures every row.
  bool measure_farthest(const D& distance, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& centers, T* nearest,
                        std::size_t threads, std::size_t count) const {
    if (!bounds_valid_ || measured_all_ || !upper_ || count == 0) return false;
    const std::size_t n = X.shape(0);
    const double eps = bound_slack<T>(X.shape(1));
    const std::vector<std::size_t> top = farthest_rows(upper_.get(), n, count);
    std::vector<T> top_distance(top.size());
    measure_rows(distance, X, centers, top, top_distance.data(), threads);
    const double limit = metric_of<D>(*std::min_element(top_distance.begin(), top_distance.end())) * (1 - eps);
    if (!(limit > 0)) return false;
    std::vector<std::size_t> candidates;
    for (std::size_t i = 0; i < n; ++i)
      if (static_cast<double>(upper_[i]) * (1 + eps) >= limit) candidates.push_back(i);
    std::vector<T> measured(candidates.size());
    measure_rows(distance, X, centers, candidates, measured.data(), threads);
    std::fill_n(nearest, n, T(0));
    for (std::size_t r = 0; r < candidates.size(); ++r) nearest[candidates[r]] = measured[r];
    return true;
  }

 private:
  /// out[r]: the full step's distance of row rows[r] to its nearest centre, the rows
  /// gathered a block at a time and measured with the full step's kernel.
  static void measure_rows(const D& distance, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& centers,
                           const std::vector<std::size_t>& rows, T* out, std::size_t threads) {
    const std::size_t d = X.shape(1), m = rows.size();
    parallel_for(chunk_count(m, assignment_block), threads_for(m * d * centers.shape(0), threads), [&](std::size_t c) {
      const std::size_t b = c * assignment_block, e = std::min(m, b + assignment_block);
      xt::xtensor<T, 2> gathered = xt::empty<T>({e - b, d});
      for (std::size_t r = b; r < e; ++r) std::copy_n(X.data() + rows[r] * d, d, gathered.data() + (r - b) * d);
      std::vector<std::size_t> labels(e - b);
      std::vector<T> scratch;
      detail::nearest(distance, gathered, 0, e - b, centers, labels.data(), out + b, scratch);
    });
  }

  /// Rows [b, e): each bound moved by the centres' motion, and holds[i - b] whether the
  /// two prove the row's label.
  void move_bounds(const std::size_t* labels, std::size_t b, std::size_t e, double eps, unsigned char* holds) {
    // The test's two products round in T: for float their rounding joins the slack.
    const double slack = eps + (std::is_same_v<T, double> ? 0.0 : 2.0 * std::numeric_limits<T>::epsilon());
    move_rows(labels + b, e - b, upper_.get() + b, lower_.get() + b, up_step_.data(), low_step_.data(),
              gap_below_.data(), bound_above<T>(1 + slack), bound_below<T>(1 - slack), holds);
  }

  /// move_bounds' loop: plain, no call, no branch, so that the compiler vectorises it
  /// (near the boundary the test's outcome is a coin toss, which a branch per row would
  /// mispredict), and in the data's type: for float eight rows to a register and no
  /// conversions (moved through double and rounded back, as the bounds are stored, it
  /// took a fifth of a late float pass, where double paid none). The pointers are
  /// parameters so that their __restrict holds once inlined: the per-centre steps are
  /// gathered, and GCC gathers only from memory it knows no store reaches.
  static void move_rows(const std::size_t* __restrict labels, std::size_t rows, T* __restrict upper,
                        T* __restrict lower, const T* __restrict up_step, const T* __restrict low_step,
                        const T* __restrict gap, T above, T below, unsigned char* __restrict holds) {
    for (std::size_t i = 0; i < rows; ++i) {
      const std::size_t a = labels[i];
      const T up = sum_above(upper[i], up_step[a]);
      const T low = difference_below(lower[i], low_step[a]);
      upper[i] = up;
      lower[i] = low;
      holds[i] = up * above < std::max(low, gap[a]) * below;
    }
  }

  /// Whether an open row's own distance first (Hamerly's tightening of its upper bound)
  /// saves more than it costs: each row it settles saves its k distances, each row it
  /// tightens costs a scattered read of the row and one distance. Decided from the bytes
  /// of the centres alone (k d sizeof T), never from counts of settled rows: a count is
  /// per process, and the rule must be the same for one process and for the same rows
  /// spread over several. From 20-iteration fits and fits to the fixed point on 2 threads,
  /// Zen 3 (blobs, settled shares 0.2-0.5 after the first bounded passes): skipped,
  /// 1,000,000 x 16 x 64 float (4 KiB of centres) 5-10 % faster; at 8 KiB (double there,
  /// float 200,000 x 64 x 32) and 16 KiB within the noise both ways. The labels are the
  /// same either way.
  static bool tightening_pays(std::size_t k, std::size_t d) { return k * d * sizeof(T) >= 8192; }

  /// The m distances at v become bounds on their metric, in place: not below it (Above)
  /// or not above it. A metric is its own bound, already in T. A square root is rounded
  /// outwards in float by a factor of 1 +- epsilon (it lands within half a step of the
  /// root, the factor moves it one or two steps out); in double it is the root itself,
  /// as before the bounds were kept in T (the slack covers its rounding).
  template <bool Above>
  static void metric_bounds(T* v, std::size_t m) {
    if constexpr (!D::is_metric) {
      constexpr T step = std::is_same_v<T, double> ? T(0) : std::numeric_limits<T>::epsilon();
      simd::active<T>().scaled_roots(v, m, Above ? T(1) + step : T(1) - step);
    }
  }

  /// u + s for u, s >= 0, rounded so that it is not below the exact sum: in double the
  /// sum itself, as before the bounds were kept in T (the slack covers its rounding); in
  /// float one factor of (1 + 2^-22) covers the sum's rounding and its own.
  static T sum_above(T u, T s) {
    if constexpr (std::is_same_v<T, double>)
      return u + s;
    else
      return (u + s) * (T(1) + std::numeric_limits<T>::epsilon() * 2);
  }
  /// l - s for l, s >= 0, not above the exact difference; in float below zero becomes
  /// zero, still a bound on a distance (and the factor would move a negative one up).
  static T difference_below(T l, T s) {
    if constexpr (std::is_same_v<T, double>)
      return l - s;
    else
      return std::max((l - s) * (T(1) - std::numeric_limits<T>::epsilon() * 2), T(0));
  }

  /// Each centre's motion since the last call, the largest two, and half its gap to the
  /// nearest other; per centre, in T and rounded outwards, what the bounds of its rows move
  /// by and that half gap (made here, from this call's gaps, never an earlier pass's).
  void centre_motion(const D& distance, const xt::xtensor<T, 2>& centers) {
    half_gap_ = half_gaps(distance, centers);
    motion_ = centre_motions(distance, previous_, centers);
    max_motion_ = second_motion_ = 0.0;
    fastest_ = 0;
    for (std::size_t c = 0; c < motion_.size(); ++c) {
      if (motion_[c] > max_motion_) {
        second_motion_ = max_motion_;
        max_motion_ = motion_[c];
        fastest_ = c;
      } else {
        second_motion_ = std::max(second_motion_, motion_[c]);
      }
    }
    const std::size_t k = motion_.size();
    up_step_.resize(k);
    low_step_.resize(k);
    gap_below_.resize(k);
    for (std::size_t c = 0; c < k; ++c) {
      up_step_[c] = bound_above<T>(motion_[c]);
      low_step_[c] = bound_above<T>(c == fastest_ ? second_motion_ : max_motion_);
      gap_below_[c] = bound_below<T>(half_gap_[c]);
    }
  }

  // Per row, in the data's type (rounded outwards): for float data half the memory.
  work_array<T> upper_, lower_;
  std::vector<double> motion_, half_gap_;
  std::vector<T> up_step_, low_step_, gap_below_;
  double max_motion_ = 0, second_motion_ = 0;
  std::size_t fastest_ = 0;
  bool measure_all_ = false, measured_all_ = false, keep_bounds_ = true, bounds_valid_ = false;
  xt::xtensor<T, 2> previous_;
};

}  // namespace detail

}  // namespace segkit

namespace segkit::detail {

/// Yinyang's assignment step (Ding et al. 2015, "Yinyang K-Means") for
/// detail::kmeans_loop. The centres are split once into t = ceil(k / 10) groups
/// (a few Lloyd iterations on the starting centres); per row it keeps an upper
/// bound on the distance to its own centre and one lower bound per group, which
/// falls only by that group's largest centre motion, not by the largest of all
/// (Hamerly's single bound). A row whose bounds prove its label skips every
/// distance; otherwise only the groups its bounds cannot rule out are computed,
/// with the same kernel as the full step, so the labels are Lloyd's exactly.
template <class T, class D>
class YinyangAssignment {
 public:
  bool nearest_exact() const { return false; }

  double assign(const D& distance, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& centers, std::size_t* labels,
                T* /*nearest*/, std::size_t threads, const PassOutputs& out) {
    const std::size_t n = X.shape(0), d = X.shape(1), k = centers.shape(0);
    const bool first = !upper_;
    if (first) make_groups(centers);
    const std::size_t t = members_.size();
    if (first) {
      // Left unset: the first pass measures every row against every group.
      upper_ = make_work_array<double>(n);
      lower_ = make_work_array<double>(n * t);
    } else {
      group_motion(distance, centers);
    }
    half_gap_ = half_gaps(distance, centers);
    // Each group's centres, contiguous, for the kernel.
    std::vector<xt::xtensor<T, 2>> group_centers(t);
    for (std::size_t g = 0; g < t; ++g) {
      group_centers[g] = xt::empty<T>({members_[g].size(), d});
      for (std::size_t m = 0; m < members_[g].size(); ++m)
        std::copy_n(centers.data() + members_[g][m] * d, d, group_centers[g].data() + m * d);
    }

    const std::size_t pass_threads = threads_for(n * d * (first ? k : 4), threads);
    const double total = assignment_pass(X, k, labels, pass_threads, out, RowsRead::open, [&] {
      return [&, s = Scratch(assignment_block, d, t)](std::size_t b, std::size_t e, Relabelled& relabelled) mutable {
        return assign_block(distance, X, centers, group_centers, labels, b, e, first, out.objective, s, relabelled);
      };
    });
    previous_ = centers;
    return total;
  }

  void reset() {}

 private:
  /// Per-task buffers of one block.
  struct Scratch {
    Scratch(std::size_t block, std::size_t d, std::size_t t)
        : gathered(xt::empty<T>({block, d})),
          dist(),
          rows(),
          nearest(block),
          best(block),
          second(block),
          group_min(block * t),
          group_min_index(block * t),
          group_second(block * t),
          scanned(block * t) {}
    xt::xtensor<T, 2> gathered;
    std::vector<T> dist;  // scratch of nearest_two for a distance without the kernel
    std::vector<std::size_t> rows;
    std::vector<std::size_t> nearest;  // per row needing a group: its nearest two in the group
    std::vector<T> best, second;
    std::vector<T> group_min;  // per row and group: the smallest distance and its centre, and the next smallest
    std::vector<std::size_t> group_min_index;
    std::vector<T> group_second;
    std::vector<char> scanned;
  };

  /// Groups the centres by a few Lloyd iterations on the centres themselves,
  /// started from the first t: deterministic, and any grouping is exact.
  void make_groups(const xt::xtensor<T, 2>& centers) {
    const std::size_t k = centers.shape(0), d = centers.shape(1), t = (k + 9) / 10;
    group_of_.assign(k, 0);
    std::vector<double> means(t * d);
    for (std::size_t g = 0; g < t; ++g)
      for (std::size_t j = 0; j < d; ++j) means[g * d + j] = static_cast<double>(centers(g, j));
    for (int iteration = 0; iteration < 5; ++iteration) {
      for (std::size_t c = 0; c < k; ++c) {
        double best = std::numeric_limits<double>::infinity();
        for (std::size_t g = 0; g < t; ++g) {
          double d2 = 0;
          for (std::size_t j = 0; j < d; ++j) {
            const double diff = static_cast<double>(centers(c, j)) - means[g * d + j];
            d2 += diff * diff;
          }
          if (d2 < best) best = d2, group_of_[c] = g;
        }
      }
      std::vector<double> sums(t * d, 0.0);
      std::vector<std::size_t> counts(t, 0);
      for (std::size_t c = 0; c < k; ++c) {
        ++counts[group_of_[c]];
        for (std::size_t j = 0; j < d; ++j) sums[group_of_[c] * d + j] += static_cast<double>(centers(c, j));
      }
      for (std::size_t g = 0; g < t; ++g)
        if (counts[g] > 0)
          for (std::size_t j = 0; j < d; ++j) means[g * d + j] = sums[g * d + j] / static_cast<double>(counts[g]);
    }
    std::vector<std::vector<std::size_t>> members(t);
    for (std::size_t c = 0; c < k; ++c) members[group_of_[c]].push_back(c);
    members_.clear();
    // Empty groups are dropped, and the groups renumbered in order.
    for (auto& m : members)
      if (!m.empty()) members_.push_back(std::move(m));
    for (std::size_t g = 0; g < members_.size(); ++g)
      for (const std::size_t c : members_[g]) group_of_[c] = g;
  }

  void group_motion(const D& distance, const xt::xtensor<T, 2>& centers) {
    motion_ = centre_motions(distance, previous_, centers);
    group_max_.assign(members_.size(), 0.0);
    for (std::size_t c = 0; c < motion_.size(); ++c)
      group_max_[group_of_[c]] = std::max(group_max_[group_of_[c]], motion_[c]);
  }

  /// Rows [b, e): bounds, then the groups they cannot rule out; each changed label noted
  /// in `relabelled` (after the first call, which gives the first labels). Returns the
  /// block's summed distance to the assigned centres (with `objective`; else
  /// that of the rows it measured).
  double assign_block(const D& distance, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& centers,
                      const std::vector<xt::xtensor<T, 2>>& group_centers, std::size_t* labels, std::size_t b,
                      std::size_t e, bool first, bool objective, Scratch& s, Relabelled& relabelled) {
    const std::size_t d = X.shape(1), t = members_.size();
    const double eps = bound_slack<T>(d);
    const T inf = std::numeric_limits<T>::infinity();
    double sum = 0;
    s.rows.clear();
    for (std::size_t i = b; i < e; ++i) {
      if (first) {
        s.rows.push_back(i);
        continue;
      }
      const std::size_t a = labels[i];
      double* lower = lower_.get() + i * t;
      upper_[i] += motion_[a];
      double lowest = std::numeric_limits<double>::infinity();
      for (std::size_t g = 0; g < t; ++g) lowest = std::min(lowest, lower[g] -= group_max_[g]);
      const double limit = std::max(lowest, half_gap_[a]) * (1 - eps);
      double measured = -1;  // the row's distance, if the bounds needed it
      if (upper_[i] * (1 + eps) >= limit) {
        measured = row_distance(distance, X, i, centers, a);
        upper_[i] = metric_of<D>(measured);
        if (upper_[i] * (1 + eps) >= limit) {
          s.rows.push_back(i);
          continue;
        }
      }
      sum += measured >= 0 ? measured : objective ? row_distance(distance, X, i, centers, a) : 0.0;
    }
    const std::size_t m = s.rows.size();
    if (m == 0) return sum;
    // Which groups each row must look at: all at the first call; later, its own
    // centre's group and every group whose bound does not exceed the upper bound.
    for (std::size_t r = 0; r < m; ++r) {
      const std::size_t i = s.rows[r];
      // (group_min and group_second are written below for every group scanned, and read for no other.)
      for (std::size_t g = 0; g < t; ++g)
        s.scanned[r * t + g] =
            first || g == group_of_[labels[i]] || lower_[i * t + g] * (1 - eps) <= upper_[i] * (1 + eps);
    }
    // One kernel call per group, over the rows that need it.
    std::vector<std::size_t> need;
    for (std::size_t g = 0; g < t; ++g) {
      need.clear();
      for (std::size_t r = 0; r < m; ++r)
        if (s.scanned[r * t + g]) need.push_back(r);
      if (need.empty()) continue;
      for (std::size_t q = 0; q < need.size(); ++q)
        std::copy_n(X.data() + s.rows[need[q]] * d, d, s.gathered.data() + q * d);
      // The nearest two of the group (the first in group order on a tie: members are in
      // increasing centre order, so the smallest centre index, as the full scan picks).
      nearest_two(distance, s.gathered, 0, need.size(), group_centers[g], s.nearest.data(), s.best.data(),
                  s.second.data(), s.dist);
      for (std::size_t q = 0; q < need.size(); ++q) {
        const std::size_t r = need[q];
        s.group_min[r * t + g] = s.best[q];
        s.group_second[r * t + g] = s.second[q];
        s.group_min_index[r * t + g] = members_[g][s.nearest[q]];
      }
    }
    for (std::size_t r = 0; r < m; ++r) {
      const std::size_t i = s.rows[r];
      // The nearest centre: the smallest distance, the smallest index on a tie, as the full scan picks.
      T best = inf;
      std::size_t best_index = 0, best_group = 0;
      for (std::size_t g = 0; g < t; ++g) {
        if (!s.scanned[r * t + g]) continue;
        const T v = s.group_min[r * t + g];
        const std::size_t c = s.group_min_index[r * t + g];
        if (v < best || (v == best && c < best_index)) best = v, best_index = c, best_group = g;
      }
      if (!first) relabelled.note(i, labels[i], best_index);
      labels[i] = best_index;
      upper_[i] = metric_of<D>(best);
      for (std::size_t g = 0; g < t; ++g) {
        if (!s.scanned[r * t + g]) continue;  // its bound still holds: every centre in it is farther
        lower_[i * t + g] = metric_of<D>(g == best_group ? s.group_second[r * t + g] : s.group_min[r * t + g]);
      }
      sum += static_cast<double>(best);
    }
    return sum;
  }

  std::vector<std::size_t> group_of_;
  std::vector<std::vector<std::size_t>> members_;
  work_array<double> upper_, lower_;
  std::vector<double> motion_, group_max_, half_gap_;
  xt::xtensor<T, 2> previous_;
};

}  // namespace segkit::detail
