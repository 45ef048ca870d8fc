// Pipeline: composition, n_init, determinism, predict, lazily computed score.

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <segkit/segkit.hpp>

#include "fixture.hpp"

// The suite's files are compiled together (a unity build): each keeps its helpers to itself.
namespace segkit_test_pipeline {

using segkit::test::Fixture;

TEST_CASE("Pipeline with NoScaling and GivenCenters reproduces scikit-learn's Lloyd") {
  const Fixture f("mall");
  segkit::Pipeline<segkit::NoScaling, segkit::GivenCenters> pipeline(segkit::Options{.k = 5}, segkit::NoScaling{},
                                                                     segkit::GivenCenters{f["lloyd_k5_init"]});
  pipeline.fit(f["X"]);
  CHECK(pipeline.labels() == xt::cast<std::size_t>(xt::flatten(f["lloyd_k5_labels"])));
  segkit::test::check_close(pipeline.centers(), f["lloyd_k5_centers"], 1e-9);
  CHECK(pipeline.inertia() == doctest::Approx(f.scalar("lloyd_k5_inertia")).epsilon(1e-12));
  CHECK(pipeline.score() == doctest::Approx(f.scalar("lloyd_k5_silhouette")).epsilon(1e-12));
  CHECK(pipeline.converged());
  CHECK(pipeline.iterations() == static_cast<std::size_t>(f.scalar("lloyd_k5_iterations")));
}

TEST_CASE("centres come back in original units, and predict reproduces the fit's labels") {
  const Fixture f("wholesale");
  segkit::Pipeline<> pipeline(segkit::Options{.k = 4, .n_init = 3, .seed = 5});
  pipeline.fit(f["X"]);
  const auto& labels = pipeline.labels();
  CHECK(pipeline.predict(f["X"]) == labels);
  // Each centre is the mean of its segment's rows in the original units.
  for (std::size_t c = 0; c < 4; ++c) {
    xt::xtensor<double, 1> sum = xt::zeros<double>({f["X"].shape(1)});
    double count = 0;
    for (std::size_t i = 0; i < labels.size(); ++i)
      if (labels(i) == c) sum += xt::view(f["X"], i, xt::all()), ++count;
    REQUIRE(count > 0);
    segkit::test::check_close(xt::view(pipeline.centers(), c, xt::all()), sum / count, 1e-9);
  }
  // The scaled centres are the standardised centres.
  segkit::test::check_close(pipeline.scaled_centers(), (pipeline.centers() - f["standard_mean"]) / f["standard_scale"],
                            1e-9, 1e-3);
}

TEST_CASE_TEMPLATE("the fit is its best start: k-means++ from derive_seed(seed, start), then Lloyd", T, float, double) {
  // Rows enough that the starts run one after the other on all threads (their k-means++
  // centres come from shared passes over X), and few enough that they run side by side.
  for (const std::size_t n : {std::size_t{40000}, std::size_t{3000}}) {
    std::mt19937_64 rng(n);
    std::normal_distribution<double> normal;
    xt::xtensor<T, 2> X = xt::empty<T>({n, std::size_t{12}});
    for (auto& v : X) v = static_cast<T>(normal(rng));
    for (std::size_t i = 0; i < n; ++i) X(i, i % 12) += T(6);  // twelve loose groups
    const segkit::Options options{.k = 9, .n_init = 5, .seed = 2024, .threads = 2};
    segkit::Pipeline<segkit::NoScaling> pipeline(options);
    pipeline.fit(X);

    std::optional<segkit::Clustering<T>> best;
    for (std::size_t start = 0; start < options.n_init; ++start) {
      segkit::Options one = options;
      one.seed = segkit::detail::derive_seed(options.seed, start);
      const auto initial = segkit::KMeansPlusPlus{}.initial_centers(X, 9, segkit::SquaredEuclidean{}, one.seed, 1);
      auto run = segkit::Lloyd{}.cluster(X, initial, segkit::SquaredEuclidean{}, one);
      if (!best || run.inertia < best->inertia) best = std::move(run);
    }
    CAPTURE(n);
    CHECK(pipeline.labels() == best->labels);
    CHECK(pipeline.inertia() == best->inertia);
    CHECK(pipeline.iterations() == best->iterations);
    CHECK(pipeline.scaled_centers() == xt::cast<double>(best->centers));
  }
}

TEST_CASE("fit_scaled fits a shared scaled matrix as fit does, keeps it without a copy, refuses bad input") {
  const Fixture f("wholesale");
  const segkit::Options options{.k = 4, .n_init = 3, .seed = 5};
  segkit::Pipeline<> whole(options);
  whole.fit(f["X"]);

  segkit::StandardScaler scaler;
  scaler.fit(xt::xtensor<double, 2>(f["X"]));
  const auto scaled = std::make_shared<const xt::xtensor<double, 2>>(scaler.transform(xt::xtensor<double, 2>(f["X"])));
  segkit::Pipeline<> shared(options);
  shared.fit_scaled(scaler, scaled);
  CHECK(shared.labels() == whole.labels());
  CHECK(shared.centers() == whole.centers());
  CHECK(shared.inertia() == whole.inertia());
  CHECK(shared.score() == whole.score());
  CHECK(shared.predict(f["X"]) == whole.labels());
  CHECK(scaled.use_count() == 2);  // the Pipeline holds the caller's matrix, not a copy

  CHECK_THROWS_WITH_AS(shared.fit_scaled(scaler, std::shared_ptr<const xt::xtensor<double, 2>>()),
                       doctest::Contains("null"), segkit::error);
  segkit::Pipeline<> too_many(segkit::Options{.k = 500});
  CHECK_THROWS_AS(too_many.fit_scaled(scaler, scaled), segkit::error);
  auto with_nan = std::make_shared<xt::xtensor<double, 2>>(*scaled);
  (*with_nan)(3, 1) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH_AS(shared.fit_scaled(scaler, std::shared_ptr<const xt::xtensor<double, 2>>(with_nan)),
                       doctest::Contains("NaN"), segkit::error);
}

TEST_CASE_TEMPLATE("same seed, same result: bit-identical for 1, 2 and all threads and on a rerun", T, float, double) {
  const Fixture f("ccgeneral");
  const xt::xtensor<T, 2> X = xt::cast<T>(f["X"]);
  auto fit = [&](std::size_t threads) {
    segkit::Pipeline<> p(segkit::Options{.k = 6, .n_init = 3, .seed = 99, .threads = threads});
    p.fit(X);
    return p;
  };
  const auto reference = fit(1);
  for (std::size_t threads : {1u, 2u, 0u}) {
    CAPTURE(threads);
    const auto other = fit(threads);
    CHECK(other.labels() == reference.labels());
    CHECK(other.centers() == reference.centers());
    CHECK(other.inertia() == reference.inertia());
    CHECK(other.iterations() == reference.iterations());
  }
  segkit::Pipeline<> other_seed(segkit::Options{.k = 6, .n_init = 3, .seed = 100});
  other_seed.fit(X);
  CHECK(other_seed.centers() != reference.centers());
}

TEST_CASE("n_init keeps the lowest inertia of its starts, each seeded from the seed alone") {
  const Fixture f("marketing");
  const segkit::Options base{.k = 7, .n_init = 1, .seed = 3};
  // The starts of an n_init = 5 run are the same as five single starts with derived seeds.
  double lowest = INFINITY;
  for (std::uint64_t start = 0; start < 5; ++start) {
    segkit::Pipeline<segkit::StandardScaler, segkit::GivenCenters> single(
        base, segkit::StandardScaler{},
        segkit::GivenCenters{xt::cast<double>(segkit::KMeansPlusPlus{}.initial_centers(
            segkit::StandardScaler{}.fit(f["X"]).transform(f["X"]), 7, segkit::SquaredEuclidean{},
            segkit::detail::derive_seed(3, start), 1))});
    single.fit(f["X"]);
    lowest = std::min(lowest, single.inertia());
  }
  segkit::Pipeline<> multi(segkit::Options{.k = 7, .n_init = 5, .seed = 3});
  multi.fit(f["X"]);
  CHECK(multi.inertia() == lowest);
  segkit::Pipeline<> first(base);
  first.fit(f["X"]);
  CHECK(multi.inertia() <= first.inertia());
}

TEST_CASE("float data is clustered in float, the fitted state is double") {
  const Fixture f("mall");
  const xt::xtensor<float, 2> Xf = xt::cast<float>(f["X"]);
  segkit::Pipeline<> pf(segkit::Options{.k = 5, .n_init = 4, .seed = 1});
  pf.fit(Xf);
  segkit::Pipeline<> pd(segkit::Options{.k = 5, .n_init = 4, .seed = 1});
  pd.fit(f["X"]);
  static_assert(std::is_same_v<std::decay_t<decltype(pf.centers())>, xt::xtensor<double, 2>>);
  CHECK(pf.inertia() == doctest::Approx(pd.inertia()).epsilon(1e-4));
  CHECK(pf.predict(Xf) == pf.labels());
  CHECK(pf.predict(f["X"]) == pf.labels());  // double rows against a float fit
}

TEST_CASE("every policy combination composes and fits") {
  const Fixture f("mall");
  const segkit::Options options{.k = 5, .n_init = 2, .seed = 8};
  auto check = [&](auto pipeline) {
    pipeline.fit(f["X"]);
    CHECK(pipeline.labels().size() == 200);
    CHECK(xt::all(xt::isfinite(pipeline.centers())));
    CHECK(std::isfinite(pipeline.score()));
    CHECK(pipeline.predict(f["X"]) == pipeline.labels());
  };
  check(segkit::Pipeline<segkit::MinMaxScaler, segkit::RandomInit, segkit::Manhattan, segkit::Lloyd,
                         segkit::DaviesBouldin>(options));
  check(segkit::Pipeline<segkit::RobustScaler, segkit::KMeansPlusPlus, segkit::Cosine, segkit::Lloyd,
                         segkit::CalinskiHarabasz>(options));
  check(segkit::Pipeline<segkit::NoScaling, segkit::KMeansPlusPlus, segkit::SquaredEuclidean, segkit::Lloyd,
                         segkit::Inertia>(options));
}

TEST_CASE("score is computed when asked, and says which way is better") {
  const Fixture f("mall");
  segkit::Pipeline<segkit::StandardScaler, segkit::KMeansPlusPlus, segkit::SquaredEuclidean, segkit::Lloyd,
                   segkit::DaviesBouldin>
      pipeline(segkit::Options{.k = 5, .seed = 4});
  pipeline.fit(f["X"]);
  const double db = pipeline.score();
  CHECK(db == doctest::Approx(
                  segkit::davies_bouldin_score((f["X"] - f["standard_mean"]) / f["standard_scale"], pipeline.labels()))
                  .epsilon(1e-12));
  static_assert(!decltype(pipeline)::higher_score_is_better());
  static_assert(segkit::Pipeline<>::higher_score_is_better());
}

TEST_CASE("progress: a fit reports each start, a sweep each K, in order, on the caller's thread") {
  const Fixture f("mall");
  std::vector<std::string> events;
  const auto caller = std::this_thread::get_id();
  bool same_thread = true;
  segkit::Options options{.k = 3, .n_init = 3, .threads = 2};
  options.progress = [&](const segkit::Progress& p) {
    events.push_back(std::string(p.task) + " " + std::to_string(p.done) + "/" + std::to_string(p.total));
    same_thread = same_thread && std::this_thread::get_id() == caller;
  };
  segkit::Pipeline<> pipeline(options);
  pipeline.fit(f["X"]);
  CHECK(events == std::vector<std::string>{"start 0/3", "start 1/3", "start 2/3", "start 3/3"});
  events.clear();
  options.n_init = 1;
  segkit::sweep_k(f["X"], options, segkit::SweepOptions{.k_min = 2, .k_max = 3});
  CHECK(events ==
        std::vector<std::string>{"K 0/2", "start 0/1", "start 1/1", "K 1/2", "start 0/1", "start 1/1", "K 2/2"});
  CHECK(same_thread);
}

TEST_CASE("a matrix handed over (moved) gives the same fit as one lent, and as an expression") {
  const Fixture f("wholesale");
  const xt::xtensor<double, 2> X = f["X"];
  using P = segkit::Pipeline<segkit::RobustScaler>;
  P lent(segkit::Options{.k = 4, .n_init = 2, .seed = 5});
  lent.fit(X);
  P moved(segkit::Options{.k = 4, .n_init = 2, .seed = 5});
  xt::xtensor<double, 2> copy = X;
  moved.fit(std::move(copy));
  P expression(segkit::Options{.k = 4, .n_init = 2, .seed = 5});
  expression.fit(X + 0.0);
  for (const P* other : {&moved, &expression}) {
    CHECK(other->labels() == lent.labels());
    const bool same_centers = other->centers() == lent.centers();
    CHECK(same_centers);
    CHECK(other->inertia() == lent.inertia());
  }
}

TEST_CASE("score_with scores the fit on its scaled training data with any Evaluator, sampled or not") {
  const Fixture f("wholesale");
  segkit::Pipeline<> pipeline(segkit::Options{.k = 4, .n_init = 2, .seed = 3});
  pipeline.fit(f["X"]);
  const xt::xtensor<double, 2> scaled = segkit::StandardScaler{}.fit(f["X"]).transform(f["X"]);
  const auto& labels = pipeline.labels();
  CHECK(pipeline.score_with(segkit::Silhouette{}) == pipeline.score());
  CHECK(pipeline.score_with(segkit::Silhouette{}) == segkit::silhouette_score(scaled, labels));
  CHECK(pipeline.score_with(segkit::DaviesBouldin{}) == segkit::davies_bouldin_score(scaled, labels));
  CHECK(pipeline.score_with(segkit::CalinskiHarabasz{}) == segkit::calinski_harabasz_score(scaled, labels));

  // A sample of the rows: the silhouette of exactly those rows and their labels.
  std::vector<std::size_t> rows;
  for (std::size_t i = 0; i < labels.size(); i += 3) rows.push_back(i);
  xt::xtensor<double, 2> sample = xt::empty<double>({rows.size(), scaled.shape(1)});
  std::vector<std::size_t> sample_labels;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    xt::view(sample, r, xt::all()) = xt::view(scaled, rows[r], xt::all());
    sample_labels.push_back(labels(rows[r]));
  }
  const double sampled = pipeline.score_with(segkit::SampledSilhouette{rows});
  CHECK(sampled == segkit::silhouette_score(sample, sample_labels));
  CHECK(sampled != pipeline.score());
  CHECK_THROWS_WITH_AS(pipeline.score_with(segkit::SampledSilhouette{{0, labels.size()}}),
                       doctest::Contains("beyond the data's"), segkit::error);
  CHECK_THROWS_WITH_AS(segkit::Pipeline<>{}.score_with(segkit::DaviesBouldin{}), doctest::Contains("before fit()"),
                       segkit::error);
}

TEST_CASE("score() from many threads at once: every caller gets the fit's silhouette, and a copy keeps it") {
  const Fixture f("mall");
  segkit::Pipeline<segkit::NoScaling, segkit::GivenCenters> pipeline(
      segkit::Options{.k = 5, .threads = 1}, segkit::NoScaling{}, segkit::GivenCenters{f["lloyd_k5_init"]});
  pipeline.fit(f["X"]);
  std::vector<double> scores(4, 0.0);
  std::vector<std::thread> callers;
  for (std::size_t t = 0; t < scores.size(); ++t) callers.emplace_back([&, t] { scores[t] = pipeline.score(); });
  for (auto& c : callers) c.join();
  for (const double s : scores) CHECK(s == doctest::Approx(f.scalar("lloyd_k5_silhouette")).epsilon(1e-12));
  const auto copy = pipeline;
  CHECK(copy.score() == scores[0]);
}

// Every built-in clusterer and initializer satisfies its concept against a distance that
// gives nothing beyond the Distance concept (no SquaredEuclidean extras).
static_assert(segkit::Clusterer<segkit::Lloyd> && segkit::Clusterer<segkit::Hamerly> &&
              segkit::Clusterer<segkit::Yinyang> && segkit::Clusterer<segkit::MiniBatch>);
static_assert(segkit::Initializer<segkit::KMeansPlusPlus> && segkit::Initializer<segkit::KMeansParallel> &&
              segkit::Initializer<segkit::RandomInit> && segkit::Initializer<segkit::GivenCenters>);
static_assert(segkit::Distance<segkit::detail::DistanceArchetype>);

/// Lloyd's fit, but segments that are not the centres' cells: a row goes to the centre
/// farthest from it. Stands for a clusterer that assigns new rows its own way.
struct FarthestCentre : segkit::Lloyd {
  template <class T, class D>
  void predict(const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& centers, const D& distance, std::size_t* labels,
               std::size_t) const {
    const std::size_t d = X.shape(1);
    for (std::size_t i = 0; i < X.shape(0); ++i) {
      std::size_t far = 0;
      double farthest = -1;
      for (std::size_t c = 0; c < centers.shape(0); ++c) {
        const double v =
            distance.distance(std::span<const T>(X.data() + i * d, d), std::span<const T>(centers.data() + c * d, d));
        if (v > farthest) farthest = v, far = c;
      }
      labels[i] = far;
    }
  }
};

TEST_CASE("predict uses the clusterer's own assignment when it has one, the nearest centre otherwise") {
  const Fixture f("mall");
  const xt::xtensor<double, 2> X = f["X"];
  using Plain = segkit::Pipeline<segkit::StandardScaler, segkit::KMeansPlusPlus, segkit::SquaredEuclidean>;
  using Own =
      segkit::Pipeline<segkit::StandardScaler, segkit::KMeansPlusPlus, segkit::SquaredEuclidean, FarthestCentre>;
  static_assert(segkit::Clusterer<FarthestCentre>);
  const segkit::Options options{.k = 4, .n_init = 2, .seed = 3};
  Plain plain(options);
  Own own(options);
  plain.fit(X);
  own.fit(X);
  REQUIRE(own.scaled_centers() == plain.scaled_centers());  // the same fit
  const xt::xtensor<std::size_t, 1> nearest = plain.predict(X), farthest = own.predict(X);
  CHECK(xt::all(xt::equal(nearest, plain.labels())));
  const xt::xtensor<double, 2> scaled = plain.scaler().transform(X);
  const xt::xtensor<double, 2>& C = plain.scaled_centers();
  std::size_t differ = 0;
  for (std::size_t i = 0; i < X.shape(0); ++i) {
    double far = -1;
    std::size_t expected = 0;
    for (std::size_t c = 0; c < C.shape(0); ++c) {
      double s = 0;
      for (std::size_t j = 0; j < X.shape(1); ++j) s += (scaled(i, j) - C(c, j)) * (scaled(i, j) - C(c, j));
      if (s > far) far = s, expected = c;
    }
    CHECK(farthest(i) == expected);
    CHECK(own.predict_one(std::span<const double>(X.data() + i * X.shape(1), X.shape(1))) == expected);
    differ += farthest(i) != nearest(i);
  }
  CHECK(differ == X.shape(0));  // with 4 segments, a row's farthest centre is never its nearest
}

}  // namespace segkit_test_pipeline
