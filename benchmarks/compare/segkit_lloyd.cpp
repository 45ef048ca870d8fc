// segkit's part of the side-by-side benchmark (benchmarks/compare/README.md):
// segkit::Lloyd from the given centres, tol = 0, float or double, 1..n threads.
//
//   segkit_lloyd X.bin C0.bin n d k f32|f64 threads M R max_iter centres_out.bin

#include <segkit/cluster/lloyd.hpp>
#include <segkit/distance/squared_euclidean.hpp>
#include <segkit/version.hpp>

#include "common.hpp"

namespace {

template <class T>
int run(const compare::Args& a) {
  xt::xtensor<T, 2> X = xt::empty<T>({a.n, a.d});
  xt::xtensor<T, 2> C0 = xt::empty<T>({a.k, a.d});
  compare::read_raw(a.x_path, X.data(), a.n * a.d);
  compare::read_raw(a.c_path, C0.data(), a.k * a.d);

  // tol = 0: stop when the labels no longer change (or at max_iter), as every peer; no
  // objective after each step (the peers compute none; a Pipeline's fits record none).
  segkit::Clustering<T> fixed;
  const double fixed_s = compare::timed([&] {
    fixed = segkit::Lloyd{}.cluster(
        X, C0, segkit::SquaredEuclidean{},
        segkit::Options{.max_iter = a.max_iter, .tol = 0.0, .threads = a.threads, .inertia_trace = false});
  });
  compare::write_raw(a.out_path, fixed.centers.data(), a.k * a.d);

  compare::report("fixed", fixed_s, fixed.iterations, fixed.inertia);
  segkit::Clustering<T> short_fit;
  const auto fit_m = [&] {
    short_fit = segkit::Lloyd{}.cluster(
        X, C0, segkit::SquaredEuclidean{},
        segkit::Options{.max_iter = a.m, .tol = 0.0, .threads = a.threads, .inertia_trace = false});
  };
  compare::warm_up(fixed_s, fit_m);
  for (std::size_t r = 0; r < a.periter_fits; ++r) {
    const double short_s = compare::timed(fit_m);
    compare::report("periter", short_s, short_fit.iterations, short_fit.inertia);
  }
  std::printf("info segkit %s, Options::threads = %zu\n", segkit::version, a.threads);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const compare::Args a = compare::parse(argc, argv);
  return a.f32 ? run<float>(a) : run<double>(a);
}
