#pragma once
// Prepared features read back as numbers and categories: the preparation one-hot encodes
// each categorical column, and the algorithms that keep a category as one (k-prototypes,
// k-medoids with Gower's dissimilarity) read each column's level back from its one-hot
// features.

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"

namespace segkit::features {

/// Prepared features where each categorical column is one-hot encoded, read back as numbers
/// and categories (k-prototypes, Gower's k-medoids): which features are numbers and which
/// one-hot features make each column (its code: the level whose feature is 1, or an unseen
/// one, the column's level count, when none is).
struct MixedColumns {
  std::vector<std::size_t> numeric;
  std::vector<std::vector<std::size_t>> categories;

  /// The columns of prepared features of `width` given the one-hot features of each categorical column.
  static MixedColumns of(std::size_t width, std::vector<std::vector<std::size_t>> groups) {
    MixedColumns out{{}, std::move(groups)};
    std::vector<char> categorical(width, 0);
    for (const auto& group : out.categories)
      for (const std::size_t j : group) {
        if (j >= width) throw error("one-hot feature " + std::to_string(j) + " of " + std::to_string(width));
        categorical[j] = 1;
      }
    for (std::size_t j = 0; j < width; ++j)
      if (!categorical[j]) out.numeric.push_back(j);
    return out;
  }

  /// The numeric columns of the (scaled or prepared) features.
  xt::xtensor<double, 2> numbers(const xt::xtensor<double, 2>& scaled) const {
    xt::xtensor<double, 2> out = xt::empty<double>({scaled.shape(0), numeric.size()});
    for (std::size_t i = 0; i < scaled.shape(0); ++i)
      for (std::size_t j = 0; j < numeric.size(); ++j) out(i, j) = scaled(i, numeric[j]);
    return out;
  }

  /// Each categorical column's code in the prepared (unscaled) one-hot features.
  xt::xtensor<std::size_t, 2> codes(const xt::xtensor<double, 2>& prepared) const {
    xt::xtensor<std::size_t, 2> out = xt::empty<std::size_t>({prepared.shape(0), categories.size()});
    for (std::size_t i = 0; i < prepared.shape(0); ++i)
      for (std::size_t l = 0; l < categories.size(); ++l) {
        std::size_t code = categories[l].size();
        for (std::size_t v = 0; v < categories[l].size() && code == categories[l].size(); ++v)
          if (prepared(i, categories[l][v]) == 1) code = v;
        out(i, l) = code;
      }
    return out;
  }

  /// Which columns of mixed()'s rows are categorical: the numbers first, then the categories.
  std::vector<bool> categorical() const {
    std::vector<bool> out(numeric.size() + categories.size(), false);
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(numeric.size()), out.end(), true);
    return out;
  }

  /// The numbers (as given) then the categories' codes, one row per customer, and which
  /// of those columns are categorical: the rows Gower's dissimilarity reads.
  std::pair<xt::xtensor<double, 2>, std::vector<bool>> mixed(const xt::xtensor<double, 2>& prepared) const {
    const std::size_t n = prepared.shape(0), p = numeric.size(), q = categories.size();
    xt::xtensor<double, 2> out = xt::empty<double>({n, p + q});
    const xt::xtensor<std::size_t, 2> code = codes(prepared);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < p; ++j) out(i, j) = prepared(i, numeric[j]);
      for (std::size_t l = 0; l < q; ++l) out(i, p + l) = static_cast<double>(code(i, l));
    }
    return {std::move(out), categorical()};
  }
};

}  // namespace segkit::features
