// Lloyd against scikit-learn from the same starting centres, and its invariants.

#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <segkit/cluster/hamerly.hpp>
#include <segkit/cluster/lloyd.hpp>
#include <segkit/cluster/minibatch.hpp>
#include <segkit/cluster/yinyang.hpp>
#include <segkit/core/work_memory.hpp>
#include <segkit/distance/cosine.hpp>
#include <segkit/distance/manhattan.hpp>
#include <segkit/distance/squared_euclidean.hpp>
#include <segkit/init/random_init.hpp>

#include "fixture.hpp"

// The suite's files are compiled together (a unity build): each keeps its helpers to itself.
namespace segkit_test_lloyd {

using segkit::test::Fixture;

namespace {

template <class T>
segkit::Clustering<T> run_fixture(const Fixture& f, const std::string& prefix, const std::string& data,
                                  std::size_t threads = 1) {
  const xt::xtensor<T, 2> X = xt::cast<T>(f[data]);
  const xt::xtensor<T, 2> init = xt::cast<T>(f[prefix + "_init"]);
  return segkit::Lloyd{}.cluster(X, init, segkit::SquaredEuclidean{}, segkit::Options{.threads = threads});
}

xt::xtensor<double, 2> standardized(const Fixture& f) { return (f["X"] - f["standard_mean"]) / f["standard_scale"]; }

}  // namespace

TEST_CASE("Lloyd from given centres matches scikit-learn exactly on the real datasets") {
  for (const std::string name : segkit::test::datasets) {
    const Fixture f(name);
    for (const std::string prefix : {"lloyd_k3", "lloyd_k5", "lloyd_k8", "std_lloyd_k5"}) {
      CAPTURE(name);
      CAPTURE(prefix);
      const bool scaled = prefix.rfind("std_", 0) == 0;
      const xt::xtensor<double, 2> X = scaled ? standardized(f) : f["X"];
      const xt::xtensor<double, 2> init = f[prefix + "_init"];
      const auto result = segkit::Lloyd{}.cluster(X, init, segkit::SquaredEuclidean{}, segkit::Options{});
      const auto expected_labels = xt::cast<std::size_t>(xt::flatten(f[prefix + "_labels"]));
      CHECK(std::equal(result.labels.begin(), result.labels.end(), expected_labels.begin()));
      CHECK(result.iterations == static_cast<std::size_t>(f.scalar(prefix + "_iterations")));
      // Centres compared relative to each feature's spread: a centre coordinate near 0 has no relative scale.
      const xt::xtensor<double, 2> spread =
          xt::broadcast(xt::view(xt::amax(xt::abs(X), {0}), xt::newaxis(), xt::all()), result.centers.shape());
      segkit::test::check_close(result.centers / spread, f[prefix + "_centers"] / spread, 1e-9, 1.0);
      CHECK(std::abs(result.inertia - f.scalar(prefix + "_inertia")) <= 1e-9 * f.scalar(prefix + "_inertia"));
      CHECK(result.converged);
    }
  }
}

TEST_CASE_TEMPLATE("Lloyd in float ends close to the double result", T, float, double) {
  const Fixture f("wholesale");
  const auto expected = run_fixture<double>(f, "lloyd_k5", "X");
  const auto result = run_fixture<T>(f, "lloyd_k5", "X");
  std::size_t agree = 0;
  for (std::size_t i = 0; i < result.labels.size(); ++i) agree += result.labels(i) == expected.labels(i);
  CHECK(agree >= result.labels.size() * 99 / 100);
  CHECK(std::abs(result.inertia - expected.inertia) <= (std::is_same_v<T, float> ? 1e-4 : 1e-12) * expected.inertia);
}

TEST_CASE_TEMPLATE("Lloyd invariants: labels in range, inertia never rises, labels match final centres", T, float,
                   double) {
  const Fixture f("marketing");
  const xt::xtensor<T, 2> X = xt::cast<T>(standardized(f));
  for (std::size_t k : {2u, 7u, 20u}) {
    const auto init = segkit::RandomInit{}.initial_centers(X, k, segkit::SquaredEuclidean{}, 42, 1);
    const auto result = segkit::Lloyd{}.cluster(X, init, segkit::SquaredEuclidean{}, segkit::Options{.tol = 0});
    CHECK(std::all_of(result.labels.begin(), result.labels.end(), [k](std::size_t l) { return l < k; }));
    REQUIRE(result.inertia_trace.size() == result.iterations);
    for (std::size_t i = 1; i < result.inertia_trace.size(); ++i)
      CHECK(result.inertia_trace[i] <= result.inertia_trace[i - 1] * (1 + 1e-6));
    CHECK(xt::all(xt::isfinite(result.centers)));
    // The returned labels are the nearest centres of the returned centres.
    xt::xtensor<std::size_t, 1> again = xt::zeros<std::size_t>({X.shape(0)});
    std::vector<T> nearest(X.shape(0));
    segkit::detail::assign_nearest(segkit::SquaredEuclidean{}, X, result.centers, again.data(), nearest.data(), 1);
    CHECK(again == result.labels);
    CHECK(result.inertia <= result.inertia_trace.front());
  }
}

TEST_CASE_TEMPLATE("Lloyd is bit-identical for 1, 2 and all threads and on a rerun", T, float, double) {
  const Fixture f("ccgeneral");
  const auto one = run_fixture<T>(f, "lloyd_k8", "X", 1);
  for (std::size_t threads : {1u, 2u, 0u, 3u}) {
    CAPTURE(threads);
    const auto other = run_fixture<T>(f, "lloyd_k8", "X", threads);
    CHECK(other.labels == one.labels);
    // exact, not approximate; a bool, as printing the tensors trips a false GCC 12 -Wrestrict in xio
    const bool same_centers = other.centers == one.centers;
    CHECK(same_centers);
    CHECK(other.inertia == one.inertia);
    CHECK(other.iterations == one.iterations);
  }
}

TEST_CASE_TEMPLATE("an empty cluster is relocated to the farthest row, never left as NaN", T, float, double) {
  // Two tight groups, and a third start far from every row: it wins no row in the
  // first assignment and must be moved onto the row farthest from its centre.
  const xt::xtensor<T, 2> X = {{0, 0}, {0, 1}, {1, 0}, {10, 10}, {10, 11}, {11, 10}, {30, 30}};
  const xt::xtensor<T, 2> init = {{0, 0}, {10, 10}, {1000, -1000}};
  const auto result = segkit::Lloyd{}.cluster(X, init, segkit::SquaredEuclidean{}, segkit::Options{});
  CHECK(xt::all(xt::isfinite(result.centers)));
  CHECK(result.labels(6) == 2);  // the outlier at (30, 30) became the third segment
  CHECK(result.centers(2, 0) == doctest::Approx(30));
  for (std::size_t c = 0; c < 3; ++c) CHECK(std::count(result.labels.begin(), result.labels.end(), c) > 0);
}

TEST_CASE_TEMPLATE("Lloyd with Manhattan and Cosine distances uses their own centres", T, float, double) {
  const xt::xtensor<T, 2> X = {{1, 0}, {2, 0}, {100, 0}, {0, 1}, {0, 3}, {0, 50}};
  SUBCASE("Manhattan: coordinate-wise medians") {
    const xt::xtensor<T, 2> init = {{1, 0}, {0, 1}};
    const auto r = segkit::Lloyd{}.cluster(X, init, segkit::Manhattan{}, segkit::Options{});
    CHECK(r.labels == xt::xtensor<std::size_t, 1>{0, 0, 0, 1, 1, 1});
    CHECK(r.centers(0, 0) == T(2));  // median of 1, 2, 100 (a mean would be 34.3)
    CHECK(r.centers(1, 1) == T(3));
    CHECK(r.inertia == doctest::Approx(1 + 98 + 2 + 47));
  }
  SUBCASE("Cosine: unit-length mean direction") {
    const xt::xtensor<T, 2> init = {{1, 0.1}, {0.1, 1}};
    const auto r = segkit::Lloyd{}.cluster(X, init, segkit::Cosine{}, segkit::Options{});
    CHECK(r.labels == xt::xtensor<std::size_t, 1>{0, 0, 0, 1, 1, 1});
    CHECK(r.centers(0, 0) == doctest::Approx(1));
    CHECK(r.centers(1, 1) == doctest::Approx(1));
    CHECK(r.inertia == doctest::Approx(0).epsilon(1e-6));
  }
}

TEST_CASE("Lloyd stops at max_iter without claiming convergence, and reassigns once more") {
  const Fixture f("ccgeneral");
  const xt::xtensor<double, 2> X = f["X"];
  const auto r = segkit::Lloyd{}.cluster(X, f["lloyd_k8_init"], segkit::SquaredEuclidean{},
                                         segkit::Options{.max_iter = 2, .tol = 0});
  CHECK(r.iterations == 2);
  CHECK_FALSE(r.converged);
  xt::xtensor<std::size_t, 1> nearest_labels = xt::zeros<std::size_t>({X.shape(0)});
  std::vector<double> nearest(X.shape(0));
  segkit::detail::assign_nearest(segkit::SquaredEuclidean{}, X, r.centers, nearest_labels.data(), nearest.data(), 1);
  CHECK(nearest_labels == r.labels);
}

TEST_CASE("a given absolute_tol replaces tol x the variance: it is what tol means in X's units") {
  const Fixture f("ccgeneral");
  const xt::xtensor<double, 2> X = standardized(f);
  const xt::xtensor<double, 2> init = f["lloyd_k8_init"];
  const segkit::Options relative{.tol = 1e-2};
  const double variance = segkit::detail::mean_feature_variance(X);
  const auto a = segkit::Lloyd{}.cluster(X, init, segkit::SquaredEuclidean{}, relative);
  segkit::Options absolute = relative;
  absolute.absolute_tol = 1e-2 * variance;
  const auto b = segkit::Lloyd{}.cluster(X, init, segkit::SquaredEuclidean{}, absolute);
  CHECK(a.iterations == b.iterations);
  CHECK(a.labels == b.labels);
  CHECK(a.centers == b.centers);
  // A far larger absolute tolerance stops sooner: the field is read, not ignored.
  absolute.absolute_tol = 1e3 * variance;
  CHECK(segkit::Lloyd{}.cluster(X, init, segkit::SquaredEuclidean{}, absolute).iterations < a.iterations);
  absolute.absolute_tol = -1.0;
  CHECK_THROWS_WITH_AS(segkit::Lloyd{}.cluster(X, init, segkit::SquaredEuclidean{}, absolute),
                       "absolute_tol must be a non-negative number", segkit::error);
}

namespace {

/// SquaredEuclidean without `center_is_mean`: Lloyd takes the generic per-cluster path.
struct GenericSquaredEuclidean {
  static constexpr bool is_metric = false;
  template <class T>
  T distance(std::span<const T> a, std::span<const T> b) const {
    return segkit::SquaredEuclidean{}.distance(a, b);
  }
  template <class T>
  void center(const xt::xtensor<T, 2>& X, std::span<const std::size_t> members, std::span<T> out) const {
    segkit::SquaredEuclidean{}.center(X, members, out);
  }
};

}  // namespace

TEST_CASE_TEMPLATE("the one-pass mean update agrees with the per-cluster centres", T, float, double) {
  const Fixture f("ccgeneral");
  const xt::xtensor<T, 2> X = xt::cast<T>(f["X"]);
  const xt::xtensor<T, 2> init = xt::cast<T>(f["lloyd_k8_init"]);
  const auto fast = segkit::Lloyd{}.cluster(X, init, segkit::SquaredEuclidean{}, segkit::Options{});
  const auto generic = segkit::Lloyd{}.cluster(X, init, GenericSquaredEuclidean{}, segkit::Options{});
  CHECK(fast.labels == generic.labels);
  CHECK(fast.iterations == generic.iterations);
  // The sums are added in another order, so the last bits may differ.
  segkit::test::check_close(fast.centers, generic.centers, std::is_same_v<T, float> ? 1e-6 : 1e-12, 1.0);
}

// --- Hamerly: an exact accelerated Lloyd, so every test compares with Lloyd bit for bit ---

namespace {

/// Which clusterer `cluster_with` runs: the bounded ones (Hamerly, Yinyang, and Lloyd's
/// own switch to bounds below Lloyd::bounds_from_k centres, as it switches by default and
/// after its first pass), and Lloyd without bounds.
enum class Clusterer { hamerly, yinyang, lloyd_switching, lloyd_bounds_at_once, lloyd_unbounded };
inline constexpr Clusterer bounded_clusterers[] = {Clusterer::hamerly, Clusterer::yinyang, Clusterer::lloyd_switching,
                                                   Clusterer::lloyd_bounds_at_once};

template <class T, class D>
segkit::Clustering<T> cluster_with(Clusterer which, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& init,
                                   const D& distance, const segkit::Options& o) {
  switch (which) {
    case Clusterer::hamerly:
      return segkit::Hamerly{}.cluster(X, init, distance, o);
    case Clusterer::yinyang:
      return segkit::Yinyang{}.cluster(X, init, distance, o);
    case Clusterer::lloyd_switching:
      return segkit::Lloyd{}.cluster(X, init, distance, o);
    case Clusterer::lloyd_bounds_at_once:
      return segkit::Lloyd{.bounds_below_changed = 1}.cluster(X, init, distance, o);
    default:
      return segkit::Lloyd{.accelerate = false}.cluster(X, init, distance, o);
  }
}

/// The bounded clusterers and Lloyd from the same start: the same labels, centres,
/// iterations and inertia; and each fit's inertia is its labels' summed distance (stopped
/// on unchanged labels, by the tolerance or by max_iter).
template <class T, class D = segkit::SquaredEuclidean>
void check_hamerly_is_lloyd(const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& init, segkit::Options options = {},
                            D distance = {}) {
  const double close = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  const auto lloyd = cluster_with(Clusterer::lloyd_unbounded, X, init, distance, options);
  // The summed distance of the labels, in a pass of its own (what the loop used to run after its last pass).
  const auto summed_distances = [&](const segkit::Clustering<T>& fit) {
    return segkit::detail::labelled_inertia(distance, X, fit.centers, fit.labels.data(), 1);
  };
  CHECK(lloyd.inertia == doctest::Approx(summed_distances(lloyd)).epsilon(close));
  for (const Clusterer which : bounded_clusterers) {
    CAPTURE(which);
    const auto hamerly = cluster_with(which, X, init, distance, options);
    CHECK(hamerly.inertia == doctest::Approx(summed_distances(hamerly)).epsilon(close));
    CHECK(hamerly.labels == lloyd.labels);
    const bool same_centers = hamerly.centers == lloyd.centers;  // exact
    CHECK(same_centers);
    CHECK(hamerly.iterations == lloyd.iterations);
    CHECK(hamerly.converged == lloyd.converged);
    // Lloyd stopped on unchanged labels reports its last pass's summed distances;
    // the bounded steps re-measure each row: the same terms, summed in another order.
    CHECK(hamerly.inertia == doctest::Approx(lloyd.inertia).epsilon(std::is_same_v<T, float> ? 1e-5 : 1e-12));
    // The objective of each assignment is summed in another order for skipped rows, so it is close, not equal.
    REQUIRE(hamerly.inertia_trace.size() == lloyd.inertia_trace.size());
    for (std::size_t i = 0; i < lloyd.inertia_trace.size(); ++i)
      CHECK(hamerly.inertia_trace[i] == doctest::Approx(lloyd.inertia_trace[i]).epsilon(1e-5));
    // Without the trace (as a Pipeline runs its starts), skipped rows are not measured:
    // the same clustering, to the bit, and the same final inertia.
    segkit::Options untraced = options;
    untraced.inertia_trace = false;
    const auto quick = cluster_with(which, X, init, distance, untraced);
    CHECK(quick.inertia_trace.empty());
    CHECK(quick.labels == hamerly.labels);
    const bool same_quick_centers = quick.centers == hamerly.centers;
    CHECK(same_quick_centers);
    CHECK(quick.iterations == hamerly.iterations);
    CHECK(quick.converged == hamerly.converged);
    CHECK(quick.inertia == hamerly.inertia);
  }
}

using segkit::test::blobs;

}  // namespace

TEST_CASE_TEMPLATE(
    "Hamerly, Yinyang and Lloyd's switch to bounds give exactly Lloyd's clustering on every real dataset", T, float,
    double) {
  for (const std::string name : segkit::test::datasets) {
    const Fixture f(name);
    for (const std::string prefix : {"lloyd_k3", "lloyd_k5", "lloyd_k8", "std_lloyd_k5"}) {
      CAPTURE(name);
      CAPTURE(prefix);
      const bool scaled = prefix.rfind("std_", 0) == 0;
      const xt::xtensor<T, 2> X = xt::cast<T>(scaled ? xt::xtensor<double, 2>(standardized(f)) : f["X"]);
      const xt::xtensor<T, 2> init = xt::cast<T>(f[prefix + "_init"]);
      check_hamerly_is_lloyd(X, init);
      check_hamerly_is_lloyd(X, init, segkit::Options{.tol = 0});
    }
  }
}

TEST_CASE("a float bound is the float next to its double on the safe side, as nextafter gives") {
  using segkit::detail::bound_above;
  using segkit::detail::bound_below;
  const float inf = std::numeric_limits<float>::infinity();
  std::mt19937_64 rng(5);
  std::vector<double> values = {
      0.0,  -0.0,  1.0, -1.0, 1e-45, -1e-45, 1e-320, -1e-320, 3.4028234663852886e38, -3.4028234663852886e38,
      1e39, -1e39, 0.1, -0.1};
  std::uniform_real_distribution<double> mantissa(-1.0, 1.0);
  std::uniform_int_distribution<int> exponent(-140, 120);
  for (int i = 0; i < 20000; ++i) values.push_back(std::ldexp(mantissa(rng), exponent(rng)));
  for (const double v : values) {
    CAPTURE(v);
    const float t = static_cast<float>(v);
    const float up = static_cast<double>(t) < v ? std::nextafter(t, inf) : t;
    const float down = static_cast<double>(t) > v ? std::nextafter(t, -inf) : t;
    CHECK(std::bit_cast<std::uint32_t>(bound_above<float>(v)) == std::bit_cast<std::uint32_t>(up));
    CHECK(std::bit_cast<std::uint32_t>(bound_below<float>(v)) == std::bit_cast<std::uint32_t>(down));
    CHECK(static_cast<double>(bound_above<float>(v)) >= v);
    CHECK(static_cast<double>(bound_below<float>(v)) <= v);
    CHECK(bound_above<double>(v) == v);
  }
}

TEST_CASE_TEMPLATE("Hamerly, Yinyang and Lloyd's switch to bounds give exactly Lloyd's clustering on synthetic blobs",
                   T, float, double) {
  struct Shape {
    std::size_t n, d, k;
    double spread;
  };
  // Well separated, overlapping, many centres (32 x 64: enough bytes of centres that the
  // bounded passes tighten open rows first, in float and double), a start with duplicate
  // rows, and rows over several sum chunks (4096 rows: a bounded pass sums again only the
  // clusters a chunk's rows left or joined, and keeps the other sums).
  for (const Shape s : {Shape{5000, 2, 5, 10}, Shape{4000, 8, 20, 3}, Shape{3000, 32, 64, 1}, Shape{2000, 3, 40, 20},
                        Shape{20000, 4, 12, 2}}) {
    CAPTURE(s.n);
    CAPTURE(s.k);
    const xt::xtensor<T, 2> X = blobs<T>(s.n, s.d, s.k, s.spread, 11);
    for (std::uint64_t seed : {1u, 2u, 3u}) {
      const xt::xtensor<T, 2> init = segkit::RandomInit{}.initial_centers(X, s.k, segkit::SquaredEuclidean{}, seed, 1);
      check_hamerly_is_lloyd(X, init, segkit::Options{.tol = 0});
    }
    // Stopped by max_iter while labels still change: the inertia comes from the last pass.
    const xt::xtensor<T, 2> init = segkit::RandomInit{}.initial_centers(X, s.k, segkit::SquaredEuclidean{}, 4, 1);
    check_hamerly_is_lloyd(X, init, segkit::Options{.max_iter = 2, .tol = 0});
  }
  SUBCASE("empty clusters are relocated as Lloyd relocates them") {
    const xt::xtensor<T, 2> X = blobs<T>(3000, 4, 3, 5, 7);
    xt::xtensor<T, 2> init = xt::view(X, xt::range(0, 6), xt::all());
    for (std::size_t j = 0; j < 4; ++j) {
      init(4, j) = T(1000);  // wins no row
      init(5, j) = X(0, j);  // a duplicate of the first start
    }
    check_hamerly_is_lloyd(X, init, segkit::Options{.tol = 0});
  }
  SUBCASE("a cluster emptied in a bounded pass takes the farthest row, as in Lloyd") {
    // Found by search: well separated blobs, a random start with two centres in some and
    // none in others; a later, bounded pass leaves a cluster empty, and the bounds rule out
    // most rows from being the farthest (HamerlyAssignment::measure_farthest).
    const xt::xtensor<T, 2> X = blobs<T>(5000, 16, 32, 10, 11);
    const xt::xtensor<T, 2> init = segkit::RandomInit{}.initial_centers(X, 32, segkit::SquaredEuclidean{}, 2, 1);
    check_hamerly_is_lloyd(X, init, segkit::Options{.tol = 0});
  }
  SUBCASE("with Manhattan distance, a metric, bounds on the distance itself") {
    const xt::xtensor<T, 2> X = blobs<T>(3000, 5, 8, 4, 5);
    const xt::xtensor<T, 2> init = segkit::RandomInit{}.initial_centers(X, 8, segkit::SquaredEuclidean{}, 4, 1);
    check_hamerly_is_lloyd(X, init, segkit::Options{.tol = 0}, segkit::Manhattan{});
  }
}

TEST_CASE_TEMPLATE("a fit that stops on unchanged labels returns the means of its labels, to the bit", T, float,
                   double) {
  // Passes keep each chunk's sums of the clusters whose rows stayed and sum the others
  // again (block by block in full passes, after the chunk in bounded ones): the centres
  // must still be what one plain pass over the final labels gives (update_means sums
  // every row, in the same chunks). 20,000 rows: five chunks of 4,096, 16 blocks each.
  for (const std::size_t k : {6, 12, 20}) {
    CAPTURE(k);
    const xt::xtensor<T, 2> X = blobs<T>(20000, 4, k, 2, 17);
    const xt::xtensor<T, 2> init = segkit::RandomInit{}.initial_centers(X, k, segkit::SquaredEuclidean{}, 4, 1);
    const segkit::Options options{.max_iter = 500, .tol = 0, .threads = 2};
    for (const Clusterer which :
         {Clusterer::lloyd_unbounded, Clusterer::lloyd_switching, Clusterer::hamerly, Clusterer::yinyang}) {
      CAPTURE(which);
      const segkit::Clustering<T> fit = cluster_with(which, X, init, segkit::SquaredEuclidean{}, options);
      REQUIRE(fit.converged);
      REQUIRE(fit.iterations > 3);  // later passes change few labels: most sums kept
      const std::vector<std::size_t> labels(fit.labels.begin(), fit.labels.end());
      std::vector<std::size_t> counts(k, 0);
      for (const std::size_t l : labels) ++counts[l];
      xt::xtensor<T, 2> means = fit.centers;
      segkit::detail::update_means(X, labels, counts, means, 1);
      const bool same_bits = means == fit.centers;
      CHECK(same_bits);
    }
  }
}

TEST_CASE_TEMPLATE("after a bounded pass the farthest rows are the full step's, measured only where bounds reach", T,
                   float, double) {
  // An empty cluster takes the rows farthest from their centres. After a bounded pass the
  // loop asks the step for them (HamerlyAssignment::measure_farthest): their distances,
  // and the order relocate_empty reads, must be those of a full pass over every row.
  const std::size_t n = 20000, k = 24;
  const xt::xtensor<T, 2> X = blobs<T>(n, 6, k, 3, 23);
  xt::xtensor<T, 2> centers = segkit::RandomInit{}.initial_centers(X, k, segkit::SquaredEuclidean{}, 5, 1);
  segkit::detail::HamerlyAssignment<T, segkit::SquaredEuclidean> step;
  std::vector<std::size_t> labels(n), counts;
  std::vector<T> nearest(n);
  for (int pass = 0; pass < 10; ++pass) {
    if (pass > 0) segkit::detail::update_means(X, labels, counts, centers, 1);
    step.assign(segkit::SquaredEuclidean{}, X, centers, labels.data(), nearest.data(), 2,
                segkit::detail::PassOutputs{.counts = &counts});
  }
  REQUIRE_FALSE(step.nearest_exact());  // the last pass was a bounded one
  std::vector<std::size_t> full_labels(n);
  std::vector<T> full(n);
  segkit::detail::assign_nearest(segkit::SquaredEuclidean{}, X, centers, full_labels.data(), full.data(), 1);
  CHECK(full_labels == labels);
  for (const std::size_t count : {1u, 7u, 64u, 500u}) {
    CAPTURE(count);
    std::vector<T> some = nearest;
    REQUIRE(step.measure_farthest(segkit::SquaredEuclidean{}, X, centers, some.data(), 2, count));
    const std::vector<std::size_t> expected = segkit::detail::farthest_rows(full.data(), n, count),
                                   got = segkit::detail::farthest_rows(some.data(), n, count);
    CHECK(got == expected);
    std::size_t same = 0, measured = 0;
    for (const std::size_t i : got) same += some[i] == full[i];
    CHECK(same == count);
    for (const T v : some) measured += v != T(0);
    CHECK(measured < n / 2);  // the bounds ruled out most rows
  }
}

TEST_CASE_TEMPLATE("centres after a relocation are the means of the moved labels, to the bit", T, float, double) {
  // Two starts far from every row: after the first pass their clusters are empty and take
  // the two rows farthest from their centres. The loop makes the means from the kept sums
  // of the chunks no row left (20,000 rows: five chunks of 4,096) and sums again only the
  // chunks of the moved rows: the bits of one plain pass over the moved labels.
  const std::size_t n = 20000, d = 3, k = 6;
  const xt::xtensor<T, 2> X = blobs<T>(n, d, 4, 2, 23);
  xt::xtensor<T, 2> init = xt::empty<T>({k, d});
  for (std::size_t c = 0; c < k; ++c)
    for (std::size_t j = 0; j < d; ++j) init(c, j) = c < 4 ? X(c * 997, j) : T(1000 + 500 * c);
  for (const Clusterer which : {Clusterer::lloyd_unbounded, Clusterer::hamerly, Clusterer::yinyang}) {
    CAPTURE(which);
    const auto fit = cluster_with(which, X, init, segkit::SquaredEuclidean{},
                                  segkit::Options{.max_iter = 1, .tol = 0, .threads = 2});
    // What the loop must have done, step by step, the slow way.
    std::vector<std::size_t> labels(n), counts(k, 0);
    std::vector<T> nearest(n);
    segkit::detail::assign_nearest(segkit::SquaredEuclidean{}, X, init, labels.data(), nearest.data(), 1);
    for (const std::size_t l : labels) ++counts[l];
    REQUIRE(counts[4] == 0);
    REQUIRE(counts[5] == 0);
    for (const std::size_t empty : {4, 5}) {
      std::size_t far = n;
      for (std::size_t i = 0; i < n; ++i)
        if (counts[labels[i]] >= 2 && (far == n || nearest[i] > nearest[far])) far = i;
      --counts[labels[far]];
      labels[far] = empty;
      counts[empty] = 1;
      nearest[far] = T(-1);  // taken
    }
    xt::xtensor<T, 2> expected = init;
    segkit::detail::update_means(X, labels, counts, expected, 1);
    const bool same_bits = expected == fit.centers;
    CHECK(same_bits);
  }
}

TEST_CASE_TEMPLATE("Lloyd measuring by products ends with the clustering of Lloyd measuring by differences", T, float,
                   double) {
  // Wide rows, many overlapping segments, uncentred (an offset of 50 in every feature); d = 64
  // and k = 64 is also where the automatic choice takes products. (The ties the products cannot
  // settle are made on purpose in tests/simd/kernels_every_arch.cpp.)
  xt::xtensor<T, 2> X = blobs<T>(2500, 64, 64, 1.5, 3);
  X += T(50);
  const xt::xtensor<T, 2> init = segkit::RandomInit{}.initial_centers(X, 64, segkit::SquaredEuclidean{}, 5, 1);
  using Method = segkit::SquaredEuclidean::Method;
  segkit::SquaredEuclidean differences, products, automatic;
  differences.method = Method::differences;
  products.method = Method::products;
  const segkit::Options options{.tol = 0, .threads = 2};
  const auto reference = segkit::Lloyd{}.cluster(X, init, differences, options);
  CHECK(reference.iterations > 3);
  for (const auto& distance : {products, automatic}) {
    const auto other = segkit::Lloyd{}.cluster(X, init, distance, options);
    CHECK(other.labels == reference.labels);
    CHECK(other.centers == reference.centers);
    CHECK(other.iterations == reference.iterations);
    CHECK(other.inertia == doctest::Approx(reference.inertia).epsilon(std::is_same_v<T, float> ? 1e-5 : 1e-12));
    const auto hamerly = segkit::Hamerly{}.cluster(X, init, distance, options);
    CHECK(hamerly.labels == reference.labels);
  }
}

TEST_CASE_TEMPLATE("Lloyd, Hamerly and Yinyang are bit-identical for 1, 2, 3 and all threads", T, float, double) {
  // Large enough for many chunks and for the threads to be used at all.
  const xt::xtensor<T, 2> X = blobs<T>(60000, 8, 12, 3, 21);
  const xt::xtensor<T, 2> init = segkit::RandomInit{}.initial_centers(X, 12, segkit::SquaredEuclidean{}, 9, 1);
  const segkit::Options single{.tol = 0, .threads = 1};
  const auto one = segkit::Hamerly{}.cluster(X, init, segkit::SquaredEuclidean{}, single);
  const auto one_lloyd = segkit::Lloyd{.accelerate = false}.cluster(X, init, segkit::SquaredEuclidean{}, single);
  CHECK(one_lloyd.inertia == doctest::Approx(one.inertia).epsilon(std::is_same_v<T, float> ? 1e-5 : 1e-12));
  for (std::size_t threads : {2u, 3u, 0u}) {
    CAPTURE(threads);
    const segkit::Options options{.tol = 0, .threads = threads};
    for (const bool lloyd : {false, true}) {
      CAPTURE(lloyd);
      const auto& reference = lloyd ? one_lloyd : one;
      for (const auto& other :
           lloyd ? std::vector{segkit::Lloyd{.accelerate = false}.cluster(X, init, segkit::SquaredEuclidean{}, options)}
                 : std::vector{segkit::Hamerly{}.cluster(X, init, segkit::SquaredEuclidean{}, options),
                               segkit::Yinyang{}.cluster(X, init, segkit::SquaredEuclidean{}, options),
                               segkit::Lloyd{.bounds_below_changed = 1}.cluster(X, init, segkit::SquaredEuclidean{},
                                                                                options)}) {
        CHECK(other.labels == one.labels);
        const bool same_centers = other.centers == one.centers;
        CHECK(same_centers);
        CHECK(other.inertia == reference.inertia);  // the same sums in the same order, whatever the threads
        CHECK(other.iterations == one.iterations);
      }
    }
  }
}

TEST_CASE_TEMPLATE("a NaN or an infinity anywhere in X is named by row and column, by every exact clusterer", T, float,
                   double) {
  // Checked during the first pass, not before it: the cell must still be found, wherever it is.
  const xt::xtensor<T, 2> clean = blobs<T>(50000, 4, 5, 1, 3);
  const xt::xtensor<T, 2> init = segkit::RandomInit{}.initial_centers(clean, 5, segkit::SquaredEuclidean{}, 1, 1);
  for (const std::size_t row : {std::size_t{0}, std::size_t{31337}, std::size_t{49999}}) {
    for (const T bad : {std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity(),
                        -std::numeric_limits<T>::infinity()}) {
      xt::xtensor<T, 2> X = clean;
      X(row, 2) = bad;
      const std::string where = "at row " + std::to_string(row) + ", column 2";
      for (const std::size_t threads : {1u, 2u}) {
        CAPTURE(row);
        CAPTURE(threads);
        const segkit::Options options{.threads = threads};
        CHECK_THROWS_WITH_AS(segkit::Lloyd{}.cluster(X, init, segkit::SquaredEuclidean{}, options),
                             doctest::Contains(where.c_str()), segkit::error);
        CHECK_THROWS_WITH_AS(segkit::Hamerly{}.cluster(X, init, segkit::SquaredEuclidean{}, options),
                             doctest::Contains(where.c_str()), segkit::error);
        CHECK_THROWS_WITH_AS(segkit::Yinyang{}.cluster(X, init, segkit::SquaredEuclidean{}, options),
                             doctest::Contains(where.c_str()), segkit::error);
      }
    }
  }
}

TEST_CASE("a fit's work arrays are kept for the next fit, within the limit, and given back on request") {
  using segkit::detail::WorkMemory;
  WorkMemory& memory = WorkMemory::shared();
  segkit::release_work_memory();
  CHECK(segkit::work_memory_kept() == 0);

  // A block given back is the next taker's when it needs at least half of it, and only then,
  // and it comes with its own size, which goes back with it.
  using Block = WorkMemory::Block;
  constexpr std::size_t mib = std::size_t{1} << 20;
  Block block = memory.take(mib);
  CHECK(reinterpret_cast<std::uintptr_t>(block.block) % 64 == 0);
  CHECK(block.bytes == mib);
  memory.give(block);
  CHECK(segkit::work_memory_kept() == mib);
  const Block small = memory.take(mib / 4);  // would waste three quarters of it: a new block
  CHECK(small.block != block.block);
  CHECK(small.bytes == mib / 4);
  CHECK(segkit::work_memory_kept() == mib);
  const Block taken = memory.take(mib / 2 + 1);
  CHECK(taken.block == block.block);
  CHECK(taken.bytes == mib);
  CHECK(segkit::work_memory_kept() == 0);
  memory.give(small);
  memory.give(taken);
  CHECK(segkit::work_memory_kept() == mib + mib / 4);

  // Never more than the limit: the oldest blocks go first; one larger than it is not kept.
  const std::size_t share = segkit::work_memory_limit / 3;
  for (int i = 0; i < 4; ++i) memory.give(memory.take(share));  // each takes the last one back
  CHECK(segkit::work_memory_kept() == mib + mib / 4 + share);
  std::vector<Block> blocks;
  for (int i = 0; i < 4; ++i) blocks.push_back(memory.take(share));
  for (const Block& b : blocks) memory.give(b);
  CHECK(segkit::work_memory_kept() == 3 * share);
  memory.give(memory.take(segkit::work_memory_limit + 1));
  CHECK(segkit::work_memory_kept() == 3 * share);
  segkit::release_work_memory();
  CHECK(segkit::work_memory_kept() == 0);

  // A fit keeps its row-long arrays (each row's distance, the bounds), and the next fit of the
  // same shape takes them instead of as much again, with the same result.
  // (16 centres: Hamerly's bounds from the first pass, both kept in work arrays.)
  const xt::xtensor<float, 2> X = blobs<float>(20000, 8, 16, 2.0, 5);
  const xt::xtensor<float, 2> start = xt::view(X, xt::range(0, 16), xt::all());
  const segkit::Options options{.max_iter = 50, .tol = 0.0, .threads = 2};
  const segkit::Clustering<float> first = segkit::Lloyd{}.cluster(X, start, segkit::SquaredEuclidean{}, options);
  const std::size_t kept = segkit::work_memory_kept();
  CHECK(first.iterations >= 2);
  CHECK(kept == 3 * 20000 * sizeof(float));
  CHECK(kept <= segkit::work_memory_limit);
  const segkit::Clustering<float> again = segkit::Lloyd{}.cluster(X, start, segkit::SquaredEuclidean{}, options);
  CHECK(segkit::work_memory_kept() == kept);
  CHECK(again.labels == first.labels);
  CHECK(again.centers == first.centers);
  CHECK(again.inertia == first.inertia);

  // MiniBatch's final labelling takes a block for each row's distance and keeps it for the
  // next fit; Yinyang's bounds (one per row, one per row and group of centres: 16 centres
  // make two groups) are work arrays too, in double: new blocks (none kept is as large).
  segkit::release_work_memory();
  segkit::MiniBatch{.batch_size = 512}.cluster(X, start, segkit::SquaredEuclidean{}, options);
  CHECK(segkit::work_memory_kept() == 20000 * sizeof(float));
  const segkit::Clustering<float> grouped = segkit::Yinyang{}.cluster(X, start, segkit::SquaredEuclidean{}, options);
  CHECK(grouped.labels == first.labels);
  CHECK(segkit::work_memory_kept() == 20000 * sizeof(float) + 20000 * sizeof(double) + 2 * 20000 * sizeof(double));
  segkit::release_work_memory();
}

}  // namespace segkit_test_lloyd
