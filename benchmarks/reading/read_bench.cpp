// Times segkit::data::read_csv on one file: median wall time of R reads, peak RSS, and a
// checksum of the table so that two builds (or thread counts) can be compared.
//
//   read_bench FILE [REPEATS=3] [THREADS=0] [--categorical COL]
//
// Build and run with benchmarks/reading/run.sh, which also times pandas.read_csv.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <segkit/data/csv.hpp>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE [REPEATS=3] [THREADS=0] [--categorical COL]\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 3;
  segkit::data::CsvOptions options;
#ifndef SEGKIT_READ_BENCH_BASELINE
  options.threads = argc > 3 ? static_cast<std::size_t>(std::atoi(argv[3])) : 0;
#endif
  for (int a = 4; a + 1 < argc; a += 2)
    if (std::strcmp(argv[a], "--categorical") == 0) options.categorical.push_back(argv[a + 1]);
  std::vector<double> seconds;
  double checksum = 0;
  std::size_t rows = 0, columns = 0;
  try {
    for (int r = 0; r < repeats; ++r) {
      const auto start = std::chrono::steady_clock::now();
      const segkit::data::Table table = segkit::data::read_csv(path, options);
      seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      rows = table.rows(), columns = table.columns(), checksum = 0;
      for (const auto& c : table)
        if (c.is_numeric())
          for (const double v : c.numbers()) checksum += std::isnan(v) ? 0.0 : v;
        else if (c.is_categorical())
          for (const auto& t : c.texts()) checksum += static_cast<double>(t.size());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "read_bench: %s\n", e.what());
    return 1;
  }
  std::vector<double> sorted = seconds;
  std::sort(sorted.begin(), sorted.end());
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("%zu rows x %zu columns, checksum %.17g\nread: median %.3f s of %d (", rows, columns, checksum,
              sorted[sorted.size() / 2], repeats);
  for (std::size_t r = 0; r < seconds.size(); ++r) std::printf("%s%.3f", r ? " " : "", seconds[r]);
  std::printf("), peak RSS %.0f MB\n", static_cast<double>(usage.ru_maxrss) / 1024.0);
  return 0;
}
