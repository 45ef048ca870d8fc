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

}  // namespace segkit
