#pragma once
// Rows against centres through a Distance: its batch kernels where it has them
// (`pairwise`, `nearest`), the per-pair distance otherwise; each row's nearest
// centre, the assignment every k-means clusterer, predict and a saved model
// share; and the summed distance of labelled rows to their centres (inertia).

#include <algorithm>
#include <cstddef>
#include <limits>
#include <numeric>
#include <span>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/core/parallel.hpp"
#include "segkit/distance/concept.hpp"

namespace segkit {
namespace detail {

template <class D, class T>
concept HasPairwise = requires(const D& dist, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& C, std::size_t i,
                               T* out) {
  dist.pairwise(X, i, i, C, out);
};

/// out[(i - begin) * k + c] = distance(X[i], C[c]) for i in [begin, end).
template <class D, class T>
void pairwise(const D& dist, const xt::xtensor<T, 2>& X, std::size_t begin, std::size_t end, const xt::xtensor<T, 2>& C,
              T* out) {
  if constexpr (HasPairwise<D, T>) {
    dist.pairwise(X, begin, end, C, out);
  } else {
    const std::size_t d = X.shape(1), k = C.shape(0);
    for (std::size_t i = begin; i < end; ++i) {
      const std::span<const T> x(X.data() + i * d, d);
      for (std::size_t c = 0; c < k; ++c)
        *out++ = static_cast<T>(dist.distance(x, std::span<const T>(C.data() + c * d, d)));
    }
  }
}

/// nearest() and nearest_two() for a distance without their kernels: every distance
/// (pairwise), then a scan of each row; `second` may be null.
template <class D, class T>
void scanned_nearest(const D& dist, const xt::xtensor<T, 2>& X, std::size_t begin, std::size_t end,
                     const xt::xtensor<T, 2>& C, std::size_t* labels, T* best, T* second, std::vector<T>& scratch) {
  const std::size_t k = C.shape(0);
  scratch.resize((end - begin) * k);
  pairwise(dist, X, begin, end, C, scratch.data());
  for (std::size_t i = 0; i < end - begin; ++i) {
    const T* row = scratch.data() + i * k;
    std::size_t pick = 0;
    for (std::size_t c = 1; c < k; ++c)
      if (row[c] < row[pick]) pick = c;
    labels[i] = pick;
    best[i] = row[pick];
    if (second) {
      T other = std::numeric_limits<T>::infinity();
      for (std::size_t c = 0; c < k; ++c)
        if (c != pick) other = std::min(other, row[c]);
      second[i] = other;
    }
  }
}

template <class D, class T>
concept HasNearest = requires(const D& dist, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& C, std::size_t i,
                              std::size_t* labels, T* best) {
  dist.nearest(X, i, i, C, labels, best);
};

/// For rows [begin, end): labels[i - begin] = the first c minimising distance(X[i], C[c]),
/// best[i - begin] that distance. `scratch` holds (end - begin) x k values.
template <class D, class T>
void nearest(const D& dist, const xt::xtensor<T, 2>& X, std::size_t begin, std::size_t end, const xt::xtensor<T, 2>& C,
             std::size_t* labels, T* best, std::vector<T>& scratch) {
  if constexpr (HasNearest<D, T>) {
    dist.nearest(X, begin, end, C, labels, best);
  } else {
    scanned_nearest(dist, X, begin, end, C, labels, best, static_cast<T*>(nullptr), scratch);
  }
}

template <class D, class T>
concept HasNearestTwo = requires(const D& dist, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& C, std::size_t i,
                                 std::size_t* labels, T* best) {
  dist.nearest_two(X, i, i, C, labels, best, best);
};

/// nearest(), and second[i - begin] the smallest distance of the row to any other
/// centre (the nearest's equal, on a tie). `scratch` holds (end - begin) x k values.
template <class D, class T>
void nearest_two(const D& dist, const xt::xtensor<T, 2>& X, std::size_t begin, std::size_t end,
                 const xt::xtensor<T, 2>& C, std::size_t* labels, T* best, T* second, std::vector<T>& scratch) {
  if constexpr (HasNearestTwo<D, T>) {
    dist.nearest_two(X, begin, end, C, labels, best, second);
  } else {
    scanned_nearest(dist, X, begin, end, C, labels, best, second, scratch);
  }
}

/// distance(X[i], C[c]) with the distance's SIMD one-row kernel where it has one
/// (`fast_distance`, summed in another order, so it may differ in the last
/// bits), else `distance`: for objectives and bounds, never for labels.
template <class D, class T>
double row_distance(const D& distance, const xt::xtensor<T, 2>& X, std::size_t i, const xt::xtensor<T, 2>& C,
                    std::size_t c) {
  const std::size_t d = X.shape(1);
  if constexpr (requires(const T* p) { distance.fast_distance(p, p, d); })
    return static_cast<double>(distance.fast_distance(X.data() + i * d, C.data() + c * d, d));
  else
    return static_cast<double>(
        distance.distance(std::span<const T>(X.data() + i * d, d), std::span<const T>(C.data() + c * d, d)));
}

/// Summed distance of the rows of each chunk of `chunk` rows to the centres their labels name.
template <class T, class D>
std::vector<double> labelled_inertia_chunks(const D& distance, const xt::xtensor<T, 2>& X,
                                            const xt::xtensor<T, 2>& centers, const std::size_t* labels,
                                            std::size_t threads, std::size_t chunk) {
  const std::size_t n = X.shape(0);
  std::vector<double> partial(chunk_count(n, chunk));
  parallel_for(partial.size(), threads_for(X.size(), threads), [&](std::size_t c) {
    double sum = 0;
    for (std::size_t i = c * chunk, e = std::min(n, (c + 1) * chunk); i < e; ++i)
      sum += row_distance(distance, X, i, centers, labels[i]);
    partial[c] = sum;
  });
  return partial;
}

/// Summed distance of each row to the centre its label names, added in chunk order.
template <class T, class D>
double labelled_inertia(const D& distance, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& centers,
                        const std::size_t* labels, std::size_t threads) {
  const std::vector<double> partial =
      labelled_inertia_chunks(distance, X, centers, labels, threads, sum_chunk_rows(X.shape(0)));
  return std::accumulate(partial.begin(), partial.end(), 0.0);
}

}  // namespace detail

/// labels[i] = the nearest centre to row i of X (the first on ties), in blocks of
/// rows on up to `threads` threads (0: every core); the same labels for any count.
template <class D, class T>
requires DistanceFor<D, T>
void nearest_centers(const D& distance, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& centers,
                     std::size_t* labels, std::size_t threads = 0) {
  constexpr std::size_t block = 256;
  const std::size_t n = X.shape(0);
  detail::parallel_for(detail::chunk_count(n, block), detail::threads_for(X.size() * centers.shape(0), threads),
                       [&](std::size_t c) {
                         const std::size_t b = c * block, e = std::min(n, b + block);
                         std::vector<T> best(e - b), scratch;
                         detail::nearest(distance, X, b, e, centers, labels + b, best.data(), scratch);
                       });
}

}  // namespace segkit
