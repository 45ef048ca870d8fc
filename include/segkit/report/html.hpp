#pragma once
// The segmentation report: one self-contained HTML file (inline SVG and CSS,
// nothing fetched from the network) with the charts analysts draw to choose K
// and to see the segments, and the profile table.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <cstdio>
#include <numeric>
#include <string>
#include <string_view>
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
  /// The id each segment is shown with (segment_ids[label]); empty: its label.
  std::vector<std::size_t> segment_ids;
  std::vector<std::string> ids;  ///< customer id of each row (row number when empty)
  std::vector<std::string> segment_names;

  std::vector<double> pca_x, pca_y;  ///< 2-D PCA projection of each customer
  std::string pca_x_label = "PC 1", pca_y_label = "PC 2";

  std::vector<double> centers_x, centers_y;  ///< each segment's centre on the PCA axes (optional)

  std::vector<std::string> feature_names;           ///< the pair plot's features (every one is drawn)
  std::vector<std::vector<double>> feature_values;  ///< one vector per feature, one value per customer
  std::string pair_note;                            ///< which features the pair plot shows, and why

  std::vector<double> silhouette_samples;  ///< each customer's silhouette
  bool silhouette_sampled = false;
  /// All the customers segmented, when the per-customer fields above hold a sample of
  /// them (a chart of a million points cannot be drawn); 0 when they hold every one.
  std::size_t customers_total = 0;

  std::vector<std::string> profile_header;
  std::vector<std::vector<std::string>> profile_rows;

  /// The heat map beside the profile table: heat_z[c][j], segment c's mean of feature j
  /// in standard deviations from the mean of every customer.
  std::vector<std::string> heat_features;
  std::vector<std::vector<double>> heat_z;

  /// What the preparation of the data did, one sentence each.
  std::vector<std::string> preparation;

  /// More tables after the profiles (the RFM report's named segments, say).
  struct Table {
    std::string title, note;
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
  };
  std::vector<Table> tables;

  /// An agglomerative clustering's merge tree (scipy's linkage rows), drawn as a
  /// dendrogram of its top merges, cut at tree_cut (NaN: not drawn); empty: no tree.
  std::vector<std::array<double, 4>> tree;
  double tree_cut = std::numeric_limits<double>::quiet_NaN();
  std::string tree_note;

  /// DBSCAN's sorted k-distance curve (points of it: each customer's rank and its distance to
  /// its k-th nearest customer), eps's rank on it (NaN: none), what it shows, and its y label.
  std::vector<double> k_distance_rank, k_distance;
  /// Segmentations of the same customers side by side (segkit compare): each drawn on the
  /// PCA axes above (pca_x, pca_y), coloured by its own labels. With panels and no labels,
  /// the single segmentation's sections are left out.
  struct Panel {
    std::string title;
    std::vector<std::size_t> labels;
  };
  std::vector<Panel> panels;
  double k_distance_eps_rank = std::numeric_limits<double>::quiet_NaN();
  std::string k_distance_note, k_distance_label;
};

/// Above this many columns a table is drawn transposed: one row per column, so that
/// it grows down the page instead of scrolling sideways.
inline constexpr std::size_t max_table_columns = 12;

namespace detail {

/// The number segment `label` is shown with.
inline std::string segment_number(const ReportData& data, std::size_t label) {
  return std::to_string(label < data.segment_ids.size() ? data.segment_ids[label] : label);
}

inline std::string hover_text(const ReportData& data, std::size_t i) {
  const std::string id = i < data.ids.size() && !data.ids[i].empty() ? data.ids[i] : "row " + std::to_string(i + 1);
  const std::size_t label = data.labels[i];
  std::string segment = "segment " + segment_number(data, label);
  if (label < data.segment_names.size() && !data.segment_names[label].empty())
    segment += " (" + data.segment_names[label] + ")";
  return "customer " + id + ": " + segment;
}

inline std::string legend(const ReportData& data) {
  std::size_t k = 0;
  for (const std::size_t l : data.labels) k = std::max(k, l + 1);
  std::string s = "<p class=\"legend\">";
  for (std::size_t c = 0; c < k; ++c) {
    s += "<span><svg width=\"12\" height=\"12\"><path d=\"" + marker_path(marker_shape(c), 6, 6) + "\"" +
         marker_style(c) + "/></svg> segment " + segment_number(data, c);
    if (c < data.segment_names.size() && !data.segment_names[c].empty()) s += ": " + escape(data.segment_names[c]);
    s += "</span> ";
  }
  s += "</p>\n";
  if (k > distinct_segments)
    s += "<p class=\"note\">Beyond " + std::to_string(distinct_segments) +
         " segments colours and marker shapes repeat: segment c looks like segment c - " +
         std::to_string(distinct_segments) + ".</p>\n";
  return s;
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
      path += chart_number(x(0.0), 6);
      path += ',';
      path += chart_number(y(row + 0.5), 6);
      path += 'H';
      path += chart_number(x(v), 6);
      row += 1;
      total += v;
    }
    s += "<path class=\"silhouette-bars segment-" + std::to_string(c) + "\" d=\"" + path + "\" stroke=\"" +
         segment_colour(c) + "\" stroke-width=\"" + chart_number(row_height, 3) + "\"><title>segment " +
         segment_number(data, c) + ": " + std::to_string(segment.size()) + " customers, mean silhouette " +
         chart_number(std::accumulate(segment.begin(), segment.end(), 0.0) / static_cast<double>(segment.size())) +
         "</title></path>\n";
    s += "<text class=\"tick\" x=\"" + chart_number(x(-0.95), 6) + "\" y=\"" +
         chart_number(y(row - segment.size() / 2.0), 6) + "\">" + segment_number(data, c) + "</text>\n";
    row += gap;
  }
  const double mean = n > 0 ? total / static_cast<double>(n) : 0.0;
  s += "<line class=\"mean\" x1=\"" + chart_number(x(mean), 6) + "\" x2=\"" + chart_number(x(mean), 6) + "\" y1=\"" +
       chart_number(f.plot_top()) + "\" y2=\"" + chart_number(f.plot_bottom()) +
       "\" stroke=\"#e15759\" stroke-dasharray=\"4 3\"><title>mean silhouette " + chart_number(mean) +
       "</title></line>\n";
  return s + "</svg>\n";
}

/// Every pair of the chosen features as a scatter coloured by segment, and on the
/// diagonal each segment's histogram of the feature, named above it.
inline std::string pair_plot(const ReportData& data) {
  const std::size_t d = data.feature_values.size();
  std::string s = "<div class=\"pair-plot\" style=\"display:grid;justify-content:start;grid-template-columns:repeat(" +
                  std::to_string(d) + ",auto)\">\n";
  Frame f;
  f.width = f.height = d <= 3 ? 240 : 180;
  f.left = 44;
  f.bottom = 24;
  f.top = 20;
  for (std::size_t r = 0; r < d; ++r)
    for (std::size_t c = 0; c < d; ++c)
      s += r == c ? histogram_chart(data.feature_values[r], data.labels, data.feature_names[r], "pair-histogram", f,
                                    data.segment_ids)
                  : dots_chart(data.feature_values[c], data.feature_values[r], data.labels, "pair", f);
  return s + "</div>\n";
}

/// A colour from blue (z = -2 and below) through white to red (z = 2 and above).
inline std::string heat_colour(double z) {
  if (!std::isfinite(z)) return "#dddddd";
  const double t = std::clamp(z / 2.0, -1.0, 1.0);
  // Tol's diverging blue #4477aa and red #cc3311, mixed with white by |t|.
  const double r = t < 0 ? 0x44 : 0xcc, g = t < 0 ? 0x77 : 0x33, b = t < 0 ? 0xaa : 0x11;
  const double a = std::abs(t);
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "#%02x%02x%02x", static_cast<int>(std::lround(255 + (r - 255) * a)),
                static_cast<int>(std::lround(255 + (g - 255) * a)), static_cast<int>(std::lround(255 + (b - 255) * a)));
  return buffer;
}

/// Segment x feature, each cell the segment's mean in standard deviations from the
/// mean of every customer; features down the side when there are many.
inline std::string heat_map(const ReportData& data) {
  const std::size_t k = data.heat_z.size(), m = data.heat_features.size();
  const bool features_down = m > max_table_columns;
  const std::size_t rows = features_down ? m : k, columns = features_down ? k : m;
  auto row_name = [&](std::size_t r) {
    return features_down ? data.heat_features[r] : "segment " + segment_number(data, r);
  };
  auto column_name = [&](std::size_t c) {
    return features_down ? "segment " + segment_number(data, c) : data.heat_features[c];
  };
  const double cell_w = 64, cell_h = 22, left = 170, top = 96;
  const std::string heat_title = "Segment means, in standard deviations from all customers' mean";
  // About as wide as the title.
  const double width = std::max(560.0, left + cell_w * static_cast<double>(columns) + 10),
               height = top + cell_h * static_cast<double>(rows) + 10;
  std::string s = "<svg class=\"chart heat-map\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + chart_number(width) +
                  "\" height=\"" + chart_number(height) + "\" viewBox=\"0 0 " + chart_number(width) + " " +
                  chart_number(height) +
                  "\" role=\"img\" aria-label=\"Segment means in standard deviations\">\n"
                  "<text class=\"title\" x=\"4\" y=\"18\"" +
                  fit_length(heat_title, width - 8, 14) + ">" + heat_title + "</text>\n";
  for (std::size_t c = 0; c < columns; ++c) {
    const double x = left + cell_w * (static_cast<double>(c) + 0.5);
    s += "<text class=\"tick\" transform=\"translate(" + chart_number(x, 6) + "," + chart_number(top - 6) +
         ") rotate(-40)\"" + fit_length(column_name(c), 110, 10) + ">" + escape(column_name(c)) + "</text>\n";
  }
  for (std::size_t r = 0; r < rows; ++r) {
    const double y = top + cell_h * static_cast<double>(r);
    s += "<text class=\"tick\" x=\"" + chart_number(left - 6) + "\" y=\"" + chart_number(y + cell_h * 0.7, 6) +
         "\" text-anchor=\"end\"" + fit_length(row_name(r), left - 10, 10) + ">" + escape(row_name(r)) + "</text>\n";
    for (std::size_t c = 0; c < columns; ++c) {
      const double z = features_down ? data.heat_z[c][r] : data.heat_z[r][c];
      const double x = left + cell_w * static_cast<double>(c);
      s += "<rect class=\"cell\" x=\"" + chart_number(x, 6) + "\" y=\"" + chart_number(y, 6) + "\" width=\"" +
           chart_number(cell_w - 1) + "\" height=\"" + chart_number(cell_h - 1) + "\" fill=\"" + heat_colour(z) +
           "\"><title>" + escape(row_name(r)) + ", " + escape(column_name(c)) + ": " + format_fixed(z, 2) +
           " standard deviations</title></rect><text class=\"tick\" x=\"" + chart_number(x + cell_w / 2, 6) +
           "\" y=\"" + chart_number(y + cell_h * 0.7, 6) + "\" text-anchor=\"middle\">" +
           format_fixed(std::abs(z) < 0.05 ? 0.0 : z, 1) +  // never "-0.0"
           "</text>\n";
    }
  }
  return s + "</svg>\n";
}

/// A table; with more than max_table_columns columns, one row per column instead.
inline std::string table_html(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                              const std::string& css_class) {
  std::string s = "<table class=\"" + css_class + "\">\n";
  // Figures line up on the right, words (a segment's name) read from the left.
  auto is_text = [](const std::string& cell) {
    const std::size_t first = cell.find_first_not_of(' ');
    return first != std::string::npos && std::string_view("0123456789+-.").find(cell[first]) == std::string_view::npos;
  };
  auto row_html = [&s, &is_text](const std::vector<std::string>& cells, bool head) {
    s += "<tr>";
    for (std::size_t j = 0; j < cells.size(); ++j) {
      const bool heading = head || j == 0;
      s += heading ? "<th>" : (is_text(cells[j]) ? "<td class=\"text\">" : "<td>");
      s += escape(cells[j]) + (heading ? "</th>" : "</td>");
    }
    s += "</tr>\n";
  };
  if (header.size() <= max_table_columns) {
    row_html(header, true);
    for (const auto& row : rows) row_html(row, false);
  } else {
    for (std::size_t j = 0; j < header.size(); ++j) {
      std::vector<std::string> cells = {header[j]};
      for (const auto& row : rows) cells.push_back(j < row.size() ? row[j] : "");
      row_html(cells, j == 0);
    }
  }
  return s + "</table>\n";
}

/// The centres of the segments on the PCA scatter: a cross and the segment's number.
inline std::string centroid_marks(const ReportData& data, const Frame& f) {
  const auto [x, y] = plot_axes(data.pca_x, data.pca_y, f);  // the scatter's own axes
  std::string s;
  for (std::size_t c = 0; c < data.centers_x.size(); ++c) {
    const double px = x(data.centers_x[c]), py = y(data.centers_y[c]);
    if (!std::isfinite(px) || !std::isfinite(py)) continue;
    const std::string cross = "M" + chart_number(px - 6, 6) + "," + chart_number(py - 6, 6) + "l12,12m0,-12l-12,12";
    s += "<g class=\"centroid\"><title>centre of segment " + segment_number(data, c) + "</title><path d=\"" + cross +
         "\" stroke=\"#fff\" stroke-width=\"5\"/><path d=\"" + cross +
         "\" stroke=\"#000\" stroke-width=\"2\"/><text x=\"" + chart_number(px + 8, 6) + "\" y=\"" +
         chart_number(py - 6, 6) +
         "\" class=\"centroid-label\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">" +
         segment_number(data, c) + "</text></g>\n";
  }
  return s;
}

}  // namespace detail

/// The whole report as one HTML document.
inline std::string render_html(const ReportData& data) {
  // The customers drawn: the segmentation's labels, or the panels' when only panels are drawn.
  const std::size_t n =
      data.labels.empty() && !data.panels.empty() ? data.panels.front().labels.size() : data.labels.size();
  auto sized = [n](std::size_t size) { return size == 0 || size == n; };
  for (const auto& panel : data.panels)
    if (panel.labels.size() != n)
      throw error("report: the panel \"" + panel.title + "\" has " + std::to_string(panel.labels.size()) +
                  " labels for " + std::to_string(n) + " customers");
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
  if (data.centers_x.size() != data.centers_y.size())
    throw error("report: " + std::to_string(data.centers_x.size()) + " centre x values for " +
                std::to_string(data.centers_y.size()) + " y values");
  for (const auto& row : data.heat_z)
    if (row.size() != data.heat_features.size())
      throw error("report: a heat-map row has " + std::to_string(row.size()) + " values for " +
                  std::to_string(data.heat_features.size()) + " features");

  std::string s =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + escape(data.title) +
      "</title>\n<style>\n"
      "body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1400px}\n"
      "svg.chart{background:#fff;margin:4px}\n.title{font-size:14px;font-weight:600}\n"
      ".tick{font-size:10px;fill:#555}\n.axis-label{font-size:11px}\n"
      "table{border-collapse:collapse;font-size:13px}\nth,td{border:1px solid #ccc;padding:3px 8px;text-align:right}\n"
      "th:first-child,td:first-child,td.text{text-align:left}\n.legend span{margin-right:1.2em;white-space:nowrap}\n"
      ".point:hover{stroke:#000;stroke-width:1.5}\n.note{color:#444;font-size:13px}\n"
      ".feature-name{font-size:12px;font-weight:600}\n.centroid-label{font-size:12px;font-weight:700}\n"
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

  if (!data.k_distance.empty()) {
    s += "<section id=\"choosing-eps\">\n<h2>How dense a segment must be</h2>\n";
    if (!data.k_distance_note.empty()) s += "<p class=\"note\">" + escape(data.k_distance_note) + "</p>\n";
    s += line_chart(data.k_distance_rank, data.k_distance, "Sorted k-distances: eps at the knee",
                    "customers, by that distance", data.k_distance_label, data.k_distance_eps_rank, "k-distance") +
         "</section>\n";
  }

  if (!data.tree.empty()) {
    s += "<section id=\"merge-tree\">\n<h2>The merge tree</h2>\n";
    if (!data.tree_note.empty()) s += "<p class=\"note\">" + escape(data.tree_note) + "</p>\n";
    s += dendrogram_chart(data.tree, 30, data.tree_cut, "Dendrogram: the last merges", "dendrogram") + "</section>\n";
  }

  if (!data.panels.empty() && data.pca_x.size() == n) {
    s += "<section id=\"side-by-side\">\n<h2>The segmentations side by side</h2>\n<p class=\"note\">The same customers "
         "on the same first two principal components, coloured by each algorithm's own segments (a colour means "
         "nothing from one chart to the next).</p>\n";
    for (const auto& panel : data.panels) {
      std::vector<std::string> hover(n);
      for (std::size_t i = 0; i < n; ++i)
        hover[i] = (i < data.ids.size() ? data.ids[i] : "row " + std::to_string(i + 1)) + ": segment " +
                   std::to_string(panel.labels[i]);
      Frame f;
      f.width = 420;
      f.height = 340;
      s += scatter_chart(data.pca_x, data.pca_y, panel.labels, hover, panel.title, data.pca_x_label, data.pca_y_label,
                         "panel", f);
    }
    s += "</section>\n";
  }

  if (!data.labels.empty()) {
    s += "<section id=\"segments\">\n<h2>The segments</h2>\n" + detail::legend(data);
    if (data.customers_total > n)
      s += "<p class=\"note sample\">The charts of customers draw a random sample of " + std::to_string(n) +
           " of the " + std::to_string(data.customers_total) +
           " customers, every segment in proportion to its size (and at least a few of each); the profiles "
           "below use every customer.</p>\n";
    if (!data.pca_x.empty()) {
      std::vector<std::string> hover(n);
      for (std::size_t i = 0; i < n; ++i) hover[i] = detail::hover_text(data, i);
      Frame f;
      f.width = 560;
      f.height = 420;
      std::string scatter =
          scatter_chart(data.pca_x, data.pca_y, data.labels, hover, "Customers on the first two principal components",
                        data.pca_x_label, data.pca_y_label, "pca-scatter", f);
      scatter.insert(scatter.rfind("</svg>"), detail::centroid_marks(data, f));
      s += scatter;
      if (!data.centers_x.empty()) s += "<p class=\"note\">Crosses mark the centre of each segment.</p>\n";
    }
    if (!data.silhouette_samples.empty()) {
      s += detail::silhouette_chart(data);
      if (data.silhouette_sampled)
        s += "<p class=\"note\">Silhouette values are computed within the sample: each customer against the sampled "
             "customers only.</p>\n";
    }
    s += "</section>\n";
  }

  if (data.feature_values.size() >= 2) {
    s += "<section id=\"pairs\">\n<h2>Features, pair by pair</h2>\n";
    if (!data.pair_note.empty()) s += "<p class=\"note\">" + escape(data.pair_note) + "</p>\n";
    s += detail::pair_plot(data) + "</section>\n";
  }

  if (!data.profile_header.empty() || !data.heat_z.empty()) {
    s += "<section id=\"profiles\">\n<h2>Segment profiles</h2>\n";
    if (!data.heat_z.empty()) s += detail::heat_map(data);
    if (!data.profile_header.empty()) s += detail::table_html(data.profile_header, data.profile_rows, "profiles");
    s += "</section>\n";
  }
  for (const auto& table : data.tables) {
    s += "<section class=\"table\">\n<h2>" + escape(table.title) + "</h2>\n";
    if (!table.note.empty()) s += "<p class=\"note\">" + escape(table.note) + "</p>\n";
    s += detail::table_html(table.header, table.rows, "extra") + "</section>\n";
  }
  if (!data.preparation.empty()) {
    s += "<section id=\"preparation\">\n<h2>How the data was prepared</h2>\n<ul>\n";
    for (const std::string& line : data.preparation) s += "<li>" + escape(line) + "</li>\n";
    s += "</ul>\n</section>\n";
  }
  return s + "</body>\n</html>\n";
}

}  // namespace segkit::report
