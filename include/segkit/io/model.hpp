#pragma once
// A fitted segmentation saved as JSON: the feature preparation, the scaler's
// parameters, the distance and the centres — everything predict needs to put
// new customers into the same segments, in another process or another service.
// Part of segkit::io (it uses nlohmann-json).

#include <algorithm>
#include <array>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <xtensor/xtensor.hpp>

#include "segkit/cluster/concept.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/file.hpp"
#include "segkit/core/format.hpp"
#include "segkit/data/csv.hpp"
#include "segkit/data/number.hpp"
#include "segkit/data/table.hpp"
#include "segkit/distance/nearest.hpp"
#include "segkit/features/prepare.hpp"
#include "segkit/density/dbscan.hpp"
#include "segkit/medoids/kmedoids.hpp"
#include "segkit/mixture/gaussian.hpp"
#include "segkit/prototypes/kprototypes.hpp"
#include "segkit/rfm/rfm.hpp"
#include "segkit/core/options.hpp"
#include "segkit/pipeline/registry.hpp"
#include "segkit/scaler/any.hpp"
#include "segkit/select/align.hpp"

namespace segkit::io {

/// A customer that got no segment, and why.
struct Unassigned {
  std::size_t row = 0;  ///< its table row
  std::string reason;
};

/// Labels of the customers of a table; rows left out by the preparation have none.
struct Assignment {
  std::vector<std::size_t> rows;    ///< table rows that got a segment, ascending
  std::vector<std::size_t> labels;  ///< the segment of each of those rows
  /// Every other table row, ascending, with the reason: a missing value under a model
  /// that leaves such customers out (--missing drop), or a feature with no value where
  /// the model imputes none. rows and unassigned together hold every row of the table.
  std::vector<Unassigned> unassigned;
  /// What preparing the rows did: customers left out for a missing value (a model of
  /// --missing drop), values imputed, categories the fit never saw.
  std::vector<features::Action> actions;
};

/// What a model of a transaction log adds: the log's columns and where the R, F and M
/// scores start (rfm::RfmCuts), so that another log is read and scored as the fitted one.
/// Its customers' features are then recency, frequency and monetary, in that order.
struct RfmPart {
  rfm::LogColumns columns;
  rfm::RfmCuts cuts;
};

struct Model {
  features::Preparation preparation;
  AnyScaler scaler;                      ///< the fitted scaler: its name, its state, its transform
  std::string distance = "sqeuclidean";  ///< a name of BuiltinDistances (pipeline/registry.hpp)
  xt::xtensor<double, 2> centers;        ///< k x d, in the scaled space
  std::vector<std::string> segment_names;
  /// The id of each segment (label j is segment segment_ids[j]); empty: 0..k-1. A refit
  /// aligned with this model (workflow::align_fit) keeps the ids of segments that persist.
  std::vector<std::size_t> segment_ids;
  std::size_t next_segment_id = 0;  ///< the first id never given out (0 with no ids: k)
  std::string id_column;            ///< empty when the customers have no id column
  std::optional<RfmPart> rfm;       ///< a model of a transaction log (segkit rfm --model)
  /// A Gaussian mixture's (segkit segment --algorithm gmm; its means are `centers`): a
  /// customer joins the component of highest probability, not the nearest centre.
  std::optional<MixtureParameters> mixture;
  /// DBSCAN's (segkit segment --algorithm dbscan): a customer joins the segment of the
  /// nearest core customer within eps, or, within reach of none, the segment `unassigned`
  /// (the fit's customers in no dense region; without one, predict leaves it unassigned).
  std::optional<DbscanCores> density;
  std::optional<std::size_t> unassigned;
  /// k-prototypes' (segkit segment --algorithm kprototypes): a customer joins the prototype of
  /// least cost, its scaled numeric features against the means and its categories against the modes.
  std::optional<PrototypeModel> prototypes;
  /// k-medoids' by Gower's dissimilarity (distance "gower"): a customer joins the medoid of
  /// least Gower dissimilarity, read from its prepared numbers and categories.
  std::optional<GowerMedoids> gower;
  /// What made the segments (algorithm_names): "kmeans", "gmm", "dbscan", "kmedoids" (its
  /// centres are the medoids), or an agglomerative linkage ("ward", ...), whose segments have
  /// no rule for a new customer: predict puts it in the segment of
  /// the nearest centre (the segment's mean), which a few fitted customers' own segment is not.
  std::string algorithm = "kmeans";

  /// Whether predict's segment of a customer is the nearest centre's by necessity (an
  /// agglomerative model), not the fit's own rule.
  bool nearest_centre_stand_in() const {
    return algorithm != "kmeans" && algorithm != "gmm" && algorithm != "dbscan" && algorithm != "kmedoids" &&
           algorithm != "kprototypes";
  }

  /// What the model is, when its rule for a customer is not the nearest centre of `distance`
  /// ("a Gaussian mixture's model", ...): formats that write only that rule (ONNX, PMML)
  /// cannot hold it. Empty for a model of nearest centres.
  std::optional<std::string> rule_of_its_own() const {
    if (mixture) return "a Gaussian mixture's model";
    if (prototypes) return "a k-prototypes model";
    if (density) return "a DBSCAN model";
    return std::nullopt;
  }

  /// The id of segment label j (Assignment::labels are labels, 0..k-1).
  std::size_t segment_id(std::size_t j) const { return j < segment_ids.size() ? segment_ids[j] : j; }

  /// Customers each segment's centre stands for (label order): the fit's segment sizes,
  /// grown by partial_fit (io/served.hpp). Empty when unknown (a model file without them).
  std::vector<double> counts;

  /// Puts the customers of `table` into the saved segments. `scaled`, when given, receives
  /// the assigned customers' scaled features (one row per Assignment::rows entry).
  Assignment predict(const data::Table& table, xt::xtensor<double, 2>* scaled = nullptr) const {
    const features::Prepared prepared = preparation.transform(table);
    Assignment out;
    out.actions = prepared.actions;
    // Rows the preparation left out (a missing value under --missing drop): named with
    // the columns they miss. Rows with a feature that has no value (a saved Pipeline's
    // plain columns impute nothing): never compared as NaN, which would put them in segment 0.
    std::vector<std::string> sources;
    for (const auto& r : preparation.recipes())
      if (std::find(sources.begin(), sources.end(), r.source) == sources.end()) sources.push_back(r.source);
    auto left_out = [&](std::size_t row) {
      std::string names;
      for (const std::string& name : sources)
        if (table.column(name).missing(row)) names += (names.empty() ? "\"" : ", \"") + name + "\"";
      return Unassigned{row, "a missing value in " + names + " (the model leaves such customers out)"};
    };
    const std::size_t d = prepared.X.shape(1);
    std::vector<std::size_t> usable;  // rows of prepared.X
    std::size_t next = 0;             // the next table row not yet accounted for
    for (std::size_t i = 0; i < prepared.X.shape(0); ++i) {
      const std::size_t row = prepared.rows[i];
      for (; next < row; ++next) out.unassigned.push_back(left_out(next));
      next = row + 1;
      std::size_t j = 0;
      while (j < d && std::isfinite(prepared.X(i, j))) ++j;
      if (j < d)
        out.unassigned.push_back(
            {row, "no value for feature \"" + preparation.feature_names()[j] + "\" (this model imputes none)"});
      else
        usable.push_back(i);
    }
    for (; next < table.rows(); ++next) out.unassigned.push_back(left_out(next));

    xt::xtensor<double, 2> X = xt::empty<double>({usable.size(), d});
    for (std::size_t u = 0; u < usable.size(); ++u) {
      std::copy_n(prepared.X.data() + usable[u] * d, d, X.data() + u * d);
      out.rows.push_back(prepared.rows[usable[u]]);
    }
    out.labels.assign(usable.size(), 0);
    xt::xtensor<double, 2> scaled_rows = usable.empty() ? X : scaler.transform(X);
    if (!usable.empty() && mixture) {
      const xt::xtensor<std::size_t, 1> labels = GaussianMixture::from_parameters(*mixture).predict(scaled_rows);
      std::copy(labels.begin(), labels.end(), out.labels.begin());
    } else if (!usable.empty() && gower) {
      const xt::xtensor<std::size_t, 1> labels = gower->assign(X);
      std::copy(labels.begin(), labels.end(), out.labels.begin());
    } else if (!usable.empty() && prototypes) {
      const xt::xtensor<std::size_t, 1> labels = prototypes->assign(scaled_rows, X);
      std::copy(labels.begin(), labels.end(), out.labels.begin());
    } else if (!usable.empty() && density) {
      const std::vector<std::ptrdiff_t> labels = density->assign(scaled_rows);
      std::vector<std::size_t> placed, rows;  // the usable rows (their index) that got a segment
      for (std::size_t u = 0; u < labels.size(); ++u) {
        if (labels[u] != Dbscan::noise)
          out.labels[placed.size()] = static_cast<std::size_t>(labels[u]), placed.push_back(u);
        else if (unassigned)
          out.labels[placed.size()] = *unassigned, placed.push_back(u);
        else
          out.unassigned.push_back({out.rows[u], "no core customer within eps = " + format_number(density->eps) +
                                                     ": in no dense region, and the fit had no unassigned segment"});
      }
      if (placed.size() < labels.size()) {
        xt::xtensor<double, 2> kept_rows = xt::empty<double>({placed.size(), d});
        for (std::size_t a = 0; a < placed.size(); ++a) {
          rows.push_back(out.rows[placed[a]]);
          std::copy_n(scaled_rows.data() + placed[a] * d, d, kept_rows.data() + a * d);
        }
        scaled_rows = std::move(kept_rows);
        out.rows = std::move(rows);
        out.labels.resize(placed.size());
        std::sort(out.unassigned.begin(), out.unassigned.end(),
                  [](const Unassigned& a, const Unassigned& b) { return a.row < b.row; });
      }
    } else if (!usable.empty()) {
      with_named_policy(BuiltinDistances{}, distance, "the model's distance", [&](const auto& policy) {
        nearest_centers(policy, scaled_rows, centers, out.labels.data(), 0);
      });
    }
    if (scaled) *scaled = std::move(scaled_rows);
    return out;
  }

  /// One customer's segment from its fields as text, keyed by column name, as a row of
  /// the customer file gives them ("" or "NA" is a missing value): the model's preparation is
  /// replayed on that one row (imputation, derived ages and tenures, one-hot levels),
  /// then the nearest centre. Every column the preparation reads must be a key.
  std::size_t predict_one(const std::map<std::string, std::string>& customer) const {
    data::Table row;
    std::vector<std::string> added;
    for (const auto& r : preparation.recipes()) {
      if (std::find(added.begin(), added.end(), r.source) != added.end()) continue;
      added.push_back(r.source);
      const auto field = customer.find(r.source);
      if (field == customer.end()) throw error("the customer has no field \"" + r.source + "\", which the model reads");
      const std::string& text = field->second;
      // Missing as the CSV reader's defaults say (blank, NA, NaN, N/A, null), as in a customer file.
      const bool missing = data::detail::is_missing_cell(text, data::CsvOptions{}.missing);
      switch (r.kind) {
        case features::Recipe::Kind::numeric:
        case features::Recipe::Kind::age: {
          const auto value = missing ? std::optional<double>(std::numeric_limits<double>::quiet_NaN())
                                     : data::detail::parse_number(text);
          if (!value) throw error("field \"" + r.source + "\" is \"" + text + "\", not a number");
          row.add(data::Column::numeric(r.source, {*value}));
          break;
        }
        case features::Recipe::Kind::tenure: {
          const auto day = missing ? std::optional<std::int64_t>(0) : data::parse_date_text(text);
          if (!day) throw error("field \"" + r.source + "\" is \"" + text + "\", not a date");
          row.add(data::Column::date(r.source, {*day}, {missing}));
          break;
        }
        case features::Recipe::Kind::one_hot:
          row.add(data::Column::categorical(r.source, {text}, {missing}));
          break;
      }
    }
    const Assignment assignment = predict(row);
    if (assignment.labels.empty())
      throw error("the customer has a missing value, and this model leaves such customers out (--missing drop)");
    return assignment.labels.front();
  }
};

/// A model's scaler as (x - center) / scale per feature, the form the files that other
/// systems read (ONNX, PMML) are given; identity for no scaling (then both are empty).
struct ShiftAndScale {
  std::vector<double> center, scale;
  bool identity = false;
};

/// The model's scaler as ShiftAndScale; `format` names the file format in the error that
/// a scaler of another form gets.
inline ShiftAndScale shift_and_scale(const Model& model, const std::string& format) {
  ShiftAndScale out;
  if (model.scaler.name() == "none") {
    out.identity = true;
    return out;
  }
  for (const auto& [name, values] : model.scaler.state()) {
    if (name == "center") out.center = values;
    if (name == "scale") out.scale = values;
  }
  const std::size_t d = model.centers.shape(1);
  if (out.center.size() != d || out.scale.size() != d)
    throw error("the model's scaler \"" + std::string(model.scaler.name()) +
                "\" is not a per-feature shift and scale, which is all " + format + " is given here");
  return out;
}

namespace detail {

using nlohmann::json;

/// JSON has no infinity or NaN: they are written as null and read back as the
/// value the field means when absent.
inline json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
inline double number_or(const json& j, double absent) { return j.is_null() ? absent : j.get<double>(); }

inline const char* kind_name(features::Recipe::Kind kind) {
  switch (kind) {
    case features::Recipe::Kind::numeric:
      return "numeric";
    case features::Recipe::Kind::age:
      return "age";
    case features::Recipe::Kind::tenure:
      return "tenure";
    case features::Recipe::Kind::one_hot:
      return "one_hot";
  }
  return "numeric";
}

inline features::Recipe::Kind kind_from(const std::string& name) {
  if (name == "numeric") return features::Recipe::Kind::numeric;
  if (name == "age") return features::Recipe::Kind::age;
  if (name == "tenure") return features::Recipe::Kind::tenure;
  if (name == "one_hot") return features::Recipe::Kind::one_hot;
  throw error("unknown feature kind \"" + name + "\"");
}

}  // namespace detail

inline std::string to_json(const Model& model) {
  using detail::json;
  json recipes = json::array();
  for (const auto& r : model.preparation.recipes())
    recipes.push_back({{"kind", detail::kind_name(r.kind)},
                       {"source", r.source},
                       {"name", r.name},
                       {"fill", detail::number(r.fill)},
                       {"fill_level", r.fill_level},
                       {"low", detail::number(r.low)},
                       {"high", detail::number(r.high)},
                       {"log", r.log},
                       {"reference", r.reference},
                       {"levels", r.levels}});
  const auto& options = model.preparation.options();
  json centers = json::array();
  for (std::size_t c = 0; c < model.centers.shape(0); ++c) {
    std::vector<double> row(model.centers.shape(1));
    for (std::size_t j = 0; j < row.size(); ++j) row[j] = model.centers(c, j);
    centers.push_back(row);
  }
  json scaler = {{"name", model.scaler.name()}};
  for (auto& [entry, values] : model.scaler.state()) scaler[entry] = std::move(values);
  json out = {
      {"format", "segkit-model"},
      {"version", 1},
      {"id_column", model.id_column},
      {"feature_names", model.preparation.feature_names()},
      {"preparation",
       {{"missing", options.missing == features::MissingPolicy::impute ? "impute" : "drop_rows"},
        {"outliers", options.outliers == features::OutlierPolicy::clip   ? "clip"
                     : options.outliers == features::OutlierPolicy::flag ? "flag"
                                                                         : "keep"},
        {"recipes", recipes}}},
      {"scaler", scaler},
      {"distance", model.distance},
      {"centers", centers},
      {"segment_names", model.segment_names},
  };
  if (!model.counts.empty()) {
    json counts = json::array();
    for (const double c : model.counts) counts.push_back(c);
    out["counts"] = counts;
  }
  // Written only when they say more than 0..k-1, so that a model file of a fit of its
  // own reads as before.
  const std::size_t k = model.centers.shape(0);
  bool plain_ids = model.next_segment_id <= k;
  for (std::size_t j = 0; j < model.segment_ids.size(); ++j) plain_ids = plain_ids && model.segment_ids[j] == j;
  if (!plain_ids) {
    std::vector<std::size_t> ids(k);
    for (std::size_t j = 0; j < k; ++j) ids[j] = model.segment_id(j);
    out["segment_ids"] = ids;
    out["next_segment_id"] =
        std::max(model.next_segment_id, ids.empty() ? 0 : *std::max_element(ids.begin(), ids.end()) + 1);
  }
  if (model.algorithm != "kmeans") out["algorithm"] = model.algorithm;
  if (model.mixture) {
    json covariances = json::array();
    const ComponentMatrices& cov = model.mixture->covariances;
    for (std::size_t c = 0; c < cov.shape(0); ++c)
      covariances.push_back(std::vector<double>(&cov(c, 0, 0), &cov(c, 0, 0) + cov.shape(1) * cov.shape(2)));
    out["mixture"] = {{"covariance", covariance_name(model.mixture->covariance)},
                      {"weights", model.mixture->weights},
                      {"covariances", covariances}};
  }
  if (model.gower) {
    const GowerMedoids& g = *model.gower;
    json medoids = json::array();
    for (std::size_t c = 0; c < g.medoids.shape(0); ++c)
      medoids.push_back(std::vector<double>(g.medoids.data() + c * g.medoids.shape(1),
                                            g.medoids.data() + (c + 1) * g.medoids.shape(1)));
    out["gower"] = {{"numeric", g.columns.numeric},
                    {"categories", g.columns.categories},
                    {"ranges", g.gower.ranges},
                    {"medoids", medoids}};
  }
  if (model.prototypes) {
    const PrototypeModel& p = *model.prototypes;
    json means = json::array(), modes = json::array();
    for (std::size_t c = 0; c < p.means.shape(0); ++c) {
      means.push_back(
          std::vector<double>(p.means.data() + c * p.means.shape(1), p.means.data() + (c + 1) * p.means.shape(1)));
      modes.push_back(
          std::vector<std::size_t>(p.modes.data() + c * p.modes.shape(1), p.modes.data() + (c + 1) * p.modes.shape(1)));
    }
    out["prototypes"] = {{"gamma", p.gamma},
                         {"numeric", p.columns.numeric},
                         {"categories", p.columns.categories},
                         {"means", means},
                         {"modes", modes}};
  }
  if (model.density) {
    const DbscanCores& cores = *model.density;
    json rows = json::array();
    for (std::size_t c = 0; c < cores.rows.shape(0); ++c)
      rows.push_back(std::vector<double>(&cores.rows(c, 0), &cores.rows(c, 0) + cores.rows.shape(1)));
    out["density"] = {{"eps", cores.eps},
                      {"min_samples", cores.min_samples},
                      {"unassigned", model.unassigned ? json(*model.unassigned) : json(nullptr)},
                      {"core", rows},
                      {"core_segments", cores.segments}};
  }
  if (model.rfm) {
    const auto& c = model.rfm->columns;
    auto cuts = [](const std::array<double, 4>& values) {
      json list = json::array();
      for (const double v : values) list.push_back(detail::number(v));
      return list;
    };
    out["rfm"] = {{"columns",
                   {{"customer", c.customer},
                    {"date", c.date},
                    {"amount", c.amount},
                    {"quantity", c.quantity},
                    {"price", c.price},
                    {"invoice", c.invoice}}},
                  {"cuts",
                   {{"recency", cuts(model.rfm->cuts.recency)},
                    {"frequency", cuts(model.rfm->cuts.frequency)},
                    {"monetary", cuts(model.rfm->cuts.monetary)}}}};
  }
  return out.dump(1);
}

namespace detail {

/// Reads a model file's fields strictly: types, ranges, finite numbers, known names.
/// Every failure is a segkit::error naming the file and the field
/// ("model.json: field \"scaler.scale[2]\" must be a positive number, not -1").
class ModelReader {
 public:
  explicit ModelReader(std::string where) : where_(std::move(where)) {}

  [[noreturn]] void fail(const std::string& field, const std::string& problem) const {
    throw error(where_ + ": field \"" + field + "\" " + problem);
  }
  /// parent[key], whose name is `field` ("" for the top level).
  const json& at(const json& parent, const std::string& field, const char* key) const {
    const std::string name = field.empty() ? std::string(key) : field + "." + key;
    if (!parent.is_object()) fail(field, "must be an object");
    const auto it = parent.find(key);
    if (it == parent.end()) fail(name, "is missing");
    return *it;
  }
  std::string text(const json& j, const std::string& field) const {
    if (!j.is_string()) fail(field, "must be a string, not " + j.dump());
    return j.get<std::string>();
  }
  std::string choice(const json& j, const std::string& field, std::initializer_list<std::string_view> allowed) const {
    const std::string value = text(j, field);
    std::string names;
    for (const std::string_view a : allowed) {
      if (value == a) return value;
      names += (names.empty() ? "" : ", ") + std::string(a);
    }
    fail(field, "is \"" + value + "\", not one of " + names);
  }
  /// A name of the registry's policies.
  template <class... Policies>
  std::string choice(const json& j, const std::string& field, PolicyList<Policies...>) const {
    return choice(j, field, {Policies::name...});
  }
  bool boolean(const json& j, const std::string& field) const {
    if (!j.is_boolean()) fail(field, "must be true or false, not " + j.dump());
    return j.get<bool>();
  }
  double finite(const json& j, const std::string& field) const {
    if (!j.is_number() || !std::isfinite(j.get<double>())) fail(field, "must be a finite number, not " + j.dump());
    return j.get<double>();
  }
  /// null stands for `absent` (to_json writes infinities and NaN as null).
  double finite_or(const json& j, const std::string& field, double absent) const {
    return j.is_null() ? absent : finite(j, field);
  }
  const json& array(const json& j, const std::string& field) const {
    if (!j.is_array()) fail(field, "must be a list, not " + j.dump());
    return j;
  }
  std::vector<std::string> texts(const json& j, const std::string& field) const {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < array(j, field).size(); ++i)
      out.push_back(text(j[i], field + "[" + std::to_string(i) + "]"));
    return out;
  }
  std::vector<double> numbers(const json& j, const std::string& field) const {
    std::vector<double> out;
    for (std::size_t i = 0; i < array(j, field).size(); ++i)
      out.push_back(finite(j[i], field + "[" + std::to_string(i) + "]"));
    return out;
  }
  /// A list of rows of `width` numbers each ("has 7 values for 8 <unit>" otherwise), as a matrix.
  xt::xtensor<double, 2> rows(const json& list, const std::string& field, std::size_t width,
                              const std::string& unit) const {
    xt::xtensor<double, 2> out = xt::empty<double>({array(list, field).size(), width});
    for (std::size_t r = 0; r < list.size(); ++r) {
      const std::string at = field + "[" + std::to_string(r) + "]";
      const std::vector<double> row = numbers(list[r], at);
      if (row.size() != width)
        fail(at, "has " + std::to_string(row.size()) + " values for " + std::to_string(width) + " " + unit);
      std::copy(row.begin(), row.end(), out.data() + r * width);
    }
    return out;
  }
  const std::string& where() const { return where_; }

 private:
  std::string where_;
};

inline features::Recipe read_recipe(const ModelReader& in, const json& r, const std::string& field) {
  features::Recipe recipe;
  recipe.kind = kind_from(in.choice(in.at(r, field, "kind"), field + ".kind", {"numeric", "age", "tenure", "one_hot"}));
  recipe.source = in.text(in.at(r, field, "source"), field + ".source");
  recipe.name = in.text(in.at(r, field, "name"), field + ".name");
  recipe.fill_level = in.text(in.at(r, field, "fill_level"), field + ".fill_level");
  recipe.log = in.boolean(in.at(r, field, "log"), field + ".log");
  recipe.reference = in.finite(in.at(r, field, "reference"), field + ".reference");
  recipe.levels = in.texts(in.at(r, field, "levels"), field + ".levels");
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  if (recipe.kind == features::Recipe::Kind::one_hot) {
    // The levels are the one-hot columns: none twice, and the fill one of them.
    if (recipe.levels.empty()) in.fail(field + ".levels", "must name at least one level");
    std::vector<std::string> sorted = recipe.levels;
    std::sort(sorted.begin(), sorted.end());
    if (const auto twice = std::adjacent_find(sorted.begin(), sorted.end()); twice != sorted.end())
      in.fail(field + ".levels", "names the level \"" + *twice + "\" twice");
    if (std::find(recipe.levels.begin(), recipe.levels.end(), recipe.fill_level) == recipe.levels.end())
      in.fail(field + ".fill_level", "is \"" + recipe.fill_level + "\", which is not one of its levels");
    recipe.fill = in.finite_or(in.at(r, field, "fill"), field + ".fill", nan);
  } else {
    // A missing value gets `fill`; null (a saved Pipeline's plain column) imputes
    // nothing, and Model::predict refuses such a customer naming the row.
    recipe.fill = in.finite_or(in.at(r, field, "fill"), field + ".fill", nan);
  }
  recipe.low = in.finite_or(in.at(r, field, "low"), field + ".low", -inf);
  recipe.high = in.finite_or(in.at(r, field, "high"), field + ".high", inf);
  if (recipe.low > recipe.high)
    in.fail(field + ".low",
            "is above " + field + ".high (" + format_number(recipe.low) + " > " + format_number(recipe.high) + ")");
  return recipe;
}

}  // namespace detail

/// Reads a model written by to_json, strictly (detail::ModelReader); `where` names the
/// source in error messages. The scaler and distance must be names of the registries
/// given (pipeline/registry.hpp): a caller with policies of its own passes its lists.
template <class Scalers = BuiltinScalers, class Distances = BuiltinDistances>
Model model_from_json(const std::string& text, const std::string& where = "model") {
  using detail::json;
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {  // malformed, or a number out of range (1e309)
    throw error(where + ": not a readable JSON file (" + std::string(e.what()) + ")");
  }
  const detail::ModelReader in(where);
  if (!j.is_object() || !j.contains("format") || j["format"] != "segkit-model")
    throw error(where + ": not a segkit model (no \"format\": \"segkit-model\")");
  // An integer, exactly: 1.5, 1e300 and 4294967297 are not version 1.
  const json& version = in.at(j, "", "version");
  if (!version.is_number_integer() || version.get<std::int64_t>() != 1)
    throw error(where + ": model version " + version.dump() + " is not supported (this segkit reads 1)");
  Model model;
  model.id_column = in.text(in.at(j, "", "id_column"), "id_column");
  features::PrepareOptions options;
  const json& prep = in.at(j, "", "preparation");
  options.missing =
      in.choice(in.at(prep, "preparation", "missing"), "preparation.missing", {"impute", "drop_rows"}) == "drop_rows"
          ? features::MissingPolicy::drop_rows
          : features::MissingPolicy::impute;
  const std::string outliers =
      in.choice(in.at(prep, "preparation", "outliers"), "preparation.outliers", {"clip", "flag", "keep"});
  options.outliers = outliers == "clip"   ? features::OutlierPolicy::clip
                     : outliers == "flag" ? features::OutlierPolicy::flag
                                          : features::OutlierPolicy::keep;
  std::vector<features::Recipe> recipes;
  const json& recipe_list = in.array(in.at(prep, "preparation", "recipes"), "preparation.recipes");
  for (std::size_t q = 0; q < recipe_list.size(); ++q)
    recipes.push_back(detail::read_recipe(in, recipe_list[q], "preparation.recipes[" + std::to_string(q) + "]"));
  if (recipes.empty()) in.fail("preparation.recipes", "must hold at least one feature");
  model.preparation = features::Preparation::from_recipes(std::move(recipes), options);
  const std::size_t d = model.preparation.feature_names().size();

  // The scaler: its registry name, then its state (scaler/any.hpp), one number per
  // feature in each entry; the scaler itself judges the values (a scale of 0 or -1).
  const json& scaler = in.at(j, "", "scaler");
  const std::string scaler_name = in.choice(in.at(scaler, "scaler", "name"), "scaler.name", Scalers{});
  ScalerState state;
  for (const auto& [entry, values] : scaler.items()) {
    if (entry == "name") continue;
    const std::string field = "scaler." + entry;
    state.emplace_back(entry, in.numbers(values, field));
    if (state.back().second.size() != d)
      in.fail(field, "has " + std::to_string(state.back().second.size()) + " values for the preparation's " +
                         std::to_string(d) + " features");
  }
  with_named_policy(Scalers{}, scaler_name, "scaler.name", [&](auto policy) {
    try {
      policy.set_state(state);
    } catch (const scaler_state_error& e) {
      in.fail("scaler." + e.entry(), e.problem());
    }
    model.scaler = std::move(policy);
  });
  // "gower" only beside the medoids it is read with (a k-medoids model of Gower's dissimilarity).
  if (in.at(j, "", "distance") == "gower" && j.contains("gower"))
    model.distance = "gower";
  else
    model.distance = in.choice(in.at(j, "", "distance"), "distance", Distances{});

  const json& rows = in.array(in.at(j, "", "centers"), "centers");
  if (rows.empty()) in.fail("centers", "must hold at least one centre");
  model.centers = in.rows(rows, "centers", d, "features");
  model.segment_names = in.texts(in.at(j, "", "segment_names"), "segment_names");
  if (!model.segment_names.empty() && model.segment_names.size() != rows.size())
    in.fail("segment_names",
            "names " + std::to_string(model.segment_names.size()) + " segments of " + std::to_string(rows.size()));
  // Optional (a model of a fit of its own has ids 0..k-1 and writes none).
  const auto whole = [&](const json& value, const std::string& field) {
    if (!value.is_number_unsigned() || value.get<std::uint64_t>() > (std::uint64_t{1} << 53))
      in.fail(field, "must be a whole number from 0 to 2^53, not " + value.dump());
    return static_cast<std::size_t>(value.get<std::uint64_t>());
  };
  model.next_segment_id = rows.size();
  if (j.contains("segment_ids")) {
    const json& ids = in.array(j["segment_ids"], "segment_ids");
    if (ids.size() != rows.size())
      in.fail("segment_ids",
              "has " + std::to_string(ids.size()) + " ids for " + std::to_string(rows.size()) + " segments");
    std::map<std::size_t, std::size_t> first_at;  // id -> its first position
    for (std::size_t c = 0; c < ids.size(); ++c) {
      model.segment_ids.push_back(whole(ids[c], "segment_ids[" + std::to_string(c) + "]"));
      if (const auto [at, fresh] = first_at.emplace(model.segment_ids[c], c); !fresh)
        in.fail("segment_ids[" + std::to_string(c) + "]", "is " + std::to_string(model.segment_ids[c]) +
                                                              ", the id of segment_ids[" + std::to_string(at->second) +
                                                              "] too");
      model.next_segment_id = std::max(model.next_segment_id, model.segment_ids[c] + 1);
    }
  }
  if (j.contains("counts")) {
    model.counts = in.numbers(j["counts"], "counts");
    if (model.counts.size() != rows.size())
      in.fail("counts", "has " + std::to_string(model.counts.size()) + " values for " + std::to_string(rows.size()) +
                            " segments");
    for (std::size_t c = 0; c < model.counts.size(); ++c)
      if (!(model.counts[c] >= 0))
        in.fail("counts[" + std::to_string(c) + "]",
                "must be a number of customers, at least 0, not " + format_number(model.counts[c]));
  }
  if (j.contains("next_segment_id")) {
    const std::size_t next = whole(j["next_segment_id"], "next_segment_id");
    if (next < model.next_segment_id)
      in.fail("next_segment_id", "is " + std::to_string(next) + ", an id already given out (the ids run to " +
                                     std::to_string(model.next_segment_id - 1) + ")");
    model.next_segment_id = next;
  }
  if (j.contains("algorithm")) {
    model.algorithm = in.text(j["algorithm"], "algorithm");
    if (!is_algorithm(model.algorithm))
      in.fail("algorithm", "is \"" + model.algorithm + "\", not one of " + algorithm_list());
  }
  if (j.contains("density")) {
    const json& part = j["density"];
    DbscanCores cores;
    cores.eps = in.finite(in.at(part, "density", "eps"), "density.eps");
    if (!(cores.eps > 0)) in.fail("density.eps", "must be a positive distance, not " + format_number(cores.eps));
    cores.min_samples = whole(in.at(part, "density", "min_samples"), "density.min_samples");
    const std::size_t k = rows.size();
    const json& none = in.at(part, "density", "unassigned");
    if (!none.is_null()) {
      model.unassigned = whole(none, "density.unassigned");
      if (*model.unassigned + 1 != k)
        in.fail("density.unassigned",
                "must be the last segment, " + std::to_string(k - 1) + ", not " + std::to_string(*model.unassigned));
    }
    const std::size_t dense = k - (model.unassigned ? 1 : 0);
    const json& core = in.array(in.at(part, "density", "core"), "density.core");
    const json& segments = in.array(in.at(part, "density", "core_segments"), "density.core_segments");
    if (segments.size() != core.size())
      in.fail("density.core_segments", "has " + std::to_string(segments.size()) + " segments for " +
                                           std::to_string(core.size()) + " core customers");
    cores.rows = in.rows(core, "density.core", d, "features");
    for (std::size_t c = 0; c < core.size(); ++c) {
      const std::string segment_field = "density.core_segments[" + std::to_string(c) + "]";
      cores.segments.push_back(whole(segments[c], segment_field));
      if (cores.segments.back() >= dense)
        in.fail(segment_field, "is " + std::to_string(cores.segments.back()) + ", not a dense segment (0.." +
                                   std::to_string(dense - 1) + ")");
    }
    model.density = std::move(cores);
  }
  // The one-hot features of each categorical column (part.categories): each a feature of
  // the preparation, of one column only.
  const auto mixed_columns = [&](const json& part, const std::string& name) {
    const std::string list = name + ".categories";
    const json& groups = in.array(in.at(part, name, "categories"), list);
    std::vector<std::vector<std::size_t>> categories;
    std::vector<char> seen(d, 0);
    for (std::size_t l = 0; l < groups.size(); ++l) {
      const std::string field = list + "[" + std::to_string(l) + "]";
      categories.emplace_back();
      for (std::size_t v = 0; v < in.array(groups[l], field).size(); ++v) {
        const std::string at = field + "[" + std::to_string(v) + "]";
        const std::size_t feature = whole(groups[l][v], at);
        if (feature >= d || seen[feature])
          in.fail(at, "is " + std::to_string(feature) + ", not a feature (0.." + std::to_string(d - 1) +
                          ") of no other categorical column");
        seen[feature] = 1;
        categories.back().push_back(feature);
      }
      if (categories.back().empty()) in.fail(field, "must name the one-hot features of a categorical column");
    }
    return features::MixedColumns::of(d, std::move(categories));
  };
  if (j.contains("prototypes")) {
    const json& part = j["prototypes"];
    PrototypeModel p;
    p.gamma = in.finite(in.at(part, "prototypes", "gamma"), "prototypes.gamma");
    if (!(p.gamma >= 0)) in.fail("prototypes.gamma", "must be at least 0, not " + format_number(p.gamma));
    p.columns = mixed_columns(part, "prototypes");
    const json& means = in.array(in.at(part, "prototypes", "means"), "prototypes.means");
    const json& modes = in.array(in.at(part, "prototypes", "modes"), "prototypes.modes");
    const std::size_t k = rows.size(), numeric = p.columns.numeric.size(), q = p.columns.categories.size();
    if (means.size() != k)
      in.fail("prototypes.means",
              "has " + std::to_string(means.size()) + " rows for " + std::to_string(k) + " segments");
    if (modes.size() != k)
      in.fail("prototypes.modes",
              "has " + std::to_string(modes.size()) + " rows for " + std::to_string(k) + " segments");
    p.means = in.rows(means, "prototypes.means", numeric, "numeric features");
    p.modes = xt::empty<std::size_t>({k, q});
    for (std::size_t c = 0; c < k; ++c) {
      const std::string mode_field = "prototypes.modes[" + std::to_string(c) + "]";
      if (in.array(modes[c], mode_field).size() != q)
        in.fail(mode_field,
                "has " + std::to_string(modes[c].size()) + " codes for " + std::to_string(q) + " categorical columns");
      for (std::size_t l = 0; l < q; ++l) {
        const std::string at = mode_field + "[" + std::to_string(l) + "]";
        p.modes(c, l) = whole(modes[c][l], at);
        if (p.modes(c, l) >= p.columns.categories[l].size())
          in.fail(at, "is " + std::to_string(p.modes(c, l)) + ", not a level (0.." +
                          std::to_string(p.columns.categories[l].size() - 1) + ")");
      }
    }
    model.prototypes = std::move(p);
  }
  if (j.contains("gower")) {
    if (model.distance != "gower") in.fail("gower", "belongs to a model of distance \"gower\"");
    const json& part = j["gower"];
    GowerMedoids g;
    g.columns = mixed_columns(part, "gower");
    g.gower.categorical = g.columns.categorical();
    const std::size_t width = g.gower.categorical.size();
    g.gower.ranges = in.numbers(in.at(part, "gower", "ranges"), "gower.ranges");
    if (g.gower.ranges.size() != width)
      in.fail("gower.ranges",
              "has " + std::to_string(g.gower.ranges.size()) + " values for " + std::to_string(width) + " columns");
    for (std::size_t r = 0; r < width; ++r)
      if (!(g.gower.ranges[r] >= 0))
        in.fail("gower.ranges[" + std::to_string(r) + "]",
                "must be at least 0, not " + format_number(g.gower.ranges[r]));
    const json& medoids = in.array(in.at(part, "gower", "medoids"), "gower.medoids");
    if (medoids.size() != rows.size())
      in.fail("gower.medoids",
              "has " + std::to_string(medoids.size()) + " rows for " + std::to_string(rows.size()) + " segments");
    g.medoids = in.rows(medoids, "gower.medoids", width, "columns");
    model.gower = std::move(g);
  }
  if ((model.algorithm == "kprototypes") != model.prototypes.has_value())
    in.fail("prototypes", model.prototypes ? "belongs to a k-prototypes model (algorithm \"kprototypes\")"
                                           : "is missing: a k-prototypes model places customers by its prototypes");
  if ((model.algorithm == "dbscan") != model.density.has_value())
    in.fail("density", model.density ? "belongs to a DBSCAN model (algorithm \"dbscan\")"
                                     : "is missing: a DBSCAN model places customers by its core customers");
  if (j.contains("mixture")) {
    const json& part = j["mixture"];
    MixtureParameters mixture;
    mixture.covariance = covariance_type(
        in.choice(in.at(part, "mixture", "covariance"), "mixture.covariance", {"full", "tied", "diag", "spherical"}));
    mixture.weights = in.numbers(in.at(part, "mixture", "weights"), "mixture.weights");
    const std::size_t k = rows.size();
    if (mixture.weights.size() != k)
      in.fail("mixture.weights",
              "has " + std::to_string(mixture.weights.size()) + " values for " + std::to_string(k) + " segments");
    const bool square = mixture.covariance == CovarianceType::full || mixture.covariance == CovarianceType::tied;
    const std::size_t blocks = mixture.covariance == CovarianceType::tied ? 1 : k;
    const std::size_t width = square ? d * d : mixture.covariance == CovarianceType::diag ? d : 1;
    const json& list = in.array(in.at(part, "mixture", "covariances"), "mixture.covariances");
    if (list.size() != blocks)
      in.fail("mixture.covariances",
              "must hold " + std::to_string(blocks) + " matrices, not " + std::to_string(list.size()));
    mixture.covariances = xt::empty<double>({blocks, square ? d : 1, width / (square ? d : 1)});
    for (std::size_t c = 0; c < blocks; ++c) {
      const std::string field = "mixture.covariances[" + std::to_string(c) + "]";
      const std::vector<double> values = in.numbers(list[c], field);
      if (values.size() != width)
        in.fail(field, "must hold " + std::to_string(width) + " numbers, not " + std::to_string(values.size()));
      std::copy(values.begin(), values.end(), &mixture.covariances(c, 0, 0));
    }
    mixture.means = model.centers;
    try {
      GaussianMixture::from_parameters(mixture);  // positive-definite covariances, weights in (0, 1]
    } catch (const error& e) {
      in.fail("mixture", e.what());
    }
    model.mixture = std::move(mixture);
  }
  if (j.contains("rfm")) {
    const json& part = j["rfm"];
    RfmPart rfm;
    const json& columns = in.at(part, "rfm", "columns");
    for (const auto& [key, target] :
         {std::pair{"customer", &rfm.columns.customer}, std::pair{"date", &rfm.columns.date},
          std::pair{"amount", &rfm.columns.amount}, std::pair{"quantity", &rfm.columns.quantity},
          std::pair{"price", &rfm.columns.price}, std::pair{"invoice", &rfm.columns.invoice}})
      *target = in.text(in.at(columns, "rfm.columns", key), std::string("rfm.columns.") + key);
    if (rfm.columns.customer.empty()) in.fail("rfm.columns.customer", "must name a column");
    if (rfm.columns.date.empty()) in.fail("rfm.columns.date", "must name a column");
    if (rfm.columns.amount.empty() && (rfm.columns.quantity.empty() || rfm.columns.price.empty()))
      in.fail("rfm.columns.amount", "must name a column, or rfm.columns.quantity and rfm.columns.price both");
    const json& cuts = in.at(part, "rfm", "cuts");
    for (const auto& [key, target] :
         {std::pair{"recency", &rfm.cuts.recency}, std::pair{"frequency", &rfm.cuts.frequency},
          std::pair{"monetary", &rfm.cuts.monetary}}) {
      const std::string field = std::string("rfm.cuts.") + key;
      const json& list = in.array(in.at(cuts, "rfm.cuts", key), field);
      if (list.size() != 4) in.fail(field, "must hold 4 values (where scores 2, 3, 4 and 5 start)");
      for (std::size_t s = 0; s < 4; ++s) {
        // null: no customer reached that score (an infinite cut point).
        (*target)[s] =
            in.finite_or(list[s], field + "[" + std::to_string(s) + "]", std::numeric_limits<double>::infinity());
        if (s > 0 && (*target)[s] < (*target)[s - 1])
          in.fail(field, "must not decrease (score " + std::to_string(s + 2) + " starts below score " +
                             std::to_string(s + 1) + ")");
      }
    }
    if (d != 3) in.fail("rfm", "needs the 3 features recency, frequency and monetary, not " + std::to_string(d));
    model.rfm = std::move(rfm);
  }
  return model;
}

inline void save_model(const std::filesystem::path& path, const Model& model) {
  write_file_atomically(path, to_json(model));
}

template <class Scalers = BuiltinScalers, class Distances = BuiltinDistances>
Model load_model(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw error("cannot read model " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  return model_from_json<Scalers, Distances>(text.str(), path.string());
}

/// A model's segments as a refit is aligned to them (workflow::align_fit): the centres
/// with the scaler undone, in the units of the prepared features; `source` names the
/// model in messages (its file).
inline PreviousSegments previous_segments(const Model& model, const std::string& source = "the previous model") {
  PreviousSegments out;
  out.features = model.preparation.feature_names();
  out.logged = features::logged_features(model.preparation);
  out.one_hot = features::one_hot_features(model.preparation);
  out.centers = model.scaler.inverse_transform(model.centers);
  for (std::size_t j = 0; j < model.centers.shape(0); ++j) out.ids.push_back(model.segment_id(j));
  out.next_id = std::max(model.next_segment_id, model.centers.shape(0));
  out.source = source;
  return out;
}

// ------------------------------------------------------------ Pipelines --
// A fitted Pipeline is saved in the same format as the tool's models: `segkit predict`
// uses it, and a tool's model loads into the Pipeline of the same scaler and distance.

/// A Pipeline whose scaler can give and restore its state (SavableScaler, as every
/// built-in scaler), whose scaler and distance have registry names, and whose segments
/// are its centres' cells: a clusterer that predicts its own way (PredictsItself) has
/// state beyond the centres, which this format does not keep.
template <class P>
concept SavablePipeline = SavableScaler<typename P::scaler_type> && NamedPolicy<typename P::scaler_type> &&
    NamedPolicy<typename P::distance_type> &&
    !PredictsItself<typename P::clusterer_type, typename P::distance_type, double>;

/// The model file's content for a fitted Pipeline. `feature_names` are the columns of a
/// customer file its features are, used as they are (default "x1", "x2", ...): with
/// them `segkit predict` assigns a file's customers as pipeline.predict() does.
template <SavablePipeline P>
Model model_of(const P& pipeline, std::vector<std::string> feature_names = {}) {
  const std::size_t d = pipeline.scaled_centers().shape(1);
  if (feature_names.empty())
    for (std::size_t j = 0; j < d; ++j) feature_names.push_back("x" + std::to_string(j + 1));
  if (feature_names.size() != d)
    throw error("model_of: " + std::to_string(feature_names.size()) + " feature names for a Pipeline of " +
                std::to_string(d) + " features");
  std::vector<features::Recipe> recipes;
  for (const std::string& name : feature_names) {
    features::Recipe r;
    r.source = r.name = name;  // the column as it is: no imputation, no clipping, no log
    recipes.push_back(std::move(r));
  }
  features::PrepareOptions as_they_are;
  as_they_are.outliers = features::OutlierPolicy::keep;
  Model model;
  model.preparation = features::Preparation::from_recipes(std::move(recipes), as_they_are);
  model.scaler = pipeline.scaler();
  model.distance = std::string(P::distance_type::name);
  model.centers = pipeline.scaled_centers();
  // What each centre stands for, for partial_fit (io/served.hpp), when the fit's labels are still there.
  if (pipeline.has_training_data()) {
    model.counts.assign(model.centers.shape(0), 0.0);
    for (const std::size_t l : pipeline.labels()) model.counts[l] += 1;
  }
  return model;
}

template <SavablePipeline P>
void save(const P& pipeline, const std::filesystem::path& path, std::vector<std::string> feature_names = {}) {
  save_model(path, model_of(pipeline, std::move(feature_names)));
}

/// The Pipeline P a model holds: its scaler and distance must be P's (by registry name),
/// else a segkit::error says which differs. It predicts on the model's prepared features
/// (Model::preparation turns a customer table into them) with the labels the saved
/// model gives; it has no training data (labels() and score() refuse).
template <SavablePipeline P>
P pipeline_from(const Model& model, Options options = {}) {
  using S = typename P::scaler_type;
  using D = typename P::distance_type;
  if (model.scaler.name() != S::name)
    throw error("the model's scaler is \"" + std::string(model.scaler.name()) + "\", this Pipeline's is \"" +
                std::string(S::name) + "\"");
  if (model.distance != D::name)
    throw error("the model's distance is \"" + model.distance + "\", this Pipeline's is \"" + std::string(D::name) +
                "\"");
  return P::from_fitted(model.scaler.as<S>(), model.centers, options);
}

template <SavablePipeline P, class Scalers = BuiltinScalers, class Distances = BuiltinDistances>
P load(const std::filesystem::path& path, Options options = {}) {
  const Model model = load_model<Scalers, Distances>(path);
  try {
    return pipeline_from<P>(model, options);
  } catch (const error& e) {
    throw error(path.string() + ": " + e.what());
  }
}

}  // namespace segkit::io
