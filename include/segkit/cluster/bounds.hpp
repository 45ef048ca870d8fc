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
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <span>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/cluster/kmeans_loop.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/distance/concept.hpp"

namespace segkit {

/// A distance whose bounds obey the triangle inequality: a metric, or one whose
/// square root is a metric (it says so with `sqrt_is_metric`).
template <class D>
concept TriangleInequality = D::is_metric || requires { requires D::sqrt_is_metric; };

namespace detail {

/// The metric value of a distance: itself, or its square root.
template <class D, class T>
double metric_of(T value) {
  if constexpr (D::is_metric)
    return static_cast<double>(value);
  else
    return std::sqrt(static_cast<double>(value));
}

/// Hamerly's assignment step for detail::kmeans_loop.
template <class T, class D>
class HamerlyAssignment {
 public:
  static constexpr bool exact_nearest = false;

  double assign(const D& distance, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& centers,
                std::size_t* labels, std::vector<T>& /*nearest*/, std::size_t threads,
                std::vector<double>* chunk_sums) {
    const std::size_t n = X.shape(0), d = X.shape(1), k = centers.shape(0);
    const bool first = upper_.empty();
    if (first) {
      upper_.assign(n, 0.0);
      lower_.assign(n, 0.0);
    } else {
      centre_motion(distance, centers);
    }
    half_gap(distance, centers);

    const std::size_t chunk = sum_chunk_rows(n), n_chunks = chunk_count(n, chunk);
    if (chunk_sums) chunk_sums->assign(n_chunks * k * d, 0.0);
    std::vector<double> partial(n_chunks);
    parallel_for(n_chunks, threads_for(n * d * (first ? k : 4), threads), [&](std::size_t c) {
      constexpr std::size_t block = 256;
      xt::xtensor<T, 2> gathered = xt::empty<T>({block, d});
      std::vector<std::size_t> rows;
      std::vector<T> dist(block * k);
      const std::size_t chunk_end = std::min(n, (c + 1) * chunk);
      double sum = 0;
      for (std::size_t b = c * chunk; b < chunk_end; b += block) {
        const std::size_t e = std::min(chunk_end, b + block);
        rows.clear();
        for (std::size_t i = b; i < e; ++i) {
          if (first || !bounds_hold(distance, X, centers, labels, i)) {
            rows.push_back(i);
          } else {
            sum += own_distance(distance, X, centers, labels[i], i);
          }
        }
        // The rows whose label may change: every distance, with Lloyd's kernel.
        for (std::size_t r = 0; r < rows.size(); ++r)
          std::copy_n(X.data() + rows[r] * d, d, gathered.data() + r * d);
        pairwise(distance, gathered, 0, rows.size(), centers, dist.data());
        for (std::size_t r = 0; r < rows.size(); ++r) {
          const T* row = dist.data() + r * k;
          std::size_t best = 0;
          for (std::size_t cc = 1; cc < k; ++cc)
            if (row[cc] < row[best]) best = cc;
          T second = std::numeric_limits<T>::infinity();
          for (std::size_t cc = 0; cc < k; ++cc)
            if (cc != best) second = std::min(second, row[cc]);
          const std::size_t i = rows[r];
          labels[i] = best;
          upper_[i] = metric_of<D>(row[best]);
          lower_[i] = metric_of<D>(second);
          sum += static_cast<double>(row[best]);
        }
        if (chunk_sums) add_rows(X.data(), d, labels, b, e, chunk_sums->data() + c * k * d);
      }
      partial[c] = sum;
    });
    previous_ = centers;
    return std::accumulate(partial.begin(), partial.end(), 0.0);
  }

  /// The loop moved rows to empty clusters in its own copy of the labels; the
  /// bounds of the assignment labels stay valid, the centre motion covers the rest.
  void reset() {}

 private:
  /// Rounding slack: a row skips only when its bounds separate by more than the
  /// kernel's and the bounds' rounding, so a skipped row's label is exactly the
  /// one the full computation would give (ties are never skipped).
  static constexpr double slack(std::size_t d) {
    return 4.0 * static_cast<double>(d + 8) * std::numeric_limits<T>::epsilon();
  }

  /// Each centre's motion since the last call, and the largest two.
  void centre_motion(const D& distance, const xt::xtensor<T, 2>& centers) {
    const std::size_t k = centers.shape(0), d = centers.shape(1);
    motion_.assign(k, 0.0);
    max_motion_ = second_motion_ = 0.0;
    fastest_ = 0;
    for (std::size_t c = 0; c < k; ++c) {
      motion_[c] = metric_of<D>(distance.distance(std::span<const T>(previous_.data() + c * d, d),
                                                  std::span<const T>(centers.data() + c * d, d)));
      if (motion_[c] > max_motion_) {
        second_motion_ = max_motion_;
        max_motion_ = motion_[c];
        fastest_ = c;
      } else {
        second_motion_ = std::max(second_motion_, motion_[c]);
      }
    }
  }

  /// Half the distance from each centre to its nearest other centre: a row
  /// closer than that to its own centre cannot be closer to another.
  void half_gap(const D& distance, const xt::xtensor<T, 2>& centers) {
    const std::size_t k = centers.shape(0), d = centers.shape(1);
    half_gap_.assign(k, std::numeric_limits<double>::infinity());
    for (std::size_t a = 0; a < k; ++a)
      for (std::size_t b = a + 1; b < k; ++b) {
        const double gap = metric_of<D>(distance.distance(std::span<const T>(centers.data() + a * d, d),
                                                          std::span<const T>(centers.data() + b * d, d)));
        half_gap_[a] = std::min(half_gap_[a], gap / 2);
        half_gap_[b] = std::min(half_gap_[b], gap / 2);
      }
  }

  /// Updates row i's bounds for the centre motion and says whether they prove
  /// its label unchanged (tightening the upper bound once if needed).
  bool bounds_hold(const D& distance, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& centers,
                   const std::size_t* labels, std::size_t i) {
    const std::size_t a = labels[i], d = X.shape(1);
    const double eps = slack(d);
    upper_[i] += motion_[a];
    lower_[i] -= (a == fastest_) ? second_motion_ : max_motion_;
    const double limit = std::max(lower_[i], half_gap_[a]) * (1 - eps);
    if (upper_[i] * (1 + eps) < limit) return true;
    upper_[i] = metric_of<D>(distance.distance(std::span<const T>(X.data() + i * d, d),
                                               std::span<const T>(centers.data() + a * d, d)));
    return upper_[i] * (1 + eps) < limit;
  }

  static double own_distance(const D& distance, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& centers,
                             std::size_t a, std::size_t i) {
    const std::size_t d = X.shape(1);
    return static_cast<double>(distance.distance(std::span<const T>(X.data() + i * d, d),
                                                 std::span<const T>(centers.data() + a * d, d)));
  }

  std::vector<double> upper_, lower_, motion_, half_gap_;
  double max_motion_ = 0, second_motion_ = 0;
  std::size_t fastest_ = 0;
  xt::xtensor<T, 2> previous_;
};

}  // namespace detail

}  // namespace segkit
