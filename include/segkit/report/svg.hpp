#pragma once
// Small SVG chart primitives for segkit's self-contained HTML report: no
// scripts from the network, no external files; every chart is inline SVG.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "segkit/core/format.hpp"

namespace segkit::report {

/// Text made safe for HTML/SVG element content and attribute values.
inline std::string escape(const std::string& text) { return segkit::markup_escape(text); }

/// Numbers on charts and in the report's tables: four significant digits unless told otherwise.
inline std::string chart_number(double value, int digits = 4) { return segkit::format_number(value, digits); }

/// Segments told apart by colour and, beyond ten, by marker shape as well.
inline constexpr std::size_t palette_size = 10;
inline constexpr std::size_t marker_shapes = 4;
/// Segments with a colour and shape of their own; beyond, pairs repeat (the legend says so).
inline constexpr std::size_t distinct_segments = palette_size * marker_shapes;

/// Colour of segment `label`: Paul Tol's "muted" scheme (designed to stay distinct for
/// the common forms of colour blindness) and a dark grey; segment 10 starts over with
/// the first colour and the next marker shape (marker_shape).
inline const char* segment_colour(std::size_t label) {
  // Ordered so that the first few, which most segmentations use, differ most.
  static const char* const palette[palette_size] = {"#332288", "#cc6677", "#117733", "#88ccee", "#ddcc77",
                                                    "#882255", "#44aa99", "#999933", "#aa4499", "#555555"};
  return palette[label % palette_size];
}

enum class MarkerShape { circle, square, triangle, diamond };

inline MarkerShape marker_shape(std::size_t label) {
  return static_cast<MarkerShape>((label / palette_size) % marker_shapes);
}

/// Path data of one marker of `shape` centred on (x, y), about 6 px across. Many of
/// them make one path per segment: a few bytes a customer instead of an element each.
inline std::string marker_path(MarkerShape shape, double x, double y) {
  char buffer[96];
  switch (shape) {
    case MarkerShape::circle:  // two half circles
      std::snprintf(buffer, sizeof buffer, "M%.1f %.1fa3 3 0 1 0 6 0a3 3 0 1 0-6 0", x - 3, y);
      break;
    case MarkerShape::square:
      std::snprintf(buffer, sizeof buffer, "M%.1f %.1fh5.4v5.4h-5.4z", x - 2.7, y - 2.7);
      break;
    case MarkerShape::triangle:
      std::snprintf(buffer, sizeof buffer, "M%.1f %.1fl3.4 6h-6.8z", x, y - 3.6);
      break;
    case MarkerShape::diamond:
      std::snprintf(buffer, sizeof buffer, "M%.1f %.1fl3.5 3.5-3.5 3.5-3.5-3.5z", x, y - 3.5);
      break;
  }
  return buffer;
}

/// A number as a chart's tick reads it: thousands, millions and billions as k, M and B
/// (20k, 1.25M), so that a tick stays a few characters wide and never collides with the next.
inline std::string format_tick(double value) {
  const double magnitude = std::abs(value);
  const char* suffix = "";
  double scaled = value;
  if (magnitude >= 1e9)
    scaled = value / 1e9, suffix = "B";
  else if (magnitude >= 1e6)
    scaled = value / 1e6, suffix = "M";
  else if (magnitude >= 1e3)
    scaled = value / 1e3, suffix = "k";
  if (magnitude >= 1e12 || (magnitude > 0 && magnitude < 1e-3)) return chart_number(value, 2);
  return chart_number(scaled, 3) + suffix;
}

/// Maps a data range onto a pixel range, with "nice" tick values.
class Axis {
 public:
  Axis(double lo, double hi, double pixel_lo, double pixel_hi) : pixel_lo_(pixel_lo), pixel_hi_(pixel_hi) {
    if (!(lo < hi)) {  // a single value or no data: a unit-wide window around it
      const double centre = std::isfinite(lo) ? lo : 0.0;
      lo = centre - 0.5;
      hi = centre + 0.5;
    }
    const double pad = (hi - lo) * 0.04;
    lo_ = lo - pad;
    hi_ = hi + pad;
  }

  double operator()(double value) const { return pixel_lo_ + (value - lo_) / (hi_ - lo_) * (pixel_hi_ - pixel_lo_); }

  /// About `count` round tick values inside the range (steps of 1, 2 or 5 x 10^n).
  std::vector<double> ticks(int count = 5) const {
    const double raw = (hi_ - lo_) / count;
    const double power = std::pow(10.0, std::floor(std::log10(raw)));
    double step = power;
    for (const double m : {1.0, 2.0, 5.0, 10.0})
      if (raw <= m * power) {
        step = m * power;
        break;
      }
    std::vector<double> out;
    for (double t = std::ceil(lo_ / step) * step; t <= hi_ + step * 1e-9; t += step)
      out.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
    return out;
  }

 private:
  double lo_ = 0, hi_ = 1, pixel_lo_, pixel_hi_;
};

inline std::pair<double, double> finite_range(const std::vector<double>& values) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const double v : values)
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  return {lo, hi};
}

/// The attributes that squeeze a label into `pixels` when, at `font_px`, it would run
/// longer (an estimate: 0.6 em a character); nothing when it fits. A long column name
/// is drawn narrower, never cut.
inline std::string fit_length(const std::string& text, double pixels, double font_px) {
  if (static_cast<double>(text.size()) * 0.6 * font_px <= pixels) return "";
  return " textLength=\"" + chart_number(pixels, 4) + "\" lengthAdjust=\"spacingAndGlyphs\"";
}

/// One chart's frame: width x height pixels with margins for the axes.
struct Frame {
  double width = 420, height = 300;
  double left = 56, right = 14, top = 28, bottom = 44;
  double plot_left() const { return left; }
  double plot_right() const { return width - right; }
  double plot_top() const { return top; }
  double plot_bottom() const { return height - bottom; }
};

/// The two axes of a chart of ys over xs in frame f, each over its data's finite range.
/// One function for every chart that draws such data, so that marks added later to a
/// chart (the centres on the PCA scatter) land where its points do.
struct PlotAxes {
  Axis x, y;
};
inline PlotAxes plot_axes(const std::vector<double>& xs, const std::vector<double>& ys, const Frame& f) {
  const auto [x_lo, x_hi] = finite_range(xs);
  const auto [y_lo, y_hi] = finite_range(ys);
  return {Axis(x_lo, x_hi, f.plot_left(), f.plot_right()), Axis(y_lo, y_hi, f.plot_bottom(), f.plot_top())};
}

/// The opening <svg> tag, the title, axes with ticks and axis labels.
inline std::string chart_start(const Frame& f, const Axis& x, const Axis& y, const std::string& title,
                               const std::string& x_label, const std::string& y_label, const std::string& css_class,
                               bool integer_x = false, bool x_ticks = true) {
  std::string s = "<svg class=\"chart " + css_class + "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                  chart_number(f.width) + "\" height=\"" + chart_number(f.height) + "\" viewBox=\"0 0 " +
                  chart_number(f.width) + " " + chart_number(f.height) + "\" role=\"img\" aria-label=\"" +
                  escape(title) + "\">\n";
  s += "<text class=\"title\" x=\"" + chart_number(f.width / 2) + "\" y=\"18\" text-anchor=\"middle\">" +
       escape(title) + "</text>\n";
  s += "<rect class=\"plot\" x=\"" + chart_number(f.plot_left()) + "\" y=\"" + chart_number(f.plot_top()) +
       "\" width=\"" + chart_number(f.plot_right() - f.plot_left()) + "\" height=\"" +
       chart_number(f.plot_bottom() - f.plot_top()) + "\" fill=\"none\" stroke=\"#999\"/>\n";
  // About one tick per 60 px across and per 36 px up: room for a label of five or six characters.
  const int x_tick_count = std::max(2, static_cast<int>((f.plot_right() - f.plot_left()) / 60));
  const int y_ticks = std::max(2, static_cast<int>((f.plot_bottom() - f.plot_top()) / 36));
  for (const double t : x_ticks ? x.ticks(x_tick_count) : std::vector<double>{}) {
    if (integer_x && t != std::floor(t)) continue;
    const double px = x(t);
    if (px < f.plot_left() - 0.5 || px > f.plot_right() + 0.5) continue;
    s += "<line x1=\"" + chart_number(px) + "\" x2=\"" + chart_number(px) + "\" y1=\"" + chart_number(f.plot_bottom()) +
         "\" y2=\"" + chart_number(f.plot_bottom() + 4) + "\" stroke=\"#999\"/><text class=\"tick\" x=\"" +
         chart_number(px) + "\" y=\"" + chart_number(f.plot_bottom() + 16) + "\" text-anchor=\"middle\">" +
         format_tick(t) + "</text>\n";
  }
  for (const double t : y.ticks(y_ticks)) {
    const double py = y(t);
    if (py < f.plot_top() - 0.5 || py > f.plot_bottom() + 0.5) continue;
    s += "<line x1=\"" + chart_number(f.plot_left() - 4) + "\" x2=\"" + chart_number(f.plot_left()) + "\" y1=\"" +
         chart_number(py) + "\" y2=\"" + chart_number(py) + "\" stroke=\"#999\"/><text class=\"tick\" x=\"" +
         chart_number(f.plot_left() - 6) + "\" y=\"" + chart_number(py + 4) + "\" text-anchor=\"end\">" +
         format_tick(t) + "</text>\n";
  }
  if (!x_label.empty())
    s += "<text class=\"axis-label\" x=\"" + chart_number((f.plot_left() + f.plot_right()) / 2) + "\" y=\"" +
         chart_number(f.height - 8) + "\" text-anchor=\"middle\"" +
         fit_length(x_label, f.plot_right() - f.plot_left(), 11) + ">" + escape(x_label) + "</text>\n";
  if (!y_label.empty())
    s += "<text class=\"axis-label\" transform=\"translate(14," + chart_number((f.plot_top() + f.plot_bottom()) / 2) +
         ") rotate(-90)\" text-anchor=\"middle\"" + fit_length(y_label, f.plot_bottom() - f.plot_top(), 11) + ">" +
         escape(y_label) + "</text>\n";
  return s;
}

/// A line chart of y over x with a marker on each point; `highlight` (an x
/// value, or NaN for none) gets a vertical rule and a larger marker.
inline std::string line_chart(const std::vector<double>& xs, const std::vector<double>& ys, const std::string& title,
                              const std::string& x_label, const std::string& y_label, double highlight,
                              const std::string& css_class) {
  const Frame f;
  const auto [x, y] = plot_axes(xs, ys, f);
  std::string s = chart_start(f, x, y, title, x_label, y_label, css_class, true);
  std::string path;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (!std::isfinite(ys[i])) continue;
    path += (path.empty() ? "M" : " L") + chart_number(x(xs[i]), 6) + "," + chart_number(y(ys[i]), 6);
  }
  if (!path.empty())
    s += "<path class=\"series\" d=\"" + path + "\" fill=\"none\" stroke=\"#4e79a7\" stroke-width=\"2\"/>\n";
  if (std::isfinite(highlight))
    s += "<line class=\"chosen\" x1=\"" + chart_number(x(highlight), 6) + "\" x2=\"" + chart_number(x(highlight), 6) +
         "\" y1=\"" + chart_number(f.plot_top()) + "\" y2=\"" + chart_number(f.plot_bottom()) +
         "\" stroke=\"#e15759\" stroke-dasharray=\"4 3\"/>\n";
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (!std::isfinite(ys[i])) continue;
    const bool chosen = xs[i] == highlight;
    s += "<circle class=\"point" + std::string(chosen ? " chosen" : "") + "\" cx=\"" + chart_number(x(xs[i]), 6) +
         "\" cy=\"" + chart_number(y(ys[i]), 6) + "\" r=\"" + (chosen ? "6" : "3.5") + "\" fill=\"" +
         (chosen ? "#e15759" : "#4e79a7") + "\"><title>" + escape(x_label) + " " + chart_number(xs[i]) + ": " +
         escape(y_label) + " " + chart_number(ys[i], 6) + "</title></circle>\n";
  }
  return s + "</svg>\n";
}

/// The fill of segment `label`'s markers.
inline std::string marker_style(std::size_t label) {
  return std::string(" fill=\"") + segment_colour(label) + "\" fill-opacity=\"0.75\"";
}

/// A scatter plot coloured (and, beyond ten segments, shaped) by segment, one element
/// per customer: hovering a point shows its label text.
inline std::string scatter_chart(const std::vector<double>& xs, const std::vector<double>& ys,
                                 const std::vector<std::size_t>& labels, const std::vector<std::string>& hover,
                                 const std::string& title, const std::string& x_label, const std::string& y_label,
                                 const std::string& css_class, Frame f = {}) {
  const auto [x, y] = plot_axes(xs, ys, f);
  std::string s = chart_start(f, x, y, title, x_label, y_label, css_class);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (!std::isfinite(xs[i]) || !std::isfinite(ys[i])) continue;
    s += "<path class=\"point segment-" + std::to_string(labels[i]) + "\" d=\"" +
         marker_path(marker_shape(labels[i]), x(xs[i]), y(ys[i])) + "\"" + marker_style(labels[i]) + "><title>" +
         escape(hover[i]) + "</title></path>\n";
  }
  return s + "</svg>\n";
}

/// A scatter plot with one path per segment (no hover): a few bytes a customer, for the
/// many panels of a pair plot.
inline std::string dots_chart(const std::vector<double>& xs, const std::vector<double>& ys,
                              const std::vector<std::size_t>& labels, const std::string& css_class, const Frame& f) {
  const auto [x, y] = plot_axes(xs, ys, f);
  std::string s = chart_start(f, x, y, "", "", "", css_class);
  std::size_t k = 0;
  for (const std::size_t l : labels) k = std::max(k, l + 1);
  std::vector<std::string> paths(k);
  for (std::size_t i = 0; i < xs.size(); ++i)
    if (std::isfinite(xs[i]) && std::isfinite(ys[i]))
      paths[labels[i]] += marker_path(marker_shape(labels[i]), x(xs[i]), y(ys[i]));
  for (std::size_t c = 0; c < k; ++c)
    if (!paths[c].empty())
      s += "<path class=\"points segment-" + std::to_string(c) + "\" d=\"" + paths[c] + "\"" + marker_style(c) + "/>\n";
  return s + "</svg>\n";
}

/// Each segment's histogram of one feature, as outlines over one axis: heights are
/// shares of the segment's customers, so that a small segment's shape shows beside a
/// large one's. segment_ids: the id each label is shown with (empty: the label).
inline std::string histogram_chart(const std::vector<double>& values, const std::vector<std::size_t>& labels,
                                   const std::string& title, const std::string& css_class, const Frame& f,
                                   const std::vector<std::size_t>& segment_ids = {}, std::size_t bins = 20) {
  const auto [lo, hi] = finite_range(values);
  std::size_t k = 0;
  for (const std::size_t l : labels) k = std::max(k, l + 1);
  const double width = hi > lo ? (hi - lo) / static_cast<double>(bins) : 1.0;
  std::vector<std::vector<double>> share(k, std::vector<double>(bins, 0.0));
  std::vector<std::size_t> size(k, 0);
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) continue;
    const auto b = std::min(bins - 1, static_cast<std::size_t>(hi > lo ? (values[i] - lo) / width : 0.0));
    share[labels[i]][b] += 1;
    ++size[labels[i]];
  }
  double top = 0;
  for (std::size_t c = 0; c < k; ++c)
    for (double& v : share[c]) {
      if (size[c] > 0) v /= static_cast<double>(size[c]);
      top = std::max(top, v);
    }
  const Axis x(lo, hi > lo ? hi : lo + 1, f.plot_left(), f.plot_right());
  const Axis y(0.0, top > 0 ? top : 1.0, f.plot_bottom(), f.plot_top());
  std::string s = chart_start(f, x, y, "", "", "", css_class);
  s += "<text class=\"feature-name\" x=\"" + chart_number((f.plot_left() + f.plot_right()) / 2) + "\" y=\"" +
       chart_number(f.plot_top() - 4) + "\" text-anchor=\"middle\"" +
       fit_length(title, f.plot_right() - f.plot_left(), 12) + ">" + escape(title) + "</text>\n";
  for (std::size_t c = 0; c < k; ++c) {
    if (size[c] == 0) continue;
    // Appended piece by piece: GCC 12 sees a false overlap (-Wrestrict) in "V" + std::string here.
    std::string path = "M";
    path.append(chart_number(x(lo), 6)).append(",").append(chart_number(y(0.0), 6));
    for (std::size_t b = 0; b < bins; ++b) {
      path.append("V").append(chart_number(y(share[c][b]), 6));
      path.append("H").append(chart_number(x(lo + width * static_cast<double>(b + 1)), 6));
    }
    path.append("V").append(chart_number(y(0.0), 6));
    s += "<path class=\"histogram segment-" + std::to_string(c) + "\" d=\"" + path + "\" fill=\"" + segment_colour(c) +
         "\" fill-opacity=\"0.12\" stroke=\"" + segment_colour(c) + "\" stroke-width=\"1.5\"><title>segment " +
         std::to_string(c < segment_ids.size() ? segment_ids[c] : c) + ": " + std::to_string(size[c]) +
         " customers drawn</title></path>\n";
  }
  return s + "</svg>\n";
}

/// A dendrogram of the top of a merge tree (scipy's linkage layout, `merges` rows of [a, b,
/// height, size]; `leaves` = rows + 1): the last `shown - 1` merges, the clusters below
/// them drawn as leaves at height 0 labelled with their size (scipy's truncate_mode
/// "lastp"), and a dashed line at `cut` (NaN: none) where the tree is cut into segments.
inline std::string dendrogram_chart(const std::vector<std::array<double, 4>>& merges, std::size_t shown, double cut,
                                    const std::string& title, const std::string& css_class) {
  const std::size_t n = merges.size() + 1;
  shown = std::clamp<std::size_t>(shown, 2, n);
  const std::size_t first_top = n - shown;  // rows first_top .. n - 2 are drawn as merges
  const auto is_leaf = [&](std::size_t id) { return id < n + first_top; };
  const auto size_of = [&](std::size_t id) { return id < n ? 1.0 : merges[id - n][3]; };
  std::vector<double> x_of(2 * n - 1, 0.0);
  std::vector<std::size_t> leaves;
  // Leaves in the order a walk from the root meets them (left child first), iteratively.
  std::vector<std::size_t> stack{2 * n - 2};
  while (!stack.empty()) {
    const std::size_t id = stack.back();
    stack.pop_back();
    if (is_leaf(id)) {
      x_of[id] = static_cast<double>(leaves.size());
      leaves.push_back(id);
      continue;
    }
    stack.push_back(static_cast<std::size_t>(merges[id - n][1]));
    stack.push_back(static_cast<std::size_t>(merges[id - n][0]));
  }
  for (std::size_t m = first_top; m + 1 < n; ++m)
    x_of[n + m] = (x_of[static_cast<std::size_t>(merges[m][0])] + x_of[static_cast<std::size_t>(merges[m][1])]) / 2;
  Frame f;
  f.width = std::max(420.0, 22.0 * static_cast<double>(shown) + 80);
  f.height = 340;
  f.bottom = 60;
  const double top = merges.back()[2];
  const Axis x(-0.5, static_cast<double>(shown) - 0.5, f.plot_left(), f.plot_right());
  const Axis y(0.0, top > 0 ? top : 1.0, f.plot_bottom(), f.plot_top());
  std::string s = chart_start(f, x, y, title, "", "merge height", css_class, false, /*x_ticks=*/false);
  const auto height_of = [&](std::size_t id) { return is_leaf(id) ? 0.0 : merges[id - n][2]; };
  for (std::size_t m = first_top; m + 1 < n; ++m) {
    const std::size_t a = static_cast<std::size_t>(merges[m][0]), b = static_cast<std::size_t>(merges[m][1]);
    const double h = y(merges[m][2]);
    s += "<path class=\"link\" d=\"M" + chart_number(x(x_of[a]), 6) + "," + chart_number(y(height_of(a)), 6) + " V" +
         chart_number(h, 6) + " H" + chart_number(x(x_of[b]), 6) + " V" + chart_number(y(height_of(b)), 6) +
         "\" fill=\"none\" stroke=\"#4e79a7\" stroke-width=\"1.5\"><title>merge of " + chart_number(size_of(a), 6) +
         " and " + chart_number(size_of(b), 6) + " customers at height " + chart_number(merges[m][2], 6) +
         "</title></path>\n";
  }
  for (const std::size_t id : leaves)
    s += "<text class=\"tick leaf\" transform=\"translate(" + chart_number(x(x_of[id]), 6) + "," +
         chart_number(f.plot_bottom() + 8) + ") rotate(90)\" text-anchor=\"start\">(" + chart_number(size_of(id), 6) +
         ")</text>\n";
  if (std::isfinite(cut))
    s += "<line class=\"cut\" x1=\"" + chart_number(f.plot_left()) + "\" x2=\"" + chart_number(f.plot_right()) +
         "\" y1=\"" + chart_number(y(cut), 6) + "\" y2=\"" + chart_number(y(cut), 6) +
         "\" stroke=\"#e15759\" stroke-dasharray=\"4 3\"/>\n";
  return s + "</svg>\n";
}

}  // namespace segkit::report
