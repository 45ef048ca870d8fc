#pragma once
// A fitted segmentation saved as JSON: the feature preparation, the scaler's
// parameters, the distance and the centres — everything predict needs to put
// new customers into the same segments, in another process or another service.
// Part of segkit::io (it uses nlohmann-json).

#include <cmath>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <xtensor/xtensor.hpp>

#include "segkit/cluster/lloyd.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/file.hpp"
#include "segkit/data/table.hpp"
#include "segkit/distance/cosine.hpp"
#include "segkit/distance/manhattan.hpp"
#include "segkit/distance/squared_euclidean.hpp"
#include "segkit/features/prepare.hpp"
#include "segkit/scaler/affine.hpp"

namespace segkit::io {

/// Labels of the customers of a table; rows left out by the preparation have none.
struct Assignment {
  std::vector<std::size_t> rows;    ///< table rows that got a segment
  std::vector<std::size_t> labels;  ///< the segment of each of those rows
};

struct Model {
  features::Preparation preparation;
  std::string scaler = "standard";   ///< its name, for people reading the file
  AffineScaler scaling;              ///< fitted centre and scale per feature
  std::string distance = "sqeuclidean";  ///< sqeuclidean | manhattan | cosine
  xt::xtensor<double, 2> centers;    ///< k x d, in the scaled space
  std::vector<std::string> segment_names;
  std::string id_column;             ///< empty when the customers have no id column

  /// Puts the customers of `table` into the saved segments.
  Assignment predict(const data::Table& table) const {
    const features::Prepared prepared = preparation.transform(table);
    const xt::xtensor<double, 2> scaled = scaling.transform(prepared.X);
    Assignment out;
    out.rows = prepared.rows;
    out.labels.assign(scaled.shape(0), 0);
    std::vector<double> nearest(scaled.shape(0));
    auto assign = [&](const auto& policy) {
      segkit::detail::assign_nearest(policy, scaled, centers, out.labels.data(), nearest.data(), 0);
    };
    if (distance == "sqeuclidean")
      assign(SquaredEuclidean{});
    else if (distance == "manhattan")
      assign(Manhattan{});
    else if (distance == "cosine")
      assign(Cosine{});
    else
      throw error("the model names an unknown distance \"" + distance + "\"");
    return out;
  }
};

namespace detail {

using nlohmann::json;

/// JSON has no infinity or NaN: they are written as null and read back as the
/// value the field means when absent.
inline json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
inline double number_or(const json& j, double absent) { return j.is_null() ? absent : j.get<double>(); }

inline const char* kind_name(features::Recipe::Kind kind) {
  switch (kind) {
    case features::Recipe::Kind::numeric: return "numeric";
    case features::Recipe::Kind::age: return "age";
    case features::Recipe::Kind::tenure: return "tenure";
    case features::Recipe::Kind::one_hot: return "one_hot";
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
    recipes.push_back({{"kind", detail::kind_name(r.kind)}, {"source", r.source}, {"name", r.name},
                       {"fill", detail::number(r.fill)}, {"fill_level", r.fill_level},
                       {"low", detail::number(r.low)}, {"high", detail::number(r.high)}, {"log", r.log},
                       {"reference", r.reference}, {"levels", r.levels}});
  const auto& options = model.preparation.options();
  json centers = json::array();
  for (std::size_t c = 0; c < model.centers.shape(0); ++c) {
    std::vector<double> row(model.centers.shape(1));
    for (std::size_t j = 0; j < row.size(); ++j) row[j] = model.centers(c, j);
    centers.push_back(row);
  }
  const json out = {
      {"format", "segkit-model"},
      {"version", 1},
      {"id_column", model.id_column},
      {"feature_names", model.preparation.feature_names()},
      {"preparation",
       {{"missing", options.missing == features::MissingPolicy::impute ? "impute" : "drop_rows"},
        {"outliers", options.outliers == features::OutlierPolicy::clip    ? "clip"
                     : options.outliers == features::OutlierPolicy::flag ? "flag"
                                                                          : "keep"},
        {"recipes", recipes}}},
      {"scaler", {{"name", model.scaler}, {"center", model.scaling.center()}, {"scale", model.scaling.scale()}}},
      {"distance", model.distance},
      {"centers", centers},
      {"segment_names", model.segment_names},
  };
  return out.dump(1);
}

/// Reads a model written by to_json; `where` names the source in error messages.
inline Model model_from_json(const std::string& text, const std::string& where = "model") {
  using detail::json;
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw error(where + ": not a JSON file (" + std::string(e.what()) + ")");
  }
  try {
    if (!j.is_object() || j.value("format", "") != "segkit-model")
      throw error(where + ": not a segkit model (no \"format\": \"segkit-model\")");
    if (j.at("version").get<int>() != 1)
      throw error(where + ": model version " + j.at("version").dump() + " is not supported (this segkit reads 1)");
    Model model;
    model.id_column = j.at("id_column").get<std::string>();
    features::PrepareOptions options;
    const json& prep = j.at("preparation");
    options.missing = prep.at("missing") == "drop_rows" ? features::MissingPolicy::drop_rows
                                                        : features::MissingPolicy::impute;
    const std::string outliers = prep.at("outliers").get<std::string>();
    options.outliers = outliers == "clip"   ? features::OutlierPolicy::clip
                       : outliers == "flag" ? features::OutlierPolicy::flag
                                            : features::OutlierPolicy::keep;
    std::vector<features::Recipe> recipes;
    for (const json& r : prep.at("recipes")) {
      features::Recipe recipe;
      recipe.kind = detail::kind_from(r.at("kind").get<std::string>());
      recipe.source = r.at("source").get<std::string>();
      recipe.name = r.at("name").get<std::string>();
      recipe.fill = detail::number_or(r.at("fill"), std::numeric_limits<double>::quiet_NaN());
      recipe.fill_level = r.at("fill_level").get<std::string>();
      recipe.low = detail::number_or(r.at("low"), -std::numeric_limits<double>::infinity());
      recipe.high = detail::number_or(r.at("high"), std::numeric_limits<double>::infinity());
      recipe.log = r.at("log").get<bool>();
      recipe.reference = r.at("reference").get<double>();
      recipe.levels = r.at("levels").get<std::vector<std::string>>();
      recipes.push_back(std::move(recipe));
    }
    model.preparation = features::Preparation::from_recipes(std::move(recipes), options);
    model.scaler = j.at("scaler").at("name").get<std::string>();
    model.scaling.set_parameters(j.at("scaler").at("center").get<std::vector<double>>(),
                                 j.at("scaler").at("scale").get<std::vector<double>>());
    model.distance = j.at("distance").get<std::string>();
    const auto rows = j.at("centers").get<std::vector<std::vector<double>>>();
    const std::size_t d = model.preparation.feature_names().size();
    if (rows.empty()) throw error(where + ": the model has no centres");
    if (model.scaling.scale().size() != d)
      throw error(where + ": the scaler has " + std::to_string(model.scaling.scale().size()) + " features, the preparation " +
                  std::to_string(d));
    model.centers = xt::zeros<double>({rows.size(), d});
    for (std::size_t c = 0; c < rows.size(); ++c) {
      if (rows[c].size() != d)
        throw error(where + ": centre " + std::to_string(c) + " has " + std::to_string(rows[c].size()) +
                    " values for " + std::to_string(d) + " features");
      for (std::size_t f = 0; f < d; ++f) {
        if (!std::isfinite(rows[c][f])) throw error(where + ": centre " + std::to_string(c) + " is not finite");
        model.centers(c, f) = rows[c][f];
      }
    }
    model.segment_names = j.at("segment_names").get<std::vector<std::string>>();
    return model;
  } catch (const json::exception& e) {  // a missing field or a value of the wrong type
    throw error(where + ": malformed model (" + std::string(e.what()) + ")");
  }
}

inline void save_model(const std::filesystem::path& path, const Model& model) {
  write_file_atomically(path, to_json(model));
}

inline Model load_model(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw error("cannot read model " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  return model_from_json(text.str(), path.string());
}

}  // namespace segkit::io
