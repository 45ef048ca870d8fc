#pragma once
// Choosing K: fit a Pipeline for every k in a range, score each fit, find the
// elbow of the inertia curve and recommend the K on which the criteria agree.
//
// Every score is computed on the data as the Pipeline clustered it (after its
// scaler), with segkit's free functions, so a number in the sweep is the number
// silhouette_score / davies_bouldin_score / calinski_harabasz_score give for the
// same labels. The three scores are Euclidean whatever the Pipeline's Distance.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <xtensor/xexpression.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include "segkit/core/error.hpp"
#include "segkit/core/format.hpp"
#include "segkit/core/matrix.hpp"
#include "segkit/core/options.hpp"
#include "segkit/core/random.hpp"
#include "segkit/evaluate/calinski_harabasz.hpp"
#include "segkit/evaluate/davies_bouldin.hpp"
#include "segkit/evaluate/silhouette.hpp"
#include "segkit/pipeline/pipeline.hpp"
#include "segkit/select/adjusted_rand.hpp"
#include "segkit/select/kneedle.hpp"

namespace segkit {

struct SweepOptions {
  std::size_t k_min = 2;  ///< at least 2: the scores need two segments
  std::size_t k_max = 10;
  /// The silhouette costs O(n^2 d); above this many rows it is computed on a
  /// random sample of this many rows (the same rows for every k, drawn from the seed).
  std::size_t silhouette_max_rows = 10000;
  /// Extra fits per k with seeds seed + 1, ..., seed + stability_runs, each
  /// compared with the main fit by the adjusted Rand index; 0 = no stability.
  std::size_t stability_runs = 0;
  /// Whether every k keeps its labels (KScore::labels); when false only the
  /// recommended k does, and the others' labels are kept in two bytes a row during
  /// the sweep, not eight (a million rows and nine k: 18 MB instead of 72 MB).
  bool keep_all_labels = true;
};

/// One k of the sweep. Scores are on the scaled data the Pipeline clustered.
struct KScore {
  std::size_t k = 0;
  double inertia = 0;     ///< the clusterer's objective (summed distance to the centres)
  double silhouette = 0;  ///< on a sample of rows when KSweep::silhouette_sampled
  double davies_bouldin = 0;
  double calinski_harabasz = 0;
  std::size_t iterations = 0;
  bool converged = false;
  std::optional<double> bic;            ///< a Gaussian mixture's Bayesian information criterion (lower is better)
  std::optional<double> stability;      ///< mean adjusted Rand index of the extra-seed fits with the main fit
  std::optional<double> stability_min;  ///< the lowest of them
  xt::xtensor<std::size_t, 1> labels;   ///< the main fit's segment of each row (see SweepOptions::keep_all_labels)
  xt::xtensor<double, 2> centers;       ///< the main fit's centres, in the scaled space (k x d): with
                                        ///< labels, the whole fit, so the chosen k needs no second fit
};

enum class Criterion { silhouette, davies_bouldin, calinski_harabasz, elbow };

inline const char* criterion_name(Criterion c) {
  switch (c) {
    case Criterion::silhouette:
      return "silhouette";
    case Criterion::davies_bouldin:
      return "Davies-Bouldin";
    case Criterion::calinski_harabasz:
      return "Calinski-Harabasz";
    case Criterion::elbow:
      return "elbow";
  }
  return "?";
}

struct KRecommendation {
  std::size_t k = 0;
  std::vector<Criterion> agreeing;           ///< the criteria whose best k is k
  std::size_t best_silhouette_k = 0;         ///< highest silhouette (first on a tie)
  std::size_t best_davies_bouldin_k = 0;     ///< lowest Davies-Bouldin
  std::size_t best_calinski_harabasz_k = 0;  ///< highest Calinski-Harabasz
  std::optional<std::size_t> elbow_k;        ///< Kneedle elbow of inertia over k, if the curve bends
  std::string reason;                        ///< one or two sentences for a person
};

struct KSweep {
  std::vector<KScore> scores;  ///< one per k, k_min first
  bool silhouette_sampled = false;
  std::size_t silhouette_sample_size = 0;    ///< rows the silhouette was computed on (n when not sampled)
  std::vector<std::size_t> silhouette_rows;  ///< those rows, ascending, when sampled (empty otherwise)
  std::size_t rows = 0;
  KRecommendation recommendation;

  const KScore& at(std::size_t k) const {
    for (const KScore& s : scores)
      if (s.k == k) return s;
    throw error("the sweep has no k = " + std::to_string(k));
  }
};

namespace detail {

/// Rows for the sampled silhouette: sample_size of [0, n) without replacement,
/// in increasing order, by a partial Fisher-Yates shuffle with segkit's portable Rng.
inline std::vector<std::size_t> sample_rows(std::size_t n, std::size_t sample_size, std::uint64_t seed) {
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  Rng rng(seed);
  for (std::size_t i = 0; i < sample_size; ++i) std::swap(order[i], order[i + rng.below(n - i)]);
  order.resize(sample_size);
  std::sort(order.begin(), order.end());
  return order;
}

/// The seed of the silhouette's row sample: a SplitMix64 stream of its own, apart
/// from derive_seed's stream of Pipeline starts, so the sample and the fits never share draws.
inline std::uint64_t silhouette_sample_seed(std::uint64_t seed) {
  std::uint64_t state = seed ^ 0x5EED5A3B1E5C0DEDULL;
  return splitmix64(state);
}

/// A sweep of n rows before its first K: the silhouette's sample of rows drawn from the
/// seed when n is above sweep.silhouette_max_rows (the same rows for every K).
inline KSweep start_sweep(std::size_t n, const SweepOptions& sweep, std::uint64_t seed) {
  KSweep result;
  result.rows = n;
  result.silhouette_sampled = n > sweep.silhouette_max_rows;
  result.silhouette_sample_size = result.silhouette_sampled ? sweep.silhouette_max_rows : n;
  if (result.silhouette_sampled)
    result.silhouette_rows = sample_rows(n, sweep.silhouette_max_rows, silhouette_sample_seed(seed));
  return result;
}

/// The recommended K's labels, kept two bytes a row during the sweep (one vector per K from k_min).
inline void keep_recommended_labels(KSweep& result, const std::vector<std::vector<std::uint16_t>>& compact,
                                    std::size_t k_min) {
  const std::vector<std::uint16_t>& kept = compact[result.recommendation.k - k_min];
  xt::xtensor<std::size_t, 1>& labels = result.scores[result.recommendation.k - k_min].labels;
  labels = xt::xtensor<std::size_t, 1>::from_shape({kept.size()});
  std::copy(kept.begin(), kept.end(), labels.begin());
}

/// What a reason for K adds when the silhouette was computed on a sample ("" otherwise).
inline std::string sampled_note(const KSweep& result) {
  if (!result.silhouette_sampled) return "";
  return " (The silhouette was computed on a random sample of " + std::to_string(result.silhouette_sample_size) +
         " of the " + std::to_string(result.rows) + " rows.)";
}

}  // namespace detail

/// The recommendation from per-k scores (ascending k) and the elbow (a k, if any).
/// Each criterion votes for its best k; the k with most votes wins; among tied k the
/// one with the higher silhouette wins (the silhouette's own pick beats all others).
inline KRecommendation recommend_k(const std::vector<KScore>& scores, std::optional<std::size_t> elbow_k) {
  if (scores.empty()) throw error("recommend_k: no scores");
  KRecommendation r;
  const KScore* sil = &scores[0];
  const KScore* db = &scores[0];
  const KScore* ch = &scores[0];
  for (const KScore& s : scores) {
    if (s.silhouette > sil->silhouette) sil = &s;
    if (s.davies_bouldin < db->davies_bouldin) db = &s;
    if (s.calinski_harabasz > ch->calinski_harabasz) ch = &s;
  }
  r.best_silhouette_k = sil->k;
  r.best_davies_bouldin_k = db->k;
  r.best_calinski_harabasz_k = ch->k;
  r.elbow_k = elbow_k;

  auto votes_for = [&](std::size_t k) {
    return static_cast<int>(sil->k == k) + static_cast<int>(db->k == k) + static_cast<int>(ch->k == k) +
           static_cast<int>(elbow_k && *elbow_k == k);
  };
  const KScore* best = nullptr;
  for (const KScore& s : scores) {
    if (!best || votes_for(s.k) > votes_for(best->k) ||
        (votes_for(s.k) == votes_for(best->k) && s.silhouette > best->silhouette))
      best = &s;
  }
  r.k = best->k;
  if (sil->k == r.k) r.agreeing.push_back(Criterion::silhouette);
  if (db->k == r.k) r.agreeing.push_back(Criterion::davies_bouldin);
  if (ch->k == r.k) r.agreeing.push_back(Criterion::calinski_harabasz);
  if (elbow_k && *elbow_k == r.k) r.agreeing.push_back(Criterion::elbow);

  std::vector<std::string> agree, disagree;
  const std::string at_k = " at K = " + std::to_string(r.k) + ")";
  auto explain = [&](bool agrees, const std::string& yes, const std::string& no) {
    (agrees ? agree : disagree).push_back(agrees ? yes : no);
  };
  explain(sil->k == r.k, "the silhouette is highest (" + format_fixed(sil->silhouette) + ")",
          "the silhouette is highest at K = " + std::to_string(sil->k) + " (" + format_fixed(sil->silhouette) + " vs " +
              format_fixed(best->silhouette) + at_k);
  explain(db->k == r.k, "Davies-Bouldin is lowest (" + format_fixed(db->davies_bouldin) + ")",
          "Davies-Bouldin is lowest at K = " + std::to_string(db->k) + " (" + format_fixed(db->davies_bouldin) +
              " vs " + format_fixed(best->davies_bouldin) + at_k);
  explain(ch->k == r.k, "Calinski-Harabasz is highest (" + format_fixed(ch->calinski_harabasz) + ")",
          "Calinski-Harabasz is highest at K = " + std::to_string(ch->k) + " (" + format_fixed(ch->calinski_harabasz) +
              " vs " + format_fixed(best->calinski_harabasz) + at_k);
  if (elbow_k)
    explain(*elbow_k == r.k, "the inertia curve bends here (Kneedle elbow)",
            "the inertia curve's elbow (Kneedle) is at K = " + std::to_string(*elbow_k));
  else
    disagree.push_back("the inertia curve has no elbow");

  auto join = [](const std::vector<std::string>& parts) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (i > 0) out += i + 1 == parts.size() ? " and " : ", ";
      out += parts[i];
    }
    return out;
  };
  const std::size_t counted = elbow_k ? 4 : 3;
  r.reason = "K = " + std::to_string(r.k) + " (" + std::to_string(r.agreeing.size()) + " of " +
             std::to_string(counted) + " criteria agree): ";
  r.reason += agree.empty() ? std::string("no criterion picks it alone; it has the highest silhouette among the tied")
                            : join(agree);
  r.reason += ".";
  if (!disagree.empty()) r.reason += " But " + join(disagree) + ".";
  if (best->stability)
    r.reason += " Across seeds its segments agree with an adjusted Rand index of " + format_fixed(*best->stability) +
                " on average (lowest " + format_fixed(*best->stability_min) + ").";
  return r;
}

namespace detail {

/// The recommendation of a sweep's scores (the elbow of its inertia among the criteria),
/// saying when the silhouette was computed on a sample.
inline void recommend(KSweep& result) {
  std::vector<double> ks, inertia;
  for (const KScore& s : result.scores) ks.push_back(static_cast<double>(s.k)), inertia.push_back(s.inertia);
  std::optional<std::size_t> elbow_k;
  if (ks.size() >= 2)
    if (const auto at = kneedle_elbow(ks, inertia)) elbow_k = result.scores[*at].k;
  result.recommendation = recommend_k(result.scores, elbow_k);
  result.recommendation.reason += sampled_note(result);
}

/// The sweep's checks of its range against n rows.
inline void check_sweep(std::size_t n, const SweepOptions& sweep) {
  if (sweep.k_min < 2)
    throw error("k_min = " + std::to_string(sweep.k_min) + ": choosing K needs k >= 2, the scores compare segments");
  if (sweep.k_max < sweep.k_min)
    throw error("the k range " + std::to_string(sweep.k_min) + ".." + std::to_string(sweep.k_max) + " is empty");
  if (sweep.k_max + 1 > n)
    throw error("k_max = " + std::to_string(sweep.k_max) + " needs more than " + std::to_string(sweep.k_max) +
                " rows (the scores need k <= n - 1), the data has " + std::to_string(n));
  if (n > sweep.silhouette_max_rows && sweep.silhouette_max_rows <= sweep.k_max)
    throw error("silhouette_max_rows = " + std::to_string(sweep.silhouette_max_rows) +
                " is too small a sample to score k_max = " + std::to_string(sweep.k_max) + " segments");
}

/// The sweep on X already scaled by `scaler` (P's scaler policy, fitted on the
/// original data): every K's Pipeline fits and scores this one matrix (fit_scaled).
template <class P, class T, class... Policies>
KSweep sweep_scaled(const typename P::scaler_type& scaler, std::shared_ptr<const xt::xtensor<T, 2>> scaled,
                    const Options& options, const SweepOptions& sweep, const Policies&... policies);

}  // namespace detail

/// Fits P(options with k, policies...) for k = sweep.k_min..k_max on X (n x d)
/// and scores each fit; options.seed and n_init apply to every k. P is a Pipeline
/// type (Pipeline<> by default); `policies` are passed to its constructor after the
/// Options, so a sweep can use the same parametrised policies as the final fit.
/// X is scaled once (a copy) and every K fits that copy.
template <class P = Pipeline<>, class E, class... Policies>
KSweep sweep_k(const xt::xexpression<E>& X, Options options, const SweepOptions& sweep = {},
               const Policies&... policies) {
  using T = compute_type_t<detail::expression_value_t<E>>;
  // The caller's matrix where it already is one of the right type; a copy otherwise.
  const detail::MatrixArg<T> X_arg(X, "X");
  const xt::xtensor<T, 2>& data = *X_arg;
  detail::check_data(data, "X", options.threads);
  detail::check_sweep(data.shape(0), sweep);
  typename P::scaler_type scaler = P(options, policies...).scaler();
  scaler.fit(data);
  auto scaled = std::make_shared<const xt::xtensor<T, 2>>(scaler.transform(data));
  return detail::sweep_scaled<P>(scaler, std::move(scaled), options, sweep, policies...);
}

/// As above, on a matrix the sweep may take over: scaled where it lies when the
/// scaler can do that (every built-in one can), so no second n x d copy is made.
// (clang-format 14 would join the requires-clause to the declaration.)
// clang-format off
template <class P = Pipeline<>, class T, class... Policies>
  requires std::is_same_v<T, float> || std::is_same_v<T, double>
KSweep sweep_k(xt::xtensor<T, 2>&& X, Options options, const SweepOptions& sweep = {},
               const Policies&... policies) {
  // clang-format on
  detail::check_data(X, "X", options.threads);
  detail::check_sweep(X.shape(0), sweep);
  typename P::scaler_type scaler = P(options, policies...).scaler();
  scaler.fit(X);
  std::shared_ptr<const xt::xtensor<T, 2>> scaled;
  if constexpr (requires { scaler.transform_in_place(X); }) {
    scaler.transform_in_place(X);
    scaled = std::make_shared<const xt::xtensor<T, 2>>(std::move(X));
  } else {
    scaled = std::make_shared<const xt::xtensor<T, 2>>(scaler.transform(X));
    X = xt::xtensor<T, 2>();
  }
  return detail::sweep_scaled<P>(scaler, std::move(scaled), options, sweep, policies...);
}

template <class P, class T, class... Policies>
KSweep detail::sweep_scaled(const typename P::scaler_type& scaler, std::shared_ptr<const xt::xtensor<T, 2>> scaled,
                            const Options& options, const SweepOptions& sweep, const Policies&... policies) {
  const std::size_t n = scaled->shape(0);
  KSweep result = detail::start_sweep(n, sweep, options.seed);
  const std::vector<std::size_t>& sample = result.silhouette_rows;

  // Every score is taken on the one scaled matrix every K fitted (Pipeline::score_with).
  const SampledSilhouette sampled{sample};
  // Labels in two bytes a row until the recommendation says which k keeps its own.
  const bool compact = !sweep.keep_all_labels && sweep.k_max <= std::numeric_limits<std::uint16_t>::max();
  std::vector<std::vector<std::uint16_t>> compact_labels;
  detail::report(options.progress, "K", 0, sweep.k_max - sweep.k_min + 1);
  // An initializer whose runs for several K are prefixes of one (KMeansPlusPlus::prefix_group)
  // draws once per group of K, at its largest K; each K starts from the prefixes: the
  // same centres, bit for bit, as its own draw.
  std::vector<xt::xtensor<T, 2>> drawn;
  std::size_t drawn_k = 0;
  for (std::size_t k = sweep.k_min; k <= sweep.k_max; ++k) {
    Options run = options;
    run.k = k;
    P pipeline(run, policies...);
    if constexpr (requires { pipeline.initializer().prefix_group(k); }) {
      const auto group = [&](std::size_t j) { return pipeline.initializer().prefix_group(j); };
      if (drawn_k < k || group(drawn_k) != group(k)) {
        std::size_t top = k;
        while (top < sweep.k_max && group(top + 1) == group(k)) ++top;
        drawn = pipeline.starting_centers(*scaled, top);
        drawn_k = top;
      }
      std::vector<xt::xtensor<T, 2>> initial;
      initial.reserve(drawn.size());
      for (const xt::xtensor<T, 2>& c : drawn) initial.push_back(xt::view(c, xt::range(0, k), xt::all()));
      pipeline.fit_scaled_from(scaler, scaled, initial);
    } else {
      pipeline.fit_scaled(scaler, scaled);
    }
    KScore s;
    s.k = k;
    if (compact)
      compact_labels.emplace_back(pipeline.labels().begin(), pipeline.labels().end());
    else
      s.labels = pipeline.labels();
    s.centers = pipeline.scaled_centers();
    s.inertia = pipeline.inertia();
    s.iterations = pipeline.iterations();
    s.converged = pipeline.converged();
    s.silhouette = result.silhouette_sampled ? pipeline.score_with(sampled) : pipeline.score_with(Silhouette{});
    s.davies_bouldin = pipeline.score_with(DaviesBouldin{});
    s.calinski_harabasz = pipeline.score_with(CalinskiHarabasz{});
    if (sweep.stability_runs > 0) {
      double sum = 0, lowest = 1;
      for (std::size_t r = 1; r <= sweep.stability_runs; ++r) {
        Options other = run;
        other.progress = nullptr;  // extra fits of the same K: not steps of their own
        other.seed = options.seed + r;
        P again(other, policies...);
        again.fit_scaled(scaler, scaled);
        const double ari = adjusted_rand_score(pipeline.labels(), again.labels());
        sum += ari;
        lowest = std::min(lowest, ari);
      }
      s.stability = sum / static_cast<double>(sweep.stability_runs);
      s.stability_min = lowest;
    }
    result.scores.push_back(std::move(s));
    detail::report(options.progress, "K", k - sweep.k_min + 1, sweep.k_max - sweep.k_min + 1);
  }

  detail::recommend(result);
  if (compact) detail::keep_recommended_labels(result, compact_labels, sweep.k_min);
  return result;
}

}  // namespace segkit
