// The HTML report: every chart drawn with one mark per customer or per K,
// hover text, escaping, and no half-written file on failure.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <segkit/report/html.hpp>
#include <segkit/segkit.hpp>

#include "fixture.hpp"

// The suite's files are compiled together (a unity build): each keeps its helpers to itself.
namespace segkit_test_report {

namespace {

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

/// The part of `html` from the <svg> whose class list contains `css_class` to its </svg>.
std::string chart(const std::string& html, const std::string& css_class) {
  const std::size_t start = html.find("<svg class=\"chart " + css_class + "\"");
  REQUIRE(start != std::string::npos);
  return html.substr(start, html.find("</svg>", start) - start);
}

segkit::report::ReportData mall_report() {
  const segkit::test::Fixture f("mall");
  const xt::xtensor<double, 2> X = f["X"];
  segkit::report::ReportData data;
  data.title = "Mall <customers> & segments";
  for (std::size_t k = 2; k <= 6; ++k) {
    segkit::Pipeline<> p(segkit::Options{.k = k, .n_init = 3, .seed = 1});
    p.fit(X);
    data.sweep.k.push_back(static_cast<double>(k));
    data.sweep.inertia.push_back(p.inertia());
    data.sweep.silhouette.push_back(p.score());
  }
  data.sweep.chosen_k = 5;
  data.sweep.reason = "K = 5: the elbow and the silhouette agree";
  segkit::Pipeline<> p(segkit::Options{.k = 5, .n_init = 3, .seed = 1});
  p.fit(X);
  data.labels.assign(p.labels().begin(), p.labels().end());
  for (std::size_t i = 0; i < X.shape(0); ++i) {
    std::string id = "C";  // not "C" + to_string: GCC 12 warns falsely (-Wrestrict) on that
    data.ids.push_back(id.append(std::to_string(i + 1)));
    data.pca_x.push_back(X(i, 1));
    data.pca_y.push_back(X(i, 2));
  }
  data.feature_names = {"age", "income", "spending"};
  for (std::size_t j = 0; j < 3; ++j) {
    std::vector<double> column;
    for (std::size_t i = 0; i < X.shape(0); ++i) column.push_back(X(i, j));
    data.feature_values.push_back(column);
  }
  const auto samples = segkit::silhouette_samples(X, p.labels());
  data.silhouette_samples.assign(samples.begin(), samples.end());
  data.profile_header = {"segment", "customers", "income"};
  data.profile_rows = {{"0", "39", "86.5"}};
  return data;
}

}  // namespace

TEST_CASE("the report draws every chart with one mark per customer or per K") {
  const auto data = mall_report();
  const std::string html = segkit::report::render_html(data);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(count(html, "http://") == count(html, "http://www.w3.org/2000/svg"));  // nothing else linked
  CHECK(count(html, "<script") == 0);

  const std::string elbow = chart(html, "elbow");
  CHECK(count(elbow, "<circle") == 5);
  CHECK(count(elbow, "class=\"point chosen\"") == 1);
  CHECK(count(elbow, "class=\"chosen\"") == 1);  // the rule marking K = 5
  CHECK(count(chart(html, "score-silhouette"), "<circle") == 5);

  const std::string scatter = chart(html, "pca-scatter");
  CHECK(count(scatter, "class=\"point segment-") == 200);
  CHECK(count(scatter, "<title>customer C17: segment ") == 1);  // hover shows id and segment

  // 3 features: 6 off-diagonal panels, one path of markers per segment each (5 segments), and
  // on the diagonal each segment's histogram of the feature, named.
  CHECK(count(html, "<svg class=\"chart pair\"") == 6);
  CHECK(count(chart(html, "pair"), "<path class=\"points segment-") == 5);
  CHECK(count(chart(html, "pair"), "a3 3 0 1 0 6 0") == 200);  // a circle per customer
  CHECK(count(html, "<svg class=\"chart pair-histogram\"") == 3);
  CHECK(count(chart(html, "pair-histogram"), "<path class=\"histogram segment-") == 5);
  CHECK(count(chart(html, "pair-histogram"), ">age</text>") == 1);
  CHECK(count(chart(html, "silhouette-plot"), "class=\"silhouette-bars") == 5);
  CHECK(count(chart(html, "silhouette-plot"), "M") >= 200);  // one bar per customer
  CHECK(count(html, "<td>86.5</td>") == 1);
  CHECK(count(html, "Mall &lt;customers&gt; &amp; segments") == 2);  // <title> and <h1>, escaped
}

TEST_CASE("the report marks the centres, draws a heat map and tables that grow down the page") {
  auto data = mall_report();
  data.centers_x = {1, 2, 3, 4, 5};
  data.centers_y = {5, 4, 3, 2, 1};
  data.heat_features = {"age", "income", "spending"};
  for (std::size_t c = 0; c < 5; ++c) data.heat_z.push_back({-2.5 + c, 0.0, 0.3 * c});
  std::string html = segkit::report::render_html(data);
  CHECK(count(chart(html, "pca-scatter"), "<g class=\"centroid\">") == 5);
  const std::string heat = chart(html, "heat-map");
  CHECK(count(heat, "<rect class=\"cell\"") == 15);
  CHECK(count(heat, "fill=\"#4477aa\"") == 1);  // z = -2.5: from -2 down, full blue
  CHECK(count(heat, "fill=\"#ffffff\"") >= 5);  // z = 0: white
  CHECK(count(heat, "segment 4, spending: 1.20 standard deviations") == 1);

  // A few columns: one row per segment. Many: one row per column.
  CHECK(count(html, "<tr><th>segment</th><th>customers</th><th>income</th></tr>") == 1);
  data.profile_header.clear();
  data.profile_rows = {{}, {}};
  for (std::size_t j = 0; j < 20; ++j) {
    // Appended, not "f" + std::to_string(j): GCC 12 sees a false overlap (-Wrestrict) in the latter.
    data.profile_header.push_back(std::string("f").append(std::to_string(j)));
    data.profile_rows[0].push_back(std::string("a").append(std::to_string(j)));
    data.profile_rows[1].push_back(std::string("b").append(std::to_string(j)));
  }
  html = segkit::report::render_html(data);
  // Words read from the left, figures line up on the right.
  CHECK(count(html, "<tr><th>f7</th><td class=\"text\">a7</td><td class=\"text\">b7</td></tr>") == 1);

  data.centers_y.pop_back();
  CHECK_THROWS_AS(segkit::report::render_html(data), segkit::error);
}

TEST_CASE("ticks read in human units, and forty segments have a colour and marker shape each") {
  using segkit::report::format_tick;
  CHECK(format_tick(0) == "0");
  CHECK(format_tick(250) == "250");
  CHECK(format_tick(200000) == "200k");
  CHECK(format_tick(1250000) == "1.25M");
  CHECK(format_tick(-20000) == "-20k");
  CHECK(format_tick(3e9) == "3B");
  CHECK(format_tick(0.25) == "0.25");
  // A wide range: every tick label short (it was "2e+05" beside "4e+05" and collided).
  const segkit::report::Axis axis(0, 600000, 0, 300);
  for (const double t : axis.ticks(5)) CHECK(format_tick(t).size() <= 5);
  std::set<std::pair<std::string, int>> looks;
  for (std::size_t c = 0; c < segkit::report::distinct_segments; ++c)
    looks.insert({segkit::report::segment_colour(c), static_cast<int>(segkit::report::marker_shape(c))});
  CHECK(looks.size() == 40);
}

TEST_CASE("the report refuses columns of the wrong length") {
  auto data = mall_report();
  data.pca_x.pop_back();
  CHECK_THROWS_WITH_AS(segkit::report::render_html(data), doctest::Contains("one value per customer"), segkit::error);
  data = mall_report();
  data.feature_values[1].push_back(1.0);
  CHECK_THROWS_AS(segkit::report::render_html(data), segkit::error);
}

TEST_CASE("a report file is written whole or not at all") {
  const auto dir = std::filesystem::temp_directory_path() / "segkit_report_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto path = dir / "report.html";
  segkit::write_file_atomically(path, "<html></html>");
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == "<html></html>");
  CHECK_THROWS_WITH_AS(segkit::write_file_atomically(dir / "missing" / "report.html", "x"),
                       doctest::Contains("cannot write"), segkit::error);
  CHECK_FALSE(std::filesystem::exists(dir / "missing"));
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++files;
  CHECK(files == 1);  // no .partial file left beside it
  std::filesystem::remove_all(dir);
}

}  // namespace segkit_test_report
