// Choosing K: the sweep's scores, the Kneedle elbow, the recommendation on Mall
// Customers, the sampled silhouette, stability, and the adjusted Rand index.

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <segkit/evaluate/calinski_harabasz.hpp>
#include <segkit/evaluate/davies_bouldin.hpp>
#include <segkit/evaluate/silhouette.hpp>
#include <segkit/pipeline/pipeline.hpp>
#include <segkit/scaler/minmax.hpp>
#include <segkit/scaler/standard.hpp>
#include <segkit/select/adjusted_rand.hpp>
#include <segkit/select/choose_k.hpp>
#include <segkit/select/kneedle.hpp>

#include "fixture.hpp"

// The suite's files are compiled together (a unity build): each keeps its helpers to itself.
namespace segkit_test_select {

using segkit::test::Fixture;

namespace {

bool close(double a, double b, double rel) { return std::abs(a - b) <= rel * std::max(std::abs(a), std::abs(b)); }

xt::xtensor<std::int64_t, 1> int_labels(const xt::xtensor<double, 2>& a) {
  return xt::cast<std::int64_t>(xt::flatten(a));
}

bool has(const std::vector<segkit::Criterion>& criteria, segkit::Criterion c) {
  return std::find(criteria.begin(), criteria.end(), c) != criteria.end();
}

// The settings of the Mall acceptance test: README's seed, ten starts per k.
const segkit::Options mall_options{.n_init = 10, .seed = 42};

}  // namespace

// ---------------------------------------------------------------------------
// Adjusted Rand index
// ---------------------------------------------------------------------------

TEST_CASE("adjusted_rand_score equals scikit-learn's to 1e-12") {
  const Fixture f("select_ari");
  for (const std::string name :
       {"tiny", "permuted", "one_vs_all", "negative_sparse", "random", "noisy", "mall_k8_seeds", "mall_k5_k6"}) {
    CAPTURE(name);
    const auto a = int_labels(f["ari_" + name + "_a"]);
    const auto b = int_labels(f["ari_" + name + "_b"]);
    const double expected = f.scalar("ari_" + name);
    const double got = segkit::adjusted_rand_score(a, b);
    INFO(got << " vs scikit-learn " << expected);
    CHECK(std::abs(got - expected) <= 1e-12 * std::max(1.0, std::abs(expected)));
    CHECK(segkit::adjusted_rand_score(b, a) == got);  // symmetric, to the bit
  }
}

TEST_CASE("adjusted_rand_score on 300,000 rows, where 64-bit pair products would overflow") {
  const Fixture f("select_ari");
  const std::size_t n = 300000;
  std::vector<int> a(n), b(n);
  for (std::size_t i = 0; i < n; ++i) a[i] = static_cast<int>(i % 3), b[i] = static_cast<int>((i * 7 / 5) % 4);
  const double expected = f.scalar("ari_formula");
  CHECK(std::abs(segkit::adjusted_rand_score(a, b) - expected) <= 1e-12 * std::abs(expected));
}

TEST_CASE("adjusted_rand_score: containers, edge cases, errors") {
  const std::vector<std::size_t> a = {0, 0, 1, 1, 2};
  const xt::xtensor<long, 1> b = {7, 7, -1, -1, 3};
  CHECK(segkit::adjusted_rand_score(a, b) == 1.0);
  CHECK(segkit::adjusted_rand_score(std::vector<int>{}, std::vector<int>{}) == 1.0);  // as scikit-learn
  CHECK(segkit::adjusted_rand_score(std::vector<int>{4}, std::vector<int>{9}) == 1.0);
  CHECK_THROWS_AS(segkit::adjusted_rand_score(a, std::vector<int>{0, 1}), segkit::error);
}

// ---------------------------------------------------------------------------
// Kneedle
// ---------------------------------------------------------------------------

TEST_CASE("Kneedle finds the elbow of curves whose knee is known by hand") {
  SUBCASE("a piecewise linear curve with one corner at x = 3") {
    // Steep (slope -3) to x = 3, then nearly flat (slope -0.25): the corner is the elbow.
    const std::vector<double> x = {0, 1, 2, 3, 4, 5, 6, 7};
    const std::vector<double> y = {10, 7, 4, 1, 0.75, 0.5, 0.25, 0};
    const auto elbow = segkit::kneedle_elbow(x, y);
    REQUIRE(elbow.has_value());
    CHECK(*elbow == 3);
    // D_3 = (1 - 1/10) - 3/7, by hand.
    CHECK(segkit::kneedle_difference(x, y)[3] == doctest::Approx(0.9 - 3.0 / 7.0).epsilon(1e-14));
  }
  SUBCASE("an inertia-like curve over k = 1..7") {
    // y normalised: (y - 9) / 91; D = 1 - y_n - (k - 1) / 6:
    // k=2: 0.383, k=3: 0.546, k=4: 0.434, so the elbow is k = 3.
    const std::vector<double> k = {1, 2, 3, 4, 5, 6, 7};
    const std::vector<double> y = {100, 50, 20, 15, 12, 10, 9};
    const auto d = segkit::kneedle_difference(k, y);
    CHECK(d[0] == 0.0);
    CHECK(d[6] == doctest::Approx(0.0));
    CHECK(d[1] == doctest::Approx(50.0 / 91.0 - 1.0 / 6.0).epsilon(1e-14));
    CHECK(d[2] == doctest::Approx(80.0 / 91.0 - 2.0 / 6.0).epsilon(1e-14));
    CHECK(segkit::kneedle_elbow(k, y) == std::optional<std::size_t>(2));
  }
  SUBCASE("x need not be evenly spaced or start at 0") {
    const std::vector<double> x = {10, 20, 40, 80};
    const std::vector<double> y = {1.0, 0.2, 0.1, 0.0};
    // x_n = 0, 1/7, 3/7, 1; D = 0, 0.8 - 1/7, 0.9 - 3/7, 0: the elbow is the second point.
    CHECK(segkit::kneedle_elbow(x, y) == std::optional<std::size_t>(1));
  }
  SUBCASE("no bend, no elbow") {
    const std::vector<double> x = {1, 2, 3, 4, 5};
    CHECK_FALSE(segkit::kneedle_elbow(x, std::vector<double>{9, 7, 5, 3, 1}).has_value());       // a line
    CHECK_FALSE(segkit::kneedle_elbow(x, std::vector<double>{10, 9.5, 8.5, 6, 1}).has_value());  // concave
    CHECK_FALSE(segkit::kneedle_elbow(x, std::vector<double>{2, 2, 2, 2, 2}).has_value());       // constant
  }
  SUBCASE("bad curves are errors") {
    const std::vector<double> x = {1, 2, 3};
    CHECK_THROWS_AS(segkit::kneedle_elbow(x, std::vector<double>{3, 2}), segkit::error);
    CHECK_THROWS_AS(segkit::kneedle_elbow(std::vector<double>{1, 3, 2}, std::vector<double>{3, 2, 1}), segkit::error);
    CHECK_THROWS_AS(segkit::kneedle_elbow(x, std::vector<double>{3, std::nan(""), 1}), segkit::error);
    CHECK_THROWS_AS(segkit::kneedle_elbow(std::vector<double>{1}, std::vector<double>{1}), segkit::error);
  }
}

// ---------------------------------------------------------------------------
// The recommendation
// ---------------------------------------------------------------------------

TEST_CASE("recommend_k: most votes win, the silhouette breaks a tie, the reason names the criteria") {
  std::vector<segkit::KScore> scores(4);
  const double sil[] = {0.40, 0.55, 0.50, 0.45};
  const double db[] = {0.9, 0.7, 0.6, 0.8};
  const double ch[] = {100, 150, 180, 170};
  for (std::size_t i = 0; i < 4; ++i) {
    scores[i].k = i + 2;
    scores[i].silhouette = sil[i];
    scores[i].davies_bouldin = db[i];
    scores[i].calinski_harabasz = ch[i];
  }
  SUBCASE("two votes each for k = 3 (silhouette, elbow) and k = 4 (DB, CH): the silhouette's pick") {
    const segkit::KRecommendation r = segkit::recommend_k(scores, std::size_t{3});
    CHECK(r.k == 3);
    CHECK(r.best_silhouette_k == 3);
    CHECK(r.best_davies_bouldin_k == 4);
    CHECK(r.best_calinski_harabasz_k == 4);
    CHECK(r.agreeing == std::vector<segkit::Criterion>{segkit::Criterion::silhouette, segkit::Criterion::elbow});
    INFO(r.reason);
    CHECK(r.reason.find("K = 3 (2 of 4 criteria agree)") == 0);
    CHECK(r.reason.find("Davies-Bouldin is lowest at K = 4") != std::string::npos);
  }
  SUBCASE("three votes beat the silhouette") {
    const segkit::KRecommendation r = segkit::recommend_k(scores, std::size_t{4});
    CHECK(r.k == 4);
    CHECK(r.agreeing.size() == 3);
    CHECK(r.reason.find("the silhouette is highest at K = 3") != std::string::npos);
  }
  SUBCASE("without an elbow there are three criteria") {
    const segkit::KRecommendation r = segkit::recommend_k(scores, std::nullopt);
    CHECK(r.k == 4);
    CHECK(r.reason.find("(2 of 3 criteria agree)") != std::string::npos);
    CHECK(r.reason.find("no elbow") != std::string::npos);
  }
}

// ---------------------------------------------------------------------------
// The sweep on Mall Customers
// ---------------------------------------------------------------------------

TEST_CASE("Mall Customers, income and spending standardised, k = 2..10: K = 5") {
  const Fixture f("select_mall");
  const segkit::KSweep sweep = segkit::sweep_k(f["X"], mall_options);
  REQUIRE(sweep.scores.size() == 9);
  CHECK_FALSE(sweep.silhouette_sampled);
  CHECK(sweep.silhouette_sample_size == 200);
  const segkit::KRecommendation& r = sweep.recommendation;
  std::ostringstream table;
  for (const segkit::KScore& s : sweep.scores)
    table << "k = " << s.k << ": inertia " << s.inertia << ", silhouette " << s.silhouette << ", Davies-Bouldin "
          << s.davies_bouldin << ", Calinski-Harabasz " << s.calinski_harabasz << "\n";
  INFO(table.str());
  INFO(r.reason);
  CHECK(r.k == 5);
  CHECK(r.best_silhouette_k == 5);
  CHECK(r.best_davies_bouldin_k == 5);
  CHECK(r.elbow_k == std::optional<std::size_t>(5));
  CHECK(has(r.agreeing, segkit::Criterion::silhouette));
  CHECK(has(r.agreeing, segkit::Criterion::davies_bouldin));
  CHECK(has(r.agreeing, segkit::Criterion::elbow));
  // Calinski-Harabasz keeps rising on these data: scikit-learn's own sweep also
  // puts its maximum at k = 9 (fixture sweep_calinski_harabasz), not at 5.
  CHECK(r.best_calinski_harabasz_k != 5);

  // Where segkit finds scikit-learn's partition, the numbers are scikit-learn's.
  std::size_t same_partition = 0;
  for (const segkit::KScore& s : sweep.scores) {
    const std::size_t i = s.k - 2;
    const auto sk_labels = int_labels(f["sweep_labels_k" + std::to_string(s.k)]);
    if (segkit::adjusted_rand_score(s.labels, sk_labels) != 1.0) continue;
    ++same_partition;
    CAPTURE(s.k);
    CHECK(close(s.inertia, f["sweep_inertia"](i, 0), 1e-9));
    CHECK(close(s.silhouette, f["sweep_silhouette"](i, 0), 1e-9));
    CHECK(close(s.davies_bouldin, f["sweep_davies_bouldin"](i, 0), 1e-9));
    CHECK(close(s.calinski_harabasz, f["sweep_calinski_harabasz"](i, 0), 1e-9));
  }
  INFO(same_partition << " of 9 k give scikit-learn's partition");
  CHECK(segkit::adjusted_rand_score(sweep.at(5).labels, int_labels(f["sweep_labels_k5"])) == 1.0);
}

TEST_CASE_TEMPLATE("each k's scores are segkit's free functions on the scaled data and the same labels", T, float,
                   double) {
  const Fixture f("select_mall");
  const xt::xtensor<T, 2> X = xt::cast<T>(f["X"]);
  // K = 2, 3..7 and 8..10 each share one k-means++ draw (KMeansPlusPlus::prefix_group):
  // every K still starts where a fit of its own starts.
  const segkit::KSweep sweep = segkit::sweep_k(X, mall_options, segkit::SweepOptions{.k_min = 2, .k_max = 10});
  segkit::StandardScaler scaler;
  scaler.fit(X);
  const xt::xtensor<T, 2> scaled = scaler.transform(X);
  for (const segkit::KScore& s : sweep.scores) {
    CAPTURE(s.k);
    segkit::Pipeline<> pipeline(segkit::Options{.k = s.k, .n_init = 10, .seed = 42});
    pipeline.fit(X);
    CHECK(s.labels == pipeline.labels());
    CHECK(s.centers == pipeline.scaled_centers());
    CHECK(s.iterations == pipeline.iterations());
    CHECK(s.inertia == pipeline.inertia());
    CHECK(s.silhouette == segkit::silhouette_score(scaled, s.labels));
    CHECK(s.davies_bouldin == segkit::davies_bouldin_score(scaled, s.labels));
    CHECK(s.calinski_harabasz == segkit::calinski_harabasz_score(scaled, s.labels));
  }
  CHECK(sweep.recommendation.k == 5);
}

TEST_CASE("a sweep of a large table, whose starts draw in shared passes, fits every K as a fit of its own") {
  // Large enough (n x d x k above Pipeline's parallel_starts_below) for the starts to
  // take their centres from one shared k-means++ pass per group of K (7 | 8 is a group edge).
  const xt::xtensor<double, 2> X = segkit::test::blobs<double>(100000, 8, 8, 2, 17);
  const segkit::Options options{.n_init = 3, .seed = 5, .threads = 2};
  const segkit::KSweep sweep = segkit::sweep_k(X, options, segkit::SweepOptions{.k_min = 6, .k_max = 9});
  REQUIRE(sweep.scores.size() == 4);
  for (const segkit::KScore& s : sweep.scores) {
    CAPTURE(s.k);
    segkit::Options own = options;
    own.k = s.k;
    segkit::Pipeline<> pipeline(own);
    pipeline.fit(X);
    CHECK(s.labels == pipeline.labels());
    CHECK(s.centers == pipeline.scaled_centers());
    CHECK(s.inertia == pipeline.inertia());
  }
}

TEST_CASE("a sweep that takes X over scales it where it lies and gives the same sweep") {
  const Fixture f("select_mall");
  const segkit::SweepOptions range{.k_min = 2, .k_max = 6, .stability_runs = 1};
  const segkit::KSweep borrowed = segkit::sweep_k(f["X"], mall_options, range);
  xt::xtensor<double, 2> X = f["X"];
  const segkit::KSweep taken = segkit::sweep_k(std::move(X), mall_options, range);
  REQUIRE(taken.scores.size() == borrowed.scores.size());
  for (std::size_t i = 0; i < taken.scores.size(); ++i) {
    CAPTURE(taken.scores[i].k);
    CHECK(taken.scores[i].labels == borrowed.scores[i].labels);
    CHECK(taken.scores[i].centers == borrowed.scores[i].centers);
    CHECK(taken.scores[i].inertia == borrowed.scores[i].inertia);
    CHECK(taken.scores[i].silhouette == borrowed.scores[i].silhouette);
    CHECK(taken.scores[i].davies_bouldin == borrowed.scores[i].davies_bouldin);
    CHECK(taken.scores[i].stability == borrowed.scores[i].stability);
  }
  CHECK(taken.recommendation.reason == borrowed.recommendation.reason);

  // Only the recommended k's labels, when asked so; every score the same.
  segkit::SweepOptions chosen_only = range;
  chosen_only.keep_all_labels = false;
  const segkit::KSweep lean = segkit::sweep_k(f["X"], mall_options, chosen_only);
  REQUIRE(lean.scores.size() == borrowed.scores.size());
  CHECK(lean.recommendation.k == borrowed.recommendation.k);
  for (std::size_t i = 0; i < lean.scores.size(); ++i) {
    CAPTURE(lean.scores[i].k);
    CHECK(lean.scores[i].inertia == borrowed.scores[i].inertia);
    CHECK(lean.scores[i].silhouette == borrowed.scores[i].silhouette);
    CHECK(lean.scores[i].stability == borrowed.scores[i].stability);
    if (lean.scores[i].k == lean.recommendation.k)
      CHECK(lean.scores[i].labels == borrowed.scores[i].labels);
    else
      CHECK(lean.scores[i].labels.size() == 0);
  }
  const xt::xtensor<double, 2> small = {{0, 0}, {1, 1}, {2, 0}, {5, 5}};
  CHECK_THROWS_WITH_AS(
      segkit::sweep_k(xt::xtensor<double, 2>(small), mall_options, segkit::SweepOptions{.k_min = 2, .k_max = 4}),
      doctest::Contains("k_max = 4"), segkit::error);
}

TEST_CASE("the sweep gives the same result on 1 or 2 threads") {
  const Fixture f("select_mall");
  segkit::Options one = mall_options, two = mall_options;
  one.threads = 1;
  two.threads = 2;
  const segkit::SweepOptions range{.k_min = 3, .k_max = 6, .silhouette_max_rows = 120};
  const segkit::KSweep a = segkit::sweep_k(f["X"], one, range);
  const segkit::KSweep b = segkit::sweep_k(f["X"], two, range);
  REQUIRE(a.scores.size() == b.scores.size());
  CHECK(a.silhouette_rows == b.silhouette_rows);
  for (std::size_t i = 0; i < a.scores.size(); ++i) {
    CHECK(a.scores[i].labels == b.scores[i].labels);
    CHECK(a.scores[i].inertia == b.scores[i].inertia);
    CHECK(a.scores[i].silhouette == b.scores[i].silhouette);
  }
  CHECK(a.recommendation.reason == b.recommendation.reason);
}

TEST_CASE("above silhouette_max_rows the silhouette is computed on a seeded sample, and says so") {
  const Fixture f("select_mall");
  const segkit::SweepOptions range{.k_min = 4, .k_max = 6, .silhouette_max_rows = 80};
  const segkit::KSweep sweep = segkit::sweep_k(f["X"], mall_options, range);
  CHECK(sweep.silhouette_sampled);
  CHECK(sweep.silhouette_sample_size == 80);
  REQUIRE(sweep.silhouette_rows.size() == 80);
  CHECK(std::is_sorted(sweep.silhouette_rows.begin(), sweep.silhouette_rows.end()));
  CHECK(std::adjacent_find(sweep.silhouette_rows.begin(), sweep.silhouette_rows.end()) == sweep.silhouette_rows.end());
  CHECK(sweep.silhouette_rows.back() < 200);
  CHECK(sweep.recommendation.reason.find("random sample of 80 of the 200 rows") != std::string::npos);

  segkit::StandardScaler scaler;
  scaler.fit(f["X"]);
  const xt::xtensor<double, 2> scaled = scaler.transform(xt::xtensor<double, 2>(f["X"]));
  xt::xtensor<double, 2> rows = xt::zeros<double>({std::size_t{80}, std::size_t{2}});
  for (const segkit::KScore& s : sweep.scores) {
    std::vector<std::size_t> labels;
    for (std::size_t i = 0; i < 80; ++i) {
      const std::size_t r = sweep.silhouette_rows[i];
      rows(i, 0) = scaled(r, 0), rows(i, 1) = scaled(r, 1);
      labels.push_back(s.labels(r));
    }
    CHECK(s.silhouette == segkit::silhouette_score(rows, labels));
    // Davies-Bouldin and Calinski-Harabasz are cheap and stay on every row.
    CHECK(s.davies_bouldin == segkit::davies_bouldin_score(scaled, s.labels));
  }
  // Same seed, same sample; another seed, another sample.
  CHECK(segkit::sweep_k(f["X"], mall_options, range).silhouette_rows == sweep.silhouette_rows);
  segkit::Options other = mall_options;
  other.seed = 7;
  CHECK(segkit::sweep_k(f["X"], other, range).silhouette_rows != sweep.silhouette_rows);
}

TEST_CASE("stability: the adjusted Rand index of fits with other seeds") {
  const Fixture f("select_mall");
  const segkit::KSweep sweep =
      segkit::sweep_k(f["X"], mall_options, segkit::SweepOptions{.k_min = 4, .k_max = 6, .stability_runs = 2});
  for (const segkit::KScore& s : sweep.scores) {
    CAPTURE(s.k);
    REQUIRE(s.stability.has_value());
    REQUIRE(s.stability_min.has_value());
    CHECK(*s.stability_min <= *s.stability);
    CHECK(*s.stability <= 1.0);
    // Recomputed by hand from the two fits the sweep describes.
    double sum = 0;
    for (std::uint64_t r = 1; r <= 2; ++r) {
      segkit::Pipeline<> again(segkit::Options{.k = s.k, .n_init = 10, .seed = 42 + r});
      again.fit(f["X"]);
      sum += segkit::adjusted_rand_score(s.labels, again.labels());
    }
    CHECK(*s.stability == sum / 2);
  }
  CHECK(sweep.recommendation.reason.find("adjusted Rand index") != std::string::npos);
  CHECK_FALSE(
      segkit::sweep_k(f["X"], mall_options, segkit::SweepOptions{.k_min = 4, .k_max = 5}).at(4).stability.has_value());
}

TEST_CASE("a sweep with other policies: the policies are passed through") {
  const Fixture f("select_mall");
  using MinMax = segkit::Pipeline<segkit::MinMaxScaler>;
  const segkit::KSweep sweep = segkit::sweep_k<MinMax>(
      f["X"], mall_options, segkit::SweepOptions{.k_min = 4, .k_max = 6}, segkit::MinMaxScaler{});
  segkit::MinMaxScaler scaler;
  scaler.fit(f["X"]);
  const xt::xtensor<double, 2> scaled = scaler.transform(xt::xtensor<double, 2>(f["X"]));
  for (const segkit::KScore& s : sweep.scores)
    CHECK(s.calinski_harabasz == segkit::calinski_harabasz_score(scaled, s.labels));
}

TEST_CASE("sweep_k rejects a bad range or data with segkit::error") {
  const Fixture f("select_mall");
  using segkit::SweepOptions;
  CHECK_THROWS_WITH_AS(segkit::sweep_k(f["X"], mall_options, SweepOptions{.k_min = 1, .k_max = 4}),
                       doctest::Contains("k_min = 1"), segkit::error);
  CHECK_THROWS_AS(segkit::sweep_k(f["X"], mall_options, SweepOptions{.k_min = 5, .k_max = 4}), segkit::error);
  const xt::xtensor<double, 2> small = {{0, 0}, {1, 1}, {2, 0}, {5, 5}};
  CHECK_THROWS_WITH_AS(segkit::sweep_k(small, mall_options, SweepOptions{.k_min = 2, .k_max = 4}),
                       doctest::Contains("k_max = 4"), segkit::error);
  CHECK_THROWS_AS(segkit::sweep_k(f["X"], mall_options, SweepOptions{.k_max = 10, .silhouette_max_rows = 10}),
                  segkit::error);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const xt::xtensor<double, 2> with_nan = {{0, 0}, {1, nan}, {2, 0}, {5, 5}, {6, 6}};
  CHECK_THROWS_WITH_AS(segkit::sweep_k(with_nan, mall_options, SweepOptions{.k_min = 2, .k_max = 3}),
                       doctest::Contains("NaN"), segkit::error);
}

}  // namespace segkit_test_select
