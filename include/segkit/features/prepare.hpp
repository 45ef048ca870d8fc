#pragma once
// From a customer Table to the matrix a Pipeline clusters: choose columns,
// impute, derive age and tenure, treat outliers, log-transform skewed money,
// one-hot encode categories. `Preparation::fit` decides every step from the
// training table and records it, so `transform` applies exactly the same steps
// to new customers at predict time, and says what it touched.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/core/comm.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/format.hpp"
#include "segkit/core/median.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/data/number.hpp"
#include "segkit/data/table.hpp"

namespace segkit::features {

enum class MissingPolicy {
  impute,     ///< numeric: the median; categorical: the most frequent level
  drop_rows,  ///< leave out every customer with a missing value in a chosen column
};

enum class OutlierPolicy {
  keep,  ///< leave values alone
  flag,  ///< count and report values beyond the IQR fences, keep them
  clip,  ///< move values beyond the IQR fences onto the fence
};

struct PrepareOptions {
  std::vector<std::string> columns{};  ///< header names or 1-based numbers; empty = every usable column
  std::vector<std::string> exclude{};  ///< never used as features (an id column, a target)
  /// A column already known to name the customers (find_id_column's answer): left out
  /// as an identifier, as fit would find, without checking its values a second time.
  std::optional<std::string> known_identifier{};
  MissingPolicy missing = MissingPolicy::impute;
  /// Flagged and kept unless asked: a value far from the quartiles may be a real customer
  /// (a big spender, a small group of its own), which clipping would silently move.
  OutlierPolicy outliers = OutlierPolicy::flag;
  /// Tukey's fences at Q1 - f IQR and Q3 + f IQR. The default 3 ("far out") leaves
  /// the long but genuine tail of spending alone and catches entry errors such
  /// as an income of 666666 or a birth year of 1893.
  double iqr_factor = 3.0;
  bool log_skewed = false;                       ///< log1p of non-negative numeric columns with skewness above 1
  std::size_t max_levels = 20;                   ///< a text column with more levels is an identifier or free text
  bool derive_age = true;                        ///< a birth-year column becomes age at the reference date
  bool derive_tenure = true;                     ///< a date column becomes days until the reference date
  std::optional<std::int64_t> reference_date{};  ///< days since 1970-01-01; default: the latest date in the table
  std::size_t threads = 0;  ///< columns prepared side by side; 0 = all cores. The result is the same for any number.
};

/// One thing a step did, for the report: "Income: 24 missing values imputed with the median 51381.5".
struct Action {
  std::string column;
  std::string what;
  std::size_t rows = 0;  ///< how many customers it touched
};

/// The matrix for the Pipeline, and what it was made from.
struct Prepared {
  xt::xtensor<double, 2> X;         ///< customers x features, encoded, ready for the Pipeline's scaler
  std::vector<std::size_t> rows;    ///< the table row of each row of X (rows may have been dropped)
  xt::xtensor<double, 2> original;  ///< numeric features in business units (imputed, derived; not clipped,
                                    ///< logged or encoded): what profiles describe
  std::vector<std::string> original_names;
  std::vector<Action> actions;  ///< what this transform touched
};

/// How one table column turns into one or more features.
struct Recipe {
  enum class Kind { numeric, age, tenure, one_hot };
  Kind kind = Kind::numeric;
  std::string source;                                      ///< column name in the table
  std::string name;                                        ///< feature name (for one-hot: the prefix)
  double fill = std::numeric_limits<double>::quiet_NaN();  ///< imputed value, in the feature's units
  std::string fill_level;                                  ///< imputed category
  double low = -std::numeric_limits<double>::infinity(), high = std::numeric_limits<double>::infinity();
  bool log = false;
  double reference = 0;             ///< age: the reference year; tenure: the reference day
  std::vector<std::string> levels;  ///< one-hot levels, sorted
};

namespace detail {

inline std::string lower(std::string text) {
  for (char& ch : text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return text;
}

inline bool looks_like_birth_year(const std::string& name) {
  const std::string n = lower(name);
  return n.find("birth") != std::string::npos || n == "yob";
}

/// A number in the grammar of the CSV reader (data/number.hpp): "inf", "nan" and hex are not.
inline bool is_number(const std::string& text) { return data::detail::parse_number(text).has_value(); }

/// Clears keep[i] where missing[i] (--missing drop); returns how many rows that newly left out.
inline std::size_t leave_out_missing(std::vector<bool>& keep, const std::vector<bool>& missing) {
  std::size_t dropped = 0;
  for (std::size_t i = 0; i < keep.size(); ++i)
    if (missing[i] && keep[i]) keep[i] = false, ++dropped;
  return dropped;
}

inline std::vector<double> present(const std::vector<double>& values) {
  std::vector<double> out;
  for (const double v : values)
    if (std::isfinite(v)) out.push_back(v);
  return out;
}

}  // namespace detail

/// "ID", "customer_id", "Customer ID", "CustomerID", "CUST_ID": a number that names a customer.
inline bool looks_like_id(const std::string& name) {
  const std::string n = detail::lower(name);
  return n == "id" || n.ends_with("_id") || n.ends_with(" id") || name.ends_with("ID");
}

/// A column that names customers rather than describing them: text with every
/// value distinct, or numbers with every value distinct under an id-like header.
/// Whether `numbers` of a column's `present` cells make it a column of numbers: nine in
/// ten, or all but one of at least three (a small table's one stray word).
inline bool mostly_numbers(std::size_t numbers, std::size_t present) {
  return numbers * 10 >= present * 9 || (numbers >= 2 && numbers + 1 == present);
}

/// A text column of numbers with a few cells that are not ("inf", "abc", "12,345"):
/// Preparation refuses it, naming the first bad cell, rather than take it as an
/// identifier or a category.
inline std::vector<unsigned long long> number_cell_counts(const data::Column& c) {
  std::vector<unsigned long long> numbers_grouped_present(3, 0);
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (c.missing(i)) continue;
    ++numbers_grouped_present[2];
    if (data::detail::parse_number(c.texts()[i]))
      ++numbers_grouped_present[0];
    else
      numbers_grouped_present[1] += data::detail::looks_like_grouped_or_comma_number(c.texts()[i]);
  }
  return numbers_grouped_present;
}

/// numbers_with_bad_cells of the cells of every rank (collective).
template <Communicator Comm>
bool numbers_with_bad_cells(const data::Column& c, const Comm& comm) {
  if (!c.is_categorical()) return false;
  const std::vector<unsigned long long> counts = sum_counts(comm, number_cell_counts(c));
  return counts[0] < counts[2] && mostly_numbers(counts[0] + counts[1], counts[2]);
}

inline bool numbers_with_bad_cells(const data::Column& c) { return numbers_with_bad_cells(c, SerialComm{}); }

/// Whether every present text is a non-negative integer in canonical decimal (no sign,
/// no leading zero) and each is larger than the one before. Stops at the first that is not.
inline bool increasing_integers(const std::vector<std::string>& texts, const std::vector<bool>& missing) {
  std::uint64_t previous = 0;
  bool first = true;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (missing[i]) continue;
    const std::string& t = texts[i];
    if (t.empty() || t.size() > 18 || (t.size() > 1 && t[0] == '0')) return false;
    std::uint64_t value = 0;
    for (const char ch : t) {
      if (ch < '0' || ch > '9') return false;
      value = value * 10 + static_cast<std::uint64_t>(ch - '0');
    }
    if (!first && value <= previous) return false;
    previous = value, first = false;
  }
  return true;
}

inline bool is_identifier(const data::Column& c) {
  if (c.is_date()) return false;
  if (c.is_numeric() && !looks_like_id(c.name())) return false;
  if (c.is_categorical() && !looks_like_id(c.name()) && numbers_with_bad_cells(c)) return false;
  if (c.is_categorical()) {
    const auto& texts = c.texts();
    const std::vector<bool>& missing = c.missing_mask();
    // Ids usually count up: texts that are integers written the one way ("7", not "007")
    // in increasing order are distinct without a table.
    if (increasing_integers(texts, missing)) return c.size() > 1;
    // An open-addressing table of row numbers, no allocation per value (a node-based
    // set of a million ids costs a million allocations, ~0.15 s).
    std::size_t slots = 16;
    while (slots < 2 * c.size()) slots *= 2;
    std::vector<std::size_t> row_plus_one(slots, 0), hash_of(slots);
    const std::hash<std::string_view> hasher;
    for (std::size_t i = 0; i < c.size(); ++i) {
      if (missing[i]) continue;
      const std::size_t h = hasher(texts[i]);
      for (std::size_t at = h & (slots - 1);; at = (at + 1) & (slots - 1)) {
        if (row_plus_one[at] == 0) {
          row_plus_one[at] = i + 1, hash_of[at] = h;
          break;
        }
        if (hash_of[at] == h && texts[row_plus_one[at] - 1] == texts[i]) return false;
      }
    }
    return c.size() > 1;
  }
  std::vector<double> present;
  present.reserve(c.size());
  for (const double v : c.numbers())
    if (std::isfinite(v)) present.push_back(v);
  // Ids usually come in increasing order; otherwise sort a copy and look for neighbours.
  if (std::adjacent_find(present.begin(), present.end(), [](double a, double b) { return !(a < b); }) !=
      present.end()) {
    std::sort(present.begin(), present.end());
    if (std::adjacent_find(present.begin(), present.end()) != present.end()) return false;
  }
  return c.size() > 1;
}

/// is_identifier of a column whose rows are spread over the ranks of `comm` (every rank
/// holding the same columns, of the same kinds): every present value distinct over all
/// the ranks (collective).
template <Communicator Comm>
bool is_identifier(const data::Column& c, const Comm& comm) {
  if (comm.size() == 1) return is_identifier(c);
  if (c.is_date()) return false;
  if (c.is_numeric() && !looks_like_id(c.name())) return false;
  if (c.is_categorical() && !looks_like_id(c.name()) && numbers_with_bad_cells(c, comm)) return false;
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (c.is_categorical()) {
      if (!c.missing(i)) keys.push_back(c.texts()[i]);
    } else if (const double v = c.numbers()[i]; std::isfinite(v)) {
      const double same = v == 0 ? 0.0 : v;  // -0 and 0 are one value
      keys.emplace_back(reinterpret_cast<const char*>(&same), sizeof same);
    }
  }
  const std::size_t present = comm.sum(keys.size());
  return distinct_count(comm, keys) == present && comm.sum(c.size()) > 1;
}

/// The first identifier column of a table, if it has one; with `comm`, of the table
/// whose rows are spread over its ranks (collective).
template <Communicator Comm = SerialComm>
std::optional<std::string> find_id_column(const data::Table& table, const Comm& comm = {}) {
  for (const data::Column& c : table)
    if (is_identifier(c, comm)) return c.name();
  return std::nullopt;
}

class Preparation {
 public:
  /// Decides every step from `table` (the training customers).
  static Preparation fit(const data::Table& table, const PrepareOptions& options = {}) {
    return fit(table, options, SerialComm{});
  }

  /// Decides every step from the customers of `table` on every rank of `comm` (each rank
  /// holding its own rows, in rank order, with the same columns of the same kinds): the
  /// levels, medians, quartiles, identifiers and reference date of all of them, as fit
  /// finds them on the whole table (the skewness that decides a log is summed rank by
  /// rank, so its last digits may differ). The same Preparation on every rank. Collective.
  template <Communicator Comm>
  static Preparation fit(const data::Table& table, const PrepareOptions& options, const Comm& comm) {
    const RowLayout layout = gather_layout(comm, table.rows());
    if (layout.n_global == 0) throw error("the table has no rows");
    Preparation p;
    p.options_ = options;
    std::set<std::string> excluded;
    for (const std::string& key : options.exclude) excluded.insert(table.column(key).name());
    const std::optional<std::string> known_id =
        options.known_identifier ? std::optional<std::string>(table.column(*options.known_identifier).name())
                                 : std::nullopt;

    std::vector<const data::Column*> chosen;
    if (!options.columns.empty()) {
      for (const std::string& key : options.columns) {
        const data::Column& c = table.column(key);  // throws, listing the columns, on an unknown name
        if (excluded.count(c.name())) throw error("column \"" + c.name() + "\" is both chosen and excluded");
        // Twice would weigh it twice in every distance.
        if (std::find(chosen.begin(), chosen.end(), &c) != chosen.end())
          throw error("column \"" + c.name() + "\" is chosen twice (as \"" + key + "\" and before)");
        chosen.push_back(&c);
      }
    } else {
      for (const data::Column& c : table) {
        if (excluded.count(c.name())) continue;
        if (c.name() == known_id || is_identifier(c, comm)) {
          p.fit_actions_.push_back({c.name(), "left out: an identifier (every value distinct)", 0});
          continue;
        }
        chosen.push_back(&c);
      }
    }
    // None when no date says when the data was taken: no age is derived then.
    const std::optional<std::int64_t> reference_day =
        options.reference_date ? options.reference_date : latest_date(table, comm);
    // Each column on its own thread; the recipes and messages are kept in column order,
    // and so is the error reported if several columns have one.
    std::vector<Planned> planned(chosen.size());
    std::vector<std::exception_ptr> failed(chosen.size());
    const auto plan_all = [&](const std::vector<bool>* kept) {
      // Spread over ranks, the columns go one after the other: each plan is collective.
      segkit::detail::parallel_for(chosen.size(), comm.size() > 1 ? 1 : options.threads, [&](std::size_t j) {
        try {
          planned[j] = p.plan(*chosen[j], reference_day, kept, comm, layout);
        } catch (...) {
          failed[j] = std::current_exception();
        }
      });
      for (std::size_t j = 0; j < chosen.size(); ++j)
        if (failed[j]) std::rethrow_exception(failed[j]);
    };
    plan_all(nullptr);
    if (options.missing == MissingPolicy::drop_rows) {
      // The medians, quartiles and skewness of the customers that will be clustered: those
      // with a value in every column used (the skewness of every customer chose the log
      // before; the others are left out by transform).
      std::vector<bool> kept(table.rows(), true);
      bool dropped = false;
      for (std::size_t j = 0; j < chosen.size(); ++j) {
        if (!planned[j].recipe) continue;
        dropped = detail::leave_out_missing(kept, chosen[j]->missing_mask()) > 0 || dropped;
      }
      const bool any_kept = std::find(kept.begin(), kept.end(), true) != kept.end();
      if (!comm.all(!dropped) && !comm.all(!any_kept)) plan_all(&kept);
    }
    for (std::size_t j = 0; j < chosen.size(); ++j) {
      // A column the user chose is used or refused, never left out in silence.
      if (!options.columns.empty() && !planned[j].recipe) {
        const std::string why = planned[j].actions.empty() ? std::string("left out") : planned[j].actions.front().what;
        throw error("column \"" + chosen[j]->name() + "\" was chosen as a feature but cannot be used (" + why +
                    "); leave it out of the chosen columns");
      }
      for (Action& a : planned[j].actions) p.fit_actions_.push_back(std::move(a));
      if (planned[j].recipe) p.add(std::move(*planned[j].recipe));
    }
    if (p.recipes_.empty()) throw error("no usable feature columns: " + table.describe_columns());
    return p;
  }

  /// Whether transform also writes Prepared::original.
  enum class Originals { included, left_out };

  /// The features of every customer in `table`, prepared as at fit. With
  /// Originals::left_out, Prepared::original stays empty (original_names are given):
  /// a caller that keeps the table can build it later with original(), and never hold
  /// the table and two n x d matrices at once.
  ///
  /// With `comm`, the rows of `table` are this rank's of customers spread over the ranks
  /// (Preparation::fit with the same comm): the actions count the customers of every rank,
  /// and only when no rank has a customer left is that an error. Collective.
  template <Communicator Comm = SerialComm>
  Prepared transform(const data::Table& table, Originals originals = Originals::included, const Comm& comm = {}) const {
    const std::size_t n = table.rows(), nr = recipes_.size();
    std::vector<const data::Column*> source(nr);
    for (std::size_t q = 0; q < nr; ++q) source[q] = &table.column(recipes_[q].source);
    std::vector<bool> keep(n, true);
    std::vector<Action> actions;
    if (options_.missing == MissingPolicy::drop_rows) {
      std::vector<unsigned long long> dropped(nr);
      for (std::size_t q = 0; q < nr; ++q) dropped[q] = detail::leave_out_missing(keep, source[q]->missing_mask());
      if (comm.size() > 1) dropped = sum_counts(comm, std::move(dropped));
      for (std::size_t q = 0; q < nr; ++q)
        if (dropped[q]) actions.push_back({recipes_[q].source, "customers left out: a missing value", dropped[q]});
    }
    Prepared out;
    for (std::size_t i = 0; i < n; ++i)
      if (keep[i]) out.rows.push_back(i);
    if ((comm.size() > 1 ? comm.sum(out.rows.size()) : out.rows.size()) == 0)
      throw error("no customers left after leaving out those with missing values");
    const std::size_t m = out.rows.size();

    std::size_t n_original = 0;
    for (const Recipe& r : recipes_) n_original += r.kind == Recipe::Kind::one_hot ? 0 : 1;
    out.X = xt::empty<double>({m, feature_names_.size()});
    const bool with_original = originals == Originals::included;
    if (with_original) out.original = xt::empty<double>({m, n_original});
    std::vector<std::size_t> first_feature(nr), original_column(nr);
    std::vector<std::unordered_map<std::string_view, std::size_t>> level_of(nr);
    {
      std::size_t feature = 0, original = 0;
      for (std::size_t q = 0; q < nr; ++q) {
        const Recipe& r = recipes_[q];
        first_feature[q] = feature, original_column[q] = original;
        if (r.kind == Recipe::Kind::one_hot) {
          for (std::size_t l = 0; l < r.levels.size(); ++l) level_of[q].emplace(r.levels[l], l);
          feature += r.levels.size();
        } else {
          ++feature, ++original;
          out.original_names.push_back(r.name);
        }
      }
    }

    // Blocks of rows side by side, each writing every feature of its rows: the matrices
    // fill a cache-sized block at a time, not one strided column at a time (a million
    // customers x 16 features would be 16 passes over 128 MB per matrix). What each block
    // did is counted per recipe and said once, in recipe order.
    struct Tally {
      std::size_t imputed = 0, negative = 0, beyond = 0, unseen = 0;
    };
    const std::size_t block = 4096, blocks = segkit::detail::chunk_count(m, block);
    std::vector<Tally> tallies(blocks * nr);
    const bool clip = options_.outliers == OutlierPolicy::clip;
    segkit::detail::parallel_for(blocks, options_.threads, [&](std::size_t b) {
      const std::size_t lo = b * block, hi = std::min(m, lo + block);
      for (std::size_t q = 0; q < nr; ++q) {
        const Recipe& r = recipes_[q];
        const data::Column& c = *source[q];
        const std::vector<bool>& missing = c.missing_mask();
        Tally& tally = tallies[b * nr + q];
        if (r.kind == Recipe::Kind::one_hot) {
          const std::size_t levels = r.levels.size();
          for (std::size_t k = lo; k < hi; ++k) {
            const std::size_t i = out.rows[k];
            double* x = &out.X(k, first_feature[q]);
            std::fill(x, x + levels, 0.0);
            const bool absent = missing[i];
            tally.imputed += absent ? 1 : 0;
            const auto it = level_of[q].find(absent ? std::string_view(r.fill_level) : std::string_view(c.texts()[i]));
            if (it == level_of[q].end()) {
              ++tally.unseen;  // a category the training customers did not have: no column is set
              continue;
            }
            x[it->second] = 1.0;
          }
          continue;
        }
        for (std::size_t k = lo; k < hi; ++k) {
          const std::size_t i = out.rows[k];
          double v = business_value(r, c, i);
          tally.imputed += missing[i] && std::isfinite(r.fill) ? 1 : 0;
          if (with_original) out.original(k, original_column[q]) = v;
          if (r.log) {
            if (v < 0) v = 0, ++tally.negative;
            v = std::log1p(v);
          }
          if (v < r.low || v > r.high) {
            ++tally.beyond;
            if (clip) v = std::clamp(v, r.low, r.high);
          }
          out.X(k, first_feature[q]) = v;
        }
      }
    });

    std::vector<unsigned long long> counted(4 * nr, 0);  // per recipe: imputed, negative, beyond, unseen
    for (std::size_t q = 0; q < nr; ++q)
      for (std::size_t b = 0; b < blocks; ++b) {
        const Tally& part = tallies[b * nr + q];
        counted[4 * q] += part.imputed, counted[4 * q + 1] += part.negative, counted[4 * q + 2] += part.beyond,
            counted[4 * q + 3] += part.unseen;
      }
    if (comm.size() > 1) counted = sum_counts(comm, std::move(counted));
    for (std::size_t q = 0; q < nr; ++q) {
      const Recipe& r = recipes_[q];
      const Tally t{counted[4 * q], counted[4 * q + 1], counted[4 * q + 2], counted[4 * q + 3]};
      if (r.kind == Recipe::Kind::one_hot) {
        if (t.imputed)
          actions.push_back(
              {r.source, "missing values imputed with the most frequent level \"" + r.fill_level + "\"", t.imputed});
        if (t.unseen) actions.push_back({r.source, "values not seen at fit (encoded as no level)", t.unseen});
        continue;
      }
      if (t.imputed)
        actions.push_back({r.name, "missing values imputed with the median " + format_number(r.fill), t.imputed});
      if (t.negative) actions.push_back({r.name, "negative values set to 0 before log1p", t.negative});
      if (t.beyond) {
        // Appended piece by piece: GCC 12 warns falsely (-Wrestrict, PR 105329) on "literal" + std::string.
        std::string what = clip ? "outliers clipped to the IQR fences [" : "outliers beyond the IQR fences [";
        what += format_number(r.low);
        what += ", ";
        what += format_number(r.high);
        what += clip ? "]" : "] flagged, kept";
        if (r.log) what += " (on the log1p scale)";
        actions.push_back({r.name, what, t.beyond});
      }
    }
    out.actions = std::move(actions);
    return out;
  }

  /// The recipes with a column in Prepared::original (every one but one-hot), in order.
  std::vector<std::size_t> original_recipes() const {
    std::vector<std::size_t> out;
    for (std::size_t q = 0; q < recipes_.size(); ++q)
      if (recipes_[q].kind != Recipe::Kind::one_hot) out.push_back(q);
    return out;
  }

  /// A value beyond the IQR fences: the customer (row of `original`) and the feature
  /// (column of `original`).
  struct Outlier {
    std::size_t row = 0, feature = 0;
  };

  /// The values of `original` (as Prepared::original or original() give it) beyond their
  /// feature's IQR fences, on the log1p scale for a logged feature, as transform counts
  /// them: row by row, features in order. Empty when the outlier policy is keep.
  std::vector<Outlier> outliers(const xt::xtensor<double, 2>& original) const {
    const std::vector<std::size_t> kept = original_recipes();
    if (original.shape(1) != kept.size())
      throw error("outliers: " + std::to_string(original.shape(1)) + " columns for " + std::to_string(kept.size()) +
                  " numeric features");
    std::vector<Outlier> out;
    for (std::size_t i = 0; i < original.shape(0); ++i)
      for (std::size_t f = 0; f < kept.size(); ++f) {
        const Recipe& r = recipes_[kept[f]];
        double v = original(i, f);
        if (r.log) v = std::log1p(std::max(v, 0.0));
        if (v < r.low || v > r.high) out.push_back({i, f});
      }
    return out;
  }

  /// Prepared::original for `rows` of `table` (each numeric, age or tenure feature in
  /// business units: derived and imputed, not logged or clipped), as transform gives it.
  xt::xtensor<double, 2> original(const data::Table& table, const std::vector<std::size_t>& rows) const {
    const std::vector<std::size_t> kept = original_recipes();
    std::vector<const data::Column*> source(kept.size());
    for (std::size_t o = 0; o < kept.size(); ++o) source[o] = &table.column(recipes_[kept[o]].source);
    const std::size_t m = rows.size(), block = 4096;
    for (const std::size_t i : rows)
      if (i >= table.rows())
        throw error("row " + std::to_string(i) + " is beyond the table's " + std::to_string(table.rows()));
    xt::xtensor<double, 2> out = xt::empty<double>({m, kept.size()});
    segkit::detail::parallel_for(segkit::detail::chunk_count(m, block), options_.threads, [&](std::size_t b) {
      for (std::size_t k = b * block, e = std::min(m, k + block); k < e; ++k)
        for (std::size_t o = 0; o < kept.size(); ++o)
          out(k, o) = business_value(recipes_[kept[o]], *source[o], rows[k]);
    });
    return out;
  }

  /// The columns of Prepared::X, in order.
  const std::vector<std::string>& feature_names() const { return feature_names_; }
  const std::vector<Recipe>& recipes() const { return recipes_; }
  const PrepareOptions& options() const { return options_; }
  /// What fit decided (columns left out, derived, log-transformed, encoded).
  const std::vector<Action>& fit_actions() const { return fit_actions_; }

  /// Rebuilds a Preparation from its recipes (a saved model).
  static Preparation from_recipes(std::vector<Recipe> recipes, PrepareOptions options) {
    Preparation p;
    p.options_ = std::move(options);
    for (Recipe& r : recipes) p.add(std::move(r));
    return p;
  }

 private:
  template <Communicator Comm>
  static std::optional<std::int64_t> latest_date(const data::Table& table, const Comm& comm) {
    constexpr std::int64_t none = std::numeric_limits<std::int64_t>::min();
    std::int64_t latest = none;
    for (const data::Column& c : table)
      if (c.is_date())
        for (std::size_t i = 0; i < c.size(); ++i)
          if (!c.missing(i)) latest = std::max(latest, c.days()[i]);
    latest = fold_blocks(comm, std::vector<std::int64_t>{latest}, 1, none,
                         [](std::int64_t a, std::int64_t b) { return std::max(a, b); })[0];
    return latest == none ? std::nullopt : std::optional<std::int64_t>(latest);
  }

  void add(Recipe r) {
    if (r.kind == Recipe::Kind::one_hot)
      for (const std::string& level : r.levels) feature_names_.push_back(r.name + "=" + level);
    else
      feature_names_.push_back(r.name);
    recipes_.push_back(std::move(r));
  }

  /// What fit decides for one column: its recipe (if it is used) and what it did.
  struct Planned {
    std::optional<Recipe> recipe;
    std::vector<Action> actions;
  };

  /// Decides the recipe of one column from its training values (each column on its
  /// own, so fit plans them side by side); with `kept`, a numeric column's statistics
  /// come from the rows it marks only.
  /// Spread over ranks (comm.size() > 1), every decision is taken on the statistics of all
  /// the ranks' rows, so every rank takes the same branches and collective calls.
  template <Communicator Comm>
  Planned plan(const data::Column& c, std::optional<std::int64_t> reference_day, const std::vector<bool>* kept,
               const Comm& comm, const RowLayout& layout) const {
    const bool spread = comm.size() > 1;
    // The first of a rank-local row index over all the ranks: its global row, and what
    // `text` says of it on the rank holding it (npos when no rank has one).
    const auto first_over_ranks = [&](std::size_t local, auto&& text) -> std::pair<std::size_t, std::string> {
      if (!spread) return {local, local == std::string::npos ? std::string() : text(local)};
      const unsigned long long none = std::numeric_limits<unsigned long long>::max();
      const unsigned long long global =
          fold_blocks(comm, std::vector<unsigned long long>{local == std::string::npos ? none : layout.first + local},
                      1, none, [](unsigned long long a, unsigned long long b) { return std::min(a, b); })[0];
      if (global == none) return {std::string::npos, std::string()};
      const std::size_t owner = owner_of(layout, global);
      return {static_cast<std::size_t>(global),
              broadcast_text(comm, comm.rank() == owner ? text(local) : std::string(), owner)};
    };
    Planned out;
    Recipe r;
    r.source = r.name = c.name();
    if (c.is_categorical()) {
      auto counts = c.level_counts();
      std::size_t distinct = counts.size();
      if (spread) {
        std::vector<std::string> levels;
        for (const auto& [level, count] : counts) levels.push_back(level);
        distinct = distinct_count(comm, levels);
        // Every rank's levels and counts, when they are few enough to be categories.
        if (distinct <= options_.max_levels) {
          std::vector<unsigned char> packed;
          for (const auto& [level, count] : counts) pack_text(packed, level + '\0' + std::to_string(count));
          counts.clear();
          for (const auto& block : allgather_bytes(comm, packed))
            for (const std::string& entry : unpack_texts(block)) {
              const std::size_t cut = entry.rfind('\0');
              counts[entry.substr(0, cut)] += std::stoull(entry.substr(cut + 1));
            }
        }
      }
      if (distinct == 0) {
        out.actions.push_back({c.name(), "left out: every value is missing", 0});
        return out;
      }
      // A column of numbers with a few words in it ("inf", "n/a?", "12abc") is a data error,
      // not a category; so is one of numbers written with thousands separators or decimal
      // commas, which no reader of this file's numbers would take as the user meant them.
      std::size_t numeric_cells = 0, grouped_cells = 0, present_cells = 0, first_text = std::string::npos,
                  first_grouped = std::string::npos;
      for (std::size_t i = 0; i < c.size(); ++i) {
        if (c.missing(i)) continue;
        ++present_cells;
        if (detail::is_number(c.texts()[i])) {
          ++numeric_cells;
        } else if (data::detail::looks_like_grouped_or_comma_number(c.texts()[i])) {
          ++grouped_cells;
          if (first_grouped == std::string::npos) first_grouped = i;
        } else if (first_text == std::string::npos) {
          first_text = i;
        }
      }
      if (spread) {
        const auto sums = sum_counts(comm, {numeric_cells, grouped_cells, present_cells});
        numeric_cells = sums[0], grouped_cells = sums[1], present_cells = sums[2];
      }
      const auto text_of = [&c](std::size_t i) { return c.texts()[i]; };
      const auto [grouped_row, grouped_text] = first_over_ranks(first_grouped, text_of);
      const auto [text_row, text] = first_over_ranks(first_text, text_of);
      if (mostly_numbers(numeric_cells + grouped_cells, present_cells) && grouped_row != std::string::npos)
        throw error("column \"" + c.name() +
                    "\" holds numbers written with thousands separators or a decimal comma (\"" + grouped_text +
                    "\" in data row " + std::to_string(grouped_row + 1) +
                    "); write them as 12345 or 3.5, read a decimal comma as one (segkit --decimal ,; "
                    "CsvOptions::decimal), or leave the column out");
      if (mostly_numbers(numeric_cells, present_cells) && text_row != std::string::npos)
        throw error("column \"" + c.name() + "\" holds numbers but data row " + std::to_string(text_row + 1) +
                    " holds the text \"" + text +
                    "\" (numbers are finite decimals: not inf, nan or hex); fix the file or leave the column out");
      if (distinct > options_.max_levels) {
        out.actions.push_back({c.name(),
                               "left out: " + std::to_string(distinct) + " distinct values (more than " +
                                   std::to_string(options_.max_levels) + ", so not a category)",
                               0});
        return out;
      }
      r.kind = Recipe::Kind::one_hot;
      std::size_t best = 0;
      for (const auto& [level, count] : counts) {
        r.levels.push_back(level);
        if (count > best) best = count, r.fill_level = level;
      }
      out.actions.push_back({c.name(), "one-hot encoded into " + std::to_string(r.levels.size()) + " columns", 0});
      out.recipe = std::move(r);
      return out;
    }
    if (c.is_date()) {
      if (!options_.derive_tenure || !reference_day) {
        out.actions.push_back({c.name(),
                               options_.derive_tenure ? "left out: every value is missing"
                                                      : "left out: a date (tenure derivation is off)",
                               0});
        return out;
      }
      r.kind = Recipe::Kind::tenure;
      r.reference = static_cast<double>(*reference_day);
      r.name = c.name() + " (days before " + data::format_date(*reference_day) + ")";
      out.actions.push_back({c.name(), "turned into tenure: days from it to " + data::format_date(*reference_day), 0});
    } else if (options_.derive_age && detail::looks_like_birth_year(c.name())) {
      // An age needs the year the data was taken, and one no earlier than the births:
      // else the years stay years (the 1970 of no date gave "ages" of -16).
      double latest_birth = -std::numeric_limits<double>::infinity();
      for (std::size_t i = 0; i < c.size(); ++i)
        if (!c.missing(i)) latest_birth = std::max(latest_birth, c.numbers()[i]);
      if (spread)
        latest_birth = fold_blocks(comm, std::vector<double>{latest_birth}, 1, latest_birth,
                                   [](double a, double b) { return std::max(a, b); })[0];
      const std::optional<int> year =
          reference_day ? std::optional<int>(static_cast<int>(data::date_from_days(*reference_day).year()))
                        : std::nullopt;
      if (!year) {
        out.actions.push_back({c.name(),
                               "kept as a year, not turned into age: no date in the data says when it was "
                               "taken (give a reference date)",
                               0});
      } else if (*year < latest_birth) {
        out.actions.push_back({c.name(),
                               "kept as a year, not turned into age: the reference year " + std::to_string(*year) +
                                   " is before the latest birth year " + format_number(latest_birth),
                               0});
      } else {
        r.kind = Recipe::Kind::age;
        r.reference = *year;
        r.name = "age in " + std::to_string(*year) + " (from " + c.name() + ")";
        out.actions.push_back({c.name(), "turned into age in " + std::to_string(*year), 0});
      }
    }
    // Statistics of the feature's own values (after deriving), from the customers that have one.
    std::vector<double> values = present_values(r, c, kept);
    const std::size_t count = spread ? comm.sum(values.size()) : values.size();
    if (count == 0) {
      out.actions.push_back({c.name(), "left out: every value is missing", 0});
      return out;
    }
    constexpr double inf = std::numeric_limits<double>::infinity();
    double lowest = inf, highest = -inf;
    for (const double v : values) lowest = std::min(lowest, v), highest = std::max(highest, v);
    if (spread) {
      lowest =
          fold_blocks(comm, std::vector<double>{lowest}, 1, inf, [](double a, double b) { return std::min(a, b); })[0];
      highest = fold_blocks(comm, std::vector<double>{highest}, 1, -inf,
                            [](double a, double b) { return std::max(a, b); })[0];
    }
    if (lowest == highest) {
      out.actions.push_back({r.name, "left out: the same value for every customer", 0});
      return out;
    }
    const bool non_negative = lowest >= 0;
    const double skew =
        options_.log_skewed && non_negative ? (spread ? skewness(values, count, comm) : skewness(values)) : 0.0;
    // Median and quartiles in one go: the fill, and the fences' quartiles (exact over the ranks too).
    const auto quantile =
        spread ? segkit::detail::spread_percentile_points(comm, {std::move(values)}, count, {50, 25, 75})[0]
               : segkit::detail::percentile_points_in_place(values, {50, 25, 75});
    r.fill = quantile[0].value();
    if (skew > 1) {
      r.log = true;
      out.actions.push_back({r.name, "log1p-transformed (skewness " + format_number(skew) + ")", 0});
    }
    if (options_.outliers != OutlierPolicy::keep) {
      // The fences of a logged column are on the log scale, where its long tail is no longer "outlying".
      const auto scale = [&r](double v) { return r.log ? std::log1p(v) : v; };
      const double q1 = quantile[1].value(scale);
      const double q3 = quantile[2].value(scale);
      const double iqr = q3 - q1;
      if (iqr > 0) r.low = q1 - options_.iqr_factor * iqr, r.high = q3 + options_.iqr_factor * iqr;
    }
    out.recipe = std::move(r);
    return out;
  }

  static double skewness(const std::vector<double>& v) {
    double mean = 0;
    for (const double x : v) mean += x;
    mean /= static_cast<double>(v.size());
    double m2 = 0, m3 = 0;
    for (const double x : v) m2 += (x - mean) * (x - mean), m3 += (x - mean) * (x - mean) * (x - mean);
    m2 /= static_cast<double>(v.size());
    m3 /= static_cast<double>(v.size());
    return m2 > 0 ? m3 / std::pow(m2, 1.5) : 0.0;
  }

  /// The skewness of the values of every rank, `count` of them (collective).
  template <Communicator Comm>
  static double skewness(const std::vector<double>& v, std::size_t count, const Comm& comm) {
    const auto total = [&comm](double local) { return fold_chunks(comm, std::vector<double>{local}, 1)[0]; };
    double sum = 0;
    for (const double x : v) sum += x;
    const double mean = total(sum) / static_cast<double>(count);
    double m2 = 0, m3 = 0;
    for (const double x : v) m2 += (x - mean) * (x - mean), m3 += (x - mean) * (x - mean) * (x - mean);
    m2 = total(m2) / static_cast<double>(count);
    m3 = total(m3) / static_cast<double>(count);
    return m2 > 0 ? m3 / std::pow(m2, 1.5) : 0.0;
  }

  /// The feature's values (after deriving) of the customers that have one.
  static std::vector<double> present_values(const Recipe& r, const data::Column& c,
                                            const std::vector<bool>* kept = nullptr) {
    std::vector<double> out;
    out.reserve(c.size());
    const std::vector<bool>& missing = c.missing_mask();
    for (std::size_t i = 0; i < c.size(); ++i) {
      if (missing[i] || (kept && !(*kept)[i])) continue;
      const double v = derived_value(r, c, i);
      if (std::isfinite(v)) out.push_back(v);
    }
    return out;
  }

  /// Row i's value of a numeric, age or tenure recipe in business units: imputed if missing.
  static double business_value(const Recipe& r, const data::Column& c, std::size_t i) {
    return c.missing_mask()[i] ? r.fill : derived_value(r, c, i);
  }

  /// Row i's value of a numeric, age or tenure recipe (row i not missing).
  static double derived_value(const Recipe& r, const data::Column& c, std::size_t i) {
    switch (r.kind) {
      case Recipe::Kind::numeric:
        return c.numbers()[i];
      case Recipe::Kind::age:
        return r.reference - c.numbers()[i];
      case Recipe::Kind::tenure:
        return r.reference - static_cast<double>(c.days()[i]);
      case Recipe::Kind::one_hot:
        break;
    }
    return 0.0;
  }

  PrepareOptions options_;
  std::vector<Recipe> recipes_;
  std::vector<std::string> feature_names_;
  std::vector<Action> fit_actions_;
};

/// Which features of a preparation are one level of a one-hot encoded column (one flag per feature).
inline std::vector<bool> one_hot_features(const Preparation& preparation) {
  std::vector<bool> out;
  for (const auto& r : preparation.recipes())
    out.insert(out.end(), r.kind == Recipe::Kind::one_hot ? r.levels.size() : 1, r.kind == Recipe::Kind::one_hot);
  return out;
}

/// The features of each one-hot encoded column of a preparation (one list per such column,
/// in recipe order): the columns k-prototypes keeps as categories.
inline std::vector<std::vector<std::size_t>> category_groups(const Preparation& preparation) {
  std::vector<std::vector<std::size_t>> out;
  std::size_t at = 0;
  for (const auto& r : preparation.recipes()) {
    if (r.kind != Recipe::Kind::one_hot) {
      ++at;
      continue;
    }
    out.emplace_back();
    for (std::size_t l = 0; l < r.levels.size(); ++l) out.back().push_back(at++);
  }
  return out;
}

/// Which features of a preparation are log1p of their column (one flag per feature).
inline std::vector<bool> logged_features(const Preparation& preparation) {
  std::vector<bool> out;
  for (const auto& r : preparation.recipes()) {
    if (r.kind == Recipe::Kind::one_hot)
      out.insert(out.end(), r.levels.size(), false);
    else
      out.push_back(r.log);
  }
  return out;
}

}  // namespace segkit::features
