#pragma once
// segkit::data::read_csv — a customer file (CSV, TSV, or space-padded columns) into a Table.
//
// Not part of the core: it uses libcsv (Debian libcsv-dev) for RFC 4180 tokenising, so
// link the target segkit::io, which brings it.
//
// What it accepts:
//   - UTF-8 with or without a byte-order mark; LF, CRLF or CR line ends.
//   - A delimiter given, or detected among ',' TAB ';' '|' from the first records; RFC 4180
//     quoting ("a ""quoted"" field, with a comma and a\nline break").
//   - Whitespace mode (CsvOptions::whitespace, or delimiter ' '): runs of spaces and TABs
//     separate fields and there is no quoting, as in CDNOW_master.txt. It is also detected
//     when no delimiter occurs and every sampled line splits into the same number (>= 2)
//     of fields.
//   - Missing cells: empty, or one of CsvOptions::missing (NA, NaN, N/A, null), in any case.
// How columns are typed (unless forced by CsvOptions::numeric / categorical / date):
//   numeric      every non-missing cell is a whole number in decimal notation ("12", "-3.5e2");
//                a column with no value at all is numeric (all NaN)
//   date         every non-missing cell matches one and the same date format
//   categorical  anything else
// Date formats are patterns of yyyy (4 digits), yy (2 digits, year 20yy), mm / dd (2 digits),
// m / d (1 or 2 digits), Mon (Jan…Dec, any case) and literal characters. Unless
// CsvOptions::date_formats says otherwise they are tried in the order yyyy-m-d, d-m-yyyy,
// d/m/yyyy, d-Mon-yy; a column forced to date also tries yyyymmdd, so CDNOW's 19970101
// stays numeric unless asked for as a date.
//
// Errors are segkit::error; the message starts with the file and, where it applies, the
// 1-based line and column (field number) or byte in the line.

#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <csv.h>

#include "segkit/core/error.hpp"
#include "segkit/data/table.hpp"

namespace segkit::data {

struct CsvOptions {
  /// 0: detect among ',' '\t' ';' '|' (or whitespace mode); ' ' is the same as whitespace = true.
  char delimiter = 0;
  /// Runs of spaces and TABs separate fields; no quoting.
  bool whitespace = false;
  /// Without a header the columns are named "1", "2", …
  bool header = true;
  /// Columns forced to a kind, each named by header or 1-based number.
  std::vector<std::string> numeric{};
  std::vector<std::string> categorical{};
  std::vector<std::string> date{};
  /// Date patterns to try, in order, instead of the built-in ones (see the top of this header).
  std::vector<std::string> date_formats{};
  /// Cell texts that mean "missing", compared without case; an empty cell is always missing.
  std::vector<std::string> missing = {"NA", "NaN", "N/A", "null"};
};

namespace detail {

struct CsvRecord {
  std::size_t line = 0;  // 1-based line the record starts on
  std::vector<std::string> fields;
};

// Appends rather than `"..." + std::string(...)`, which trips GCC 12's bogus -Wrestrict at -O2.
inline std::string csv_where(std::string_view source, std::size_t line = 0, std::size_t column = 0,
                             std::string_view column_name = {}) {
  std::string out = quote_name(source);
  if (line) out.append(", line ").append(std::to_string(line));
  if (column) out.append(", column ").append(std::to_string(column));
  if (!column_name.empty()) out.append(" (").append(quote_name(column_name)).append(")");
  return out.append(": ");
}

inline std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

inline bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

inline bool is_missing_cell(std::string_view cell, const std::vector<std::string>& tokens) {
  cell = trim_blanks(cell);
  if (cell.empty()) return true;
  for (const auto& t : tokens)
    if (equal_ignoring_case(cell, t)) return true;
  return false;
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
  double value = 0;
  const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  if (ec != std::errc() || end != cell.data() + cell.size()) return std::nullopt;
  return value;
}

/// Days since 1970-01-01 if `cell` matches `pattern` (see the top of this header) and is a real date.
inline std::optional<std::int64_t> parse_date(std::string_view cell, std::string_view pattern) {
  cell = trim_blanks(cell);
  std::size_t at = 0;
  int year = -1, month = -1, day = -1;
  auto digits = [&](std::size_t min_n, std::size_t max_n) -> int {
    std::size_t n = 0;
    int v = 0;
    while (n < max_n && at + n < cell.size() && cell[at + n] >= '0' && cell[at + n] <= '9')
      v = v * 10 + (cell[at + n++] - '0');
    if (n < min_n) return -1;
    at += n;
    return v;
  };
  static constexpr const char* months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                           "jul", "aug", "sep", "oct", "nov", "dec"};
  std::size_t p = 0;
  while (p < pattern.size()) {
    const std::string_view rest = pattern.substr(p);
    if (rest.starts_with("yyyy")) {
      year = digits(4, 4), p += 4;
      if (year < 0) return std::nullopt;
    } else if (rest.starts_with("yy")) {
      const int yy = digits(2, 2);
      if (yy < 0) return std::nullopt;
      year = 2000 + yy, p += 2;
    } else if (rest.starts_with("mm") || rest.starts_with("dd")) {
      (rest[0] == 'm' ? month : day) = digits(2, 2), p += 2;
      if ((rest[0] == 'm' ? month : day) < 0) return std::nullopt;
    } else if (rest.starts_with("Mon")) {
      if (at + 3 > cell.size()) return std::nullopt;
      month = -1;
      for (int k = 0; k < 12; ++k)
        if (equal_ignoring_case(cell.substr(at, 3), months[k])) month = k + 1;
      if (month < 0) return std::nullopt;
      at += 3, p += 3;
    } else if (rest[0] == 'm' || rest[0] == 'd') {
      (rest[0] == 'm' ? month : day) = digits(1, 2), p += 1;
      if ((rest[0] == 'm' ? month : day) < 0) return std::nullopt;
    } else {
      if (at >= cell.size() || cell[at] != rest[0]) return std::nullopt;
      ++at, ++p;
    }
  }
  if (at != cell.size() || year < 0 || month < 1 || day < 1) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                                        std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

inline const std::vector<std::string>& default_date_formats() {
  static const std::vector<std::string> formats = {"yyyy-m-d", "d-m-yyyy", "d/m/yyyy", "d-Mon-yy"};
  return formats;
}

inline std::string read_whole_file(const std::string& path) {
  errno = 0;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw error(csv_where(path) + "cannot open the file: " + std::strerror(errno));
  std::string text;
  char buffer[1 << 16];
  for (;;) {
    const std::size_t got = std::fread(buffer, 1, sizeof buffer, f);
    text.append(buffer, got);
    if (got < sizeof buffer) break;
  }
  // A directory opens on Linux and fails only on read (EISDIR).
  const bool failed = std::ferror(f) != 0;
  const int read_errno = errno;
  std::fclose(f);
  if (failed) throw error(csv_where(path) + "cannot read the file: " + std::strerror(read_errno));
  return text;
}

/// Removes a UTF-8 byte-order mark and refuses what is not UTF-8 text, naming the first bad byte.
inline std::string_view check_text(std::string_view text, std::string_view source) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  else if (text.starts_with("\xFF\xFE") || text.starts_with("\xFE\xFF"))
    throw error(csv_where(source, 1) + "the file is UTF-16 text; save it as UTF-8");
  std::size_t line = 1, line_start = 0;
  const auto* u = reinterpret_cast<const unsigned char*>(text.data());
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = u[i];
    if (c == '\n') {
      ++line, line_start = ++i;
      continue;
    }
    if (c == 0)
      throw error(csv_where(source, line) + "byte " + std::to_string(i - line_start + 1) +
                  " is a NUL byte: this is a binary file, not a text table");
    if (c < 0x80) {
      ++i;
      continue;
    }
    // Lead byte -> number of continuation bytes and the allowed range of the first one
    // (rules out overlong forms, surrogates and code points past U+10FFFF).
    std::size_t more = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) more = 1;
    else if (c == 0xE0) more = 2, lo = 0xA0;
    else if (c == 0xED) more = 2, hi = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF) more = 2;
    else if (c == 0xF0) more = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) more = 3;
    else if (c == 0xF4) more = 3, hi = 0x8F;
    bool ok = more != 0;
    for (std::size_t k = 1; ok && k <= more; ++k) {
      ok = i + k < text.size();
      if (ok) ok = k == 1 ? (u[i + k] >= lo && u[i + k] <= hi) : (u[i + k] >= 0x80 && u[i + k] <= 0xBF);
    }
    if (!ok) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned>(c));
      throw error(csv_where(source, line) + "byte " + std::to_string(i - line_start + 1) + " (" + hex +
                  ") is not UTF-8: the file is binary or in another encoding; save it as UTF-8");
    }
    i += more + 1;
  }
  return text;
}

inline bool only_blanks(std::string_view s) {
  for (const char c : s)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  return true;
}

// Each line with its end (LF, CRLF or a lone CR); `line_end` is where the next one starts.
inline std::size_t line_end(std::string_view text, std::size_t from) {
  for (std::size_t i = from; i < text.size(); ++i) {
    if (text[i] == '\n') return i + 1;
    if (text[i] == '\r') return (i + 1 < text.size() && text[i + 1] == '\n') ? i + 2 : i + 1;
  }
  return text.size();
}

inline std::vector<std::string> split_whitespace(std::string_view line) {
  std::vector<std::string> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n')) ++i;
    const std::size_t start = i;
    while (i < line.size() && !(line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n')) ++i;
    if (i > start) fields.emplace_back(line.substr(start, i - start));
  }
  return fields;
}

/// ',', '\t', ';', '|', or ' ' for whitespace mode: the candidate found the same number
/// of times (outside quotes) in each of the first records, the most often; else the most
/// frequent one; else whitespace if the lines split evenly on it; else ','.
inline char detect_delimiter(std::string_view text) {
  constexpr char candidates[] = {',', '\t', ';', '|'};
  constexpr std::size_t sample = 20;
  std::vector<std::array<std::size_t, 4>> counts;
  std::array<std::size_t, 4> current{};
  bool quoted = false, content = false;
  for (std::size_t i = 0; i < text.size() && counts.size() < sample; ++i) {
    const char c = text[i];
    if (c == '"') quoted = !quoted;
    if (!quoted && (c == '\n' || c == '\r')) {
      if (content) counts.push_back(current);
      current = {}, content = false;
      continue;
    }
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') content = true;
    if (!quoted)
      for (std::size_t k = 0; k < 4; ++k)
        if (c == candidates[k]) ++current[k], content = true;
  }
  if (content && counts.size() < sample) counts.push_back(current);
  if (counts.empty()) return ',';
  std::size_t best = 4, best_count = 0;
  for (std::size_t k = 0; k < 4; ++k) {
    bool even = counts[0][k] > 0;
    for (const auto& row : counts) even = even && row[k] == counts[0][k];
    if (even && counts[0][k] > best_count) best = k, best_count = counts[0][k];
  }
  if (best < 4) return candidates[best];
  std::array<std::size_t, 4> total{};
  for (const auto& row : counts)
    for (std::size_t k = 0; k < 4; ++k) total[k] += row[k];
  for (std::size_t k = 0; k < 4; ++k)
    if (total[k] > best_count) best = k, best_count = total[k];
  if (best < 4) return candidates[best];
  // No delimiter at all: space-padded columns if every sampled line has the same width >= 2.
  std::size_t width = 0, lines = 0;
  for (std::size_t at = 0; at < text.size() && lines < sample;) {
    const std::size_t next = line_end(text, at);
    const std::string_view line = text.substr(at, next - at);
    at = next;
    if (only_blanks(line)) continue;
    const std::size_t n = split_whitespace(line).size();
    if (lines++ == 0) width = n;
    else if (n != width) return ',';
  }
  return width >= 2 ? ' ' : ',';
}

inline std::string ragged_message(std::string_view source, std::size_t line, std::size_t found,
                                  std::size_t expected, std::size_t first_line, bool header) {
  const std::size_t column = found > expected ? expected + 1 : found + 1;
  return csv_where(source, line, column) + "ragged row: expected " + std::to_string(expected) + " fields (as " +
         (header ? "in the header" : "in the first row") + " on line " + std::to_string(first_line) + "), found " +
         std::to_string(found) + (found > expected ? "; column " + std::to_string(column) + " is extra"
                                                   : "; column " + std::to_string(column) + " is missing");
}

inline std::vector<CsvRecord> tokenise_whitespace(std::string_view text, std::string_view source, bool header) {
  std::vector<CsvRecord> records;
  std::size_t line = 0;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t next = line_end(text, at);
    const std::string_view row = text.substr(at, next - at);
    at = next, ++line;
    if (only_blanks(row)) continue;
    CsvRecord r{line, split_whitespace(row)};
    if (!records.empty() && r.fields.size() != records.front().fields.size())
      throw error(ragged_message(source, line, r.fields.size(), records.front().fields.size(),
                                 records.front().line, header));
    records.push_back(std::move(r));
  }
  return records;
}

// libcsv is C: its callbacks must not throw, so they record what went wrong and the
// caller throws after csv_parse returns.
struct CsvSink {
  std::vector<CsvRecord> records;
  CsvRecord current;
  std::size_t record_line = 0;
  bool in_record = false;
  std::size_t ragged_line = 0, ragged_found = 0;
  std::exception_ptr failure;

  bool stopped() const { return ragged_line != 0 || failure != nullptr; }

  static void on_field(void* data, std::size_t size, void* self) noexcept {
    auto& sink = *static_cast<CsvSink*>(self);
    if (sink.stopped()) return;
    try {
      sink.current.fields.emplace_back(static_cast<const char*>(data), size);
    } catch (...) {
      sink.failure = std::current_exception();
    }
  }
  static void on_row(int, void* self) noexcept {
    auto& sink = *static_cast<CsvSink*>(self);
    sink.in_record = false;
    if (sink.stopped()) return;
    try {
      sink.current.line = sink.record_line;
      if (!sink.records.empty() && sink.current.fields.size() != sink.records.front().fields.size()) {
        sink.ragged_line = sink.record_line, sink.ragged_found = sink.current.fields.size();
        return;
      }
      sink.records.push_back(std::move(sink.current));
      sink.current = CsvRecord{};
    } catch (...) {
      sink.failure = std::current_exception();
    }
  }
};

struct CsvParser {
  csv_parser parser{};
  CsvParser() {
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) throw std::bad_alloc();
  }
  ~CsvParser() { csv_free(&parser); }
  CsvParser(const CsvParser&) = delete;
  CsvParser& operator=(const CsvParser&) = delete;
};

inline std::vector<CsvRecord> tokenise_csv(std::string_view text, char delimiter, std::string_view source,
                                           bool header) {
  CsvParser p;
  csv_set_delim(&p.parser, static_cast<unsigned char>(delimiter));
  CsvSink sink;
  auto check = [&](std::size_t line) {
    if (sink.failure) std::rethrow_exception(sink.failure);
    if (sink.ragged_line)
      throw error(ragged_message(source, sink.ragged_line, sink.ragged_found, sink.records.front().fields.size(),
                                 sink.records.front().line, header));
    const int status = csv_error(&p.parser);
    if (status == CSV_EPARSE) return false;
    if (status != CSV_SUCCESS)
      throw error(csv_where(source, line) + "cannot parse: " + csv_strerror(status));
    return true;
  };
  // Fed one line at a time, so that every record knows the line it starts on (libcsv
  // itself counts no lines); a quoted line break simply continues the record.
  std::size_t line = 0;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t next = line_end(text, at);
    const std::string_view chunk = text.substr(at, next - at);
    at = next, ++line;
    if (!sink.in_record) {
      bool content = false;
      for (const char c : chunk)
        if (c == delimiter || (c != ' ' && c != '\t' && c != '\r' && c != '\n')) content = true;
      if (content) sink.record_line = line, sink.in_record = true;
    }
    const std::size_t used = csv_parse(&p.parser, chunk.data(), chunk.size(), CsvSink::on_field, CsvSink::on_row, &sink);
    if (!check(line) || used != chunk.size()) {
      throw error(csv_where(source, line, sink.current.fields.size() + 1) + "byte " + std::to_string(used + 1) +
                  " of the line: malformed quoting (RFC 4180: a field holding a quote, the delimiter or a line "
                  "break must be enclosed in quotes, an inner quote doubled, nothing after the closing quote)");
    }
  }
  const bool closed = csv_fini(&p.parser, CsvSink::on_field, CsvSink::on_row, &sink) == 0;
  if (!check(line) || !closed)
    throw error(csv_where(source, sink.record_line, sink.current.fields.size() + 1) +
                "a quoted field opened here is never closed (it runs to the end of the file)");
  return sink.records;
}

enum class Forced { none, numeric, categorical, date };

inline Column make_column(const std::string& name, std::size_t j, const std::vector<CsvRecord>& rows,
                          Forced forced, const CsvOptions& options, std::string_view source) {
  const std::size_t n = rows.size();
  std::vector<bool> missing(n);
  bool any_value = false;
  for (std::size_t i = 0; i < n; ++i) {
    missing[i] = is_missing_cell(rows[i].fields[j], options.missing);
    any_value = any_value || !missing[i];
  }

  if (forced == Forced::none || forced == Forced::numeric) {
    std::vector<double> values(n, std::numeric_limits<double>::quiet_NaN());
    bool numeric = true;
    for (std::size_t i = 0; i < n && numeric; ++i) {
      if (missing[i]) continue;
      if (const auto v = parse_number(rows[i].fields[j])) {
        values[i] = *v;
      } else if (forced == Forced::numeric) {
        throw error(csv_where(source, rows[i].line, j + 1, name) + "\"" + rows[i].fields[j] +
                    "\" is not a number, and the column is read as numeric");
      } else {
        numeric = false;
      }
    }
    if (numeric) return Column::numeric(name, std::move(values));
  }

  if ((forced == Forced::none && any_value) || forced == Forced::date) {
    std::vector<std::string> formats = options.date_formats.empty() ? default_date_formats() : options.date_formats;
    if (forced == Forced::date && options.date_formats.empty()) formats.push_back("yyyymmdd");
    std::size_t first_failure = n;  // of the format that got furthest, for the error message
    for (const auto& format : formats) {
      std::vector<std::int64_t> days(n, 0);
      std::size_t i = 0;
      for (; i < n; ++i) {
        if (missing[i]) continue;
        const auto d = parse_date(rows[i].fields[j], format);
        if (!d) break;
        days[i] = *d;
      }
      if (i == n) return Column::date(name, std::move(days), std::move(missing));
      if (first_failure == n || i > first_failure) first_failure = i;
    }
    if (forced == Forced::date) {
      std::string tried;
      for (const auto& f : formats) tried += (tried.empty() ? "" : ", ") + f;
      throw error(csv_where(source, rows[first_failure].line, j + 1, name) + "\"" + rows[first_failure].fields[j] +
                  "\" is not a date in the format of the column's other cells (formats tried: " + tried + ")");
    }
  }

  std::vector<std::string> texts(n);
  for (std::size_t i = 0; i < n; ++i)
    if (!missing[i]) texts[i] = rows[i].fields[j];
  return Column::categorical(name, std::move(texts), std::move(missing));
}

}  // namespace detail

/// Parses `text` as a customer table; `source` names it in error messages (a file name).
inline Table parse_csv(std::string_view text, const CsvOptions& options = {}, std::string_view source = "<text>") {
  text = detail::check_text(text, source);
  if (detail::only_blanks(text)) throw error(detail::csv_where(source) + "the file is empty: no header and no rows");
  char delimiter = options.whitespace ? ' ' : options.delimiter;
  if (delimiter == 0) delimiter = detail::detect_delimiter(text);
  if (delimiter == '"' || delimiter == '\r' || delimiter == '\n')
    throw error(detail::csv_where(source) + "a quote or line break cannot be the delimiter");

  std::vector<detail::CsvRecord> records = delimiter == ' '
                                               ? detail::tokenise_whitespace(text, source, options.header)
                                               : detail::tokenise_csv(text, delimiter, source, options.header);
  if (records.empty()) throw error(detail::csv_where(source) + "the file is empty: no header and no rows");

  const std::size_t width = records.front().fields.size();
  std::vector<std::string> names(width);
  for (std::size_t j = 0; j < width; ++j) {
    // An untitled column is known by its number, as without a header.
    const std::string_view title = options.header ? detail::trim_blanks(records.front().fields[j]) : std::string_view{};
    names[j] = title.empty() ? std::to_string(j + 1) : std::string(title);
  }
  if (options.header) records.erase(records.begin());

  std::vector<detail::Forced> forced(width, detail::Forced::none);
  auto force = [&](const std::vector<std::string>& keys, detail::Forced kind, const char* option) {
    for (const auto& key : keys) {
      std::size_t j = 0;
      try {
        j = detail::find_column(names, key);
      } catch (const error& e) {
        throw error(detail::csv_where(source) + "CsvOptions::" + option + ": " + e.what());
      }
      if (forced[j] != detail::Forced::none && forced[j] != kind)
        throw error(detail::csv_where(source) + "column \"" + names[j] + "\" is forced to two different kinds");
      forced[j] = kind;
    }
  };
  force(options.numeric, detail::Forced::numeric, "numeric");
  force(options.categorical, detail::Forced::categorical, "categorical");
  force(options.date, detail::Forced::date, "date");

  Table table;
  for (std::size_t j = 0; j < width; ++j)
    table.add(detail::make_column(names[j], j, records, forced[j], options, source));
  return table;
}

/// Reads a customer file; see the top of this header for what it accepts.
inline Table read_csv(const std::string& path, const CsvOptions& options = {}) {
  const std::string text = detail::read_whole_file(path);
  return parse_csv(text, options, path);
}

}  // namespace segkit::data
