#pragma once
// The workflow layer's exports: a segmentation's centres in the units of its
// features and its profile table, as CSV or JSON, for a spreadsheet, a BI tool or
// another program. Part of segkit::io (it uses nlohmann-json).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"
#include "segkit/core/format.hpp"
#include "segkit/features/prepare.hpp"
#include "segkit/profile/profile.hpp"
#include "segkit/workflow/rfm.hpp"
#include "segkit/workflow/segment.hpp"

namespace segkit::workflow {

/// The formats of an export, chosen by the file's extension.
enum class ExportFormat { csv, json };

/// ".json" is JSON, ".csv" (or "-", standard output) CSV; anything else is refused,
/// naming the option, before any work.
inline ExportFormat export_format(const std::string& path, const std::string& option) {
  const std::string name = features::detail::lower(path);
  if (name.ends_with(".json")) return ExportFormat::json;
  if (name.ends_with(".csv") || path == "-") return ExportFormat::csv;
  throw error(option + " \"" + path + "\": name a .csv or a .json file (the extension chooses the format)");
}

/// The centres of a segmentation in its features' units, with their names.
struct Centers {
  std::vector<std::string> features;
  xt::xtensor<double, 2> values;  ///< k x features
  std::vector<std::string> segment_names;
  std::vector<std::size_t> sizes;
  std::vector<std::size_t> ids;  ///< each segment's id (empty: its row)
};

/// The fitted centres with the scaler undone and, for a feature the preparation
/// log-transformed, log1p undone: the centre as a customer's value (income in money,
/// one-hot columns as the share of the level). `logged` says per feature which.
inline xt::xtensor<double, 2> centers_in_units(const Fit& fit, const std::vector<bool>& logged) {
  xt::xtensor<double, 2> out = fit.scaling.inverse_transform(fit.scaled_centers);
  if (logged.size() != out.shape(1))
    throw error("centers_in_units: " + std::to_string(logged.size()) + " flags for " + std::to_string(out.shape(1)) +
                " features");
  for (std::size_t c = 0; c < out.shape(0); ++c)
    for (std::size_t j = 0; j < out.shape(1); ++j)
      if (logged[j]) out(c, j) = std::expm1(out(c, j));
  return out;
}

inline Centers centers_of(const Fit& fit, const std::vector<std::string>& features, const std::vector<bool>& logged,
                          const Profiles& profiles) {
  Centers out;
  out.features = features;
  out.values = centers_in_units(fit, logged);
  for (const auto& s : profiles.segments)
    out.segment_names.push_back(s.name), out.sizes.push_back(s.size), out.ids.push_back(s.id);
  return out;
}

/// A segmentation's centres, in the units of its prepared features.
inline Centers centers_of(const Segmentation& s) {
  return centers_of(s.fit, s.preparation.feature_names(), features::logged_features(s.preparation), s.profiles);
}

/// An RFM segmentation's centres in days, purchases and money (k-means ran on log1p of each).
inline Centers centers_of(const RfmSegmentation& s) {
  return centers_of(s.fit, s.original_names, std::vector<bool>(s.original_names.size(), true), s.profiles);
}

namespace detail {

/// A number in full: what was computed, not what a table shows.
inline std::string exact(double value) { return format_number(value, 17); }

inline nlohmann::json number_or_null(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

}  // namespace detail

/// segment,name,customers and one column per feature; one row per segment.
inline std::string centers_csv(const Centers& c) {
  std::string out = "segment,name,customers";
  for (const auto& f : c.features) out.append(",").append(csv_field(f));
  out += "\n";
  for (std::size_t k = 0; k < c.values.shape(0); ++k) {
    out += std::to_string(k < c.ids.size() ? c.ids[k] : k) + "," +
           csv_field(k < c.segment_names.size() ? c.segment_names[k] : "") + "," +
           (k < c.sizes.size() ? std::to_string(c.sizes[k]) : "");
    for (std::size_t j = 0; j < c.values.shape(1); ++j) out.append(",").append(detail::exact(c.values(k, j)));
    out += "\n";
  }
  return out;
}

/// [{"segment": 0, "name": ..., "customers": ..., "center": {feature: value, ...}}, ...]
inline std::string centers_json(const Centers& c) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (std::size_t k = 0; k < c.values.shape(0); ++k) {
    nlohmann::ordered_json segment;
    segment["segment"] = k < c.ids.size() ? c.ids[k] : k;
    segment["name"] = k < c.segment_names.size() ? c.segment_names[k] : "";
    if (k < c.sizes.size()) segment["customers"] = c.sizes[k];
    nlohmann::ordered_json center = nlohmann::ordered_json::object();
    for (std::size_t j = 0; j < c.values.shape(1); ++j) center[c.features[j]] = detail::number_or_null(c.values(k, j));
    segment["center"] = std::move(center);
    out.push_back(std::move(segment));
  }
  return out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

/// The profile table: segment, name, customers, share, then each feature's mean and
/// median and each category's share, one row per segment, numbers in full.
inline std::string profiles_csv(const Profiles& p) {
  std::string out = "segment,name,customers,share";
  for (const auto& f : p.features) out.append(",").append(csv_field(f + " (mean)"));
  for (const auto& f : p.features) out.append(",").append(csv_field(f + " (median)"));
  for (std::size_t g = 0; g < p.categorical.size(); ++g)
    for (const auto& share : p.categories[g])
      out.append(",").append(csv_field(p.categorical[g] + " = " + share.category));
  out += "\n";
  for (std::size_t c = 0; c < p.segments.size(); ++c) {
    const auto& s = p.segments[c];
    out += std::to_string(s.id) + "," + csv_field(s.name) + "," + std::to_string(s.size) + "," + detail::exact(s.share);
    for (const double v : s.mean) out.append(",").append(detail::exact(v));
    for (const double v : s.median) out.append(",").append(detail::exact(v));
    for (const auto& column : s.categories)
      for (const auto& share : column) out.append(",").append(detail::exact(share.share));
    out += "\n";
  }
  return out;
}

/// [{"segment", "name", "customers", "share", "mean": {feature: value}, "median": {...},
///   "z": {...}, "categories": {column: {level: share}}}, ...]
inline std::string profiles_json(const Profiles& p) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (std::size_t c = 0; c < p.segments.size(); ++c) {
    const auto& s = p.segments[c];
    nlohmann::ordered_json segment;
    segment["segment"] = s.id;
    segment["name"] = s.name;
    segment["customers"] = s.size;
    segment["share"] = s.share;
    for (const auto& [key, values] :
         {std::pair{"mean", &s.mean}, std::pair{"median", &s.median}, std::pair{"z", &s.z}}) {
      nlohmann::ordered_json by_feature = nlohmann::ordered_json::object();
      for (std::size_t j = 0; j < p.features.size(); ++j)
        by_feature[p.features[j]] = detail::number_or_null((*values)[j]);
      segment[key] = std::move(by_feature);
    }
    nlohmann::ordered_json categories = nlohmann::ordered_json::object();
    for (std::size_t g = 0; g < p.categorical.size(); ++g) {
      nlohmann::ordered_json levels = nlohmann::ordered_json::object();
      for (const auto& share : s.categories[g]) levels[share.category] = share.share;
      categories[p.categorical[g]] = std::move(levels);
    }
    segment["categories"] = std::move(categories);
    out.push_back(std::move(segment));
  }
  return out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

/// What a labels file carries beside each customer's id and segment.
struct LabelColumns {
  bool all = false;                  ///< every column of the customer table
  std::vector<std::string> columns;  ///< these columns of the table (names or 1-based numbers)
  bool outliers = false;             ///< a column naming the features beyond their IQR fences
  bool header = true;                ///< the line of column names first (not on the parts after the first)
};

/// A Gaussian mixture's probabilities: one row per segmented customer, its id (or row)
/// and its probability of each segment (columns "segment 0", ..., by segment id).
inline std::string probabilities_csv(const Segmentation& s) {
  if (s.fit.probabilities.size() == 0)
    throw error("segment probabilities come from a Gaussian mixture (algorithm gmm), not from k-means");
  std::string out = s.id_column.empty() ? std::string("row") : csv_field(s.id_column);
  for (std::size_t c = 0; c < s.fit.k; ++c) out += ",segment " + std::to_string(s.fit.id_of(c));
  out += "\n";
  for (std::size_t i = 0; i < s.ids.size(); ++i) {
    out += csv_field(s.ids[i]);
    for (std::size_t c = 0; c < s.fit.k; ++c) out.append(",").append(format_number(s.fit.probabilities(i, c), 6));
    out += "\n";
  }
  return out;
}

/// One row per segmented customer: its id (or row number), the columns asked for, its
/// segment, and, when asked, the features where it is an outlier (";"-separated).
/// Columns need a segmentation made with SegmentOptions::keep_table.
inline std::string labels_csv(const Segmentation& s, const LabelColumns& extra = {}) {
  std::vector<const data::Column*> columns;
  if (extra.all || !extra.columns.empty()) {
    if (s.table.rows() == 0 && !s.ids.empty())
      throw error("a labels file with the customers' columns needs the table: segment with SegmentOptions::keep_table");
    if (extra.all)
      for (const std::string& name : s.table.names()) columns.push_back(&s.table.column(name));
    for (const std::string& name : extra.columns) {
      const data::Column* c = &s.table.column(name);  // an unknown name is an error naming the columns there are
      if (std::find(columns.begin(), columns.end(), c) == columns.end()) columns.push_back(c);
    }
    // The id is the first column already.
    std::erase_if(columns, [&](const data::Column* c) { return !s.id_column.empty() && c->name() == s.id_column; });
  }
  // One row per customer of s.ids (this rank's, when the segmentation is spread over ranks).
  const std::size_t rows = s.ids.size();
  std::vector<std::string> outlier_features(extra.outliers ? rows : 0);
  if (extra.outliers)
    for (const auto& o : s.preparation.outliers(s.original)) {
      std::string& cell = outlier_features[o.row];
      if (!cell.empty()) cell += ';';
      cell += s.original_names[o.feature];
    }
  std::string out;
  if (extra.header) {
    out = s.id_column.empty() ? std::string("row") : csv_field(s.id_column);
    for (const data::Column* c : columns) out.append(",").append(csv_field(c->name()));
    out += ",segment";
    if (extra.outliers) out += ",outliers";
    out += "\n";
  }
  out.reserve(out.size() + rows * (16 + 8 * columns.size()));
  for (std::size_t i = 0; i < rows; ++i) {
    out += csv_field(s.ids[i]);
    for (const data::Column* c : columns) out.append(",").append(csv_field(cell_text(*c, s.rows[i])));
    out.append(",").append(std::to_string(s.fit.id_of(s.fit.labels[i])));
    if (extra.outliers) out.append(",").append(csv_field(outlier_features[i]));
    out += "\n";
  }
  return out;
}

inline std::string centers_text(const Centers& c, ExportFormat format) {
  return format == ExportFormat::json ? centers_json(c) : centers_csv(c);
}

inline std::string profiles_text(const Profiles& p, ExportFormat format) {
  return format == ExportFormat::json ? profiles_json(p) : profiles_csv(p);
}

}  // namespace segkit::workflow
