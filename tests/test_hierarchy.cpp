// Agglomerative clustering against scipy.cluster.hierarchy.linkage and scikit-learn's
// AgglomerativeClustering (tests/fixtures/make_hierarchy_fixtures.py): Mall Customers and
// Wholesale customers, every linkage. Then the two-stage Ward of weighted centres, the
// same tree for any thread count, and bad input refused.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <segkit/data/csv.hpp>
#include <segkit/hierarchy/agglomerative.hpp>

#include "fixture.hpp"

namespace {

using segkit::test::Fixture;

const std::string hierarchy_bundled = std::string(SEGKIT_FIXTURE_DIR) + "/../../data/";

xt::xtensor<double, 2> hierarchy_data(const std::string& name) {
  if (name == "mall")
    return segkit::data::read_csv(hierarchy_bundled + "mall_customers/Mall_Customers.csv")
        .matrix({"Annual Income (k$)", "Spending Score (1-100)"});
  xt::xtensor<double, 2> X =
      segkit::data::read_csv(hierarchy_bundled + "wholesale_customers/Wholesale customers data.csv")
          .matrix({"Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"});
  for (double& v : X) v = std::log(v);
  return X;
}

// Whether two labellings are the same partition (equal up to the segments' numbering).
bool same_partition(const std::vector<std::size_t>& a, const xt::xtensor<double, 2>& b) {
  if (a.size() != b.shape(0)) return false;
  std::map<std::size_t, std::size_t> forward, backward;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto other = static_cast<std::size_t>(b(i, 0));
    if (forward.emplace(a[i], other).first->second != other) return false;
    if (backward.emplace(other, a[i]).first->second != a[i]) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("hierarchy: the merge heights of scipy's linkage and the segments of scikit-learn, every linkage") {
  const Fixture f("hierarchy");
  for (const auto& [name, k] : {std::pair<std::string, std::size_t>{"mall", 5}, {"wholesale", 4}}) {
    const xt::xtensor<double, 2> X = hierarchy_data(name);
    for (const char* method : {"ward", "complete", "average", "single"}) {
      INFO(name << ", " << method);
      const segkit::MergeTree tree = segkit::agglomerate(X, segkit::linkage_method(method), 2);
      const xt::xtensor<double, 2>& Z = f[name + "_" + method + "_linkage"];
      REQUIRE(tree.Z.shape(0) == Z.shape(0));
      // Heights in order, to rounding; where no two heights tie (Wholesale), the whole tree.
      bool heights = true, rows = true;
      for (std::size_t m = 0; m < Z.shape(0); ++m) {
        heights = heights && std::abs(tree.Z(m, 2) - Z(m, 2)) <= 1e-9 * std::max(1.0, Z(m, 2));
        rows = rows && tree.Z(m, 0) == Z(m, 0) && tree.Z(m, 1) == Z(m, 1) && tree.Z(m, 3) == Z(m, 3);
      }
      CHECK(heights);
      if (name == "wholesale") CHECK(rows);
      CHECK(same_partition(tree.cut(k), f[name + "_" + method + "_labels"]));
    }
  }
}

TEST_CASE("hierarchy: the cut, the two-stage Ward of weighted centres, threads change nothing") {
  const xt::xtensor<double, 2> X = hierarchy_data("wholesale");
  const segkit::MergeTree one = segkit::agglomerate(X, segkit::Linkage::ward, 1);
  const segkit::MergeTree three = segkit::agglomerate(X, segkit::Linkage::ward, 3);
  CHECK(one.Z == three.Z);
  const std::vector<std::size_t> labels = one.cut(4);
  CHECK(*std::max_element(labels.begin(), labels.end()) == 3);
  CHECK(labels.front() == 0);
  const std::vector<std::size_t> all = one.cut(X.shape(0));
  for (std::size_t i = 0; i < all.size(); ++i) CHECK(all[i] == i);
  const std::vector<std::size_t> whole = one.cut(1);
  CHECK(std::count(whole.begin(), whole.end(), 0u) == static_cast<long>(X.shape(0)));
  // Heights never fall, and the last merge holds everyone.
  for (std::size_t m = 1; m < one.Z.shape(0); ++m) CHECK(one.Z(m, 2) >= one.Z(m - 1, 2));
  CHECK(one.Z(one.Z.shape(0) - 1, 3) == static_cast<double>(X.shape(0)));
  // Duplicated customers weighted by their count give the tree of the customers (above the zeros).
  xt::xtensor<double, 2> twice = xt::empty<double>({2 * X.shape(0), X.shape(1)});
  for (std::size_t i = 0; i < X.shape(0); ++i)
    for (std::size_t j = 0; j < X.shape(1); ++j) twice(2 * i, j) = twice(2 * i + 1, j) = X(i, j);
  const segkit::MergeTree doubled = segkit::agglomerate(twice, segkit::Linkage::ward, 2);
  const segkit::MergeTree weighted = segkit::ward_of_centres(X, std::vector<double>(X.shape(0), 2.0), 2);
  for (std::size_t m = 0; m < weighted.Z.shape(0); ++m) {
    const std::size_t at = m + X.shape(0);  // past the merges of each customer with its copy, at height 0
    CHECK(doubled.Z(at, 2) == doctest::Approx(weighted.Z(m, 2)).epsilon(1e-9));
    CHECK(doubled.Z(at, 3) == weighted.Z(m, 3));
  }
}

TEST_CASE("hierarchy: bad input is refused with a message") {
  const xt::xtensor<double, 2> one_row = xt::ones<double>({1, 2});
  CHECK_THROWS_WITH_AS(segkit::agglomerate(one_row), "a merge tree needs at least 2 customers, X has 1", segkit::error);
  CHECK_THROWS_WITH_AS(segkit::linkage_method("centroid"),
                       "the linkage must be ward, complete, average or single, not \"centroid\"", segkit::error);
  xt::xtensor<double, 2> bad = xt::ones<double>({4, 2});
  bad(2, 1) = std::nan("");
  CHECK_THROWS_AS(segkit::agglomerate(bad), segkit::error);
  const xt::xtensor<double, 2> X = hierarchy_data("mall");
  const segkit::MergeTree tree = segkit::agglomerate(X);
  CHECK_THROWS_WITH_AS(tree.cut(0), "a cut into 0 segments of 200 customers", segkit::error);
  CHECK_THROWS_WITH_AS(segkit::ward_of_centres(X, std::vector<double>(3, 1.0)), "3 sizes for 200 centres",
                       segkit::error);
  CHECK_THROWS_WITH_AS(segkit::ward_of_centres(X, std::vector<double>(200, 0.0)),
                       "a centre's size must be a positive number", segkit::error);
}
