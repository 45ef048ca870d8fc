// The kernels of every instruction set this CPU runs, against a scalar reference
// that does the same arithmetic: (x - c)^2 summed feature by feature, fused
// multiply-adds where the set has them. Exact equality, for every k around the
// widths of the batches (k = 8 in float is one AVX2 batch but a quarter of a
// 64-byte padded row; the padding must never be nearest nor cost a batch's work).
//
// Built with segkit_enable_simd_dispatch(), which compiles kernels_<set>.cpp
// for each set; SEGKIT_TEST_SETS names those it compiled.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <xsimd/xsimd.hpp>

#include <segkit/core/kernels.hpp>

namespace segkit_simd_dispatch_segkit_kernel_tests {
#ifdef SEGKIT_TEST_HAS_AVX512
const segkit::kernels::Table<float>& kernels_avx512_float();
const segkit::kernels::Table<double>& kernels_avx512_double();
#endif
#ifdef SEGKIT_TEST_HAS_AVX2
const segkit::kernels::Table<float>& kernels_avx2_float();
const segkit::kernels::Table<double>& kernels_avx2_double();
#endif
}  // namespace segkit_simd_dispatch_segkit_kernel_tests

namespace {

namespace gen = segkit_simd_dispatch_segkit_kernel_tests;

template <class T>
struct Set {
  const segkit::kernels::Table<T>* table;
  bool fused;  // whether its multiply-adds round once
};

/// The kernel tables this CPU can run.
template <class T>
std::vector<Set<T>> runnable_sets() {
  std::vector<Set<T>> sets{{&segkit::kernels::table<xsimd::default_arch, T>(), XSIMD_WITH_FMA3_SSE != 0}};
#if defined(__GNUC__) && (defined(__x86_64__) || defined(_M_X64))
  __builtin_cpu_init();
#ifdef SEGKIT_TEST_HAS_AVX2
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    if constexpr (sizeof(T) == 4)
      sets.push_back({&gen::kernels_avx2_float(), true});
    else
      sets.push_back({&gen::kernels_avx2_double(), true});
  }
#endif
#ifdef SEGKIT_TEST_HAS_AVX512
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512cd")) {
    if constexpr (sizeof(T) == 4)
      sets.push_back({&gen::kernels_avx512_float(), true});
    else
      sets.push_back({&gen::kernels_avx512_double(), true});
  }
#endif
#endif
  return sets;
}

template <class T>
using aligned = std::vector<T, xsimd::aligned_allocator<T, 64>>;

}  // namespace

TEST_CASE_TEMPLATE(
    "every instruction set's kernels give exactly the feature-by-feature distances and nearest two centres", T, float,
    double) {
  std::mt19937 rng(7);
  std::normal_distribution<double> normal(0.0, 3.0);
  const auto sets = runnable_sets<T>();
  MESSAGE("kernel sets checked: " << sets.size());
  for (const auto& set : sets) {
    for (std::size_t d : {1u, 2u, 5u, 16u, 19u}) {
      for (std::size_t k :
           {1u, 2u, 3u, 4u, 5u, 7u, 8u, 9u, 12u, 16u, 17u, 20u, 24u, 28u, 31u, 33u, 40u, 64u, 65u, 129u}) {
        const std::string arch = set.table->arch;
        CAPTURE(arch);
        CAPTURE(d);
        CAPTURE(k);
        const std::size_t m = 37, k_pad = segkit::kernels::padded<T>(k);
        std::vector<T> X(m * d), C(k * d);
        for (auto& v : X) v = static_cast<T>(normal(rng));
        for (auto& v : C) v = static_cast<T>(normal(rng));
        // Two rows equally near two centres: the first centre must win.
        if (k >= 2 && m >= 2)
          for (std::size_t j = 0; j < d; ++j) C[1 * d + j] = C[0 * d + j] = X[3 * d + j];
        aligned<T> ct(d * k_pad, std::numeric_limits<T>::infinity()), dist(m * k_pad), scratch(m * k_pad);
        for (std::size_t c = 0; c < k; ++c)
          for (std::size_t j = 0; j < d; ++j) ct[j * k_pad + c] = C[c * d + j];
        std::vector<std::size_t> labels(m);
        std::vector<T> best(m);
        set.table->squared_distances(X.data(), m, d, ct.data(), k, k_pad, dist.data());
        set.table->nearest_centres(X.data(), m, d, ct.data(), k, k_pad, scratch.data(), labels.data(), best.data());
        std::vector<std::size_t> two_labels(m);
        std::vector<T> two_best(m), two_second(m);
        set.table->nearest_two_centres(X.data(), m, d, ct.data(), k, k_pad, scratch.data(), two_labels.data(),
                                       two_best.data(), two_second.data());
        std::size_t wrong_distances = 0, wrong_labels = 0, wrong_two = 0;
        std::vector<T> row(k);
        for (std::size_t i = 0; i < m; ++i) {
          std::size_t pick = 0;
          T pick_distance = std::numeric_limits<T>::infinity();
          for (std::size_t c = 0; c < k; ++c) {
            T acc = 0;
            for (std::size_t j = 0; j < d; ++j) {
              const T diff = X[i * d + j] - C[c * d + j];
              acc = set.fused ? std::fma(diff, diff, acc) : acc + diff * diff;
            }
            wrong_distances += dist[i * k_pad + c] != acc;
            row[c] = acc;
            if (acc < pick_distance) {
              pick = c;
              pick_distance = acc;
            }
          }
          wrong_labels += labels[i] != pick || best[i] != pick_distance;
          // The second nearest: the smallest distance to any other centre (equal to the nearest's on a tie).
          T other = std::numeric_limits<T>::infinity();
          for (std::size_t c = 0; c < k; ++c)
            if (c != pick) other = std::min(other, row[c]);
          wrong_two += two_labels[i] != pick || two_best[i] != pick_distance || two_second[i] != other;
        }
        CHECK(wrong_distances == 0);
        CHECK(wrong_labels == 0);
        CHECK(wrong_two == 0);
        if (k >= 2) CHECK(two_second[3] == two_best[3]);  // row 3 is as near centre 1 as centre 0
        if (k >= 2) CHECK(labels[3] == 0);
      }
    }
  }
}

TEST_CASE_TEMPLATE("every instruction set's products kernel gives the labels of the distances, near ties included", T,
                   float, double) {
  std::mt19937 rng(11);
  std::normal_distribution<double> normal(0.0, 1.0);
  const auto sets = runnable_sets<T>();
  for (const auto& set : sets) {
    for (std::size_t d : {1u, 4u, 16u, 19u, 64u}) {
      for (std::size_t k : {1u, 2u, 9u, 17u, 32u, 33u, 64u}) {
        const std::string arch = set.table->arch;
        CAPTURE(arch);
        CAPTURE(d);
        CAPTURE(k);
        const std::size_t m = 301, k_pad = segkit::kernels::padded<T>(k);
        // Uncentred data (an offset of 1000), rows drawn near the centres, and rows
        // exactly or almost halfway between two centres: the ties the products cannot
        // settle, which must be measured again.
        std::vector<T> X(m * d), C(k * d);
        for (auto& v : C) v = static_cast<T>(1000 + 3 * normal(rng));
        for (std::size_t i = 0; i < m; ++i) {
          const std::size_t a = i % k, b = (i * 7 + 1) % k;
          for (std::size_t j = 0; j < d; ++j) {
            const double mid = 0.5 * (static_cast<double>(C[a * d + j]) + static_cast<double>(C[b * d + j]));
            X[i * d + j] = static_cast<T>(i % 3 == 0   ? mid
                                          : i % 3 == 1 ? mid + 1e-6 * normal(rng)
                                                       : C[a * d + j] + normal(rng));
          }
        }
        aligned<T> ct(d * k_pad, std::numeric_limits<T>::infinity()), shifted_ct(d * k_pad, T(0)),
            norms(k_pad, std::numeric_limits<T>::infinity());
        std::vector<T> shift(d, T(0));
        for (std::size_t j = 0; j < d; ++j) {
          double sum = 0;
          for (std::size_t c = 0; c < k; ++c) sum += C[c * d + j];
          shift[j] = static_cast<T>(sum / static_cast<double>(k));
        }
        T radius = 0;
        for (std::size_t c = 0; c < k; ++c) {
          T norm = 0;
          for (std::size_t j = 0; j < d; ++j) {
            ct[j * k_pad + c] = C[c * d + j];
            shifted_ct[j * k_pad + c] = C[c * d + j] - shift[j];
            norm += shifted_ct[j * k_pad + c] * shifted_ct[j * k_pad + c];
          }
          norms[c] = norm;
          radius = std::max(radius, std::sqrt(norm));
        }
        const segkit::kernels::ShiftedCentres<T> centres{
            C.data(), ct.data(), shifted_ct.data(), norms.data(), shift.data(), radius, k, k_pad};
        aligned<T> scratch(m * k_pad), product_scratch(segkit::kernels::product_scratch(m, k_pad));
        std::vector<std::size_t> labels(m), product_labels(m);
        std::vector<T> best(m), product_best(m);
        set.table->nearest_centres(X.data(), m, d, ct.data(), k, k_pad, scratch.data(), labels.data(), best.data());
        set.table->nearest_centres_by_products(X.data(), m, d, centres, product_scratch.data(), product_labels.data(),
                                               product_best.data());
        std::size_t wrong_labels = 0, wrong_distances = 0;
        for (std::size_t i = 0; i < m; ++i) {
          wrong_labels += labels[i] != product_labels[i];
          // The same distance, summed in another order where the products decided.
          const double tolerance = 8.0 * static_cast<double>(d) * std::numeric_limits<T>::epsilon();
          wrong_distances += std::abs(static_cast<double>(product_best[i]) - static_cast<double>(best[i])) >
                             tolerance * std::max(1.0, static_cast<double>(best[i]));
        }
        CHECK(wrong_labels == 0);
        CHECK(wrong_distances == 0);
      }
    }
  }
}

TEST_CASE_TEMPLATE("every instruction set's cluster sums have the bits of a plain loop over the rows", T, float,
                   double) {
  // Grouped by cluster (few clusters) or row after row (many), across whole and partial
  // 64-row words and 256-row blocks, features around every batch width, labels shuffled
  // and in runs (sorted data): each cluster's rows must still be added in row order. The
  // counts taken on the way are of every row, whichever clusters are summed.
  std::mt19937 rng(13);
  std::normal_distribution<double> normal(0.0, 1.0);
  const auto sets = runnable_sets<T>();
  for (const auto& set : sets) {
    for (std::size_t d : {1u, 3u, 4u, 7u, 8u, 9u, 16u, 17u, 33u, 64u}) {
      for (std::size_t k : {1u, 2u, 8u, 9u, 16u, 17u, 32u, 33u, 40u}) {
        for (std::size_t m : {1u, 63u, 64u, 65u, 256u, 300u, 1000u}) {
          for (const bool runs : {false, true}) {
            const std::string arch = set.table->arch;
            CAPTURE(arch);
            CAPTURE(d);
            CAPTURE(k);
            CAPTURE(m);
            CAPTURE(runs);
            std::vector<T> X(m * d);
            for (auto& v : X) v = static_cast<T>(100 + 10 * normal(rng));
            std::vector<std::size_t> labels(m);
            for (std::size_t i = 0; i < m; ++i) labels[i] = runs ? i * k / m : rng() % k;
            // Sums that start away from zero, as a chunk's do after its first blocks.
            std::vector<double> start(k * d);
            for (auto& v : start) v = 1e4 * normal(rng);
            std::vector<double> expected = start, got = start;
            for (std::size_t i = 0; i < m; ++i)
              for (std::size_t j = 0; j < d; ++j) expected[labels[i] * d + j] += static_cast<double>(X[i * d + j]);
            std::vector<std::size_t> expected_counts(k, 5);  // counts added to, as a chunk's are
            for (std::size_t i = 0; i < m; ++i) ++expected_counts[labels[i]];
            std::vector<std::size_t> counts(k, 5);
            set.table->add_rows(X.data(), m, d, labels.data(), k, got.data(), nullptr, counts.data());
            std::size_t different = 0;
            for (std::size_t i = 0; i < k * d; ++i) different += got[i] != expected[i];
            CHECK(different == 0);
            CHECK(counts == expected_counts);
            // Only some clusters (a bounded pass sums again those its rows left or joined):
            // theirs as above, every other sum left as it was.
            std::vector<unsigned char> only(k);
            for (auto& o : only) o = static_cast<unsigned char>(rng() % 2);
            std::vector<double> some = start;
            std::vector<std::size_t> some_counts(k, 5);
            set.table->add_rows(X.data(), m, d, labels.data(), k, some.data(), only.data(), some_counts.data());
            std::size_t wrong = 0;
            for (std::size_t i = 0; i < k * d; ++i) wrong += some[i] != (only[i / d] ? expected[i] : start[i]);
            CHECK(wrong == 0);
            CHECK(some_counts == expected_counts);
            // Without counts, as the passes that keep theirs call it.
            std::vector<double> uncounted = start;
            set.table->add_rows(X.data(), m, d, labels.data(), k, uncounted.data(), only.data(), nullptr);
            CHECK(uncounted == some);
          }
        }
      }
    }
  }
}

TEST_CASE_TEMPLATE("every instruction set's outward square roots are bounds within two steps of the root", T, float,
                   double) {
  // The bounded steps keep bounds on a distance's square root: times 1 + epsilon not below
  // the exact root, times 1 - epsilon not above it (float); in double the root itself. Every
  // set gives the bits of std::sqrt times the factor, the batches' lanes and the tail alike.
  std::mt19937 rng(17);
  std::uniform_real_distribution<double> exponent(-40.0, 40.0);
  const T eps = std::numeric_limits<T>::epsilon();
  const T factors[] = {T(1), T(1) + eps, T(1) - eps};
  for (const auto& set : runnable_sets<T>()) {
    for (std::size_t m : {1u, 7u, 8u, 9u, 16u, 17u, 33u, 1000u}) {
      const std::string arch = set.table->arch;
      CAPTURE(arch);
      CAPTURE(m);
      std::vector<T> x(m);
      for (std::size_t i = 0; i < m; ++i) {
        switch (i % 5) {
          case 0:
            x[i] = static_cast<T>(std::exp2(std::round(exponent(rng))));
            break;  // a power of two
          case 1:
            x[i] = i < 5 ? T(0) : static_cast<T>(std::exp2(exponent(rng)));
            break;
          default:
            x[i] = static_cast<T>(std::exp2(exponent(rng)) * (1 + rng() % 1000));
            break;
        }
      }
      for (const T factor : factors) {
        CAPTURE(factor);
        std::vector<T> got = x;
        set.table->scaled_roots(got.data(), m, factor);
        std::size_t different = 0, wrong_side = 0, too_far = 0;
        for (std::size_t i = 0; i < m; ++i) {
          const T expected = std::sqrt(x[i]) * factor;
          different += got[i] != expected;
          if constexpr (std::is_same_v<T, float>) {
            // The root in double is exact enough to tell the side: a float's root has 24 bits.
            const double root = std::sqrt(static_cast<double>(x[i]));
            if (factor > 1) {
              wrong_side += static_cast<double>(got[i]) < root;
              too_far += got[i] > std::nextafter(std::nextafter(static_cast<float>(root), INFINITY), INFINITY);
            } else if (factor < 1) {
              wrong_side += static_cast<double>(got[i]) > root;
              too_far += got[i] < std::nextafter(std::nextafter(static_cast<float>(root), 0.0f), 0.0f);
            }
          }
        }
        CHECK(different == 0);
        CHECK(wrong_side == 0);
        CHECK(too_far == 0);
      }
    }
  }
}
