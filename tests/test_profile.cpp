// Segment profiles: exact numbers on a hand-made table, the unique names, and the
// five well-known Mall Customers segments described in their own units.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <segkit/pipeline/pipeline.hpp>
#include <segkit/profile/profile.hpp>

#include "fixture.hpp"

// The suite's files are compiled together (a unity build): each keeps its helpers to itself.
namespace segkit_test_profile {

namespace {

struct Mall {
  xt::xtensor<double, 2> X;  // annual income, spending score
  std::vector<std::string> genre;
};

/// Mall_Customers.csv: "CustomerID,Genre,Age,Annual Income (k$),Spending Score (1-100)", CRLF.
Mall read_mall() {
  const std::string path = std::string(SEGKIT_FIXTURE_DIR) + "/../../data/mall_customers/Mall_Customers.csv";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::string line;
  std::getline(in, line);
  std::vector<double> values;
  Mall mall;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> fields;
    std::stringstream stream(line);
    for (std::string field; std::getline(stream, field, ',');) fields.push_back(field);
    REQUIRE(fields.size() == 5);
    mall.genre.push_back(fields[1]);
    values.push_back(std::stod(fields[3]));
    values.push_back(std::stod(fields[4]));
  }
  mall.X = xt::empty<double>({values.size() / 2, std::size_t{2}});
  std::copy(values.begin(), values.end(), mall.X.begin());
  return mall;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

TEST_CASE("profiles of a hand-made table: sizes, means, medians, z, category shares, names") {
  // Columns: a, b (a constant), c. Segment 0 high a, segment 1 low a.
  const xt::xtensor<double, 2> X = {{10, 7, 1}, {12, 7, 2}, {14, 7, 3}, {0, 7, 2}, {2, 7, 2}, {3, 7, 8}};
  const std::vector<std::size_t> labels = {0, 0, 0, 1, 1, 1};
  const std::vector<segkit::CategoricalColumn> categorical = {
      {"colour", {"red", "blue", "red", "blue", "blue", "green"}}};
  const segkit::Profiles p = segkit::profile_segments(X, {"a", "b", "c"}, labels, categorical);
  REQUIRE(p.segments.size() == 2);
  CHECK(p.rows == 6);
  CHECK(p.mean[0] == doctest::Approx(41.0 / 6));
  CHECK(p.median[2] == 2.0);
  CHECK(p.stddev[1] == 0.0);
  const segkit::SegmentProfile& s0 = p.segments[0];
  const segkit::SegmentProfile& s1 = p.segments[1];
  CHECK(s0.size == 3);
  CHECK(s0.share == 0.5);
  CHECK(s0.mean == std::vector<double>{12, 7, 2});
  CHECK(s0.median == std::vector<double>{12, 7, 2});
  CHECK(s1.median == std::vector<double>{2, 7, 2});
  CHECK(s1.mean[2] == 4.0);
  // z against the population std of all customers; a constant column gives 0, not NaN.
  double var_a = 0;
  for (const double v : {10.0, 12.0, 14.0, 0.0, 2.0, 3.0}) var_a += (v - 41.0 / 6) * (v - 41.0 / 6) / 6;
  CHECK(s0.z[0] == doctest::Approx((12 - 41.0 / 6) / std::sqrt(var_a)));
  CHECK(s0.z[1] == 0.0);
  CHECK(s0.distinctive == std::vector<std::size_t>{0, 2, 1});
  // Colours, sorted: blue, green, red.
  REQUIRE(s0.categories.size() == 1);
  REQUIRE(s0.categories[0].size() == 3);
  CHECK(s0.categories[0][0].category == "blue");
  CHECK(s0.categories[0][0].count == 1);
  CHECK(s0.categories[0][2].share == doctest::Approx(2.0 / 3));
  CHECK(s1.categories[0][0].share == doctest::Approx(2.0 / 3));
  CHECK(s1.categories[0][1].count == 1);
  CHECK(s1.categories[0][2].count == 0);
  CHECK(p.categories[0][0].share == 0.5);
  // a at z = +0.96 / -0.96, c at z = -0.43 / +0.43 (below the 0.5 of "high"/"low"): "average c"
  // says nothing beside "high a", and is left out.
  CHECK(s0.name == "high a");
  CHECK(s1.name == "low a");

  segkit::ProfileOptions short_names;
  short_names.display_names = {"alpha", "beta", "gamma"};
  short_names.separator = ", ";
  CHECK(segkit::profile_segments(X, {"a", "b", "c"}, labels, {}, short_names).segments[0].name == "high alpha");
}

TEST_CASE("level words follow the thresholds") {
  CHECK(segkit::level_word(1.5) == "very high");
  CHECK(segkit::level_word(0.5) == "high");
  CHECK(segkit::level_word(0.49) == "average");
  CHECK(segkit::level_word(-0.49) == "average");
  CHECK(segkit::level_word(-0.5) == "low");
  CHECK(segkit::level_word(-2) == "very low");
}

TEST_CASE("segments that would share a name get another feature, then their number") {
  // Segments 0 and 1 are both high in a and b; only c (less distinctive) tells them apart.
  const xt::xtensor<double, 2> X = {{2, 2, -1}, {2, 2, -1}, {2, 2, 1}, {2, 2, 1}, {-2, -2, 3}, {-2, -2, -3}};
  const segkit::Profiles p = segkit::profile_segments(X, {"a", "b", "c"}, std::vector<int>{0, 0, 1, 1, 2, 2});
  CHECK(p.segments[0].name == "high a \u00b7 high b \u00b7 low c");
  CHECK(p.segments[1].name == "high a \u00b7 high b \u00b7 high c");
  CHECK(p.segments[2].name == "low a \u00b7 low b");

  // Nothing tells segments 0 and 1 apart in words: their numbers do.
  const xt::xtensor<double, 2> Y = {{0}, {0}, {0.1}, {0.1}, {10}, {10}};
  const segkit::Profiles q = segkit::profile_segments(Y, {"x"}, std::vector<int>{0, 0, 1, 1, 2, 2});
  CHECK(q.segments[0].name == "low x (segment 0)");
  CHECK(q.segments[1].name == "low x (segment 1)");
  CHECK(q.segments[2].name == "high x");
}

TEST_CASE("profiles of the five Mall Customers segments") {
  const Mall mall = read_mall();
  REQUIRE(mall.X.shape(0) == 200);
  segkit::Pipeline<> pipeline(segkit::Options{.k = 5, .n_init = 10, .seed = 42});
  pipeline.fit(mall.X);
  const auto& labels = pipeline.labels();
  segkit::ProfileOptions options;
  options.display_names = {"income", "spending"};
  const segkit::Profiles p = segkit::profile_segments(mall.X, {"Annual Income (k$)", "Spending Score (1-100)"}, labels,
                                                      {{"Genre", mall.genre}}, options);
  REQUIRE(p.segments.size() == 5);
  REQUIRE(p.categorical == std::vector<std::string>{"Genre"});
  REQUIRE(p.categories[0].size() == 2);
  CHECK(p.categories[0][0].category == "Female");
  CHECK(p.categories[0][0].count == 112);
  CHECK(p.categories[0][1].count == 88);
  CHECK(p.mean[0] == doctest::Approx(12112.0 / 200));
  CHECK(p.mean[1] == doctest::Approx(10040.0 / 200));

  std::size_t total = 0;
  for (std::size_t c = 0; c < 5; ++c) {
    CAPTURE(c);
    const segkit::SegmentProfile& s = p.segments[c];
    std::vector<double> income, spending;
    std::size_t female = 0;
    for (std::size_t i = 0; i < 200; ++i)
      if (labels(i) == c)
        income.push_back(mall.X(i, 0)), spending.push_back(mall.X(i, 1)), female += mall.genre[i] == "Female";
    CHECK(s.size == income.size());
    CHECK(s.share == doctest::Approx(static_cast<double>(income.size()) / 200));
    total += s.size;
    // The centres Pipeline returns in original units are the segments' means.
    CHECK(s.mean[0] == doctest::Approx(pipeline.centers()(c, 0)).epsilon(1e-12));
    CHECK(s.mean[1] == doctest::Approx(pipeline.centers()(c, 1)).epsilon(1e-12));
    CHECK(s.median[0] == median(income));
    CHECK(s.median[1] == median(spending));
    CHECK(s.categories[0][0].count == female);
    CHECK(s.categories[0][0].share + s.categories[0][1].share == doctest::Approx(1.0));
    CHECK(s.categories[0][1].count == s.size - female);
  }
  CHECK(total == 200);

  // The README's five segments, found by their centres whatever their order.
  struct Known {
    std::size_t size;
    double income, spending;
    const char* name;
  };
  const Known known[] = {{39, 86.5, 82.1, "high income \u00b7 high spending"},
                         {23, 26.3, 20.9, "low income \u00b7 low spending"},
                         {81, 55.3, 49.5, "average income \u00b7 average spending"},
                         {35, 88.2, 17.1, "high income \u00b7 low spending"},
                         {22, 25.7, 79.4, "low income \u00b7 high spending"}};
  for (const Known& k : known) {
    CAPTURE(k.name);
    const auto it = std::find_if(p.segments.begin(), p.segments.end(), [&k](const segkit::SegmentProfile& s) {
      return std::abs(s.mean[0] - k.income) < 0.05 && std::abs(s.mean[1] - k.spending) < 0.05;
    });
    REQUIRE(it != p.segments.end());
    CHECK(it->size == k.size);
    CHECK(it->name == k.name);
  }
}

TEST_CASE("bad profile input throws segkit::error") {
  const xt::xtensor<double, 2> X = {{1, 2}, {3, 4}, {5, 6}};
  const std::vector<std::size_t> labels = {0, 1, 1};
  CHECK_THROWS_AS(segkit::profile_segments(X, {"a"}, labels), segkit::error);
  CHECK_THROWS_AS(segkit::profile_segments(X, {"a", "b"}, std::vector<std::size_t>{0, 1}), segkit::error);
  CHECK_THROWS_AS(segkit::profile_segments(X, {"a", "b"}, std::vector<int>{0, -1, 1}), segkit::error);
  CHECK_THROWS_WITH_AS(segkit::profile_segments(X, {"a", "b"}, std::vector<std::size_t>{0, 2, 2}),
                       doctest::Contains("segment 1 has no customers"), segkit::error);
  CHECK_THROWS_AS(segkit::profile_segments(X, {"a", "b"}, labels, {{"g", {"x", "y"}}}), segkit::error);
  segkit::ProfileOptions display;
  display.display_names = {"only one"};
  CHECK_THROWS_AS(segkit::profile_segments(X, {"a", "b"}, labels, {}, display), segkit::error);
  const xt::xtensor<double, 2> nan = {{1, 2}, {std::nan(""), 4}, {5, 6}};
  CHECK_THROWS_WITH_AS(segkit::profile_segments(nan, {"a", "b"}, labels), doctest::Contains("row 1"), segkit::error);
  CHECK_THROWS_AS(
      segkit::profile_segments(xt::xtensor<double, 2>::from_shape({0, 2}), {"a", "b"}, std::vector<std::size_t>{}),
      segkit::error);
}

}  // namespace segkit_test_profile
