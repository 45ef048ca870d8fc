#pragma once
// SquaredEuclidean: the k-means distance; its centre is the mean.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstddef>
#include <limits>
#include <span>
#include <vector>

#include <xsimd/xsimd.hpp>
#include <string_view>

#include <xtensor/xtensor.hpp>

#include "segkit/core/dispatch.hpp"
#include "segkit/core/kernels.hpp"

namespace segkit {

struct SquaredEuclidean {
  /// Its name in the policy registry (pipeline/registry.hpp), the tool and model files.
  static constexpr std::string_view name = "sqeuclidean";

  /// The squared distance breaks the triangle inequality; its square root keeps it,
  /// which is what Elkan/Hamerly-style bounds work with.
  static constexpr bool is_metric = false;
  static constexpr bool sqrt_is_metric = true;
  /// The centre is the plain mean, so Lloyd may sum clusters in one pass (center() says the same).
  static constexpr bool center_is_mean = true;

  /// How nearest() finds each row's centre. Both ways give the same labels
  /// (kernels::nearest_centres_by_products re-measures near ties exactly).
  enum class Method {
    automatic,    ///< the faster on the machine measured: products from d = 64 and k = 64 (docs/performance.md)
    differences,  ///< (x - c)^2 summed feature by feature, every row against every centre
    products,     ///< |c|^2 - 2 x.c: a multiply-add per feature and centre, near ties measured again
  };
  Method method = Method::automatic;

  template <class T>
  T distance(std::span<const T> a, std::span<const T> b) const {
    // Summed as (a - b)^2, never as |a|^2 - 2ab + |b|^2, which cancels in float.
    T sum = 0;
    for (std::size_t j = 0; j < a.size(); ++j) {
      const T diff = a[j] - b[j];
      sum += diff * diff;
    }
    return sum;
  }

  template <class T>
  void center(const xt::xtensor<T, 2>& X, std::span<const std::size_t> members, std::span<T> out) const {
    const std::size_t d = X.shape(1);
    std::vector<double> sum(d, 0.0);  // double even for float data: clusters of a million rows
    for (const std::size_t i : members) {
      const T* x = X.data() + i * d;
      for (std::size_t j = 0; j < d; ++j) sum[j] += static_cast<double>(x[j]);
    }
    const double count = static_cast<double>(members.size());
    for (std::size_t j = 0; j < d; ++j) out[j] = static_cast<T>(sum[j] / count);
  }

  /// Batch kernel: rows [begin, end) of X against every centre, a block of rows
  /// at a time in registers (core/kernels.hpp), with the kernels of the
  /// architecture in use (core/dispatch.hpp). out gets (end - begin) x k distances.
  template <class T>
  void pairwise(const xt::xtensor<T, 2>& X, std::size_t begin, std::size_t end, const xt::xtensor<T, 2>& C,
                T* out) const {
    const std::size_t d = X.shape(1), k = C.shape(0), k_pad = kernels::padded<T>(k);
    Buffers<T>& buffers = thread_buffers<T>(C);
    const T* ct = buffers.ct.data();
    T* dist = buffers.dist.data();
    const auto& kernel = simd::active<T>();
    for_blocks(begin, end, [&](std::size_t b, std::size_t m) {
      kernel.squared_distances(X.data() + b * d, m, d, ct, k, k_pad, dist);
      for (std::size_t i = 0; i < m; ++i)
        for (std::size_t c = 0; c < k; ++c) *out++ = dist[i * k_pad + c];
    });
  }

  /// Nearest-centre kernel: for rows [begin, end) of X, labels[i - begin] the
  /// nearest centre (the first on ties) and best[i - begin] its distance,
  /// without writing out the distances.
  template <class T>
  void nearest(const xt::xtensor<T, 2>& X, std::size_t begin, std::size_t end, const xt::xtensor<T, 2>& C,
               std::size_t* labels, T* best) const {
    const std::size_t d = X.shape(1), k = C.shape(0), k_pad = kernels::padded<T>(k);
    const auto& kernel = simd::active<T>();
    const bool products = by_products(k, d);
    Buffers<T>& buffers = thread_buffers<T>(C, products);
    T* dist = buffers.dist.data();
    if (products) {
      const kernels::ShiftedCentres<T> centres{buffers.source.data(),
                                               buffers.ct.data(),
                                               buffers.shifted_ct.data(),
                                               buffers.norms.data(),
                                               buffers.shift.data(),
                                               buffers.radius,
                                               k,
                                               k_pad};
      for_blocks(begin, end, [&](std::size_t b, std::size_t m) {
        kernel.nearest_centres_by_products(X.data() + b * d, m, d, centres, dist, labels + (b - begin),
                                           best + (b - begin));
      });
      return;
    }
    for_blocks(begin, end, [&](std::size_t b, std::size_t m) {
      kernel.nearest_centres(X.data() + b * d, m, d, buffers.ct.data(), k, k_pad, dist, labels + (b - begin),
                             best + (b - begin));
    });
  }

  /// nearest(), and second[i - begin] each row's distance to its second-nearest centre
  /// (the bounded steps' lower bound), with the labels and distances of the
  /// differences' kernel (those of nearest(), whichever way that measures).
  template <class T>
  void nearest_two(const xt::xtensor<T, 2>& X, std::size_t begin, std::size_t end, const xt::xtensor<T, 2>& C,
                   std::size_t* labels, T* best, T* second) const {
    const std::size_t d = X.shape(1), k = C.shape(0), k_pad = kernels::padded<T>(k);
    const auto& kernel = simd::active<T>();
    Buffers<T>& buffers = thread_buffers<T>(C);
    for_blocks(begin, end, [&](std::size_t b, std::size_t m) {
      kernel.nearest_two_centres(X.data() + b * d, m, d, buffers.ct.data(), k, k_pad, buffers.dist.data(),
                                 labels + (b - begin), best + (b - begin), second + (b - begin));
    });
  }

  /// The distance of two rows with the SIMD kernel (summed in another order
  /// than `distance`, so it may differ in the last bits): the bounded steps'
  /// one-row distances, which only feed bounds and the per-step objective.
  template <class T>
  T fast_distance(const T* a, const T* b, std::size_t d) const {
    return simd::active<T>().row_distance(a, b, d);
  }

 private:
  template <class T>
  using aligned = std::vector<T, xsimd::aligned_allocator<T, 64>>;
  static constexpr std::size_t block = 64;  // rows per kernel call: their distances stay in L1

  /// f(b, m) for the blocks [b, b + m) of at most `block` rows that make up [begin, end).
  template <class F>
  static void for_blocks(std::size_t begin, std::size_t end, F&& f) {
    for (std::size_t b = begin; b < end; b += block) f(b, std::min(block, end - b));
  }

  /// Whether nearest() measures by products. Only for wide rows and many centres: on
  /// the Intel AVX-512 VM the products' tile was only about 20 % faster than the
  /// differences' (the subtractions were not what bounded it), and the per-row work
  /// around it (the chosen centre's distance, the count of near ties; O(d + k) against
  /// the tile's O(k d)) cost more than that below d = 64, k = 64: 0.55-0.75x at
  /// d = 16 with k = 8 or 64, 1.03-1.17x at d = 64, k = 64 (bench_lloyd, 2 threads,
  /// BM_AssignNearest against BM_AssignNearestProducts; docs/performance.md).
  bool by_products(std::size_t k, std::size_t d) const {
    if (method != Method::automatic) return method == Method::products;
    return d >= 64 && k >= 64;
  }

  /// The kernels' work memory: the centres transposed (d x k_pad), and a block's
  /// distances; for products also the shifted centres (kernels::ShiftedCentres).
  template <class T>
  struct Buffers {
    aligned<T> ct, dist, shifted_ct, norms;
    std::vector<T> shift;
    T radius = 0;
    std::vector<T> source;  ///< the centres the others were made from (k x d)
    std::size_t k = 0, d = 0;
    bool shifted = false;  ///< whether shifted_ct, norms, shift and radius are made
  };

  /// This thread's buffers, holding C transposed, padded with +infinity (a padding
  /// column's distance is infinite, so it is never nearest, and never read by
  /// pairwise). Kept per thread and reused: a Lloyd pass calls the kernels once per
  /// block of a few hundred rows, and a fresh allocation each time cost about 5 %
  /// of the pass at 1,000,000 x 16 x 8. Made again only when the centres differ
  /// from the last call's (a comparison of k x d values; making the shifted centres
  /// for every block cost more than the products saved).
  template <class T>
  static Buffers<T>& thread_buffers(const xt::xtensor<T, 2>& C, bool products = false) {
    thread_local Buffers<T> buffers;
    const std::size_t d = C.shape(1), k = C.shape(0), k_pad = kernels::padded<T>(k);
    // Compared bit for bit: centres holding NaN are the same centres again.
    const bool same =
        buffers.k == k && buffers.d == d && std::memcmp(buffers.source.data(), C.data(), k * d * sizeof(T)) == 0;
    if (!same) {
      buffers.source.assign(C.data(), C.data() + k * d);
      buffers.k = k;
      buffers.d = d;
      buffers.shifted = false;
      buffers.ct.assign(d * k_pad, std::numeric_limits<T>::infinity());
      for (std::size_t c = 0; c < k; ++c)
        for (std::size_t j = 0; j < d; ++j) buffers.ct[j * k_pad + c] = buffers.source[c * d + j];
    }
    const std::size_t scratch = products ? kernels::product_scratch(block, k_pad) : block * k_pad;
    if (buffers.dist.size() < scratch) buffers.dist.resize(scratch);
    if (products && !buffers.shifted) {
      shift_centres(buffers);
      buffers.shifted = true;
    }
    return buffers;
  }

  /// The centres minus their mean, transposed, with their squared norms and the largest norm.
  template <class T>
  static void shift_centres(Buffers<T>& buffers) {
    const std::size_t d = buffers.d, k = buffers.k, k_pad = kernels::padded<T>(k);
    const T* C = buffers.source.data();
    buffers.shift.assign(d, T(0));
    for (std::size_t j = 0; j < d; ++j) {
      double sum = 0;
      for (std::size_t c = 0; c < k; ++c) sum += static_cast<double>(C[c * d + j]);
      buffers.shift[j] = static_cast<T>(sum / static_cast<double>(k));
    }
    buffers.shifted_ct.assign(d * k_pad, T(0));
    buffers.norms.assign(k_pad, std::numeric_limits<T>::infinity());
    buffers.radius = 0;
    for (std::size_t c = 0; c < k; ++c) {
      T norm = 0;
      for (std::size_t j = 0; j < d; ++j) {
        const T v = C[c * d + j] - buffers.shift[j];
        buffers.shifted_ct[j * k_pad + c] = v;
        norm += v * v;
      }
      buffers.norms[c] = norm;
      buffers.radius = std::max(buffers.radius, std::sqrt(norm));
    }
  }
};

}  // namespace segkit
