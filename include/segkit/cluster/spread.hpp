#pragma once
// k-means on rows spread over several processes: each rank of a communicator
// (core/comm.hpp) holds its own rows, and every rank gets the labels of its rows and
// the centres that one process holding every row would give, bit for bit, for any
// number of ranks and any split of the rows (uneven, or a rank with none).
//
// How: the rows are first moved between neighbouring ranks so that each holds whole
// chunks of sum_chunk_rows(n) rows (the chunks one machine's threads sum); then each
// Lloyd iteration gathers every rank's per-chunk sums and adds them in chunk order,
// as one process adds its chunks (detail::kmeans_loop with a communicator). The
// labels go back to the ranks whose rows they are.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/cluster/kmeans_loop.hpp"
#include "segkit/cluster/lloyd.hpp"
#include "segkit/core/clustering.hpp"
#include "segkit/core/comm.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/options.hpp"
#include "segkit/distance/concept.hpp"
#include "segkit/distance/squared_euclidean.hpp"
#include "segkit/init/kmeans_parallel.hpp"
#include "segkit/scaler/standard.hpp"

namespace segkit {

/// The layout with the same ranks and rows, each rank's first row moved to the nearest
/// start of a chunk of sum_chunk_rows(n) rows, so that every rank holds whole chunks.
inline RowLayout chunk_aligned(const RowLayout& layout, std::size_t rank) {
  const std::size_t n = layout.n_global, chunk = detail::sum_chunk_rows(n);
  RowLayout out;
  out.n_global = n;
  out.starts.resize(layout.starts.size());
  for (std::size_t r = 0; r < layout.starts.size(); ++r) {
    const std::size_t s = layout.starts[r];
    out.starts[r] = std::min(n, (s + chunk / 2) / chunk * chunk);
  }
  out.starts.front() = 0;
  out.starts.back() = n;
  out.first = out.starts[rank];
  out.count = out.starts[rank + 1] - out.first;
  return out;
}

/// Rows of `width` bytes each, laid out as `from` says, moved to the ranks `to` says
/// (collective): returns this rank's rows under `to`, in global order.
template <Communicator Comm>
std::vector<unsigned char> move_rows(const Comm& comm, const unsigned char* rows, std::size_t width,
                                     const RowLayout& from, const RowLayout& to) {
  const std::size_t ranks = to.starts.size() - 1;
  std::vector<std::vector<unsigned char>> send(ranks);
  for (std::size_t q = 0; q < ranks; ++q) {
    const std::size_t b = std::max(from.first, to.starts[q]), e = std::min(from.first + from.count, to.starts[q + 1]);
    if (b < e) send[q].assign(rows + (b - from.first) * width, rows + (e - from.first) * width);
  }
  const std::vector<std::vector<unsigned char>> received = comm.alltoall(std::move(send));
  std::vector<unsigned char> out;
  out.reserve(to.count * width);
  for (const auto& block : received) out.insert(out.end(), block.begin(), block.end());
  if (out.size() != to.count * width) throw error("moving rows between ranks: the rows received are not the rows due");
  return out;
}

/// A rank's rows arranged for a spread computation: `given` is the caller's split, and
/// `aligned` the one each rank holds whole chunks under; `moved` holds this rank's rows
/// under `aligned` when the two differ (one copy, made once).
template <class T>
struct SpreadRows {
  RowLayout given, aligned;
  bool is_moved = false;
  xt::xtensor<T, 2> moved;
  /// This rank's rows under `aligned`: the caller's own X when no row had to move.
  const xt::xtensor<T, 2>& rows(const xt::xtensor<T, 2>& X) const { return is_moved ? moved : X; }
};

/// The layouts of a spread computation over this rank's rows X, and the rows moved where
/// a split cuts a chunk (collective).
template <Communicator Comm, class T>
SpreadRows<T> align_rows(const Comm& comm, const xt::xtensor<T, 2>& X, std::size_t d) {
  SpreadRows<T> out;
  out.given = gather_layout(comm, X.shape(0));
  out.aligned = chunk_aligned(out.given, comm.rank());
  out.is_moved = out.aligned.starts != out.given.starts;
  if (out.is_moved || X.shape(1) != d) {
    // A rank without rows may pass a 0 x 0 matrix: it gets a 0 x d one.
    const std::vector<unsigned char> bytes =
        out.is_moved
            ? move_rows(comm, reinterpret_cast<const unsigned char*>(X.data()), d * sizeof(T), out.given, out.aligned)
            : std::vector<unsigned char>{};
    out.moved = xt::empty<T>({out.aligned.count, d});
    if (!bytes.empty()) std::memcpy(out.moved.data(), bytes.data(), bytes.size());
    out.is_moved = true;
  }
  return out;
}

/// Labels of the rows under `aligned` back to the ranks whose rows they are (collective).
template <Communicator Comm, class T>
xt::xtensor<std::size_t, 1> labels_back(const Comm& comm, const xt::xtensor<std::size_t, 1>& labels,
                                        const SpreadRows<T>& rows) {
  if (rows.aligned.starts == rows.given.starts) return labels;
  const std::vector<unsigned char> bytes = move_rows(comm, reinterpret_cast<const unsigned char*>(labels.data()),
                                                     sizeof(std::size_t), rows.aligned, rows.given);
  xt::xtensor<std::size_t, 1> out = xt::empty<std::size_t>({rows.given.count});
  if (!bytes.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

namespace detail {

/// The checks of a spread start that each rank makes on its own rows, agreed by all:
/// d features (a rank without rows may pass 0 x 0), finite values, and the options.
/// Returns the caller's layout.
template <Communicator Comm, class T>
RowLayout check_spread_rows(const Comm& comm, const xt::xtensor<T, 2>& X, std::size_t d, const Options& options) {
  const RowLayout layout = gather_layout(comm, X.shape(0));
  std::string problem;
  if (X.shape(1) != d && !(X.shape(0) == 0 && X.shape(1) == 0)) {
    problem = "its rows have " + std::to_string(X.shape(1)) + " feature(s), rank 0's " + std::to_string(d);
  } else if (X.shape(0) > 0) {
    try {
      check_finite(X, "X", options.threads);
    } catch (const error& e) {
      problem = std::string(e.what()) + " (this rank's rows begin at row " + std::to_string(layout.first) + " of all)";
    }
  }
  agree(comm, problem);
  if (layout.n_global == 0) throw error("no rank holds any row");
  if (options.max_iter == 0) throw error("max_iter must be at least 1");
  if (!(options.tol >= 0)) throw error("tol must be a non-negative number");
  return layout;
}

}  // namespace detail

/// k-means of the rows of every rank of `comm` from the same starting centres: this
/// rank's rows X (n_r x d; a rank may hold none, as a 0 x d matrix), the starting
/// centres as rank 0 gives them (the others' are replaced by rank 0's), and a
/// Clusterer with a communicator overload (Lloyd, Hamerly, Yinyang). Returns the
/// labels of this rank's rows and the centres, iterations and inertia of all, the same
/// on every rank and equal to Clusterer{}.cluster on all the rows in rank order.
/// Collective: every rank calls it with the same options. A distance whose centre is
/// not the mean (it needs every member's row) is refused at compile time.
// (clang-format 14 would join the requires-clause to the declaration.)
// clang-format off
template <class Clusterer = Lloyd, Communicator Comm, class T, class D = SquaredEuclidean>
  requires DistanceFor<D, T> && detail::CentreIsMean<D>
Clustering<T> cluster_spread(const Comm& comm, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& initial_centers,
                             const Options& options, const D& distance = {}, const Clusterer& clusterer = {}) {
  // clang-format on
  std::size_t shape[2] = {initial_centers.shape(0), initial_centers.shape(1)};
  broadcast_values(comm, shape, 2, 0);
  const std::size_t k = shape[0], d = shape[1];
  const RowLayout layout = detail::check_spread_rows(comm, X, d, options);
  xt::xtensor<T, 2> centers = xt::empty<T>({k, d});
  if (comm.rank() == 0) centers = initial_centers;
  broadcast_values(comm, centers.data(), k * d, 0);
  // Checked alike on every rank (the same centres, options and row count): all throw or none.
  if (k == 0) throw error("k-means over ranks needs at least one starting centre");
  if (k > layout.n_global)
    throw error(std::to_string(k) + " starting centres for " + std::to_string(layout.n_global) +
                " rows over all ranks");
  detail::check_finite(centers, "the starting centres");

  const SpreadRows<T> rows = align_rows(comm, X, d);
  Clustering<T> result = clusterer.cluster(rows.rows(X), centers, distance, options, comm, rows.aligned);
  result.labels = labels_back(comm, result.labels, rows);
  return result;
}

/// A spread fit: the scaler fitted on every rank's rows, and the clustering of the scaled
/// rows (its centres in the scaled space; scaler.inverse_transform gives them in the
/// rows' units), labels for this rank's rows.
template <class T, class Scaler>
struct SpreadFit {
  Scaler scaler;
  Clustering<T> clustering;
};

/// k-means of the rows of every rank of `comm`, as one process fits it: the Scaler's
/// statistics over all the rows (StandardScaler, MinMaxScaler, RobustScaler or NoScaling), then
/// options.n_init starts, each from k-means|| (KMeansParallel, its draws keyed on the global
/// row index) with the seed of its start (detail::derive_seed(options.seed, start)), each
/// run by the Clusterer to the fixed point, the lowest inertia kept (the first on a tie).
/// Equal, bit for bit, to Pipeline<Scaler, KMeansParallel, D, Clusterer> fitted on all the
/// rows in rank order, on every rank. Collective.
// clang-format off
template <class Scaler = StandardScaler, class Clusterer = Lloyd, Communicator Comm, class T,
          class D = SquaredEuclidean>
  requires DistanceFor<D, T> && detail::CentreIsMean<D>
SpreadFit<T, Scaler> kmeans_spread(const Comm& comm, const xt::xtensor<T, 2>& X, const Options& options,
                                   const D& distance = {}, const Clusterer& clusterer = {},
                                   const KMeansParallel& initializer = {}) {
  // clang-format on
  // The features: any rank's (a rank without rows may pass a 0 x 0 matrix).
  const std::vector<unsigned long long> widths = comm.allgather(std::vector<unsigned long long>{X.shape(1)});
  const std::size_t d = static_cast<std::size_t>(*std::max_element(widths.begin(), widths.end()));
  const RowLayout layout = detail::check_spread_rows(comm, X, d, options);
  if (options.k == 0) throw error("k must be at least 1");
  if (options.k > layout.n_global)
    throw error("k = " + std::to_string(options.k) + " is larger than the rows over all ranks (" +
                std::to_string(layout.n_global) + ")");
  if (options.n_init == 0) throw error("n_init must be at least 1");
  const SpreadRows<T> rows = align_rows(comm, X, d);
  SpreadFit<T, Scaler> out;
  out.scaler.fit(rows.rows(X), comm, rows.aligned);
  const xt::xtensor<T, 2> mine = out.scaler.transform(rows.rows(X));

  Options start = options;
  start.absolute_tol = detail::absolute_tol(mine, options, comm, &rows.aligned);
  start.inertia_trace = false;
  start.progress = nullptr;
  for (std::size_t s = 0; s < options.n_init; ++s) {
    start.seed = detail::derive_seed(options.seed, s);
    const xt::xtensor<T, 2> initial =
        initializer.initial_centers(mine, options.k, distance, start.seed, options.threads, comm, rows.aligned);
    Clustering<T> run = clusterer.cluster(mine, initial, distance, start, comm, rows.aligned);
    if (s == 0 || run.inertia < out.clustering.inertia) out.clustering = std::move(run);
  }
  out.clustering.labels = labels_back(comm, out.clustering.labels, rows);
  return out;
}

}  // namespace segkit
