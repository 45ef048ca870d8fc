#pragma once
// Calendar dates as whole days since 1970-01-01: tenure and recency are then
// subtractions, and the count is that of a std::chrono::sys_days.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "segkit/core/error.hpp"

namespace segkit {

/// Days since 1970-01-01 of a calendar date (proleptic Gregorian); throws
/// segkit::error for a date that does not exist, such as 2013-02-30.
inline std::int64_t days_from_civil(int year, unsigned month, unsigned day) {
  const std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{month}, std::chrono::day{day}};
  if (!ymd.ok())
    throw error("no such date: " + std::to_string(year) + "-" + std::to_string(month) + "-" + std::to_string(day));
  return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

inline std::chrono::year_month_day date_from_days(std::int64_t days) {
  return std::chrono::year_month_day{std::chrono::sys_days{std::chrono::days{days}}};
}

/// "yyyy-mm-dd" (ISO 8601).
inline std::string format_date(std::int64_t days) {
  const auto ymd = date_from_days(days);
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return text;
}

}  // namespace segkit
