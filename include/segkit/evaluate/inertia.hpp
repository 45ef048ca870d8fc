#pragma once
// Inertia: the summed squared Euclidean distance of each row to its centre.

#include <cstddef>
#include <string>

#include <xtensor/xexpression.hpp>
#include <xtensor/xtensor.hpp>

#include "segkit/core/clustering.hpp"
#include "segkit/core/matrix.hpp"
#include "segkit/distance/nearest.hpp"
#include "segkit/distance/squared_euclidean.hpp"
#include "segkit/core/labels.hpp"

namespace segkit {

/// Inertia of `labels` (each an index into the rows of `centers`) on X.
template <class E, class L, class C>
double inertia_score(const xt::xexpression<E>& X, const L& labels, const xt::xexpression<C>& centers) {
  using T = compute_type_t<detail::expression_value_t<E>>;
  const detail::MatrixArg<T> X_arg(X, "X"), centers_arg(centers, "centers");
  const xt::xtensor<T, 2>& data = *X_arg;
  const xt::xtensor<T, 2>& centres = *centers_arg;
  detail::check_data(data, "X");
  detail::check_finite(centres, "centers");
  if (centres.shape(1) != data.shape(1))
    throw error("centers have " + std::to_string(centres.shape(1)) + " feature(s) but X has " +
                std::to_string(data.shape(1)));
  const auto values = detail::label_values(labels);
  if (values.size() != data.shape(0))
    throw error("X has " + std::to_string(data.shape(0)) + " row(s) but " + std::to_string(values.size()) +
                " label(s) were given");
  std::vector<std::size_t> index(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] < 0 || static_cast<std::size_t>(values[i]) >= centres.shape(0))
      throw error("label " + std::to_string(values[i]) + " at row " + std::to_string(i) +
                  " is out of range: there are " + std::to_string(centres.shape(0)) + " centre(s)");
    index[i] = static_cast<std::size_t>(values[i]);
  }
  return detail::labelled_inertia(SquaredEuclidean{}, data, centres, index.data(), 0);
}

/// Evaluator policy: the objective the clusterer minimised, lower is better.
struct Inertia {
  static constexpr bool higher_is_better = false;

  template <class T>
  double evaluate(const xt::xtensor<T, 2>& X, const Clustering<T>& clustering, std::size_t /*threads*/) const {
    detail::check_clustering_labels(clustering, X.shape(0));
    return clustering.inertia;
  }
};

}  // namespace segkit
