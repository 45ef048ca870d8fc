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
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <xtensor/xadapt.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include "segkit/core/error.hpp"
#include "segkit/core/format.hpp"
#include "segkit/core/options.hpp"
#include "segkit/core/progress.hpp"
#include "segkit/data/csv.hpp"
#include "segkit/data/table.hpp"
#include "segkit/evaluate/inertia.hpp"
#include "segkit/features/prepare.hpp"
#include "segkit/init/kmeans_parallel.hpp"
#include "segkit/density/dbscan.hpp"
#include "segkit/hierarchy/agglomerative.hpp"
#include "segkit/medoids/kmedoids.hpp"
#include "segkit/prototypes/kprototypes.hpp"
#include "segkit/init/kmeans_plus_plus.hpp"
#include "segkit/mixture/gaussian.hpp"
#include "segkit/scaler/none.hpp"
#include "segkit/pipeline/pipeline.hpp"
#include "segkit/pipeline/registry.hpp"
#include "segkit/profile/profile.hpp"
#include "segkit/scaler/any.hpp"
#include "segkit/select/align.hpp"
#include "segkit/select/choose_eps.hpp"
#include "segkit/select/choose_k.hpp"

namespace segkit::workflow {

/// How to cluster, with the policies named (as a tool's options or a configuration file give them).
struct ClusterSettings {
  std::optional<std::size_t> k;          ///< the number of segments; empty: chosen in [k_min, k_max]
  std::size_t k_min = 2, k_max = 10;     ///< K tried when choosing (k_max is cut to the customers - 1)
  std::string scaler = "standard";       ///< a name of the scalers' registry
  std::string distance = "sqeuclidean";  ///< a name of the distances' registry
  std::string init = "k-means++";        ///< the starts: "k-means++" (greedy) or "k-means||" (KMeansParallel)
  /// "kmeans"; "gmm" (a Gaussian mixture; K chosen by BIC); or an agglomerative linkage:
  /// "ward", "complete", "average", "single" (a merge tree cut at K); "dbscan" (dense
  /// regions; K is what it finds, and customers in none are left "unassigned"); "kmedoids"
  /// (FasterPAM: each segment around a real customer, any distance); "kprototypes"
  /// (numbers and categories together, ClusterSettings::category_columns)
  std::string algorithm = "kmeans";
  std::string covariance = "full";  ///< the mixture's covariance type: full, tied, diag or spherical
  /// DBSCAN's radius in the scaled space; empty: the knee of the k-distance curve (choose_eps).
  std::optional<double> eps;
  /// DBSCAN's customers within eps that make a core one; empty: default_min_samples.
  std::optional<std::size_t> min_samples;
  /// k-prototypes' cost of a category that differs; empty: half the mean standard deviation
  /// of the scaled numeric features.
  std::optional<double> gamma;
  /// The one-hot features of each categorical column (segment() sets them from the
  /// preparation): k-prototypes keeps each such column as one category.
  std::vector<std::vector<std::size_t>> category_columns;
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
  /// The id of each segment (label j is segment segment_ids[j]), increasing: 0..k-1 for
  /// a fit of its own, the previous fit's ids where segments persist after align_fit.
  std::vector<std::size_t> segment_ids;
  /// The first id never given out, for the next refit's new segments.
  std::size_t next_segment_id = 0;
  /// A Gaussian mixture's parameters (algorithm "gmm"; its means are scaled_centers), and
  /// each customer's probability of each segment (n x k).
  std::optional<MixtureParameters> mixture;
  xt::xtensor<double, 2> probabilities;
  /// An agglomerative clustering's merge tree (of the customers, or of the micro-segments
  /// of the two-stage mode), for the dendrogram.
  std::optional<MergeTree> tree;
  /// DBSCAN's: the label of the customers in no dense region (the last; none when every
  /// customer is in one), the core customers that place a new one, and the k-distance
  /// curve eps was read from (or could have been, when it was given).
  std::optional<std::size_t> unassigned;
  std::optional<DbscanCores> density;
  std::optional<EpsChoice> eps_choice;
  /// k-medoids': each segment's medoid (label order), a row of the segmented customers:
  /// the segment's typical customer. Its scaled_centers are these customers' rows.
  std::vector<std::size_t> medoids;
  /// k-medoids' by Gower's dissimilarity (distance "gower"): what places a new customer.
  std::optional<GowerMedoids> gower;
  /// k-prototypes': the prototypes and how they read the prepared features.
  std::optional<PrototypeModel> prototypes;

  /// The id of label j.
  std::size_t id_of(std::size_t j) const { return j < segment_ids.size() ? segment_ids[j] : j; }
};

/// Below this silhouette the segments are weak cuts of one cloud rather than groups
/// (Kaufman and Rousseeuw's reading: below 0.25, no substantial structure).
inline constexpr double weak_silhouette = 0.25;

/// The warnings an analyst should see about a fit: the range of K narrowed by the data,
/// the chosen K at the edge of the range tried (when the range, not the data, set that
/// edge), criteria that disagree (at most half of them chose K), a segment of fewer than
/// max(5, 1 %) of the customers, and a chosen K's silhouette below weak_silhouette.
inline std::vector<std::string> guardrails(const Fit& fit, const ClusterSettings& settings,
                                           std::vector<std::size_t> sizes) {
  std::vector<std::string> out;
  const std::size_t n = std::accumulate(sizes.begin(), sizes.end(), std::size_t{0});
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
  const std::size_t least = std::max<std::size_t>(5, (n + 99) / 100);
  for (std::size_t c = 0; c < sizes.size(); ++c)
    if (sizes[c] < least && fit.unassigned != c)
      out.push_back("segment " + std::to_string(fit.id_of(c)) + " holds " + std::to_string(sizes[c]) +
                    (sizes[c] == 1 ? " customer" : " customers") + ", fewer than max(5, 1 %) of the " +
                    std::to_string(n) + ": outliers rather than a segment?");
  return out;
}

/// guardrails of a fit whose labels are all the customers.
inline std::vector<std::string> guardrails(const Fit& fit, const ClusterSettings& settings) {
  std::vector<std::size_t> sizes(fit.k, 0);
  for (const std::size_t l : fit.labels) ++sizes[l];
  return guardrails(fit, settings, std::move(sizes));
}

namespace detail {

inline void stage(const ClusterSettings& settings, const std::string& what) {
  if (settings.on_stage) settings.on_stage(what);
}

template <class Scaler, class Distance, class Init>
Fit fit_with(xt::xtensor<double, 2>& X, const ClusterSettings& settings, bool consume) {
  using P = Pipeline<Scaler, Init, Distance>;
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

/// The silhouette (on the sweep's sample of rows, when it has one), Davies-Bouldin and
/// Calinski-Harabasz of labelled scaled rows, as the k-means sweep scores each K.
inline void score_labels(KScore& s, const xt::xtensor<double, 2>& Z, const xt::xtensor<std::size_t, 1>& labels,
                         const KSweep& sweep, std::size_t threads) {
  if (sweep.silhouette_sampled) {
    Clustering<double> labelled;
    labelled.labels = labels;
    s.silhouette = SampledSilhouette{sweep.silhouette_rows}.evaluate(Z, labelled, threads);
  } else {
    s.silhouette = silhouette_score(Z, labels, threads);
  }
  s.davies_bouldin = davies_bouldin_score(Z, labels);
  s.calinski_harabasz = calinski_harabasz_score(Z, labels);
}

/// X scaled by a Scaler fitted on it (kept in fit.scaling), for an algorithm of its own
/// distance (`why` the distance setting must be sqeuclidean; empty: any); with `consume`, X is released.
template <class Scaler>
xt::xtensor<double, 2> scaled_for(xt::xtensor<double, 2>& X, const ClusterSettings& settings, bool consume, Fit& fit,
                                  const std::string& why) {
  if (!why.empty() && settings.distance != "sqeuclidean")
    throw error(why + ": the distance must be sqeuclidean, not \"" + settings.distance + "\"");
  Scaler scaler;
  scaler.fit(X);
  fit.scaling = scaler;
  xt::xtensor<double, 2> Z = scaler.transform(X);
  if (consume) X = xt::xtensor<double, 2>();
  return Z;
}

/// A Gaussian mixture of the scaled rows: K given, or the K of lowest BIC in the range (each
/// K scored by silhouette, Davies-Bouldin and Calinski-Harabasz too, for the report). A
/// component that ends with no customer is dropped, and the warnings say so.
template <class Scaler>
Fit fit_mixture(xt::xtensor<double, 2>& X, const ClusterSettings& settings, bool consume) {
  const CovarianceType type = covariance_type(settings.covariance);
  Fit fit;
  const xt::xtensor<double, 2> Z =
      scaled_for<Scaler>(X, settings, consume, fit, "a Gaussian mixture measures its own (Mahalanobis) distance");
  const std::size_t n = Z.shape(0);
  const MixtureOptions base{.covariance = type,
                            .max_iter = settings.max_iter,
                            .n_init = settings.n_init,
                            .seed = settings.seed,
                            .threads = settings.threads};
  const auto fit_k = [&](std::size_t k) {
    MixtureOptions options = base;
    options.k = k;
    GaussianMixture gm(options);
    gm.fit(Z);
    return gm;
  };
  std::optional<GaussianMixture> chosen;
  if (settings.k) {
    stage(settings, "fitting a Gaussian mixture of K = " + std::to_string(*settings.k));
    chosen = fit_k(*settings.k);
    fit.k_reason = "K = " + std::to_string(*settings.k) + " as asked.";
  } else {
    SweepOptions sweep;
    sweep.k_min = settings.k_min;
    sweep.k_max = std::min<std::size_t>(settings.k_max, n > 0 ? n - 1 : 0);
    segkit::detail::check_sweep(n, sweep);
    stage(settings,
          "trying Gaussian mixtures of K = " + std::to_string(sweep.k_min) + ".." + std::to_string(sweep.k_max));
    KSweep result = segkit::detail::start_sweep(n, sweep, settings.seed);
    segkit::detail::report(settings.progress, "K", 0, sweep.k_max - sweep.k_min + 1);
    for (std::size_t k = sweep.k_min; k <= sweep.k_max; ++k) {
      GaussianMixture gm = fit_k(k);
      KScore s;
      s.k = k;
      s.iterations = gm.iterations();
      s.converged = gm.converged();
      s.bic = gm.bic(Z);
      s.inertia = inertia_score(Z, gm.labels(), gm.means());
      if (std::set<std::size_t>(gm.labels().begin(), gm.labels().end()).size() >= 2)
        score_labels(s, Z, gm.labels(), result, settings.threads);
      if (!chosen || *s.bic < *result.scores[chosen->options().k - sweep.k_min].bic) chosen = std::move(gm);
      result.scores.push_back(std::move(s));
      segkit::detail::report(settings.progress, "K", k - sweep.k_min + 1, sweep.k_max - sweep.k_min + 1);
    }
    // The recommendation is BIC's; the other criteria's choices are said beside it.
    KRecommendation r = recommend_k(result.scores, std::nullopt);
    r.k = chosen->options().k;
    r.agreeing.clear();
    if (r.best_silhouette_k == r.k) r.agreeing.push_back(Criterion::silhouette);
    if (r.best_davies_bouldin_k == r.k) r.agreeing.push_back(Criterion::davies_bouldin);
    if (r.best_calinski_harabasz_k == r.k) r.agreeing.push_back(Criterion::calinski_harabasz);
    r.reason = "K = " + std::to_string(r.k) + ": the lowest BIC (" +
               format_number(*result.scores[r.k - sweep.k_min].bic) +
               ") of the Gaussian mixtures of K = " + std::to_string(sweep.k_min) + ".." + std::to_string(sweep.k_max) +
               "; the silhouette would choose K = " + std::to_string(r.best_silhouette_k) +
               ", Davies-Bouldin K = " + std::to_string(r.best_davies_bouldin_k) +
               ", Calinski-Harabasz K = " + std::to_string(r.best_calinski_harabasz_k) + "." +
               segkit::detail::sampled_note(result);
    fit.k_reason = r.reason;
    fit.recommendation = std::move(r);
    fit.sweep = std::move(result.scores);
  }
  // Components no customer is most likely to belong to are dropped (a segment needs customers).
  MixtureParameters parameters = chosen->parameters();
  const xt::xtensor<std::size_t, 1>& labels = chosen->labels();
  const std::size_t k = parameters.weights.size();
  std::vector<std::size_t> size(k, 0), renumber(k, 0);
  for (const std::size_t l : labels) ++size[l];
  std::vector<std::size_t> kept;
  for (std::size_t c = 0; c < k; ++c)
    if (size[c] > 0) renumber[c] = kept.size(), kept.push_back(c);
  xt::xtensor<double, 2> probabilities = chosen->predict_proba(Z);
  if (kept.size() < k) {
    MixtureParameters fewer{parameters.covariance, {}, xt::empty<double>({kept.size(), Z.shape(1)}), {}};
    const bool shared = parameters.covariance == CovarianceType::tied;
    auto shape = parameters.covariances.shape();
    fewer.covariances = xt::empty<double>({shared ? std::size_t{1} : kept.size(), shape[1], shape[2]});
    double total = 0;
    for (const std::size_t c : kept) total += parameters.weights[c];
    xt::xtensor<double, 2> kept_probabilities = xt::empty<double>({n, kept.size()});
    for (std::size_t a = 0; a < kept.size(); ++a) {
      const std::size_t c = kept[a];
      fewer.weights.push_back(parameters.weights[c] / total);
      xt::row(fewer.means, a) = xt::row(parameters.means, c);
      if (!shared) xt::view(fewer.covariances, a) = xt::view(parameters.covariances, c);
      for (std::size_t i = 0; i < n; ++i) kept_probabilities(i, a) = probabilities(i, c);
    }
    if (shared) fewer.covariances = parameters.covariances;
    for (std::size_t i = 0; i < n; ++i) {
      double sum = 0;
      for (std::size_t a = 0; a < kept.size(); ++a) sum += kept_probabilities(i, a);
      for (std::size_t a = 0; a < kept.size(); ++a) kept_probabilities(i, a) /= sum;
    }
    fit.warnings.push_back(std::to_string(k - kept.size()) + " of the " + std::to_string(k) +
                           " mixture components is no customer's most likely one: dropped, " +
                           std::to_string(kept.size()) + " segments remain");
    parameters = std::move(fewer);
    probabilities = std::move(kept_probabilities);
  }
  fit.k = kept.size();
  fit.labels.resize(n);
  for (std::size_t i = 0; i < n; ++i) fit.labels[i] = renumber[labels(i)];
  fit.scaled_centers = parameters.means;
  fit.inertia = inertia_score(Z, xt::adapt(fit.labels, {n}), fit.scaled_centers);
  fit.mixture = std::move(parameters);
  fit.probabilities = std::move(probabilities);
  return fit;
}

/// Above this many customers an agglomerative clustering is two-stage (Ward only): k-means
/// into agglomerative_micro_segments, then Ward's tree of their centres weighted by size.
inline constexpr std::size_t agglomerative_max_rows = 20000;
inline constexpr std::size_t agglomerative_micro_segments = 500;

/// The means of the rows of each label (0..k-1) and the summed squared distances to them.
inline std::pair<xt::xtensor<double, 2>, double> label_means(const xt::xtensor<double, 2>& Z,
                                                             const std::vector<std::size_t>& labels, std::size_t k) {
  const std::size_t n = Z.shape(0), d = Z.shape(1);
  xt::xtensor<double, 2> means = xt::zeros<double>({k, d});
  std::vector<double> count(k, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    count[labels[i]] += 1;
    for (std::size_t j = 0; j < d; ++j) means(labels[i], j) += Z(i, j);
  }
  for (std::size_t c = 0; c < k; ++c)
    for (std::size_t j = 0; j < d; ++j) means(c, j) /= count[c];
  double inertia = 0;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) inertia += (Z(i, j) - means(labels[i], j)) * (Z(i, j) - means(labels[i], j));
  return {std::move(means), inertia};
}

/// The K sweep of an algorithm that segments the scaled rows by a rule of its own:
/// labels_at(k) gives K = k's labels (0..k-1, k at most `most`). Each K is scored as the
/// k-means sweep scores it, the within-segment sum of squares as the elbow's inertia, and
/// the criteria vote (segkit::detail::recommend).
template <class LabelsAt>
KSweep sweep_segmentations(const xt::xtensor<double, 2>& Z, const ClusterSettings& settings, std::size_t most,
                           LabelsAt&& labels_at) {
  const std::size_t n = Z.shape(0);
  SweepOptions sweep;
  sweep.k_min = settings.k_min;
  sweep.k_max = std::min<std::size_t>({settings.k_max, n > 0 ? n - 1 : 0, most});
  segkit::detail::check_sweep(n, sweep);
  KSweep result = segkit::detail::start_sweep(n, sweep, settings.seed);
  const std::size_t count = sweep.k_max - sweep.k_min + 1;
  segkit::detail::report(settings.progress, "K", 0, count);
  for (std::size_t k = sweep.k_min; k <= sweep.k_max; ++k) {
    const std::vector<std::size_t> labels = labels_at(k);
    KScore s;
    s.k = k;
    s.converged = true;
    s.inertia = label_means(Z, labels, k).second;
    score_labels(s, Z, xt::adapt(labels, {n}), result, settings.threads);
    result.scores.push_back(std::move(s));
    segkit::detail::report(settings.progress, "K", k - sweep.k_min + 1, count);
  }
  segkit::detail::recommend(result);
  return result;
}

/// The segments of an algorithm that fits one K at a time (labels_at(k), as for
/// sweep_segmentations): K given, or chosen over the sweep, whose labels of the chosen K are
/// kept. `what` names the algorithm in the stages told.
template <class LabelsAt>
void choose_segments(Fit& fit, const xt::xtensor<double, 2>& Z, const ClusterSettings& settings,
                     const std::string& what, std::size_t most, LabelsAt&& labels_at) {
  if (settings.k) {
    fit.k = *settings.k;
    stage(settings, what + " of K = " + std::to_string(fit.k));
    fit.k_reason = "K = " + std::to_string(fit.k) + " as asked.";
    fit.labels = labels_at(fit.k);
    return;
  }
  stage(settings,
        "trying " + what + " of K = " + std::to_string(settings.k_min) + ".." + std::to_string(settings.k_max));
  std::map<std::size_t, std::vector<std::size_t>> kept;
  KSweep result = sweep_segmentations(Z, settings, most, [&](std::size_t k) { return kept[k] = labels_at(k); });
  fit.k = result.recommendation.k;
  fit.k_reason = result.recommendation.reason;
  fit.recommendation = result.recommendation;
  fit.sweep = std::move(result.scores);
  fit.labels = std::move(kept.at(fit.k));
}

/// Agglomerative segments of the scaled rows: the merge tree cut at K given, or at the K
/// the criteria vote for (the sweep of k-means' criteria over the cuts K = k_min..k_max).
template <class Scaler>
Fit fit_agglomerative(xt::xtensor<double, 2>& X, const ClusterSettings& settings, bool consume) {
  const Linkage linkage = linkage_method(settings.algorithm);
  Fit fit;
  const xt::xtensor<double, 2> Z =
      scaled_for<Scaler>(X, settings, consume, fit, "agglomerative clustering here merges by Euclidean distances");
  const std::size_t n = Z.shape(0);
  std::vector<std::size_t> micro;  // each customer's micro-segment, in the two-stage mode
  std::string name(linkage_name(linkage));
  if (n > agglomerative_max_rows) {
    if (linkage != Linkage::ward)
      throw error(name + " linkage keeps every distance between two customers (" + std::to_string(n) +
                  " customers: more than " + std::to_string(agglomerative_max_rows) +
                  "); use ward, which is two-stage for so many");
    stage(settings, "k-means into " + std::to_string(agglomerative_micro_segments) + " micro-segments");
    Options options{.k = agglomerative_micro_segments, .n_init = 1, .seed = settings.seed, .threads = settings.threads};
    Pipeline<NoScaling, KMeansPlusPlus> micro_fit(options);
    micro_fit.fit(Z);
    micro.assign(micro_fit.labels().begin(), micro_fit.labels().end());
    std::vector<double> sizes(agglomerative_micro_segments, 0.0);
    for (const std::size_t m : micro) sizes[m] += 1;
    stage(settings, "Ward's tree of the micro-segments");
    fit.tree = ward_of_centres(micro_fit.scaled_centers(), sizes, settings.threads);
    fit.warnings.push_back("Ward's tree was built on " + std::to_string(agglomerative_micro_segments) +
                           " k-means micro-segments of the " + std::to_string(n) + " customers (two-stage: more than " +
                           std::to_string(agglomerative_max_rows) + ")");
  } else {
    stage(settings, "merging the customers (" + name + " linkage)");
    fit.tree = agglomerate(Z, linkage, settings.threads);
  }
  const auto labels_at = [&](std::size_t k) {
    std::vector<std::size_t> labels = fit.tree->cut(k);
    if (micro.empty()) return labels;
    std::vector<std::size_t> out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = labels[micro[i]];
    // Numbered by each segment's first customer, as a cut of the customers' own tree.
    std::vector<std::size_t> renumber(k, k);
    std::size_t next = 0;
    for (std::size_t& l : out) {
      if (renumber[l] == k) renumber[l] = next++;
      l = renumber[l];
    }
    return out;
  };
  if (settings.k) {
    fit.k = *settings.k;
    if (fit.k == 0 || fit.k > fit.tree->leaves)
      throw error("K = " + std::to_string(fit.k) + " segments of a tree of " + std::to_string(fit.tree->leaves) +
                  (micro.empty() ? " customers" : " micro-segments"));
    fit.k_reason = "K = " + std::to_string(fit.k) + " as asked.";
    fit.labels = labels_at(fit.k);
  } else {
    KSweep result = sweep_segmentations(Z, settings, fit.tree->leaves, labels_at);
    fit.k = result.recommendation.k;
    fit.k_reason = result.recommendation.reason;
    fit.recommendation = result.recommendation;
    fit.sweep = std::move(result.scores);
    fit.labels = labels_at(fit.k);
  }
  std::tie(fit.scaled_centers, fit.inertia) = label_means(Z, fit.labels, fit.k);
  return fit;
}

/// Above this many customers k-medoids is refused (each pass of FasterPAM weighs every
/// customer against every other one); up to kmedoids_build_rows it starts from BUILD,
/// above from seeded k-medoids++ (BUILD alone would take k passes).
inline constexpr std::size_t kmedoids_max_rows = 20000;
inline constexpr std::size_t kmedoids_build_rows = 5000;

/// k-medoids segments of the scaled rows (FasterPAM), K given or voted as for k-means: each
/// segment's centre is a real customer (Fit::medoids). The distance setting names the
/// dissimilarity: sqeuclidean (the default) means the Euclidean distance, k-medoids' usual
/// loss, which puts a customer at the same nearest medoid; "gower" is Gower's dissimilarity of
/// the prepared numbers and the categories (each one-hot column read back as one, as
/// k-prototypes does); the others are used as they are.
template <class Scaler, class Distances>
Fit fit_medoids(xt::xtensor<double, 2>& X, const ClusterSettings& settings, bool consume) {
  Fit fit;
  // Gower's dissimilarity reads the prepared numbers (it divides by their ranges) and the
  // categories' codes; the scaled features are for the scores and the charts.
  const bool gower = settings.distance == "gower";
  const features::MixedColumns columns = features::MixedColumns::of(X.shape(1), settings.category_columns);
  std::pair<xt::xtensor<double, 2>, std::vector<bool>> mixed;
  if (gower) mixed = columns.mixed(X);
  const Gower gower_of_rows = gower ? Gower::of(mixed.first, mixed.second) : Gower{};
  const xt::xtensor<double, 2> Z = scaled_for<Scaler>(X, settings, consume, fit, "");
  const std::size_t n = Z.shape(0);
  if (n > kmedoids_max_rows)
    throw error("k-medoids weighs every customer against every other one (" + std::to_string(n) +
                " customers: more than " + std::to_string(kmedoids_max_rows) + "); use kmeans, or segment a sample");
  const KMedoidsOptions base{.start = n <= kmedoids_build_rows ? MedoidStart::build : MedoidStart::kmedoids_plus_plus,
                             .max_iter = settings.max_iter,
                             .seed = settings.seed,
                             .threads = settings.threads};
  std::map<std::size_t, std::vector<std::size_t>> medoids_of;  // K -> its medoids
  const auto labels_at = [&](std::size_t k) {
    KMedoidsOptions options = base;
    options.k = k;
    const auto fit_with = [&](auto dissimilarity, const xt::xtensor<double, 2>& rows) {
      KMedoids<decltype(dissimilarity)> model(options, dissimilarity);
      model.fit(rows);
      medoids_of[k] = model.medoids();
      return std::vector<std::size_t>(model.labels().begin(), model.labels().end());
    };
    if (gower) return fit_with(gower_of_rows, mixed.first);
    return with_named_policy(Distances{}, settings.distance, "the distance", [&](auto distance) {
      if constexpr (std::is_same_v<decltype(distance), SquaredEuclidean>)
        return fit_with(Euclidean{}, Z);
      else
        return fit_with(distance, Z);
    });
  };
  choose_segments(fit, Z, settings, "k-medoids", n, labels_at);
  fit.medoids = medoids_of.at(fit.k);
  if (gower) {
    GowerMedoids model{columns, gower_of_rows, xt::empty<double>({fit.k, mixed.first.shape(1)})};
    for (std::size_t c = 0; c < fit.k; ++c) xt::row(model.medoids, c) = xt::row(mixed.first, fit.medoids[c]);
    fit.gower = std::move(model);
  }
  fit.scaled_centers = xt::empty<double>({fit.k, Z.shape(1)});
  for (std::size_t c = 0; c < fit.k; ++c) xt::row(fit.scaled_centers, c) = xt::row(Z, fit.medoids[c]);
  fit.inertia = label_means(Z, fit.labels, fit.k).second;
  return fit;
}

/// k-prototypes segments: the scaled numeric features and each categorical column (its
/// one-hot features, ClusterSettings::category_columns) as one category, K given or voted
/// as for k-means (on the scaled features). Cao's start, so one start is all there is.
template <class Scaler>
Fit fit_prototypes(xt::xtensor<double, 2>& X, const ClusterSettings& settings, bool consume) {
  if (settings.category_columns.empty())
    throw error("k-prototypes needs categorical columns (text columns, or codes named as categorical)");
  const features::MixedColumns columns = features::MixedColumns::of(X.shape(1), settings.category_columns);
  const xt::xtensor<std::size_t, 2> codes = columns.codes(X);
  Fit fit;
  const xt::xtensor<double, 2> Z =
      scaled_for<Scaler>(X, settings, consume, fit, "k-prototypes measures numbers by squared Euclidean distances");
  const xt::xtensor<double, 2> numbers = columns.numbers(Z);
  const double gamma = settings.gamma.value_or(KPrototypes::default_gamma(numbers));
  std::map<std::size_t, KPrototypes> fits;
  const auto labels_at = [&](std::size_t k) {
    KPrototypes model(
        {.k = k, .gamma = gamma, .max_iter = settings.max_iter, .seed = settings.seed, .threads = settings.threads});
    model.fit(numbers, codes);
    const auto& labels = model.labels();
    std::vector<std::size_t> out(labels.begin(), labels.end());
    fits.insert_or_assign(k, std::move(model));
    return out;
  };
  choose_segments(fit, Z, settings, "k-prototypes", Z.shape(0), labels_at);
  const KPrototypes& chosen = fits.at(fit.k);
  fit.prototypes = PrototypeModel{columns, chosen.means(), chosen.modes(), chosen.gamma()};
  std::tie(fit.scaled_centers, fit.inertia) = label_means(Z, fit.labels, fit.k);
  fit.k_reason += " k-prototypes' cost of a category that differs: gamma = " + format_number(gamma) +
                  (settings.gamma ? " (as asked)." : " (half the mean standard deviation of the numeric features).");
  return fit;
}

/// DBSCAN's segments of the scaled rows, with eps and min_samples given or chosen
/// (choose_eps): the dense regions are segments 0..s-1, and the customers in none make
/// one more, the last, Fit::unassigned. The inertia is that of the dense segments only.
template <class Scaler>
Fit fit_density(xt::xtensor<double, 2>& X, const ClusterSettings& settings, bool consume) {
  if (settings.k)
    throw error("DBSCAN finds the number of segments itself (K = " + std::to_string(*settings.k) +
                " was given): set eps and min_samples instead");
  Fit fit;
  const xt::xtensor<double, 2> Z = scaled_for<Scaler>(X, settings, consume, fit, "DBSCAN measures Euclidean radii");
  const std::size_t n = Z.shape(0), d = Z.shape(1);
  const std::size_t min_samples = settings.min_samples.value_or(default_min_samples(d));
  stage(settings, "the " + std::to_string(min_samples) + "-distance curve");
  fit.eps_choice = choose_eps(Z, min_samples, settings.threads);
  const DbscanOptions options{
      .eps = settings.eps.value_or(fit.eps_choice->eps), .min_samples = min_samples, .threads = settings.threads};
  const std::string setting = "eps = " + format_number(options.eps) + " (in " + settings.scaler +
                              "-scaled units), min_samples = " + std::to_string(min_samples);
  stage(settings, "DBSCAN, " + setting);
  const Dbscan result = dbscan(Z, options);
  if (result.segments == 0)
    throw error("DBSCAN with " + setting + " finds no dense region: every customer is noise; give a larger eps or " +
                "a smaller min_samples");
  fit.k = result.segments + (result.noise_count > 0 ? 1 : 0);
  if (result.noise_count > 0) fit.unassigned = result.segments;
  fit.labels.resize(n);
  for (std::size_t i = 0; i < n; ++i)
    fit.labels[i] = result.labels[i] == Dbscan::noise ? result.segments : static_cast<std::size_t>(result.labels[i]);
  fit.scaled_centers = label_means(Z, fit.labels, fit.k).first;
  fit.inertia = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (result.labels[i] != Dbscan::noise)
      for (std::size_t j = 0; j < d; ++j)
        fit.inertia +=
            (Z(i, j) - fit.scaled_centers(fit.labels[i], j)) * (Z(i, j) - fit.scaled_centers(fit.labels[i], j));
  fit.density = DbscanCores::of(Z, result, options);
  const std::string eps_source =
      settings.eps           ? std::string("eps as asked")
      : fit.eps_choice->bend ? "eps at the knee of the sorted " + std::to_string(min_samples) + "-distances"
                             : "eps the largest " + std::to_string(min_samples) + "-distance (the curve has no knee)";
  fit.k_reason = std::to_string(result.segments) + (result.segments == 1 ? " dense region" : " dense regions") +
                 " (DBSCAN, " + setting + "; " + eps_source + ")" +
                 (result.noise_count > 0
                      ? ", and " + std::to_string(result.noise_count) + " of the " + std::to_string(n) +
                            " customers in none: segment " + std::to_string(result.segments) + ", \"unassigned\"."
                      : "; every customer is in one.");
  return fit;
}

}  // namespace detail

/// Clusters the rows of X with the scaler and distance the settings name. With
/// `consume`, X is scaled where it lies and left empty, so that X and a scaled copy
/// of it never coexist when the caller needs X no more.
template <class Scalers = BuiltinScalers, class Distances = BuiltinDistances>
Fit cluster(xt::xtensor<double, 2>& X, const ClusterSettings& settings, bool consume = false) {
  const bool agglomerative = settings.algorithm == "ward" || settings.algorithm == "complete" ||
                             settings.algorithm == "average" || settings.algorithm == "single";
  if (!is_algorithm(settings.algorithm))
    throw error("the algorithm must be " + algorithm_list() + ", not \"" + settings.algorithm + "\"");
  Fit fit = with_named_policy(Scalers{}, settings.scaler, "the scaler", [&](auto scaler) {
    if (settings.algorithm == "gmm") return detail::fit_mixture<decltype(scaler)>(X, settings, consume);
    if (settings.algorithm == "dbscan") return detail::fit_density<decltype(scaler)>(X, settings, consume);
    if (settings.algorithm == "kprototypes") return detail::fit_prototypes<decltype(scaler)>(X, settings, consume);
    if (settings.algorithm == "kmedoids") return detail::fit_medoids<decltype(scaler), Distances>(X, settings, consume);
    if (agglomerative) return detail::fit_agglomerative<decltype(scaler)>(X, settings, consume);
    return with_named_policy(Distances{}, settings.distance, "the distance", [&](auto distance) {
      if (settings.init == "k-means||")
        return detail::fit_with<decltype(scaler), decltype(distance), KMeansParallel>(X, settings, consume);
      if (settings.init != "k-means++")
        throw error("the starts (init) must be k-means++ or k-means||, not \"" + settings.init + "\"");
      return detail::fit_with<decltype(scaler), decltype(distance), KMeansPlusPlus>(X, settings, consume);
    });
  });
  fit.segment_ids.resize(fit.k);
  std::iota(fit.segment_ids.begin(), fit.segment_ids.end(), std::size_t{0});
  fit.next_segment_id = fit.k;
  std::vector<std::string> dropped = std::move(fit.warnings);
  fit.warnings = guardrails(fit, settings);
  fit.warnings.insert(fit.warnings.begin(), dropped.begin(), dropped.end());
  return fit;
}

/// How a refit's segments relate to the previous ones it was aligned to (align_fit).
struct Drift {
  std::string source;                 ///< where the previous segments came from (a model file)
  std::vector<std::size_t> ids;       ///< the new segments' ids, in label order (Fit::segment_ids)
  std::vector<bool> persisted;        ///< per new segment: it kept a previous segment's id
  std::vector<double> moved;          ///< per new segment: its centre's distance from that previous one (scaled space)
  std::vector<std::size_t> appeared;  ///< ids of the segments with no previous match, increasing
  std::vector<std::size_t> vanished;  ///< previous ids that no new segment took, increasing
  std::vector<std::string> notes;     ///< how features only one side has were compared (one-hot levels)
  /// Where the customers went, when the previous segmentation's labels were given.
  std::optional<SegmentFlows> flows;
};

/// A previous fit's centres in the features of a preparation (k_prev x its features, in the
/// units of the prepared features, before scaling), matched by name, and what that matching
/// had to assume. A level of a one-hot column that only one side has counts as absent (0) on
/// the other, as it was for every customer there; any other feature only one side has, or one
/// logged on one side only, is refused: centres in other units are not comparable. Known
/// from the preparation alone, so a caller can check it before a long fit.
struct PreviousCentres {
  xt::xtensor<double, 2> centers;
  std::vector<std::string> notes;  ///< how features only one side has were compared
};

inline PreviousCentres previous_centres_in(const features::Preparation& preparation, const PreviousSegments& previous) {
  const std::string where = previous.source.empty() ? std::string("the previous segments") : previous.source;
  const std::vector<std::string> features = preparation.feature_names();
  const std::vector<bool> logged = features::logged_features(preparation),
                          one_hot = features::one_hot_features(preparation);
  const std::size_t d = features.size(), k_prev = previous.centers.shape(0);
  if (previous.features.size() != previous.centers.shape(1))
    throw error(where + ": " + std::to_string(previous.features.size()) + " feature names for centres of " +
                std::to_string(previous.centers.shape(1)) + " features");
  if (k_prev == 0) throw error(where + ": no previous segments to align to");
  const auto flag = [](const std::vector<bool>& flags, std::size_t j) { return j < flags.size() && flags[j]; };
  constexpr std::size_t absent = static_cast<std::size_t>(-1);
  std::vector<std::size_t> column(d, absent);  // each feature's column in the previous centres
  std::string only_now, only_before;
  PreviousCentres out;
  for (std::size_t j = 0; j < d; ++j) {
    const auto at = std::find(previous.features.begin(), previous.features.end(), features[j]);
    if (at != previous.features.end())
      column[j] = static_cast<std::size_t>(at - previous.features.begin());
    else if (one_hot[j])
      out.notes.push_back("\"" + features[j] + "\" is a level the previous segments did not have: counted as 0 there");
    else
      only_now += (only_now.empty() ? "\"" : ", \"") + features[j] + "\"";
  }
  for (std::size_t c = 0; c < previous.features.size(); ++c)
    if (std::find(features.begin(), features.end(), previous.features[c]) == features.end()) {
      if (flag(previous.one_hot, c))
        out.notes.push_back("\"" + previous.features[c] +
                            "\" is a level of the previous segments that no customer has now: left out");
      else
        only_before += (only_before.empty() ? "\"" : ", \"") + previous.features[c] + "\"";
    }
  if (!only_now.empty() || !only_before.empty()) {
    std::string message = where + ": segments can be aligned only on the same features;";
    if (!only_before.empty()) message += " the previous segments have " + only_before + ", which this fit has not;";
    if (!only_now.empty()) message += " this fit has " + only_now + ", which the previous segments have not;";
    message.back() = '.';
    throw error(message + " Prepare the data as the previous fit did (--features, --log-skewed).");
  }
  if (std::count(column.begin(), column.end(), absent) == static_cast<std::ptrdiff_t>(d))
    throw error(where + ": no feature in common with this fit: segments can be aligned only on the same features");
  for (std::size_t j = 0; j < d; ++j) {
    if (column[j] == absent) continue;
    const bool now_log = flag(logged, j), before_log = flag(previous.logged, column[j]);
    if (now_log != before_log)
      throw error(where + ": feature \"" + features[j] + "\" is log1p of its column " +
                  (before_log ? "in the previous segments but not in this fit"
                              : "in this fit but not in the previous segments") +
                  " (--log-skewed): centres in other units are not comparable");
  }
  out.centers = xt::empty<double>({k_prev, d});
  for (std::size_t c = 0; c < k_prev; ++c)
    for (std::size_t j = 0; j < d; ++j) out.centers(c, j) = column[j] == absent ? 0.0 : previous.centers(c, column[j]);
  return out;
}

/// Aligns a fit's segments with a previous fit's, whose centres `before` are given in the
/// fit's prepared features (previous_centres_in): they are put into the fit's scaled space,
/// matched to the new centres by the least total distance (align_centers), and the fit is
/// renumbered so that its labels run in the order of the ids it takes (Fit::segment_ids).
inline Drift align_fit(Fit& fit, const PreviousCentres& before, const PreviousSegments& previous) {
  const std::size_t k = fit.scaled_centers.shape(0), d = fit.scaled_centers.shape(1);
  if (before.centers.shape(1) != d)
    throw error("align_fit: previous centres of " + std::to_string(before.centers.shape(1)) +
                " features for a fit of " + std::to_string(d));
  const xt::xtensor<double, 2> before_scaled = fit.scaling.transform(before.centers);
  const Alignment alignment = align_centers(before_scaled, fit.scaled_centers, previous.ids, previous.next_id);

  // Labels renumbered in the order of the ids: label j of the result is the j-th smallest id.
  std::vector<std::size_t> order(k);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t x, std::size_t y) { return alignment.ids[x] < alignment.ids[y]; });
  std::vector<std::size_t> label_of(k);
  for (std::size_t r = 0; r < k; ++r) label_of[order[r]] = r;
  for (std::size_t& l : fit.labels) l = label_of[l];
  xt::xtensor<double, 2> centers = xt::empty<double>({k, d});
  for (std::size_t r = 0; r < k; ++r) std::copy_n(fit.scaled_centers.data() + order[r] * d, d, centers.data() + r * d);
  fit.scaled_centers = std::move(centers);
  Drift drift;
  drift.source = previous.source.empty() ? std::string("the previous segments") : previous.source;
  drift.notes = before.notes;
  for (std::size_t r = 0; r < k; ++r) {
    drift.ids.push_back(alignment.ids[order[r]]);
    drift.persisted.push_back(alignment.persisted[order[r]]);
    drift.moved.push_back(alignment.moved[order[r]]);
    if (!drift.persisted.back()) drift.appeared.push_back(drift.ids.back());
  }
  drift.vanished = alignment.vanished;
  fit.segment_ids = drift.ids;
  fit.next_segment_id = alignment.next_id;
  return drift;
}

/// align_fit on a fit of `preparation`'s features.
inline Drift align_fit(Fit& fit, const features::Preparation& preparation, const PreviousSegments& previous) {
  return align_fit(fit, previous_centres_in(preparation, previous), previous);
}

/// A customer table and the column that names its customers ("" when none does).
struct CustomerTable {
  data::Table table;
  std::string id_column;
  bool id_given = false;  ///< named by the caller (then never a feature), not found by its name
};

namespace detail {

/// Each rank's part of a file typed from its own cells, made the kinds one process reads
/// the whole file with: a column is numeric, a date or text on every rank where it holds
/// a value, or text everywhere (a rank where it holds none takes that kind). A rank
/// whose cells were typed otherwise reads its part again with the column as text.
template <Communicator Comm>
data::Table agree_on_kinds(data::Table table, const std::string& path, data::CsvOptions options, const Comm& comm) {
  const std::size_t width = table.columns();
  enum : unsigned long long { empty, numeric, date, text };
  std::vector<unsigned long long> kinds(width);
  for (std::size_t j = 0; j < width; ++j) {
    const data::Column& c = table.at(j);
    kinds[j] = c.is_categorical() ? text : c.is_date() ? date : c.missing_count() == c.size() ? empty : numeric;
  }
  const std::vector<unsigned long long> all = comm.allgather(kinds);
  std::vector<std::string> again;
  for (std::size_t j = 0; j < width; ++j) {
    unsigned long long agreed = empty;
    for (std::size_t r = 0; r < all.size() / width; ++r)
      if (const unsigned long long kind = all[r * width + j]; kind != empty)
        agreed = agreed == empty || agreed == kind ? kind : text;
    if (agreed == empty || agreed == kinds[j]) continue;
    const data::Column& c = table.at(j);
    const std::size_t n = c.size();
    if (kinds[j] == empty)
      table.replace(j,
                    agreed == date
                        ? data::Column::date(c.name(), std::vector<std::int64_t>(n, 0), std::vector<bool>(n, true))
                        : data::Column::categorical(c.name(), std::vector<std::string>(n), std::vector<bool>(n, true)));
    else
      again.push_back(c.name());
  }
  std::string problem;
  if (!again.empty()) {
    options.categorical.insert(options.categorical.end(), again.begin(), again.end());
    try {
      table = data::read_csv(path, options);
    } catch (const error& e) {
      problem = e.what();
    }
  }
  agree(comm, problem);
  return table;
}

}  // namespace detail

/// Reads a customer file so that its ids stay names ("0001" comes back as "0001"):
/// the id column (`id`, or any column named like one) is read as text, and a column
/// named like an id that names no customers is turned back into numbers.
///
/// With a `comm` of several ranks, each rank reads its own part of the file's records
/// (CsvOptions::part; rank order is file order), and the ranks agree on what one process
/// reading the whole file decides: the kind of every column, the id column (its values
/// distinct over all the ranks), the columns turned back into numbers. Collective; a rank
/// that cannot read its part stops every rank.
template <Communicator Comm = SerialComm>
CustomerTable read_customers(const std::string& path, data::CsvOptions options, const std::string& id = "",
                             const Comm& comm = {}) {
  if (!id.empty()) options.categorical.push_back(id);
  options.text_if = [](std::string_view header) { return features::looks_like_id(std::string(header)); };
  const bool spread = comm.size() > 1;
  CustomerTable out{{}, "", !id.empty()};
  if (spread) {
    options.part = {comm.rank(), comm.size()};
    std::string problem;
    try {
      out.table = data::read_csv(path, options);
    } catch (const error& e) {
      problem = e.what();
    }
    agree(comm, problem);
    out.table = detail::agree_on_kinds(std::move(out.table), path, options, comm);
  } else {
    out.table = data::read_csv(path, options);
  }
  data::Table& table = out.table;
  const std::string id_key = !id.empty() ? id : features::find_id_column(table, comm).value_or("");
  std::set<std::size_t> kept_as_text;  // as the caller asked, or the id itself
  for (const std::string& key : options.categorical) kept_as_text.insert(table.index_of(key));
  if (!id_key.empty()) kept_as_text.insert(table.index_of(id_key));
  for (std::size_t j = 0; j < table.columns(); ++j)
    if (!kept_as_text.count(j) && features::looks_like_id(table.at(j).name())) {
      auto numbers = data::reparse_as_numbers(table.at(j));
      // Numbers on every rank, or text on every rank.
      const bool all_numbers =
          spread ? comm.all(numbers.has_value() || !table.at(j).is_categorical()) : numbers.has_value();
      if (all_numbers && numbers) table.replace(j, std::move(*numbers));
    }
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

/// A labels file (labels_csv: the customer's id, or its row, first; a "segment" column)
/// as SegmentOptions::previous_labels: each customer's id as text, and its segment id.
/// A segment that is not a whole number, or a customer given twice, is refused naming the
/// file, the line and the column.
inline std::pair<std::vector<std::string>, std::vector<std::size_t>> read_segment_labels(const std::string& path) {
  data::CsvOptions options;
  options.text_if = [](std::string_view) { return true; };  // ids stay names ("0001"), segments are checked here
  const data::Table table = data::read_csv(path, options);
  if (!table.contains("segment"))
    throw error(data::detail::csv_where(path) + "no \"segment\" column: not a labels file of segkit segment --out");
  const std::size_t at = table.index_of("segment");
  if (at == 0)
    throw error(data::detail::csv_where(path, 1, 1, "segment") +
                "the first column must be the customers' id (or row), the \"segment\" column comes after it");
  const data::Column& ids = table.at(0);
  const data::Column& segments = table.at(at);
  std::pair<std::vector<std::string>, std::vector<std::size_t>> out;
  for (std::size_t i = 0; i < table.rows(); ++i) {
    const std::string text = segments.missing(i) ? std::string() : segments.texts()[i];
    std::size_t id = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
      throw error(data::detail::csv_where(path, i + 2, at + 1, "segment") + "\"" + text +
                  "\" is not a segment id (a whole number)");
    if (ids.missing(i)) throw error(data::detail::csv_where(path, i + 2, 1, ids.name()) + "the customer has no id");
    out.first.push_back(cell_text(ids, i));
    out.second.push_back(id);
  }
  return out;
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
  /// A previous fit's segments to keep the ids of (align_fit; io::previous_segments reads
  /// them from a model file); Segmentation::drift then says what changed.
  std::optional<PreviousSegments> previous;
  /// The previous segmentation's customers (their ids, as Segmentation::ids gives them)
  /// and segment ids, for the flows of Segmentation::drift; used with `previous`.
  std::optional<std::pair<std::vector<std::string>, std::vector<std::size_t>>> previous_labels;
  /// What previous_labels came from (a file name), for messages.
  std::string previous_labels_source;
};

/// The name of DBSCAN's segment of the customers in no dense region (Fit::unassigned).
inline constexpr const char* unassigned_name = "unassigned";

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
  /// What changed since the previous segments, when SegmentOptions::previous was given.
  std::optional<Drift> drift;
};

/// A segment's typical customer, when its centre is one (k-medoids' medoid).
struct TypicalCustomer {
  std::size_t segment = 0;     ///< the segment's id
  std::string customer;        ///< the customer's id (or 1-based row)
  std::vector<double> values;  ///< its features in business units (Segmentation::original_names)
};

/// Each segment's typical customer, in label order; empty when the segments' centres are no customers.
inline std::vector<TypicalCustomer> typical_customers(const Segmentation& s) {
  std::vector<TypicalCustomer> out;
  for (std::size_t c = 0; c < s.fit.medoids.size(); ++c) {
    const std::size_t row = s.fit.medoids[c];
    TypicalCustomer t{s.fit.id_of(c), s.ids[row], {}};
    for (std::size_t j = 0; j < s.original.shape(1); ++j) t.values.push_back(s.original(row, j));
    out.push_back(std::move(t));
  }
  return out;
}

namespace detail {

/// The Preparation of the customers' table (over the ranks of `comm`): a given id is no
/// feature; a detected one was found by its name and is known to be an identifier. Its
/// messages name the column and the data row; the source is named here.
template <Communicator Comm>
features::Preparation fit_preparation(const CustomerTable& customers, const SegmentOptions& options, const Comm& comm) {
  features::PrepareOptions prepare = options.prepare;
  if (customers.id_given)
    prepare.exclude.push_back(customers.id_column);
  else if (!customers.id_column.empty())
    prepare.known_identifier = customers.id_column;
  try {
    return features::Preparation::fit(customers.table, prepare, comm);
  } catch (const error& e) {
    throw error(options.source.empty() ? std::string(e.what()) : options.source + ": " + e.what());
  }
}

/// What the outputs need of the table: the ids, the categories and values profiled (the
/// rows `prepared` kept; a row without an id is named by its 1-based row plus `first_row`);
/// then the table is kept, or released.
inline void take_from_table(Segmentation& out, data::Table& table, features::Prepared& prepared, bool keep_table,
                            std::size_t first_row = 0) {
  out.rows = prepared.rows;
  out.ids.resize(out.rows.size());
  const data::Column* id_cells = out.id_column.empty() ? nullptr : &table.column(out.id_column);
  for (std::size_t i = 0; i < out.rows.size(); ++i)
    out.ids[i] = id_cells ? cell_text(*id_cells, out.rows[i]) : std::to_string(first_row + out.rows[i] + 1);
  for (const auto& r : out.preparation.recipes())
    if (r.kind == features::Recipe::Kind::one_hot) {
      CategoricalColumn column{r.source, {}};
      const auto& c = table.column(r.source);
      for (const std::size_t row : out.rows) column.values.push_back(c.missing(row) ? r.fill_level : c.texts()[row]);
      out.categories.push_back(std::move(column));
    }
  out.original = out.preparation.original(table, out.rows);
  out.original_names = std::move(prepared.original_names);
  if (keep_table)
    out.table = std::move(table);
  else
    table = data::Table{};
}

}  // namespace detail

/// Segments the customers of a table: prepares the features, clusters them (K given
/// or chosen), profiles each segment. The table is taken by value: moved in, it is
/// released once what the segmentation needs of it is taken.
template <class Scalers = BuiltinScalers, class Distances = BuiltinDistances>
Segmentation segment(CustomerTable customers, const SegmentOptions& options) {
  data::Table& table = customers.table;
  Segmentation out;
  out.settings = options.cluster;
  out.id_column = customers.id_column;
  out.preparation = detail::fit_preparation(customers, options, SerialComm{});
  // Said before the fit's wait: previous segments of other features cannot be aligned with.
  std::optional<PreviousCentres> previous_centres;
  if (options.previous && options.cluster.algorithm == "dbscan")
    throw error("DBSCAN's segments are dense regions, not centres: they cannot be aligned with previous ones");
  if (options.previous) previous_centres = previous_centres_in(out.preparation, *options.previous);
  if (options.previous_labels && !options.previous)
    throw error(
        "the previous segmentation's labels say where customers went only beside the previous segments "
        "(SegmentOptions::previous)");
  // The business-unit values are the table's own numbers until the profile needs them:
  // built after the fit, so the table, X and a second n x d matrix never coexist.
  features::Prepared prepared = out.preparation.transform(table, features::Preparation::Originals::left_out);
  if (options.on_prepared) options.on_prepared(out.preparation, prepared);
  out.row_actions = prepared.actions;
  out.customers = prepared.X.shape(0);
  ClusterSettings settings = options.cluster;
  settings.category_columns = features::category_groups(out.preparation);
  out.fit = cluster<Scalers, Distances>(prepared.X, settings, !options.keep_features);
  if (options.previous) {
    out.drift = align_fit(out.fit, *previous_centres, *options.previous);
    out.fit.warnings = guardrails(out.fit, options.cluster);  // they name segments by id
  }
  if (options.keep_features) out.features = std::move(prepared.X);
  prepared.X = {};

  detail::take_from_table(out, table, prepared, options.keep_table);

  if (out.drift && options.previous_labels) {
    std::vector<std::size_t> now(out.fit.labels.size());
    for (std::size_t i = 0; i < now.size(); ++i) now[i] = out.fit.id_of(out.fit.labels[i]);
    const std::string now_source = options.source.empty() ? std::string("the customers") : options.source;
    out.drift->flows = customer_flows(
        options.previous_labels->first, options.previous_labels->second, out.ids, now,
        options.previous_labels_source.empty() ? "the previous labels" : options.previous_labels_source, now_source);
    if (out.drift->flows->total == 0 && !now.empty() && !options.previous_labels->first.empty())
      out.drift->notes.push_back("no customer of the previous labels is among these customers (ids such as \"" +
                                 options.previous_labels->first.front() + "\" before, \"" + out.ids.front() +
                                 "\" now): are they labels of the same customers, with the same id column?");
  }

  ProfileOptions profile_options;
  for (const std::string& name : out.original_names) profile_options.display_names.push_back(display_name(name));
  profile_options.segment_ids = out.fit.segment_ids;
  if (out.fit.unassigned) profile_options.names[*out.fit.unassigned] = unassigned_name;
  out.profiles = profile_segments(out.original, out.original_names, out.fit.labels, out.categories, profile_options);
  return out;
}

}  // namespace segkit::workflow
