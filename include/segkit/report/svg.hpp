#pragma once
// Small SVG chart primitives for segkit's self-contained HTML report: no
// scripts from the network, no external files; every chart is inline SVG.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "segkit/core/format.hpp"

namespace segkit::report {

/// Text made safe for HTML/SVG element content and attribute values.
inline std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

/// Charts label with four significant digits unless told otherwise.
inline std::string format_number(double value, int digits = 4) { return segkit::format_number(value, digits); }

/// Colour of segment `label`: a qualitative palette (Tableau 10) that stays
/// distinguishable for the usual handful of segments, cycling after ten.
inline const char* segment_colour(std::size_t label) {
  static const char* const palette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                        "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
  return palette[label % 10];
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

/// One chart's frame: width x height pixels with margins for the axes.
struct Frame {
  double width = 420, height = 300;
  double left = 56, right = 14, top = 28, bottom = 44;
  double plot_left() const { return left; }
  double plot_right() const { return width - right; }
  double plot_top() const { return top; }
  double plot_bottom() const { return height - bottom; }
};

/// The opening <svg> tag, the title, axes with ticks and axis labels.
inline std::string chart_start(const Frame& f, const Axis& x, const Axis& y, const std::string& title,
                               const std::string& x_label, const std::string& y_label, const std::string& css_class,
                               bool integer_x = false) {
  std::string s = "<svg class=\"chart " + css_class + "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                  format_number(f.width) + "\" height=\"" + format_number(f.height) + "\" viewBox=\"0 0 " +
                  format_number(f.width) + " " + format_number(f.height) + "\" role=\"img\" aria-label=\"" +
                  escape(title) + "\">\n";
  s += "<text class=\"title\" x=\"" + format_number(f.width / 2) + "\" y=\"18\" text-anchor=\"middle\">" +
       escape(title) + "</text>\n";
  s += "<rect class=\"plot\" x=\"" + format_number(f.plot_left()) + "\" y=\"" + format_number(f.plot_top()) +
       "\" width=\"" + format_number(f.plot_right() - f.plot_left()) + "\" height=\"" +
       format_number(f.plot_bottom() - f.plot_top()) + "\" fill=\"none\" stroke=\"#999\"/>\n";
  for (const double t : x.ticks()) {
    if (integer_x && t != std::floor(t)) continue;
    const double px = x(t);
    if (px < f.plot_left() - 0.5 || px > f.plot_right() + 0.5) continue;
    s += "<line x1=\"" + format_number(px) + "\" x2=\"" + format_number(px) + "\" y1=\"" +
         format_number(f.plot_bottom()) + "\" y2=\"" + format_number(f.plot_bottom() + 4) +
         "\" stroke=\"#999\"/><text class=\"tick\" x=\"" + format_number(px) + "\" y=\"" +
         format_number(f.plot_bottom() + 16) + "\" text-anchor=\"middle\">" + format_number(t) + "</text>\n";
  }
  for (const double t : y.ticks()) {
    const double py = y(t);
    if (py < f.plot_top() - 0.5 || py > f.plot_bottom() + 0.5) continue;
    s += "<line x1=\"" + format_number(f.plot_left() - 4) + "\" x2=\"" + format_number(f.plot_left()) + "\" y1=\"" +
         format_number(py) + "\" y2=\"" + format_number(py) + "\" stroke=\"#999\"/><text class=\"tick\" x=\"" +
         format_number(f.plot_left() - 6) + "\" y=\"" + format_number(py + 4) + "\" text-anchor=\"end\">" +
         format_number(t) + "</text>\n";
  }
  s += "<text class=\"axis-label\" x=\"" + format_number((f.plot_left() + f.plot_right()) / 2) + "\" y=\"" +
       format_number(f.height - 8) + "\" text-anchor=\"middle\">" + escape(x_label) + "</text>\n";
  s += "<text class=\"axis-label\" transform=\"translate(14," + format_number((f.plot_top() + f.plot_bottom()) / 2) +
       ") rotate(-90)\" text-anchor=\"middle\">" + escape(y_label) + "</text>\n";
  return s;
}

/// A line chart of y over x with a marker on each point; `highlight` (an x
/// value, or NaN for none) gets a vertical rule and a larger marker.
inline std::string line_chart(const std::vector<double>& xs, const std::vector<double>& ys, const std::string& title,
                              const std::string& x_label, const std::string& y_label, double highlight,
                              const std::string& css_class) {
  const Frame f;
  const auto [x_lo, x_hi] = finite_range(xs);
  const auto [y_lo, y_hi] = finite_range(ys);
  const Axis x(x_lo, x_hi, f.plot_left(), f.plot_right());
  const Axis y(y_lo, y_hi, f.plot_bottom(), f.plot_top());
  std::string s = chart_start(f, x, y, title, x_label, y_label, css_class, true);
  std::string path;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (!std::isfinite(ys[i])) continue;
    path += (path.empty() ? "M" : " L") + format_number(x(xs[i]), 6) + "," + format_number(y(ys[i]), 6);
  }
  if (!path.empty())
    s += "<path class=\"series\" d=\"" + path + "\" fill=\"none\" stroke=\"#4e79a7\" stroke-width=\"2\"/>\n";
  if (std::isfinite(highlight))
    s += "<line class=\"chosen\" x1=\"" + format_number(x(highlight), 6) + "\" x2=\"" + format_number(x(highlight), 6) +
         "\" y1=\"" + format_number(f.plot_top()) + "\" y2=\"" + format_number(f.plot_bottom()) +
         "\" stroke=\"#e15759\" stroke-dasharray=\"4 3\"/>\n";
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (!std::isfinite(ys[i])) continue;
    const bool chosen = xs[i] == highlight;
    s += "<circle class=\"point" + std::string(chosen ? " chosen" : "") + "\" cx=\"" + format_number(x(xs[i]), 6) +
         "\" cy=\"" + format_number(y(ys[i]), 6) + "\" r=\"" + (chosen ? "6" : "3.5") + "\" fill=\"" +
         (chosen ? "#e15759" : "#4e79a7") + "\"><title>" + escape(x_label) + " " + format_number(xs[i]) + ": " +
         escape(y_label) + " " + format_number(ys[i], 6) + "</title></circle>\n";
  }
  return s + "</svg>\n";
}

/// A scatter plot coloured by segment; hovering a point shows its label text.
inline std::string scatter_chart(const std::vector<double>& xs, const std::vector<double>& ys,
                                 const std::vector<std::size_t>& labels, const std::vector<std::string>& hover,
                                 const std::string& title, const std::string& x_label, const std::string& y_label,
                                 const std::string& css_class, Frame f = {}) {
  const auto [x_lo, x_hi] = finite_range(xs);
  const auto [y_lo, y_hi] = finite_range(ys);
  const Axis x(x_lo, x_hi, f.plot_left(), f.plot_right());
  const Axis y(y_lo, y_hi, f.plot_bottom(), f.plot_top());
  std::string s = chart_start(f, x, y, title, x_label, y_label, css_class);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (!std::isfinite(xs[i]) || !std::isfinite(ys[i])) continue;
    s += "<circle class=\"point segment-" + std::to_string(labels[i]) + "\" cx=\"" + format_number(x(xs[i]), 6) +
         "\" cy=\"" + format_number(y(ys[i]), 6) + "\" r=\"3\" fill=\"" + segment_colour(labels[i]) +
         "\" fill-opacity=\"0.75\"><title>" + escape(hover[i]) + "</title></circle>\n";
  }
  return s + "</svg>\n";
}

}  // namespace segkit::report
