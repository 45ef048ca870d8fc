#pragma once
// Pipeline<Scaler, Initializer, Distance, Clusterer, Evaluator>: scale, run
// n_init starts, keep the lowest inertia, and remember what predict needs.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <type_traits>
#include <variant>
#include <vector>

#include <xtensor/xexpression.hpp>
#include <xtensor/xtensor.hpp>

#include "segkit/cluster/concept.hpp"
#include "segkit/cluster/lloyd.hpp"
#include "segkit/core/clustering.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix.hpp"
#include "segkit/core/options.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/random.hpp"
#include "segkit/distance/concept.hpp"
#include "segkit/distance/nearest.hpp"
#include "segkit/distance/squared_euclidean.hpp"
#include "segkit/evaluate/concept.hpp"
#include "segkit/evaluate/silhouette.hpp"
#include "segkit/init/concept.hpp"
#include "segkit/init/kmeans_plus_plus.hpp"
#include "segkit/scaler/concept.hpp"
#include "segkit/scaler/standard.hpp"

namespace segkit {

namespace detail {

/// A number computed on first use and kept (a fit's score): safe to ask for from many
/// threads at once. Copies carry the number, not the lock.
class ComputedOnce {
 public:
  ComputedOnce() = default;
  ComputedOnce(const ComputedOnce& other) : value_(other.peek()) {}
  ComputedOnce& operator=(const ComputedOnce& other) {
    const std::optional<double> value = other.peek();
    const std::lock_guard<std::mutex> lock(mutex_);
    value_ = value;
    return *this;
  }
  template <class Compute>
  double get(Compute&& compute) const {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (!value_) value_ = compute();
    return *value_;
  }
  void reset() {
    const std::lock_guard<std::mutex> lock(mutex_);
    value_.reset();
  }

 private:
  std::optional<double> peek() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return value_;
  }
  mutable std::mutex mutex_;
  mutable std::optional<double> value_;
};

}  // namespace detail

template <Scaler ScalerPolicy = StandardScaler, Initializer InitializerPolicy = KMeansPlusPlus,
          Distance DistancePolicy = SquaredEuclidean, Clusterer ClustererPolicy = Lloyd,
          Evaluator EvaluatorPolicy = Silhouette>
class Pipeline {
 private:
  template <class T>
  struct Fitted {
    std::shared_ptr<const xt::xtensor<T, 2>> X;  // scaled training data, kept for score(); maybe shared
    Clustering<T> clustering;
    bool trained = true;      // false: made from saved parts, or its training data discarded
    bool fit_figures = true;  // false: made from saved parts (no inertia, iterations of its own)
  };
  using State = std::variant<std::monostate, Fitted<float>, Fitted<double>>;

 public:
  using scaler_type = ScalerPolicy;
  using initializer_type = InitializerPolicy;
  using distance_type = DistancePolicy;
  using clusterer_type = ClustererPolicy;
  using evaluator_type = EvaluatorPolicy;

  /// The most starts (Options::n_init) a fit accepts: scikit-learn's default is 10, and
  /// a million starts of even a small table take hours.
  static constexpr std::size_t max_n_init = 100000;

  explicit Pipeline(Options options = {}, ScalerPolicy scaler = {}, InitializerPolicy initializer = {},
                    DistancePolicy distance = {}, ClustererPolicy clusterer = {}, EvaluatorPolicy evaluator = {})
      : options_(options),
        scaler_(std::move(scaler)),
        initializer_(std::move(initializer)),
        distance_(std::move(distance)),
        clusterer_(std::move(clusterer)),
        evaluator_(std::move(evaluator)) {}

  /// Fits on X (n x d) in X's own value type: float data is clustered in float.
  template <class E>
  Pipeline& fit(const xt::xexpression<E>& X) {
    using T = compute_type_t<detail::expression_value_t<E>>;
    if constexpr (std::is_same_v<E, xt::xtensor<T, 2>>) {
      // Already the matrix the clusterer needs: read it where it is, no copy.
      const xt::xtensor<T, 2>& data = X.derived_cast();
      ScalerPolicy scaler = prepare_scaler(data);
      auto scaled = std::make_shared<const xt::xtensor<T, 2>>(scaler.transform(data));
      return fit_prepared(std::move(scaler), std::move(scaled));
    } else {
      return fit(detail::to_matrix<T>(X, "X"));
    }
  }

  /// Fits on a matrix the Pipeline may keep: scaled where it lies when the scaler
  /// can do that (every built-in one can), so no second n x d copy is made.
  // (clang-format 14 would join the requires-clause to the declaration.)
  // clang-format off
  template <class T>
    requires std::is_same_v<T, float> || std::is_same_v<T, double>
  Pipeline& fit(xt::xtensor<T, 2>&& X) {
    // clang-format on
    ScalerPolicy scaler = prepare_scaler(X);
    if constexpr (requires { scaler.transform_in_place(X); }) {
      scaler.transform_in_place(X);
      return fit_prepared(std::move(scaler), std::make_shared<const xt::xtensor<T, 2>>(std::move(X)));
    } else {
      auto scaled = std::make_shared<const xt::xtensor<T, 2>>(scaler.transform(X));
      X = xt::xtensor<T, 2>();
      return fit_prepared(std::move(scaler), std::move(scaled));
    }
  }

  /// Fits on data already scaled: `fitted_scaler` is this Pipeline's scaler policy
  /// fitted on the original data, `scaled` its transform of that data, shared with the
  /// caller (kept for score() as it is, never copied, never changed by the Pipeline:
  /// the caller must not change it either while a Pipeline holds it). Several
  /// Pipelines can so fit one scaled matrix, as sweep_k does for every K.
  // (clang-format 14 would join the requires-clause to the declaration.)
  // clang-format off
  template <class T>
    requires std::is_same_v<T, float> || std::is_same_v<T, double>
  Pipeline& fit_scaled(ScalerPolicy fitted_scaler, std::shared_ptr<const xt::xtensor<T, 2>> scaled) {
    // clang-format on
    check_scaled(scaled, "fit_scaled");
    return fit_prepared(std::move(fitted_scaler), std::move(scaled));
  }

  /// fit_scaled from given starting centres, one k x d set per start (Options::n_init
  /// of them), instead of the initializer's: for a caller that has them already, as
  /// sweep_k has from starting_centers for a larger K.
  // clang-format off
  template <class T>
    requires std::is_same_v<T, float> || std::is_same_v<T, double>
  Pipeline& fit_scaled_from(ScalerPolicy fitted_scaler, std::shared_ptr<const xt::xtensor<T, 2>> scaled,
                            const std::vector<xt::xtensor<T, 2>>& initial) {
    // clang-format on
    check_scaled(scaled, "fit_scaled_from");
    if (initial.size() != options_.n_init)
      throw error("fit_scaled_from: " + std::to_string(initial.size()) +
                  " sets of starting centres for n_init = " + std::to_string(options_.n_init) + " starts");
    for (const xt::xtensor<T, 2>& c : initial)
      if (c.shape(0) != options_.k || c.shape(1) != scaled->shape(1))
        throw error("fit_scaled_from: starting centres of " + std::to_string(c.shape(0)) + " x " +
                    std::to_string(c.shape(1)) + " for k = " + std::to_string(options_.k) + " and " +
                    std::to_string(scaled->shape(1)) + " features");
    return fit_prepared(std::move(fitted_scaler), std::move(scaled), &initial);
  }

  /// The starting centres the initializer gives each start (Options::n_init of them) for
  /// k centres on scaled data, with this Pipeline's seeds: what a fit with Options::k = k
  /// starts from.
  template <class T>
  std::vector<xt::xtensor<T, 2>> starting_centers(const xt::xtensor<T, 2>& scaled, std::size_t k) const {
    check_options();
    detail::check_k(scaled, k);
    const std::vector<std::uint64_t> seeds = start_seeds();
    if constexpr (requires {
                    initializer_.initial_centers_for_seeds(scaled, k, distance_, std::span<const std::uint64_t>(seeds),
                                                           options_.threads);
                  }) {
      return initializer_.initial_centers_for_seeds(scaled, k, distance_, std::span<const std::uint64_t>(seeds),
                                                    options_.threads);
    } else {
      std::vector<xt::xtensor<T, 2>> out;
      for (const std::uint64_t seed : seeds)
        out.push_back(initializer_.initial_centers(scaled, k, distance_, seed, options_.threads));
      return out;
    }
  }

  /// A fitted Pipeline from the parts predict needs (what a model file holds, io::load):
  /// the scaler policy already fitted, and the centres in its scaled space (k x d). It
  /// predicts like the Pipeline it was saved from; it has no training data, so labels(),
  /// score() and the fit's figures refuse.
  static Pipeline from_fitted(ScalerPolicy fitted_scaler, xt::xtensor<double, 2> scaled_centers, Options options = {},
                              InitializerPolicy initializer = {}, DistancePolicy distance = {},
                              ClustererPolicy clusterer = {}, EvaluatorPolicy evaluator = {}) {
    if (scaled_centers.shape(0) == 0 || scaled_centers.shape(1) == 0)
      throw error("from_fitted: the centres are empty (" + std::to_string(scaled_centers.shape(0)) + " x " +
                  std::to_string(scaled_centers.shape(1)) + ")");
    detail::check_finite(scaled_centers, "the centres");
    options.k = scaled_centers.shape(0);
    Pipeline p(options, std::move(fitted_scaler), std::move(initializer), std::move(distance), std::move(clusterer),
               std::move(evaluator));
    Fitted<double> fitted;
    fitted.clustering.centers = scaled_centers;
    fitted.trained = false;
    fitted.fit_figures = false;
    p.set_fitted(scaled_centers, std::move(fitted));
    return p;
  }

  /// Lets go of the training data (the scaled n x d matrix score() reads, and the n
  /// labels): a Pipeline kept for serving then holds only what predict needs, O(k x d).
  /// labels() and score() refuse afterwards (a score already computed is kept).
  void discard_training_data() {
    require_fitted();
    std::visit(
        [](auto& f) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(f)>, std::monostate>) {
            f.X.reset();
            f.clustering.labels = {};
            f.trained = false;
          }
        },
        state_);
  }

  /// Whether labels() and score() can answer: fitted here, training data kept.
  bool has_training_data() const {
    return is_fitted() && with_fitted([](const auto& f) { return f.trained; });
  }

  /// The segment of one customer (d values, the features of fit; the nearest centre
  /// unless the clusterer predicts otherwise, cluster/concept.hpp): no copy of
  /// the centres, nothing allocated in proportion to the training data. Safe to call
  /// from any number of threads at once, as predict() is. The same label as predict()
  /// gives that row in double (the same kernels, the same centres).
  std::size_t predict_one(std::span<const double> x) const {
    require_fitted();
    if (x.size() != n_features_)
      throw error("predict_one: the customer has " + std::to_string(x.size()) + " values, the model " +
                  std::to_string(n_features_) + " features");
    xt::xtensor<double, 2> row = xt::empty<double>({std::size_t{1}, n_features_});
    std::copy(x.begin(), x.end(), row.begin());
    detail::check_finite(row, "the customer");
    const xt::xtensor<double, 2> scaled = scaler_.transform(row);
    std::size_t label = 0;
    predict_segments(clusterer_, distance_, scaled, scaled_centers_, &label, 1);
    return label;
  }

 private:
  template <class T>
  ScalerPolicy prepare_scaler(const xt::xtensor<T, 2>& data) const {
    check_options();
    detail::check_data(data, "X", options_.threads);
    detail::check_k(data, options_.k);
    ScalerPolicy scaler = scaler_;
    scaler.fit(data);
    return scaler;
  }

  /// What fit_scaled and fit_scaled_from (`who`, in the message) ask of the scaled data.
  template <class T>
  void check_scaled(const std::shared_ptr<const xt::xtensor<T, 2>>& scaled, const char* who) const {
    check_options();
    // Appended, not built as string(who) + "...": GCC 12 reports a false -Wrestrict on that.
    if (!scaled) throw error(std::string(who).append(": no data (a null pointer)"));
    detail::check_data(*scaled, "the scaled data", options_.threads);
    detail::check_k(*scaled, options_.k);
  }

  /// Each start's seed: from the seed and the start's number alone (a randomised clusterer's too).
  std::vector<std::uint64_t> start_seeds() const {
    std::vector<std::uint64_t> seeds(options_.n_init);
    for (std::size_t start = 0; start < options_.n_init; ++start)
      seeds[start] = detail::derive_seed(options_.seed, start);
    return seeds;
  }

  /// `given`: each start's centres (fit_scaled_from), else the initializer draws them.
  template <class T>
  Pipeline& fit_prepared(ScalerPolicy scaler, std::shared_ptr<const xt::xtensor<T, 2>> scaled,
                         const std::vector<xt::xtensor<T, 2>>* given = nullptr) {
    Fitted<T> fitted{std::move(scaled), {}};
    const xt::xtensor<T, 2>& X = *fitted.X;  // scaled

    // The stopping tolerance in the scaled data's units, once for all starts.
    const double tol = detail::absolute_tol(X, options_);
    const std::vector<std::uint64_t> seeds = start_seeds();
    auto start_options = [&](std::size_t start, std::size_t threads) {
      Options o = options_;
      o.seed = seeds[start];
      o.threads = threads;
      o.progress = nullptr;
      o.absolute_tol = tol;
      o.inertia_trace = false;  // only the best start's inertia is kept
      return o;
    };
    // One start on `threads` threads, from its initializer's centres.
    auto run_start = [&](std::size_t start, std::size_t threads) {
      if (given) return clusterer_.cluster(X, (*given)[start], distance_, start_options(start, threads));
      const xt::xtensor<T, 2> initial = initializer_.initial_centers(X, options_.k, distance_, seeds[start], threads);
      return clusterer_.cluster(X, initial, distance_, start_options(start, threads));
    };
    auto keep_best = [&](std::size_t start, Clustering<T>&& run) {
      if (start == 0 || run.inertia < fitted.clustering.inertia) fitted.clustering = std::move(run);
    };
    const std::size_t threads = detail::resolve_threads(options_.threads);
    if (options_.n_init > 1 && threads > 1 && X.size() * options_.k < parallel_starts_below) {
      // Too little work per start to share among the threads: the starts run side by
      // side instead, one thread each. Any start's result is the same on any thread
      // count, and the lowest inertia is kept in start order, so nothing changes but the time.
      detail::report(options_.progress, "start", 0, options_.n_init);
      std::vector<Clustering<T>> runs(options_.n_init);
      detail::parallel_for(options_.n_init, threads, [&](std::size_t start) { runs[start] = run_start(start, 1); });
      for (std::size_t start = 0; start < options_.n_init; ++start) {
        keep_best(start, std::move(runs[start]));
        detail::report(options_.progress, "start", start + 1, options_.n_init);
      }
    } else if constexpr (requires {
                           initializer_.initial_centers_for_seeds(X, options_.k, distance_,
                                                                  std::span<const std::uint64_t>(seeds), threads);
                         }) {
      // An initializer that starts many seeds in shared passes over X (KMeansPlusPlus)
      // gives every start's centres first, the same as one seed at a time.
      std::vector<xt::xtensor<T, 2>> drawn;
      if (!given)
        drawn = initializer_.initial_centers_for_seeds(X, options_.k, distance_, std::span<const std::uint64_t>(seeds),
                                                       options_.threads);
      const std::vector<xt::xtensor<T, 2>>& initial = given ? *given : drawn;
      // Said after the shared passes, so that a progress display's estimate is the
      // starts' own pace, not theirs plus every start's initialisation.
      detail::report(options_.progress, "start", 0, options_.n_init);
      for (std::size_t start = 0; start < options_.n_init; ++start) {
        keep_best(start, clusterer_.cluster(X, initial[start], distance_, start_options(start, options_.threads)));
        detail::report(options_.progress, "start", start + 1, options_.n_init);
      }
    } else {
      detail::report(options_.progress, "start", 0, options_.n_init);
      for (std::size_t start = 0; start < options_.n_init; ++start) {
        keep_best(start, run_start(start, options_.threads));
        detail::report(options_.progress, "start", start + 1, options_.n_init);
      }
    }

    scaler_ = std::move(scaler);
    xt::xtensor<double, 2> scaled_centers = xt::cast<double>(fitted.clustering.centers);
    set_fitted(std::move(scaled_centers), std::move(fitted));
    return *this;
  }

  /// Takes a fit's state: the centres in the scaled space, and those of the fit's value type.
  template <class T>
  void set_fitted(xt::xtensor<double, 2> scaled_centers, Fitted<T> fitted) {
    scaled_centers_ = std::move(scaled_centers);
    centers_ = scaler_.inverse_transform(scaled_centers_);
    n_features_ = scaled_centers_.shape(1);
    // Equal to a float fit's own centres (a float made double and back is itself).
    float_centers_ = xt::cast<float>(scaled_centers_);
    score_.reset();
    state_ = std::move(fitted);
  }

  /// The scaled centres in the value type of the data predicted, made once at fit.
  template <class T>
  const xt::xtensor<T, 2>& typed_centers() const {
    if constexpr (std::is_same_v<T, float>)
      return float_centers_;
    else
      return scaled_centers_;
  }

 public:
  /// The segment of each row of X (n x d, same features as in fit): the nearest centre,
  /// unless the clusterer predicts otherwise (PredictsItself, cluster/concept.hpp).
  template <class E>
  xt::xtensor<std::size_t, 1> predict(const xt::xexpression<E>& X) const {
    using T = compute_type_t<detail::expression_value_t<E>>;
    require_fitted();
    const detail::MatrixArg<T> X_arg(X, "X");
    const xt::xtensor<T, 2>& data = *X_arg;
    detail::check_finite(data, "X");
    detail::check_width(data, n_features_, "X");
    const xt::xtensor<T, 2> scaled = scaler_.transform(data);
    xt::xtensor<std::size_t, 1> labels = xt::zeros<std::size_t>({scaled.shape(0)});
    predict_segments(clusterer_, distance_, scaled, typed_centers<T>(), labels.data(), options_.threads);
    return labels;
  }

  /// Centres in the original units of the data (k x d).
  const xt::xtensor<double, 2>& centers() const { return require_fitted(), centers_; }
  /// Centres in the space the clusterer saw (after the scaler).
  const xt::xtensor<double, 2>& scaled_centers() const { return require_fitted(), scaled_centers_; }
  const xt::xtensor<std::size_t, 1>& labels() const {
    return with_fitted([this](const auto& f) -> const xt::xtensor<std::size_t, 1>& {
      require_training_data(f, "labels()");
      return f.clustering.labels;
    });
  }
  /// Summed distance of each row to its centre, in the scaled space (the clusterer's objective).
  double inertia() const {
    return with_fitted([](const auto& f) { return require_fit_figures(f, "inertia()"), f.clustering.inertia; });
  }
  std::size_t iterations() const {
    return with_fitted([](const auto& f) { return require_fit_figures(f, "iterations()"), f.clustering.iterations; });
  }
  bool converged() const {
    return with_fitted([](const auto& f) { return require_fit_figures(f, "converged()"), f.clustering.converged; });
  }

  /// The Evaluator's score of the fit. Computed on first call, not inside fit, so
  /// fitting never waits on an O(n^2) score; cached after that.
  /// Safe to call from many threads at once (the first computes, the others wait for it).
  double score() const {
    return score_.get([this] {
      return with_fitted([this](const auto& f) {
        require_training_data(f, "score()");
        return static_cast<double>(evaluator_.evaluate(*f.X, f.clustering, options_.threads));
      });
    });
  }
  static constexpr bool higher_score_is_better() { return EvaluatorPolicy::higher_is_better; }

  /// Another Evaluator's score of the fit, on the scaled training data the fit saw
  /// (as score() gives the Pipeline's own): no second copy of the data is made.
  // (clang-format 14 would join the requires-clause to the declaration.)
  // clang-format off
  template <class OtherEvaluator>
    requires Evaluator<OtherEvaluator>
  double score_with(const OtherEvaluator& evaluator) const {
    // clang-format on
    return with_fitted([&](const auto& f) {
      require_training_data(f, "score_with()");
      return static_cast<double>(evaluator.evaluate(*f.X, f.clustering, options_.threads));
    });
  }

  /// Below this many n x d x k, the n_init starts run in parallel (one thread
  /// each) rather than one after the other on all threads: the kernels single-thread
  /// work under about a million multiply-adds anyway (cluster/kmeans_loop.hpp).
  static constexpr std::size_t parallel_starts_below = std::size_t{1} << 22;

  const Options& options() const { return options_; }
  const ScalerPolicy& scaler() const { return scaler_; }
  const DistancePolicy& distance() const { return distance_; }
  const InitializerPolicy& initializer() const { return initializer_; }
  bool is_fitted() const { return !std::holds_alternative<std::monostate>(state_); }

 private:
  void check_options() const {
    if (options_.n_init == 0) throw error("n_init must be at least 1");
    // Each start keeps its seed and is fitted in turn: a count beyond any use would run
    // for ever or ask for more memory than exists before a word is said.
    if (options_.n_init > max_n_init)
      throw error("n_init = " + std::to_string(options_.n_init) + " is more starts than can pay; at most " +
                  std::to_string(max_n_init));
    if (options_.max_iter == 0) throw error("max_iter must be at least 1");
    if (!(options_.tol >= 0)) throw error("tol must be a non-negative number");
  }
  void require_fitted() const {
    if (!is_fitted()) throw error("the Pipeline is used before fit()");
  }
  template <class F>
  static void require_fit_figures(const F& f, const char* what) {
    if (!f.fit_figures) throw error(std::string(what) + ": this Pipeline was made from a model file, not fitted");
  }
  template <class F>
  static void require_training_data(const F& f, const char* what) {
    if (!f.trained)
      throw error(
          std::string(what) +
          ": this Pipeline keeps no training data (made from a model file, or discard_training_data() was called)");
  }
  /// Calls fn with the fitted state, whichever value type it was fitted in.
  template <class Fn>
  decltype(auto) with_fitted(Fn&& fn) const {
    require_fitted();
    if (const auto* f = std::get_if<Fitted<float>>(&state_)) return fn(*f);
    return fn(std::get<Fitted<double>>(state_));
  }

  Options options_;
  ScalerPolicy scaler_;
  InitializerPolicy initializer_;
  DistancePolicy distance_;
  ClustererPolicy clusterer_;
  EvaluatorPolicy evaluator_;

  State state_;
  xt::xtensor<double, 2> scaled_centers_, centers_;
  xt::xtensor<float, 2> float_centers_;  // scaled_centers_ in float, for predicting float data
  std::size_t n_features_ = 0;
  detail::ComputedOnce score_;
};

}  // namespace segkit
