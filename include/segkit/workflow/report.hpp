#pragma once
// The workflow layer's last stage: a segmentation turned into what is shown or
// saved — the profile table as cells, the HTML report's data (charts drawn for a
// sample of customers when there are many), and the model file that predict uses.
// Part of segkit::io.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/core/format.hpp"
#include "segkit/decompose/pca.hpp"
#include "segkit/evaluate/silhouette.hpp"
#include "segkit/io/model.hpp"
#include "segkit/profile/profile.hpp"
#include "segkit/report/html.hpp"
#include "segkit/select/choose_k.hpp"
#include "segkit/workflow/rfm.hpp"
#include "segkit/workflow/segment.hpp"

namespace segkit::workflow {

/// The profile table as text cells: segment, name, customers, share, each feature's
/// mean and median, and each category's share within the segment.
struct ProfileCells {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  ///< one per segment
  std::size_t mean_columns_end = 0;            ///< the columns [0, this) are segment, name, size, share and the means
};

inline ProfileCells profile_cells(const Profiles& profiles) {
  ProfileCells out;
  out.header = {"segment", "name", "customers", "share"};
  for (const std::string& f : profiles.features) out.header.push_back(f + " (mean)");
  out.mean_columns_end = out.header.size();
  for (const std::string& f : profiles.features) out.header.push_back(f + " (median)");
  for (std::size_t g = 0; g < profiles.categorical.size(); ++g)
    for (const auto& share : profiles.categories[g])
      out.header.push_back(profiles.categorical[g] + " = " + share.category);
  for (std::size_t c = 0; c < profiles.segments.size(); ++c) {
    const auto& s = profiles.segments[c];
    std::vector<std::string> row = {std::to_string(s.id), s.name, std::to_string(s.size),
                                    format_number(100 * s.share, 3) + "%"};
    for (const double m : s.mean) row.push_back(format_number(m, 5));
    for (const double m : s.median) row.push_back(format_number(m, 5));
    for (const auto& column : s.categories)
      for (const auto& share : column) row.push_back(format_number(100 * share.share, 3) + "%");
    out.rows.push_back(std::move(row));
  }
  return out;
}

/// The K sweep as the report draws it.
inline report::KScores report_sweep(const Fit& fit) {
  report::KScores out;
  if (fit.sweep.empty()) return out;
  for (const auto& s : fit.sweep) {
    out.k.push_back(static_cast<double>(s.k));
    out.inertia.push_back(s.inertia);
    out.silhouette.push_back(s.silhouette);
    out.davies_bouldin.push_back(s.davies_bouldin);
    out.calinski_harabasz.push_back(s.calinski_harabasz);
  }
  out.chosen_k = static_cast<double>(fit.k);
  out.reason = fit.k_reason;
  return out;
}

/// Customers drawn in the report's charts at most: a million SVG points cannot be
/// rendered (a 1,000,000-row report was 5.4 GB), and a few thousand show the shapes.
inline constexpr std::size_t report_sample_customers = 3000;

/// Rows of each segment drawn: every segment in proportion to its size, at least
/// min(size, 20) of each so that a small one still shows; seeded, ascending.
inline std::vector<std::size_t> report_sample(const std::vector<std::size_t>& labels, std::uint64_t seed) {
  const std::size_t n = labels.size();
  if (n <= report_sample_customers) {
    std::vector<std::size_t> all(n);
    std::iota(all.begin(), all.end(), std::size_t{0});
    return all;
  }
  std::size_t k = 0;
  for (const std::size_t l : labels) k = std::max(k, l + 1);
  std::vector<std::vector<std::size_t>> members(k);
  for (std::size_t i = 0; i < n; ++i) members[labels[i]].push_back(i);
  std::vector<std::size_t> rows;
  for (std::size_t c = 0; c < k; ++c) {
    const std::size_t size = members[c].size();
    const std::size_t share = (size * report_sample_customers + n - 1) / n;
    const std::size_t take = std::min(size, std::max<std::size_t>(share, 20));
    for (const std::size_t at : segkit::detail::sample_rows(size, take, seed + c)) rows.push_back(members[c][at]);
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

/// Features in the report's pair plot at most: 5 x 5 panels still fit a page.
inline constexpr std::size_t pair_plot_features = 5;

/// The features the pair plot shows: those whose variance lies most between the
/// segments (`between`, each feature's between_segment_share), at most
/// pair_plot_features, largest first; a feature no segment differs in is never chosen.
inline std::vector<std::size_t> pair_plot_choice(const std::vector<double>& between) {
  std::vector<std::size_t> order(between.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return between[a] > between[b]; });
  std::vector<std::size_t> out;
  for (const std::size_t j : order)
    if (out.size() < pair_plot_features && between[j] > 0) out.push_back(j);
  return out;
}

/// Rows of the outlier table in the report at most; the count is always given in full.
inline constexpr std::size_t report_outliers_listed = 200;

namespace detail {

/// The report's customer-level parts: PCA projection with the centres, silhouettes,
/// pair plot of the features that set the segments apart, drawn for a sample of
/// customers when there are many (ReportData::customers_total).
inline void customer_charts(report::ReportData& data, const Fit& fit, const xt::xtensor<double, 2>& X,
                            const xt::xtensor<double, 2>& original, const Profiles& profiles, std::uint64_t seed) {
  const std::size_t n = fit.labels.size();
  const std::vector<std::size_t> rows = report_sample(fit.labels, seed);
  const std::size_t m = rows.size();
  if (m < n) {
    data.customers_total = n;
    if (data.ids.size() == n) {
      std::vector<std::string> ids(m);
      for (std::size_t r = 0; r < m; ++r) ids[r] = data.ids[rows[r]];
      data.ids = std::move(ids);
    }
  }
  data.labels.resize(m);
  for (std::size_t r = 0; r < m; ++r) data.labels[r] = fit.labels[rows[r]];
  const xt::xtensor<double, 2> scaled = fit.scaling.transform(X);  // the data as the clusterer saw it
  xt::xtensor<double, 2> scaled_rows = xt::empty<double>({m, scaled.shape(1)});
  for (std::size_t r = 0; r < m; ++r)
    std::copy_n(scaled.data() + rows[r] * scaled.shape(1), scaled.shape(1), scaled_rows.data() + r * scaled.shape(1));
  if (scaled.shape(1) >= 2) {
    PCA pca(2);
    pca.fit(scaled);  // the axes of every customer; the sample is drawn on them
    const auto projected = pca.transform(scaled_rows);
    for (std::size_t r = 0; r < m; ++r) data.pca_x.push_back(projected(r, 0)), data.pca_y.push_back(projected(r, 1));
    data.pca_x_label = "PC 1 (" + format_number(100 * pca.explained_variance_ratio()(0), 3) + "% of variance)";
    data.pca_y_label = "PC 2 (" + format_number(100 * pca.explained_variance_ratio()(1), 3) + "% of variance)";
    if (fit.scaled_centers.shape(0) > 0 && fit.scaled_centers.shape(1) == scaled.shape(1)) {
      const auto centres = pca.transform(fit.scaled_centers);
      for (std::size_t c = 0; c < centres.shape(0); ++c)
        data.centers_x.push_back(centres(c, 0)), data.centers_y.push_back(centres(c, 1));
    }
  }
  std::size_t distinct = 0;
  for (const std::size_t l : data.labels) distinct = std::max(distinct, l + 1);
  std::vector<std::size_t> present(distinct, 0);
  for (const std::size_t l : data.labels) ++present[l];
  // The exact silhouette of the drawn customers (O(m^2)), against the drawn customers only.
  if (distinct >= 2 && std::count(present.begin(), present.end(), std::size_t{0}) == 0) {
    const auto samples = silhouette_samples(scaled_rows, data.labels);
    data.silhouette_samples.assign(samples.begin(), samples.end());
    data.silhouette_sampled = m < n;
  }
  const std::vector<double> between = between_segment_share(profiles);
  const std::vector<std::size_t> chosen = pair_plot_choice(between);
  std::string shares;
  for (const std::size_t j : chosen) {
    data.feature_names.push_back(profiles.features[j]);
    std::vector<double> column(m);
    for (std::size_t r = 0; r < m; ++r) column[r] = original(rows[r], j);
    data.feature_values.push_back(std::move(column));
    shares += (shares.empty() ? "" : ", ") + profiles.features[j] + " " + format_fixed(between[j], 2);
  }
  if (!chosen.empty())
    data.pair_note = "The " + std::to_string(chosen.size()) + " of " + std::to_string(profiles.features.size()) +
                     " features that set the segments apart most: those with the largest share of their variance "
                     "between the segments (" +
                     shares +
                     "; 0: every segment has the same mean, 1: each segment is one value). On the diagonal, each "
                     "segment's histogram of the feature, as a share of the segment's customers.";
}

inline void profile_part(report::ReportData& data, const Profiles& profiles) {
  for (const auto& s : profiles.segments) data.segment_names.push_back(s.name), data.segment_ids.push_back(s.id);
  ProfileCells cells = profile_cells(profiles);
  data.profile_header = std::move(cells.header);
  data.profile_rows = std::move(cells.rows);
  data.heat_features = profiles.features;
  for (const auto& s : profiles.segments) data.heat_z.push_back(s.z);
}

}  // namespace detail

/// A drift (workflow::align_fit) as tables of text cells: what became of each segment,
/// and, when the previous labels were given, where the customers went.
struct DriftCells {
  std::vector<std::string> segments_header;
  std::vector<std::vector<std::string>> segments;  ///< one row per segment now, then one per vanished id
  std::vector<std::string> flows_header;
  /// One row per id before, then "arrived" and "customers now"; columns: one per id now,
  /// "left", "customers before". Empty without flows.
  std::vector<std::vector<std::string>> flows;
};

/// A drift as cells, beside the profiles of the segments it describes (for their sizes).
inline DriftCells drift_cells(const Drift& drift, const Profiles& profiles) {
  std::vector<std::size_t> sizes;  // each segment's customers now, in label order
  for (const auto& segment : profiles.segments) sizes.push_back(segment.size);
  DriftCells out;
  out.segments_header = {"segment", "since the previous segments", "centre moved", "customers"};
  for (std::size_t j = 0; j < drift.ids.size(); ++j)
    out.segments.push_back({std::to_string(drift.ids[j]), drift.persisted[j] ? "kept its id" : "new",
                            drift.persisted[j] ? format_number(drift.moved[j], 3) : std::string("-"),
                            j < sizes.size() ? std::to_string(sizes[j]) : std::string("-")});
  for (const std::size_t id : drift.vanished) out.segments.push_back({std::to_string(id), "vanished", "-", "0"});
  if (!drift.flows) return out;
  const SegmentFlows& f = *drift.flows;
  out.flows_header = {"before \\ now"};
  for (const std::size_t id : f.to_ids) out.flows_header.push_back("segment " + std::to_string(id));
  out.flows_header.push_back("left");
  out.flows_header.push_back("customers before");
  std::vector<std::size_t> now_total(f.to_ids.size(), 0);
  std::size_t left_total = 0, before_total = 0, arrived_total = 0;
  for (std::size_t a = 0; a < f.from_ids.size(); ++a) {
    std::vector<std::string> row = {"segment " + std::to_string(f.from_ids[a])};
    std::size_t total = f.left[a];
    for (std::size_t b = 0; b < f.to_ids.size(); ++b) {
      row.push_back(std::to_string(f.customers(a, b)));
      total += f.customers(a, b);
      now_total[b] += f.customers(a, b);
    }
    row.push_back(std::to_string(f.left[a]));
    row.push_back(std::to_string(total));
    left_total += f.left[a];
    before_total += total;
    out.flows.push_back(std::move(row));
  }
  std::vector<std::string> arrived = {"arrived"}, now = {"customers now"};
  for (std::size_t b = 0; b < f.to_ids.size(); ++b) {
    arrived.push_back(std::to_string(f.arrived[b]));
    arrived_total += f.arrived[b];
    now.push_back(std::to_string(now_total[b] + f.arrived[b]));
  }
  arrived.push_back("");
  arrived.push_back(std::to_string(arrived_total));
  now.push_back(std::to_string(left_total));
  now.push_back(std::to_string(before_total));
  out.flows.push_back(std::move(arrived));
  out.flows.push_back(std::move(now));
  return out;
}

/// A segmentation's drift (Segmentation::drift or RfmSegmentation::drift, which it must have) as cells.
template <class S>
requires requires(const S& s) {
  s.drift;
  s.profiles;
}
DriftCells drift_cells(const S& s) {
  if (!s.drift) throw error("drift_cells: the segmentation was not aligned with previous segments");
  return drift_cells(*s.drift, s.profiles);
}

namespace detail {

/// The report's tables of a drift: what became of each segment, where the customers went.
inline void drift_part(report::ReportData& data, const Drift& drift, const Profiles& profiles) {
  DriftCells cells = drift_cells(drift, profiles);
  report::ReportData::Table segments;
  segments.title = "Since the previous segments";
  segments.note = "Segments aligned with those of " + drift.source +
                  ": each new centre matched to a previous one by the least total distance in this fit's scaled "
                  "space (the Hungarian algorithm), so that a segment that persists keeps its id. \"Centre moved\" "
                  "is that distance, in the scaled units.";
  for (const std::string& note : drift.notes) segments.note += " Note: " + note + ".";
  segments.header = std::move(cells.segments_header);
  segments.rows = std::move(cells.segments);
  data.tables.push_back(std::move(segments));
  if (!cells.flows.empty()) {
    const SegmentFlows& f = *drift.flows;
    report::ReportData::Table flows;
    flows.title = "Where the customers went";
    flows.note = std::to_string(f.total) + " customers are in both segmentations; " + std::to_string(f.stayed) +
                 " of them kept their segment. Rows: the segment before; columns: the segment now. Customers in "
                 "one segmentation only are counted as left or arrived.";
    flows.header = std::move(cells.flows_header);
    flows.rows = std::move(cells.flows);
    data.tables.push_back(std::move(flows));
  }
}

}  // namespace detail

/// Each segment's most frequent category of each categorical column, with its share of the
/// segment: a header ("segment", then each column) and one row per segment.
inline std::pair<std::vector<std::string>, std::vector<std::vector<std::string>>> modal_categories(
    const Profiles& profiles) {
  std::pair<std::vector<std::string>, std::vector<std::vector<std::string>>> out;
  out.first.push_back("segment");
  for (const std::string& column : profiles.categorical) out.first.push_back(column + " (most frequent)");
  for (const SegmentProfile& segment : profiles.segments) {
    std::vector<std::string> row = {std::to_string(segment.id)};
    for (std::size_t g = 0; g < profiles.categorical.size(); ++g) {
      const CategoryShare& mode = modal_category(segment, g);
      row.push_back(mode.category + " (" + format_number(100 * mode.share, 3) + "%)");
    }
    out.second.push_back(std::move(row));
  }
  return out;
}

/// Points of DBSCAN's k-distance curve the report draws at most (one in every n / this).
inline constexpr std::size_t report_k_distance_points = 400;

/// The HTML report's data for a segmentation made with SegmentOptions::keep_features.
inline report::ReportData report_data(const Segmentation& s, const std::string& title) {
  if (s.features.shape(0) != s.customers)
    throw error("the report needs the prepared features: segment with SegmentOptions::keep_features");
  report::ReportData data;
  data.title = title;
  data.summary = std::to_string(s.customers) + " customers, " + std::to_string(s.preparation.feature_names().size()) +
                 " features, scaler " + s.settings.scaler + ", distance " + s.settings.distance + ", seed " +
                 std::to_string(s.settings.seed) + ".";
  data.sweep = report_sweep(s.fit);
  data.ids = s.ids;
  for (const auto& a : s.preparation.fit_actions()) data.preparation.push_back(a.column + ": " + a.what);
  for (const auto& a : s.row_actions)
    data.preparation.push_back(a.column + ": " + a.what + " (" + std::to_string(a.rows) +
                               (a.rows == 1 ? " customer)" : " customers)"));
  const auto outliers = s.preparation.outliers(s.original);
  if (!outliers.empty()) {
    report::ReportData::Table table;
    table.title = "Customers beyond the IQR fences";
    std::size_t customers = 0;
    for (std::size_t t = 0; t < outliers.size(); ++t) customers += t == 0 || outliers[t].row != outliers[t - 1].row;
    table.note = std::to_string(customers) + (customers == 1 ? " customer has" : " customers have") +
                 " a value beyond the IQR fences of a feature (" + std::to_string(outliers.size()) +
                 (outliers.size() == 1 ? " value" : " values") + "), kept as they are unless clipping was asked for" +
                 (outliers.size() > report_outliers_listed
                      ? "; the first " + std::to_string(report_outliers_listed) + " values are listed."
                      : ".");
    table.header = {s.id_column.empty() ? "row" : s.id_column, "segment", "feature", "value"};
    for (std::size_t t = 0; t < std::min(outliers.size(), report_outliers_listed); ++t) {
      const auto& o = outliers[t];
      table.rows.push_back({s.ids[o.row], std::to_string(s.fit.id_of(s.fit.labels[o.row])), s.original_names[o.feature],
                            format_number(s.original(o.row, o.feature))});
    }
    data.tables.push_back(std::move(table));
  }
  detail::profile_part(data, s.profiles);
  if (s.drift) detail::drift_part(data, *s.drift, s.profiles);
  detail::customer_charts(data, s.fit, s.features, s.original, s.profiles, s.settings.seed);
  if (s.fit.tree) {
    const xt::xtensor<double, 2>& Z = s.fit.tree->Z;
    for (std::size_t m = 0; m < Z.shape(0); ++m) data.tree.push_back({Z(m, 0), Z(m, 1), Z(m, 2), Z(m, 3)});
    // The cut between the last merge made and the first one not made.
    const std::size_t made = s.fit.tree->leaves - s.fit.k, rows = Z.shape(0);
    const double below = made > 0 ? Z(made - 1, 2) : 0.0;
    const double above = made < rows ? Z(made, 2) : 1.05 * Z(rows - 1, 2);
    data.tree_cut = (below + above) / 2;
    data.tree_note =
        "The " + std::string(s.settings.algorithm) + " linkage's tree of " +
        (s.fit.tree->leaves == s.customers ? std::to_string(s.customers) + " customers"
                                           : std::to_string(s.fit.tree->leaves) + " micro-segments") +
        ": its last merges, each cluster below them labelled with its size; the dashed line cuts it into " +
        std::to_string(s.fit.k) + " segments. A long way up to the next merge marks a natural cut.";
  }
  if (s.fit.prototypes && !s.profiles.categorical.empty()) {
    report::ReportData::Table table;
    table.title = "The modal categories of each segment";
    table.note =
        "k-prototypes keeps each categorical column as one category: each segment's prototype holds its "
        "most frequent category (shown with its share of the segment's customers) beside the means.";
    std::tie(table.header, table.rows) = modal_categories(s.profiles);
    data.tables.push_back(std::move(table));
  }
  if (const std::vector<TypicalCustomer> typical = typical_customers(s); !typical.empty()) {
    report::ReportData::Table table;
    table.title = "The typical customer of each segment";
    table.note =
        "Each segment's medoid: the customer whose summed distance to the segment's other customers is least "
        "(k-medoids' centre is a real customer), with its values.";
    table.header = {"segment", s.id_column.empty() ? "row" : s.id_column};
    table.header.insert(table.header.end(), s.original_names.begin(), s.original_names.end());
    for (const TypicalCustomer& t : typical) {
      std::vector<std::string> row = {std::to_string(t.segment), t.customer};
      for (const double v : t.values) row.push_back(format_number(v));
      table.rows.push_back(std::move(row));
    }
    data.tables.push_back(std::move(table));
  }
  if (s.fit.eps_choice && s.fit.density) {
    // At most report_k_distance_points points of the curve, and the one where eps cuts it.
    const std::vector<double>& curve = s.fit.eps_choice->distances;
    const double eps = s.fit.density->eps;
    const std::size_t n = curve.size();
    const auto cut = static_cast<std::size_t>(std::lower_bound(curve.begin(), curve.end(), eps) - curve.begin());
    const std::size_t step = std::max<std::size_t>(1, n / report_k_distance_points);
    for (std::size_t i = 0; i < n; ++i)
      if (i % step == 0 || i + 1 == n || i == cut)
        data.k_distance_rank.push_back(static_cast<double>(i + 1)), data.k_distance.push_back(curve[i]);
    const auto beyond = static_cast<std::size_t>(curve.end() - std::upper_bound(curve.begin(), curve.end(), eps));
    if (cut < n) data.k_distance_eps_rank = static_cast<double>(cut + 1);
    const std::size_t k = s.fit.density->min_samples;
    data.k_distance_label = "distance to the " + ordinal(k) + " nearest";
    data.k_distance_note =
        "Each customer's distance to its " + ordinal(k) +
        " nearest customer (itself the first), in the scaled space, sorted: a customer is a core one of a dense "
        "region when this is at most eps (" +
        format_number(eps) + ", where the dashed line crosses the curve; the " + std::to_string(beyond) +
        " customers to its right are not core ones). Inside dense regions the curve is flat; eps belongs where it "
        "turns steep" +
        (s.settings.eps ? std::string(" (eps was given)") : std::string(", where Kneedle put it")) + ".";
  }
  return data;
}

/// The HTML report's data for an RFM segmentation.
inline report::ReportData report_data(const RfmSegmentation& s, const std::string& title) {
  report::ReportData data;
  data.title = title;
  data.summary = std::to_string(s.rfm.size()) + " customers as of " + format_date(s.rfm.report.as_of) +
                 "; k-means on log(1 + recency, frequency, monetary).";
  data.sweep = report_sweep(s.fit);
  data.ids = s.rfm.customers;
  detail::profile_part(data, s.profiles);
  if (s.drift) detail::drift_part(data, *s.drift, s.profiles);
  detail::customer_charts(data, s.fit, s.features, s.original, s.profiles, s.settings.seed);

  // The named RFM segments beside the k-means ones: how many customers, and what they are worth.
  struct Named {
    std::size_t customers = 0;
    double recency = 0, frequency = 0, monetary = 0;
  };
  std::map<std::string, Named> named;
  double value = 0;
  for (std::size_t i = 0; i < s.rfm.size(); ++i) {
    Named& g = named[s.rfm_segments[i]];
    ++g.customers;
    g.recency += static_cast<double>(s.rfm.recency[i]);
    g.frequency += static_cast<double>(s.rfm.frequency[i]);
    g.monetary += s.rfm.monetary[i];
    value += s.rfm.monetary[i];
  }
  report::ReportData::Table table;
  table.title = "RFM segments";
  table.note =
      "The classic segments of the R and F quintile scores (equal values score alike), with their customers' "
      "mean recency, frequency and monetary value and their share of all the money spent.";
  table.header = {"RFM segment",      "customers",       "share",         "recency (days, mean)",
                  "frequency (mean)", "monetary (mean)", "share of value"};
  for (const auto& [name, g] : named) {
    const double c = static_cast<double>(g.customers);
    table.rows.push_back(
        {name, std::to_string(g.customers), format_number(100 * c / static_cast<double>(s.rfm.size()), 3) + "%",
         format_number(g.recency / c, 4), format_number(g.frequency / c, 4), format_number(g.monetary / c, 5),
         value != 0 ? format_number(100 * g.monetary / value, 3) + "%" : std::string("-")});
  }
  data.tables.push_back(std::move(table));
  return data;
}

/// The model file's content for a segmentation: what `segkit predict` and io::load_model read.
inline io::Model model_of(const Segmentation& s) {
  io::Model model;
  model.preparation = s.preparation;
  model.scaler = s.fit.scaling;
  model.distance = s.settings.distance;
  model.centers = s.fit.scaled_centers;
  for (const auto& segment : s.profiles.segments)
    model.segment_names.push_back(segment.name), model.counts.push_back(static_cast<double>(segment.size));
  model.segment_ids = s.fit.segment_ids;
  model.next_segment_id = s.fit.next_segment_id;
  model.id_column = s.id_column;
  model.mixture = s.fit.mixture;
  model.algorithm = s.settings.algorithm;
  model.density = s.fit.density;
  model.prototypes = s.fit.prototypes;
  model.gower = s.fit.gower;
  model.unassigned = s.fit.unassigned;
  return model;
}

/// The model file's content for an RFM segmentation: the log's columns and the score
/// cut points beside the k-means model of log(1 + R, F, M), so that `segkit predict`
/// (predict_rfm) replays both on another transaction log.
inline io::Model model_of(const RfmSegmentation& s, const RfmColumns& columns) {
  io::Model model;
  model.preparation = rfm_preparation();
  model.scaler = s.fit.scaling;
  model.distance = s.settings.distance;
  model.centers = s.fit.scaled_centers;
  for (const auto& segment : s.profiles.segments)
    model.segment_names.push_back(segment.name), model.counts.push_back(static_cast<double>(segment.size));
  model.segment_ids = s.fit.segment_ids;
  model.next_segment_id = s.fit.next_segment_id;
  model.id_column = "customer";
  model.rfm = io::RfmPart{columns, s.cuts};
  return model;
}

/// A transaction log put into a saved RFM model's segments: each customer's RFM, its
/// scores from the model's cut points, its classic segment and its k-means segment.
struct RfmAssignment {
  rfm::Rfm rfm;
  rfm::RfmScores scores;
  std::vector<std::string> rfm_segments;
  std::vector<std::size_t> labels;
};

inline RfmAssignment predict_rfm(const io::Model& model, const data::Table& log,
                                 std::optional<std::int64_t> as_of = {}) {
  if (!model.rfm) throw error("the model is not a model of a transaction log (segkit rfm --model makes one)");
  RfmAssignment out;
  out.rfm = rfm_of_log(log, model.rfm->columns, as_of);
  out.scores = rfm::score_rfm(out.rfm, model.rfm->cuts);
  for (const auto s : rfm::rf_segments(out.scores)) out.rfm_segments.emplace_back(rfm::segment_name(s));
  const std::size_t n = out.rfm.size();
  std::vector<double> recency(n), frequency(n);
  for (std::size_t i = 0; i < n; ++i)
    recency[i] = static_cast<double>(out.rfm.recency[i]), frequency[i] = static_cast<double>(out.rfm.frequency[i]);
  data::Table table;
  table.add(data::Column::numeric("recency", std::move(recency)))
      .add(data::Column::numeric("frequency", std::move(frequency)))
      .add(data::Column::numeric("monetary", out.rfm.monetary));
  const io::Assignment assignment = model.predict(table);
  if (assignment.rows.size() != n) throw error("predict_rfm: a customer could not be assigned");
  out.labels = assignment.labels;
  return out;
}

/// One row per customer: id, recency, frequency, monetary, the three scores, the classic
/// RFM segment and the k-means segment (what segkit rfm --out and predict write).
inline std::string rfm_csv(const rfm::Rfm& r, const rfm::RfmScores& scores,
                           const std::vector<std::string>& rfm_segments, const std::vector<std::size_t>& labels) {
  std::string csv = "customer,recency,frequency,monetary,r_score,f_score,m_score,rfm_segment,segment\n";
  for (std::size_t i = 0; i < r.size(); ++i)
    csv.append(csv_field(r.customers[i]))
        .append(",")
        .append(std::to_string(r.recency[i]))
        .append(",")
        .append(std::to_string(r.frequency[i]))
        .append(",")
        .append(format_number(r.monetary[i], 12))
        .append(",")
        .append(std::to_string(scores.r[i]))
        .append(",")
        .append(std::to_string(scores.f[i]))
        .append(",")
        .append(std::to_string(scores.m[i]))
        .append(",")
        .append(csv_field(rfm_segments[i]))
        .append(",")
        .append(std::to_string(labels[i]))
        .append("\n");
  return csv;
}

}  // namespace segkit::workflow
