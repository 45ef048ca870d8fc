#pragma once
// Manhattan (L1): a metric; its centre is the coordinate-wise median (k-medians).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

#include <string_view>

#include <xtensor/xtensor.hpp>

#include "segkit/core/median.hpp"

namespace segkit {

struct Manhattan {
  /// Its name in the policy registry (pipeline/registry.hpp), the tool and model files.
  static constexpr std::string_view name = "manhattan";

  static constexpr bool is_metric = true;

  template <class T>
  T distance(std::span<const T> a, std::span<const T> b) const {
    T sum = 0;
    for (std::size_t j = 0; j < a.size(); ++j) sum += std::abs(a[j] - b[j]);
    return sum;
  }

  /// The median minimises summed |x - c| per coordinate; for an even count the
  /// midpoint of the two middle values is taken (any point between them is optimal).
  template <class T>
  void center(const xt::xtensor<T, 2>& X, std::span<const std::size_t> members, std::span<T> out) const {
    const std::size_t d = X.shape(1), m = members.size();
    std::vector<T> column(m);
    for (std::size_t j = 0; j < d; ++j) {
      for (std::size_t r = 0; r < m; ++r) column[r] = X(members[r], j);
      out[j] = detail::median_in_place(column);
    }
  }
};

}  // namespace segkit
