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
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
      throw error("previous segment id " + std::to_string(*std::adjacent_find(sorted.begin(), sorted.end())) +
                  " is given twice");
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

/// Where the customers of two segmentations of the same customers went: a flow table.
struct SegmentFlows {
  std::vector<std::size_t> from_ids;      ///< the ids customers had before, increasing: the rows
  std::vector<std::size_t> to_ids;        ///< the ids they have now, increasing: the columns
  xt::xtensor<std::size_t, 2> customers;  ///< customers(a, b): in from_ids[a] before, in to_ids[b] now
  std::size_t total = 0;                  ///< customers in all
  std::size_t stayed = 0;                 ///< of them, those whose id is the same
};

/// The flow table of customer i's id before (before[i]) and now (now[i]); with ids aligned
/// (align_centers), a customer on the diagonal stayed in "the same" segment.
inline SegmentFlows segment_flows(const std::vector<std::size_t>& before, const std::vector<std::size_t>& now) {
  if (before.size() != now.size())
    throw error("segment flows need one id per customer in both: " + std::to_string(before.size()) + " before, " +
                std::to_string(now.size()) + " now");
  SegmentFlows out;
  const auto distinct = [](std::vector<std::size_t> ids) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
  };
  out.from_ids = distinct(before);
  out.to_ids = distinct(now);
  out.customers = xt::zeros<std::size_t>({out.from_ids.size(), out.to_ids.size()});
  const auto index = [](const std::vector<std::size_t>& ids, std::size_t id) {
    return static_cast<std::size_t>(std::lower_bound(ids.begin(), ids.end(), id) - ids.begin());
  };
  for (std::size_t i = 0; i < before.size(); ++i) {
    ++out.customers(index(out.from_ids, before[i]), index(out.to_ids, now[i]));
    out.stayed += before[i] == now[i];
  }
  out.total = before.size();
  return out;
}

}  // namespace segkit
