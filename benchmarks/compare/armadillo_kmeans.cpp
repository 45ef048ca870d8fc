// Armadillo's part of the side-by-side benchmark (benchmarks/compare/README.md):
// arma::kmeans(means, data, k, keep_existing, n_iter, print_mode) from the given
// centres, in arma::mat (f64) or arma::fmat (f32).
//
//   armadillo_kmeans X.bin C0.bin n d k f32|f64 threads M max_iter centres_out.bin
//
// Armadillo is column-major, one column per point: the row-major n x d file is
// exactly a d x n arma::Mat, so it is read as is. kmeans() is a header template
// (gmm_diag::km_iterate); it runs on OpenMP threads when the program is compiled
// with OpenMP (ARMA_USE_OPENMP is then defined by Armadillo's config), splitting
// the points into omp_get_max_threads() blocks. It stops after n_iter iterations,
// or when the mean squared shift of the centres falls to machine epsilon (so,
// from a fixed point of the labels on). It reports neither the labels nor the
// iteration count nor the inertia: with print_mode = true it prints one line
// per iteration, which is captured (std::cout goes to a string while it runs)
// and counted.

#ifndef ARMA_NO_DEBUG
#define ARMA_NO_DEBUG  // no bounds checks: Armadillo's documented setting for speed
#endif
#include <armadillo>

#include <iostream>
#include <limits>
#include <sstream>
#include <string>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include "common.hpp"

namespace {

struct Fit {
  double seconds = 0;
  std::size_t iterations = 0;
  std::string log;
};

template <class T>
Fit fit(const arma::Mat<T>& data, const arma::Mat<T>& C0, std::size_t n_iter, arma::Mat<T>& means) {
  means = C0;
  std::ostringstream log;
  std::streambuf* saved = std::cout.rdbuf(log.rdbuf());
  bool ok = false;
  Fit f;
  f.seconds = compare::timed([&] { ok = arma::kmeans(means, data, C0.n_cols, arma::keep_existing, n_iter, true); });
  std::cout.rdbuf(saved);
  if (!ok) {
    std::fprintf(stderr, "armadillo_kmeans: kmeans() failed\n%s", log.str().c_str());
    std::exit(1);
  }
  f.log = log.str();
  std::istringstream lines(f.log);
  for (std::string line; std::getline(lines, line);)
    if (line.find("iteration:") != std::string::npos) ++f.iterations;
  return f;
}

template <class T>
int run(const compare::Args& a) {
  arma::Mat<T> data(a.d, a.n);  // column i = row i of the file
  arma::Mat<T> C0(a.d, a.k);
  compare::read_raw(a.x_path, data.memptr(), a.n * a.d);
  compare::read_raw(a.c_path, C0.memptr(), a.k * a.d);

  arma::Mat<T> means;
  const Fit fixed = fit(data, C0, a.max_iter, means);
  compare::write_raw(a.out_path, means.memptr(), a.k * a.d);  // d x k column-major = k x d row-major
  const double nan = std::numeric_limits<double>::quiet_NaN();
  compare::report("fixed", fixed.seconds, fixed.iterations, nan);
  compare::warm_up(fixed.seconds, [&] { fit(data, C0, a.m, means); });
  for (std::size_t r = 0; r < a.periter_fits; ++r) {
    const Fit short_fit = fit(data, C0, a.m, means);
    compare::report("periter", short_fit.seconds, short_fit.iterations, nan);
  }
  // Armadillo's own line "kmeans(): n_threads: N" says how many threads km_iterate used.
  std::string threads_line = "n_threads: ?";
  if (const auto pos = fixed.log.find("n_threads:"); pos != std::string::npos)
    threads_line = fixed.log.substr(pos, fixed.log.find('\n', pos) - pos);
#if defined(ARMA_USE_OPENMP)
  const char* openmp = "ARMA_USE_OPENMP on";
#else
  const char* openmp = "ARMA_USE_OPENMP off (serial)";
#endif
  std::printf("info Armadillo %u.%u.%u, %s, kmeans %s\n", arma::arma_version::major, arma::arma_version::minor,
              arma::arma_version::patch, openmp, threads_line.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const compare::Args a = compare::parse(argc, argv);
#if defined(_OPENMP)
  omp_set_num_threads(static_cast<int>(a.threads));
#endif
  return a.f32 ? run<float>(a) : run<double>(a);
}
