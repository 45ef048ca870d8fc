// Matching a refit's segments to the previous fit's: the linear assignment against
// scipy.optimize.linear_sum_assignment, and the ids that align_centers gives.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <segkit/core/assignment.hpp>
#include <segkit/select/align.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xview.hpp>

#include "fixture.hpp"

namespace segkit_test_align {

TEST_CASE("the least-cost assignment is scipy's linear_sum_assignment, square, wide and tall") {
  const segkit::test::Fixture f("assignment");
  const std::size_t cases = static_cast<std::size_t>(f.scalar("cases"));
  REQUIRE(cases >= 10);
  for (std::size_t n = 0; n < cases; ++n) {
    const std::string id = std::to_string(n);
    const auto& cost = f["cost_" + id];
    const auto& pairs = f["pairs_" + id];
    const bool ties = f.scalar("ties_" + id) != 0;
    CAPTURE(n);
    const std::vector<std::size_t> match = segkit::min_cost_assignment(cost);
    REQUIRE(match.size() == cost.shape(0));
    // As many pairs as the smaller side, no column twice, and scipy's total.
    std::vector<bool> used(cost.shape(1), false);
    std::size_t paired = 0;
    double total = 0;
    for (std::size_t i = 0; i < match.size(); ++i) {
      if (match[i] == segkit::unassigned) continue;
      REQUIRE(match[i] < cost.shape(1));
      CHECK_FALSE(used[match[i]]);
      used[match[i]] = true;
      ++paired;
      total += cost(i, match[i]);
    }
    CHECK(paired == std::min(cost.shape(0), cost.shape(1)));
    CHECK(total == doctest::Approx(f.scalar("total_" + id)).epsilon(1e-12));
    if (!ties)  // one optimal pairing: the same pairs
      for (std::size_t p = 0; p < pairs.shape(0); ++p)
        CHECK(match[static_cast<std::size_t>(pairs(p, 0))] == static_cast<std::size_t>(pairs(p, 1)));
  }
}

TEST_CASE("an assignment of no rows or no columns is empty, and a cost that is no number is refused") {
  CHECK(segkit::min_cost_assignment(xt::xtensor<double, 2>::from_shape({0, 3})).empty());
  CHECK(segkit::min_cost_assignment(xt::xtensor<double, 2>::from_shape({2, 0})) ==
        std::vector<std::size_t>{segkit::unassigned, segkit::unassigned});
  xt::xtensor<double, 2> cost = {{1.0, 2.0}, {3.0, std::nan("")}};
  CHECK_THROWS_WITH_AS(segkit::min_cost_assignment(cost), "assignment cost at row 1, column 1 is not a finite number",
                       segkit::error);
}

TEST_CASE("a refit's segments keep their ids where they persist, new ones get fresh ids, lost ones are named") {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> normal(0.0, 1.0);
  const std::size_t k = 6, d = 4;
  xt::xtensor<double, 2> previous = xt::zeros<double>({k, d});
  for (double& v : previous) v = 10 * normal(rng);
  // The same segments in another order, each moved a little.
  const std::vector<std::size_t> order = {4, 0, 5, 2, 1, 3};
  xt::xtensor<double, 2> refit = xt::zeros<double>({k, d});
  for (std::size_t j = 0; j < k; ++j)
    for (std::size_t f = 0; f < d; ++f) refit(j, f) = previous(order[j], f) + 0.1 * normal(rng);
  const segkit::Alignment same = segkit::align_centers(previous, refit);
  CHECK(same.ids == order);
  CHECK(same.vanished.empty());
  CHECK(same.next_id == k);
  for (std::size_t j = 0; j < k; ++j) {
    CHECK(same.persisted[j]);
    CHECK(same.moved[j] > 0);
    CHECK(same.moved[j] < 1);
  }

  // Two more segments far away: fresh ids after the previous ones, in order.
  xt::xtensor<double, 2> grown = xt::zeros<double>({k + 2, d});
  for (std::size_t j = 0; j < k; ++j)
    for (std::size_t f = 0; f < d; ++f) grown(j + 1, f) = refit(j, f);
  for (std::size_t f = 0; f < d; ++f) grown(0, f) = 1000, grown(k + 1, f) = -1000;
  const segkit::Alignment more = segkit::align_centers(previous, grown);
  CHECK(more.ids == std::vector<std::size_t>{6, 4, 0, 5, 2, 1, 3, 7});
  CHECK_FALSE(more.persisted[0]);
  CHECK(more.moved[0] == 0);
  CHECK(more.next_id == 8);

  // Two segments gone (previous ids 5 and 1), under ids of an earlier alignment.
  const xt::xtensor<double, 2> shrunk = xt::view(refit, xt::keep(0, 1, 3, 5), xt::all());
  const std::vector<std::size_t> ids = {10, 11, 12, 13, 14, 15};
  const segkit::Alignment fewer = segkit::align_centers(previous, shrunk, ids, 20);
  CHECK(fewer.ids == std::vector<std::size_t>{14, 10, 12, 13});
  CHECK(fewer.vanished == std::vector<std::size_t>{11, 15});
  CHECK(fewer.next_id == 20);
}

TEST_CASE("aligning refuses centres of other features, repeated ids and centres that are no numbers") {
  const xt::xtensor<double, 2> a = {{0.0, 0.0}, {1.0, 1.0}};
  const xt::xtensor<double, 2> wider = {{0.0, 0.0, 0.0}};
  CHECK_THROWS_WITH_AS(segkit::align_centers(a, wider),
                       "the previous centres have 2 feature(s), the new ones 3: segments can be aligned only on "
                       "the same features",
                       segkit::error);
  CHECK_THROWS_WITH_AS(segkit::align_centers(a, a, {3, 3}), "previous segment id 3 is given twice", segkit::error);
  CHECK_THROWS_WITH_AS(segkit::align_centers(a, a, {1}), "1 previous id(s) for 2 previous centre(s)", segkit::error);
  const xt::xtensor<double, 2> bad = {{0.0, std::nan("")}};
  CHECK_THROWS_WITH_AS(segkit::align_centers(a, bad), "new centre 0, feature 1 is not a finite number", segkit::error);
}

}  // namespace segkit_test_align

namespace segkit_test_align {

TEST_CASE("segment flows count every customer once, from the id before to the id now") {
  const std::vector<std::size_t> before = {0, 0, 1, 1, 1, 2, 5, 5};
  const std::vector<std::size_t> now = {0, 3, 1, 1, 0, 3, 5, 5};
  const segkit::SegmentFlows f = segkit::segment_flows(before, now);
  CHECK(f.from_ids == std::vector<std::size_t>{0, 1, 2, 5});
  CHECK(f.to_ids == std::vector<std::size_t>{0, 1, 3, 5});
  const xt::xtensor<std::size_t, 2> expected = {{1, 0, 1, 0}, {1, 2, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 2}};
  CHECK(f.customers == expected);
  CHECK(f.total == 8);
  CHECK(f.stayed == 5);
  CHECK(xt::sum(f.customers)() == f.total);
  CHECK_THROWS_WITH_AS(segkit::segment_flows({1, 2}, {1}),
                       "segment flows need one id per customer in both: 2 before, 1 now", segkit::error);
  const segkit::SegmentFlows none = segkit::segment_flows({}, {});
  CHECK(none.total == 0);
  CHECK(none.customers.size() == 0);
}

}  // namespace segkit_test_align
