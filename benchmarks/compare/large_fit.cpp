// Whether a 10,000,000-row fit fits this machine, and how long it takes:
//
//   large_fit n d k [f32|f64] [threads]     (default 10000000 16 8 f32 0)
//
// Generates k Gaussian blobs in memory (centres uniform in [-10, 10]^d, unit
// noise, fixed seed), then fits Lloyd (k-means++ start, tol 1e-4) and MiniBatch
// (batch 1024, scikit-learn's defaults, max_iter 100) and prints, per fit, the
// seconds, iterations, inertia and the process's peak resident memory so far,
// beside the size of the n x d matrix itself.

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include <segkit/cluster/lloyd.hpp>
#include <segkit/cluster/minibatch.hpp>
#include <segkit/distance/squared_euclidean.hpp>
#include <segkit/init/kmeans_plus_plus.hpp>

namespace {

double peak_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

template <class T>
int run(std::size_t n, std::size_t d, std::size_t k, std::size_t threads) {
  xt::xtensor<T, 2> X = xt::empty<T>({n, d});
  {
    std::mt19937_64 rng(1);
    std::uniform_real_distribution<double> uniform(-10, 10);
    std::normal_distribution<double> noise(0, 1);
    std::vector<double> centres(k * d);
    for (double& c : centres) c = uniform(rng);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t c = rng() % k;
      for (std::size_t j = 0; j < d; ++j) X(i, j) = static_cast<T>(centres[c * d + j] + noise(rng));
    }
  }
  const double matrix_mib = static_cast<double>(n * d * sizeof(T)) / (1024.0 * 1024.0);
  std::printf("data: %zu x %zu %s = %.0f MiB; peak so far %.0f MiB\n", n, d, sizeof(T) == 4 ? "float" : "double",
              matrix_mib, peak_mib());
  const segkit::SquaredEuclidean distance;
  auto report = [&](const char* what, auto&& fit) {
    const auto start = std::chrono::steady_clock::now();
    const auto result = fit();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double peak = peak_mib();
    std::printf("%-22s %8.2f s  %4zu iterations  inertia %.6g  peak %.0f MiB (%.2f x the matrix)\n", what, seconds,
                result.iterations, result.inertia, peak, peak / matrix_mib);
  };
  const segkit::Options options{.k = k, .threads = threads};
  const xt::xtensor<T, 2> initial = segkit::KMeansPlusPlus{}.initial_centers(X, k, distance, 0, threads);
  report("Lloyd (from k-means++)", [&] { return segkit::Lloyd{}.cluster(X, initial, distance, options); });
  segkit::Options minibatch_options = options;
  minibatch_options.max_iter = 100;
  report("MiniBatch", [&] { return segkit::MiniBatch{}.cluster(X, initial, distance, minibatch_options); });
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::stoul(argv[1]) : 10'000'000;
  const std::size_t d = argc > 2 ? std::stoul(argv[2]) : 16;
  const std::size_t k = argc > 3 ? std::stoul(argv[3]) : 8;
  const std::string type = argc > 4 ? argv[4] : "f32";
  const std::size_t threads = argc > 5 ? std::stoul(argv[5]) : 0;
  return type == "f64" ? run<double>(n, d, k, threads) : run<float>(n, d, k, threads);
}
