#pragma once
// Synthetic data for the benchmarks: k isotropic Gaussian blobs (unit standard
// deviation, centres uniform in [-10, 10]^d), from a fixed seed.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <random>
#include <vector>

#include <xtensor/xtensor.hpp>

namespace segkit_bench {

struct BlobsKey {
  std::size_t n = 0, d = 0, k = 0;
  bool operator==(const BlobsKey&) const = default;
};

template <class T>
struct Blobs {
  BlobsKey key;
  xt::xtensor<T, 2> X;            ///< n x d
  std::vector<std::size_t> blob;  ///< the blob each row was drawn from
};

/// The draws are made here rather than with std::normal_distribution, whose
/// output the standard leaves to each library: the same seed gives the same
/// data with libstdc++ and libc++, so timings of different builds compare.
class Normal {
 public:
  explicit Normal(std::uint64_t seed) : engine_(seed) {}

  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  double operator()() {                 // Box-Muller, one value per pair: generation is never timed
    const double u1 = 1.0 - uniform();  // (0, 1]: log stays finite
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

  std::size_t below(std::size_t n) { return static_cast<std::size_t>(uniform() * static_cast<double>(n)); }

 private:
  std::mt19937_64 engine_;
};

/// Generated in double and rounded to T, so float and double runs see the same points.
template <class T>
Blobs<T> make_blobs(BlobsKey key, std::uint64_t seed = 42) {
  Normal rng(seed);
  std::vector<double> centres(key.k * key.d);
  for (double& c : centres) c = -10.0 + 20.0 * rng.uniform();
  Blobs<T> out;
  out.key = key;
  out.X = xt::xtensor<T, 2>::from_shape({key.n, key.d});
  out.blob.resize(key.n);
  T* x = out.X.data();
  for (std::size_t i = 0; i < key.n; ++i) {
    const std::size_t b = rng.below(key.k);
    out.blob[i] = b;
    for (std::size_t j = 0; j < key.d; ++j) *x++ = static_cast<T>(centres[b * key.d + j] + rng());
  }
  return out;
}

/// Google Benchmark calls a benchmark function several times per configuration
/// (to pick the iteration count, and once per repetition); keeping the last
/// data set per value type makes the generation happen once per configuration,
/// and holding only one bounds the memory at n = 1e6, d = 64.
template <class T>
const Blobs<T>& cached_blobs(BlobsKey key) {
  static Blobs<T> cache;
  if (!(cache.key == key)) {
    cache = Blobs<T>();  // free the old set before the new one is made
    cache = make_blobs<T>(key);
  }
  return cache;
}

}  // namespace segkit_bench
