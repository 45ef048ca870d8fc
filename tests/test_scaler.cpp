// Scalers against scikit-learn's fitted parameters, and their edge cases.

#include <limits>

#include <doctest/doctest.h>

#include <segkit/scaler/minmax.hpp>
#include <segkit/scaler/none.hpp>
#include <segkit/scaler/robust.hpp>
#include <segkit/scaler/standard.hpp>

#include "fixture.hpp"

// The suite's files are compiled together (a unity build): each keeps its helpers to itself.
namespace segkit_test_scaler {

using segkit::test::Fixture;

namespace {

xt::xtensor<double, 1> as_tensor(const std::vector<double>& v) {
  xt::xtensor<double, 1> out = xt::empty<double>({v.size()});
  std::copy(v.begin(), v.end(), out.begin());
  return out;
}

}  // namespace

TEST_CASE_TEMPLATE("scalers learn scikit-learn's parameters on the real datasets", T, float, double) {
  // float data is converted exactly to double before the statistics, so only
  // the data's own rounding separates the two types.
  const double tol = std::is_same_v<T, float> ? 1e-6 : 1e-12;
  for (const std::string name : segkit::test::datasets) {
    CAPTURE(name);
    const Fixture f(name);
    const xt::xtensor<T, 2> X = xt::cast<T>(f["X"]);
    segkit::StandardScaler standard;
    standard.fit(X);
    segkit::test::check_close(as_tensor(standard.center()), xt::flatten(f["standard_mean"]), tol, 1e-3);
    segkit::test::check_close(as_tensor(standard.scale()), xt::flatten(f["standard_scale"]), tol);
    segkit::MinMaxScaler minmax;
    minmax.fit(X);
    segkit::test::check_close(as_tensor(minmax.center()), xt::flatten(f["minmax_min"]), tol);
    segkit::test::check_close(as_tensor(minmax.scale()), xt::flatten(f["minmax_range"]), tol);
    segkit::RobustScaler robust;
    robust.fit(X);
    segkit::test::check_close(as_tensor(robust.center()), xt::flatten(f["robust_center"]), tol);
    segkit::test::check_close(as_tensor(robust.scale()), xt::flatten(f["robust_scale"]), tol);
  }
}

TEST_CASE_TEMPLATE("transform and inverse_transform are each other's inverse", T, float, double) {
  const Fixture f("wholesale");
  const xt::xtensor<T, 2> X = xt::cast<T>(f["X"]);
  segkit::StandardScaler scaler;
  scaler.fit(X);
  const xt::xtensor<T, 2> Z = scaler.transform(X);
  static_assert(std::is_same_v<typename decltype(Z)::value_type, T>);
  // Standardised columns: mean 0, population standard deviation 1.
  const xt::xtensor<double, 2> Zd = xt::cast<double>(Z);
  CHECK(xt::allclose(xt::mean(Zd, {0}), 0.0, 0.0, 1e-5));
  CHECK(xt::allclose(xt::stddev(Zd, {0}), 1.0, 1e-5));
  const xt::xtensor<double, 2> back = scaler.inverse_transform(Zd);
  // float rows carry float's rounding times the column's scale (about 1e4 here).
  segkit::test::check_close(back, f["X"], std::is_same_v<T, float> ? 1e-6 : 1e-12,
                            std::is_same_v<T, float> ? 1e4 : 1.0);
}

TEST_CASE_TEMPLATE("transform_in_place writes what transform returns", T, float, double) {
  const Fixture f("wholesale");
  const xt::xtensor<T, 2> X = xt::cast<T>(f["X"]);
  auto check = [&](auto scaler) {
    scaler.fit(X);
    xt::xtensor<T, 2> in_place = X;
    scaler.transform_in_place(in_place);
    const bool same = in_place == scaler.transform(X);
    CHECK(same);
  };
  check(segkit::StandardScaler{});
  check(segkit::MinMaxScaler{});
  check(segkit::RobustScaler{});
  check(segkit::NoScaling{});
}

TEST_CASE_TEMPLATE("a constant column gets scale 1, never NaN", T, float, double) {
  const xt::xtensor<T, 2> X = {{1, 5}, {2, 5}, {3, 5}, {4, 5}};
  auto check = [&](auto scaler) {
    scaler.fit(X);
    const xt::xtensor<T, 2> Z = scaler.transform(X);
    CHECK(xt::all(xt::isfinite(Z)));
    CHECK(scaler.scale()[1] == 1.0);
  };
  check(segkit::StandardScaler{});
  check(segkit::MinMaxScaler{});
  check(segkit::RobustScaler{});
  check(segkit::NoScaling{});
}

TEST_CASE("MinMaxScaler maps onto [0, 1] and RobustScaler centres on the median") {
  const xt::xtensor<double, 2> X = {{1, -10}, {2, 0}, {3, 10}, {4, 20}, {100, 30}};
  segkit::MinMaxScaler minmax;
  minmax.fit(X);
  const auto Z = minmax.transform(X);
  CHECK(xt::amin(Z)() == 0.0);
  CHECK(xt::amax(Z)() == 1.0);
  segkit::RobustScaler robust;
  robust.fit(X);
  CHECK(robust.center()[0] == 3.0);  // the outlier 100 does not move the centre
  CHECK(robust.scale()[0] == 2.0);   // numpy's linear percentiles: q75 = 4, q25 = 2
  segkit::NoScaling none;
  none.fit(X);
  CHECK(none.transform(X) == X);
}

TEST_CASE("a scaler's state it cannot take is refused with the part at fault named in the message") {
  segkit::StandardScaler scaler;
  CHECK_THROWS_WITH_AS(scaler.set_parameters({0.0, 1.0}, {1.0, -1.0}), "scale[1] must be a positive number, not -1",
                       segkit::scaler_state_error);
  CHECK_THROWS_WITH_AS(scaler.set_state({{"scale", {1.0}}}), "center is missing", segkit::scaler_state_error);
  CHECK_THROWS_WITH_AS(scaler.set_state({{"center", {0.0}}, {"scale", {1.0}}, {"shift", {2.0}}}),
                       "shift is not a part of this scaler's state (\"center\", \"scale\")",
                       segkit::scaler_state_error);
  try {
    scaler.set_parameters({std::numeric_limits<double>::quiet_NaN()}, {1.0});
    FAIL("a NaN centre was taken");
  } catch (const segkit::scaler_state_error& e) {
    CHECK(e.entry() == "center[0]");
    CHECK(e.problem() == "must be a finite number, not NaN");
  }
  CHECK_FALSE(scaler.fitted());
}

}  // namespace segkit_test_scaler
