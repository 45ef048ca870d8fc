// Matching a refit's segments to the previous fit's: the linear assignment against
// scipy.optimize.linear_sum_assignment, the ids that align_centers gives, and a refit of
// real customer files aligned with a previous model (workflow::align_fit): the ids each
// customer keeps, and the flow table of where customers went; and a model moved by new
// customers (io::partial_fit, the mini-batch rule).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <segkit/core/assignment.hpp>
#include <segkit/io/model.hpp>
#include <segkit/io/served.hpp>
#include <segkit/select/align.hpp>
#include <segkit/workflow/export.hpp>
#include <segkit/workflow/report.hpp>
#include <segkit/workflow/segment.hpp>
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

namespace segkit_test_align {

TEST_CASE("customer flows match customers by id and count those who left or arrived") {
  // a, b, c before; b, c, d now (c moved from 1 to 2, d arrived in 7, a left from 0).
  const segkit::SegmentFlows f = segkit::customer_flows({"a", "b", "c"}, {0, 1, 1}, {"d", "c", "b"}, {7, 2, 1});
  CHECK(f.from_ids == std::vector<std::size_t>{0, 1});
  CHECK(f.to_ids == std::vector<std::size_t>{1, 2, 7});
  const xt::xtensor<std::size_t, 2> expected = {{0, 0, 0}, {1, 1, 0}};
  CHECK(f.customers == expected);
  CHECK(f.total == 2);
  CHECK(f.stayed == 1);
  CHECK(f.left == std::vector<std::size_t>{1, 0});
  CHECK(f.arrived == std::vector<std::size_t>{0, 0, 1});
  CHECK_THROWS_WITH_AS(segkit::customer_flows({"a", "b", "a"}, {0, 1, 1}, {"a"}, {0}, "old.csv"),
                       "old.csv: customer \"a\" is given twice (at positions 1 and 3)", segkit::error);
  CHECK_THROWS_WITH_AS(segkit::customer_flows({"a"}, {0}, {"x", "x"}, {0, 0}, "old.csv", "new.csv"),
                       "new.csv: customer \"x\" is given twice (at positions 1 and 2)", segkit::error);
}

namespace {

/// A directory of the test's own, removed at the end.
struct Scratch {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("segkit-align-" + std::to_string(std::random_device{}()));
  Scratch() { std::filesystem::create_directories(dir); }
  ~Scratch() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  /// A CSV of `header` and the given lines, in that order.
  std::string write(const std::string& name, const std::string& header, const std::vector<std::string>& lines) const {
    const std::filesystem::path path = dir / name;
    std::ofstream out(path, std::ios::binary);
    out << header << "\n";
    for (const std::string& line : lines) out << line << "\n";
    return path.string();
  }
};

/// The header and the data lines of a bundled dataset.
std::pair<std::string, std::vector<std::string>> lines_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::string header, line;
  std::getline(in, header);
  std::vector<std::string> lines;
  while (std::getline(in, line))
    if (!line.empty()) lines.push_back(line);
  return {header, lines};
}

const std::string bundled = std::string(SEGKIT_FIXTURE_DIR) + "/../../data/";

segkit::workflow::Segmentation segmented(const std::string& path, std::size_t k,
                                         const std::vector<std::string>& columns = {},
                                         std::optional<segkit::PreviousSegments> previous = {},
                                         const segkit::workflow::Segmentation* before = nullptr) {
  segkit::workflow::SegmentOptions options;
  options.prepare.columns = columns;
  options.cluster.k = k;
  options.cluster.seed = 3;
  options.previous = std::move(previous);
  options.source = path;
  if (before) {
    std::vector<std::size_t> ids;
    for (const std::size_t l : before->fit.labels) ids.push_back(before->fit.id_of(l));
    options.previous_labels = std::pair{before->ids, ids};
  }
  return segkit::workflow::segment(segkit::workflow::read_customers(path, {}), options);
}

/// Each customer's segment id, by customer id.
std::map<std::string, std::size_t> ids_by_customer(const segkit::workflow::Segmentation& s) {
  std::map<std::string, std::size_t> out;
  for (std::size_t i = 0; i < s.ids.size(); ++i) out[s.ids[i]] = s.fit.id_of(s.fit.labels[i]);
  return out;
}

}  // namespace

TEST_CASE("a refit of the same customers in another order, aligned with the first model, gives every customer its id") {
  const Scratch scratch;
  auto [header, lines] = lines_of(bundled + "mall_customers/Mall_Customers.csv");
  const std::vector<std::string> columns = {"Annual Income (k$)", "Spending Score (1-100)"};
  const std::string first = scratch.write("first.csv", header, lines);
  // Shuffled (seeded) for one refit, reversed for the other.
  std::vector<std::string> shuffled_lines = lines;
  std::shuffle(shuffled_lines.begin(), shuffled_lines.end(), std::mt19937(2026));
  const std::string shuffled = scratch.write("shuffled.csv", header, shuffled_lines);
  std::reverse(lines.begin(), lines.end());
  const std::string reversed = scratch.write("reversed.csv", header, lines);

  const auto before = segmented(first, 5, columns);
  CHECK(before.fit.segment_ids == std::vector<std::size_t>{0, 1, 2, 3, 4});
  CHECK_FALSE(before.drift);
  // Without alignment the refit numbers the same segments otherwise: alignment has work to do.
  const auto unaligned = segmented(reversed, 5, columns);
  CHECK(ids_by_customer(unaligned) != ids_by_customer(before));

  const segkit::io::Model model = segkit::workflow::model_of(before);
  const auto after = segmented(reversed, 5, columns, segkit::io::previous_segments(model, "first.json"), &before);
  CHECK(ids_by_customer(after) == ids_by_customer(before));
  REQUIRE(after.drift);
  const segkit::workflow::Drift& drift = *after.drift;
  CHECK(drift.source == "first.json");
  CHECK(drift.appeared.empty());
  CHECK(drift.vanished.empty());
  CHECK(std::all_of(drift.persisted.begin(), drift.persisted.end(), [](bool p) { return p; }));
  for (const double moved : drift.moved) CHECK(moved < 1e-9);  // the same centres, summed in another order
  REQUIRE(drift.flows);
  CHECK(drift.flows->total == 200);
  CHECK(drift.flows->stayed == 200);
  // The fit itself is the unaligned one renumbered: same centres, same inertia.
  CHECK(after.fit.inertia == doctest::Approx(unaligned.fit.inertia).epsilon(1e-12));
  const auto reshuffled = segmented(shuffled, 5, columns, segkit::io::previous_segments(model, "first.json"));
  CHECK(ids_by_customer(reshuffled) == ids_by_customer(before));
  // Outputs show the ids: labels file, profiles, the model file, the report's tables.
  const std::string labels = segkit::workflow::labels_csv(after);
  CHECK(labels.find(after.ids[0] + "," + std::to_string(after.fit.id_of(after.fit.labels[0])) + "\n") !=
        std::string::npos);
}

TEST_CASE("marketing customers with a tenth replaced: ids kept, new segments numbered on, the flows add up") {
  const Scratch scratch;
  const auto [header, lines] = lines_of(bundled + "customer_personality/marketing_campaign.csv");
  const std::size_t n = lines.size(), tenth = n / 10;
  // Yesterday: every customer but the last tenth; today: every customer but the first tenth.
  const std::string yesterday =
      scratch.write("yesterday.csv", header, std::vector<std::string>(lines.begin(), lines.end() - tenth));
  const std::string today =
      scratch.write("today.csv", header, std::vector<std::string>(lines.begin() + tenth, lines.end()));

  const auto before = segmented(yesterday, 4);
  segkit::io::Model model = segkit::workflow::model_of(before);
  // Through the model file, as a nightly job keeps it.
  model = segkit::io::model_from_json(segkit::io::to_json(model), "yesterday.json");
  for (const std::size_t k : {4, 5, 3}) {
    CAPTURE(k);
    const auto after = segmented(today, k, {}, segkit::io::previous_segments(model, "yesterday.json"), &before);
    REQUIRE(after.drift);
    const segkit::workflow::Drift& drift = *after.drift;
    REQUIRE(drift.flows);
    const segkit::SegmentFlows& f = *drift.flows;
    // Customers in both files: all but the two tenths; each one counted once.
    CHECK(f.total == n - 2 * tenth);
    CHECK(xt::sum(f.customers)() == f.total);
    CHECK(std::accumulate(f.left.begin(), f.left.end(), std::size_t{0}) == tenth);
    CHECK(std::accumulate(f.arrived.begin(), f.arrived.end(), std::size_t{0}) == tenth);
    // Each row with its leavers is a segment of yesterday; each column with its arrivals one of today.
    std::map<std::size_t, std::size_t> size_before, size_now;
    for (const std::size_t l : before.fit.labels) ++size_before[before.fit.id_of(l)];
    for (const std::size_t l : after.fit.labels) ++size_now[after.fit.id_of(l)];
    for (std::size_t a = 0; a < f.from_ids.size(); ++a) {
      std::size_t row = f.left[a];
      for (std::size_t b = 0; b < f.to_ids.size(); ++b) row += f.customers(a, b);
      CHECK(row == size_before[f.from_ids[a]]);
    }
    for (std::size_t b = 0; b < f.to_ids.size(); ++b) {
      std::size_t column = f.arrived[b];
      for (std::size_t a = 0; a < f.from_ids.size(); ++a) column += f.customers(a, b);
      CHECK(column == size_now[f.to_ids[b]]);
    }
    // Ids: previous ones where segments persist, 4, 5, ... for new ones; labels run in id order.
    CHECK(std::is_sorted(after.fit.segment_ids.begin(), after.fit.segment_ids.end()));
    CHECK(drift.appeared.size() == (k > 4 ? k - 4 : 0));
    CHECK(drift.vanished.size() == (k < 4 ? 4 - k : 0));
    for (const std::size_t id : drift.appeared) CHECK(id >= 4);
    CHECK(after.fit.next_segment_id == std::max<std::size_t>(4, after.fit.segment_ids.back() + 1));
    for (std::size_t j = 0; j < k; ++j) CHECK(after.profiles.segments[j].id == after.fit.segment_ids[j]);
    // With as many segments as yesterday, most customers in both files keep their segment.
    if (k == 4) CHECK(f.stayed * 10 >= f.total * 9);
    // The model of the refit carries the ids on, through its file.
    const segkit::io::Model refit =
        segkit::io::model_from_json(segkit::io::to_json(segkit::workflow::model_of(after)), "today.json");
    for (std::size_t j = 0; j < k; ++j) CHECK(refit.segment_id(j) == after.fit.segment_ids[j]);
    CHECK(refit.next_segment_id == after.fit.next_segment_id);
    // The report says what changed: both tables, the flows' totals in the last row.
    const segkit::workflow::DriftCells cells = segkit::workflow::drift_cells(after);
    CHECK(cells.segments.size() == k + drift.vanished.size());
    CHECK(cells.flows.back().back() == std::to_string(n - tenth));
    CHECK(cells.flows[cells.flows.size() - 2].back() == std::to_string(tenth));
  }
}

TEST_CASE("aligning refuses other features, and previous labels that are not a labels file") {
  const Scratch scratch;
  const auto [header, lines] = lines_of(bundled + "mall_customers/Mall_Customers.csv");
  const std::string file = scratch.write("mall.csv", header, lines);
  const auto before = segmented(file, 5, {"Annual Income (k$)", "Spending Score (1-100)"});
  const segkit::PreviousSegments previous =
      segkit::io::previous_segments(segkit::workflow::model_of(before), "old.json");
  CHECK_THROWS_WITH_AS(segmented(file, 5, {"Age", "Spending Score (1-100)"}, previous),
                       "old.json: segments can be aligned only on the same features; the previous segments have "
                       "\"Annual Income (k$)\", which this fit has not; this fit has \"Age\", which the previous "
                       "segments have not. Prepare the data as the previous fit did (--features, --log-skewed).",
                       segkit::error);
  segkit::PreviousSegments logged = previous;
  logged.logged = {true, false};
  CHECK_THROWS_WITH_AS(segmented(file, 5, {"Annual Income (k$)", "Spending Score (1-100)"}, logged),
                       "old.json: feature \"Annual Income (k$)\" is log1p of its column in the previous segments but "
                       "not in this fit (--log-skewed): centres in other units are not comparable",
                       segkit::error);
  // The same features in another order align as well.
  const auto swapped = segmented(file, 5, {"Spending Score (1-100)", "Annual Income (k$)"}, previous);
  CHECK(ids_by_customer(swapped) == ids_by_customer(before));

  const std::string bad = scratch.write("bad.csv", "CustomerID,segment", {"1,0", "2,x", "3,1"});
  CHECK_THROWS_WITH_AS(segkit::workflow::read_segment_labels(bad),
                       doctest::Contains("bad.csv\", line 3, column 2 (\"segment\"): \"x\" is not a segment id"),
                       segkit::error);
  const std::string negative = scratch.write("negative.csv", "CustomerID,segment", {"1,-1"});
  CHECK_THROWS_WITH_AS(segkit::workflow::read_segment_labels(negative),
                       doctest::Contains("line 2, column 2 (\"segment\"): \"-1\" is not a segment id"), segkit::error);
  const std::string none = scratch.write("none.csv", "CustomerID,cluster", {"1,0"});
  CHECK_THROWS_WITH_AS(segkit::workflow::read_segment_labels(none),
                       doctest::Contains("no \"segment\" column: not a labels file of segkit segment --out"),
                       segkit::error);
  const std::string twice = scratch.write("twice.csv", "CustomerID,segment", {"0001,0", "0002,1", "0001,1"});
  const auto labels = segkit::workflow::read_segment_labels(twice);
  CHECK(labels.first == std::vector<std::string>{"0001", "0002", "0001"});  // ids stay names
  CHECK_THROWS_WITH_AS(segkit::customer_flows(labels.first, labels.second, {"0001"}, {0}, twice),
                       doctest::Contains("customer \"0001\" is given twice (at positions 1 and 3)"), segkit::error);
}

TEST_CASE("RFM computed elsewhere segments as the log's own, and an RFM refit keeps the previous model's ids") {
  segkit::workflow::RfmSegmentOptions options;
  options.columns = {.customer = "customer_id", .date = "trans_date", .amount = "tran_amount"};
  options.cluster.k = 4;
  options.cluster.seed = 1;
  const segkit::data::Table log =
      segkit::data::read_csv(bundled + "retail_data_transactions/Retail_Data_Transactions.csv",
                             segkit::workflow::rfm_read_options(options.columns));
  const auto first = segkit::workflow::segment_rfm(log, options);
  REQUIRE(first.rfm.size() == 6889);
  CHECK_FALSE(first.drift);
  // What a database gives (examples/postgres): the customers and their R, F and M, nothing else.
  segkit::rfm::Rfm from_sql;
  from_sql.customers = first.rfm.customers;
  from_sql.recency = first.rfm.recency;
  from_sql.frequency = first.rfm.frequency;
  from_sql.monetary = first.rfm.monetary;
  const auto again = segkit::workflow::segment_rfm(from_sql, options);
  CHECK(again.fit.labels == first.fit.labels);
  CHECK(again.fit.inertia == first.fit.inertia);

  // Refitted from other starts: without alignment numbered otherwise, aligned with the ids kept.
  options.cluster.seed = 3;
  const auto unaligned = segkit::workflow::segment_rfm(from_sql, options);
  CHECK(unaligned.fit.labels != first.fit.labels);
  std::vector<std::size_t> first_ids;
  for (const std::size_t label : first.fit.labels) first_ids.push_back(first.fit.id_of(label));
  options.previous = segkit::io::previous_segments(segkit::workflow::model_of(first, options.columns), "rfm.json");
  options.previous_labels = std::make_pair(first.rfm.customers, first_ids);
  const auto aligned = segkit::workflow::segment_rfm(from_sql, options);
  REQUIRE(aligned.drift);
  CHECK(std::all_of(aligned.drift->persisted.begin(), aligned.drift->persisted.end(), [](bool p) { return p; }));
  REQUIRE(aligned.drift->flows);
  CHECK(aligned.drift->flows->total == 6889);
  std::size_t same = 0;
  for (std::size_t i = 0; i < first_ids.size(); ++i) same += aligned.fit.id_of(aligned.fit.labels[i]) == first_ids[i];
  CHECK(aligned.drift->flows->stayed == same);
  CHECK(same >= 6800);  // a few customers on the borders of another local optimum move
  REQUIRE(aligned.profiles.segments.size() == 4);
  for (std::size_t j = 0; j < 4; ++j) CHECK(aligned.profiles.segments[j].id == aligned.fit.segment_ids[j]);
  const segkit::io::Model model = segkit::workflow::model_of(aligned, options.columns);
  CHECK(model.segment_ids == aligned.fit.segment_ids);

  // Refused: labels without the segments, a model of other features, R, F and M of other lengths.
  segkit::workflow::RfmSegmentOptions labels_only;
  labels_only.previous_labels = options.previous_labels;
  CHECK_THROWS_WITH_AS(segkit::workflow::segment_rfm(from_sql, labels_only),
                       doctest::Contains("only beside the previous segments"), segkit::error);
  const auto mall =
      segmented(bundled + "mall_customers/Mall_Customers.csv", 5, {"Annual Income (k$)", "Spending Score (1-100)"});
  segkit::workflow::RfmSegmentOptions other;
  other.previous = segkit::io::previous_segments(segkit::workflow::model_of(mall), "mall.json");
  CHECK_THROWS_WITH_AS(segkit::workflow::segment_rfm(from_sql, other),
                       doctest::Contains("mall.json: segments can be aligned only on the same features"),
                       segkit::error);
  segkit::rfm::Rfm short_rfm = from_sql;
  short_rfm.monetary.pop_back();
  CHECK_THROWS_WITH_AS(segkit::workflow::segment_rfm(short_rfm, options),
                       "RFM of 6889 customers with 6889 recencies, 6889 frequencies and 6888 monetary values",
                       segkit::error);
}

TEST_CASE("a model file keeps segment ids and the next id, and refuses ids that cannot be") {
  const Scratch scratch;
  const auto [header, lines] = lines_of(bundled + "mall_customers/Mall_Customers.csv");
  const std::string file = scratch.write("mall.csv", header, lines);
  const auto s = segmented(file, 3, {"Annual Income (k$)", "Spending Score (1-100)"});
  segkit::io::Model model = segkit::workflow::model_of(s);
  // Ids 0..k-1 and nothing given out beyond: written as before, without the fields.
  CHECK(segkit::io::to_json(model).find("segment_ids") == std::string::npos);
  model.segment_ids = {2, 5, 9};
  model.next_segment_id = 12;
  const std::string text = segkit::io::to_json(model);
  const segkit::io::Model back = segkit::io::model_from_json(text, "m.json");
  CHECK(back.segment_ids == model.segment_ids);
  CHECK(back.next_segment_id == 12);
  CHECK(back.segment_id(1) == 5);
  const segkit::PreviousSegments previous = segkit::io::previous_segments(back);
  CHECK(previous.ids == model.segment_ids);
  CHECK(previous.next_id == 12);
  // predict gives labels; their ids are segment_id's.
  const auto table = segkit::workflow::read_customers(file, {});
  const auto assignment = back.predict(table.table);
  for (std::size_t i = 0; i < assignment.labels.size(); ++i) CHECK(assignment.labels[i] == s.fit.labels[i]);

  // Edited as a hand-written or corrupted file would be.
  auto edited = [&](const char* field, const nlohmann::json& value) {
    nlohmann::json j = nlohmann::json::parse(text);
    j[field] = value;
    return j.dump(1);
  };
  CHECK_THROWS_WITH_AS(segkit::io::model_from_json(edited("next_segment_id", 9), "m.json"),
                       "m.json: field \"next_segment_id\" is 9, an id already given out (the ids run to 9)",
                       segkit::error);
  CHECK_THROWS_WITH_AS(segkit::io::model_from_json(edited("next_segment_id", -1), "m.json"),
                       "m.json: field \"next_segment_id\" must be a whole number from 0 to 2^53, not -1",
                       segkit::error);
  CHECK_THROWS_WITH_AS(segkit::io::model_from_json(edited("segment_ids", {2, 5, 2}), "m.json"),
                       "m.json: field \"segment_ids[2]\" is 2, the id of segment_ids[0] too", segkit::error);
  CHECK_THROWS_WITH_AS(segkit::io::model_from_json(edited("segment_ids", {2, 5}), "m.json"),
                       "m.json: field \"segment_ids\" has 2 ids for 3 segments", segkit::error);
  CHECK_THROWS_WITH_AS(segkit::io::model_from_json(edited("segment_ids", {2, 5, 1.5}), "m.json"),
                       "m.json: field \"segment_ids[2]\" must be a whole number from 0 to 2^53, not 1.5",
                       segkit::error);
}

}  // namespace segkit_test_align

namespace segkit_test_align {

TEST_CASE("partial_fit: a fit's own customers leave it in place, one customer moves its segment by 1 / (count + 1)") {
  const Scratch scratch;
  const auto [header, lines] = lines_of(bundled + "mall_customers/Mall_Customers.csv");
  const std::string file = scratch.write("mall.csv", header, lines);
  const auto s = segmented(file, 5, {"Annual Income (k$)", "Spending Score (1-100)"});
  const segkit::io::Model fitted = segkit::workflow::model_of(s);
  REQUIRE(fitted.counts.size() == 5);
  const auto table = segkit::workflow::read_customers(file, {}).table;

  // Lloyd's fixed point is one of the mini-batch rule's: each centre is already its members' mean.
  segkit::io::Model again = fitted;
  const segkit::io::Update update = segkit::io::partial_fit(again, table);
  CHECK(update.assignment.labels == s.fit.labels);
  for (std::size_t c = 0; c < 5; ++c) {
    CHECK(again.counts[c] == 2 * fitted.counts[c]);
    CHECK(update.added[c] == static_cast<std::size_t>(fitted.counts[c]));
    CHECK(update.moved[c] < 1e-12);
    for (std::size_t j = 0; j < 2; ++j)
      CHECK(again.centers(c, j) == doctest::Approx(fitted.centers(c, j)).epsilon(1e-12));
  }

  // One customer: its segment's centre moves a 1 / (count + 1) of the way to it, the others stay.
  segkit::data::Table one;
  one.add(segkit::data::Column::numeric("Annual Income (k$)", {150.0}))
      .add(segkit::data::Column::numeric("Spending Score (1-100)", {5.0}));
  segkit::io::Model moved = fitted;
  const segkit::io::Update single = segkit::io::partial_fit(moved, one);
  REQUIRE(single.assignment.labels.size() == 1);
  const std::size_t c = single.assignment.labels[0];
  const xt::xtensor<double, 2> x = fitted.scaler.transform(xt::xtensor<double, 2>{{150.0, 5.0}});
  double distance = 0;
  for (std::size_t j = 0; j < 2; ++j) {
    CHECK(moved.centers(c, j) ==
          doctest::Approx(fitted.centers(c, j) + (x(0, j) - fitted.centers(c, j)) / (fitted.counts[c] + 1))
              .epsilon(1e-12));
    distance += (x(0, j) - fitted.centers(c, j)) * (x(0, j) - fitted.centers(c, j));
  }
  CHECK(single.moved[c] == doctest::Approx(std::sqrt(distance) / (fitted.counts[c] + 1)).epsilon(1e-12));
  CHECK(moved.counts[c] == fitted.counts[c] + 1);
  for (std::size_t other = 0; other < 5; ++other)
    if (other != c) CHECK(single.moved[other] == 0);

  // Through the model file, counts and all; refused without counts or for a distance whose centre is no mean.
  const segkit::io::Model back = segkit::io::model_from_json(segkit::io::to_json(moved), "m.json");
  CHECK(back.counts == moved.counts);
  segkit::io::Model no_counts = fitted;
  no_counts.counts.clear();
  CHECK_THROWS_WITH_AS(segkit::io::partial_fit(no_counts, one),
                       doctest::Contains("the model has no count of the customers behind each segment"), segkit::error);
  segkit::io::Model manhattan = fitted;
  manhattan.distance = "manhattan";
  CHECK_THROWS_WITH_AS(segkit::io::partial_fit(manhattan, one),
                       doctest::Contains("the centre of the squared Euclidean distance only, not of \"manhattan\""),
                       segkit::error);
  nlohmann::json j = nlohmann::json::parse(segkit::io::to_json(fitted));
  j["counts"][1] = -3;
  CHECK_THROWS_WITH_AS(segkit::io::model_from_json(j.dump(), "m.json"),
                       "m.json: field \"counts[1]\" must be a number of customers, at least 0, not -3", segkit::error);
  j["counts"] = {1, 2};
  CHECK_THROWS_WITH_AS(segkit::io::model_from_json(j.dump(), "m.json"),
                       "m.json: field \"counts\" has 2 values for 5 segments", segkit::error);
}

}  // namespace segkit_test_align
