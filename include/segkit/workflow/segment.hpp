#pragma once
// The workflow layer: what the segkit tool does, as calls a C++ backend can make.
// A customer table in, segments out: prepared features, K chosen or given, the
// fitted centres, and a profile of each segment in the business's units. The
// tool only parses its arguments, calls these and prints; the library never
// prints (progress and stages go to callbacks).
//
// Policies are chosen by name from registries (pipeline/registry.hpp); a caller
// with a policy of its own passes an extended list as the template arguments.
// Part of segkit::io (it reads CSV files).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"
#include "segkit/core/format.hpp"
#include "segkit/core/options.hpp"
#include "segkit/core/progress.hpp"
#include "segkit/data/csv.hpp"
#include "segkit/data/table.hpp"
#include "segkit/features/prepare.hpp"
#include "segkit/init/kmeans_plus_plus.hpp"
#include "segkit/pipeline/pipeline.hpp"
#include "segkit/pipeline/registry.hpp"
#include "segkit/profile/profile.hpp"
#include "segkit/scaler/any.hpp"
#include "segkit/select/choose_k.hpp"

namespace segkit::workflow {

/// How to cluster, with the policies named (as a tool's options or a configuration file give them).
struct ClusterSettings {
  std::optional<std::size_t> k;          ///< the number of segments; empty: chosen in [k_min, k_max]
  std::size_t k_min = 2, k_max = 10;     ///< K tried when choosing (k_max is cut to the customers - 1)
  std::string scaler = "standard";       ///< a name of the scalers' registry
  std::string distance = "sqeuclidean";  ///< a name of the distances' registry
  std::uint64_t seed = 0;
  std::size_t n_init = 10;                           ///< k-means++ starts per fit; the lowest inertia wins
  std::size_t max_iter = 300;                        ///< Lloyd iterations per start at most
  double tol = 1e-4;                                 ///< centre-shift tolerance, relative to the mean feature variance
  std::size_t threads = 0;                           ///< 0 = every core
  ProgressCallback progress;                         ///< starts of a fit, K of a sweep
  std::function<void(const std::string&)> on_stage;  ///< a stage begins ("fitting K = 5"); may be empty
};

/// One clustering, whatever its policies: the fitted scaling and centres, and the K sweep when K was chosen.
struct Fit {
  std::size_t k = 0;
  std::vector<std::size_t> labels;
  AnyScaler scaling;                      ///< the fitted scaler (its name, its state, its transform)
  xt::xtensor<double, 2> scaled_centers;  ///< k x d, in the scaled space
  double inertia = 0;
  std::vector<KScore> sweep;  ///< the scores of each K tried (without their labels); empty when K was given
  std::string k_reason;       ///< why this K, in words
  /// Each criterion's best K and those that chose this one, when K was chosen.
  std::optional<KRecommendation> recommendation;
  /// What an analyst should doubt about these segments (guardrails()); empty when nothing.
  std::vector<std::string> warnings;
};

/// Below this silhouette the segments are weak cuts of one cloud rather than groups
/// (Kaufman and Rousseeuw's reading: below 0.25, no substantial structure).
inline constexpr double weak_silhouette = 0.25;

/// The warnings an analyst should see about a fit: the range of K narrowed by the data,
/// the chosen K at the edge of the range tried (when the range, not the data, set that
/// edge), criteria that disagree (at most half of them chose K), a segment of fewer than
/// max(5, 1 %) of the customers, and a chosen K's silhouette below weak_silhouette.
inline std::vector<std::string> guardrails(const Fit& fit, const ClusterSettings& settings) {
  std::vector<std::string> out;
  const std::size_t n = fit.labels.size();
  if (!fit.sweep.empty()) {
    const std::size_t lo = fit.sweep.front().k, hi = fit.sweep.back().k;
    if (hi < settings.k_max)
      out.push_back("K = " + std::to_string(settings.k_min) + ".." + std::to_string(settings.k_max) +
                    " was narrowed to " + std::to_string(lo) + ".." + std::to_string(hi) + ": " + std::to_string(n) +
                    " customers leave no room for more segments that the scores can compare");
    if (const auto& r = fit.recommendation) {
      const std::size_t criteria = 3 + (r->elbow_k ? 1 : 0);
      if (2 * r->agreeing.size() <= criteria) {
        std::string best = "silhouette K = " + std::to_string(r->best_silhouette_k) +
                           ", Davies-Bouldin K = " + std::to_string(r->best_davies_bouldin_k) +
                           ", Calinski-Harabasz K = " + std::to_string(r->best_calinski_harabasz_k);
        best += r->elbow_k ? ", elbow K = " + std::to_string(*r->elbow_k) : std::string(", no elbow");
        out.push_back("the criteria disagree on K (" + best + "): K = " + std::to_string(fit.k) + " has " +
                      std::to_string(r->agreeing.size()) + " of " + std::to_string(criteria) +
                      "; look at the charts of the report before trusting it");
      }
    }
    if (fit.k == hi && hi == settings.k_max && hi > lo)
      out.push_back("K = " + std::to_string(fit.k) +
                    " is the largest K tried: the data may hold more segments; try a range that goes higher");
    if (fit.k == lo && lo > 2 && hi > lo)
      out.push_back(
          "K = " + std::to_string(fit.k) +
          " is the smallest K tried: fewer segments may describe the data better; try a range that starts lower");
    for (const KScore& s : fit.sweep)
      if (s.k == fit.k && s.silhouette < weak_silhouette)
        out.push_back("the silhouette at K = " + std::to_string(fit.k) + " is " + format_fixed(s.silhouette) +
                      ", below " + format_fixed(weak_silhouette, 2) +
                      ": weak structure, the segments may be arbitrary cuts of one cloud of customers");
  }
  std::vector<std::size_t> sizes(fit.k, 0);
  for (const std::size_t l : fit.labels) ++sizes[l];
  const std::size_t least = std::max<std::size_t>(5, (n + 99) / 100);
  for (std::size_t c = 0; c < sizes.size(); ++c)
    if (sizes[c] < least)
      out.push_back("segment " + std::to_string(c) + " holds " + std::to_string(sizes[c]) +
                    (sizes[c] == 1 ? " customer" : " customers") + ", fewer than max(5, 1 %) of the " +
                    std::to_string(n) + ": outliers rather than a segment?");
  return out;
}

namespace detail {

inline void stage(const ClusterSettings& settings, const std::string& what) {
  if (settings.on_stage) settings.on_stage(what);
}

template <class Scaler, class Distance>
Fit fit_with(xt::xtensor<double, 2>& X, const ClusterSettings& settings, bool consume) {
  using P = Pipeline<Scaler, KMeansPlusPlus, Distance>;
  Options options{.n_init = settings.n_init,
                  .max_iter = settings.max_iter,
                  .tol = settings.tol,
                  .seed = settings.seed,
                  .threads = settings.threads,
                  .progress = settings.progress};
  Fit fit;
  if (!settings.k) {
    SweepOptions sweep_options;
    sweep_options.k_min = settings.k_min;
    sweep_options.k_max = std::min<std::size_t>(settings.k_max, X.shape(0) > 0 ? X.shape(0) - 1 : 0);
    sweep_options.keep_all_labels = false;  // only the chosen K's labels are used
    stage(settings, "trying K = " + std::to_string(settings.k_min) + ".." + std::to_string(sweep_options.k_max));
    Scaler scaler;
    scaler.fit(X);
    fit.scaling = scaler;
    // With `consume`, the sweep scales X where it lies and every K fits that one matrix.
    KSweep sweep = consume ? sweep_k<P>(std::move(X), options, sweep_options) : sweep_k<P>(X, options, sweep_options);
    fit.k = sweep.recommendation.k;
    // The recommendation's reason already says when the silhouette was computed on a sample.
    fit.k_reason = sweep.recommendation.reason;
    fit.recommendation = sweep.recommendation;
    // The sweep's fit of the chosen K is the fit (the same options and seed): no second fit.
    KScore& chosen = sweep.scores[&sweep.at(fit.k) - sweep.scores.data()];
    fit.labels.assign(chosen.labels.begin(), chosen.labels.end());
    fit.scaled_centers = std::move(chosen.centers);
    fit.inertia = chosen.inertia;
    for (KScore& s : sweep.scores) {
      s.labels = {};
      s.centers = {};
    }
    fit.sweep = std::move(sweep.scores);
    return fit;
  }
  fit.k = *settings.k;
  fit.k_reason = "K = " + std::to_string(fit.k) + " as asked.";
  options.k = fit.k;
  stage(settings, "fitting K = " + std::to_string(fit.k));
  P pipeline(options);
  if (consume)
    pipeline.fit(std::move(X));
  else
    pipeline.fit(X);
  fit.labels.assign(pipeline.labels().begin(), pipeline.labels().end());
  fit.scaling = pipeline.scaler();
  fit.scaled_centers = pipeline.scaled_centers();
  fit.inertia = pipeline.inertia();
  return fit;
}

}  // namespace detail

/// Clusters the rows of X with the scaler and distance the settings name. With
/// `consume`, X is scaled where it lies and left empty, so that X and a scaled copy
/// of it never coexist when the caller needs X no more.
template <class Scalers = BuiltinScalers, class Distances = BuiltinDistances>
Fit cluster(xt::xtensor<double, 2>& X, const ClusterSettings& settings, bool consume = false) {
  Fit fit = with_named_policy(Scalers{}, settings.scaler, "the scaler", [&](auto scaler) {
    return with_named_policy(Distances{}, settings.distance, "the distance", [&](auto distance) {
      return detail::fit_with<decltype(scaler), decltype(distance)>(X, settings, consume);
    });
  });
  fit.warnings = guardrails(fit, settings);
  return fit;
}

/// A customer table and the column that names its customers ("" when none does).
struct CustomerTable {
  data::Table table;
  std::string id_column;
  bool id_given = false;  ///< named by the caller (then never a feature), not found by its name
};

/// Reads a customer file so that its ids stay names ("0001" comes back as "0001"):
/// the id column (`id`, or any column named like one) is read as text, and a column
/// named like an id that names no customers is turned back into numbers.
inline CustomerTable read_customers(const std::string& path, data::CsvOptions options, const std::string& id = "") {
  if (!id.empty()) options.categorical.push_back(id);
  options.text_if = [](std::string_view header) { return features::looks_like_id(std::string(header)); };
  CustomerTable out{data::read_csv(path, options), "", !id.empty()};
  data::Table& table = out.table;
  const std::string id_key = !id.empty() ? id : features::find_id_column(table).value_or("");
  std::set<std::size_t> kept_as_text;  // as the caller asked, or the id itself
  for (const std::string& key : options.categorical) kept_as_text.insert(table.index_of(key));
  if (!id_key.empty()) kept_as_text.insert(table.index_of(id_key));
  for (std::size_t j = 0; j < table.columns(); ++j)
    if (!kept_as_text.count(j) && features::looks_like_id(table.at(j).name()))
      if (auto numbers = data::reparse_as_numbers(table.at(j))) table.replace(j, std::move(*numbers));
  out.id_column = id_key.empty() ? "" : table.column(id_key).name();
  return out;
}

/// Text of one cell, whatever the column's kind: the ids of output files.
inline std::string cell_text(const data::Column& column, std::size_t row) {
  if (column.missing(row)) return "";
  if (column.is_categorical()) return column.texts()[row];
  if (column.is_date()) return format_date(column.days()[row]);
  return format_number(column.numbers()[row], 15);
}

/// "Annual Income (k$)" reads "Annual Income" inside a segment's name, "MntWines" stays
/// "MntWines" (the column's own spelling, which the analyst searches for), "total_spend"
/// reads "total spend".
inline std::string display_name(const std::string& feature) {
  std::string out = feature.substr(0, feature.find(" ("));
  std::replace(out.begin(), out.end(), '_', ' ');
  return out.empty() ? feature : out;
}

struct SegmentOptions {
  features::PrepareOptions prepare;  ///< which columns, missing values, outliers, logs
  ClusterSettings cluster;
  /// Keep the prepared features (Segmentation::features) for charts after the fit;
  /// without it the fit scales them where they lie and they are gone.
  bool keep_features = false;
  /// Keep the customer table in Segmentation::table (for a labels file that carries the
  /// customers' own columns, labels_csv); otherwise it is released once read.
  bool keep_table = false;
  /// What the data is called in error messages (a file name); may be empty.
  std::string source;
  /// Told the preparation and the prepared rows before the fit (a tool prints what was
  /// done to the data while the fit runs); may be empty.
  std::function<void(const features::Preparation&, const features::Prepared&)> on_prepared;
};

/// A customer table segmented: how it was prepared, the fit, and each segment described.
struct Segmentation {
  features::Preparation preparation;
  std::vector<features::Action> row_actions;  ///< what preparing the rows touched (clipped, dropped...)
  std::size_t customers = 0;
  ClusterSettings settings;  ///< as given (the names of the policies)
  Fit fit;
  std::string id_column;            ///< the customers' id column, empty when none
  std::vector<std::string> ids;     ///< each segmented customer's id (its 1-based row when no id column)
  std::vector<std::size_t> rows;    ///< each segmented customer's table row
  xt::xtensor<double, 2> features;  ///< prepared features, when SegmentOptions::keep_features
  xt::xtensor<double, 2> original;  ///< numeric features in business units, what the profiles describe
  std::vector<std::string> original_names;
  std::vector<CategoricalColumn> categories;  ///< the one-hot encoded columns' values, profiled as shares
  Profiles profiles;
  data::Table table;  ///< the customer table, when SegmentOptions::keep_table
};

/// Segments the customers of a table: prepares the features, clusters them (K given
/// or chosen), profiles each segment. The table is taken by value: moved in, it is
/// released once what the segmentation needs of it is taken.
template <class Scalers = BuiltinScalers, class Distances = BuiltinDistances>
Segmentation segment(CustomerTable customers, const SegmentOptions& options) {
  data::Table& table = customers.table;
  features::PrepareOptions prepare = options.prepare;
  // A given id is no feature; a detected one was found by its name and is known to be an identifier.
  if (customers.id_given)
    prepare.exclude.push_back(customers.id_column);
  else if (!customers.id_column.empty())
    prepare.known_identifier = customers.id_column;
  Segmentation out;
  out.settings = options.cluster;
  out.id_column = customers.id_column;
  // Its messages name the column and the data row; the source is named here.
  try {
    out.preparation = features::Preparation::fit(table, prepare);
  } catch (const error& e) {
    throw error(options.source.empty() ? std::string(e.what()) : options.source + ": " + e.what());
  }
  // The business-unit values are the table's own numbers until the profile needs them:
  // built after the fit, so the table, X and a second n x d matrix never coexist.
  features::Prepared prepared = out.preparation.transform(table, features::Preparation::Originals::left_out);
  if (options.on_prepared) options.on_prepared(out.preparation, prepared);
  out.row_actions = prepared.actions;
  out.customers = prepared.X.shape(0);
  out.fit = cluster<Scalers, Distances>(prepared.X, options.cluster, !options.keep_features);
  if (options.keep_features) out.features = std::move(prepared.X);
  prepared.X = {};

  // What the outputs need of the table (ids, the categories and values profiled); then it is released.
  out.rows = prepared.rows;
  out.ids.resize(out.rows.size());
  const data::Column* id_cells = out.id_column.empty() ? nullptr : &table.column(out.id_column);
  for (std::size_t i = 0; i < out.rows.size(); ++i)
    out.ids[i] = id_cells ? cell_text(*id_cells, out.rows[i]) : std::to_string(out.rows[i] + 1);
  for (const auto& r : out.preparation.recipes())
    if (r.kind == features::Recipe::Kind::one_hot) {
      CategoricalColumn column{r.source, {}};
      const auto& c = table.column(r.source);
      for (const std::size_t row : out.rows) column.values.push_back(c.missing(row) ? r.fill_level : c.texts()[row]);
      out.categories.push_back(std::move(column));
    }
  out.original = out.preparation.original(table, out.rows);
  out.original_names = std::move(prepared.original_names);
  if (options.keep_table)
    out.table = std::move(table);
  else
    table = data::Table{};

  ProfileOptions profile_options;
  for (const std::string& name : out.original_names) profile_options.display_names.push_back(display_name(name));
  out.profiles = profile_segments(out.original, out.original_names, out.fit.labels, out.categories, profile_options);
  return out;
}

}  // namespace segkit::workflow
