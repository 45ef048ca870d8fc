// segkit's half of the side-by-side comparison driven by compare_sklearn.py:
// Lloyd from given centres on data read from raw float64 files, timed.
//
//   compare_lloyd X.bin C.bin n d k max_iter repetitions
//
// Prints one line per repetition: seconds, iterations, inertia.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <segkit/cluster/lloyd.hpp>
#include <segkit/distance/squared_euclidean.hpp>

namespace {

xt::xtensor<double, 2> read_matrix(const char* path, std::size_t rows, std::size_t cols) {
  xt::xtensor<double, 2> m = xt::empty<double>({rows, cols});
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(m.data()), static_cast<std::streamsize>(rows * cols * sizeof(double)));
  if (!in) {
    std::fprintf(stderr, "compare_lloyd: cannot read %zu x %zu doubles from %s\n", rows, cols, path);
    std::exit(2);
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: compare_lloyd X.bin C.bin n d k max_iter repetitions\n");
    return 2;
  }
  const std::size_t n = std::stoul(argv[3]), d = std::stoul(argv[4]), k = std::stoul(argv[5]);
  const std::size_t max_iter = std::stoul(argv[6]), repetitions = std::stoul(argv[7]);
  const auto X = read_matrix(argv[1], n, d);
  const auto C = read_matrix(argv[2], k, d);
  for (std::size_t r = 0; r < repetitions; ++r) {
    const auto start = std::chrono::steady_clock::now();
    // tol = 0, as on the scikit-learn side: both run until the labels stop changing or max_iter.
    const auto result =
        segkit::Lloyd{}.cluster(X, C, segkit::SquaredEuclidean{}, segkit::Options{.max_iter = max_iter, .tol = 0.0});
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%.6f %zu %.17g\n", seconds, result.iterations, result.inertia);
  }
  return 0;
}
