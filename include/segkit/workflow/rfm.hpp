#pragma once
// The workflow layer for a transaction log: recency, frequency and monetary value
// per customer, the classic RFM segments, and k-means segments of log(1 + R, F, M),
// each described. What `segkit rfm` does, as one call. Part of segkit::io.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"
#include "segkit/data/csv.hpp"
#include "segkit/data/table.hpp"
#include "segkit/profile/profile.hpp"
#include "segkit/rfm/rfm.hpp"
#include "segkit/workflow/segment.hpp"

namespace segkit::workflow {

/// The columns of a transaction log (names or 1-based numbers).
using RfmColumns = rfm::LogColumns;

/// How to read a transaction log so that customer and invoice ids stay names ("00012"
/// stays "00012") and the date column is dates whatever its form (CDNOW's are yyyymmdd numbers).
inline data::CsvOptions rfm_read_options(const RfmColumns& columns, data::CsvOptions options = {}) {
  options.categorical.push_back(columns.customer);
  options.date.push_back(columns.date);
  if (!columns.invoice.empty()) options.categorical.push_back(columns.invoice);
  return options;
}

struct RfmSegmentOptions {
  RfmColumns columns;
  std::optional<std::int64_t> as_of;  ///< the reference day (days since 1970-01-01); default: after the last purchase
  ClusterSettings cluster;
  /// Told the customers' RFM and classic segments as soon as they are known, before the
  /// k-means wait (a tool prints them); may be empty.
  std::function<void(const rfm::Rfm&, const rfm::RfmCuts&, const std::vector<std::string>& rfm_segments)> on_rfm;
  /// A previous fit's segments to keep the ids of (align_fit; io::previous_segments reads
  /// them from a model of a transaction log); RfmSegmentation::drift then says what changed.
  std::optional<PreviousSegments> previous;
  /// The previous segmentation's customers and segment ids, for the flows of the drift;
  /// used with `previous`.
  std::optional<std::pair<std::vector<std::string>, std::vector<std::size_t>>> previous_labels;
  std::string previous_labels_source;  ///< what previous_labels came from, for messages
};

struct RfmSegmentation {
  ClusterSettings settings;  ///< as given (the names of the policies)
  rfm::Rfm rfm;
  rfm::RfmScores scores;                  ///< quintile scores
  rfm::RfmCuts cuts;                      ///< the values where the scores change (scores as a function of value)
  std::vector<std::string> rfm_segments;  ///< each customer's classic RFM segment name
  xt::xtensor<double, 2> features;        ///< log(1 + R, F, M), what k-means saw
  Fit fit;
  xt::xtensor<double, 2> original;  ///< recency (days), frequency, monetary
  std::vector<std::string> original_names;
  Profiles profiles;
  /// What changed since the previous segments, when RfmSegmentOptions::previous was given.
  std::optional<Drift> drift;
};

/// The preparation of an RFM model's features: recency, frequency and monetary, each
/// log1p with a net refund counted as 0 (rfm::log_rfm_matrix), unscaled by it. A model of
/// a transaction log replays it (workflow::model_of), and a refit is aligned through it.
inline features::Preparation rfm_preparation() {
  std::vector<features::Recipe> recipes;
  for (const char* name : {"recency", "frequency", "monetary"}) {
    features::Recipe r;
    r.source = r.name = name;
    r.log = true;
    recipes.push_back(std::move(r));
  }
  features::PrepareOptions prepare;
  prepare.outliers = features::OutlierPolicy::keep;
  return features::Preparation::from_recipes(std::move(recipes), prepare);
}

namespace detail {

/// The days of a date column (read as a forced date column, so yyyymmdd numbers count too).
inline std::vector<std::int64_t> day_numbers(const data::Column& column) {
  for (std::size_t i = 0; i < column.size(); ++i)
    if (column.missing(i))
      throw error("column \"" + column.name() + "\": no date in data row " + std::to_string(i + 1));
  return column.days();
}

inline std::vector<double> numbers_of(const data::Column& column) {
  if (!column.is_numeric())
    throw error("column \"" + column.name() + "\" is " + data::to_string(column.kind()) + ", not numeric");
  return column.numbers();
}

inline std::vector<std::string> texts_of(const data::Column& column) {
  std::vector<std::string> out(column.size());
  for (std::size_t i = 0; i < column.size(); ++i) out[i] = cell_text(column, i);
  return out;
}

}  // namespace detail

/// Recency, frequency and monetary value of each customer of a transaction log read
/// with rfm_read_options; as_of: the reference day, by default the day after the last purchase.
inline rfm::Rfm rfm_of_log(const data::Table& table, const RfmColumns& columns,
                           std::optional<std::int64_t> as_of = {}) {
  if (columns.amount.empty() && (columns.quantity.empty() || columns.price.empty()))
    throw error("RFM needs an amount column, or a quantity and a price column");
  const std::vector<std::string> customers = detail::texts_of(table.column(columns.customer));
  const std::vector<std::int64_t> dates = detail::day_numbers(table.column(columns.date));
  std::vector<double> amounts;
  if (!columns.amount.empty()) {
    amounts = detail::numbers_of(table.column(columns.amount));
  } else {
    const auto quantity = detail::numbers_of(table.column(columns.quantity));
    const auto price = detail::numbers_of(table.column(columns.price));
    amounts.resize(quantity.size());
    for (std::size_t i = 0; i < quantity.size(); ++i) amounts[i] = quantity[i] * price[i];
  }
  for (std::size_t i = 0; i < amounts.size(); ++i)
    if (!std::isfinite(amounts[i])) throw error("no amount in row " + std::to_string(i + 1));
  rfm::RfmOptions rfm_options;
  rfm_options.as_of = as_of;
  return columns.invoice.empty() ? rfm::compute_rfm(customers, dates, amounts, rfm_options)
                                 : rfm::compute_rfm(customers, dates, amounts,
                                                    detail::texts_of(table.column(columns.invoice)), rfm_options);
}

/// The classic segments and k-means segments of log(1 + R, F, M), with a profile of each,
/// of customers whose recency, frequency and monetary value are known: computed from a
/// transaction log (the overload below), or elsewhere, as a database computes them in SQL
/// (examples/postgres). Aligned with options.previous when given.
template <class Scalers = BuiltinScalers, class Distances = BuiltinDistances>
RfmSegmentation segment_rfm(rfm::Rfm rfm_values, const RfmSegmentOptions& options) {
  const std::size_t n = rfm_values.size();
  if (rfm_values.recency.size() != n || rfm_values.frequency.size() != n || rfm_values.monetary.size() != n)
    throw error("RFM of " + std::to_string(n) + " customers with " + std::to_string(rfm_values.recency.size()) +
                " recencies, " + std::to_string(rfm_values.frequency.size()) + " frequencies and " +
                std::to_string(rfm_values.monetary.size()) + " monetary values");
  if (n == 0) throw error("RFM of no customers: nothing to segment");
  if (options.previous_labels && !options.previous)
    throw error(
        "the previous segmentation's labels say where customers went only beside the previous segments "
        "(RfmSegmentOptions::previous)");
  // Said before the fit's wait: previous segments of other features cannot be aligned with.
  std::optional<PreviousCentres> previous_centres;
  if (options.previous) previous_centres = previous_centres_in(rfm_preparation(), *options.previous);
  RfmSegmentation out;
  out.settings = options.cluster;
  out.rfm = std::move(rfm_values);
  out.scores = rfm::score_rfm(out.rfm);
  out.cuts = rfm::rfm_cuts(out.rfm);
  for (const auto s : rfm::rf_segments(out.scores)) out.rfm_segments.emplace_back(rfm::segment_name(s));
  if (options.on_rfm) options.on_rfm(out.rfm, out.cuts, out.rfm_segments);

  out.features = rfm::log_rfm_matrix(out.rfm);
  out.fit = cluster<Scalers, Distances>(out.features, options.cluster, /*consume=*/false);
  if (options.previous) {
    out.drift = align_fit(out.fit, *previous_centres, *options.previous);
    out.fit.warnings = guardrails(out.fit, options.cluster);  // they name segments by id
    if (options.previous_labels) {
      std::vector<std::size_t> now(n);
      for (std::size_t i = 0; i < n; ++i) now[i] = out.fit.id_of(out.fit.labels[i]);
      out.drift->flows = customer_flows(
          options.previous_labels->first, options.previous_labels->second, out.rfm.customers, now,
          options.previous_labels_source.empty() ? "the previous labels" : options.previous_labels_source,
          "the customers");
    }
  }
  out.original = xt::empty<double>({n, std::size_t{3}});
  for (std::size_t i = 0; i < n; ++i) {
    out.original(i, 0) = static_cast<double>(out.rfm.recency[i]);
    out.original(i, 1) = static_cast<double>(out.rfm.frequency[i]);
    out.original(i, 2) = out.rfm.monetary[i];
  }
  out.original_names = {"recency (days)", "frequency", "monetary"};
  out.profiles = profile_segments(
      out.original, out.original_names, out.fit.labels, {CategoricalColumn{"RFM segment", out.rfm_segments}},
      ProfileOptions{.display_names = {"recency", "frequency", "spend"}, .segment_ids = out.fit.segment_ids});
  return out;
}

/// RFM of each customer of a transaction log, its classic segment, and k-means
/// segments of log(1 + R, F, M) with a profile of each.
template <class Scalers = BuiltinScalers, class Distances = BuiltinDistances>
RfmSegmentation segment_rfm(const data::Table& table, const RfmSegmentOptions& options) {
  return segment_rfm<Scalers, Distances>(rfm_of_log(table, options.columns, options.as_of), options);
}

}  // namespace segkit::workflow
