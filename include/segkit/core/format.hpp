#pragma once
// Numbers as people read them in segkit's messages, tables and reports.

#include <cmath>
#include <cstdio>
#include <string>

namespace segkit {

/// `value` with up to `digits` significant digits ("%.*g"); NaN and infinities spelled out.
inline std::string format_number(double value, int digits = 6) {
  if (!std::isfinite(value)) return std::isnan(value) ? "NaN" : (value > 0 ? "inf" : "-inf");
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*g", digits, value);
  return buffer;
}

/// `value` with exactly `decimals` digits after the point ("%.*f": 0.447, 2037.913), for
/// scores compared side by side; NaN and infinities spelled out as format_number does.
inline std::string format_fixed(double value, int decimals = 3) {
  if (!std::isfinite(value)) return std::isnan(value) ? "NaN" : (value > 0 ? "inf" : "-inf");
  char buffer[512];  // %f of the largest double has 309 digits before the point
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

/// `text` as one CSV field: quoted (with doubled quotes) when it holds a comma, a quote
/// or a line break, as RFC 4180 and every spreadsheet read it.
inline std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (const char ch : text) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

/// Text made safe for XML, HTML and SVG element content and attribute values.
inline std::string markup_escape(const std::string& text) {
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

/// 1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, ..., 21st: the nearest neighbours of DBSCAN's charts.
inline std::string ordinal(std::size_t n) {
  const std::size_t last = n % 10, last_two = n % 100;
  const char* suffix = last_two >= 11 && last_two <= 13 ? "th"
                       : last == 1                      ? "st"
                       : last == 2                      ? "nd"
                       : last == 3                      ? "rd"
                                                        : "th";
  return std::to_string(n) + suffix;
}

}  // namespace segkit
