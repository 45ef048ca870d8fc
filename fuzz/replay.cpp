// A main() for the fuzz harnesses where libFuzzer is not (g++, CI): runs a harness on
// every file of the folders given and on variants of each made without chance, so the
// same inputs every run:
//   - the file cut short at 31 points;
//   - one byte replaced, at up to 128 places, by each of a few that end fields, rows,
//     quotes and numbers (NUL, quote, comma, semicolon, tab, newline, '-', '9', 0xFF);
//   - one number replaced, at up to 64 places, by each of the values that once broke
//     segkit (1e309, nan, inf, hex, a thousands separator, 1e-320, -0, twenty digits,
//     nothing at all).
// Built with AddressSanitizer and UBSan in CI (fuzz/CMakeLists.txt): a crash or a
// sanitizer report ends the run, and so does any exception other than segkit::error,
// which the harness lets through; the input at fault is printed first.
//   segkit_fuzz_replay_csv DIR...

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::size_t runs = 0;

/// Runs the harness on `input`; false (after saying which input) when it throws.
bool run(const std::string& input, const std::string& what) {
  ++runs;
  try {
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
    return true;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FINDING: %s: an exception other than segkit::error: %s\n", what.c_str(), e.what());
  } catch (...) {
    std::fprintf(stderr, "FINDING: %s: an exception of an unknown type\n", what.c_str());
  }
  return false;
}

bool is_number_char(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
}

/// [begin, end) of every number in the text: a digit run with its sign, point and exponent.
std::vector<std::pair<std::size_t, std::size_t>> numbers(const std::string& text) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  for (std::size_t i = 0; i < text.size();) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    std::size_t begin = i;
    if (begin > 0 && text[begin - 1] == '-') --begin;
    std::size_t end = i;
    while (end < text.size() && is_number_char(text[end])) ++end;
    out.emplace_back(begin, end);
    i = end;
  }
  return out;
}

bool replay(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string name = file.filename().string();
  bool ok = run(text, name);
  const std::size_t n = text.size();
  for (std::size_t cut = 1; cut < 32 && n > 0; ++cut)
    ok &= run(text.substr(0, n * cut / 32), name + " cut to " + std::to_string(n * cut / 32) + " bytes");
  const char bytes[] = {'\0', '"', ',', ';', '\t', '\n', '-', '9', '\xff'};
  const std::size_t places = std::min<std::size_t>(n, 128);
  for (std::size_t p = 0; p < places; ++p) {
    const std::size_t at = n * p / places;
    for (const char b : bytes) {
      std::string changed = text;
      changed[at] = b;
      ok &= run(changed,
                name + " with byte " + std::to_string(static_cast<unsigned char>(b)) + " at " + std::to_string(at));
    }
  }
  const std::string_view values[] = {
      "1e309", "-1e309", "nan", "inf", "-inf", "0x10", "12,345", "1.5e-320", "-0", "", "99999999999999999999", "1e308"};
  const auto found = numbers(text);
  const std::size_t tokens = std::min<std::size_t>(found.size(), 64);
  for (std::size_t t = 0; t < tokens; ++t) {
    const auto [begin, end] = found[found.size() * t / tokens];
    for (const std::string_view value : values) {
      std::string changed = text;
      changed.replace(begin, end - begin, value);
      ok &= run(changed, name + " with \"" + std::string(value) + "\" for the number at " + std::to_string(begin));
    }
  }
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR...\n", argv[0]);
    return 2;
  }
  bool ok = true;
  std::size_t files = 0;
  for (int a = 1; a < argc; ++a) {
    std::vector<std::filesystem::path> inputs;
    for (const auto& entry : std::filesystem::directory_iterator(argv[a]))
      if (entry.is_regular_file() && entry.path().filename() != "README.md") inputs.push_back(entry.path());
    std::sort(inputs.begin(), inputs.end());  // the same order every run
    for (const auto& file : inputs) {
      ok &= replay(file);
      ++files;
    }
  }
  if (files == 0) {
    std::fprintf(stderr, "no input files in the folders given\n");
    return 1;
  }
  std::printf("%zu inputs from %zu files: %s\n", runs, files, ok ? "no finding" : "FINDINGS above");
  return ok ? 0 : 1;
}
