// k-prototypes on marketing_campaign with Education and Marital_Status as categories: every
// customer segmented, the loss never rising, the same result for 1 and 2 threads, a fixed
// point of means and modes; Cao's start; numbers alone are Lloyd's k-means; bad input.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <segkit/data/csv.hpp>
#include <segkit/prototypes/kprototypes.hpp>

namespace segkit_test_kprototypes {

namespace {

/// marketing_campaign: standardised Income (rows without one left out), Recency and MntWines,
/// and the codes of Education and Marital_Status (their levels in order of first appearance).
struct Mixed {
  xt::xtensor<double, 2> numbers;
  xt::xtensor<std::size_t, 2> categories;
  std::vector<std::vector<std::string>> levels;
};

Mixed marketing() {
  const segkit::data::Table t = segkit::data::read_csv(std::string(SEGKIT_FIXTURE_DIR) +
                                                       "/../../data/customer_personality/marketing_campaign.csv");
  const auto& income = t.column("Income");
  std::vector<std::size_t> rows;
  for (std::size_t i = 0; i < t.rows(); ++i)
    if (!income.missing(i)) rows.push_back(i);
  Mixed out;
  const std::vector<std::string> numeric = {"Income", "Recency", "MntWines"},
                                 categorical = {"Education", "Marital_Status"};
  out.numbers = xt::empty<double>({rows.size(), numeric.size()});
  for (std::size_t j = 0; j < numeric.size(); ++j) {
    const auto& values = t.column(numeric[j]).numbers();
    double mean = 0, square = 0;
    for (const std::size_t r : rows) mean += values[r];
    mean /= static_cast<double>(rows.size());
    for (const std::size_t r : rows) square += (values[r] - mean) * (values[r] - mean);
    const double sd = std::sqrt(square / static_cast<double>(rows.size()));
    for (std::size_t i = 0; i < rows.size(); ++i) out.numbers(i, j) = (values[rows[i]] - mean) / sd;
  }
  out.categories = xt::empty<std::size_t>({rows.size(), categorical.size()});
  out.levels.resize(categorical.size());
  for (std::size_t l = 0; l < categorical.size(); ++l) {
    const auto& texts = t.column(categorical[l]).texts();
    for (std::size_t i = 0; i < rows.size(); ++i) {
      auto& levels = out.levels[l];
      const auto at = std::find(levels.begin(), levels.end(), texts[rows[i]]);
      out.categories(i, l) = static_cast<std::size_t>(at - levels.begin());
      if (at == levels.end()) levels.push_back(texts[rows[i]]);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("k-prototypes: marketing_campaign's categories as categories, the loss never rising, any thread count") {
  const Mixed data = marketing();
  const std::size_t n = data.numbers.shape(0);
  REQUIRE(n == 2216);
  REQUIRE(data.levels[0].size() == 5);  // Graduation, PhD, Master, Basic, 2n Cycle
  REQUIRE(data.levels[1].size() == 8);  // Single, Together, Married, Divorced, Widow, Alone, Absurd, YOLO
  for (const segkit::PrototypeStart start : {segkit::PrototypeStart::cao, segkit::PrototypeStart::huang}) {
    segkit::KPrototypes two({.k = 4, .start = start, .n_init = 3, .seed = 7, .threads = 2});
    two.fit(data.numbers, data.categories);
    INFO("start " << static_cast<int>(start));
    // Half the mean standard deviation of standardised columns.
    CHECK(two.gamma() == doctest::Approx(0.5).epsilon(1e-12));
    CHECK(two.converged());
    // Every customer segmented, in its cheapest prototype.
    const auto& labels = two.labels();
    REQUIRE(labels.size() == n);
    CHECK(two.predict(data.numbers, data.categories) == labels);
    // The loss never rises from one assignment to the next.
    REQUIRE(two.losses().size() >= 2);
    for (std::size_t s = 1; s < two.losses().size(); ++s) CHECK(two.losses()[s] <= two.losses()[s - 1]);
    // A fixed point: each prototype is its customers' means and modes, and the loss their cost.
    std::vector<std::size_t> size(4, 0);
    std::vector<std::vector<double>> sums(4, std::vector<double>(3, 0.0));
    std::vector<std::map<std::size_t, std::size_t>> education(4), marital(4);
    double loss = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t c = labels(i);
      ++size[c];
      for (std::size_t j = 0; j < 3; ++j) sums[c][j] += data.numbers(i, j);
      ++education[c][data.categories(i, 0)];
      ++marital[c][data.categories(i, 1)];
      for (std::size_t j = 0; j < 3; ++j)
        loss += (data.numbers(i, j) - two.means()(c, j)) * (data.numbers(i, j) - two.means()(c, j));
      loss +=
          two.gamma() * ((data.categories(i, 0) != two.modes()(c, 0)) + (data.categories(i, 1) != two.modes()(c, 1)));
    }
    CHECK(two.loss() == doctest::Approx(loss).epsilon(1e-12));
    const auto mode = [](const std::map<std::size_t, std::size_t>& counts) {
      std::size_t best = counts.begin()->first;
      for (const auto& [code, count] : counts)
        if (count > counts.at(best)) best = code;
      return best;
    };
    for (std::size_t c = 0; c < 4; ++c) {
      REQUIRE(size[c] > 0);
      for (std::size_t j = 0; j < 3; ++j)
        CHECK(two.means()(c, j) == doctest::Approx(sums[c][j] / static_cast<double>(size[c])).epsilon(1e-12));
      CHECK(two.modes()(c, 0) == mode(education[c]));
      CHECK(two.modes()(c, 1) == mode(marital[c]));
    }
    // One thread: the same prototypes, labels and losses, bit for bit.
    segkit::KPrototypes one({.k = 4, .start = start, .n_init = 3, .seed = 7, .threads = 1});
    one.fit(data.numbers, data.categories);
    CHECK(one.labels() == two.labels());
    CHECK(one.losses() == two.losses());
    CHECK(one.means() == two.means());
    CHECK(one.modes() == two.modes());
    // Float rows are measured in double: the same as the double fit of the same values.
    const xt::xtensor<float, 2> narrow = xt::cast<float>(data.numbers);
    segkit::KPrototypes from_float({.k = 4, .start = start, .n_init = 3, .seed = 7, .threads = 2});
    from_float.fit(narrow, data.categories);
    segkit::KPrototypes widened({.k = 4, .start = start, .n_init = 3, .seed = 7, .threads = 2});
    widened.fit(xt::xtensor<double, 2>(xt::cast<double>(narrow)), data.categories);
    CHECK(from_float.labels() == widened.labels());
    CHECK(from_float.means() == widened.means());
    CHECK(from_float.predict(narrow, data.categories) == from_float.labels());
  }
}

TEST_CASE("k-prototypes: Cao's start is the densest customer first, and numbers alone are Lloyd's k-means") {
  const Mixed data = marketing();
  segkit::KPrototypes model({.k = 3, .gamma = 1.0});
  model.fit(data.numbers, data.categories);
  // Density: the mean share of customers sharing each of a customer's two categories.
  const std::size_t n = data.numbers.shape(0);
  std::vector<std::map<std::size_t, std::size_t>> frequency(2);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t l = 0; l < 2; ++l) ++frequency[l][data.categories(i, l)];
  std::size_t densest = 0;
  const auto density = [&](std::size_t i) {
    return frequency[0][data.categories(i, 0)] + frequency[1][data.categories(i, 1)];
  };
  for (std::size_t i = 1; i < n; ++i)
    if (density(i) > density(densest)) densest = i;
  CHECK(model.start().front() == densest);
  CHECK(model.start().size() == 3);

  // No categories: Lloyd's iterations from the start's rows, done here by hand.
  const xt::xtensor<std::size_t, 2> none = xt::empty<std::size_t>({n, std::size_t{0}});
  segkit::KPrototypes numeric({.k = 3});
  numeric.fit(data.numbers, none);
  xt::xtensor<double, 2> centres = xt::empty<double>({std::size_t{3}, std::size_t{3}});
  for (std::size_t c = 0; c < 3; ++c)
    for (std::size_t j = 0; j < 3; ++j) centres(c, j) = data.numbers(numeric.start()[c], j);
  std::vector<std::size_t> labels(n, 0);
  for (std::size_t iteration = 0; iteration < 300; ++iteration) {
    bool moved = false;
    for (std::size_t i = 0; i < n; ++i) {
      std::size_t best = 0;
      double least = INFINITY;
      for (std::size_t c = 0; c < 3; ++c) {
        double s = 0;
        for (std::size_t j = 0; j < 3; ++j)
          s += (data.numbers(i, j) - centres(c, j)) * (data.numbers(i, j) - centres(c, j));
        if (s < least) least = s, best = c;
      }
      moved = moved || best != labels[i] || iteration == 0;
      labels[i] = best;
    }
    if (!moved) break;
    centres.fill(0);
    std::vector<double> size(3, 0);
    for (std::size_t i = 0; i < n; ++i) {
      size[labels[i]] += 1;
      for (std::size_t j = 0; j < 3; ++j) centres(labels[i], j) += data.numbers(i, j);
    }
    for (std::size_t c = 0; c < 3; ++c)
      for (std::size_t j = 0; j < 3; ++j) centres(c, j) /= size[c];
  }
  CHECK(std::vector<std::size_t>(numeric.labels().begin(), numeric.labels().end()) == labels);
}

TEST_CASE("k-prototypes: bad input is refused with a message") {
  const xt::xtensor<double, 2> numbers = {{1, 2}, {3, 4}, {5, 6}};
  const xt::xtensor<std::size_t, 2> categories = {{0}, {1}, {0}};
  CHECK_THROWS_WITH_AS(segkit::KPrototypes({.k = 0}).fit(numbers, categories), doctest::Contains("k >= 1"),
                       segkit::error);
  CHECK_THROWS_WITH_AS(segkit::KPrototypes({.k = 4}).fit(numbers, categories),
                       doctest::Contains("k = 4 prototypes of 3 customers"), segkit::error);
  const xt::xtensor<std::size_t, 2> short_categories = {{0}, {1}};
  CHECK_THROWS_WITH_AS(segkit::KPrototypes({.k = 2}).fit(numbers, short_categories),
                       doctest::Contains("3 rows of numbers but 2 rows of categories"), segkit::error);
  xt::xtensor<double, 2> bad = numbers;
  bad(1, 0) = NAN;
  CHECK_THROWS_AS(segkit::KPrototypes({.k = 2}).fit(bad, categories), segkit::error);
  CHECK_THROWS_WITH_AS(segkit::KPrototypes({.k = 2, .gamma = -1.0}).fit(numbers, categories),
                       doctest::Contains("gamma must be a finite number >= 0"), segkit::error);
  CHECK_THROWS_WITH_AS(segkit::KPrototypes({.k = 2}).predict(numbers, categories),
                       doctest::Contains("predict before fit"), segkit::error);
  segkit::KPrototypes model({.k = 2});
  model.fit(numbers, categories);
  const xt::xtensor<double, 2> wide = xt::zeros<double>({1, 3});
  const xt::xtensor<std::size_t, 2> one = {{0}};
  CHECK_THROWS_WITH_AS(model.predict(wide, one), doctest::Contains("customers of 3 numeric and 1 categorical"),
                       segkit::error);
  // A code the fit never saw differs from every mode: the customer is placed by its numbers.
  const xt::xtensor<double, 2> near_first = {{1, 2}};
  const xt::xtensor<std::size_t, 2> unseen = {{9}};
  CHECK(model.predict(near_first, unseen)(0) == model.labels()(0));
}

}  // namespace segkit_test_kprototypes
