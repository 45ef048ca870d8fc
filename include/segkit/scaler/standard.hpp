#pragma once
// StandardScaler: zero mean, unit (population) standard deviation per feature.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <string_view>
#include <limits>
#include <tuple>
#include <utility>
#include <vector>

#include "segkit/core/comm.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/scaler/affine.hpp"

namespace segkit {

class StandardScaler : public AffineScaler {
 public:
  /// Its name in the policy registry (pipeline/registry.hpp), the tool and model files.
  static constexpr std::string_view name = "standard";

  template <class T>
  StandardScaler& fit(const xt::xtensor<T, 2>& X) {
    detail::check_data(X, "the data given to StandardScaler::fit", 0);
    return fit(X, SerialComm{}, RowLayout::serial(X.shape(0)));
  }

  /// The same statistics over the rows of every rank of `comm`, each rank holding whole
  /// chunks of sum_chunk_rows(n) rows as `layout` says (cluster/spread.hpp arranges that):
  /// every rank gets the mean and scale of all the rows, as one process computes them, bit
  /// for bit. Collective; the rows are checked by the caller.
  template <class T, Communicator Comm>
  StandardScaler& fit(const xt::xtensor<T, 2>& X, const Comm& comm, const RowLayout& layout) {
    const std::size_t n = layout.n_global, d = X.shape(1), chunk = detail::sum_chunk_rows(n);
    // Per-feature sums over the chunks of the rows (detail::feature_chunk_sums), added in
    // chunk order: two passes over X in all (the mean, then the squares about it, as
    // scikit-learn), and the same numbers for any thread count and any ranks.
    const std::vector<double> sums = column_sums(X, comm, chunk, [](double v, std::size_t) { return v; });
    std::vector<double> mean(d);
    for (std::size_t j = 0; j < d; ++j) mean[j] = sums[j] / static_cast<double>(n);
    const std::vector<double> squares =
        column_sums(X, comm, chunk, [&mean](double v, std::size_t j) { return (v - mean[j]) * (v - mean[j]); });
    std::vector<double> scale(d);
    std::vector<std::size_t> overflowing;
    for (std::size_t j = 0; j < d; ++j) {
      if (!std::isfinite(mean[j]) || !std::isfinite(squares[j])) {
        overflowing.push_back(j);
        continue;
      }
      const double m = mean[j], var = squares[j] / static_cast<double>(n);
      scale[j] = constant(var, m, n) ? 1.0 : std::sqrt(var);
    }
    if (!overflowing.empty()) rescaled_moments(X, comm, chunk, n, overflowing, mean, scale);
    set(std::move(mean), std::move(scale));
    return *this;
  }

 private:
  /// scikit-learn's _is_constant_feature: a variance no larger than its own rounding error
  /// means a constant column, which keeps scale 1.
  static bool constant(double var, double mean, std::size_t n) {
    const double eps = std::numeric_limits<double>::epsilon();
    return var <= static_cast<double>(n) * eps * var + std::pow(static_cast<double>(n) * mean * eps, 2);
  }

  /// Per column, the sum of term(x_ij, j) over every rank's rows, chunk by chunk in order.
  template <class T, class Comm, class Term>
  static std::vector<double> column_sums(const xt::xtensor<T, 2>& X, const Comm& comm, std::size_t chunk, Term&& term) {
    const std::size_t d = X.shape(1);
    return fold_chunks(
        comm,
        detail::feature_chunk_sums<1>(X.data(), X.shape(0), d, chunk, 0,
                                      [&term](double v, std::size_t j) { return std::array<double, 1>{term(v, j)}; }),
        d);
  }

  /// The mean and standard deviation (1 if constant) of the columns whose values are so
  /// large (beyond about 1e154) that their sum or squares overflow: computed on x / M with
  /// M the column's largest magnitude over every rank, then scaled back.
  template <class T, class Comm>
  static void rescaled_moments(const xt::xtensor<T, 2>& X, const Comm& comm, std::size_t chunk, std::size_t n,
                               const std::vector<std::size_t>& columns, std::vector<double>& mean,
                               std::vector<double>& scale) {
    const std::size_t rows = X.shape(0), d = X.shape(1);
    std::vector<double> largest(d, 0.0);
    for (std::size_t i = 0; i < rows; ++i)
      for (std::size_t j = 0; j < d; ++j)
        largest[j] = std::max(largest[j], std::abs(static_cast<double>(X.data()[i * d + j])));
    const std::vector<double> top =
        fold_blocks(comm, std::move(largest), d, 0.0, [](double a, double b) { return std::max(a, b); });
    const std::vector<double> sums =
        column_sums(X, comm, chunk, [&top](double v, std::size_t j) { return v / top[j]; });
    std::vector<double> m(d);
    for (std::size_t j = 0; j < d; ++j) m[j] = sums[j] / static_cast<double>(n);
    const std::vector<double> squares = column_sums(X, comm, chunk, [&top, &m](double v, std::size_t j) {
      const double x = v / top[j] - m[j];
      return x * x;
    });
    for (const std::size_t j : columns) {
      const double var = squares[j] / static_cast<double>(n);
      mean[j] = m[j] * top[j];
      scale[j] = constant(var, m[j], n) ? 1.0 : std::sqrt(var) * top[j];
    }
  }
};

}  // namespace segkit
