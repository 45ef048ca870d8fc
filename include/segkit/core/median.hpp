#pragma once
// The median and percentiles of a set of values, in linear time. Small sets are
// selected with std::nth_element; large sets of doubles by their bits (a radix
// selection: one histogram pass, then only the values of the bucket that holds the
// rank), several times faster than nth_element's branchy partitions on a million
// values, and the same order statistics.

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

namespace segkit::detail {

/// The bits of a double ordered as the doubles are (for every non-NaN value; -0 is +0).
inline std::uint64_t order_key(double v) {
  if (v == 0) v = 0.0;
  const auto u = std::bit_cast<std::uint64_t>(v);
  return (u >> 63) ? ~u : (u | (std::uint64_t{1} << 63));
}

inline double from_order_key(std::uint64_t key) {
  return std::bit_cast<double>((key >> 63) ? (key & ~(std::uint64_t{1} << 63)) : ~key);
}

/// Below this many values, std::nth_element; above, the radix selection.
inline constexpr std::size_t radix_select_from = std::size_t{1} << 14;

inline void select_keys(std::vector<std::uint64_t>& keys, std::span<const std::size_t> ranks, int shift,
                        std::span<std::uint64_t> out);

/// The order statistics at `ranks` (each < items.size(), in any order) of the keys
/// key_of(item): a histogram of their 16 bits at `shift`, then, for each bucket that
/// holds a rank, a selection among that bucket's keys alone on the bits below.
template <class Items, class KeyOf>
void select_in_buckets(const Items& items, KeyOf key_of, std::span<const std::size_t> ranks, int shift,
                       std::span<std::uint64_t> out) {
  std::vector<std::uint32_t> count(std::size_t{1} << 16, 0);
  for (const auto& item : items) ++count[(key_of(item) >> shift) & 0xFFFF];
  std::vector<std::size_t> start(count.size() + 1, 0);
  for (std::size_t b = 0; b < count.size(); ++b) start[b + 1] = start[b] + count[b];
  std::vector<bool> done(ranks.size(), false);
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    if (done[i]) continue;
    // The bucket of rank i, and every other rank that falls in it.
    const std::size_t bucket =
        static_cast<std::size_t>(std::upper_bound(start.begin(), start.end(), ranks[i]) - start.begin()) - 1;
    std::vector<std::size_t> local, which;
    for (std::size_t j = i; j < ranks.size(); ++j)
      if (!done[j] && ranks[j] >= start[bucket] && ranks[j] < start[bucket + 1])
        local.push_back(ranks[j] - start[bucket]), which.push_back(j), done[j] = true;
    std::vector<std::uint64_t> members;
    members.reserve(count[bucket]);
    for (const auto& item : items)
      if (const std::uint64_t key = key_of(item); ((key >> shift) & 0xFFFF) == bucket) members.push_back(key);
    std::vector<std::uint64_t> found(local.size());
    select_keys(members, local, shift - 16, found);
    for (std::size_t j = 0; j < which.size(); ++j) out[which[j]] = found[j];
  }
}

/// The elements of `values` at `ranks` (each < values.size(), in any order) once sorted,
/// by std::nth_element over a shrinking range. `values` is reordered.
template <class T>
void select_sorted(std::span<T> values, std::span<const std::size_t> ranks, std::span<T> out) {
  std::vector<std::size_t> order(ranks.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return ranks[a] < ranks[b]; });
  std::size_t settled = 0;  // values[0, settled) are no larger than any value after them
  for (const std::size_t i : order) {
    const auto at = values.begin() + static_cast<std::ptrdiff_t>(ranks[i]);
    std::nth_element(values.begin() + static_cast<std::ptrdiff_t>(settled), at, values.end());
    settled = ranks[i];
    out[i] = *at;
  }
}

/// The order statistics of `keys` (order keys) at `ranks`, selecting on the 16 bits at
/// `shift` and below. `keys` is reordered.
inline void select_keys(std::vector<std::uint64_t>& keys, std::span<const std::size_t> ranks, int shift,
                        std::span<std::uint64_t> out) {
  if (keys.size() < radix_select_from || shift < 0)
    select_sorted(std::span<std::uint64_t>(keys), ranks, out);
  else
    select_in_buckets(
        keys, [](std::uint64_t key) { return key; }, ranks, shift, out);
}

/// The order statistics of `values` at `ranks` (0-based, each < values.size(), in any
/// order): what sorting a copy and reading at each rank gives (a zero as +0). `values`
/// may be reordered.
template <class T>
std::vector<T> order_statistics(std::span<T> values, std::span<const std::size_t> ranks) {
  std::vector<T> out(ranks.size());
  if constexpr (std::is_same_v<T, double>) {
    if (values.size() >= radix_select_from) {
      // The first level reads the values where they lie; only one bucket's keys are copied.
      std::vector<std::uint64_t> keys(ranks.size());
      select_in_buckets(
          values, [](double v) { return order_key(v); }, ranks, 48, keys);
      for (std::size_t i = 0; i < keys.size(); ++i) out[i] = from_order_key(keys[i]);
      return out;
    }
  }
  select_sorted(values, ranks, std::span<T>(out));
  for (T& v : out)
    if (v == T(0)) v = T(0);
  return out;
}

/// The median of `values` (possibly reordered; not empty); for an even count the
/// midpoint of the two middle values.
template <class T>
T median_in_place(std::span<T> values) {
  const std::size_t n = values.size(), mid = n / 2;
  if (n % 2 == 1) {
    const std::array<std::size_t, 1> rank{mid};
    return order_statistics(values, std::span<const std::size_t>(rank)).front();
  }
  const std::array<std::size_t, 2> ranks{mid - 1, mid};
  const std::vector<T> middle = order_statistics(values, std::span<const std::size_t>(ranks));
  return middle[0] + (middle[1] - middle[0]) / T(2);
}

template <class T>
T median_in_place(std::vector<T>& values) {
  return median_in_place(std::span<T>(values));
}

/// A percentile as numpy's linear rule reads it: the two neighbouring order
/// statistics and the fraction between them.
struct PercentilePoint {
  double below = 0, above = 0, fraction = 0;
  /// The percentile of the values mapped by a non-decreasing `f` (log1p, say): the
  /// neighbours of the mapped values are the mapped neighbours.
  template <class F>
  double value(F&& f) const {
    const double a = f(below), b = f(above), t = fraction;
    return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
  }
  double value() const {
    return value([](double v) { return v; });
  }
};

/// Several percentiles (q in [0, 100], any order) of `values` (possibly reordered;
/// not empty), each the same as percentile_in_place gives, from one selection.
inline std::vector<PercentilePoint> percentile_points_in_place(std::vector<double>& values, std::vector<double> qs) {
  const std::size_t n = values.size();
  std::vector<std::size_t> ranks;
  std::vector<PercentilePoint> out(qs.size());
  for (std::size_t i = 0; i < qs.size(); ++i) {
    const double position = qs[i] / 100.0 * static_cast<double>(n - 1);
    const std::size_t lo = static_cast<std::size_t>(std::floor(position));
    out[i].fraction = position - static_cast<double>(lo);
    ranks.push_back(lo);
    ranks.push_back(std::min(lo + 1, n - 1));
  }
  const std::vector<double> at = order_statistics(std::span<double>(values), std::span<const std::size_t>(ranks));
  for (std::size_t i = 0; i < qs.size(); ++i) out[i].below = at[2 * i], out[i].above = at[2 * i + 1];
  return out;
}

/// numpy's default ("linear") percentile, q in [0, 100], including numpy's way
/// of interpolating from the nearer end, of `values` (possibly reordered; not
/// empty). The same number as sorting and reading off the two neighbours.
inline double percentile_in_place(std::vector<double>& values, double q) {
  return percentile_points_in_place(values, {q}).front().value();
}

}  // namespace segkit::detail
