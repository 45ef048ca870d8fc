// RFM: hand-made logs with exact answers, the cut pieces of two real transaction
// logs against tests/fixtures/make_rfm_fixtures.py, and the bad-input errors.

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <map>
#include <tuple>
#include <string>
#include <vector>

#include <segkit/pipeline/pipeline.hpp>
#include <segkit/rfm/rfm.hpp>

#include "fixture.hpp"

// The suite's files are compiled together (a unity build): each keeps its helpers to itself.
namespace segkit_test_rfm {

using segkit::rfm::Segment;
using segkit::test::Fixture;

namespace {

// Deliberately small readers for the two formats (segkit::data reads real files).
struct Log {
  std::vector<std::string> customer;
  std::vector<std::int64_t> date;
  std::vector<double> amount;
};

/// Retail_Data_Transactions.csv: "customer_id,trans_date,tran_amount", dates dd-Mon-yy (20yy), CRLF.
Log read_retail(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  static const std::string months = "JanFebMarAprMayJunJulAugSepOctNovDec";
  Log log;
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const std::size_t a = line.find(','), b = line.find(',', a + 1);
    const std::string date = line.substr(a + 1, b - a - 1);  // 11-Feb-13
    const std::size_t m = months.find(date.substr(3, 3));
    if (m == std::string::npos || m % 3 != 0) throw std::runtime_error(path + ": bad month in " + line);
    log.customer.push_back(line.substr(0, a));
    log.date.push_back(segkit::days_from_civil(2000 + std::stoi(date.substr(7)), static_cast<unsigned>(m / 3 + 1),
                                               static_cast<unsigned>(std::stoi(date.substr(0, 2)))));
    log.amount.push_back(std::stod(line.substr(b + 1)));
  }
  return log;
}

/// CDNOW_master.txt: no header, space-padded "id yyyymmdd cds dollars", CRLF.
Log read_cdnow(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  Log log;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id;
    long ymd = 0, cds = 0;
    double dollars = 0;
    if (!(fields >> id >> ymd >> cds >> dollars)) continue;
    log.customer.push_back(id);
    log.date.push_back(segkit::days_from_civil(static_cast<int>(ymd / 10000), static_cast<unsigned>(ymd / 100 % 100),
                                               static_cast<unsigned>(ymd % 100)));
    log.amount.push_back(dollars);
  }
  return log;
}

std::string cut(const std::string& name) { return std::string(SEGKIT_FIXTURE_DIR) + "/../rfm_data/" + name; }

std::int64_t day(int y, unsigned m, unsigned d) { return segkit::days_from_civil(y, m, d); }

template <class V>
void check_column(const std::vector<V>& got, const xt::xtensor<double, 2>& want, const char* what) {
  const std::string column = what;
  CAPTURE(column);
  REQUIRE(got.size() == want.shape(0));
  std::size_t wrong = 0, first = got.size();
  for (std::size_t i = 0; i < got.size(); ++i)
    if (static_cast<double>(got[i]) != want(i, 0)) ++wrong, first = std::min(first, i);
  INFO(wrong << " differ, first at customer " << first);
  CHECK(wrong == 0);
}

/// The parts of a cut's reference that follow from its RFM: scores, named segments,
/// and the frequency when every row counts.
void check_scores_and_rows(const segkit::rfm::Rfm& rfm, const Log& log, const Fixture& f) {
  const segkit::rfm::RfmScores s = segkit::rfm::score_rfm(rfm, segkit::rfm::Ties::in_order);
  check_column(s.r, f["r_score"], "R score");
  check_column(s.f, f["f_score"], "F score");
  check_column(s.m, f["m_score"], "M score");
  std::vector<int> segments;
  for (const Segment seg : segkit::rfm::rf_segments(s)) segments.push_back(static_cast<int>(seg));
  check_column(segments, f["segment"], "segment");
  const segkit::rfm::Rfm by_rows = segkit::rfm::compute_rfm(
      log.customer, log.date, log.amount, segkit::rfm::RfmOptions{.frequency = segkit::rfm::FrequencyCount::rows});
  check_column(by_rows.frequency, f["frequency_rows"], "frequency (rows)");
}

}  // namespace

TEST_CASE("days_from_civil counts days from 1970-01-01 and rejects impossible dates") {
  CHECK(segkit::days_from_civil(1970, 1, 1) == 0);
  CHECK(segkit::days_from_civil(1969, 12, 31) == -1);
  CHECK(segkit::days_from_civil(2013, 2, 11) == 15747);
  CHECK(segkit::days_from_civil(2000, 3, 1) - segkit::days_from_civil(2000, 2, 28) == 2);  // leap year
  CHECK(segkit::format_date(15747) == "2013-02-11");
  CHECK_THROWS_AS(segkit::days_from_civil(2013, 2, 29), segkit::error);
  CHECK_THROWS_AS(segkit::days_from_civil(2013, 13, 1), segkit::error);
}

TEST_CASE("RFM of a hand-made log: returns, missing customers, same-day rows, as-of date") {
  const std::vector<std::string> customer = {"B", "A", "", "A", "A", "B", "C", "D"};
  const std::vector<std::int64_t> date = {day(2020, 1, 10), day(2020, 1, 1),  day(2020, 1, 5),  day(2020, 1, 1),
                                          day(2020, 1, 20), day(2020, 1, 15), day(2020, 1, 31), day(2020, 1, 12)};
  const std::vector<double> amount = {30, 10, 99, 5, 20, -10, 0, -7};

  const segkit::rfm::Rfm rfm = segkit::rfm::compute_rfm(customer, date, amount);
  CHECK(rfm.customers == std::vector<std::string>{"A", "B", "C"});  // D only returned: no recency
  CHECK(rfm.recency == std::vector<std::int64_t>{12, 22, 1});       // as of 2020-02-01
  CHECK(rfm.frequency == std::vector<std::size_t>{2, 1, 1});        // A: two rows on 01-01 are one day
  CHECK(rfm.monetary == std::vector<double>{35, 20, 0});            // B: 30 bought, 10 returned
  CHECK(rfm.first_purchase == std::vector<std::int64_t>{day(2020, 1, 1), day(2020, 1, 10), day(2020, 1, 31)});
  const segkit::rfm::RfmReport& r = rfm.report;
  CHECK(r.as_of == day(2020, 2, 1));
  CHECK(r.frequency == segkit::rfm::FrequencyCount::days);
  CHECK(r.rows == 8);
  CHECK(r.missing_customer == 1);
  CHECK(r.purchases == 5);
  CHECK(r.returns == 2);
  CHECK(r.cancelled_invoice_rows == 0);
  CHECK(r.returned_amount == 17);
  CHECK(r.zero_amount_rows == 1);
  CHECK(r.customers_without_purchase == std::vector<std::string>{"D"});
  CHECK(r.first_date == day(2020, 1, 1));
  CHECK(r.last_date == day(2020, 1, 31));

  segkit::rfm::RfmOptions rows{.frequency = segkit::rfm::FrequencyCount::rows};
  rows.as_of = day(2020, 3, 1);
  const segkit::rfm::Rfm by_rows = segkit::rfm::compute_rfm(customer, date, amount, rows);
  CHECK(by_rows.frequency == std::vector<std::size_t>{3, 1, 1});
  CHECK(by_rows.recency == std::vector<std::int64_t>{41, 51, 30});
}

TEST_CASE("with invoice ids, frequency counts invoices and 'C' invoices are cancellations") {
  // UCI Online Retail style: one row per line item, cancellations "C…" with negative quantity.
  const std::vector<std::string> customer = {"12346", "12346", "12346", "12346", "12347", "12347", "12347"};
  const std::vector<std::string> invoice = {"536365", "536365", "536366", "C536367", "536370", "", "C536371"};
  const std::vector<std::int64_t> date = {day(2011, 1, 3), day(2011, 1, 3), day(2011, 1, 3), day(2011, 1, 9),
                                          day(2011, 1, 5), day(2011, 1, 6), day(2011, 1, 7)};
  const std::vector<double> amount = {10, 5, 7, -4, 20, 3, 2};  // the last: a cancellation with a positive amount

  const segkit::rfm::Rfm rfm = segkit::rfm::compute_rfm(customer, date, amount, invoice);
  CHECK(rfm.report.frequency == segkit::rfm::FrequencyCount::invoices);
  CHECK(rfm.customers == std::vector<std::string>{"12346", "12347"});
  CHECK(rfm.frequency == std::vector<std::size_t>{2, 2});  // 12347: one named invoice, one row without
  CHECK(rfm.monetary == std::vector<double>{18, 21});
  CHECK(rfm.report.as_of == day(2011, 1, 7));  // the cancellations are no purchases
  CHECK(rfm.recency == std::vector<std::int64_t>{4, 1});
  CHECK(rfm.report.returns == 2);
  CHECK(rfm.report.cancelled_invoice_rows == 2);
  CHECK(rfm.report.returned_amount == 6);
  CHECK(rfm.report.rows_without_invoice == 1);

  segkit::rfm::RfmOptions days{.frequency = segkit::rfm::FrequencyCount::days};
  CHECK(segkit::rfm::compute_rfm(customer, date, amount, invoice, days).frequency == std::vector<std::size_t>{1, 2});
  segkit::rfm::RfmOptions no_prefix{.cancellation_prefix = ""};
  const segkit::rfm::Rfm plain = segkit::rfm::compute_rfm(customer, date, amount, invoice, no_prefix);
  CHECK(plain.monetary == std::vector<double>{18, 25});  // C536371 is now a purchase
  CHECK(plain.frequency == std::vector<std::size_t>{2, 3});
}

TEST_CASE("quintile scores cut the ranks like pandas qcut(rank(method='first'), 5), or score ties alike") {
  using segkit::rfm::Ties;
  const std::vector<double> values = {10, 20, 20, 30, 40, 50, 60, 70, 80, 90};
  CHECK(segkit::rfm::quintile_scores(values, Ties::in_order) == std::vector<int>{1, 1, 2, 2, 3, 3, 4, 4, 5, 5});
  // By value (the default), the two 20s score as their middle rank would: alike.
  CHECK(segkit::rfm::quintile_scores(values) == std::vector<int>{1, 1, 1, 2, 3, 3, 4, 4, 5, 5});
  // In order, the input's order decides between equal values; by value they all score the middle.
  const std::vector<int> seven = {5, 5, 5, 5, 5, 5, 5};
  CHECK(segkit::rfm::quintile_scores(seven, Ties::in_order) == std::vector<int>{1, 1, 2, 3, 4, 5, 5});
  CHECK(segkit::rfm::quintile_scores(seven) == std::vector<int>(7, 3));
  // Without ties the two rules agree.
  const std::vector<int> distinct = {7, 3, 9, 1, 4, 8, 2, 6, 5, 0, 11};
  CHECK(segkit::rfm::quintile_scores(distinct) == segkit::rfm::quintile_scores(distinct, Ties::in_order));
  CHECK(segkit::rfm::quintile_scores(std::vector<int>{42}) == std::vector<int>{3});
  CHECK(segkit::rfm::quintile_scores(std::vector<int>{}).empty());

  segkit::rfm::Rfm rfm;
  rfm.customers = {"a", "b", "c", "d", "e"};
  rfm.recency = {1, 50, 10, 200, 30};
  rfm.frequency = {9, 1, 3, 1, 2};
  rfm.monetary = {500, 20, 90, 5, 60};
  const segkit::rfm::RfmScores ordered = segkit::rfm::score_rfm(rfm, Ties::in_order);
  CHECK(ordered.r == std::vector<int>{5, 2, 4, 1, 3});  // most recent = 5
  CHECK(ordered.f == std::vector<int>{5, 1, 4, 2, 3});  // b and d tie at 1: b comes first
  CHECK(ordered.m == std::vector<int>{5, 2, 4, 1, 3});
  const segkit::rfm::RfmScores s = segkit::rfm::score_rfm(rfm);
  CHECK(s.r == ordered.r);
  CHECK(s.f == std::vector<int>{5, 1, 4, 1, 3});  // b and d tie at 1: both score 1
  CHECK(s.m == ordered.m);
}

TEST_CASE("customers with the same recency, frequency and spend get the same scores and segment") {
  // CDNOW's first 200 rows: many one-purchase customers share their whole RFM.
  const Log log = read_cdnow(cut("cdnow_master_head200.txt"));
  const segkit::rfm::Rfm rfm = segkit::rfm::compute_rfm(log.customer, log.date, log.amount);
  const segkit::rfm::RfmScores s = segkit::rfm::score_rfm(rfm);
  const auto segments = segkit::rfm::rf_segments(s);
  std::map<std::tuple<std::int64_t, std::size_t, double>, std::size_t> first_with;
  std::size_t shared = 0, differ = 0;
  for (std::size_t i = 0; i < rfm.size(); ++i) {
    const auto key = std::make_tuple(static_cast<std::int64_t>(rfm.recency[i]),
                                     static_cast<std::size_t>(rfm.frequency[i]), rfm.monetary[i]);
    const auto [it, fresh] = first_with.emplace(key, i);
    if (fresh) continue;
    ++shared;
    const std::size_t j = it->second;
    differ += s.r[i] != s.r[j] || s.f[i] != s.f[j] || s.m[i] != s.m[j] || segments[i] != segments[j];
  }
  CHECK(shared > 0);  // the data has such customers, so the check checks something
  CHECK(differ == 0);
}

TEST_CASE("the R/F segment map covers the grid as the notebooks' regex map does") {
  using S = Segment;
  const S H = S::hibernating, AR = S::at_risk, CL = S::cant_lose_them, AS = S::about_to_sleep, NA = S::need_attention,
          LC = S::loyal_customers, P = S::promising, PL = S::potential_loyalists, NC = S::new_customers,
          C = S::champions;
  const S grid[5][5] = {{H, H, AR, AR, CL},    // R = 1, F = 1..5
                        {H, H, AR, AR, CL},    // R = 2
                        {AS, AS, NA, LC, LC},  // R = 3
                        {P, PL, PL, LC, LC},   // R = 4
                        {NC, PL, PL, C, C}};   // R = 5
  for (int r = 1; r <= 5; ++r)
    for (int f = 1; f <= 5; ++f) {
      CAPTURE(r);
      CAPTURE(f);
      CHECK(segkit::rfm::rf_segment(r, f) == grid[r - 1][f - 1]);
      CHECK(segkit::rfm::rf_segment(r, f, true) == (r == 1 && f == 1 ? S::lost : grid[r - 1][f - 1]));
    }
  CHECK(segkit::rfm::segment_name(S::cant_lose_them) == "Can't Lose Them");
  CHECK(segkit::rfm::segment_name(S::champions) == "Champions");
  CHECK_THROWS_AS(segkit::rfm::rf_segment(0, 3), segkit::error);
  CHECK_THROWS_AS(segkit::rfm::rf_segment(3, 6), segkit::error);
}

TEST_CASE("RFM of the first 199 rows of Retail_Data_Transactions.csv equals the reference") {
  const Log log = read_retail(cut("retail_transactions_head200.csv"));
  REQUIRE(log.customer.size() == 199);
  const Fixture f("rfm_retail_head200");
  const segkit::rfm::Rfm rfm = segkit::rfm::compute_rfm(log.customer, log.date, log.amount);
  CHECK(rfm.report.as_of == static_cast<std::int64_t>(f.scalar("as_of")));
  std::vector<long> ids;
  for (const std::string& c : rfm.customers) ids.push_back(std::stol(c.substr(2)));  // CS5295
  check_column(ids, f["id"], "id");
  check_column(rfm.recency, f["recency"], "recency");
  check_column(rfm.frequency, f["frequency_days"], "frequency (days)");
  check_column(rfm.monetary, f["monetary"], "monetary");
  check_scores_and_rows(rfm, log, f);
  CHECK(rfm.report.missing_customer == 0);
  CHECK(rfm.report.returns == 0);
}

TEST_CASE("RFM of the first 200 rows of CDNOW_master.txt equals the reference") {
  const Log log = read_cdnow(cut("cdnow_master_head200.txt"));
  REQUIRE(log.customer.size() == 200);
  const Fixture f("rfm_cdnow_head200");
  const segkit::rfm::Rfm rfm = segkit::rfm::compute_rfm(log.customer, log.date, log.amount);
  CHECK(rfm.report.as_of == static_cast<std::int64_t>(f.scalar("as_of")));
  std::vector<long> ids;
  for (const std::string& c : rfm.customers) ids.push_back(std::stol(c));
  check_column(ids, f["id"], "id");
  check_column(rfm.recency, f["recency"], "recency");
  check_column(rfm.frequency, f["frequency_days"], "frequency (days)");
  // Dollar amounts with cents: the sums are the same to the last bits, not exactly.
  std::vector<double> monetary(f["monetary"].begin(), f["monetary"].end());
  segkit::test::check_close(rfm.monetary, monetary, 1e-12, 1.0);
  CHECK(rfm.report.zero_amount_rows == 0);
  check_scores_and_rows(rfm, log, f);

  const xt::xtensor<double, 2> X = segkit::rfm::log_rfm_matrix(rfm);
  REQUIRE(X.shape(0) == rfm.size());
  REQUIRE(X.shape(1) == 3);
  for (std::size_t i = 0; i < rfm.size(); ++i) {
    CHECK(X(i, 0) == std::log1p(static_cast<double>(rfm.recency[i])));
    CHECK(X(i, 1) == std::log1p(static_cast<double>(rfm.frequency[i])));
    CHECK(X(i, 2) == std::log1p(rfm.monetary[i]));
  }
}

TEST_CASE("a Pipeline clusters the log-scaled RFM matrix beside the scores") {
  const Log log = read_cdnow(cut("cdnow_master_head200.txt"));
  const segkit::rfm::Rfm rfm = segkit::rfm::compute_rfm(log.customer, log.date, log.amount);
  segkit::Pipeline<> pipeline(segkit::Options{.k = 3, .n_init = 5, .seed = 1});
  pipeline.fit(segkit::rfm::log_rfm_matrix(rfm));
  CHECK(pipeline.labels().size() == rfm.size());
  CHECK(pipeline.centers().shape(1) == 3);
}

TEST_CASE("the log-scaled matrix clips net refunds to 0") {
  const segkit::rfm::Rfm rfm =
      segkit::rfm::compute_rfm({"a", "a", "b"}, {day(2020, 1, 1), day(2020, 1, 2), day(2020, 1, 3)}, {5, -50, 10});
  REQUIRE(rfm.monetary == std::vector<double>{-45, 10});
  const xt::xtensor<double, 2> X = segkit::rfm::log_rfm_matrix(rfm);
  CHECK(X(0, 2) == 0.0);
  CHECK(X(1, 2) == std::log1p(10.0));
}

TEST_CASE("bad transaction logs throw segkit::error naming the problem") {
  const std::vector<std::string> c = {"a", "b", "c"};
  const std::vector<std::int64_t> d = {10, 11, 12};
  auto message = [](auto&& call) -> std::string {
    try {
      call();
    } catch (const segkit::error& e) {
      return e.what();
    }
    return "no error";
  };
  CHECK(message([&] {
          segkit::rfm::compute_rfm(c, {10, 11}, {1, 2, 3});
        }).find("differ in length") != std::string::npos);
  CHECK(message([&] {
          segkit::rfm::compute_rfm(c, d, {1, 2, 3}, {"i1", "i2"});
        }).find("2 invoice id(s)") != std::string::npos);
  CHECK(message([&] { segkit::rfm::compute_rfm({}, {}, {}); }).find("empty") != std::string::npos);
  CHECK(message([&] {
          segkit::rfm::compute_rfm(c, d, {1, std::nan(""), 3});
        }).find("NaN at row 1") != std::string::npos);
  CHECK(message([&] {
          segkit::rfm::compute_rfm(c, d, {1, 2, HUGE_VAL});
        }).find("infinity at row 2") != std::string::npos);
  segkit::rfm::RfmOptions early;
  early.as_of = 11;
  const std::string as_of = message([&] { segkit::rfm::compute_rfm(c, d, {1, 2, 3}, early); });
  CHECK(as_of.find("before the transaction at row 2") != std::string::npos);
  CHECK(as_of.find("customer c, 1970-01-13") != std::string::npos);
  CHECK(message([&] { segkit::rfm::compute_rfm({"", ""}, {1, 2}, {1, 2}); }).find("no purchase") != std::string::npos);
  // Without an as-of date, a purchase after today is a typo, not the snapshot's date.
  const std::int64_t future = segkit::days_from_civil(2999, 1, 1);
  CHECK(message([&] {
          segkit::rfm::compute_rfm(c, {10, future, 12}, {1, 2, 3});
        }).find("the transaction at row 1 (0-based; customer b, 2999-01-01) is dated after today (") !=
        std::string::npos);
  CHECK(message([&] {
          segkit::rfm::compute_rfm(c, d, {1, 2, 3}, segkit::rfm::RfmOptions{.today = 11});
        }).find("customer c, 1970-01-13) is dated after today (1970-01-12)") != std::string::npos);
  segkit::rfm::RfmOptions planned;
  planned.as_of = future + 1;  // a date the caller gives stands, however far
  CHECK_NOTHROW(segkit::rfm::compute_rfm(c, {10, future, 12}, {1, 2, 3}, planned));
  CHECK(message([&] {
          segkit::rfm::compute_rfm(c, d, {1, 2, 3},
                                   segkit::rfm::RfmOptions{.frequency = segkit::rfm::FrequencyCount::invoices});
        }).find("needs invoice ids") != std::string::npos);
}

// The full logs, bundled in data/, against the summary numbers of tests/fixtures/make_rfm_fixtures.py.
TEST_CASE("full transaction logs match the reference summary") {
  const std::string root = std::string(SEGKIT_FIXTURE_DIR) + "/../../data";
  struct Case {
    std::string fixture;
    Log log;
  };
  const Case cases[] = {
      {"rfm_retail_full", read_retail(root + "/retail_data_transactions/Retail_Data_Transactions.csv")},
      {"rfm_cdnow_full", read_cdnow(root + "/cdnow/CDNOW_master.txt")}};
  for (const Case& c : cases) {
    CAPTURE(c.fixture);
    const Fixture f(c.fixture);
    CHECK(c.log.customer.size() == static_cast<std::size_t>(f.scalar("rows")));
    const segkit::rfm::Rfm rfm = segkit::rfm::compute_rfm(c.log.customer, c.log.date, c.log.amount);
    CHECK(rfm.size() == static_cast<std::size_t>(f.scalar("customers")));
    CHECK(rfm.report.as_of == static_cast<std::int64_t>(f.scalar("as_of")));
    double amount = 0, recency = 0, frequency = 0;
    for (std::size_t i = 0; i < rfm.size(); ++i)
      amount += rfm.monetary[i], recency += static_cast<double>(rfm.recency[i]),
          frequency += static_cast<double>(rfm.frequency[i]);
    CHECK(amount == doctest::Approx(f.scalar("amount_sum")).epsilon(1e-12));
    CHECK(recency == f.scalar("recency_sum"));
    CHECK(frequency == f.scalar("frequency_days_sum"));
    const segkit::rfm::RfmScores s = segkit::rfm::score_rfm(rfm, segkit::rfm::Ties::in_order);
    std::vector<double> r(5), fr(5), m(5), seg(11);
    for (std::size_t i = 0; i < rfm.size(); ++i) ++r[s.r[i] - 1], ++fr[s.f[i] - 1], ++m[s.m[i] - 1];
    for (const Segment x : segkit::rfm::rf_segments(s)) ++seg[static_cast<std::size_t>(x)];
    check_column(r, f["r_counts"], "R counts");
    check_column(fr, f["f_counts"], "F counts");
    check_column(m, f["m_counts"], "M counts");
    check_column(seg, f["segment_counts"], "segment counts");

    // Scores by value are a function of the value: cut points replay them exactly, and score
    // a value between two cut points as the customers around it.
    const segkit::rfm::RfmScores by_value = segkit::rfm::score_rfm(rfm);
    const segkit::rfm::RfmCuts cuts = segkit::rfm::rfm_cuts(rfm);
    const segkit::rfm::RfmScores replayed = segkit::rfm::score_rfm(rfm, cuts);
    CHECK(replayed.r == by_value.r);
    CHECK(replayed.f == by_value.f);
    CHECK(replayed.m == by_value.m);
    for (const auto* cut : {&cuts.recency, &cuts.frequency, &cuts.monetary})
      CHECK(std::is_sorted(cut->begin(), cut->end()));
    CHECK(segkit::rfm::score_by_cuts(cuts.monetary[3] + 0.5, cuts.monetary) == 5);
    CHECK(segkit::rfm::score_by_cuts(cuts.monetary[0] - 1e9, cuts.monetary) == 1);
  }
}

}  // namespace segkit_test_rfm
