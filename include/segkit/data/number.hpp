#pragma once
// The one number grammar of segkit: what the CSV reader takes as a number, what the
// preparation counts as one in a text column, what a model's numbers must be. A number
// is a finite decimal ("12", "-1.5", ".5", "1e3"); "inf", "nan", hex and values out of
// range are not numbers.

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>

namespace segkit::data {

namespace detail {

inline std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// `digits` ("12", "1.5", ".5", "1.": decimal digits, at least one, and at most one point) as
/// std::from_chars reads it, when one correctly rounded operation gives that value (Clinger's
/// fast path: an integer below 2^53 divided by an exact power of ten up to 10^22); else
/// nothing, and the caller asks std::from_chars. Same bits either way, several times faster.
inline std::optional<double> simple_decimal(std::string_view s) {
  static constexpr double powers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  constexpr std::uint64_t limit = std::uint64_t{1} << 53;
  std::uint64_t mantissa = 0;
  std::size_t digits = 0, decimals = 0;
  bool point = false;
  for (const char c : s) {
    if (c >= '0' && c <= '9') {
      mantissa = mantissa * 10 + static_cast<std::uint64_t>(c - '0');
      if (mantissa > limit) return std::nullopt;
      ++digits, decimals += point;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      return std::nullopt;
    }
  }
  if (digits == 0 || decimals > 22) return std::nullopt;
  return static_cast<double>(mantissa) / powers[decimals];
}

/// The whole cell as a finite decimal number, or nothing. "inf", "nan" and hex are not numbers here:
/// a column of such words is text.
inline std::optional<double> parse_number(std::string_view cell) {
  cell = trim_blanks(cell);
  if (!cell.empty() && cell.front() == '+') cell.remove_prefix(1);
  const std::size_t first = (!cell.empty() && cell.front() == '-') ? 1 : 0;
  if (cell.size() <= first) return std::nullopt;
  const char c = cell[first];
  if (!((c >= '0' && c <= '9') || c == '.')) return std::nullopt;
  if (const auto simple = simple_decimal(cell.substr(first))) return first ? -*simple : *simple;
  double value = 0;
  const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  if (ec != std::errc() || end != cell.data() + cell.size()) return std::nullopt;
  return value;
}

/// The cell as parse_number reads it, with `decimal` as the decimal separator: with ','
/// ("3,5", European files), "3,5" is 3.5 and a cell with a point is no number.
inline std::optional<double> parse_number(std::string_view cell, char decimal) {
  if (decimal == '.') return parse_number(cell);
  char buffer[64];
  if (cell.size() > sizeof buffer || cell.find('.') != std::string_view::npos) return std::nullopt;
  for (std::size_t i = 0; i < cell.size(); ++i) buffer[i] = cell[i] == decimal ? '.' : cell[i];
  return parse_number(std::string_view(buffer, cell.size()));
}

/// A cell that would be a number but for thousands separators ("12,345", "1,234.5")
/// or a decimal comma ("3,5"): a hint for the message that refuses it.
inline bool looks_like_grouped_or_comma_number(std::string_view cell) {
  cell = trim_blanks(cell);
  if (!cell.empty() && (cell.front() == '-' || cell.front() == '+')) cell.remove_prefix(1);
  std::size_t digits = 0, commas = 0;
  for (const char c : cell) {
    if (c >= '0' && c <= '9')
      ++digits;
    else if (c == ',')
      ++commas;
    else if (c != '.')
      return false;
  }
  return digits > 0 && commas > 0 && cell.front() != ',' && cell.back() != ',';
}

}  // namespace detail

}  // namespace segkit::data
