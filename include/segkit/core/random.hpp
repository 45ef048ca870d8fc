#pragma once
// Portable random numbers: std::mt19937_64 is specified bit for bit by the
// standard, but std's distributions are not, so the draws are made here.

#include <cstddef>
#include <cstdint>
#include <random>

namespace segkit::detail {

/// SplitMix64 step: turns one seed into a stream of well-mixed seeds.
inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// The seed of start `stream` of a run seeded with `seed`; depends on nothing else.
inline std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t state = seed;
  std::uint64_t out = splitmix64(state);
  for (std::uint64_t s = 0; s < stream; ++s) out = splitmix64(state);
  return out;
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}

  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  /// Uniform integer in [0, n), n > 0, without modulo bias.
  std::size_t below(std::size_t n) {
    const std::uint64_t bound = static_cast<std::uint64_t>(n);
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    std::uint64_t r;
    do r = engine_();
    while (r >= limit);
    return static_cast<std::size_t>(r % bound);
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace segkit::detail
