#pragma once
// The scores of a clustering whose rows are spread over the ranks of a communicator
// (core/comm.hpp): Calinski-Harabasz and Davies-Bouldin from per-cluster sums gathered
// from every rank, and the silhouette of a sample of rows gathered to every rank. Every
// rank gets the same numbers: those of one process holding every row, the silhouette
// bit for bit (the same rows, the same computation), the others to rounding (their sums
// are added rank by rank, not row by row).

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/core/comm.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/labels.hpp"
#include "segkit/evaluate/calinski_harabasz.hpp"
#include "segkit/evaluate/davies_bouldin.hpp"
#include "segkit/evaluate/silhouette.hpp"

namespace segkit {

struct SpreadScores {
  double silhouette = 0;
  double davies_bouldin = 0;
  double calinski_harabasz = 0;
  std::size_t silhouette_rows = 0;  ///< the rows the silhouette was computed on
};

/// The scores of this rank's rows X (a rank may hold none) labelled 0..k-1, over every
/// rank's rows in rank order. `silhouette_rows`: the global rows (ascending) of the
/// silhouette's sample, the same on every rank (select/choose_k.hpp's sample_rows draws
/// them); empty: every row (O(n^2), each rank computes it on all the rows). Collective.
template <Communicator Comm, class T>
SpreadScores scores_spread(const Comm& comm, const xt::xtensor<T, 2>& X, const xt::xtensor<std::size_t, 1>& labels,
                           std::size_t k, const std::vector<std::size_t>& silhouette_rows = {},
                           std::size_t threads = 0) {
  const std::size_t rows = X.shape(0), d = X.shape(1);
  std::string problem;
  if (labels.size() != rows) problem = std::to_string(labels.size()) + " labels for " + std::to_string(rows) + " rows";
  for (std::size_t i = 0; problem.empty() && i < rows; ++i)
    if (labels(i) >= k)
      problem = "label " + std::to_string(labels(i)) + " at row " + std::to_string(i) + " is not below k";
  agree(comm, problem);
  const RowLayout layout = gather_layout(comm, rows);
  const std::size_t n = layout.n_global;

  // Per cluster: size and sums (then centroids), every rank's added in rank order.
  std::vector<double> local(k * (d + 1), 0.0);
  for (std::size_t i = 0; i < rows; ++i) {
    double* at = local.data() + labels(i) * (d + 1);
    at[d] += 1;
    for (std::size_t j = 0; j < d; ++j) at[j] += static_cast<double>(X(i, j));
  }
  const std::vector<double> totals = fold_chunks(comm, std::move(local), k * (d + 1));
  std::vector<std::size_t> present;  // the labels some row has, as the scores count them
  for (std::size_t c = 0; c < k; ++c)
    if (totals[c * (d + 1) + d] > 0) present.push_back(c);
  const std::size_t m = present.size();
  if (m < 2 || m >= n)
    throw error("the scores need between 2 and n - 1 segments with rows; these rows have " + std::to_string(m) +
                " for " + std::to_string(n) + " rows");
  std::vector<std::size_t> code(k, 0), sizes(m);
  xt::xtensor<double, 2> means = xt::zeros<double>({m, d});
  std::vector<double> overall(d, 0.0);
  for (std::size_t p = 0; p < m; ++p) {
    const double* at = totals.data() + present[p] * (d + 1);
    code[present[p]] = p;
    sizes[p] = static_cast<std::size_t>(at[d]);
    for (std::size_t j = 0; j < d; ++j) means(p, j) = at[j] / at[d], overall[j] += at[j];
  }
  for (double& v : overall) v /= static_cast<double>(n);

  // Per cluster: summed squared and plain distances of its rows to its centroid.
  std::vector<double> spread_sums(2 * m, 0.0);
  for (std::size_t i = 0; i < rows; ++i) {
    const std::size_t p = code[labels(i)];
    double sq = 0;
    for (std::size_t j = 0; j < d; ++j) {
      const double diff = static_cast<double>(X(i, j)) - means(p, j);
      sq += diff * diff;
    }
    spread_sums[2 * p] += sq;
    spread_sums[2 * p + 1] += std::sqrt(sq);
  }
  const std::vector<double> spreads = fold_chunks(comm, std::move(spread_sums), 2 * m);
  double within = 0;
  std::vector<double> spread(m);
  for (std::size_t p = 0; p < m; ++p) {
    within += spreads[2 * p];
    spread[p] = spreads[2 * p + 1] / static_cast<double>(sizes[p]);
  }

  SpreadScores out;
  out.calinski_harabasz = detail::calinski_harabasz_from(means, sizes, overall, within, n);
  out.davies_bouldin = detail::davies_bouldin_from(means, spread);

  // The silhouette's rows, gathered in global order to every rank.
  std::vector<T> values;
  std::vector<unsigned long long> sample_labels;
  const auto take = [&](std::size_t i) {
    values.insert(values.end(), X.data() + i * d, X.data() + (i + 1) * d);
    sample_labels.push_back(labels(i));
  };
  if (silhouette_rows.empty()) {
    for (std::size_t i = 0; i < rows; ++i) take(i);
  } else {
    for (const std::size_t g : silhouette_rows)
      if (g >= layout.first && g < layout.first + rows) take(g - layout.first);
  }
  values = comm.allgather(std::move(values));
  sample_labels = comm.allgather(std::move(sample_labels));
  const std::size_t s = sample_labels.size();
  xt::xtensor<T, 2> sample = xt::empty<T>({s, d});
  std::copy(values.begin(), values.end(), sample.data());
  const std::vector<std::size_t> sample_codes(sample_labels.begin(), sample_labels.end());
  out.silhouette = detail::silhouette(sample, detail::encode_labels(sample_codes, s), threads);
  out.silhouette_rows = s;
  return out;
}

}  // namespace segkit
