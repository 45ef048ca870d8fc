#pragma once
// SquaredEuclidean: the k-means distance; its centre is the mean.

#include <cstddef>
#include <span>
#include <vector>

#include <xsimd/xsimd.hpp>
#include <xtensor/xtensor.hpp>

namespace segkit {

struct SquaredEuclidean {
  /// The squared distance breaks the triangle inequality; its square root keeps it,
  /// which is what Elkan/Hamerly-style bounds work with.
  static constexpr bool is_metric = false;
  static constexpr bool sqrt_is_metric = true;
  /// The centre is the plain mean, so Lloyd may sum clusters in one pass (center() says the same).
  static constexpr bool center_is_mean = true;

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

  /// Batch kernel: vectorised across centres, so it is fast for any d, and each
  /// distance is summed over features in order, exactly as `distance` sums it.
  template <class T>
  void pairwise(const xt::xtensor<T, 2>& X, std::size_t begin, std::size_t end, const xt::xtensor<T, 2>& C,
                T* out) const {
    using batch = xsimd::batch<T>;
    constexpr std::size_t W = batch::size;
    const std::size_t d = X.shape(1), k = C.shape(0);
    const std::size_t k_pad = (k + W - 1) / W * W;
    // Centres transposed (d x k_pad); padding lanes are computed and never read.
    std::vector<T> ct(d * k_pad, T(0));
    for (std::size_t c = 0; c < k; ++c)
      for (std::size_t j = 0; j < d; ++j) ct[j * k_pad + c] = C(c, j);
    std::vector<T> row(k_pad);
    for (std::size_t i = begin; i < end; ++i) {
      const T* x = X.data() + i * d;
      std::size_t c = 0;
      for (; c + 4 * W <= k_pad; c += 4 * W) {  // four accumulators hide the add latency
        batch a0(T(0)), a1(T(0)), a2(T(0)), a3(T(0));
        const T* col = ct.data() + c;
        for (std::size_t j = 0; j < d; ++j, col += k_pad) {
          const batch xj(x[j]);
          const batch d0 = xj - batch::load_unaligned(col);
          const batch d1 = xj - batch::load_unaligned(col + W);
          const batch d2 = xj - batch::load_unaligned(col + 2 * W);
          const batch d3 = xj - batch::load_unaligned(col + 3 * W);
          a0 += d0 * d0;
          a1 += d1 * d1;
          a2 += d2 * d2;
          a3 += d3 * d3;
        }
        a0.store_unaligned(row.data() + c);
        a1.store_unaligned(row.data() + c + W);
        a2.store_unaligned(row.data() + c + 2 * W);
        a3.store_unaligned(row.data() + c + 3 * W);
      }
      for (; c < k_pad; c += W) {
        batch acc(T(0));
        const T* col = ct.data() + c;
        for (std::size_t j = 0; j < d; ++j, col += k_pad) {
          const batch diff = batch(x[j]) - batch::load_unaligned(col);
          acc += diff * diff;
        }
        acc.store_unaligned(row.data() + c);
      }
      for (std::size_t cc = 0; cc < k; ++cc) *out++ = row[cc];
    }
  }
};

}  // namespace segkit
