#pragma once
// Segment ids that survive a refit. A nightly refit numbers its segments afresh, so
// "segment 3" may mean another group of customers tomorrow. Matching the new centres to
// the previous ones by the least total distance (the linear assignment, core/assignment.hpp)
// lets each segment that persists keep its id; a segment with no previous match gets an
// id never used before, and a previous id with no new match is reported as vanished.
// segment_flows then counts where each customer went, from its id before to its id now.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/core/assignment.hpp"
#include "segkit/core/error.hpp"

namespace segkit {

/// How a new fit's segments relate to a previous fit's.
struct Alignment {
  std::vector<std::size_t> ids;       ///< ids[j]: the id of the new fit's segment j
  std::vector<bool> persisted;        ///< persisted[j]: segment j took a previous segment's id
  std::vector<double> moved;          ///< moved[j]: Euclidean distance to that previous centre (0 if new)
  std::vector<std::size_t> vanished;  ///< previous ids that no new segment took, increasing
  std::size_t next_id = 0;            ///< the first id never given out, for the next refit
};

/// Aligns the k centres of a new fit with the previous fit's (k_prev of them, with the same
/// features, given in one space: the new model's scaled space, say). previous_ids names the
/// previous segments (empty: 0..k_prev-1); next_id is the first id not given out yet (0: one
/// past the largest previous id). Matched by the least total Euclidean distance; the new
/// segments left over (k > k_prev) take next_id, next_id + 1, ... in their order.
inline Alignment align_centers(const xt::xtensor<double, 2>& previous, const xt::xtensor<double, 2>& centers,
                               std::vector<std::size_t> previous_ids = {}, std::size_t next_id = 0) {
  const std::size_t k_prev = previous.shape(0), k = centers.shape(0), d = centers.shape(1);
  if (previous.shape(1) != d)
    throw error("the previous centres have " + std::to_string(previous.shape(1)) + " feature(s), the new ones " +
                std::to_string(d) + ": segments can be aligned only on the same features");
  if (previous_ids.empty())
    for (std::size_t c = 0; c < k_prev; ++c) previous_ids.push_back(c);
  if (previous_ids.size() != k_prev)
    throw error(std::to_string(previous_ids.size()) + " previous id(s) for " + std::to_string(k_prev) +
                " previous centre(s)");
  {
    std::vector<std::size_t> sorted = previous_ids;
    std::sort(sorted.begin(), sorted.end());
    if (const auto twice = std::adjacent_find(sorted.begin(), sorted.end()); twice != sorted.end())
      throw error("previous segment id " + std::to_string(*twice) + " is given twice");
  }
  for (const std::size_t id : previous_ids) next_id = std::max(next_id, id + 1);
  const auto check_finite = [d](const xt::xtensor<double, 2>& C, const char* which) {
    for (std::size_t c = 0; c < C.shape(0); ++c)
      for (std::size_t f = 0; f < d; ++f)
        if (!std::isfinite(C(c, f)))
          throw error(std::string(which) + " centre " + std::to_string(c) + ", feature " + std::to_string(f) +
                      " is not a finite number");
  };
  check_finite(previous, "previous");
  check_finite(centers, "new");

  xt::xtensor<double, 2> distance = xt::zeros<double>({k, k_prev});
  for (std::size_t j = 0; j < k; ++j)
    for (std::size_t c = 0; c < k_prev; ++c) {
      double s = 0;
      for (std::size_t f = 0; f < d; ++f) s += (centers(j, f) - previous(c, f)) * (centers(j, f) - previous(c, f));
      distance(j, c) = std::sqrt(s);
    }
  const std::vector<std::size_t> match = min_cost_assignment(distance);  // throws on a non-finite centre

  Alignment out;
  out.ids.resize(k), out.persisted.resize(k), out.moved.resize(k);
  std::vector<bool> taken(k_prev, false);
  for (std::size_t j = 0; j < k; ++j) {
    if (match[j] == unassigned) continue;
    out.ids[j] = previous_ids[match[j]];
    out.persisted[j] = true;
    out.moved[j] = distance(j, match[j]);
    taken[match[j]] = true;
  }
  for (std::size_t j = 0; j < k; ++j)
    if (!out.persisted[j]) out.ids[j] = next_id++;
  for (std::size_t c = 0; c < k_prev; ++c)
    if (!taken[c]) out.vanished.push_back(previous_ids[c]);
  std::sort(out.vanished.begin(), out.vanished.end());
  out.next_id = next_id;
  return out;
}

/// A previous fit's segments, as a refit is aligned to them (a model file gives them,
/// io::previous_segments): the centres in the units of the prepared features, before any
/// scaling, so that they can be put into the new fit's scaled space.
struct PreviousSegments {
  std::vector<std::string> features;  ///< the prepared features' names, one per column of centers
  std::vector<bool> logged;           ///< per feature, whether it is log1p of its column (empty: none)
  std::vector<bool> one_hot;          ///< per feature, whether it is a level of a one-hot column (empty: none)
  xt::xtensor<double, 2> centers;     ///< k_prev x features
  std::vector<std::size_t> ids;       ///< the previous segments' ids (empty: 0..k_prev-1)
  std::size_t next_id = 0;            ///< the first id not given out yet (0: one past the largest)
  std::string source;                 ///< what they came from (a file name), for messages
};

/// Where the customers of two segmentations went: a flow table. Customers are those of
/// both segmentations; one only in the previous left (`left`), one only in the new arrived.
struct SegmentFlows {
  std::vector<std::size_t> from_ids;      ///< the ids customers had before, increasing: the rows
  std::vector<std::size_t> to_ids;        ///< the ids they have now, increasing: the columns
  xt::xtensor<std::size_t, 2> customers;  ///< customers(a, b): in from_ids[a] before, in to_ids[b] now
  std::size_t total = 0;                  ///< customers in both segmentations
  std::size_t stayed = 0;                 ///< of them, those whose id is the same
  std::vector<std::size_t> left;          ///< left[a]: in from_ids[a] before, absent now
  std::vector<std::size_t> arrived;       ///< arrived[b]: in to_ids[b] now, absent before
};

namespace detail {

/// The flow table of two segmentations: before[i] is the id of the previous segmentation's
/// customer i, now[j] the new one's customer j, `matched` the (i, j) pairs that are one
/// customer; every id of either side is a row or a column, the unmatched are left / arrived.
inline SegmentFlows flow_table(const std::vector<std::size_t>& before, const std::vector<std::size_t>& now,
                               const std::vector<std::pair<std::size_t, std::size_t>>& matched) {
  const auto distinct = [](std::vector<std::size_t> ids) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
  };
  const auto index = [](const std::vector<std::size_t>& ids, std::size_t id) {
    return static_cast<std::size_t>(std::lower_bound(ids.begin(), ids.end(), id) - ids.begin());
  };
  SegmentFlows out;
  out.from_ids = distinct(before);
  out.to_ids = distinct(now);
  out.customers = xt::zeros<std::size_t>({out.from_ids.size(), out.to_ids.size()});
  std::vector<bool> before_matched(before.size(), false), now_matched(now.size(), false);
  for (const auto& [i, j] : matched) {
    ++out.customers(index(out.from_ids, before[i]), index(out.to_ids, now[j]));
    out.stayed += before[i] == now[j];
    before_matched[i] = now_matched[j] = true;
  }
  out.total = matched.size();
  out.left.assign(out.from_ids.size(), 0);
  out.arrived.assign(out.to_ids.size(), 0);
  for (std::size_t i = 0; i < before.size(); ++i)
    if (!before_matched[i]) ++out.left[index(out.from_ids, before[i])];
  for (std::size_t j = 0; j < now.size(); ++j)
    if (!now_matched[j]) ++out.arrived[index(out.to_ids, now[j])];
  return out;
}

}  // namespace detail

/// The flow table of customer i's id before (before[i]) and now (now[i]); with ids aligned
/// (align_centers), a customer on the diagonal stayed in "the same" segment.
inline SegmentFlows segment_flows(const std::vector<std::size_t>& before, const std::vector<std::size_t>& now) {
  if (before.size() != now.size())
    throw error("segment flows need one id per customer in both: " + std::to_string(before.size()) + " before, " +
                std::to_string(now.size()) + " now");
  std::vector<std::pair<std::size_t, std::size_t>> same(before.size());
  for (std::size_t i = 0; i < same.size(); ++i) same[i] = {i, i};
  return detail::flow_table(before, now, same);
}

/// The flow table of two segmentations of customers named by id: customer before_ids[i]
/// had segment before[i], now_ids[j] has now[j]. Customers are matched by id; those in one
/// only are counted as left or arrived, so that the table's rows with `left` add up to
/// the previous segmentation's customers and its columns with `arrived` to the new one's.
/// An id given twice on one side is refused (`before_source` / `now_source` name the sides).
inline SegmentFlows customer_flows(const std::vector<std::string>& before_ids, const std::vector<std::size_t>& before,
                                   const std::vector<std::string>& now_ids, const std::vector<std::size_t>& now,
                                   const std::string& before_source = "the previous segments",
                                   const std::string& now_source = "the new segments") {
  if (before_ids.size() != before.size() || now_ids.size() != now.size())
    throw error("customer flows need one id per segment: " + std::to_string(before_ids.size()) + " ids for " +
                std::to_string(before.size()) + " segments before, " + std::to_string(now_ids.size()) + " for " +
                std::to_string(now.size()) + " now");
  // Each side's customers in id order (the earlier position first, so a repeat is found next to it).
  const auto by_id = [](const std::vector<std::string>& ids, const std::string& source) {
    std::vector<std::size_t> order(ids.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return ids[a] < ids[b]; });
    for (std::size_t r = 1; r < order.size(); ++r)
      if (ids[order[r]] == ids[order[r - 1]])
        throw error(source + ": customer \"" + ids[order[r]] + "\" is given twice (at positions " +
                    std::to_string(order[r - 1] + 1) + " and " + std::to_string(order[r] + 1) + ")");
    return order;
  };
  const std::vector<std::size_t> b_order = by_id(before_ids, before_source), n_order = by_id(now_ids, now_source);
  std::vector<std::pair<std::size_t, std::size_t>> matched;  // (before, now) positions of one customer
  for (std::size_t p = 0, q = 0; p < b_order.size() && q < n_order.size();) {
    const std::string &a = before_ids[b_order[p]], &b = now_ids[n_order[q]];
    if (a < b)
      ++p;
    else if (b < a)
      ++q;
    else
      matched.emplace_back(b_order[p++], n_order[q++]);
  }
  return detail::flow_table(before, now, matched);
}

}  // namespace segkit
