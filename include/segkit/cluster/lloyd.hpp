#pragma once
// Lloyd's k-means iteration, with scikit-learn's stopping rules: stop when the
// labels no longer change, or when the summed squared centre shift falls to
// tol x the mean per-feature variance; then reassign once more so that the
// labels returned belong to the centres returned.

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/core/clustering.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix.hpp"
#include "segkit/core/options.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/distance/concept.hpp"

namespace segkit {

namespace detail {

/// Mean over features of the population variance, in double. Walks the rows
/// in storage order (a column-wise walk is 25x slower at d = 16) while each
/// column is still summed in row order.
template <class T>
double mean_feature_variance(const xt::xtensor<T, 2>& X) {
  const std::size_t n = X.shape(0), d = X.shape(1);
  std::vector<double> mean(d, 0.0), var(d, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) mean[j] += X(i, j);
  for (double& m : mean) m /= static_cast<double>(n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) {
      const double diff = X(i, j) - mean[j];
      var[j] += diff * diff;
    }
  double total = 0;
  for (const double v : var) total += v / static_cast<double>(n);
  return total / static_cast<double>(d);
}

/// Assigns each row its nearest centre (the first on ties). Returns the summed
/// distance, merged in chunk order so it does not depend on the thread count.
template <class T, class D>
double assign_nearest(const D& distance, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& centers,
                      std::size_t* labels, T* nearest, std::size_t threads) {
  const std::size_t k = centers.shape(0);
  // Starting threads costs ~0.1 ms here; below about a million multiply-adds one
  // thread is faster (benchmarks: n = 1e4, d = 2, k = 2). Results are the same either way.
  if (X.shape(0) * k * X.shape(1) < (std::size_t{1} << 20)) threads = 1;
  return chunked_sum(X.shape(0), 256, threads, [&](std::size_t b, std::size_t e) {
    std::vector<T> dist((e - b) * k);
    pairwise(distance, X, b, e, centers, dist.data());
    double sum = 0;
    for (std::size_t i = b; i < e; ++i) {
      const T* row = dist.data() + (i - b) * k;
      std::size_t best = 0;
      for (std::size_t cc = 1; cc < k; ++cc)
        if (row[cc] < row[best]) best = cc;
      labels[i] = best;
      nearest[i] = row[best];
      sum += static_cast<double>(row[best]);
    }
    return sum;
  });
}

/// Summed distance of each row to the centre its label names.
template <class T, class D>
double labelled_inertia(const D& distance, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& centers,
                        const std::size_t* labels, std::size_t threads) {
  const std::size_t d = X.shape(1);
  return chunked_sum(X.shape(0), 256, threads, [&](std::size_t b, std::size_t e) {
    double sum = 0;
    for (std::size_t i = b; i < e; ++i)
      sum += static_cast<double>(distance.distance(std::span<const T>(X.data() + i * d, d),
                                                   std::span<const T>(centers.data() + labels[i] * d, d)));
    return sum;
  });
}

/// A distance whose centre is the plain mean (it says so with `center_is_mean`):
/// Lloyd then sums each cluster in one parallel pass instead of gathering members.
template <class D>
concept CentreIsMean = requires { requires D::center_is_mean; };

/// Each cluster's mean, from per-chunk partial sums (in double) added in chunk
/// order: one pass over X, on every thread, with a result independent of the
/// thread count. Chunks are large so that the partial sums (chunks x k x d) stay small.
template <class T>
void update_means(const xt::xtensor<T, 2>& X, const std::vector<std::size_t>& labels,
                  const std::vector<std::size_t>& counts, xt::xtensor<T, 2>& centers, std::size_t threads) {
  constexpr std::size_t chunk = 8192;
  const std::size_t n = X.shape(0), d = X.shape(1), k = counts.size();
  const std::size_t n_chunks = chunk_count(n, chunk);
  std::vector<double> partial(n_chunks * k * d, 0.0);
  parallel_for(n_chunks, n * d < (std::size_t{1} << 18) ? 1 : threads, [&](std::size_t c) {
    double* sums = partial.data() + c * k * d;
    const std::size_t end = std::min(n, (c + 1) * chunk);
    for (std::size_t i = c * chunk; i < end; ++i) {
      const T* x = X.data() + i * d;
      double* s = sums + labels[i] * d;
      for (std::size_t j = 0; j < d; ++j) s[j] += static_cast<double>(x[j]);
    }
  });
  std::vector<double> total(k * d, 0.0);
  for (std::size_t c = 0; c < n_chunks; ++c)
    for (std::size_t e = 0; e < k * d; ++e) total[e] += partial[c * k * d + e];
  for (std::size_t cl = 0; cl < k; ++cl)
    for (std::size_t j = 0; j < d; ++j)
      centers(cl, j) = static_cast<T>(total[cl * d + j] / static_cast<double>(counts[cl]));
}

}  // namespace detail

struct Lloyd {
  template <class T, class D>
    requires DistanceFor<D, T>
  Clustering<T> cluster(const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& initial_centers, const D& distance,
                        const Options& options) const {
    const std::size_t n = X.shape(0), d = X.shape(1), k = initial_centers.shape(0);
    detail::check_data(X, "X");
    if (k == 0) throw error("Lloyd needs at least one starting centre");
    if (k > n)
      throw error("Lloyd was given " + std::to_string(k) + " starting centres for " + std::to_string(n) + " rows");
    if (initial_centers.shape(1) != d)
      throw error("the starting centres have " + std::to_string(initial_centers.shape(1)) +
                  " feature(s) but the data has " + std::to_string(d));
    detail::check_finite(initial_centers, "the starting centres");
    if (options.max_iter == 0) throw error("max_iter must be at least 1");
    if (!(options.tol >= 0)) throw error("tol must be a non-negative number");

    const double tol = options.tol * detail::mean_feature_variance(X);
    const std::size_t threads = options.threads;

    Clustering<T> result;
    result.centers = initial_centers;
    result.labels = xt::zeros<std::size_t>({n});
    xt::xtensor<T, 2>& centers = result.centers;
    xt::xtensor<T, 2> next_centers = centers;

    std::size_t* labels = result.labels.data();
    std::vector<std::size_t> previous(n, k);  // k: no row has a label yet
    std::vector<std::size_t> update_labels(n);
    std::vector<T> nearest(n);
    std::vector<std::size_t> counts(k), offsets(k + 1), members(n);

    bool strict = false;
    for (std::size_t it = 0; it < options.max_iter; ++it) {
      result.inertia_trace.push_back(
          detail::assign_nearest(distance, X, centers, labels, nearest.data(), threads));
      std::copy_n(labels, n, update_labels.begin());
      const bool relocated = relocate_empty(update_labels, nearest, counts, k);

      if constexpr (detail::CentreIsMean<D>) {
        detail::update_means(X, update_labels, counts, next_centers, threads);
      } else {
        // Members of each cluster in row order (a counting sort), then each centre.
        offsets[0] = 0;
        for (std::size_t c = 0; c < k; ++c) offsets[c + 1] = offsets[c] + counts[c];
        std::vector<std::size_t> fill(offsets.begin(), offsets.end() - 1);
        for (std::size_t i = 0; i < n; ++i) members[fill[update_labels[i]]++] = i;
        detail::parallel_for(k, threads, [&](std::size_t c) {
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
      if (!relocated && std::equal(previous.begin(), previous.end(), labels)) {
        strict = true;
        break;
      }
      if (shift <= tol) {
        result.converged = true;
        break;
      }
      std::copy_n(labels, n, previous.begin());
    }
    result.converged = result.converged || strict;
    if (!strict) detail::assign_nearest(distance, X, centers, labels, nearest.data(), threads);
    result.inertia = detail::labelled_inertia(distance, X, centers, labels, threads);
    return result;
  }

 private:
  /// Counts each cluster's rows and gives every empty cluster the row farthest
  /// from its own centre (taken from a cluster that keeps at least one row), as
  /// scikit-learn does. Returns whether any cluster was empty.
  template <class T>
  static bool relocate_empty(std::vector<std::size_t>& update_labels, const std::vector<T>& nearest,
                             std::vector<std::size_t>& counts, std::size_t k) {
    std::fill(counts.begin(), counts.end(), 0);
    for (const std::size_t label : update_labels) ++counts[label];
    if (std::find(counts.begin(), counts.end(), std::size_t{0}) == counts.end()) return false;
    std::vector<std::size_t> order(update_labels.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return nearest[a] > nearest[b]; });
    std::size_t next = 0;
    for (std::size_t c = 0; c < k; ++c) {
      if (counts[c] != 0) continue;
      while (counts[update_labels[order[next]]] < 2) ++next;
      const std::size_t row = order[next++];
      --counts[update_labels[row]];
      update_labels[row] = c;
      counts[c] = 1;
    }
    return true;
  }
};

}  // namespace segkit
