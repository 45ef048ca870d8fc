// segkit::data: the Table and read_csv, on fixtures cut from the real customer files
// (tests/data/README.md), on the full files in data/, and on malformed input.

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include <segkit/data/csv.hpp>
#include <segkit/data/table.hpp>

// The suite's files are compiled together (a unity build): each keeps its helpers to itself.
namespace segkit_test_data {

namespace {

namespace sd = segkit::data;

// SEGKIT_FIXTURE_DIR is tests/fixtures; the small inputs sit beside it, the full datasets at the top.
const std::string small_dir = std::string(SEGKIT_FIXTURE_DIR) + "/../data/";
const std::string full_dir = std::string(SEGKIT_FIXTURE_DIR) + "/../../data/";

double sum_present(const std::vector<double>& v) {
  double s = 0;
  for (const double x : v)
    if (!std::isnan(x)) s += x;
  return s;
}

std::string message_of(auto&& call) {
  try {
    call();
  } catch (const segkit::error& e) {
    return e.what();
  }
  return "(no segkit::error thrown)";
}

// A scratch directory of its own per test, since ctest may run test cases side by side.
struct ScratchDir {
  std::filesystem::path path;
  ScratchDir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / ("segkit_test_data_" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& bytes) const {
    const auto file = (path / name).string();
    std::ofstream(file, std::ios::binary) << bytes;
    return file;
  }
};

// Same names, kinds, missing cells and values, bit for bit.
void check_same_table(const sd::Table& a, const sd::Table& b) {
  REQUIRE(a.names() == b.names());
  REQUIRE(a.rows() == b.rows());
  for (std::size_t j = 0; j < a.columns(); ++j) {
    const sd::Column& x = a.at(j);
    const sd::Column& y = b.at(j);
    INFO("column " << x.name());
    REQUIRE(x.kind() == y.kind());
    CHECK(x.missing_mask() == y.missing_mask());
    if (x.is_numeric())
      CHECK(std::memcmp(x.numbers().data(), y.numbers().data(), x.size() * sizeof(double)) == 0);
    else if (x.is_date())
      CHECK(x.days() == y.days());
    else
      CHECK(x.texts() == y.texts());
  }
}

// A few MB of customers with everything a chunk boundary could cut: quoted delimiters and line
// breaks, doubled quotes, missing cells, blank lines, numbers in every accepted form, a date
// column, and a column that reads as numbers until its very last rows.
std::string big_customer_file(std::size_t rows, const char* eol) {
  std::mt19937 rng(7);
  const char* forms[] = {"12",  "-1.5e2", "+3", ".5", "1.", "0.1",   "9007199254740993",
                         "1e5", " 7 ",    "-0", "NA", "",   "2.5E-3"};
  const char* notes[] = {"plain", "\"Smith, Anna\"", "\"said \"\"hi\"\"\"", "\"two\nlines\"", "\"cr\r\nlf\"", "",
                         "n/a"};
  std::string out = std::string("id,amount,income,joined,note,late").append(eol);
  for (std::size_t i = 0; i < rows; ++i) {
    out.append("C").append(std::to_string(100000 + i)).append(",");
    out.append(forms[rng() % 13]).append(",");
    out.append(std::to_string(rng() % 100000)).append(".").append(std::to_string(rng() % 100)).append(",");
    out.append(std::to_string(2000 + rng() % 20)).append("-").append(std::to_string(1 + rng() % 12)).append("-");
    out.append(std::to_string(1 + rng() % 28)).append(",");
    out.append(notes[rng() % 7]).append(",");
    out.append(i + 3 == rows ? std::string("unknown") : std::string("00").append(std::to_string(rng() % 10)))
        .append(eol);
    if (rng() % 5000 == 0) out.append(eol);  // a blank line now and then
  }
  return out;
}

}  // namespace

TEST_CASE("data: Mall Customers, full file (comma, CRLF, no final newline)") {
  const sd::Table t = sd::read_csv(full_dir + "mall_customers/Mall_Customers.csv");
  CHECK(t.rows() == 200);
  CHECK(t.columns() == 5);
  CHECK(t.names() ==
        std::vector<std::string>{"CustomerID", "Genre", "Age", "Annual Income (k$)", "Spending Score (1-100)"});
  CHECK(t["Genre"].kind() == sd::ColumnKind::categorical);
  const auto genres = t["Genre"].level_counts();
  CHECK(genres.size() == 2);
  CHECK(genres.at("Female") == 112);
  CHECK(genres.at("Male") == 88);
  CHECK(t["Annual Income (k$)"].kind() == sd::ColumnKind::numeric);
  CHECK(sum_present(t["Annual Income (k$)"].numbers()) == 12112);
  CHECK(sum_present(t["Spending Score (1-100)"].numbers()) == 10040);
  CHECK(t.missing_count() == 0);
  // The zero-padded ids are numbers unless asked for as text.
  CHECK(t["CustomerID"].numbers().front() == 1);

  const auto X = t.matrix({"Annual Income (k$)", "5"});
  REQUIRE(X.shape(0) == 200);
  REQUIRE(X.shape(1) == 2);
  CHECK(X(0, 0) == 15);
  CHECK(X(0, 1) == 39);
  CHECK(X(199, 0) == 137);
  CHECK(X(199, 1) == 83);
}

TEST_CASE("data: marketing_campaign, full file (TAB detected, CRLF, empty incomes, dd-mm-yyyy dates)") {
  const sd::Table t = sd::read_csv(full_dir + "customer_personality/marketing_campaign.csv");
  CHECK(t.rows() == 2240);
  CHECK(t.columns() == 29);
  CHECK(t["Income"].is_numeric());
  CHECK(t["Income"].missing_count() == 24);
  CHECK(t.missing_count() == 24);
  CHECK(t.incomplete_rows() == 24);
  REQUIRE(t["Dt_Customer"].is_date());
  CHECK(sd::format_date(t["Dt_Customer"].days().front()) == "2012-09-04");
  CHECK(t["Dt_Customer"].days().front() == sd::days_from_civil(2012, 9, 4));
  REQUIRE(t["Education"].is_categorical());
  CHECK(t["Education"].level_counts().at("Graduation") == 1127);
  CHECK(t["Education"].level_counts().at("PhD") == 486);
  CHECK(t["Marital_Status"].level_counts().at("YOLO") == 2);
  CHECK(t.column("29").name() == "Response");
}

TEST_CASE("data: CC GENERAL, full file (LF, empty cells)") {
  const sd::Table t = sd::read_csv(full_dir + "cc_general/CC GENERAL.csv");
  CHECK(t.rows() == 8950);
  CHECK(t.columns() == 18);
  CHECK(t["CUST_ID"].is_categorical());
  CHECK(t["MINIMUM_PAYMENTS"].missing_count() == 313);
  CHECK(t["CREDIT_LIMIT"].missing_count() == 1);
  CHECK(t.names(sd::ColumnKind::numeric).size() == 17);
}

TEST_CASE("data: fixtures cut from the real files") {
  SUBCASE("Mall Customers, first 50 rows") {
    const auto t = sd::read_csv(small_dir + "mall_customers_head.csv");
    CHECK(t.rows() == 50);
    CHECK(t.columns() == 5);
    CHECK(t["Genre"].texts()[2] == "Female");  // no '\r' left on the last field of a CRLF line
    CHECK(t["Spending Score (1-100)"].numbers()[0] == 39);
  }
  SUBCASE("marketing_campaign, first 50 rows: 4 empty incomes") {
    const auto t = sd::read_csv(small_dir + "marketing_campaign_head.tsv");
    CHECK(t.rows() == 50);
    CHECK(t.columns() == 29);
    const auto& income = t["Income"];
    CHECK(income.missing_count() == 4);
    const auto& id = t["ID"].numbers();
    std::vector<double> ids_missing;
    for (std::size_t i = 0; i < t.rows(); ++i)
      if (income.missing(i)) ids_missing.push_back(id[i]);
    CHECK(ids_missing == std::vector<double>{1994, 5255, 7281, 7244});
    CHECK(std::isnan(income.numbers()[10]));
    CHECK(income.numbers()[0] == 58138);
  }
  SUBCASE("CC GENERAL, first 50 rows: 3 empty MINIMUM_PAYMENTS") {
    const auto t = sd::read_csv(small_dir + "cc_general_head.csv");
    CHECK(t.rows() == 50);
    CHECK(t.columns() == 18);
    CHECK(t["MINIMUM_PAYMENTS"].missing_count() == 3);
    CHECK(t["MINIMUM_PAYMENTS"].missing(3));
    CHECK(t["BALANCE"].numbers()[0] == doctest::Approx(40.900749));
  }
  SUBCASE("Retail_Data_Transactions, first 50 rows: dd-Mon-yy dates") {
    const auto t = sd::read_csv(small_dir + "retail_transactions_head.csv");
    CHECK(t.rows() == 50);
    CHECK(t["customer_id"].is_categorical());
    CHECK(t["customer_id"].texts().front() == "CS5295");
    REQUIRE(t["trans_date"].is_date());
    CHECK(sd::format_date(t["trans_date"].days()[0]) == "2013-02-11");
    CHECK(sd::format_date(t["trans_date"].days()[49]) == "2014-06-19");
    CHECK(t["tran_amount"].numbers()[0] == 35);
  }
  SUBCASE("CDNOW_master, first 50 lines: space-padded, no header") {
    const sd::CsvOptions no_header{.header = false};
    const auto t = sd::read_csv(small_dir + "cdnow_head.txt", no_header);
    CHECK(t.rows() == 50);
    CHECK(t.columns() == 4);
    CHECK(t.names() == std::vector<std::string>{"1", "2", "3", "4"});
    CHECK(t["2"].is_numeric());  // yyyymmdd integers stay numbers unless asked for as dates
    CHECK(t["2"].numbers()[0] == 19970101);
    CHECK(t["4"].numbers()[0] == doctest::Approx(11.77));
    CHECK(t["4"].numbers()[49] == doctest::Approx(31.60));

    const auto typed = sd::read_csv(small_dir + "cdnow_head.txt",
                                    {.whitespace = true, .header = false, .categorical = {"1"}, .date = {"2"}});
    CHECK(typed["1"].texts()[1] == "00002");
    REQUIRE(typed["2"].is_date());
    CHECK(sd::format_date(typed["2"].days()[0]) == "1997-01-01");
    CHECK(sd::format_date(typed["2"].days()[49]) == "1997-07-13");
  }
}

TEST_CASE("data: RFC 4180 quoting: embedded delimiter, doubled quotes, line break") {
  const auto t = sd::read_csv(small_dir + "quoted.csv");
  REQUIRE(t.rows() == 3);
  CHECK(t["name"].texts()[0] == "Smith, Anna");
  CHECK(t["note"].texts()[0] == "said \"hi\"");
  CHECK(t["name"].texts()[1] == "Multi\r\nline");
  CHECK(t["name"].missing(2));
  CHECK(t["note"].missing(2));
  CHECK(std::isnan(t["amount"].numbers()[2]));
  CHECK(t["amount"].numbers()[1] == 20);
}

TEST_CASE("data: a UTF-8 byte-order mark is not part of the first name") {
  const auto t = sd::read_csv(small_dir + "bom.csv");
  CHECK(t.names().front() == "CustomerID");
  CHECK(t["CustomerID"].numbers() == std::vector<double>{1, 2});
}

TEST_CASE("data: semicolon delimiter detected, missing cells in any spelling, a date column with a gap") {
  const auto t = sd::read_csv(small_dir + "semicolon.csv");
  REQUIRE(t.columns() == 4);
  CHECK(t["Score"].is_numeric());
  CHECK(t["Score"].missing_count() == 1);  // "n/a"
  CHECK(t["Genre"].missing(2));            // "NULL"
  REQUIRE(t["Joined"].is_date());
  CHECK(t["Joined"].missing(2));
  CHECK(sd::format_date(t["Joined"].days()[1]) == "2015-12-31");
}

TEST_CASE("data: a missing-value token that is a number (a sentinel such as -999) wins over the number") {
  segkit::data::CsvOptions options;
  options.missing = {"-999", "NA"};
  const auto t = sd::parse_csv("a,b\n1,-999\n-999,2.5\n3, -999 \n", options);
  CHECK(t["a"].missing_count() == 1);
  CHECK(t["b"].missing_count() == 2);
  CHECK(t["b"].numbers()[1] == 2.5);
  CHECK(sd::parse_csv("a\n-999\n")["a"].numbers()[0] == -999);  // not a token by default
}

TEST_CASE("data: type inference and date formats") {
  CHECK(sd::parse_csv("d\n04-09-2012\n31-12-2013\n")["d"].is_date());
  CHECK(sd::parse_csv("d\n04/09/2012\n\n31/12/2013\n")["d"].is_date());
  CHECK(sd::parse_csv("d\n2012-09-04\n2013-12-31\n")["d"].is_date());
  // One format for the whole column: a mix of forms is text, and so is a day that does not exist.
  CHECK(sd::parse_csv("d\n2012-09-04\n31-12-2013\n")["d"].is_categorical());
  CHECK(sd::parse_csv("d\n30-02-2012\n")["d"].is_categorical());
  // A hint replaces the built-in formats: here month first, as in US exports.
  const auto us = sd::parse_csv("d\n12/31/2013\n", {.date_formats = {"m/d/yyyy"}});
  CHECK(sd::format_date(us["d"].days()[0]) == "2013-12-31");
  // Numbers: exponents and signs yes; words that strtod would take, no.
  CHECK(sd::parse_csv("x\n-1.5e2\n+3\n.5\n")["x"].numbers() == std::vector<double>{-150, 3, 0.5});
  CHECK(sd::parse_csv("x\ninf\n1\n")["x"].is_categorical());
  CHECK(sd::parse_csv("x\n0x10\n")["x"].is_categorical());
  // A column with no value at all is numeric, all NaN.
  CHECK(sd::parse_csv("a,b\n1,\n2,NA\n")["b"].missing_count() == 2);
  CHECK(sd::parse_csv("a,b\n1,\n2,NA\n")["b"].is_numeric());
  // Forced categorical keeps the text as written.
  CHECK(sd::parse_csv("id\n0007\n", {.categorical = {"id"}})["id"].texts()[0] == "0007");
  // LF, CRLF and lone CR line ends all work, and so does a '|' delimiter.
  CHECK(sd::parse_csv("a|b\r1|2\r3|4").rows() == 2);
}

TEST_CASE("data: Table lookups and the matrix") {
  const auto t = sd::read_csv(small_dir + "mall_customers_head.csv");
  CHECK(&t["3"] == &t["Age"]);
  CHECK(t.index_of("Age") == 2);
  CHECK(t.contains("Genre"));
  CHECK_FALSE(t.contains("Gender"));
  CHECK_FALSE(t.contains("6"));
  CHECK(message_of([&] { (void)t["Gender"]; }) ==
        "no column \"Gender\". The columns are: 1 \"CustomerID\", 2 \"Genre\", 3 \"Age\", "
        "4 \"Annual Income (k$)\", 5 \"Spending Score (1-100)\"");
  CHECK(message_of([&] {
          (void)t.matrix({"Age", "Genre"});
        }) == "column \"Genre\" is categorical, not numeric; encode or derive it before putting it in the matrix");
  CHECK(message_of([&] { (void)t["Genre"].numbers(); }) == "column \"Genre\" is categorical, not numeric");

  sd::Table u;
  u.add(sd::Column::numeric("x", {1, 2})).add(sd::Column::numeric("x", {3, 4}));
  CHECK(message_of([&] { (void)u["x"]; }).starts_with("column name \"x\" is ambiguous"));
  CHECK(u["2"].numbers()[0] == 3);
  CHECK(message_of([&] { u.add(sd::Column::numeric("y", {1})); }) == "column \"y\" has 1 rows but the table has 2");
  CHECK(sd::days_from_civil(1970, 1, 1) == 0);
  CHECK(message_of([] { (void)sd::days_from_civil(2013, 2, 29); }) == "no such date: 2013-2-29");
}

TEST_CASE("data: malformed files name the file, line and column") {
  SUBCASE("ragged row") {
    const std::string path = small_dir + "ragged.csv";
    CHECK(message_of([&] { (void)sd::read_csv(path); }) ==
          "\"" + path +
              "\", line 4, column 3: ragged row: expected 3 fields (as in the header on line 1), found 2; "
              "column 3 is missing");
    CHECK(message_of([] { (void)sd::parse_csv("a,b\n1,2\n3,4,5\n", {}, "x.csv"); }) ==
          "\"x.csv\", line 3, column 3: ragged row: expected 2 fields (as in the header on line 1), found 3; "
          "column 3 is extra");
    CHECK(message_of([] { (void)sd::parse_csv("1 2\n3 4 5\n", {.whitespace = true, .header = false}, "w.txt"); }) ==
          "\"w.txt\", line 2, column 3: ragged row: expected 2 fields (as in the first row on line 1), found 3; "
          "column 3 is extra");
    // A quoted line break moves the line count on, so the error points at the real line.
    CHECK(message_of([] {
            (void)sd::parse_csv("a,b\n\"x\ny\",2\n3\n", {}, "q.csv");
          }).starts_with("\"q.csv\", line 4, column 2: ragged row"));
  }
  SUBCASE("text in a column forced numeric") {
    const std::string path = small_dir + "text_in_number.csv";
    CHECK(sd::read_csv(path)["Age"].is_categorical());
    CHECK(message_of([&] { (void)sd::read_csv(path, {.numeric = {"Age"}}); }) ==
          "\"" + path +
              "\", line 3, column 3 (\"Age\"): \"twenty\" is not a number, and the column is read as numeric");
  }
  SUBCASE("a cell that is not a date in a column forced to date") {
    CHECK(message_of([] { (void)sd::parse_csv("d\n2012-01-05\nlater\n", {.date = {"d"}}, "d.csv"); }) ==
          "\"d.csv\", line 3, column 1 (\"d\"): \"later\" is not a date in the format of the column's other cells "
          "(formats tried: yyyy-m-d, d-m-yyyy, d/m/yyyy, d-Mon-yy, yyyymmdd)");
  }
  SUBCASE("a cell that is not a date among dates: named, not a reason to drop the column as text") {
    std::string text = "id,joined\n";
    for (int i = 1; i <= 30; ++i)
      text += std::to_string(i) + ",2012-01-" + (i < 10 ? "0" : "") + std::to_string(i) + "\n";
    text.replace(text.find("2012-01-17"), 10, "2012-13-17");  // data row 17, line 18
    CHECK(message_of([&] { (void)sd::parse_csv(text, {}, "d.csv"); }) ==
          "\"d.csv\", line 18, column 2 (\"joined\"): \"2012-13-17\" is not a date, while the column's other cells "
          "are dates (yyyy-m-d); fix the cell or leave it empty");
    // Fewer than ten dates, or more than a tenth not dates: a text column, as before.
    CHECK(sd::parse_csv("d\n2012-01-05\nlater\n", {}, "d.csv")["d"].is_categorical());
  }
  SUBCASE("unknown column named in the options") {
    const std::string path = small_dir + "bom.csv";
    CHECK(message_of([&] { (void)sd::read_csv(path, {.numeric = {"Incme"}}); }) ==
          "\"" + path +
              "\": CsvOptions::numeric: no column \"Incme\". The columns are: 1 \"CustomerID\", "
              "2 \"Genre\", 3 \"Age\"");
  }
  SUBCASE("empty file") {
    const std::string path = small_dir + "empty.csv";
    CHECK(message_of([&] { (void)sd::read_csv(path); }) ==
          "\"" + path + "\": the file is empty: no header and no rows");
    CHECK(message_of([] { (void)sd::parse_csv("\xEF\xBB\xBF\r\n\r\n", {}, "e.csv"); }) ==
          "\"e.csv\": the file is empty: no header and no rows");
  }
  SUBCASE("binary file") {
    const ScratchDir dir;
    const std::string path = dir.write("customers.xlsx", std::string("ab,c\nPK\x03\x04\0\0x", 12));
    CHECK(message_of([&] { (void)sd::read_csv(path); }) ==
          "\"" + path + "\", line 2: byte 5 is a NUL byte: this is a binary file, not a text table");
    CHECK(message_of([] { (void)sd::parse_csv("name\nCaf\xE9\n", {}, "latin1.csv"); }) ==
          "\"latin1.csv\", line 2: byte 4 (0xE9) is not UTF-8: the file is binary or in another encoding; "
          "save it as UTF-8");
    CHECK(message_of([] { (void)sd::parse_csv("\xFF\xFEn\0a\0", {}, "u16.csv"); }) ==
          "\"u16.csv\", line 1: the file is UTF-16 text; save it as UTF-8");
    CHECK(sd::parse_csv("name\nCaf\xC3\xA9\n")["name"].texts()[0] == "Caf\xC3\xA9");
  }
  SUBCASE("missing file and directory") {
    const std::string path = small_dir + "no_such_file.csv";
    CHECK(message_of([&] { (void)sd::read_csv(path); }) ==
          "\"" + path + "\": cannot open the file: No such file or directory");
    CHECK(message_of([&] { (void)sd::read_csv(small_dir); }) ==
          "\"" + small_dir + "\": cannot read the file: Is a directory");
  }
  SUBCASE("broken quoting") {
    CHECK(message_of([] { (void)sd::parse_csv("a,b\n1,x\"y\n", {}, "q.csv"); }) ==
          "\"q.csv\", line 2, column 2: byte 4 of the line: malformed quoting (RFC 4180: a field holding a quote, "
          "the delimiter or a line break must be enclosed in quotes, an inner quote doubled, nothing after the "
          "closing quote)");
    CHECK(message_of([] { (void)sd::parse_csv("a,b\n1,\"x\n2,3\n", {}, "q.csv"); }) ==
          "\"q.csv\", line 2, column 2: a quoted field opened here is never closed (it runs to the end of the file)");
  }
}

namespace {

using Records = std::vector<std::vector<std::string>>;

Records libcsv_records(std::string_view text, char delimiter) {
  struct Sink {
    Records records;
    bool open = false;
  } sink;
  const auto on_field = [](void* data, std::size_t size, void* self) {
    auto& s = *static_cast<Sink*>(self);
    if (!s.open) s.records.emplace_back(), s.open = true;
    s.records.back().emplace_back(static_cast<const char*>(data), size);
  };
  const auto on_row = [](int, void* self) {
    auto& s = *static_cast<Sink*>(self);
    if (!s.open) s.records.emplace_back();
    s.open = false;
  };
  segkit::data::detail::CsvParser p(delimiter);
  REQUIRE(csv_parse(&p.parser, text.data(), text.size(), on_field, on_row, &sink) == text.size());
  REQUIRE(csv_fini(&p.parser, on_field, on_row, &sink) == 0);
  return sink.records;
}

}  // namespace

TEST_CASE("data: the plain splitter gives libcsv's records on text without quotes or carriage returns") {
  std::mt19937_64 rng(5);
  const std::string alphabet = "ab1.-  \t\t,,;;||\n\n\xC3\xA9";
  for (int trial = 0; trial < 3000; ++trial) {
    std::string text(rng() % 40, ' ');
    for (char& c : text) c = alphabet[rng() % alphabet.size()];
    for (const char delimiter : {',', ';', '|'}) {
      CAPTURE(text);
      CAPTURE(delimiter);
      Records plain;
      bool open = false;
      const bool split = segkit::data::detail::split_plain_records(
          text, delimiter,
          [&](std::string_view f) {
            if (!open) plain.emplace_back(), open = true;
            plain.back().emplace_back(f);
          },
          [&] {
            if (!open) plain.emplace_back();
            open = false;
          });
      REQUIRE(split);
      CHECK(plain == libcsv_records(text, delimiter));
    }
  }
  // Quotes, carriage returns and blank delimiters are left to libcsv.
  const auto never = [](std::string_view) { FAIL("called"); };
  CHECK_FALSE(segkit::data::detail::split_plain_records("a,\"b\"\n", ',', never, [] {}));
  CHECK_FALSE(segkit::data::detail::split_plain_records("a,b\r\n", ',', never, [] {}));
  CHECK_FALSE(segkit::data::detail::split_plain_records("a\tb\n", '\t', never, [] {}));
}

TEST_CASE("data: a large file read in chunks on 1 or 2 threads gives the same table") {
  const ScratchDir dir;
  for (const char* eol : {"\n", "\r\n"}) {
    const std::string path = dir.write("customers.csv", big_customer_file(150000, eol));
    REQUIRE(std::filesystem::file_size(path) > (std::uintmax_t{6} << 20));
    // One chunk on one thread is the sequential reading.
    const sd::Table one = sd::read_csv(path, {.threads = 1, .chunk_bytes = std::size_t{1} << 40});
    REQUIRE(one.rows() == 150000);
    CHECK(one["id"].is_categorical());
    CHECK(one["amount"].is_numeric());
    CHECK(one["income"].is_numeric());
    CHECK(one["joined"].is_date());
    CHECK(one["note"].is_categorical());
    REQUIRE(one["late"].is_categorical());  // numbers until the third row from the end
    CHECK(one["late"].texts()[0].starts_with("00"));
    CHECK(one["late"].texts()[149997] == "unknown");
    CHECK(one["amount"].missing_count() > 0);
    for (const auto& [threads, chunk] : {std::pair<std::size_t, std::size_t>{1, std::size_t{4} << 20},
                                         {2, std::size_t{4} << 20},
                                         {2, std::size_t{100} << 10},
                                         {2, 4099}}) {
      INFO("threads " << threads << ", chunk_bytes " << chunk);
      check_same_table(one, sd::read_csv(path, {.threads = threads, .chunk_bytes = chunk}));
    }
    // The text in memory reads the same as the file.
    std::ifstream in(path, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    check_same_table(one, sd::parse_csv(text, {.threads = 2, .chunk_bytes = 1 << 16}, path));
  }
}

// The parts' tables one after the other, column by column.
sd::Table joined(const std::vector<sd::Table>& parts) {
  sd::Table out;
  for (std::size_t j = 0; j < parts.front().columns(); ++j) {
    const sd::Column& first = parts.front().at(j);
    std::vector<double> numbers;
    std::vector<std::string> texts;
    std::vector<std::int64_t> days;
    std::vector<bool> missing;
    for (const sd::Table& part : parts) {
      const sd::Column& c = part.at(j);
      REQUIRE(c.kind() == first.kind());
      missing.insert(missing.end(), c.missing_mask().begin(), c.missing_mask().end());
      if (c.is_numeric()) numbers.insert(numbers.end(), c.numbers().begin(), c.numbers().end());
      if (c.is_categorical()) texts.insert(texts.end(), c.texts().begin(), c.texts().end());
      if (c.is_date()) days.insert(days.end(), c.days().begin(), c.days().end());
    }
    if (first.is_numeric()) out.add(sd::Column::numeric(first.name(), std::move(numbers)));
    if (first.is_categorical()) out.add(sd::Column::categorical(first.name(), std::move(texts), std::move(missing)));
    if (first.is_date()) out.add(sd::Column::date(first.name(), std::move(days), std::move(missing)));
  }
  return out;
}

TEST_CASE("data: the parts of a file, read one by one and joined, are the whole file") {
  const ScratchDir dir;
  for (const char* eol : {"\n", "\r\n"}) {
    const std::string path = dir.write("customers.csv", big_customer_file(20000, eol));
    const sd::Table whole = sd::read_csv(path);
    // Each part types its columns from its own cells ("late" holds text only near the end):
    // read with the whole file's kinds, the parts join into the whole file, quoted line breaks and all.
    sd::CsvOptions kinds{.chunk_bytes = 1 << 14};
    for (const sd::Column& c : whole)
      (c.is_numeric() ? kinds.numeric : c.is_date() ? kinds.date : kinds.categorical).push_back(c.name());
    for (const std::size_t count : {1, 2, 3, 4, 7}) {
      INFO((eol[1] ? "CRLF" : "LF") << ", " << count << " parts");
      std::vector<sd::Table> parts;
      std::size_t nonempty = 0;
      for (std::size_t index = 0; index < count; ++index) {
        sd::CsvOptions options = kinds;
        options.part = {index, count};
        options.threads = 1 + index % 2;
        parts.push_back(sd::read_csv(path, options));
        nonempty += parts.back().rows() > 0;
      }
      CHECK(nonempty == count);
      check_same_table(whole, joined(parts));
    }
    const sd::Table last = sd::read_csv(path, {.part = {3, 4}});
    CHECK(last["late"].is_categorical());
    CHECK(sd::read_csv(path, {.part = {0, 4}})["late"].is_numeric());
  }
  // More parts than records: the parts past the records are empty tables with the header's columns.
  const std::string tiny = dir.write("tiny.csv", "id,spend\n1,10\n2,20\n");
  std::size_t rows = 0;
  for (std::size_t index = 0; index < 5; ++index) {
    const sd::Table part = sd::read_csv(tiny, {.part = {index, 5}});
    CHECK(part.names() == std::vector<std::string>{"id", "spend"});
    rows += part.rows();
  }
  CHECK(rows == 2);
  // A problem in a part is named by the file's line, as the whole file's reading names it.
  std::string bad = "id,spend\n";
  for (int i = 0; i < 3000; ++i) bad += std::to_string(i) + "," + std::to_string(i % 97) + "\n";
  bad += "3000,1,2\n";
  const std::string ragged = dir.write("ragged.csv", bad);
  CHECK_THROWS_WITH_AS(sd::read_csv(ragged, {.part = {1, 2}}), doctest::Contains("ragged.csv\", line 3002, column 3"),
                       segkit::error);
  CHECK_THROWS_WITH_AS(sd::read_csv(ragged, {.part = {2, 2}}), doctest::Contains("part 2 of 2 parts"), segkit::error);
}

TEST_CASE("data: the progress callback counts up to the size of the file") {
  const ScratchDir dir;
  const std::string path = dir.write("customers.csv", big_customer_file(60000, "\n"));
  const std::size_t size = static_cast<std::size_t>(std::filesystem::file_size(path));
  for (const std::size_t threads : {1, 2}) {
    std::vector<std::pair<std::size_t, std::size_t>> calls;
    sd::CsvOptions options{.threads = threads, .chunk_bytes = 1 << 16};
    // A slow callback, so that calls in the middle of the file happen too.
    options.progress = [&](const segkit::Progress& p) {
      CHECK(std::string(p.task) == "read");
      calls.emplace_back(p.done, p.total);
      if (p.done < p.total) std::this_thread::sleep_for(std::chrono::milliseconds(150));
    };
    const sd::Table t = sd::read_csv(path, options);
    CHECK(t.rows() == 60000);
    REQUIRE_FALSE(calls.empty());
    CHECK(calls.back() == std::pair<std::size_t, std::size_t>{size, size});
    for (std::size_t k = 0; k < calls.size(); ++k) {
      CHECK(calls[k].second == size);
      if (k) CHECK(calls[k].first > calls[k - 1].first);
    }
  }
  // Without a callback nothing changes; a callback that throws stops the reading.
  CHECK(sd::read_csv(path).rows() == 60000);
  sd::CsvOptions stop{.chunk_bytes = 1 << 16};
  stop.progress = [](const segkit::Progress& p) {
    if (p.done < p.total) throw std::runtime_error("cancelled");
    throw std::runtime_error("cancelled at the end");
  };
  CHECK_THROWS_AS(sd::read_csv(path, stop), std::runtime_error);
  // A small text: one call, at the end.
  std::vector<std::pair<std::size_t, std::size_t>> small;
  sd::CsvOptions once;
  once.progress = [&](const segkit::Progress& p) { small.emplace_back(p.done, p.total); };
  CHECK(sd::parse_csv("a,b\n1,2\n", once).rows() == 1);
  CHECK(small == std::vector<std::pair<std::size_t, std::size_t>>{{8, 8}});
}

TEST_CASE("data: the number grammar and the messages do not change at chunk boundaries") {
  // Every chunk size from 1 byte: each cut falls at every place of these lines once.
  const std::string numbers =
      "x,y\n-1.5e2,a\n+3,\"b\nc\"\n.5,\n1.,NA\n0.1,d\n 7 ,e\n-0,\n9007199254740993,f\n2.5E-3,g\n";
  const std::vector<std::string> words = {"inf", "0x10", "1e", "1e999", "--1", ".", "1.5.2", "+", "infinity"};
  const sd::Table reference = sd::parse_csv(numbers, {.threads = 1, .chunk_bytes = std::size_t{1} << 40});
  const auto& x = reference["x"].numbers();
  REQUIRE(x.size() == 9);
  CHECK(x[0] == -150);
  CHECK(x[1] == 3);
  CHECK(x[2] == 0.5);
  CHECK(x[3] == 1);
  CHECK(x[4] == 0.1);
  CHECK(x[5] == 7);
  CHECK((x[6] == 0 && std::signbit(x[6])));
  CHECK(x[7] == 9007199254740992.0);  // rounded to even, as std::from_chars does
  CHECK(x[8] == 0.0025);
  CHECK(reference["y"].texts()[1] == "b\nc");
  for (std::size_t chunk = 1; chunk <= numbers.size() + 1; ++chunk)
    for (const std::size_t threads : {1, 2}) {
      INFO("chunk_bytes " << chunk << ", threads " << threads);
      check_same_table(reference, sd::parse_csv(numbers, {.threads = threads, .chunk_bytes = chunk}));
      // A word that is not a number, in the last row: the column is text, each cell as written.
      for (const auto& word : words) {
        const sd::Table t = sd::parse_csv(numbers + word + ",z\n", {.threads = threads, .chunk_bytes = chunk});
        REQUIRE(t["x"].is_categorical());
        CHECK(t["x"].texts()[0] == "-1.5e2");
        CHECK(t["x"].texts()[3] == "1.");
        CHECK(t["x"].texts()[9] == word);
      }
      // "nan" is a missing cell (CsvOptions::missing), not a number and not text.
      const sd::Table with_nan = sd::parse_csv(numbers + "nan,z\n", {.threads = threads, .chunk_bytes = chunk});
      REQUIRE(with_nan["x"].is_numeric());
      CHECK(with_nan["x"].missing(9));
    }

  // The messages name the same line and column whatever the chunks, after quoted line breaks.
  const std::string head = "id,amount\n\"1\n0\",2\n3,4\n";
  const std::vector<std::pair<std::string, std::string>> bad = {
      {head + "4,5,6\n7,8\n",
       "\"f.csv\", line 5, column 3: ragged row: expected 2 fields (as in the header on line 1), "
       "found 3; column 3 is extra"},
      {head + "4,x\"y\n",
       "\"f.csv\", line 5, column 2: byte 4 of the line: malformed quoting (RFC 4180: a field holding "
       "a quote, the delimiter or a line break must be enclosed in quotes, an inner quote doubled, "
       "nothing after the closing quote)"},
      {head + "4,\"open\n5,6\n",
       "\"f.csv\", line 5, column 2: a quoted field opened here is never closed (it runs to "
       "the end of the file)"},
      {head + "4,5,6\n7,\xE9\n",
       "\"f.csv\", line 6: byte 3 (0xE9) is not UTF-8: the file is binary or in another "
       "encoding; save it as UTF-8"},
  };
  for (std::size_t chunk = 1; chunk <= 40; ++chunk)
    for (const std::size_t threads : {1, 2}) {
      INFO("chunk_bytes " << chunk << ", threads " << threads);
      for (const auto& [text, message] : bad)
        CHECK(message_of([&] { (void)sd::parse_csv(text, {.threads = threads, .chunk_bytes = chunk}, "f.csv"); }) ==
              message);
      CHECK(message_of([&] {
              (void)sd::parse_csv(head + "4,5\n6,seven\n", {.numeric = {"2"}, .threads = threads, .chunk_bytes = chunk},
                                  "f.csv");
            }) ==
            "\"f.csv\", line 6, column 2 (\"amount\"): \"seven\" is not a number, and the column is read as numeric");
    }
}

}  // namespace segkit_test_data
