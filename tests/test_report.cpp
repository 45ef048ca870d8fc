// The HTML report: every chart drawn with one mark per customer or per K,
// hover text, escaping, and no half-written file on failure.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
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
  CHECK(count(scatter, "<circle") == 200);
  CHECK(count(scatter, "<title>customer C17: segment ") == 1);  // hover shows id and segment

  CHECK(count(html, "<svg class=\"chart pair\"") == 6);  // 3 features: 6 off-diagonal panels
  CHECK(count(chart(html, "silhouette-plot"), "class=\"silhouette-bars") == 5);
  CHECK(count(chart(html, "silhouette-plot"), "M") >= 200);  // one bar per customer
  CHECK(count(html, "<td>86.5</td>") == 1);
  CHECK(count(html, "Mall &lt;customers&gt; &amp; segments") == 2);  // <title> and <h1>, escaped
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
