#pragma once
// The segmentation report: one self-contained HTML file (inline SVG and CSS,
// nothing fetched from the network) with the charts analysts draw to choose K
// and to see the segments, and the profile table.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <string>
#include <vector>

#include "segkit/core/error.hpp"
#include "segkit/core/file.hpp"
#include "segkit/report/svg.hpp"

namespace segkit::report {

/// The scores of each K of a sweep, and the K that was chosen.
struct KScores {
  std::vector<double> k;
  std::vector<double> inertia, silhouette, davies_bouldin, calinski_harabasz;
  double chosen_k = NAN;
  std::string reason;  ///< why that K, in words
};

/// Everything the report shows; empty parts are left out.
struct ReportData {
  std::string title = "Customer segments";
  std::string summary;  ///< a paragraph under the title (data, preparation, options)
  KScores sweep;

  std::vector<std::size_t> labels;  ///< segment of each customer
  std::vector<std::string> ids;     ///< customer id of each row (row number when empty)
  std::vector<std::string> segment_names;

  std::vector<double> pca_x, pca_y;  ///< 2-D PCA projection of each customer
  std::string pca_x_label = "PC 1", pca_y_label = "PC 2";

  std::vector<std::string> feature_names;           ///< for the pair plot (the first six are drawn)
  std::vector<std::vector<double>> feature_values;  ///< one vector per feature, one value per customer

  std::vector<double> silhouette_samples;  ///< each customer's silhouette
  bool silhouette_sampled = false;
  /// All the customers segmented, when the per-customer fields above hold a sample of
  /// them (a chart of a million points cannot be drawn); 0 when they hold every one.
  std::size_t customers_total = 0;

  std::vector<std::string> profile_header;
  std::vector<std::vector<std::string>> profile_rows;
};

namespace detail {

inline std::string hover_text(const ReportData& data, std::size_t i) {
  const std::string id = i < data.ids.size() && !data.ids[i].empty() ? data.ids[i] : "row " + std::to_string(i + 1);
  const std::size_t label = data.labels[i];
  std::string segment = "segment " + std::to_string(label);
  if (label < data.segment_names.size() && !data.segment_names[label].empty())
    segment += " (" + data.segment_names[label] + ")";
  return "customer " + id + ": " + segment;
}

inline std::string legend(const ReportData& data) {
  std::size_t k = 0;
  for (const std::size_t l : data.labels) k = std::max(k, l + 1);
  std::string s = "<p class=\"legend\">";
  for (std::size_t c = 0; c < k; ++c) {
    s += "<span><svg width=\"12\" height=\"12\"><rect width=\"12\" height=\"12\" fill=\"" +
         std::string(segment_colour(c)) + "\"/></svg> segment " + std::to_string(c);
    if (c < data.segment_names.size() && !data.segment_names[c].empty()) s += ": " + escape(data.segment_names[c]);
    s += "</span> ";
  }
  return s + "</p>\n";
}

/// The silhouette plot as analysts draw it: each customer's silhouette as a
/// horizontal bar, sorted within its segment, segments stacked, the mean dashed.
inline std::string silhouette_chart(const ReportData& data) {
  const std::vector<double>& values = data.silhouette_samples;
  const std::size_t n = values.size();
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i) k = std::max(k, data.labels[i] + 1);
  const double gap = std::max(2.0, static_cast<double>(n) / 60.0);  // rows of space between segments
  Frame f;
  f.height = 420;
  const Axis x(-1.0, 1.0, f.plot_left(), f.plot_right());
  const Axis y(0.0, static_cast<double>(n) + gap * static_cast<double>(k + 1), f.plot_bottom(), f.plot_top());
  std::string s = chart_start(f, x, y, "Silhouette of each customer, by segment", "silhouette", "customers (sorted)",
                              "silhouette-plot");
  const double row_height = std::max(0.5, std::abs(y(0.0) - y(1.0)));
  double row = gap;
  double total = 0;
  for (std::size_t c = 0; c < k; ++c) {
    std::vector<double> segment;
    for (std::size_t i = 0; i < n; ++i)
      if (data.labels[i] == c) segment.push_back(values[i]);
    std::sort(segment.begin(), segment.end());
    if (segment.empty()) continue;
    std::string path;
    for (const double v : segment) {
      // Appended piece by piece: GCC 12 warns falsely (-Wrestrict, PR 105329) on "M" + std::string.
      path += 'M';
      path += format_number(x(0.0), 6);
      path += ',';
      path += format_number(y(row + 0.5), 6);
      path += 'H';
      path += format_number(x(v), 6);
      row += 1;
      total += v;
    }
    s += "<path class=\"silhouette-bars segment-" + std::to_string(c) + "\" d=\"" + path + "\" stroke=\"" +
         segment_colour(c) + "\" stroke-width=\"" + format_number(row_height, 3) + "\"><title>segment " +
         std::to_string(c) + ": " + std::to_string(segment.size()) + " customers, mean silhouette " +
         format_number(std::accumulate(segment.begin(), segment.end(), 0.0) / static_cast<double>(segment.size())) +
         "</title></path>\n";
    s += "<text class=\"tick\" x=\"" + format_number(x(-0.95), 6) + "\" y=\"" +
         format_number(y(row - segment.size() / 2.0), 6) + "\">" + std::to_string(c) + "</text>\n";
    row += gap;
  }
  const double mean = n > 0 ? total / static_cast<double>(n) : 0.0;
  s += "<line class=\"mean\" x1=\"" + format_number(x(mean), 6) + "\" x2=\"" + format_number(x(mean), 6) + "\" y1=\"" +
       format_number(f.plot_top()) + "\" y2=\"" + format_number(f.plot_bottom()) +
       "\" stroke=\"#e15759\" stroke-dasharray=\"4 3\"><title>mean silhouette " + format_number(mean) +
       "</title></line>\n";
  return s + "</svg>\n";
}

/// Scatter plots of every pair of the first six features, coloured by segment.
inline std::string pair_plot(const ReportData& data) {
  const std::size_t d = std::min<std::size_t>(6, data.feature_values.size());
  std::vector<std::string> hover(data.labels.size());
  for (std::size_t i = 0; i < hover.size(); ++i) hover[i] = hover_text(data, i);
  std::string s =
      "<div class=\"pair-plot\" style=\"display:grid;grid-template-columns:repeat(" + std::to_string(d) + ",auto)\">\n";
  Frame f;
  f.width = f.height = d <= 3 ? 240 : 170;
  f.left = 40;
  f.bottom = 34;
  f.top = 10;
  for (std::size_t r = 0; r < d; ++r)
    for (std::size_t c = 0; c < d; ++c) {
      if (r == c) {
        s += "<svg class=\"chart pair-name\" width=\"" + format_number(f.width) + "\" height=\"" +
             format_number(f.height) + "\"><text x=\"" + format_number(f.width / 2) + "\" y=\"" +
             format_number(f.height / 2) + "\" text-anchor=\"middle\">" + escape(data.feature_names[r]) +
             "</text></svg>\n";
        continue;
      }
      s += scatter_chart(data.feature_values[c], data.feature_values[r], data.labels, hover, "", data.feature_names[c],
                         data.feature_names[r], "pair", f);
    }
  return s + "</div>\n";
}

}  // namespace detail

/// The whole report as one HTML document.
inline std::string render_html(const ReportData& data) {
  const std::size_t n = data.labels.size();
  auto sized = [n](std::size_t size) { return size == 0 || size == n; };
  if (!sized(data.ids.size()) || !sized(data.pca_x.size()) || data.pca_x.size() != data.pca_y.size() ||
      !sized(data.silhouette_samples.size()))
    throw error("report: every per-customer column must have one value per customer (" + std::to_string(n) + ")");
  for (const auto& column : data.feature_values)
    if (column.size() != n)
      throw error("report: a feature column has " + std::to_string(column.size()) + " values for " + std::to_string(n) +
                  " customers");
  if (data.feature_names.size() != data.feature_values.size())
    throw error("report: " + std::to_string(data.feature_names.size()) + " feature names for " +
                std::to_string(data.feature_values.size()) + " feature columns");

  std::string s =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + escape(data.title) +
      "</title>\n<style>\n"
      "body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1400px}\n"
      "svg.chart{background:#fff;margin:4px}\n.title{font-size:14px;font-weight:600}\n"
      ".tick{font-size:10px;fill:#555}\n.axis-label{font-size:11px}\n"
      "table{border-collapse:collapse;font-size:13px}\nth,td{border:1px solid #ccc;padding:3px 8px;text-align:right}\n"
      "th:first-child,td:first-child{text-align:left}\n.legend span{margin-right:1.2em;white-space:nowrap}\n"
      "circle.point:hover{stroke:#000;stroke-width:1.5}\n"
      "</style>\n</head>\n<body>\n<h1>" +
      escape(data.title) + "</h1>\n";
  if (!data.summary.empty()) s += "<p class=\"summary\">" + escape(data.summary) + "</p>\n";

  if (!data.sweep.k.empty()) {
    s += "<section id=\"choosing-k\">\n<h2>How many segments</h2>\n";
    if (!data.sweep.reason.empty()) s += "<p class=\"reason\">" + escape(data.sweep.reason) + "</p>\n";
    const double chosen = data.sweep.chosen_k;
    s += line_chart(data.sweep.k, data.sweep.inertia, "Elbow: inertia by K", "K", "inertia", chosen, "elbow");
    if (!data.sweep.silhouette.empty())
      s += line_chart(data.sweep.k, data.sweep.silhouette, "Silhouette by K (higher is better)", "K", "silhouette",
                      chosen, "score-silhouette");
    if (!data.sweep.davies_bouldin.empty())
      s += line_chart(data.sweep.k, data.sweep.davies_bouldin, "Davies-Bouldin by K (lower is better)", "K",
                      "Davies-Bouldin", chosen, "score-davies-bouldin");
    if (!data.sweep.calinski_harabasz.empty())
      s += line_chart(data.sweep.k, data.sweep.calinski_harabasz, "Calinski-Harabasz by K (higher is better)", "K",
                      "Calinski-Harabasz", chosen, "score-calinski-harabasz");
    s += "</section>\n";
  }

  s += "<section id=\"segments\">\n<h2>The segments</h2>\n" + detail::legend(data);
  if (data.customers_total > n)
    s += "<p class=\"note sample\">The charts of customers draw a random sample of " + std::to_string(n) + " of the " +
         std::to_string(data.customers_total) +
         " customers, every segment in proportion to its size (and at least a few of each); the profiles "
         "below use every customer.</p>\n";
  if (!data.pca_x.empty()) {
    std::vector<std::string> hover(n);
    for (std::size_t i = 0; i < n; ++i) hover[i] = detail::hover_text(data, i);
    Frame f;
    f.width = 560;
    f.height = 420;
    s += scatter_chart(data.pca_x, data.pca_y, data.labels, hover, "Customers on the first two principal components",
                       data.pca_x_label, data.pca_y_label, "pca-scatter", f);
  }
  if (!data.silhouette_samples.empty()) {
    s += detail::silhouette_chart(data);
    if (data.silhouette_sampled)
      s += "<p class=\"note\">Silhouette values are computed within the sample: each customer against the sampled "
           "customers only.</p>\n";
  }
  s += "</section>\n";

  if (data.feature_values.size() >= 2)
    s += "<section id=\"pairs\">\n<h2>Features, pair by pair</h2>\n" + detail::pair_plot(data) + "</section>\n";

  if (!data.profile_header.empty()) {
    s += "<section id=\"profiles\">\n<h2>Segment profiles</h2>\n<table class=\"profiles\">\n<tr>";
    for (const std::string& h : data.profile_header) s += "<th>" + escape(h) + "</th>";
    s += "</tr>\n";
    for (const auto& row : data.profile_rows) {
      s += "<tr>";
      for (const std::string& cell : row) s += "<td>" + escape(cell) + "</td>";
      s += "</tr>\n";
    }
    s += "</table>\n</section>\n";
  }
  return s + "</body>\n</html>\n";
}

}  // namespace segkit::report
