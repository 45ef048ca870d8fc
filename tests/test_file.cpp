// Output files: whole or not at all, and never at the cost of a file the user owns.

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <thread>

#include <segkit/core/error.hpp>
#include <segkit/core/file.hpp>

namespace segkit_test_file {

namespace fs = std::filesystem;

/// A folder of its own under the system's temporary folder, removed at the end.
struct Scratch {
  fs::path dir;
  Scratch() {
    std::random_device seed;
    dir = fs::temp_directory_path() / ("segkit-test-file-" + std::to_string(seed()) + std::to_string(seed()));
    fs::create_directories(dir);
  }
  ~Scratch() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
  fs::path operator/(const std::string& name) const { return dir / name; }
  std::size_t entries() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
  }
};

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void put(const fs::path& path, const std::string& content) { std::ofstream(path, std::ios::binary) << content; }

std::string message_of(const auto& call) {
  try {
    call();
  } catch (const segkit::error& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("outputs are written whole, beside nothing but themselves") {
  Scratch scratch;
  put(scratch / "labels.csv", "old labels");
  // A file of the user's that happens to carry the name a naive writer would use.
  put(scratch / "labels.csv.partial", "the user's own file");
  segkit::write_files_atomically({{scratch / "labels.csv", "new labels"}, {scratch / "model.json", "{}"}});
  CHECK(read(scratch / "labels.csv") == "new labels");
  CHECK(read(scratch / "model.json") == "{}");
  CHECK(read(scratch / "labels.csv.partial") == "the user's own file");
  CHECK(scratch.entries() == 3);  // no temporary or kept-aside file left
}

TEST_CASE("an existing output keeps its permissions") {
  Scratch scratch;
  put(scratch / "labels.csv", "old");
  fs::permissions(scratch / "labels.csv", fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  segkit::write_file_atomically(scratch / "labels.csv", "new");
  CHECK(read(scratch / "labels.csv") == "new");
  CHECK(fs::status(scratch / "labels.csv").permissions() ==
        (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read));
}

TEST_CASE("an output that is a link is written through to its target, and stays a link") {
  Scratch scratch;
  fs::create_directories(scratch / "shared");
  put(scratch / "shared" / "labels.csv", "old");
  fs::create_symlink("shared/labels.csv", scratch / "latest.csv");
  segkit::write_file_atomically(scratch / "latest.csv", "new");
  CHECK(fs::is_symlink(fs::symlink_status(scratch / "latest.csv")));
  CHECK(read(scratch / "shared" / "labels.csv") == "new");
  CHECK(scratch.entries() == 2);
  // A link to nothing yet: the file is created where it points.
  fs::create_symlink("shared/next.csv", scratch / "next.csv");
  segkit::write_file_atomically(scratch / "next.csv", "first");
  CHECK(fs::is_symlink(fs::symlink_status(scratch / "next.csv")));
  CHECK(read(scratch / "shared" / "next.csv") == "first");
}

TEST_CASE("a pipe is written into, not replaced") {
  Scratch scratch;
  const fs::path fifo = scratch / "labels.fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::string received;
  std::thread reader([&] { received = read(fifo); });
  segkit::write_file_atomically(fifo, "through the pipe");
  reader.join();
  CHECK(received == "through the pipe");
  CHECK(fs::is_fifo(fs::symlink_status(fifo)));
  CHECK(scratch.entries() == 1);
}

/// A character device of the test's own, with the numbers of Linux's null (minor 3) or
/// full (minor 7) device, made inside the scratch folder (never writing into /dev).
/// Needs root (as CI runs) and a folder mounted with devices allowed; false otherwise.
bool make_device(const fs::path& path, unsigned minor) {
  if (::mknod(path.c_str(), S_IFCHR | 0666, makedev(1, minor)) != 0) return false;
  if (std::FILE* opened = std::fopen(path.c_str(), "wb")) return std::fclose(opened) == 0;
  fs::remove(path);
  return false;
}

TEST_CASE("a device is written into, not replaced by a file") {
  Scratch scratch;
  const fs::path device = scratch / "null";
  if (!make_device(device, 3)) {
    MESSAGE("not root: no device of the test's own, case skipped");
    return;
  }
  segkit::write_file_atomically(device, "into the device");
  CHECK(fs::is_character_file(fs::symlink_status(device)));
  CHECK(read(device).empty());
  CHECK(scratch.entries() == 1);
}

TEST_CASE("a failed output leaves every output with its old content") {
  Scratch scratch;
  const fs::path full = scratch / "full";
  if (!make_device(full, 7)) {
    MESSAGE("not root: no device of the test's own, case skipped");
    return;
  }
  put(scratch / "labels.csv", "old labels");
  put(scratch / "report.html", "old report");
  // The full device takes the open and refuses the write (no space left), after the
  // regular files are complete and before any of them replaces its target.
  const std::string message = message_of([&] {
    segkit::write_files_atomically(
        {{scratch / "labels.csv", "new labels"}, {full, "x"}, {scratch / "report.html", "new report"}});
  });
  CHECK(message == "writing " + full.string() + " failed");
  CHECK(read(scratch / "labels.csv") == "old labels");
  CHECK(read(scratch / "report.html") == "old report");
  CHECK(scratch.entries() == 3);
}

TEST_CASE("outputs that would cost the user a file are refused before anything is written") {
  Scratch scratch;
  put(scratch / "customers.csv", "id,age\n1,30\n");
  put(scratch / "labels.csv", "old labels");
  fs::create_directories(scratch / "folder");
  fs::create_symlink("customers.csv", scratch / "link.csv");
  const std::vector<segkit::NamedPath> inputs{{"input", scratch / "customers.csv"}};

  SUBCASE("the input, by any spelling or through a link") {
    for (const fs::path& same : {scratch / "customers.csv", scratch / "." / "customers.csv", scratch / "link.csv"}) {
      CAPTURE(same);
      CHECK(message_of([&] {
              segkit::check_outputs({{"--out", same}}, inputs);
            }).find("is the input file") != std::string::npos);
    }
  }
  SUBCASE("two outputs on one file, standard output twice") {
    CHECK(message_of([&] {
            segkit::check_outputs({{"--out", scratch / "x.csv"}, {"--report", scratch / "./x.csv"}}, inputs);
          }).find("--report and --out name the same file") != std::string::npos);
    CHECK(message_of([&] {
            segkit::check_outputs({{"--out", "-"}, {"--report", "-"}}, inputs);
          }).find("name the same file") != std::string::npos);
  }
  SUBCASE("a folder, or a folder that does not exist") {
    CHECK(message_of([&] {
            segkit::check_outputs({{"--model", scratch / "folder"}}, inputs);
          }).find("--model " + (scratch / "folder").string() + ": it is a folder") != std::string::npos);
    CHECK(message_of([&] {
            segkit::check_outputs({{"--report", scratch / "missing" / "r.html"}}, inputs);
          }).find("the folder " + (scratch / "missing").string() + " does not exist") != std::string::npos);
    // write_files_atomically makes the same checks first: the labels keep their content.
    CHECK_THROWS_AS(segkit::write_files_atomically({{scratch / "labels.csv", "new"}, {scratch / "folder", "{}"}}),
                    segkit::error);
    CHECK(read(scratch / "labels.csv") == "old labels");
  }
  CHECK(read(scratch / "customers.csv") == "id,age\n1,30\n");
  CHECK_NOTHROW(segkit::check_outputs({{"--out", scratch / "labels.csv"}, {"--report", "-"}}, inputs));
}

}  // namespace segkit_test_file
