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

}  // namespace segkit
