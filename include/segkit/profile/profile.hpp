#pragma once
// Segment profiles in the units the business uses: size and share, mean and
// median of every original feature, category shares, the features that set a
// segment apart, and a short name built from them ("high income · low spending").

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include <xtensor/xexpression.hpp>
#include <xtensor/xtensor.hpp>

#include "segkit/core/comm.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/matrix.hpp"
#include "segkit/core/median.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/labels.hpp"

namespace segkit {

/// A categorical column beside X (for example "Genre"), one value per row.
struct CategoricalColumn {
  std::string name;
  std::vector<std::string> values;
};

struct ProfileOptions {
  /// Short names for the descriptive segment names ("income" for "Annual Income (k$)");
  /// empty = the feature names. One per feature otherwise.
  std::vector<std::string> display_names;
  /// |z| at which a feature reads "high"/"low", and "very high"/"very low". Half a
  /// standard deviation is a difference a reader notices; one and a half is far out.
  double high = 0.5;
  double very_high = 1.5;
  /// Features in a segment's name (fewer when X has fewer); more are added only to
  /// tell apart segments that would otherwise share a name.
  std::size_t name_features = 2;
  std::string separator = " \u00b7 ";  // " · "
  /// The id each segment is shown with (SegmentProfile::id), one per segment, distinct;
  /// empty: its label. A refit aligned with a previous one (workflow::align_fit) keeps ids.
  std::vector<std::size_t> segment_ids{};
  /// Segments the caller names (label -> name), such as DBSCAN's customers in no dense
  /// region: they keep that name, and the others are named from their features apart from them.
  std::map<std::size_t, std::string> names{};
};

struct CategoryShare {
  std::string category;
  std::size_t count = 0;
  double share = 0;  ///< of the segment's customers
};

struct SegmentProfile {
  std::size_t size = 0;
  double share = 0;                  ///< of all customers
  std::vector<double> mean, median;  ///< per feature, original units
  /// Standardised difference per feature: (segment mean - overall mean) / overall
  /// population standard deviation; 0 for a constant feature.
  std::vector<double> z;
  /// Feature indices, most distinctive first (largest |z|; ties to the lower index).
  std::vector<std::size_t> distinctive;
  /// Per categorical column, every category of that column (sorted), with its share here.
  std::vector<std::vector<CategoryShare>> categories;
  std::string name;    ///< unique within one profiling
  std::size_t id = 0;  ///< the id it is shown with (ProfileOptions::segment_ids; else its label)
};

struct Profiles {
  std::vector<std::string> features, display_names, categorical;
  std::size_t rows = 0;
  std::vector<double> mean, median, stddev;            ///< over all customers (stddev: population)
  std::vector<std::vector<CategoryShare>> categories;  ///< over all customers
  std::vector<SegmentProfile> segments;                ///< segment j describes label j
};

/// The most frequent category of categorical column g in a segment (the first in sorted
/// order on a tie): what k-prototypes' mode of the segment is.
inline const CategoryShare& modal_category(const SegmentProfile& segment, std::size_t g) {
  const auto& shares = segment.categories.at(g);
  if (shares.empty()) throw error("a categorical column with no categories");
  return *std::max_element(shares.begin(), shares.end(),
                           [](const CategoryShare& a, const CategoryShare& b) { return a.count < b.count; });
}

/// The word for a standardised difference z with the thresholds of options.
inline std::string level_word(double z, const ProfileOptions& options = {}) {
  if (z >= options.very_high) return "very high";
  if (z >= options.high) return "high";
  if (z <= -options.very_high) return "very low";
  if (z <= -options.high) return "low";
  return "average";
}

namespace detail {

inline std::string profile_name(const SegmentProfile& s, const std::vector<std::string>& display, std::size_t count,
                                const ProfileOptions& options) {
  // The chosen features are written in column order, so that every name in one
  // profiling reads the same way ("income · spending"), whichever is stronger.
  std::vector<std::size_t> chosen(s.distinctive.begin(), s.distinctive.begin() + static_cast<std::ptrdiff_t>(count));
  std::sort(chosen.begin(), chosen.end());
  // "average" says nothing beside a feature that does set the segment apart: it is left
  // out then ("high income", not "high income · average age"), kept when all are average.
  bool any_apart = false;
  for (const std::size_t j : chosen) any_apart = any_apart || level_word(s.z[j], options) != "average";
  std::string name;
  for (const std::size_t j : chosen) {
    const std::string word = level_word(s.z[j], options);
    if (any_apart && word == "average") continue;
    if (!name.empty()) name += options.separator;
    name += word + " " + display[j];
  }
  return name;
}

/// Names every segment uniquely: segments that share a name get one more feature
/// each until they differ; if all features still leave a tie, "(segment j)" is added.
inline void name_segments(std::vector<SegmentProfile>& segments, const std::vector<std::string>& display,
                          const ProfileOptions& options) {
  const std::size_t d = display.size();
  std::vector<std::size_t> count(segments.size(), std::min(std::max<std::size_t>(options.name_features, 1), d));
  const auto named = [&](std::size_t c) { return options.names.count(c) > 0; };
  for (;;) {
    for (std::size_t c = 0; c < segments.size(); ++c)
      segments[c].name = named(c) ? options.names.at(c) : profile_name(segments[c], display, count[c], options);
    std::map<std::string, std::vector<std::size_t>> by_name;
    for (std::size_t c = 0; c < segments.size(); ++c)
      if (!named(c)) by_name[segments[c].name].push_back(c);
    bool grew = false;
    for (const auto& [name, members] : by_name)
      if (members.size() > 1)
        for (const std::size_t c : members)
          if (count[c] < d) ++count[c], grew = true;
    if (!grew) {
      for (const auto& [name, members] : by_name)
        if (members.size() > 1)
          for (const std::size_t c : members) segments[c].name += " (segment " + std::to_string(segments[c].id) + ")";
      return;
    }
  }
}

inline std::vector<CategoryShare> category_shares(const std::vector<std::string>& values,
                                                  const std::vector<std::string>& categories,
                                                  const std::vector<std::size_t>* labels, std::size_t segment) {
  std::vector<CategoryShare> out;
  for (const std::string& c : categories) out.push_back(CategoryShare{c, 0, 0});
  std::size_t total = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (labels && (*labels)[i] != segment) continue;
    const auto it = std::lower_bound(categories.begin(), categories.end(), values[i]);
    ++out[static_cast<std::size_t>(it - categories.begin())].count;
    ++total;
  }
  for (CategoryShare& s : out) s.share = total ? static_cast<double>(s.count) / static_cast<double>(total) : 0.0;
  return out;
}

/// Every segment 0..k-1 holds a customer; the ids, if given, are one per segment and distinct.
inline void check_segments(const std::vector<std::size_t>& size, const ProfileOptions& options) {
  const std::size_t k = size.size();
  for (std::size_t c = 0; c < k; ++c)
    if (size[c] == 0)
      throw error("segment " + std::to_string(c) + " has no customers (the labels run to " + std::to_string(k - 1) +
                  "); profiles need every segment 0..k-1 to hold at least one");
  if (!options.segment_ids.empty()) {
    if (options.segment_ids.size() != k)
      throw error(std::to_string(options.segment_ids.size()) + " segment id(s) for " + std::to_string(k) + " segments");
    std::vector<std::size_t> sorted = options.segment_ids;
    std::sort(sorted.begin(), sorted.end());
    if (const auto twice = std::adjacent_find(sorted.begin(), sorted.end()); twice != sorted.end())
      throw error("segment id " + std::to_string(*twice) + " is given twice");
  }
}

/// The segments' sizes, shares, means, medians, z, most distinctive features, ids and
/// names, from the statistics (segment c's feature j at [c * d + j]) and out's overall ones.
inline void finish_profiles(Profiles& out, const std::vector<std::size_t>& size,
                            const std::vector<double>& segment_means, const std::vector<double>& segment_medians,
                            const ProfileOptions& options) {
  const std::size_t k = size.size(), d = out.mean.size(), n = out.rows;
  for (std::size_t c = 0; c < k; ++c) {
    SegmentProfile& s = out.segments[c];
    s.size = size[c];
    s.share = static_cast<double>(size[c]) / static_cast<double>(n);
    s.mean.resize(d), s.median.resize(d), s.z.resize(d);
    for (std::size_t j = 0; j < d; ++j) {
      s.mean[j] = segment_means[c * d + j];
      s.median[j] = segment_medians[c * d + j];
      // A constant feature cannot set any segment apart; 0, never NaN (as the scalers do).
      s.z[j] = out.stddev[j] > 0 ? (s.mean[j] - out.mean[j]) / out.stddev[j] : 0.0;
    }
    s.distinctive.resize(d);
    for (std::size_t j = 0; j < d; ++j) s.distinctive[j] = j;
    std::stable_sort(s.distinctive.begin(), s.distinctive.end(),
                     [&s](std::size_t a, std::size_t b) { return std::abs(s.z[a]) > std::abs(s.z[b]); });
  }
  for (std::size_t c = 0; c < k; ++c) out.segments[c].id = options.segment_ids.empty() ? c : options.segment_ids[c];
  name_segments(out.segments, out.display_names, options);
}

}  // namespace detail

/// Profiles of the segments of X (n x d, original units: before scaling and encoding)
/// given by labels (one per row, 0..k-1, every segment with at least one customer; k is
/// the largest label + 1). feature_names: one per column of X. categorical: columns
/// beside X, one value per row. Throws segkit::error on mismatched sizes, NaN or
/// infinity in X, an empty X, or a segment without customers.
template <class E, class L>
Profiles profile_segments(const xt::xexpression<E>& X, const std::vector<std::string>& feature_names, const L& labels,
                          const std::vector<CategoricalColumn>& categorical = {}, const ProfileOptions& options = {}) {
  const detail::MatrixArg<double> X_arg(X, "X");
  const xt::xtensor<double, 2>& data = *X_arg;
  detail::check_data(data, "X", 0);
  const std::size_t n = data.shape(0), d = data.shape(1);
  if (feature_names.size() != d)
    throw error("X has " + std::to_string(d) + " feature(s) but " + std::to_string(feature_names.size()) +
                " feature name(s) were given");
  if (!options.display_names.empty() && options.display_names.size() != d)
    throw error("X has " + std::to_string(d) + " feature(s) but " + std::to_string(options.display_names.size()) +
                " display name(s) were given");
  if (!(options.high > 0 && options.very_high >= options.high))
    throw error("profile thresholds must satisfy 0 < high <= very_high");

  const std::vector<std::int64_t> raw = detail::label_values(labels);
  if (raw.size() != n)
    throw error("X has " + std::to_string(n) + " row(s) but " + std::to_string(raw.size()) + " label(s) were given");
  std::vector<std::size_t> label(n);
  std::size_t k = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (raw[i] < 0) throw error("label " + std::to_string(raw[i]) + " at row " + std::to_string(i) + " is negative");
    label[i] = static_cast<std::size_t>(raw[i]);
    k = std::max(k, label[i] + 1);
  }
  for (const CategoricalColumn& column : categorical)
    if (column.values.size() != n)
      throw error("categorical column '" + column.name + "' has " + std::to_string(column.values.size()) +
                  " value(s) but X has " + std::to_string(n) + " row(s)");

  Profiles out;
  out.rows = n;
  out.features = feature_names;
  out.display_names = options.display_names.empty() ? feature_names : options.display_names;
  out.segments.resize(k);
  std::vector<std::size_t> size(k, 0);
  for (const std::size_t c : label) ++size[c];
  detail::check_segments(size, options);

  // Plain sums: deterministic, and double keeps far more digits than a profile shows.
  // Two features per task (neighbours in X's rows, so one pass over X serves both), each
  // copied once into an n-long buffer grouped by segment (row order kept within each):
  // the means, the segment medians and then the overall median all come from it, and
  // no copy of the whole matrix is made.
  std::vector<std::size_t> segment_start(k + 1, 0);
  for (std::size_t c = 0; c < k; ++c) segment_start[c + 1] = segment_start[c] + size[c];
  auto mean_of = [](std::span<const double> v) {
    double s = 0;
    for (const double x : v) s += x;
    return s / static_cast<double>(v.size());
  };
  out.mean.resize(d), out.median.resize(d), out.stddev.resize(d);
  std::vector<double> segment_means(k * d), segment_medians(k * d);
  constexpr std::size_t per_task = 2;
  detail::parallel_for((d + per_task - 1) / per_task, 0, [&](std::size_t task) {
    const std::size_t first = task * per_task, count = std::min(per_task, d - first);
    std::array<std::vector<double>, per_task> grouped;
    std::array<double, per_task> sum{};
    for (std::size_t f = 0; f < count; ++f) grouped[f].resize(n);
    std::vector<std::size_t> fill(segment_start.begin(), segment_start.end() - 1);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t at = fill[label[i]]++;
      for (std::size_t f = 0; f < count; ++f) {
        const double v = data(i, first + f);
        sum[f] += v;
        grouped[f][at] = v;
      }
    }
    for (std::size_t f = 0; f < count; ++f) {
      const std::size_t j = first + f;
      std::vector<double>& values = grouped[f];
      out.mean[j] = sum[f] / static_cast<double>(n);
      double ss = 0;
      for (const double x : values) ss += (x - out.mean[j]) * (x - out.mean[j]);
      out.stddev[j] = std::sqrt(ss / static_cast<double>(n));
      for (std::size_t c = 0; c < k; ++c) {
        const std::span<double> segment(values.data() + segment_start[c], size[c]);
        segment_means[c * d + j] = mean_of(segment);  // before the median reorders them
        segment_medians[c * d + j] = detail::median_in_place(segment);
      }
      out.median[j] = detail::median_in_place(values);
    }
  });

  std::vector<std::vector<std::string>> categories;
  for (const CategoricalColumn& col : categorical) {
    out.categorical.push_back(col.name);
    std::vector<std::string> values = col.values;
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    out.categories.push_back(detail::category_shares(col.values, values, nullptr, 0));
    categories.push_back(std::move(values));
  }

  for (std::size_t c = 0; c < k; ++c)
    for (std::size_t t = 0; t < categorical.size(); ++t)
      out.segments[c].categories.push_back(detail::category_shares(categorical[t].values, categories[t], &label, c));
  detail::finish_profiles(out, size, segment_means, segment_medians, options);
  return out;
}

/// profile_segments of customers spread over the ranks of `comm`: X (n_r x d, original
/// units), labels and the categorical columns are this rank's customers' (a rank may hold
/// none); the labels run 0..k-1 over all the ranks. Sizes, shares, category counts and
/// medians are those of all the customers, exactly (the medians by
/// detail::spread_percentile_points); means and standard deviations are summed rank by
/// rank, so their last digits may differ from one process's. The same on every rank.
/// Collective.
template <Communicator Comm>
Profiles profile_segments_spread(const Comm& comm, const xt::xtensor<double, 2>& X,
                                 const std::vector<std::string>& feature_names, const std::vector<std::size_t>& labels,
                                 const std::vector<CategoricalColumn>& categorical = {},
                                 const ProfileOptions& options = {}) {
  const std::size_t m = X.shape(0), d = feature_names.size();
  std::string problem;
  if (m > 0 && X.shape(1) != d)
    problem =
        "X has " + std::to_string(X.shape(1)) + " feature(s) but " + std::to_string(d) + " feature name(s) were given";
  else if (labels.size() != m)
    problem = "X has " + std::to_string(m) + " row(s) but " + std::to_string(labels.size()) + " label(s) were given";
  else if (!options.display_names.empty() && options.display_names.size() != d)
    problem = std::to_string(options.display_names.size()) + " display name(s) for " + std::to_string(d) + " features";
  for (const CategoricalColumn& column : categorical)
    if (column.values.size() != m)
      problem = "categorical column '" + column.name + "' has " + std::to_string(column.values.size()) +
                " value(s) but X has " + std::to_string(m) + " row(s)";
  if (problem.empty() && !std::all_of(X.begin(), X.end(), [](double v) { return std::isfinite(v); }))
    problem = "X holds NaN or infinity";
  agree(comm, problem);
  if (!(options.high > 0 && options.very_high >= options.high))
    throw error("profile thresholds must satisfy 0 < high <= very_high");

  unsigned long long local_k = 0;
  for (const std::size_t l : labels) local_k = std::max<unsigned long long>(local_k, l + 1);
  const std::size_t k = static_cast<std::size_t>(
      fold_blocks(comm, std::vector<unsigned long long>{local_k}, 1, 0ULL,
                  [](unsigned long long a, unsigned long long b) { return std::max(a, b); })[0]);
  std::vector<unsigned long long> counted(k, 0);
  for (const std::size_t l : labels) ++counted[l];
  counted = sum_counts(comm, std::move(counted));
  const std::vector<std::size_t> size(counted.begin(), counted.end());
  const std::size_t n = std::accumulate(size.begin(), size.end(), std::size_t{0});
  if (n == 0) throw error("X has no rows on any rank");

  Profiles out;
  out.rows = n;
  out.features = feature_names;
  out.display_names = options.display_names.empty() ? feature_names : options.display_names;
  out.segments.resize(k);
  detail::check_segments(size, options);

  // Sums of every feature, overall then per segment, added rank by rank.
  std::vector<double> sums((k + 1) * d, 0.0);
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j < d; ++j) sums[j] += X(i, j), sums[(1 + labels[i]) * d + j] += X(i, j);
  sums = fold_chunks(comm, std::move(sums), (k + 1) * d);
  out.mean.resize(d), out.median.resize(d), out.stddev.resize(d);
  std::vector<double> segment_means(k * d), segment_medians(k * d);
  for (std::size_t j = 0; j < d; ++j) {
    out.mean[j] = sums[j] / static_cast<double>(n);
    for (std::size_t c = 0; c < k; ++c) segment_means[c * d + j] = sums[(1 + c) * d + j] / static_cast<double>(size[c]);
  }
  std::vector<double> squares(d, 0.0);
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j < d; ++j) squares[j] += (X(i, j) - out.mean[j]) * (X(i, j) - out.mean[j]);
  squares = fold_chunks(comm, std::move(squares), d);
  for (std::size_t j = 0; j < d; ++j) out.stddev[j] = std::sqrt(squares[j] / static_cast<double>(n));

  // Medians, overall (columns 0..d-1) and per segment (d + c * d + j), as median_in_place gives them.
  std::vector<std::vector<double>> columns((k + 1) * d);
  std::vector<std::size_t> counts((k + 1) * d);
  for (std::size_t j = 0; j < d; ++j) {
    counts[j] = n;
    for (std::size_t c = 0; c < k; ++c) counts[d + c * d + j] = size[c];
  }
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j < d; ++j) {
      columns[j].push_back(X(i, j));
      columns[d + labels[i] * d + j].push_back(X(i, j));
    }
  const auto points = detail::spread_percentile_points(comm, std::move(columns), counts, {50});
  const auto median = [](const detail::PercentilePoint& p) {
    return p.fraction == 0 ? p.below : p.below + (p.above - p.below) / 2;
  };
  for (std::size_t j = 0; j < d; ++j) {
    out.median[j] = median(points[j][0]);
    for (std::size_t c = 0; c < k; ++c) segment_medians[c * d + j] = median(points[d + c * d + j][0]);
  }

  // Every category of every rank, and its count overall and per segment.
  for (const CategoricalColumn& col : categorical) {
    out.categorical.push_back(col.name);
    std::vector<std::string> mine = col.values;
    std::sort(mine.begin(), mine.end());
    mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
    std::vector<unsigned char> packed;
    for (const std::string& v : mine) pack_text(packed, v);
    std::vector<std::string> levels;
    for (const auto& block : allgather_bytes(comm, packed)) {
      std::vector<std::string> theirs = unpack_texts(block);
      levels.insert(levels.end(), theirs.begin(), theirs.end());
    }
    std::sort(levels.begin(), levels.end());
    levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
    const std::size_t L = levels.size();
    std::vector<unsigned long long> level_counts((k + 1) * L, 0);
    for (std::size_t i = 0; i < m; ++i) {
      const std::size_t at =
          static_cast<std::size_t>(std::lower_bound(levels.begin(), levels.end(), col.values[i]) - levels.begin());
      ++level_counts[at], ++level_counts[(1 + labels[i]) * L + at];
    }
    level_counts = sum_counts(comm, std::move(level_counts));
    const auto shares = [&](std::size_t row, std::size_t total) {
      std::vector<CategoryShare> out_shares;
      for (std::size_t l = 0; l < L; ++l) {
        const std::size_t count = static_cast<std::size_t>(level_counts[row * L + l]);
        out_shares.push_back({levels[l], count, total ? static_cast<double>(count) / static_cast<double>(total) : 0.0});
      }
      return out_shares;
    };
    out.categories.push_back(shares(0, n));
    for (std::size_t c = 0; c < k; ++c) out.segments[c].categories.push_back(shares(1 + c, size[c]));
  }
  detail::finish_profiles(out, size, segment_means, segment_medians, options);
  return out;
}

/// Each feature's share of its variance that lies between the segments (the
/// correlation ratio eta squared): sum over segments of share x z^2, from 0 (every
/// segment has the overall mean) to 1 (each segment is constant). The features that
/// set the segments apart most are those with the largest share.
inline std::vector<double> between_segment_share(const Profiles& profiles) {
  std::vector<double> out(profiles.features.size(), 0.0);
  for (const SegmentProfile& s : profiles.segments)
    for (std::size_t j = 0; j < out.size(); ++j) out[j] += s.share * s.z[j] * s.z[j];
  return out;
}

}  // namespace segkit
