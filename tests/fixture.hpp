#pragma once
// Reads the reference fixtures written by tests/fixtures/make_fixtures.py:
//   @array NAME ROWS COLS   followed by ROWS lines of COLS numbers; '#' starts a comment line.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>

#include <doctest/doctest.h>
#include <xtensor/xio.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

namespace segkit::test {

class Fixture {
 public:
  explicit Fixture(const std::string& name) {
    const std::string path = std::string(SEGKIT_FIXTURE_DIR) + "/" + name + ".txt";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open fixture " + path);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      std::istringstream header(line);
      std::string tag, array;
      std::size_t rows = 0, cols = 0;
      header >> tag >> array >> rows >> cols;
      if (tag != "@array") throw std::runtime_error("malformed fixture line in " + path + ": " + line);
      xt::xtensor<double, 2> values = xt::zeros<double>({rows, cols});
      for (std::size_t i = 0; i < rows * cols; ++i)
        if (!(in >> values.data()[i])) throw std::runtime_error("fixture " + path + ": short array " + array);
      std::getline(in, line);  // rest of the last row
      arrays_[array] = std::move(values);
    }
  }

  const xt::xtensor<double, 2>& operator[](const std::string& array) const {
    const auto it = arrays_.find(array);
    if (it == arrays_.end()) throw std::runtime_error("fixture has no array " + array);
    return it->second;
  }
  double scalar(const std::string& array) const { return (*this)[array](0, 0); }
  bool has(const std::string& array) const { return arrays_.count(array) != 0; }

 private:
  std::map<std::string, xt::xtensor<double, 2>> arrays_;
};

/// Checks |a - b| <= rel * max(|a|, |b|) elementwise (and equal shapes).
template <class A, class B>
void check_close(const A& a, const B& b, double rel, double abs_floor = 0.0) {
  REQUIRE(a.size() == b.size());
  double worst = 0;
  std::size_t where = 0;
  auto ia = a.begin();
  auto ib = b.begin();
  for (std::size_t i = 0; ia != a.end(); ++ia, ++ib, ++i) {
    const double x = static_cast<double>(*ia), y = static_cast<double>(*ib);
    const double err = std::abs(x - y) / std::max({std::abs(x), std::abs(y), abs_floor, 1e-300});
    if (err > worst) worst = err, where = i;
  }
  INFO("worst relative difference " << worst << " at flat index " << where);
  CHECK(worst <= rel);
}

inline const char* const datasets[] = {"mall", "wholesale", "marketing", "ccgeneral"};

/// k Gaussian blobs in d dimensions (unit noise, centres uniform in [-spread, spread]).
template <class T>
xt::xtensor<T, 2> blobs(std::size_t n, std::size_t d, std::size_t k, double spread, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(-spread, spread);
  std::normal_distribution<double> noise(0.0, 1.0);
  xt::xtensor<double, 2> centres = xt::empty<double>({k, d});
  for (auto& v : centres) v = uniform(rng);
  xt::xtensor<T, 2> X = xt::empty<T>({n, d});
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = rng() % k;
    for (std::size_t j = 0; j < d; ++j) X(i, j) = static_cast<T>(centres(c, j) + noise(rng));
  }
  return X;
}

}  // namespace segkit::test
