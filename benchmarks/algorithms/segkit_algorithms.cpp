// segkit's half of benchmarks/algorithms/run.sh: one task on the rows of a raw file of
// doubles (written by the driver for both libraries), timed, seconds printed.
//   segkit_algorithms TASK FILE ROWS COLUMNS THREADS
// TASK: gmm-full, gmm-diag (k = 8, 20 EM iterations from a k-means start), ward (the merge
// tree and its cut at 8), dbscan (eps 0.05, min_samples 10).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <segkit/density/dbscan.hpp>
#include <segkit/hierarchy/agglomerative.hpp>
#include <segkit/mixture/gaussian.hpp>

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: segkit_algorithms TASK FILE ROWS COLUMNS THREADS\n");
    return 2;
  }
  const std::string task = argv[1];
  const std::size_t n = std::strtoull(argv[3], nullptr, 10), d = std::strtoull(argv[4], nullptr, 10);
  const std::size_t threads = std::strtoull(argv[5], nullptr, 10);
  xt::xtensor<double, 2> X = xt::empty<double>({n, d});
  std::ifstream(argv[2], std::ios::binary)
      .read(reinterpret_cast<char*>(X.data()), static_cast<std::streamsize>(n * d * 8));
  const auto start = std::chrono::steady_clock::now();
  std::size_t result = 0;
  if (task == "gmm-full" || task == "gmm-diag") {
    segkit::GaussianMixture gm(
        {.k = 8,
         .covariance = task == "gmm-full" ? segkit::CovarianceType::full : segkit::CovarianceType::diag,
         .tol = 0,
         .max_iter = 20,
         .threads = threads});
    gm.fit(X);
    result = gm.iterations();
  } else if (task == "ward") {
    result = segkit::agglomerate(X, segkit::Linkage::ward, threads).cut(8).size();
  } else if (task == "dbscan") {
    result = segkit::dbscan(X, {.eps = 0.05, .min_samples = 10, .threads = threads}).segments;
  } else {
    std::fprintf(stderr, "unknown task %s\n", task.c_str());
    return 2;
  }
  std::printf("%.6f %zu\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), result);
  return 0;
}
