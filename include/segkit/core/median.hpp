#pragma once
// The median of a set of values, in linear time.

#include <algorithm>
#include <cstddef>
#include <vector>

namespace segkit::detail {

/// The median of `values` (reordered in place; not empty); for an even count the
/// midpoint of the two middle values.
template <class T>
T median_in_place(std::vector<T>& values) {
  const std::size_t n = values.size(), mid = n / 2;
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(mid);
  std::nth_element(values.begin(), middle, values.end());
  const T upper = *middle;
  if (n % 2 == 1) return upper;
  const T lower = *std::max_element(values.begin(), middle);
  return lower + (upper - lower) / T(2);
}

}  // namespace segkit::detail
