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
//
// How it reads (the table never depends on CsvOptions::threads or chunk_bytes):
//   - A regular file is mapped into memory (POSIX mmap) rather than copied, and the pages
//     already parsed are handed back, so the file text costs a few chunks of memory, not
//     its size; a pipe or a device is read whole, as is any file where mmap is missing.
//   - The text is cut into chunks of about chunk_bytes at line ends outside quotes (an
//     even number of quote characters before them), parsed on up to `threads` threads and
//     joined in file order. If any chunk fails (a ragged row, malformed quoting, a byte
//     that is not UTF-8), the file is walked again from the start on one thread, line by
//     line, so that the message names the first problem exactly as a sequential reader
//     would.
//   - Cells are not copied into strings: numeric columns go straight to doubles
//     (std::from_chars, the grammar of parse_number below); only columns that hold text
//     keep their cells as strings.
//   - The mapping must not be truncated by another process while it is read (the kernel
//     would stop the program with SIGBUS, as for every memory-mapped reader).

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <csv.h>

#if defined(__unix__) && __has_include(<sys/mman.h>) && __has_include(<sys/stat.h>) && __has_include(<fcntl.h>) && \
    __has_include(<unistd.h>)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#define SEGKIT_CSV_MMAP 1
#else
#define SEGKIT_CSV_MMAP 0
#endif

#include "segkit/core/error.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/progress.hpp"
#include "segkit/data/number.hpp"
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
  /// Columns whose header satisfies this keep their cells as written (as if listed in
  /// `categorical`, unless forced to a kind above): an id such as "0001" must come back as
  /// "0001". reparse_as_numbers() turns such a column back into numbers if it is not an id after all.
  std::function<bool(std::string_view header)> text_if{};
  /// Date patterns to try, in order, instead of the built-in ones (see the top of this header).
  std::vector<std::string> date_formats{};
  /// The decimal separator of the numbers: '.' or ',' (files written with a decimal comma,
  /// "3,5"; a point then makes a cell text, and ',' cannot be the delimiter too).
  char decimal = '.';
  /// Cell texts that mean "missing", compared without case; an empty cell is always missing.
  std::vector<std::string> missing = {"NA", "NaN", "N/A", "null"};
  /// Threads that parse chunks of the text; 0 = all cores. The table is the same for any number.
  std::size_t threads = 0;
  /// Told now and then while reading, never required: Progress{"read", bytes parsed so far,
  /// size of the file (of the text for parse_csv)}. Calls come from the calling thread only, at
  /// most about ten a second, with increasing `done`; the last has done == total, once the
  /// table is complete. It may throw to stop reading; the exception reaches the caller.
  ProgressCallback progress{};
  /// Bytes per chunk parsed on its own (at least 1). The table is the same for any size;
  /// smaller chunks spread small files over threads, larger ones cost more memory per thread.
  std::size_t chunk_bytes = std::size_t{4} << 20;
  /// One of `count` parts of the file's records (every part reads the header): the data
  /// cut into `count` byte ranges of about equal size at record starts outside quotes, so
  /// that the tables of parts 0..count-1 joined in order are the table of the whole file,
  /// rows and cells. Each process of a run spread over several (MPI ranks) reads its own
  /// part. Column kinds are found from the part's own cells; line numbers in messages are
  /// the file's.
  struct Part {
    std::size_t index = 0, count = 1;
  } part{};
};

namespace detail {

// Appends rather than `"..." + std::string(...)`, which trips GCC 12's bogus -Wrestrict at -O2.
inline std::string csv_where(std::string_view source, std::size_t line = 0, std::size_t column = 0,
                             std::string_view column_name = {}) {
  std::string out = quote_name(source);
  if (line) out.append(", line ").append(std::to_string(line));
  if (column) out.append(", column ").append(std::to_string(column));
  if (!column_name.empty()) out.append(" (").append(quote_name(column_name)).append(")");
  return out.append(": ");
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

/// The date patterns to try: `given`, else the built-in ones, and for a column forced
/// to date (or a date given on its own) yyyymmdd too; only then, so that unforced
/// numbers such as CDNOW's 19970101 stay numbers.
inline std::vector<std::string> date_formats(const std::vector<std::string>& given, bool forced) {
  std::vector<std::string> formats = given.empty() ? default_date_formats() : given;
  if (forced && given.empty()) formats.push_back("yyyymmdd");
  return formats;
}

inline void read_stream(std::FILE* f, const std::string& path, std::string& text) {
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
}

inline std::string read_whole_file(const std::string& path) {
  errno = 0;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw error(csv_where(path) + "cannot open the file: " + std::strerror(errno));
  std::string text;
  read_stream(f, path, text);
  return text;
}

/// The text of a file: mapped when it is a regular file (and the platform has mmap), read
/// into memory otherwise (a pipe, a device, an empty file). release() gives the pages of a
/// part already parsed back to the system; reading them again maps them again.
class FileText {
 public:
  explicit FileText(const std::string& path) {
#if SEGKIT_CSV_MMAP
    errno = 0;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw error(csv_where(path) + "cannot open the file: " + std::strerror(errno));
    struct stat info {};
    if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && info.st_size > 0) {
      const auto size = static_cast<std::size_t>(info.st_size);
      void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (map != MAP_FAILED) {
        ::close(fd);
        map_ = static_cast<const char*>(map), size_ = size;
        const long page = ::sysconf(_SC_PAGESIZE);
        page_ = page > 0 ? static_cast<std::size_t>(page) : 4096;
        return;
      }
    }
    std::FILE* f = ::fdopen(fd, "rb");
    if (!f) {
      const int open_errno = errno;
      ::close(fd);
      throw error(csv_where(path) + "cannot open the file: " + std::strerror(open_errno));
    }
    errno = 0;
    read_stream(f, path, buffer_);
#else
    buffer_ = read_whole_file(path);
#endif
  }
  ~FileText() {
#if SEGKIT_CSV_MMAP
    if (map_) ::munmap(const_cast<char*>(map_), size_);
#endif
  }
  FileText(const FileText&) = delete;
  FileText& operator=(const FileText&) = delete;

  std::string_view text() const { return map_ ? std::string_view(map_, size_) : std::string_view(buffer_); }

  /// The whole pages inside [begin, end) of text() are no longer needed for now.
  void release([[maybe_unused]] std::size_t begin, [[maybe_unused]] std::size_t end) const {
#if SEGKIT_CSV_MMAP
    if (!map_) return;
    const std::size_t first = (begin + page_ - 1) / page_ * page_, last = end / page_ * page_;
    if (last > first) ::madvise(const_cast<char*>(map_) + first, last - first, MADV_DONTNEED);
#endif
  }

 private:
  const char* map_ = nullptr;
  std::size_t size_ = 0, page_ = 4096;
  std::string buffer_;
};

/// Position of the first byte that keeps `text` from being UTF-8 text (a NUL byte, or a
/// byte that starts no valid sequence), or npos.
inline std::size_t first_bad_byte(std::string_view text) {
  const auto* u = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n;) {
    // Eight bytes at a time while they are ASCII and none is NUL.
    constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    for (std::uint64_t w = 0; i + 8 <= n; i += 8) {
      std::memcpy(&w, u + i, 8);
      if (((w | ((w - ones) & ~w)) & highs) != 0) break;
    }
    if (i >= n) break;
    const unsigned char c = u[i];
    if (c == 0) return i;
    if (c < 0x80) {
      ++i;
      continue;
    }
    // Lead byte -> number of continuation bytes and the allowed range of the first one
    // (rules out overlong forms, surrogates and code points past U+10FFFF).
    std::size_t more = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
      more = 1;
    else if (c == 0xE0)
      more = 2, lo = 0xA0;
    else if (c == 0xED)
      more = 2, hi = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF)
      more = 2;
    else if (c == 0xF0)
      more = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3)
      more = 3;
    else if (c == 0xF4)
      more = 3, hi = 0x8F;
    bool ok = more != 0;
    for (std::size_t k = 1; ok && k <= more; ++k) {
      ok = i + k < n;
      if (ok) ok = k == 1 ? (u[i + k] >= lo && u[i + k] <= hi) : (u[i + k] >= 0x80 && u[i + k] <= 0xBF);
    }
    if (!ok) return i;
    i += more + 1;
  }
  return std::string_view::npos;
}

/// Removes a UTF-8 byte-order mark; refuses UTF-16.
inline std::string_view strip_bom(std::string_view text, std::string_view source) {
  if (text.starts_with("\xEF\xBB\xBF"))
    text.remove_prefix(3);
  else if (text.starts_with("\xFF\xFE") || text.starts_with("\xFE\xFF"))
    throw error(csv_where(source, 1) + "the file is UTF-16 text; save it as UTF-8");
  return text;
}

/// Refuses what is not UTF-8 text (after strip_bom), naming the first bad byte by line and byte.
inline void check_utf8(std::string_view text, std::string_view source) {
  const std::size_t bad = first_bad_byte(text);
  if (bad == std::string_view::npos) return;
  const std::size_t line =
      1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(bad), '\n'));
  const std::size_t newline = text.rfind('\n', bad);
  const std::size_t byte = bad - (newline == std::string_view::npos ? 0 : newline + 1) + 1;
  const auto c = static_cast<unsigned char>(text[bad]);
  if (c == 0)
    throw error(csv_where(source, line) + "byte " + std::to_string(byte) +
                " is a NUL byte: this is a binary file, not a text table");
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned>(c));
  throw error(csv_where(source, line) + "byte " + std::to_string(byte) + " (" + hex +
              ") is not UTF-8: the file is binary or in another encoding; save it as UTF-8");
}

/// Removes a UTF-8 byte-order mark and refuses what is not UTF-8 text, naming the first bad byte.
inline std::string_view check_text(std::string_view text, std::string_view source) {
  text = strip_bom(text, source);
  check_utf8(text, source);
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
inline char detect_delimiter(std::string_view text, char decimal = '.') {
  // With a decimal comma, ',' is part of the numbers, never the delimiter.
  const char candidates[] = {decimal == ',' ? '\t' : ',', '\t', ';', '|'};
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
    if (lines++ == 0)
      width = n;
    else if (n != width)
      return ',';
  }
  return width >= 2 ? ' ' : ',';
}

inline std::string ragged_message(std::string_view source, std::size_t line, std::size_t found, std::size_t expected,
                                  std::size_t first_line, bool header) {
  const std::size_t column = found > expected ? expected + 1 : found + 1;
  return csv_where(source, line, column) + "ragged row: expected " + std::to_string(expected) + " fields (as " +
         (header ? "in the header" : "in the first row") + " on line " + std::to_string(first_line) + "), found " +
         std::to_string(found) +
         (found > expected ? "; column " + std::to_string(column) + " is extra"
                           : "; column " + std::to_string(column) + " is missing");
}

struct CsvParser {
  csv_parser parser{};
  explicit CsvParser(char delimiter) {
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) throw std::bad_alloc();
    csv_set_delim(&parser, static_cast<unsigned char>(delimiter));
  }
  ~CsvParser() { csv_free(&parser); }
  CsvParser(const CsvParser&) = delete;
  CsvParser& operator=(const CsvParser&) = delete;
};

/// The records of `text` as libcsv (CsvParser) gives them, when `text` holds no quote and no
/// carriage return, as most machine-written files: fields split at the delimiter, blanks
/// around each trimmed, a record per line feed, lines of blanks alone skipped. A plain loop
/// over the bytes instead of libcsv's state machine and field buffer, several times faster.
/// Returns false, having called nothing, for any other text (or a blank delimiter, whose
/// trimming libcsv does its own way): then libcsv parses it.
template <class Field, class Row>
bool split_plain_records(std::string_view text, char delimiter, Field&& field, Row&& row) {
  if (delimiter == ' ' || delimiter == '\t' || delimiter == '"' || delimiter == '\r' || delimiter == '\n') return false;
  if (std::memchr(text.data(), '"', text.size()) || std::memchr(text.data(), '\r', text.size())) return false;
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  const char* const end = text.data() + text.size();
  for (const char* line = text.data(); line < end;) {
    const char* c = line;
    bool record = false;  // a line of blanks alone (or nothing) is no record
    const char* start = line;
    for (;; ++c) {
      if (c == end || *c == '\n') break;
      if (*c == delimiter) {
        record = true;
        const char* b = start;
        const char* e = c;
        while (b < e && blank(*b)) ++b;
        while (e > b && blank(e[-1])) --e;
        field(std::string_view(b, static_cast<std::size_t>(e - b)));
        start = c + 1;
      } else if (!blank(*c)) {
        record = true;
      }
    }
    if (record) {
      const char* b = start;
      const char* e = c;
      while (b < e && blank(*b)) ++b;
      while (e > b && blank(e[-1])) --e;
      field(std::string_view(b, static_cast<std::size_t>(e - b)));
      row();
    }
    line = c == end ? end : c + 1;
  }
  return true;
}

// ---- The careful walk: line by line, for the messages -----------------------------------
//
// The records of a text as the reader sees them, fed to libcsv one line at a time so that
// every record knows the line it starts on (libcsv itself counts no lines; a quoted line
// break simply continues the record). It throws the first problem, naming file, line and
// column. The chunked parser below gives the same records faster, but knows no lines: when
// a message needs one, this walk finds it.

struct WalkFrom {
  std::size_t line = 1;        // number of the text's first line
  std::size_t width = 0;       // fields in the file's first record; 0: the text starts with it
  std::size_t width_line = 0;  // the line that record starts on
};

struct Walked {
  std::size_t records = 0;
  std::size_t last_line = 0;                   // line the last record walked starts on
  std::size_t end = 0;                         // just past the line on which the walk stopped
  std::vector<std::vector<std::string>> kept;  // the fields of the first records, if asked for
};

// libcsv is C: its callbacks must not throw, so they record what went wrong and the
// caller throws after csv_parse returns.
struct WalkSink {
  std::size_t fields = 0;  // of the current record, so far
  std::size_t record_line = 0;
  bool in_record = false;
  std::size_t width = 0, width_line = 0;
  std::size_t ragged_line = 0, ragged_found = 0;
  std::size_t records = 0, last_line = 0;
  std::size_t keep = 0;
  std::vector<std::vector<std::string>> kept;
  std::exception_ptr failure;

  bool stopped() const { return ragged_line != 0 || failure != nullptr; }

  static void on_field(void* data, std::size_t size, void* self) noexcept {
    auto& sink = *static_cast<WalkSink*>(self);
    if (sink.stopped()) return;
    try {
      if (sink.records < sink.keep) {
        if (sink.kept.size() <= sink.records) sink.kept.emplace_back();
        sink.kept.back().emplace_back(static_cast<const char*>(data), size);
      }
    } catch (...) {
      sink.failure = std::current_exception();
    }
    ++sink.fields;
  }
  static void on_row(int, void* self) noexcept {
    auto& sink = *static_cast<WalkSink*>(self);
    sink.in_record = false;
    if (sink.stopped()) return;
    if (sink.width == 0) {
      sink.width = sink.fields, sink.width_line = sink.record_line;
    } else if (sink.fields != sink.width) {
      sink.ragged_line = sink.record_line, sink.ragged_found = sink.fields;
      return;
    }
    ++sink.records, sink.last_line = sink.record_line, sink.fields = 0;
  }
};

/// Walks `text` (starting at a record boundary) until `stop_after` records, keeping the
/// fields of the first `keep`.
inline Walked walk_csv(std::string_view text, char delimiter, std::string_view source, bool header, WalkFrom from,
                       std::size_t stop_after = std::numeric_limits<std::size_t>::max(), std::size_t keep = 0) {
  CsvParser p(delimiter);
  WalkSink sink;
  sink.width = from.width, sink.width_line = from.width_line, sink.keep = keep;
  auto check = [&](std::size_t line) {
    if (sink.failure) std::rethrow_exception(sink.failure);
    if (sink.ragged_line)
      throw error(ragged_message(source, sink.ragged_line, sink.ragged_found, sink.width, sink.width_line, header));
    const int status = csv_error(&p.parser);
    if (status == CSV_EPARSE) return false;
    if (status != CSV_SUCCESS) throw error(csv_where(source, line) + "cannot parse: " + csv_strerror(status));
    return true;
  };
  Walked walked;
  std::size_t line = from.line - 1;
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
    const std::size_t used =
        csv_parse(&p.parser, chunk.data(), chunk.size(), WalkSink::on_field, WalkSink::on_row, &sink);
    if (!check(line) || used != chunk.size()) {
      throw error(csv_where(source, line, sink.fields + 1) + "byte " + std::to_string(used + 1) +
                  " of the line: malformed quoting (RFC 4180: a field holding a quote, the delimiter or a line "
                  "break must be enclosed in quotes, an inner quote doubled, nothing after the closing quote)");
    }
    if (sink.records >= stop_after) {
      walked.records = sink.records, walked.last_line = sink.last_line, walked.end = at;
      walked.kept = std::move(sink.kept);
      return walked;
    }
  }
  const bool closed = csv_fini(&p.parser, WalkSink::on_field, WalkSink::on_row, &sink) == 0;
  if (!check(line) || !closed)
    throw error(csv_where(source, sink.record_line, sink.fields + 1) +
                "a quoted field opened here is never closed (it runs to the end of the file)");
  walked.records = sink.records, walked.last_line = sink.last_line, walked.end = text.size();
  walked.kept = std::move(sink.kept);
  return walked;
}

/// Calls word(field) for each run of non-blanks in `line`; returns how many there were.
template <class Word>
std::size_t for_each_word(std::string_view line, Word&& word) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  std::size_t count = 0, i = 0;
  while (i < line.size()) {
    while (i < line.size() && blank(line[i])) ++i;
    const std::size_t start = i;
    while (i < line.size() && !blank(line[i])) ++i;
    if (i > start) word(line.substr(start, i - start)), ++count;
  }
  return count;
}

/// walk_csv for whitespace mode: one record per line that is not blank.
inline Walked walk_words(std::string_view text, std::string_view source, bool header, WalkFrom from,
                         std::size_t stop_after = std::numeric_limits<std::size_t>::max(), std::size_t keep = 0) {
  Walked walked;
  std::size_t line = from.line - 1, width = from.width, width_line = from.width_line;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t next = line_end(text, at);
    const std::string_view row = text.substr(at, next - at);
    at = next, ++line;
    if (only_blanks(row)) continue;
    const std::size_t found = for_each_word(row, [](std::string_view) {});
    if (width == 0)
      width = found, width_line = line;
    else if (found != width)
      throw error(ragged_message(source, line, found, width, width_line, header));
    if (walked.records < keep) walked.kept.push_back(split_whitespace(row));
    ++walked.records, walked.last_line = line;
    if (walked.records >= stop_after) {
      walked.end = at;
      return walked;
    }
  }
  walked.end = text.size();
  return walked;
}

/// Line ends (LF, CRLF or a lone CR) in text[0, end), where `end` follows a line end.
inline std::size_t count_line_ends(std::string_view text, std::size_t end) {
  const auto first = text.begin();
  std::size_t n = static_cast<std::size_t>(std::count(first, first + static_cast<std::ptrdiff_t>(end), '\n'));
  for (std::size_t at = text.find('\r'); at < end; at = text.find('\r', at + 1))
    if (at + 1 >= text.size() || text[at + 1] != '\n') ++n;
  return n;
}

// ---- The fast path: chunks parsed on their own, cells straight into columns -------------

enum class Forced { none, numeric, categorical, date };

/// Large blocks straight from the system (mmap where there is one), so that freeing a chunk's
/// piece gives its memory back at once. From the heap (once glibc has raised its mmap threshold,
/// e.g. after an earlier read), the freed pieces stay resident as holes while each joined column
/// is mapped afresh: a second read in the same process peaked at 2.5 times its table.
template <class T>
struct PieceAllocator {
  using value_type = T;
  static constexpr std::size_t large = std::size_t{1} << 16;  // bytes
  PieceAllocator() = default;
  template <class U>
  PieceAllocator(const PieceAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) {
#if SEGKIT_CSV_MMAP
    if (n * sizeof(T) >= large) {
      void* p = ::mmap(nullptr, n * sizeof(T), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) throw std::bad_alloc();
      return static_cast<T*>(p);
    }
#endif
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, std::size_t n) noexcept {
#if SEGKIT_CSV_MMAP
    if (n * sizeof(T) >= large) {
      ::munmap(p, n * sizeof(T));
      return;
    }
#endif
    std::allocator<T>().deallocate(p, n);
  }
  friend bool operator==(const PieceAllocator&, const PieceAllocator&) { return true; }
};

/// Frees a vector's memory (`v = {}` would only clear it: that is operator=(initializer_list)).
template <class V>
void release_vector(V& v) {
  V().swap(v);
}

/// One column's cells in one chunk.
struct Piece {
  enum class Mode : unsigned char {
    numbers,  // every cell so far missing or a number
    texts,    // the cells as written, with a missing mask
    dropped,  // was numbers, met a cell that is not a number: texts come from a second pass
    skip      // not wanted in this pass
  };
  Mode mode = Mode::numbers;
  std::vector<double, PieceAllocator<double>> numbers;
  std::vector<std::string, PieceAllocator<std::string>> texts;
  std::vector<bool> missing;
  std::size_t bad_row = std::string_view::npos;  // a column forced numeric: first cell that is not a number
  std::string bad_text;
};

struct Chunk {
  std::size_t begin = 0, end = 0;  // bytes of the text
  bool header = false;             // starts with the header record, which is not a row
  std::size_t rows = 0;
  std::vector<Piece> pieces;
  bool bad_text = false;   // not UTF-8: check_utf8 names the byte
  bool bad_parse = false;  // libcsv refused it or a row is ragged: walk_csv names the place
};

/// What every chunk task shares.
struct ReadPlan {
  std::string_view text;  // after the byte-order mark
  char delimiter = ',';   // ' ' = whitespace mode
  std::size_t width = 0;
  const std::vector<std::string>* missing = nullptr;
  char decimal = '.';
  bool number_is_missing_token = false;  // a missing token that is itself a number ("-999")
  std::vector<Forced> forced;
  // An automatic column that holds a cell which is neither missing nor a number: it is text,
  // and chunks that start after this is known keep its cells as strings straight away.
  std::unique_ptr<std::atomic<bool>[]> is_text;
};

struct CellWriter {
  const ReadPlan& plan;
  Chunk& chunk;

  void cell(std::size_t j, std::string_view text) {
    Piece& p = chunk.pieces[j];
    switch (p.mode) {
      case Piece::Mode::numbers:
        // Most cells are numbers: read one first, unless a number can be a missing token.
        if (!plan.number_is_missing_token)
          if (const auto v = parse_number(text, plan.decimal)) {
            p.numbers.push_back(*v);
            return;
          }
        if (is_missing_cell(text, *plan.missing)) {
          p.numbers.push_back(std::numeric_limits<double>::quiet_NaN());
        } else if (const auto v = parse_number(text, plan.decimal)) {
          p.numbers.push_back(*v);
        } else {
          if (plan.forced[j] == Forced::numeric)
            p.bad_row = chunk.rows, p.bad_text.assign(text);
          else
            plan.is_text[j].store(true, std::memory_order_relaxed);
          p.mode = Piece::Mode::dropped;
          release_vector(p.numbers);
        }
        return;
      case Piece::Mode::texts: {
        const bool missing = is_missing_cell(text, *plan.missing);
        p.missing.push_back(missing);
        if (missing)
          p.texts.emplace_back();
        else
          p.texts.emplace_back(text);
        return;
      }
      case Piece::Mode::dropped:
      case Piece::Mode::skip:
        return;
    }
  }
};

struct ChunkSink {
  CellWriter writer;
  std::size_t width = 0;
  std::size_t field = 0;
  bool in_header = false;
  bool failed = false;
  std::exception_ptr failure;

  static void on_field(void* data, std::size_t size, void* self) noexcept {
    auto& sink = *static_cast<ChunkSink*>(self);
    if (sink.failed) return;
    if (sink.field >= sink.width) {
      sink.failed = true;
      return;
    }
    if (!sink.in_header) {
      try {
        sink.writer.cell(sink.field, std::string_view(static_cast<const char*>(data), size));
      } catch (...) {
        sink.failure = std::current_exception(), sink.failed = true;
        return;
      }
    }
    ++sink.field;
  }
  static void on_row(int, void* self) noexcept {
    auto& sink = *static_cast<ChunkSink*>(self);
    if (sink.failed) return;
    if (sink.field != sink.width) {
      sink.failed = true;
      return;
    }
    if (sink.in_header)
      sink.in_header = false;
    else
      ++sink.writer.chunk.rows;
    sink.field = 0;
  }
};

/// Blank lines and quoted line breaks leave room unused; gives it back if it is much.
inline void finish_chunk(Chunk& chunk) {
  for (Piece& p : chunk.pieces) {
    if (p.numbers.capacity() > p.numbers.size() + p.numbers.size() / 16 + 64) p.numbers.shrink_to_fit();
    if (p.texts.capacity() > p.texts.size() + p.texts.size() / 16 + 64) p.texts.shrink_to_fit();
  }
}

/// Parses one chunk in the modes its pieces are set to; sets bad_text or bad_parse instead of
/// throwing (only std::bad_alloc escapes).
inline void parse_chunk(const ReadPlan& plan, Chunk& chunk) {
  const std::string_view part = plan.text.substr(chunk.begin, chunk.end - chunk.begin);
  if (first_bad_byte(part) != std::string_view::npos) {
    chunk.bad_text = true;
    return;
  }
  // At most one record per line end, and one more without: enough room from the start.
  const std::size_t room = static_cast<std::size_t>(std::count(part.begin(), part.end(), '\n')) + 1;
  for (Piece& p : chunk.pieces) {
    if (p.mode == Piece::Mode::numbers) p.numbers.reserve(room);
    if (p.mode == Piece::Mode::texts) p.texts.reserve(room), p.missing.reserve(room);
  }
  if (plan.delimiter == ' ') {
    CellWriter writer{plan, chunk};
    bool in_header = chunk.header;
    for (std::size_t at = 0; at < part.size();) {
      const std::size_t next = line_end(part, at);
      const std::string_view line = part.substr(at, next - at);
      at = next;
      std::size_t j = 0;
      bool ragged = false;
      for_each_word(line, [&](std::string_view word) {
        if (j >= plan.width)
          ragged = true;
        else if (!in_header)
          writer.cell(j, word);
        ++j;
      });
      if (j == 0) continue;
      if (ragged || j != plan.width) {
        chunk.bad_parse = true;
        return;
      }
      if (in_header)
        in_header = false;
      else
        ++chunk.rows;
    }
    chunk.bad_parse = in_header;
  } else {
    ChunkSink sink{CellWriter{plan, chunk}, plan.width, 0, chunk.header, false, nullptr};
    const bool plain = split_plain_records(
        part, plan.delimiter,
        [&sink](std::string_view cell) { ChunkSink::on_field(const_cast<char*>(cell.data()), cell.size(), &sink); },
        [&sink] { ChunkSink::on_row(0, &sink); });
    if (plain) {
      if (sink.failure) std::rethrow_exception(sink.failure);
      chunk.bad_parse = sink.failed || sink.in_header;
      finish_chunk(chunk);
      return;
    }
    CsvParser p(plan.delimiter);
    const std::size_t used =
        csv_parse(&p.parser, part.data(), part.size(), ChunkSink::on_field, ChunkSink::on_row, &sink);
    if (sink.failure) std::rethrow_exception(sink.failure);
    if (sink.failed || used != part.size() || csv_error(&p.parser) != CSV_SUCCESS) {
      chunk.bad_parse = true;
      return;
    }
    const int fini = csv_fini(&p.parser, ChunkSink::on_field, ChunkSink::on_row, &sink);
    if (sink.failure) std::rethrow_exception(sink.failure);
    chunk.bad_parse = fini != 0 || sink.failed || sink.field != 0 || sink.in_header;
  }
  finish_chunk(chunk);
}

/// The first line start past `at` (after a line feed) with an even number of quote
/// characters before it, given the parity of those before `at`; text.size() if none.
inline std::size_t next_line_start(std::string_view text, bool quoting, std::size_t at, bool odd) {
  const std::size_t n = text.size();
  for (;;) {
    const void* found = at < n ? std::memchr(text.data() + at, '\n', n - at) : nullptr;
    if (!found) return n;
    const std::size_t newline = static_cast<std::size_t>(static_cast<const char*>(found) - text.data());
    if (quoting)
      odd ^= (std::count(text.begin() + static_cast<std::ptrdiff_t>(at),
                         text.begin() + static_cast<std::ptrdiff_t>(newline), '"') &
              1) != 0;
    at = newline + 1;
    if (!odd) return at;
  }
}

/// Where chunks of text[begin, end) start (begin a line start outside quotes): begin, then
/// for each multiple of chunk_bytes past begin at or past `from`, the first line start after
/// it with an even number of quote characters before it (every line start in whitespace
/// mode), and end at the end. A function of the text alone.
template <class Release>
std::vector<std::size_t> chunk_bounds(std::string_view text, bool quoting, std::size_t begin, std::size_t end,
                                      std::size_t from, std::size_t chunk_bytes, std::size_t threads,
                                      Release&& release) {
  const std::size_t n = end - begin, size = std::max<std::size_t>(chunk_bytes, 1);
  const std::size_t blocks = n == 0 ? 0 : (n - 1) / size + 1;
  std::vector<unsigned char> odd_before(blocks + 1, 0);  // quotes between begin and block k, mod 2
  if (quoting && blocks > 1) {
    std::vector<unsigned char> odd(blocks, 0);
    segkit::detail::parallel_for(blocks, threads, [&](std::size_t k) {
      const std::size_t first = begin + k * size, last = std::min(end, first + size);
      odd[k] = static_cast<unsigned char>(std::count(text.begin() + static_cast<std::ptrdiff_t>(first),
                                                     text.begin() + static_cast<std::ptrdiff_t>(last), '"') &
                                          1);
      release(first, last);
    });
    for (std::size_t k = 0; k < blocks; ++k) odd_before[k + 1] = odd_before[k] ^ odd[k];
  }
  std::vector<std::size_t> bounds{begin};
  for (std::size_t k = 1; k < blocks; ++k) {
    std::size_t at = begin + k * size;
    if (at < from || at < bounds.back()) continue;  // (the next line start past it is bounds.back())
    at = next_line_start(text.substr(0, end), quoting, at, odd_before[k] != 0);
    if (at >= end) break;
    bounds.push_back(at);
  }
  bounds.push_back(end);
  return bounds;
}

/// The bytes [begin, end) of the records of part `part.index` of `part.count` of the text,
/// whose data records start at `from`: the text past `from` cut into equal byte ranges, each
/// moved on to the next line start outside quotes, so that the parts hold every record once,
/// in file order. Part 0 starts at 0 (the header). The quotes before a cut are counted from
/// the start of the text, on `threads` threads.
template <class Release>
std::pair<std::size_t, std::size_t> part_range(std::string_view text, bool quoting, std::size_t from,
                                               const CsvOptions::Part& part, std::size_t threads, Release&& release) {
  const std::size_t n = text.size();
  const auto cut = [&](std::size_t i) -> std::size_t {
    if (i == 0) return 0;
    if (i >= part.count) return n;
    const std::size_t span = n - std::min(from, n);
    const std::size_t target = std::min(from, n) + span / part.count * i + span % part.count * i / part.count;
    bool odd = false;
    if (quoting) {
      const std::size_t size = std::size_t{4} << 20, blocks = (target + size - 1) / size;
      std::vector<unsigned char> parity(blocks, 0);
      segkit::detail::parallel_for(blocks, threads, [&](std::size_t k) {
        const std::size_t first = k * size, last = std::min(target, first + size);
        parity[k] = static_cast<unsigned char>(std::count(text.begin() + static_cast<std::ptrdiff_t>(first),
                                                          text.begin() + static_cast<std::ptrdiff_t>(last), '"') &
                                               1);
        release(first, last);
      });
      for (const unsigned char p : parity) odd ^= p != 0;
    }
    return next_line_start(text, quoting, target, odd);
  };
  return {cut(part.index), cut(part.index + 1)};
}

class ProgressReport {
 public:
  ProgressReport(const CsvOptions& options, std::size_t total, std::size_t done)
      : callback_(options.progress),
        total_(total),
        done_(done),
        caller_(std::this_thread::get_id()),
        last_(std::chrono::steady_clock::now()) {}

  void add(std::size_t bytes) {
    const std::size_t done = done_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
    if (!callback_ || std::this_thread::get_id() != caller_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(100) || done <= reported_ || done >= total_) return;
    reported_ = done, last_ = now;
    segkit::detail::report(callback_, "read", done, total_);
  }
  void finish() const { segkit::detail::report(callback_, "read", total_, total_); }

 private:
  const ProgressCallback& callback_;
  std::size_t total_;
  std::atomic<std::size_t> done_;
  std::thread::id caller_;
  std::chrono::steady_clock::time_point last_;
  std::size_t reported_ = 0;
};

/// A column whose cells are text (forced categorical or date, or an automatic column with a
/// cell that is not a number): a date column if one format fits every cell, else categorical.
/// `line_of(row)` is the line a data row starts on, for the message.
template <class LineOf>
Column text_column(const std::string& name, std::size_t j, std::vector<std::string> texts, std::vector<bool> missing,
                   Forced forced, const CsvOptions& options, std::string_view source, LineOf&& line_of) {
  const std::size_t n = texts.size();
  const bool any_value = std::find(missing.begin(), missing.end(), false) != missing.end();
  if ((forced == Forced::none && any_value) || forced == Forced::date) {
    const std::vector<std::string> formats = date_formats(options.date_formats, forced == Forced::date);
    const std::size_t present = static_cast<std::size_t>(std::count(missing.begin(), missing.end(), false));
    // A column of dates with a few cells that are not (at most a tenth) is a data error
    // to be named, not a text column to be dropped as one of too many levels.
    const std::size_t tolerated = present >= 10 ? present / 10 : 0;
    std::size_t first_failure = n;        // of the format that got furthest, for the error message
    const std::string* nearly = nullptr;  // a format every cell but a few fits
    for (const auto& format : formats) {
      std::vector<std::int64_t> days(n, 0);
      std::size_t failures = 0, first = n;
      for (std::size_t i = 0; i < n && failures <= tolerated; ++i) {
        if (missing[i]) continue;
        const auto d = parse_date(texts[i], format);
        if (d) {
          days[i] = *d;
        } else {
          ++failures;
          if (first == n) first = i;
        }
      }
      if (failures == 0) return Column::date(name, std::move(days), std::move(missing));
      if (failures <= tolerated && !nearly) nearly = &format, first_failure = first;
      if (!nearly && (first_failure == n || first > first_failure)) first_failure = first;
    }
    if (nearly && forced == Forced::none)
      throw error(csv_where(source, line_of(first_failure), j + 1, name) + "\"" + texts[first_failure] +
                  "\" is not a date, while the column's other cells are dates (" + *nearly +
                  "); fix the cell or leave it empty");
    if (forced == Forced::date) {
      std::string tried;
      for (const auto& f : formats) tried.append(tried.empty() ? "" : ", ").append(f);
      throw error(csv_where(source, line_of(first_failure), j + 1, name) + "\"" + texts[first_failure] +
                  "\" is not a date in the format of the column's other cells (formats tried: " + tried + ")");
    }
  }
  return Column::categorical(name, std::move(texts), std::move(missing));
}

/// The table of text[0, n) (after the byte-order mark), or nothing when a chunk failed and
/// the careful walk found no problem (then the caller tries again with one chunk).
template <class Release>
std::optional<Table> read_chunks(std::string_view text, char delimiter, const std::vector<std::string>& names,
                                 const std::vector<Forced>& forced, std::exception_ptr options_error,
                                 const std::vector<bool>& seed_text, std::size_t first_end, std::size_t begin,
                                 std::size_t end, const CsvOptions& options, std::string_view source,
                                 ProgressReport& progress, std::size_t chunk_bytes, std::size_t threads,
                                 Release&& release) {
  const std::size_t width = names.size();
  ReadPlan plan;
  plan.text = text, plan.delimiter = delimiter, plan.width = width, plan.missing = &options.missing,
  plan.decimal = options.decimal, plan.forced = forced;
  for (const std::string& token : options.missing)
    plan.number_is_missing_token |= parse_number(token, options.decimal).has_value();
  plan.is_text = std::make_unique<std::atomic<bool>[]>(width);
  for (std::size_t j = 0; j < width; ++j) plan.is_text[j].store(seed_text[j] && forced[j] == Forced::none);

  const std::vector<std::size_t> bounds =
      chunk_bounds(text, delimiter != ' ', begin, end, first_end, chunk_bytes, threads, release);
  std::vector<Chunk> chunks(bounds.size() - 1);
  for (std::size_t c = 0; c < chunks.size(); ++c)
    chunks[c].begin = bounds[c], chunks[c].end = bounds[c + 1],
    chunks[c].header = c == 0 && begin == 0 && options.header;

  segkit::detail::parallel_for(chunks.size(), threads, [&](std::size_t c) {
    Chunk& chunk = chunks[c];
    chunk.pieces.resize(width);
    for (std::size_t j = 0; j < width; ++j) {
      const bool text_now = forced[j] == Forced::categorical || forced[j] == Forced::date ||
                            (forced[j] == Forced::none && plan.is_text[j].load(std::memory_order_relaxed));
      chunk.pieces[j].mode = text_now ? Piece::Mode::texts : Piece::Mode::numbers;
    }
    parse_chunk(plan, chunk);
    release(chunk.begin, chunk.end);
    progress.add(chunk.end - chunk.begin);
  });

  // The first problem in the order a sequential reader meets them: bytes, then records.
  for (const Chunk& chunk : chunks)
    if (chunk.bad_text) {
      check_utf8(text, source);
      return std::nullopt;
    }
  for (const Chunk& chunk : chunks)
    if (chunk.bad_parse) {
      if (delimiter == ' ')
        walk_words(text, source, options.header, {});
      else
        walk_csv(text, delimiter, source, options.header, {});
      return std::nullopt;
    }
  if (options_error) std::rethrow_exception(options_error);

  std::vector<std::size_t> first_row(chunks.size() + 1, 0);  // of each chunk, in the table
  for (std::size_t c = 0; c < chunks.size(); ++c) first_row[c + 1] = first_row[c] + chunks[c].rows;
  const std::size_t n = first_row.back();
  // The line a data row starts on, for messages: walk its chunk line by line.
  auto line_of = [&](std::size_t row) {
    const std::size_t c =
        static_cast<std::size_t>(std::upper_bound(first_row.begin(), first_row.end(), row) - first_row.begin()) - 1;
    const std::size_t record = row - first_row[c] + (chunks[c].header ? 1 : 0);
    const std::string_view part = text.substr(chunks[c].begin, chunks[c].end - chunks[c].begin);
    const WalkFrom from{1 + count_line_ends(text, chunks[c].begin), width, 1};
    return (delimiter == ' ' ? walk_words(part, source, options.header, from, record + 1)
                             : walk_csv(part, delimiter, source, options.header, from, record + 1))
        .last_line;
  };

  // Columns that turned out to be text need the cells of chunks that parsed them as numbers.
  std::vector<bool> text_kind(width);
  for (std::size_t j = 0; j < width; ++j)
    text_kind[j] = forced[j] == Forced::categorical || forced[j] == Forced::date ||
                   (forced[j] == Forced::none && plan.is_text[j].load());
  std::vector<std::size_t> again;
  for (std::size_t c = 0; c < chunks.size(); ++c)
    for (std::size_t j = 0; j < width; ++j)
      if (text_kind[j] && chunks[c].pieces[j].mode != Piece::Mode::texts) {
        again.push_back(c);
        break;
      }
  segkit::detail::parallel_for(again.size(), threads, [&](std::size_t a) {
    Chunk& chunk = chunks[again[a]];
    Chunk texts;
    texts.begin = chunk.begin, texts.end = chunk.end, texts.header = chunk.header;
    texts.pieces.resize(width);
    for (std::size_t j = 0; j < width; ++j)
      texts.pieces[j].mode =
          text_kind[j] && chunk.pieces[j].mode != Piece::Mode::texts ? Piece::Mode::texts : Piece::Mode::skip;
    parse_chunk(plan, texts);
    release(chunk.begin, chunk.end);
    if (texts.bad_text || texts.bad_parse || texts.rows != chunk.rows)
      throw error(csv_where(source) + "the file changed while it was read");
    for (std::size_t j = 0; j < width; ++j)
      if (texts.pieces[j].mode == Piece::Mode::texts) chunk.pieces[j] = std::move(texts.pieces[j]);
  });

  // Join the chunks column by column, freeing each piece once copied: the numeric
  // columns side by side on the threads, after the checks (in column order, so the
  // first bad cell is the one reported), the text columns then in order.
  for (std::size_t j = 0; j < width; ++j)
    if (!text_kind[j] && forced[j] == Forced::numeric)
      for (std::size_t c = 0; c < chunks.size(); ++c)
        if (const Piece& p = chunks[c].pieces[j]; p.bad_row != std::string_view::npos)
          throw error(csv_where(source, line_of(first_row[c] + p.bad_row), j + 1, names[j]) + "\"" + p.bad_text +
                      "\" is not a number, and the column is read as numeric");
  std::vector<std::size_t> numeric_columns;
  for (std::size_t j = 0; j < width; ++j)
    if (!text_kind[j]) numeric_columns.push_back(j);
  std::vector<std::optional<Column>> joined(width);
  segkit::detail::parallel_for(numeric_columns.size(), threads, [&](std::size_t a) {
    const std::size_t j = numeric_columns[a];
    std::vector<double> values;
    values.reserve(n);
    for (Chunk& chunk : chunks) {
      auto& part = chunk.pieces[j].numbers;
      values.insert(values.end(), part.begin(), part.end());
      release_vector(part);
    }
    joined[j] = Column::numeric(names[j], std::move(values));
  });
  Table table;
  for (std::size_t j = 0; j < width; ++j) {
    if (!text_kind[j]) {
      table.add(std::move(*joined[j]));
    } else {
      std::vector<std::string> texts;
      std::vector<bool> missing;
      texts.reserve(n), missing.reserve(n);
      for (Chunk& chunk : chunks) {
        Piece& p = chunk.pieces[j];
        std::move(p.texts.begin(), p.texts.end(), std::back_inserter(texts));
        missing.insert(missing.end(), p.missing.begin(), p.missing.end());
        release_vector(p.texts), release_vector(p.missing);
      }
      table.add(text_column(names[j], j, std::move(texts), std::move(missing), forced[j], options, source, line_of));
    }
  }
  return table;
}

struct NoRelease {
  void operator()(std::size_t, std::size_t) const {}
};

/// parse_csv and read_csv: `release` gives back the pages of a part of `raw` already parsed.
template <class Release>
Table parse_text(std::string_view raw, const CsvOptions& options, std::string_view source, Release&& release) {
  std::string_view text = strip_bom(raw, source);
  if (only_blanks(text)) throw error(csv_where(source) + "the file is empty: no header and no rows");
  if (options.decimal != '.' && options.decimal != ',')
    throw error(csv_where(source) + "the decimal separator must be '.' or ',', not '" +
                std::string(1, options.decimal) + "'");
  char delimiter = options.whitespace ? ' ' : options.delimiter;
  if (delimiter == 0) delimiter = detect_delimiter(text, options.decimal);
  if (delimiter == options.decimal)
    throw error(csv_where(source) + "the delimiter and the decimal separator are both '" + std::string(1, delimiter) +
                "': give another delimiter (a file with decimal commas usually separates its fields with ';')");
  if (delimiter == '"' || delimiter == '\r' || delimiter == '\n') {
    check_utf8(text, source);
    throw error(csv_where(source) + "a quote or line break cannot be the delimiter");
  }

  // The first records, for the names and the width; a bad byte anywhere comes first.
  const std::size_t probe = options.header ? 2 : 1;
  Walked first;
  try {
    first = delimiter == ' ' ? walk_words(text, source, options.header, {}, probe, probe)
                             : walk_csv(text, delimiter, source, options.header, {}, probe, probe);
  } catch (const error&) {
    check_utf8(text, source);
    throw;
  }
  if (first.records == 0) {
    check_utf8(text, source);
    throw error(csv_where(source) + "the file is empty: no header and no rows");
  }
  const std::size_t width = first.kept.front().size();
  std::vector<std::string> names(width);
  for (std::size_t j = 0; j < width; ++j) {
    // An untitled column is known by its number, as without a header.
    const std::string_view title = options.header ? trim_blanks(first.kept.front()[j]) : std::string_view{};
    names[j] = title.empty() ? std::to_string(j + 1) : std::string(title);
  }

  // Forced kinds; a bad name is reported only if the file itself is readable.
  std::vector<Forced> forced(width, Forced::none);
  std::exception_ptr options_error;
  auto force = [&](const std::vector<std::string>& keys, Forced kind, const char* option) {
    for (const auto& key : keys) {
      std::size_t j = 0;
      try {
        j = find_column(names, key);
      } catch (const error& e) {
        throw error(csv_where(source) + "CsvOptions::" + option + ": " + e.what());
      }
      if (forced[j] != Forced::none && forced[j] != kind)
        throw error(csv_where(source) + "column \"" + names[j] + "\" is forced to two different kinds");
      forced[j] = kind;
    }
  };
  try {
    force(options.numeric, Forced::numeric, "numeric");
    force(options.categorical, Forced::categorical, "categorical");
    force(options.date, Forced::date, "date");
  } catch (const error&) {
    options_error = std::current_exception();
    std::fill(forced.begin(), forced.end(), Forced::none);
  }
  if (options.text_if)
    for (std::size_t j = 0; j < width; ++j)
      if (forced[j] == Forced::none && options.text_if(names[j])) forced[j] = Forced::categorical;
  // A first row with text in a column: that column keeps strings from the start.
  std::vector<bool> seed_text(width, false);
  for (std::size_t r = options.header ? 1 : 0; r < first.kept.size(); ++r)
    for (std::size_t j = 0; j < width; ++j)
      if (!is_missing_cell(first.kept[r][j], options.missing) && !parse_number(first.kept[r][j], options.decimal))
        seed_text[j] = true;

  const std::size_t bom = raw.size() - text.size();
  auto release_text = [&](std::size_t begin, std::size_t end) { release(begin + bom, end + bom); };
  if (options.part.count == 0 || options.part.index >= options.part.count)
    throw error(csv_where(source) + "part " + std::to_string(options.part.index) + " of " +
                std::to_string(options.part.count) + " parts: the part must be one of 0.." +
                std::to_string(options.part.count) + " - 1");
  const auto [begin, end] = options.part.count == 1 ? std::pair<std::size_t, std::size_t>{0, text.size()}
                                                    : part_range(text, delimiter != ' ', first.end, options.part,
                                                                 options.threads, release_text);
  const std::size_t before = begin == 0 ? bom : 0;
  ProgressReport progress(options, end - begin + before, before);
  std::optional<Table> table =
      read_chunks(text, delimiter, names, forced, options_error, seed_text, first.end, begin, end, options, source,
                  progress, options.chunk_bytes, options.threads, release_text);
  // A chunk failed where the file is fine (boundaries fooled): once more as one chunk.
  if (!table)
    table = read_chunks(text, delimiter, names, forced, options_error, seed_text, first.end, begin, end, options,
                        source, progress, std::numeric_limits<std::size_t>::max(), 1, release_text);
  if (!table) throw error(csv_where(source) + "cannot parse the file");
  progress.finish();
  return std::move(*table);
}

}  // namespace detail

/// Parses `text` as a customer table; `source` names it in error messages (a file name).
inline Table parse_csv(std::string_view text, const CsvOptions& options = {}, std::string_view source = "<text>") {
  return detail::parse_text(text, options, source, detail::NoRelease{});
}

/// Days since 1970-01-01 of a date written in one of `formats` (tried in order; by default
/// the reader's built-in ones and yyyymmdd, as for a column forced to date), or nothing if
/// it is in none of them or is no real date: for a date given on a command line.
inline std::optional<std::int64_t> parse_date_text(std::string_view text,
                                                   const std::vector<std::string>& formats = {}) {
  for (const std::string& format : detail::date_formats(formats, /*forced=*/true))
    if (const auto day = detail::parse_date(text, format)) return day;
  return std::nullopt;
}

/// A text column as numbers, as the reader would have typed it (missing cells are NaN),
/// or nothing if a present cell is not a number: for a column read as text by
/// CsvOptions::text_if that turns out not to name customers.
inline std::optional<Column> reparse_as_numbers(const Column& column) {
  if (!column.is_categorical()) return std::nullopt;
  const auto& texts = column.texts();
  std::vector<double> values(texts.size(), std::numeric_limits<double>::quiet_NaN());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (column.missing(i)) continue;
    const auto v = detail::parse_number(texts[i]);
    if (!v) return std::nullopt;
    values[i] = *v;
  }
  return Column::numeric(column.name(), std::move(values));
}

/// Reads a customer file; see the top of this header for what it accepts. The path "-"
/// reads standard input to its end (a pipe: `zcat customers.csv.gz | segkit segment -`).
inline Table read_csv(const std::string& path, const CsvOptions& options = {}) {
  if (path == "-") {
    std::string text;
    char buffer[1 << 16];
    for (;;) {
      const ssize_t got = ::read(STDIN_FILENO, buffer, sizeof buffer);
      if (got == 0) break;
      if (got < 0) {
        if (errno == EINTR) continue;
        throw error("standard input: cannot be read: " + std::string(std::strerror(errno)));
      }
      text.append(buffer, static_cast<std::size_t>(got));
    }
    return detail::parse_text(text, options, "standard input", [](std::size_t, std::size_t) {});
  }
  const detail::FileText file(path);
  return detail::parse_text(file.text(), options, path,
                            [&file](std::size_t begin, std::size_t end) { file.release(begin, end); });
}

}  // namespace segkit::data
