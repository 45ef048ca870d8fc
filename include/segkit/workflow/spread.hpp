#pragma once
// The workflow over several processes (MPI ranks), each holding its own customers:
// workflow::segment with a communicator. What one process would find on all the
// customers — the preparation, the scaling, the k-means|| starts, the centres, the
// labels — is found over the ranks, bit for bit where one process's sums are
// (cluster/spread.hpp), and each rank keeps its own customers' labels. The
// communicator comes from the caller (segkit::mpi::MpiComm for MPI; segkit never
// calls MPI_Init). Part of segkit::io.

#include <cstddef>
#include <numeric>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/cluster/spread.hpp"
#include "segkit/core/comm.hpp"
#include "segkit/core/error.hpp"
#include "segkit/profile/profile.hpp"
#include "segkit/select/spread.hpp"
#include "segkit/workflow/segment.hpp"

namespace segkit::workflow {

/// Segments customers spread over the ranks of `comm` (each rank's `customers` its own,
/// in rank order: read_customers with the same comm reads a file so): the Preparation
/// of all of them (Preparation::fit with comm), k-means of all of them as one process
/// fits it with the same settings and init "k-means||" (kmeans_spread), profiles of all
/// of them (profile_segments_spread). The Segmentation's customers, fit.k, centres,
/// scaling, warnings and profiles are those of all the customers, the same on every
/// rank; its labels, ids, rows, original values and categories are this rank's
/// customers'. K given, or chosen as one process chooses it (sweep_k_spread); the distance
/// is squared Euclidean. Collective.
template <class Scalers = BuiltinScalers, Communicator Comm>
Segmentation segment(CustomerTable customers, const SegmentOptions& options, const Comm& comm) {
  const ClusterSettings& settings = options.cluster;
  if (settings.algorithm != "kmeans")
    throw error("over several processes the algorithm is kmeans, not \"" + settings.algorithm + "\"");
  if (settings.distance != "sqeuclidean")
    throw error("over several processes the distance is sqeuclidean (k-means' centres are means), not \"" +
                settings.distance + "\"");
  if (settings.init != "k-means||")
    throw error("over several processes the starts are k-means|| (the same for any number of processes), not \"" +
                settings.init + "\"");
  if (options.previous || options.previous_labels)
    throw error("aligning with previous segments is not done over several processes yet");
  data::Table& table = customers.table;
  Segmentation out;
  out.settings = settings;
  out.id_column = customers.id_column;
  out.preparation = detail::fit_preparation(customers, options, comm);
  features::Prepared prepared = out.preparation.transform(table, features::Preparation::Originals::left_out, comm);
  if (options.on_prepared) options.on_prepared(out.preparation, prepared);
  out.row_actions = prepared.actions;
  const RowLayout rows = gather_layout(comm, table.rows());
  out.customers = comm.sum(prepared.X.shape(0));

  Fit& fit = out.fit;
  const Options fit_options{.k = settings.k.value_or(0),
                            .n_init = settings.n_init,
                            .max_iter = settings.max_iter,
                            .tol = settings.tol,
                            .seed = settings.seed,
                            .threads = settings.threads,
                            .progress = settings.progress};
  with_named_policy(Scalers{}, settings.scaler, "the scaler", [&](auto scaler) {
    using Scaler = decltype(scaler);
    if (settings.k) {
      fit.k = *settings.k;
      fit.k_reason = "K = " + std::to_string(fit.k) + " as asked.";
      detail::stage(settings, "fitting K = " + std::to_string(fit.k));
      SpreadFit<double, Scaler> spread_fit = kmeans_spread<Scaler>(comm, prepared.X, fit_options);
      fit.scaling = spread_fit.scaler;
      fit.scaled_centers = std::move(spread_fit.clustering.centers);
      fit.inertia = spread_fit.clustering.inertia;
      fit.labels.assign(spread_fit.clustering.labels.begin(), spread_fit.clustering.labels.end());
      return;
    }
    SweepOptions sweep_options;
    sweep_options.k_min = settings.k_min;
    sweep_options.k_max = std::min<std::size_t>(settings.k_max, out.customers > 0 ? out.customers - 1 : 0);
    detail::stage(settings,
                  "trying K = " + std::to_string(settings.k_min) + ".." + std::to_string(sweep_options.k_max));
    SpreadSweep<Scaler> spread_sweep = sweep_k_spread<Scaler>(comm, prepared.X, fit_options, sweep_options);
    KSweep& sweep = spread_sweep.sweep;
    fit.scaling = spread_sweep.scaler;
    fit.k = sweep.recommendation.k;
    fit.k_reason = sweep.recommendation.reason;
    fit.recommendation = sweep.recommendation;
    KScore& chosen = sweep.scores[fit.k - sweep_options.k_min];
    fit.labels.assign(chosen.labels.begin(), chosen.labels.end());
    fit.scaled_centers = std::move(chosen.centers);
    fit.inertia = chosen.inertia;
    for (KScore& s : sweep.scores) s.labels = {}, s.centers = {};
    fit.sweep = std::move(sweep.scores);
  });
  prepared.X = {};
  fit.segment_ids.resize(fit.k);
  std::iota(fit.segment_ids.begin(), fit.segment_ids.end(), std::size_t{0});
  fit.next_segment_id = fit.k;
  std::vector<unsigned long long> sizes(fit.k, 0);
  for (const std::size_t l : fit.labels) ++sizes[l];
  sizes = sum_counts(comm, std::move(sizes));
  fit.warnings = guardrails(fit, settings, std::vector<std::size_t>(sizes.begin(), sizes.end()));

  detail::take_from_table(out, table, prepared, options.keep_table, rows.first);
  ProfileOptions profile_options;
  for (const std::string& name : out.original_names) profile_options.display_names.push_back(display_name(name));
  profile_options.segment_ids = fit.segment_ids;
  out.profiles =
      profile_segments_spread(comm, out.original, out.original_names, fit.labels, out.categories, profile_options);
  return out;
}

/// Every rank's text joined in rank order on rank `root` (empty on the others): a labels
/// file of customers spread over ranks, for one process to write. Collective.
template <Communicator Comm>
std::string join_in_rank_order(const Comm& comm, const std::string& local, std::size_t root = 0) {
  std::string out;
  for (const auto& block : gather_bytes(comm, std::vector<unsigned char>(local.begin(), local.end()), root))
    out.append(block.begin(), block.end());
  return out;
}

}  // namespace segkit::workflow
