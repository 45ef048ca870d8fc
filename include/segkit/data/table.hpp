#pragma once
// segkit::data::Table — a column-oriented table of customers, the first stop
// of the data path (file -> Table -> features -> matrix X).
//
// Each column has a name and one of three kinds:
//   numeric      std::vector<double>; a missing cell is NaN
//   categorical  std::vector<std::string> plus a missing mask (a missing cell holds "")
//   date         days since 1970-01-01 as std::int64_t (the count of a std::chrono::sys_days)
//                plus a missing mask (a missing cell holds 0)
// Dates are plain day counts so that tenure or recency is a subtraction; date_from_days
// and format_date turn them back into calendar dates.
//
// Core header: it needs only the standard library and xtensor. Reading files is in
// segkit/data/csv.hpp (target segkit::io).

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/core/date.hpp"
#include "segkit/core/error.hpp"

namespace segkit::data {

enum class ColumnKind { numeric, categorical, date };

inline const char* to_string(ColumnKind kind) {
  switch (kind) {
    case ColumnKind::numeric:
      return "numeric";
    case ColumnKind::categorical:
      return "categorical";
    case ColumnKind::date:
      return "date";
  }
  return "unknown";
}

// The calendar helpers live in the core; they are part of this namespace's vocabulary too.
using segkit::date_from_days;
using segkit::days_from_civil;
using segkit::format_date;

namespace detail {

// 0 when `key` is not a plain decimal number (no sign, no spaces).
inline std::size_t parse_column_number(std::string_view key) {
  if (key.empty() || key.size() > 18) return 0;
  std::size_t value = 0;
  for (const char ch : key) {
    if (ch < '0' || ch > '9') return 0;
    value = value * 10 + static_cast<std::size_t>(ch - '0');
  }
  return value;
}

// "name" in double quotes; built by appending, as GCC 12 warns falsely (-Wrestrict) on
// `"\"" + std::string(...)` at -O2.
inline std::string quote_name(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  return out.append(1, '"').append(s).append(1, '"');
}

inline std::string describe_columns(const std::vector<std::string>& names) {
  if (names.empty()) return "The table has no columns.";
  std::string out = "The columns are:";
  for (std::size_t j = 0; j < names.size(); ++j)
    out.append(j ? ", " : " ").append(std::to_string(j + 1)).append(" ").append(quote_name(names[j]));
  return out;
}

// Shared by Table and the file readers, which resolve forced column names before a Table exists.
inline std::size_t find_column(const std::vector<std::string>& names, std::string_view key) {
  std::size_t found = names.size(), matches = 0;
  for (std::size_t j = 0; j < names.size(); ++j)
    if (names[j] == key && matches++ == 0) found = j;
  if (matches == 1) return found;
  if (matches > 1)
    throw error(std::string("column name ") + quote_name(key) + " is ambiguous: " + std::to_string(matches) +
                " columns have it; name the column by its number instead. " + describe_columns(names));
  if (const auto number = parse_column_number(key); number >= 1 && number <= names.size()) return number - 1;
  throw error(std::string("no column ") + quote_name(key) + ". " + describe_columns(names));
}

}  // namespace detail

class Column {
 public:
  /// Missing values are NaN.
  static Column numeric(std::string name, std::vector<double> values) {
    Column c(std::move(name), ColumnKind::numeric, values.size());
    for (std::size_t i = 0; i < values.size(); ++i) c.missing_[i] = std::isnan(values[i]);
    c.numbers_ = std::move(values);
    return c;
  }
  /// `missing` is empty (nothing missing) or one flag per value.
  static Column categorical(std::string name, std::vector<std::string> values, std::vector<bool> missing = {}) {
    Column c(std::move(name), ColumnKind::categorical, values.size());
    c.set_missing(std::move(missing));
    for (std::size_t i = 0; i < values.size(); ++i)
      if (c.missing_[i]) values[i].clear();  // so that equal columns compare equal cell by cell
    c.texts_ = std::move(values);
    return c;
  }
  /// `days` counts from 1970-01-01; `missing` is empty (nothing missing) or one flag per value.
  static Column date(std::string name, std::vector<std::int64_t> days, std::vector<bool> missing = {}) {
    Column c(std::move(name), ColumnKind::date, days.size());
    c.set_missing(std::move(missing));
    for (std::size_t i = 0; i < days.size(); ++i)
      if (c.missing_[i]) days[i] = 0;
    c.days_ = std::move(days);
    return c;
  }

  const std::string& name() const { return name_; }
  ColumnKind kind() const { return kind_; }
  std::size_t size() const { return missing_.size(); }
  bool is_numeric() const { return kind_ == ColumnKind::numeric; }
  bool is_categorical() const { return kind_ == ColumnKind::categorical; }
  bool is_date() const { return kind_ == ColumnKind::date; }

  bool missing(std::size_t row) const { return missing_.at(row); }
  const std::vector<bool>& missing_mask() const { return missing_; }
  std::size_t missing_count() const {
    return static_cast<std::size_t>(std::count(missing_.begin(), missing_.end(), true));
  }

  const std::vector<double>& numbers() const {
    expect(ColumnKind::numeric);
    return numbers_;
  }
  const std::vector<std::string>& texts() const {
    expect(ColumnKind::categorical);
    return texts_;
  }
  const std::vector<std::int64_t>& days() const {
    expect(ColumnKind::date);
    return days_;
  }

  /// How many rows hold each category (missing cells are not counted), in byte order of the category.
  std::map<std::string, std::size_t> level_counts() const {
    expect(ColumnKind::categorical);
    std::map<std::string, std::size_t> counts;
    for (std::size_t i = 0; i < texts_.size(); ++i)
      if (!missing_[i]) ++counts[texts_[i]];
    return counts;
  }

 private:
  Column(std::string name, ColumnKind kind, std::size_t n) : name_(std::move(name)), kind_(kind), missing_(n, false) {}

  void set_missing(std::vector<bool> missing) {
    if (missing.empty()) return;
    if (missing.size() != missing_.size())
      throw error("column \"" + name_ + "\": " + std::to_string(missing_.size()) + " values but " +
                  std::to_string(missing.size()) + " missing flags");
    missing_ = std::move(missing);
  }

  void expect(ColumnKind wanted) const {
    if (kind_ != wanted) throw error("column \"" + name_ + "\" is " + to_string(kind_) + ", not " + to_string(wanted));
  }

  std::string name_;
  ColumnKind kind_;
  std::vector<bool> missing_;
  std::vector<double> numbers_;
  std::vector<std::string> texts_;
  std::vector<std::int64_t> days_;
};

class Table {
 public:
  Table() = default;

  /// Appends a column; every column has the same number of rows as the first.
  Table& add(Column column) {
    if (!columns_.empty() && column.size() != rows())
      throw error("column \"" + column.name() + "\" has " + std::to_string(column.size()) + " rows but the table has " +
                  std::to_string(rows()));
    columns_.push_back(std::move(column));
    return *this;
  }

  /// Puts `column` in the place of the column at `index` (the same number of rows).
  Table& replace(std::size_t index, Column column) {
    const Column& old = at(index);
    if (column.size() != old.size())
      throw error("column \"" + column.name() + "\" has " + std::to_string(column.size()) + " rows but the table has " +
                  std::to_string(old.size()));
    columns_[index] = std::move(column);
    return *this;
  }

  std::size_t rows() const { return columns_.empty() ? 0 : columns_.front().size(); }
  std::size_t columns() const { return columns_.size(); }
  bool empty() const { return rows() == 0; }

  /// 0-based position, for loops; users name columns with column(key).
  const Column& at(std::size_t index) const {
    if (index >= columns_.size())
      throw error("column index " + std::to_string(index) + " is out of range: the table has " +
                  std::to_string(columns_.size()) + " columns");
    return columns_[index];
  }
  const std::vector<Column>& all() const { return columns_; }
  auto begin() const { return columns_.begin(); }
  auto end() const { return columns_.end(); }

  /// A header name, or else a 1-based column number written as text ("3"): the
  /// form a command line passes. A name wins over a number, so a column titled
  /// "2019" is found by its title.
  const Column& column(std::string_view key) const { return columns_[index_of(key)]; }
  const Column& operator[](std::string_view key) const { return column(key); }

  bool contains(std::string_view key) const {
    try {
      index_of(key);
      return true;
    } catch (const error&) {
      return false;
    }
  }

  /// 0-based position of the column that `key` names (see column()).
  std::size_t index_of(std::string_view key) const { return detail::find_column(names(), key); }

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& c : columns_) out.push_back(c.name());
    return out;
  }
  std::vector<std::string> names(ColumnKind kind) const {
    std::vector<std::string> out;
    for (const auto& c : columns_)
      if (c.kind() == kind) out.push_back(c.name());
    return out;
  }

  /// Missing cells in the whole table.
  std::size_t missing_count() const {
    std::size_t total = 0;
    for (const auto& c : columns_) total += c.missing_count();
    return total;
  }
  /// Rows with at least one missing cell: what dropping incomplete rows would remove.
  std::size_t incomplete_rows() const {
    std::vector<bool> incomplete(rows(), false);
    for (const auto& c : columns_)
      for (std::size_t i = 0; i < incomplete.size(); ++i)
        if (c.missing(i)) incomplete[i] = true;
    return static_cast<std::size_t>(std::count(incomplete.begin(), incomplete.end(), true));
  }

  /// The named numeric columns side by side, n x d, for a Pipeline. Missing cells stay
  /// NaN: imputing is the features step's job, and a Pipeline rejects NaN by name.
  xt::xtensor<double, 2> matrix(const std::vector<std::string>& keys) const {
    if (keys.empty()) throw error("no columns selected for the matrix");
    std::vector<const Column*> selected;
    for (const auto& key : keys) {
      const Column& c = column(key);
      if (!c.is_numeric())
        throw error("column \"" + c.name() + "\" is " + to_string(c.kind()) +
                    ", not numeric; encode or derive it before putting it in the matrix");
      selected.push_back(&c);
    }
    const std::size_t n = rows(), d = selected.size();
    xt::xtensor<double, 2> X = xt::empty<double>({n, d});
    for (std::size_t j = 0; j < d; ++j) {
      const auto& values = selected[j]->numbers();
      for (std::size_t i = 0; i < n; ++i) X(i, j) = values[i];
    }
    return X;
  }

  /// "The columns are: 1 "ID", 2 "Age", …" — what an error about an unknown name shows.
  std::string describe_columns() const { return detail::describe_columns(names()); }

 private:
  std::vector<Column> columns_;
};

}  // namespace segkit::data
