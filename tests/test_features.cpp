// Preparing features: every step decided at fit, applied the same way at
// predict, and reported.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <segkit/data/csv.hpp>
#include <segkit/features/prepare.hpp>

#include "fixture.hpp"

// The suite's files are compiled together (a unity build): each keeps its helpers to itself.
namespace segkit_test_features {

using segkit::data::Column;
using segkit::data::Table;
using segkit::features::Preparation;
using segkit::features::PrepareOptions;

namespace {

const double missing = std::nan("");

/// Ten customers: an id, a birth year (one far-out entry error), an income with
/// a gap and an entry error, a constant column, a category with a gap, a date.
Table customers() {
  Table t;
  t.add(Column::numeric("ID", {101, 102, 103, 104, 105, 106, 107, 108, 109, 110}));
  t.add(Column::numeric("Year_Birth", {1980, 1975, 1990, 1985, 1970, 1893, 1988, 1982, 1979, 1991}));
  t.add(Column::numeric("Income", {50, 60, missing, 55, 65, 58, 62, 666666, 52, 57}));
  t.add(Column::numeric("Z_CostContact", {3, 3, 3, 3, 3, 3, 3, 3, 3, 3}));
  t.add(Column::categorical("Education", {"PhD", "Master", "PhD", "", "Basic", "PhD", "Master", "PhD", "Basic", "PhD"},
                            {false, false, false, true, false, false, false, false, false, false}));
  const std::int64_t d0 = segkit::data::days_from_civil(2014, 1, 1);
  t.add(Column::date("Dt_Customer",
                     {d0, d0 - 10, d0 - 20, d0 - 30, d0 - 40, d0 - 50, d0 - 60, d0 - 70, d0 - 80, d0 - 90}));
  return t;
}

const segkit::features::Action* find(const std::vector<segkit::features::Action>& actions, const std::string& column,
                                     const std::string& what) {
  for (const auto& a : actions)
    if (a.column.find(column) != std::string::npos && a.what.find(what) != std::string::npos) return &a;
  return nullptr;
}

}  // namespace

TEST_CASE("a known identifier is left out as one, the same as found, and an unknown name is refused") {
  const Table t = customers();
  const Preparation found = Preparation::fit(t);
  segkit::features::PrepareOptions told;
  told.known_identifier = "ID";
  const Preparation known = Preparation::fit(t, told);
  CHECK(find(known.fit_actions(), "ID", "identifier") != nullptr);
  CHECK(known.feature_names() == found.feature_names());
  CHECK(known.transform(t).X == found.transform(t).X);
  // Taken at its word: Education, with repeated values, is then left out as the identifier.
  told.known_identifier = "Education";
  const Preparation education = Preparation::fit(t, told);
  CHECK(find(education.fit_actions(), "Education", "identifier") != nullptr);
  CHECK(find(education.fit_actions(), "ID", "identifier") != nullptr);
  told.known_identifier = "Customer";
  CHECK_THROWS_WITH_AS(Preparation::fit(t, told), doctest::Contains("Customer"), segkit::error);
}

TEST_CASE("ids read as text are identifiers when every present text differs, counting up or not") {
  using segkit::features::is_identifier;
  const auto ids = [](std::vector<std::string> texts, std::vector<bool> missing = {}) {
    return Column::categorical("customer_id", std::move(texts), std::move(missing));
  };
  CHECK(is_identifier(ids({"1", "2", "10", "11"})));
  CHECK(is_identifier(ids({"0", "5", "", "7"}, {false, false, true, false})));  // a missing id is no repeat
  CHECK(is_identifier(ids({"1", "01", "001"})));          // the same number, three different names
  CHECK(is_identifier(ids({"30", "20", "10", "A7"})));    // not counting up: still all distinct
  CHECK_FALSE(is_identifier(ids({"1", "2", "3", "2"})));  // counting up, then a repeat
  CHECK_FALSE(is_identifier(ids({"1", "2", "2", "3"})));
  CHECK_FALSE(is_identifier(ids({"7", "007", "x", "007"})));
  CHECK_FALSE(is_identifier(ids({"123456789012345678", "99999999999999999999", "99999999999999999999"})));
  CHECK_FALSE(is_identifier(ids({"5"})));  // one customer identifies nothing
}

// (No ';' in a test's name: CMake splits it there into two ctest tests that run nothing.)
TEST_CASE("fit decides the steps and reports them, transform applies them") {
  const Table t = customers();
  PrepareOptions clip;  // by default outliers are flagged and kept (see "options: chosen columns...")
  clip.outliers = segkit::features::OutlierPolicy::clip;
  const Preparation prep = Preparation::fit(t, clip);
  CHECK(find(prep.fit_actions(), "ID", "identifier") != nullptr);
  CHECK(find(prep.fit_actions(), "Z_CostContact", "same value") != nullptr);
  CHECK(find(prep.fit_actions(), "Year_Birth", "age in 2014") != nullptr);
  CHECK(find(prep.fit_actions(), "Dt_Customer", "tenure") != nullptr);
  CHECK(find(prep.fit_actions(), "Education", "one-hot encoded into 3 columns") != nullptr);
  CHECK(prep.feature_names() == std::vector<std::string>{"age in 2014 (from Year_Birth)", "Income", "Education=Basic",
                                                         "Education=Master", "Education=PhD",
                                                         "Dt_Customer (days before 2014-01-01)"});

  const auto out = prep.transform(t);
  REQUIRE(out.X.shape(0) == 10);
  REQUIRE(out.rows.size() == 10);
  // Age: 2014 - 1980 = 34; the 1893 entry (age 121) is beyond Q3 + 3 IQR and clipped.
  CHECK(out.X(0, 0) == 34);
  CHECK(out.original(5, 0) == 121);  // profiles see the value as entered
  CHECK(out.X(5, 0) < 121);
  const auto* clipped_age = find(out.actions, "age", "clipped");
  REQUIRE(clipped_age != nullptr);
  CHECK(clipped_age->rows == 1);
  // Income: the gap gets the median of the nine known incomes (58), 666666 is clipped.
  CHECK(out.original(2, 1) == 58);
  CHECK(out.X(2, 1) == 58);
  CHECK(out.X(7, 1) < 100);
  CHECK(find(out.actions, "Income", "imputed with the median 58")->rows == 1);
  CHECK(find(out.actions, "Income", "clipped")->rows == 1);
  // Education: one-hot, the gap gets the most frequent level (PhD).
  CHECK(out.X(0, 4) == 1);
  CHECK(out.X(3, 4) == 1);
  CHECK(out.X(3, 2) + out.X(3, 3) == 0);
  CHECK(find(out.actions, "Education", "most frequent level \"PhD\"")->rows == 1);
  // Tenure: days before the latest date, 2014-01-01.
  CHECK(out.X(9, 5) == 90);
  CHECK(out.original_names ==
        std::vector<std::string>{"age in 2014 (from Year_Birth)", "Income", "Dt_Customer (days before 2014-01-01)"});
}

TEST_CASE("new customers get the training customers' steps, not their own") {
  PrepareOptions clip;
  clip.outliers = segkit::features::OutlierPolicy::clip;
  const Preparation prep = Preparation::fit(customers(), clip);
  Table fresh;
  fresh.add(Column::numeric("ID", {900, 901}));
  fresh.add(Column::numeric("Year_Birth", {2000, 1990}));
  fresh.add(Column::numeric("Income", {missing, 1e9}));
  fresh.add(Column::numeric("Z_CostContact", {3, 3}));
  fresh.add(Column::categorical("Education", {"2n Cycle", "Master"}));
  fresh.add(Column::date("Dt_Customer", {segkit::data::days_from_civil(2013, 12, 31), 0}, {false, true}));
  const auto out = Preparation::fit(customers(), clip).transform(fresh);
  CHECK(out.X(0, 0) == 14);                             // age against the training reference year
  CHECK(out.X(0, 1) == 58);                             // the training median, not this table's
  CHECK(out.X(1, 1) == prep.recipes()[1].high);         // clipped at the training fence
  CHECK(out.X(0, 2) + out.X(0, 3) + out.X(0, 4) == 0);  // a level unseen at fit sets no column
  CHECK(find(out.actions, "Education", "not seen at fit")->rows == 1);
  CHECK(out.X(0, 5) == 1);
  CHECK(out.X(1, 5) == prep.recipes()[3].fill);  // missing date: the training median tenure
}

TEST_CASE("the business-unit values can be left out of transform and built later from the table") {
  const Table t = customers();
  for (const bool drop : {false, true}) {
    PrepareOptions options;
    if (drop) options.missing = segkit::features::MissingPolicy::drop_rows;
    const auto prep = Preparation::fit(t, options);
    const auto both = prep.transform(t);
    const auto lean = prep.transform(t, Preparation::Originals::left_out);
    CHECK(lean.original.size() == 0);
    CHECK(lean.X == both.X);
    CHECK(lean.rows == both.rows);
    CHECK(lean.original_names == both.original_names);
    CHECK(both.original.shape(1) > 0);
    CHECK(prep.original(t, lean.rows) == both.original);  // imputed, derived (age, tenure), unclipped
  }
  CHECK_THROWS_WITH_AS(Preparation::fit(t).original(t, {t.rows()}), doctest::Contains("beyond the table"),
                       segkit::error);
}

TEST_CASE("options: chosen columns, dropping incomplete rows, flagging, log of skewed money") {
  const Table t = customers();
  PrepareOptions options;
  options.columns = {"Income", "2"};  // by name and by 1-based number
  options.missing = segkit::features::MissingPolicy::drop_rows;
  options.outliers = segkit::features::OutlierPolicy::flag;
  const auto prep = Preparation::fit(t, options);
  const auto out = prep.transform(t);
  CHECK(prep.feature_names().size() == 2);
  CHECK(out.rows.size() == 9);  // the customer without an income is left out
  CHECK(out.rows[2] == 3);
  CHECK(find(out.actions, "Income", "left out")->rows == 1);
  CHECK(out.X(6, 0) == 666666);  // flagged, not clipped
  CHECK(find(out.actions, "Income", "flagged")->rows == 1);
  // Without options too: outliers are counted and kept unless clipping is asked for.
  const auto by_default = Preparation::fit(t).transform(t);
  CHECK(by_default.X(7, 1) == 666666);
  CHECK(find(by_default.actions, "Income", "flagged, kept")->rows == 1);

  PrepareOptions logged;
  logged.columns = {"Income"};
  logged.outliers = segkit::features::OutlierPolicy::keep;
  logged.log_skewed = true;
  const auto lp = Preparation::fit(t, logged);
  CHECK(lp.recipes()[0].log);
  CHECK(lp.transform(t).X(0, 0) == doctest::Approx(std::log1p(50.0)));

  // Logged and clipped: the fences are on the log scale, and values are clipped after the log.
  PrepareOptions both;
  both.columns = {"Income"};
  both.log_skewed = true;
  both.outliers = segkit::features::OutlierPolicy::clip;
  const auto bp = Preparation::fit(t, both);
  const auto bt = bp.transform(t);
  CHECK(bp.recipes()[0].high < 10);  // log1p scale (666666 would be 13.4)
  CHECK(bt.X(7, 0) == bp.recipes()[0].high);
  CHECK(find(bt.actions, "Income", "(on the log1p scale)")->rows == 1);
  CHECK(bt.original(7, 0) == 666666);  // profiles still see the value as entered
}

TEST_CASE("with --missing drop, the log and the fences come from the customers that are clustered") {
  // Three huge spends, each beside a missing visit count: every customer together is skewed
  // (log1p), the customers that keep a visit count are not.
  Table t;
  t.add(Column::numeric("spend", {10, 12, 11, 13, 9, 10, 12, 11, 14, 8, 5000, 6000, 7000}));
  t.add(Column::numeric("visits", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, missing, missing, missing}));
  PrepareOptions options;
  options.log_skewed = true;
  options.outliers = segkit::features::OutlierPolicy::keep;
  CHECK(Preparation::fit(t, options).recipes()[0].log);  // imputed: all 13 customers are clustered
  options.missing = segkit::features::MissingPolicy::drop_rows;
  const auto dropped = Preparation::fit(t, options);
  CHECK_FALSE(dropped.recipes()[0].log);
  CHECK(dropped.recipes()[0].fill == 11);  // the median of the 10 customers kept, not 11.5 of all 13
  CHECK(dropped.transform(t).rows.size() == 10);
}

TEST_CASE("the defaults change no value: Unbalance's small far groups and CC GENERAL's [0, 1] columns stay as read") {
  const std::string root = std::string(SEGKIT_FIXTURE_DIR) + "/../../data/";
  // Fränti's Unbalance: five groups of 100 points far from three of 2,000. Clipping at the fences
  // moved 500 real customers; flagging keeps every value and says how many lie beyond.
  {
    const Table t = segkit::data::read_csv(root + "franti_sipu/unbalance.txt", {.whitespace = true, .header = false});
    REQUIRE(t.rows() == 6500);
    const Preparation p = Preparation::fit(t);
    const auto out = p.transform(t);
    REQUIRE(out.X.shape(0) == 6500);
    REQUIRE(out.X.shape(1) == 2);
    std::size_t changed = 0;
    for (std::size_t i = 0; i < 6500; ++i)
      for (std::size_t j = 0; j < 2; ++j) changed += out.X(i, j) != t.column(std::to_string(j + 1)).numbers()[i];
    CHECK(changed == 0);
    for (const auto& a : out.actions) CHECK(a.what.find("clipped") == std::string::npos);
    // With clipping asked for, values move: the check above can fail.
    const auto clipped = Preparation::fit(t, {.outliers = segkit::features::OutlierPolicy::clip}).transform(t);
    std::size_t moved = 0;
    for (std::size_t i = 0; i < 6500; ++i)
      for (std::size_t j = 0; j < 2; ++j) moved += clipped.X(i, j) != t.column(std::to_string(j + 1)).numbers()[i];
    CHECK(moved > 0);
  }
  // CC GENERAL: the frequency columns are shares in [0, 1]; none is clipped, logged or moved.
  {
    const Table t = segkit::data::read_csv(root + "cc_general/CC GENERAL.csv");
    const Preparation p = Preparation::fit(t);
    const auto out = p.transform(t);
    const auto& names = p.feature_names();
    std::size_t checked = 0;
    for (std::size_t j = 0; j < names.size(); ++j) {
      const auto& values = t.column(names[j]).numbers();
      const bool share =
          std::all_of(values.begin(), values.end(), [](double v) { return std::isnan(v) || (v >= 0 && v <= 1); });
      if (!share) continue;
      ++checked;
      CAPTURE(names[j]);
      std::size_t changed = 0;
      for (std::size_t k = 0; k < out.rows.size(); ++k) {
        const double v = values[out.rows[k]];
        changed += !std::isnan(v) && out.X(k, j) != v;
      }
      CHECK(changed == 0);
    }
    CHECK(checked >= 5);  // BALANCE_FREQUENCY, PURCHASES_FREQUENCY and the other frequencies
  }
}

TEST_CASE("bad choices are named") {
  const Table t = customers();
  PrepareOptions unknown;
  unknown.columns = {"Incme"};
  CHECK_THROWS_WITH_AS(Preparation::fit(t, unknown), doctest::Contains("Incme"), segkit::error);
  PrepareOptions clash;
  clash.columns = {"Income"};
  clash.exclude = {"Income"};
  CHECK_THROWS_WITH_AS(Preparation::fit(t, clash), doctest::Contains("both chosen and excluded"), segkit::error);
  PrepareOptions twice;
  twice.columns = {"Income", "Year_Birth", "3"};  // "3" is Income again, by its number
  CHECK_THROWS_WITH_AS(Preparation::fit(t, twice), doctest::Contains("column \"Income\" is chosen twice (as \"3\""),
                       segkit::error);
  Table only_id;
  only_id.add(Column::numeric("CustomerID", {1, 2, 3}));
  CHECK_THROWS_WITH_AS(Preparation::fit(only_id), doctest::Contains("no usable feature columns"), segkit::error);
  CHECK_THROWS_WITH_AS(Preparation::fit(Table{}), doctest::Contains("no rows"), segkit::error);
}

TEST_CASE("a number column with text in it is an error naming the row, not a category") {
  Table t;
  std::vector<std::string> ages;
  for (int i = 0; i < 30; ++i) ages.push_back(std::to_string(20 + i % 15));
  ages[4] = "abc";
  t.add(Column::categorical("Age", ages));
  t.add(Column::numeric("Income", std::vector<double>(30, 1.0)));
  CHECK_THROWS_WITH_AS(Preparation::fit(t),
                       doctest::Contains("column \"Age\" holds numbers but data row 5 holds the text \"abc\""),
                       segkit::error);
  // A small table's one stray word: refused too, not one-hot encoded into a column per value.
  Table small;
  small.add(Column::categorical("a", {"2", "4", "abc"}));
  small.add(Column::numeric("b", {5, 6, 7}));
  CHECK_THROWS_WITH_AS(Preparation::fit(small),
                       doctest::Contains("column \"a\" holds numbers but data row 3 holds the text \"abc\""),
                       segkit::error);
  // Words with a number among them are a category.
  Table sizes;
  sizes.add(Column::categorical("size", {"S", "M", "L", "42", "M"}));
  sizes.add(Column::numeric("b", {5, 6, 7, 8, 9}));
  CHECK_NOTHROW(Preparation::fit(sizes));
}

TEST_CASE("one number grammar: inf, nan, hex and out-of-range values in a number column are refused, naming the cell") {
  // The CSV reader keeps such a column as text; the preparation must not read the words
  // back as numbers (strtod would), which made "inf" a level of a category or turned a
  // column of distinct numbers into an identifier.
  for (const std::string bad : {"inf", "-Infinity", "nan", "0x10", "1e309"}) {
    CAPTURE(bad);
    Table t;
    std::vector<std::string> spend, visits;
    for (int i = 0; i < 30; ++i) spend.push_back(std::to_string(100 + 7 * i) + ".5");  // 30 distinct values
    for (int i = 0; i < 30; ++i) visits.push_back(std::to_string(i % 5));              // 5 levels
    spend[11] = bad;
    visits[11] = bad;
    t.add(Column::categorical("Spend", spend));
    t.add(Column::numeric("Age", std::vector<double>(30, 40.0)));
    CHECK_THROWS_WITH_AS(
        Preparation::fit(t),
        doctest::Contains(("column \"Spend\" holds numbers but data row 12 holds the text \"" + bad + "\"").c_str()),
        segkit::error);
    Table u;
    u.add(Column::categorical("Visits", visits));
    u.add(Column::numeric("Age", std::vector<double>(30, 40.0)));
    CHECK_THROWS_WITH_AS(
        Preparation::fit(u),
        doctest::Contains(("column \"Visits\" holds numbers but data row 12 holds the text \"" + bad + "\"").c_str()),
        segkit::error);
  }
}

TEST_CASE("numbers with thousands separators or decimal commas are refused with a hint, not dropped") {
  for (const std::string sample : {"12,345", "1,234.5", "3,5"}) {
    CAPTURE(sample);
    Table t;
    std::vector<std::string> income;
    for (int i = 0; i < 30; ++i) income.push_back(std::to_string(10 + i) + "," + std::to_string(100 + i));
    income[0] = sample;
    t.add(Column::categorical("Income", income));
    t.add(Column::numeric("Age", std::vector<double>(30, 40.0)));
    CHECK_THROWS_WITH_AS(Preparation::fit(t),
                         doctest::Contains(("column \"Income\" holds numbers written with thousands separators or a "
                                            "decimal comma (\"" +
                                            sample + "\" in data row 1)")
                                               .c_str()),
                         segkit::error);
  }
}

TEST_CASE("a chosen column is used or refused, never left out in silence") {
  const Table t = customers();
  PrepareOptions constant;
  constant.columns = {"Income", "Z_CostContact"};
  CHECK_THROWS_WITH_AS(Preparation::fit(t, constant),
                       doctest::Contains("column \"Z_CostContact\" was chosen as a feature but cannot be used "
                                         "(left out: the same value for every customer)"),
                       segkit::error);
  Table names;
  std::vector<std::string> cities;
  for (int i = 0; i < 30; ++i) cities.push_back("city " + std::to_string(i));
  names.add(Column::categorical("City", cities));
  names.add(Column::numeric("Age", std::vector<double>(30, 40.0)));
  PrepareOptions city;
  city.columns = {"City"};
  CHECK_THROWS_WITH_AS(
      Preparation::fit(names, city),
      doctest::Contains("column \"City\" was chosen as a feature but cannot be used (left out: 30 distinct values"),
      segkit::error);
  // Not chosen by name, the same columns are left out and said so.
  const Preparation p = Preparation::fit(t);
  CHECK(find(p.fit_actions(), "Z_CostContact", "the same value for every customer") != nullptr);
}

TEST_CASE("a birth year becomes an age only against a year the data gives, no earlier than the births") {
  Table t;
  t.add(Column::numeric("Year_Birth", {1980, 1975, 1990, 1985, 1970, 1988, 1982, 1979, 1991, 1960}));
  t.add(Column::numeric("Income", {50, 60, 40, 55, 65, 58, 62, 45, 52, 57}));
  // No date in the table: the years stay years, and the output says why.
  const Preparation no_date = Preparation::fit(t);
  CHECK(find(no_date.fit_actions(), "Year_Birth", "kept as a year, not turned into age: no date in the data") !=
        nullptr);
  CHECK(no_date.feature_names() == std::vector<std::string>{"Year_Birth", "Income"});
  CHECK(no_date.transform(t).X(0, 0) == 1980.0);
  // A reference year before the latest birth: the same.
  PrepareOptions early;
  early.reference_date = segkit::data::days_from_civil(1985, 6, 1);
  CHECK(find(Preparation::fit(t, early).fit_actions(), "Year_Birth",
             "the reference year 1985 is before the latest birth year 1991") != nullptr);
  // A plausible one: ages.
  PrepareOptions given;
  given.reference_date = segkit::data::days_from_civil(2014, 6, 1);
  const Preparation aged = Preparation::fit(t, given);
  CHECK(aged.feature_names().front() == "age in 2014 (from Year_Birth)");
  CHECK(aged.transform(t).X(0, 0) == 34.0);
}

TEST_CASE("several percentiles at once are each the one read off a sorted copy") {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> normal(0.0, 1e3);
  // Small sets are selected with nth_element, from 2^14 values on by their bits: both
  // kinds, with few distinct values (ties on the neighbours), a wide spread of signs
  // and exponents, zeros of both signs, and values that share their top bits.
  for (const std::size_t n : {1u, 2u, 3u, 10u, 101u, 1000u, 16384u, 100003u})
    for (const int kind : {0, 1, 2, 3}) {
      std::vector<double> values(n);
      for (double& v : values) {
        const double u = static_cast<double>(rng() % 1000003) / 1000003.0;
        v = kind == 0   ? static_cast<double>(rng() % 17) - 3.5
            : kind == 1 ? normal(rng)
            : kind == 2 ? (rng() % 3 == 0 ? (rng() % 2 ? -0.0 : 0.0) : normal(rng))
                        : 1.0 + u * 1e-9;
      }
      CAPTURE(kind);
      std::vector<double> sorted = values;
      std::sort(sorted.begin(), sorted.end());
      const std::vector<double> qs = {75, 0, 50, 12.5, 100, 25, 99.9};
      std::vector<double> work = values;
      const auto points = segkit::detail::percentile_points_in_place(work, qs);
      for (std::size_t i = 0; i < qs.size(); ++i) {
        CAPTURE(n);
        CAPTURE(qs[i]);
        const double position = qs[i] / 100.0 * static_cast<double>(n - 1);
        const std::size_t lo = static_cast<std::size_t>(std::floor(position));
        CHECK(points[i].below == sorted[lo]);
        CHECK(points[i].above == sorted[std::min(lo + 1, n - 1)]);
        std::vector<double> one = values;
        CHECK(points[i].value() == segkit::detail::percentile_in_place(one, qs[i]));
      }
      std::vector<double> again = values;
      const double median = segkit::detail::median_in_place(again);
      CHECK(median == (n % 2 ? sorted[n / 2] : sorted[n / 2 - 1] + (sorted[n / 2] - sorted[n / 2 - 1]) / 2));
      CHECK(!std::signbit(median == 0 ? median : 1.0));  // a zero median is +0
    }
}

TEST_CASE("order statistics from a sample's windows are exact even when the sample misjudges them") {
  // Large sets are selected among the values of windows that a sample brackets; a small
  // sample often brackets the wrong values (the whole set is then selected instead), and
  // sorted input, many ties and windows that merge must all give what sorting gives.
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal(0.0, 1.0);
  const std::size_t n = 20000;
  for (const int kind : {0, 1, 2, 3, 4})
    for (const std::size_t sample : {1u, 3u, 16u, 200u, 4096u, 20000u}) {
      std::vector<double> values(n);
      for (std::size_t i = 0; i < n; ++i)
        values[i] = kind == 0   ? normal(rng)
                    : kind == 1 ? static_cast<double>(i)  // sorted
                    : kind == 2 ? static_cast<double>(rng() % 5)
                    : kind == 3 ? (i % 2 ? 1e300 : -1e-300)
                                : normal(rng);
      if (kind == 4) {
        // The sample sees only the largest values: every middle window misses its rank.
        std::uint64_t state = segkit::detail::sample_select_seed;
        for (std::size_t j = 0; j < sample; ++j) values[segkit::detail::splitmix64(state) % n] = 1e6;
      }
      std::vector<double> sorted = values;
      std::sort(sorted.begin(), sorted.end());
      // Ranks near the ends have windows open to that end, which hold everything below.
      const std::vector<std::size_t> ranks =
          kind == 4
              ? std::vector<std::size_t>{n / 2, n / 4, 3 * n / 4 + 1, n / 2 - 1}
              : std::vector<std::size_t>{n - 1, 0, n / 2, n / 2 - 1, 5, 6, 7, n / 4, 3 * n / 4, 3 * n / 4 + 1, n / 2};
      std::vector<double> out(ranks.size());
      segkit::detail::select_by_sample(std::span<double>(values), std::span<const std::size_t>(ranks),
                                       std::span<double>(out), sample);
      CAPTURE(kind);
      CAPTURE(sample);
      for (std::size_t i = 0; i < ranks.size(); ++i) CHECK(out[i] == sorted[ranks[i]]);
      std::sort(values.begin(), values.end());
      CHECK(values == sorted);  // reordered, nothing lost
    }
}

}  // namespace segkit_test_features
