#pragma once
// RandomInit: k distinct rows drawn uniformly (Forgy).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/core/random.hpp"

namespace segkit {

struct RandomInit {
  template <class T, class D>
  xt::xtensor<T, 2> initial_centers(const xt::xtensor<T, 2>& X, std::size_t k, const D& /*distance*/,
                                    std::uint64_t seed, std::size_t /*threads*/) const {
    const std::size_t n = X.shape(0), d = X.shape(1);
    detail::Rng rng(seed);
    std::vector<std::size_t> index(n);
    std::iota(index.begin(), index.end(), std::size_t{0});
    xt::xtensor<T, 2> centers = xt::zeros<T>({k, d});
    for (std::size_t c = 0; c < k; ++c) {  // partial Fisher-Yates: the first k of a random permutation
      std::swap(index[c], index[c + rng.below(n - c)]);
      std::copy_n(X.data() + index[c] * d, d, centers.data() + c * d);
    }
    return centers;
  }
};

}  // namespace segkit
