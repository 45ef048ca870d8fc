#pragma once
// segkit compare: several algorithms on the same prepared customers, side by side. Each
// algorithm segments the customers as `segkit segment --algorithm` would (its K given, or
// chosen over the range by its own rule), and all are scored alike on the same scaled
// features: silhouette, Davies-Bouldin, Calinski-Harabasz, BIC where the algorithm has a
// likelihood, segment sizes and time. The adjusted Rand index between every two
// segmentations says whether they agree; the recommendation is the algorithm that most
// criteria prefer, with the reasons in words.

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"
#include "segkit/core/format.hpp"
#include "segkit/core/options.hpp"
#include "segkit/select/adjusted_rand.hpp"
#include "segkit/decompose/pca.hpp"
#include "segkit/report/html.hpp"
#include "segkit/workflow/report.hpp"
#include "segkit/workflow/segment.hpp"

namespace segkit::workflow {

struct CompareOptions {
  /// The preparation and the settings every algorithm shares (K or its range, scaler, seed,
  /// threads, ...); SegmentOptions::cluster.algorithm is replaced by each of `algorithms`.
  SegmentOptions segment;
  std::vector<std::string> algorithms = {"kmeans", "gmm", "ward", "kmedoids"};
};

/// One algorithm's segmentation and its scores on the shared scaled features.
struct AlgorithmResult {
  std::string algorithm;
  std::string skipped;  ///< why it did not run (too many customers, no categories...); empty when it ran
  Fit fit;
  double silhouette = std::numeric_limits<double>::quiet_NaN();  ///< NaN with one segment
  double davies_bouldin = std::numeric_limits<double>::quiet_NaN();
  double calinski_harabasz = std::numeric_limits<double>::quiet_NaN();
  std::optional<double> bic;  ///< a Gaussian mixture's
  std::vector<std::size_t> sizes;
  double seconds = 0;  ///< the fit's wall-clock time, K chosen included

  bool ran() const { return skipped.empty(); }
};

struct Comparison {
  features::Preparation preparation;
  std::size_t customers = 0;
  std::vector<std::string> ids;  ///< each customer's id (its 1-based row when no id column)
  std::string id_column;
  xt::xtensor<double, 2> scaled;  ///< the features every algorithm was scored on (the scaler's output)
  std::vector<AlgorithmResult> results;
  /// Adjusted Rand index between results i and j (NaN when either did not run).
  xt::xtensor<double, 2> agreement;
  std::string recommended;  ///< the algorithm most criteria prefer; empty when none ran with two segments
  std::string reason;
  bool silhouette_sampled = false;
  std::uint64_t seed = 0;  ///< the settings' seed (the report's sample of customers)
};

namespace detail {

/// Which criteria each result wins (silhouette, Davies-Bouldin, Calinski-Harabasz), the
/// recommended result and the reason.
inline void recommend_algorithm(Comparison& c) {
  const auto scored = [&](std::size_t r) {
    return c.results[r].ran() && std::isfinite(c.results[r].silhouette) && std::isfinite(c.results[r].davies_bouldin);
  };
  std::optional<std::size_t> best_silhouette, best_davies_bouldin, best_calinski_harabasz;
  for (std::size_t r = 0; r < c.results.size(); ++r) {
    if (!scored(r)) continue;
    const AlgorithmResult& a = c.results[r];
    if (!best_silhouette || a.silhouette > c.results[*best_silhouette].silhouette) best_silhouette = r;
    if (!best_davies_bouldin || a.davies_bouldin < c.results[*best_davies_bouldin].davies_bouldin)
      best_davies_bouldin = r;
    if (!best_calinski_harabasz || a.calinski_harabasz > c.results[*best_calinski_harabasz].calinski_harabasz)
      best_calinski_harabasz = r;
  }
  if (!best_silhouette) {
    c.reason = "no algorithm made two segments or more to score";
    return;
  }
  std::vector<std::size_t> wins(c.results.size(), 0);
  ++wins[*best_silhouette], ++wins[*best_davies_bouldin], ++wins[*best_calinski_harabasz];
  // Most criteria won; on a tie the higher silhouette (the criterion every algorithm's K is read with).
  std::size_t chosen = *best_silhouette;
  for (std::size_t r = 0; r < c.results.size(); ++r)
    if (scored(r) &&
        (wins[r] > wins[chosen] || (wins[r] == wins[chosen] && c.results[r].silhouette > c.results[chosen].silhouette)))
      chosen = r;
  const AlgorithmResult& w = c.results[chosen];
  c.recommended = w.algorithm;
  const auto name = [&](std::size_t r) { return c.results[r].algorithm; };
  std::string won;
  if (*best_silhouette == chosen) won += "the highest silhouette (" + format_fixed(w.silhouette) + ")";
  if (*best_davies_bouldin == chosen)
    won += std::string(won.empty() ? "" : ", ") + "the lowest Davies-Bouldin (" + format_fixed(w.davies_bouldin) + ")";
  if (*best_calinski_harabasz == chosen)
    won += std::string(won.empty() ? "" : ", ") + "the highest Calinski-Harabasz (" +
           format_number(w.calinski_harabasz) + ")";
  c.reason = w.algorithm + " (K = " + std::to_string(w.fit.k) + "): " + won + ".";
  std::string others;
  if (*best_silhouette != chosen)
    others += name(*best_silhouette) + " has the highest silhouette (" +
              format_fixed(c.results[*best_silhouette].silhouette) + " vs " + format_fixed(w.silhouette) + ")";
  if (*best_davies_bouldin != chosen)
    others += std::string(others.empty() ? "" : "; ") + name(*best_davies_bouldin) + " the lowest Davies-Bouldin (" +
              format_fixed(c.results[*best_davies_bouldin].davies_bouldin) + " vs " + format_fixed(w.davies_bouldin) +
              ")";
  if (*best_calinski_harabasz != chosen)
    others += std::string(others.empty() ? "" : "; ") + name(*best_calinski_harabasz) +
              " the highest Calinski-Harabasz (" + format_number(c.results[*best_calinski_harabasz].calinski_harabasz) +
              " vs " + format_number(w.calinski_harabasz) + ")";
  if (!others.empty()) c.reason += " But " + others + ".";
  // Agreement: the segmentations that say nearly the same (ARI >= 0.9), and those that do not.
  std::string agree, differ;
  for (std::size_t r = 0; r < c.results.size(); ++r) {
    if (r == chosen || !c.results[r].ran()) continue;
    const double ari = c.agreement(chosen, r);
    (ari >= 0.9 ? agree : differ) +=
        std::string((ari >= 0.9 ? agree : differ).empty() ? "" : ", ") + name(r) + " " + format_fixed(ari, 2);
  }
  if (!agree.empty()) c.reason += " It agrees closely with " + agree + " (adjusted Rand index)";
  if (!differ.empty())
    c.reason += std::string(agree.empty() ? " It" : "; it") + " segments the customers differently from " + differ +
                " (adjusted Rand index)";
  if (!agree.empty() || !differ.empty()) c.reason += ".";
}

}  // namespace detail

/// Segments the customers with each algorithm of `options` on one preparation of the table,
/// and scores them alike. An algorithm that cannot run on this data (k-medoids above its
/// customers, k-prototypes without categories, ...) is kept with the reason it was skipped.
template <class Scalers = BuiltinScalers, class Distances = BuiltinDistances>
Comparison compare(CustomerTable customers, const CompareOptions& options) {
  if (options.algorithms.empty()) throw error("no algorithms to compare");
  for (const std::string& a : options.algorithms)
    if (!is_algorithm(a)) throw error("the algorithms must be " + algorithm_list() + ", not \"" + a + "\"");
  Comparison out;
  out.id_column = customers.id_column;
  out.seed = options.segment.cluster.seed;
  out.preparation = detail::fit_preparation(customers, options.segment, SerialComm{});
  features::Prepared prepared = out.preparation.transform(customers.table);
  out.customers = prepared.X.shape(0);
  out.ids.resize(prepared.rows.size());
  const data::Column* id_cells = out.id_column.empty() ? nullptr : &customers.table.column(out.id_column);
  for (std::size_t i = 0; i < prepared.rows.size(); ++i)
    out.ids[i] = id_cells ? cell_text(*id_cells, prepared.rows[i]) : std::to_string(prepared.rows[i] + 1);
  const std::size_t n = out.customers;
  const ClusterSettings& base = options.segment.cluster;
  // The features every algorithm is scored on: the scaler's, fitted on the prepared rows.
  with_named_policy(Scalers{}, base.scaler, "the scaler", [&](auto scaler) {
    scaler.fit(prepared.X);
    out.scaled = scaler.transform(prepared.X);
  });
  SweepOptions sample_options;
  const KSweep sample = segkit::detail::start_sweep(n, sample_options, base.seed);
  out.silhouette_sampled = sample.silhouette_sampled;
  for (const std::string& algorithm : options.algorithms) {
    AlgorithmResult result;
    result.algorithm = algorithm;
    ClusterSettings settings = base;
    settings.algorithm = algorithm;
    settings.category_columns = features::category_groups(out.preparation);
    if (settings.on_stage) settings.on_stage(algorithm);
    ClusterSettings quiet = settings;
    quiet.on_stage = nullptr;
    xt::xtensor<double, 2> X = prepared.X;
    const auto start = std::chrono::steady_clock::now();
    try {
      result.fit = cluster<Scalers, Distances>(X, quiet, true);
    } catch (const error& e) {
      result.skipped = e.what();
      out.results.push_back(std::move(result));
      continue;
    }
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const Fit& fit = result.fit;
    result.sizes.assign(fit.k, 0);
    for (const std::size_t l : fit.labels) ++result.sizes[l];
    if (std::count_if(result.sizes.begin(), result.sizes.end(), [](std::size_t s) { return s > 0; }) >= 2) {
      KScore s;
      detail::score_labels(s, out.scaled, xt::adapt(fit.labels, {n}), sample, base.threads);
      result.silhouette = s.silhouette, result.davies_bouldin = s.davies_bouldin,
      result.calinski_harabasz = s.calinski_harabasz;
    }
    if (fit.mixture) result.bic = GaussianMixture::from_parameters(*fit.mixture).bic(out.scaled);
    out.results.push_back(std::move(result));
  }
  const std::size_t m = out.results.size();
  out.agreement = xt::xtensor<double, 2>::from_shape({m, m});
  out.agreement.fill(std::numeric_limits<double>::quiet_NaN());
  for (std::size_t a = 0; a < m; ++a)
    for (std::size_t b = 0; b < m; ++b)
      if (out.results[a].ran() && out.results[b].ran())
        out.agreement(a, b) = a == b ? 1.0 : adjusted_rand_score(out.results[a].fit.labels, out.results[b].fit.labels);
  detail::recommend_algorithm(out);
  return out;
}

/// The comparison as one table: a header and a row per algorithm (what the tool prints).
inline std::pair<std::vector<std::string>, std::vector<std::vector<std::string>>> comparison_table(
    const Comparison& c) {
  std::pair<std::vector<std::string>, std::vector<std::vector<std::string>>> out;
  out.first = {"algorithm",         "K",   "silhouette",    "Davies-Bouldin",
               "Calinski-Harabasz", "BIC", "segment sizes", "time (s)"};
  const auto number = [](double v, bool fixed) {
    return std::isfinite(v) ? (fixed ? format_fixed(v) : format_number(v)) : std::string("-");
  };
  for (const AlgorithmResult& r : c.results) {
    if (!r.ran()) {
      out.second.push_back({r.algorithm, "-", "-", "-", "-", "-", "skipped: " + r.skipped, "-"});
      continue;
    }
    std::string sizes;
    for (const std::size_t s : r.sizes) {
      if (!sizes.empty()) sizes += ' ';
      sizes += std::to_string(s);
    }
    out.second.push_back({r.algorithm, std::to_string(r.fit.k), number(r.silhouette, true),
                          number(r.davies_bouldin, true), number(r.calinski_harabasz, false),
                          r.bic ? format_number(*r.bic) : std::string("-"), sizes, format_fixed(r.seconds, 2)});
  }
  return out;
}

/// The adjusted Rand index between every two segmentations, as a table.
inline std::pair<std::vector<std::string>, std::vector<std::vector<std::string>>> agreement_table(const Comparison& c) {
  std::pair<std::vector<std::string>, std::vector<std::vector<std::string>>> out;
  out.first.push_back("adjusted Rand index");
  for (const AlgorithmResult& r : c.results) out.first.push_back(r.algorithm);
  for (std::size_t a = 0; a < c.results.size(); ++a) {
    std::vector<std::string> row = {c.results[a].algorithm};
    for (std::size_t b = 0; b < c.results.size(); ++b)
      row.push_back(std::isfinite(c.agreement(a, b)) ? format_fixed(c.agreement(a, b), 3) : std::string("-"));
    out.second.push_back(std::move(row));
  }
  return out;
}

/// Every algorithm's segments: one row per customer, its id (or row), then one column per
/// algorithm that ran.
inline std::string comparison_labels_csv(const Comparison& c) {
  std::string out = csv_field(c.id_column.empty() ? std::string("row") : c.id_column);
  for (const AlgorithmResult& r : c.results)
    if (r.ran()) {
      out += ',';
      out += csv_field(r.algorithm);
    }
  out += "\n";
  for (std::size_t i = 0; i < c.customers; ++i) {
    out += csv_field(c.ids[i]);
    for (const AlgorithmResult& r : c.results)
      if (r.ran()) {
        out += ',';
        out += std::to_string(r.fit.id_of(r.fit.labels[i]));
      }
    out += "\n";
  }
  return out;
}

/// The report page of a comparison: the table, the agreement between the segmentations,
/// the recommendation, each algorithm's scores per K when it chose K, and the segmentations
/// side by side on the same principal components (a sample of the customers when many).
inline report::ReportData report_data(const Comparison& c, const std::string& title) {
  report::ReportData data;
  data.title = title;
  std::string names;
  for (const AlgorithmResult& r : c.results) names += (names.empty() ? "" : ", ") + r.algorithm;
  data.summary = std::to_string(c.customers) + " customers, " + std::to_string(c.scaled.shape(1)) +
                 " features, prepared once; compared: " + names +
                 ". Recommended: " + (c.recommended.empty() ? std::string("none") : c.recommended) + ". " + c.reason;
  report::ReportData::Table table;
  table.title = "The algorithms side by side";
  table.note = std::string("Each algorithm's segments scored alike on the same scaled features") +
               (c.silhouette_sampled ? " (the silhouette on a random sample of the customers)" : "") +
               ". Time: the fit, K chosen included, on this machine.";
  std::tie(table.header, table.rows) = comparison_table(c);
  data.tables.push_back(std::move(table));
  report::ReportData::Table agreement;
  agreement.title = "How far the segmentations agree";
  agreement.note =
      "The adjusted Rand index of every two segmentations: 1 the same segments (whatever their "
      "numbers), about 0 no more alike than chance.";
  std::tie(agreement.header, agreement.rows) = agreement_table(c);
  data.tables.push_back(std::move(agreement));
  for (const AlgorithmResult& r : c.results) {
    if (!r.ran() || r.fit.sweep.empty()) continue;
    report::ReportData::Table sweep;
    sweep.title = r.algorithm + ": the scores of each K tried";
    sweep.note = r.fit.k_reason;
    sweep.header = {"K", "silhouette", "Davies-Bouldin", "Calinski-Harabasz", "inertia"};
    if (r.fit.mixture) sweep.header.push_back("BIC");
    for (const KScore& s : r.fit.sweep) {
      std::vector<std::string> row = {std::to_string(s.k), format_fixed(s.silhouette), format_fixed(s.davies_bouldin),
                                      format_number(s.calinski_harabasz), format_number(s.inertia)};
      if (r.fit.mixture) row.push_back(s.bic ? format_number(*s.bic) : std::string("-"));
      sweep.rows.push_back(std::move(row));
    }
    data.tables.push_back(std::move(sweep));
  }
  // The panels: the customers of a sample drawn by the first segmentation that ran.
  const AlgorithmResult* first = nullptr;
  for (const AlgorithmResult& r : c.results)
    if (r.ran() && !first) first = &r;
  if (first && c.scaled.shape(1) >= 2) {
    const std::vector<std::size_t> rows = report_sample(first->fit.labels, c.seed);
    PCA pca(2);
    pca.fit(c.scaled);
    xt::xtensor<double, 2> drawn = xt::empty<double>({rows.size(), c.scaled.shape(1)});
    for (std::size_t r = 0; r < rows.size(); ++r) xt::row(drawn, r) = xt::row(c.scaled, rows[r]);
    const auto projected = pca.transform(drawn);
    for (std::size_t r = 0; r < rows.size(); ++r)
      data.pca_x.push_back(projected(r, 0)), data.pca_y.push_back(projected(r, 1)), data.ids.push_back(c.ids[rows[r]]);
    data.pca_x_label = "PC 1 (" + format_number(100 * pca.explained_variance_ratio()(0), 3) + "% of variance)";
    data.pca_y_label = "PC 2 (" + format_number(100 * pca.explained_variance_ratio()(1), 3) + "% of variance)";
    for (const AlgorithmResult& r : c.results) {
      if (!r.ran()) continue;
      report::ReportData::Panel panel{r.algorithm + ", K = " + std::to_string(r.fit.k), {}};
      for (const std::size_t row : rows) panel.labels.push_back(r.fit.labels[row]);
      data.panels.push_back(std::move(panel));
    }
    if (rows.size() < c.customers) data.customers_total = c.customers;
  }
  for (const auto& a : c.preparation.fit_actions()) data.preparation.push_back(a.column + ": " + a.what);
  return data;
}

}  // namespace segkit::workflow
