#pragma once
// RFM (recency, frequency, monetary value) per customer from a transaction log,
// the classic 1-5 quintile scores, the named segments marketers use, and the
// log-scaled matrix that k-means is run on beside them.

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/core/date.hpp"
#include "segkit/core/error.hpp"

namespace segkit::rfm {

/// What counts as one purchase for the frequency.
enum class FrequencyCount {
  /// Distinct invoices when invoice ids are given, otherwise distinct purchase days.
  /// Logs of line items (UCI Online Retail) have one row per product, so rows
  /// overcount; an invoice is the purchase. Without invoices, the day is the
  /// closest stand-in for one shopping trip (CDNOW has several rows on one day),
  /// and it is how lifetimes/BTYD models count purchases at daily grain.
  automatic,
  invoices,  ///< distinct purchase invoices (needs invoice ids)
  days,      ///< distinct days with a purchase
  rows,      ///< every purchase row (right when each row is already one order)
};

struct RfmOptions {
  /// The reference date (day number). Default: the day after the latest transaction,
  /// so that the most recent buyers have recency 1, as is customary.
  std::optional<std::int64_t> as_of = std::nullopt;
  FrequencyCount frequency = FrequencyCount::automatic;
  /// Invoices that start with this prefix are cancellations (UCI Online Retail marks
  /// them "C536379"); empty turns the rule off.
  std::string cancellation_prefix = "C";
  /// Without as_of, no transaction may be dated after this day (default: today, by the
  /// system clock): a purchase of 2999-01-01 is a typo that would measure every
  /// customer's recency from 2999.
  std::optional<std::int64_t> today = std::nullopt;
};

/// What happened to the rows on the way: every row is counted in exactly one of
/// missing_customer, purchases and returns.
struct RfmReport {
  std::size_t rows = 0;
  std::size_t missing_customer = 0;  ///< rows with an empty customer id: dropped
  std::size_t purchases = 0;         ///< rows counted as purchases
  /// Returns: rows with a negative amount or a cancellation invoice. They subtract
  /// their |amount| from monetary value, and are not purchases (no recency, no frequency).
  std::size_t returns = 0;
  std::size_t cancelled_invoice_rows = 0;  ///< returns that are so because of their invoice prefix
  double returned_amount = 0;              ///< sum of |amount| over returns
  std::size_t zero_amount_rows = 0;        ///< purchases of 0 (kept: a free order is still an order)
  std::size_t rows_without_invoice = 0;    ///< empty invoice id while counting invoices: one invoice per row
  /// Customers with returns but no purchase (the purchase fell before the log): dropped,
  /// since they have no recency; their ids, sorted.
  std::vector<std::string> customers_without_purchase;
  std::int64_t first_date = 0, last_date = 0;  ///< over purchases
  std::int64_t as_of = 0;
  FrequencyCount frequency = FrequencyCount::automatic;  ///< the rule actually used (never automatic)
};

/// RFM per customer, sorted by customer id (byte order, as std::string compares).
struct Rfm {
  std::vector<std::string> customers;
  std::vector<std::int64_t> recency;                        ///< days from the last purchase to as_of
  std::vector<std::size_t> frequency;                       ///< purchases, counted as report.frequency says
  std::vector<double> monetary;                             ///< purchases minus returns (may be negative)
  std::vector<std::int64_t> first_purchase, last_purchase;  ///< day numbers
  RfmReport report;
  std::size_t size() const { return customers.size(); }
};

namespace detail {

inline void check_lengths(std::size_t n, std::size_t dates, std::size_t amounts,
                          const std::vector<std::string>* invoices) {
  if (dates != n || amounts != n || (invoices && invoices->size() != n)) {
    std::string message = "transaction columns differ in length: " + std::to_string(n) + " customer id(s), " +
                          std::to_string(dates) + " date(s), " + std::to_string(amounts) + " amount(s)";
    if (invoices) message += ", " + std::to_string(invoices->size()) + " invoice id(s)";
    throw error(message);
  }
}

inline Rfm compute(const std::vector<std::string>& customer, const std::vector<std::int64_t>& date,
                   const std::vector<double>& amount, const std::vector<std::string>* invoice,
                   const RfmOptions& options) {
  const std::size_t n = customer.size();
  check_lengths(n, date.size(), amount.size(), invoice);
  if (n == 0) throw error("the transaction log is empty: it has no rows");
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(amount[i]))
      throw error(std::string("amount is ") + (std::isnan(amount[i]) ? "NaN" : "an infinity") + " at row " +
                  std::to_string(i) + " (0-based)");

  FrequencyCount rule = options.frequency;
  if (rule == FrequencyCount::automatic) rule = invoice ? FrequencyCount::invoices : FrequencyCount::days;
  if (rule == FrequencyCount::invoices && !invoice)
    throw error("frequency by invoices needs invoice ids, and none were given");

  RfmReport report;
  report.rows = n;
  report.frequency = rule;
  const std::string& prefix = options.cancellation_prefix;
  auto is_cancelled = [&](std::size_t i) {
    return invoice && !prefix.empty() && std::string_view((*invoice)[i]).starts_with(prefix);
  };

  // The as-of date bounds every row that has a customer (rows without one are dropped
  // anyway): a later transaction means the snapshot is not what the caller thinks it
  // is, so it is an error rather than silently left out.
  std::optional<std::int64_t> latest;
  for (std::size_t i = 0; i < n; ++i)
    if (!customer[i].empty() && !is_cancelled(i) && amount[i] >= 0)
      latest = latest ? std::max(*latest, date[i]) : date[i];
  if (options.as_of) {
    for (std::size_t i = 0; i < n; ++i)
      if (!customer[i].empty() && date[i] > *options.as_of)
        throw error("the as-of date " + format_date(*options.as_of) + " is before the transaction at row " +
                    std::to_string(i) + " (0-based; customer " + customer[i] + ", " + format_date(date[i]) + ")");
  } else {
    const std::int64_t today =
        options.today
            ? *options.today
            : std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()).time_since_epoch().count();
    for (std::size_t i = 0; i < n; ++i)
      if (!customer[i].empty() && date[i] > today)
        throw error("the transaction at row " + std::to_string(i) + " (0-based; customer " + customer[i] + ", " +
                    format_date(date[i]) + ") is dated after today (" + format_date(today) +
                    "): fix its date, or give the as-of date the data was taken");
  }

  // Per customer, in order of first appearance; sorted by id at the end.
  struct Acc {
    std::string id;
    double monetary = 0;
    std::size_t rows = 0, unnamed_invoices = 0;
    bool purchased = false;
    std::int64_t first = 0, last = 0;
    std::vector<std::int64_t> days = {};
    std::vector<std::string_view> invoices = {};
  };
  std::vector<Acc> acc;
  std::unordered_map<std::string_view, std::size_t> index;
  for (std::size_t i = 0; i < n; ++i) {
    if (customer[i].empty()) {
      ++report.missing_customer;
      continue;
    }
    auto [it, inserted] = index.try_emplace(customer[i], acc.size());
    if (inserted) acc.push_back(Acc{customer[i]});
    Acc& a = acc[it->second];
    const bool cancelled = is_cancelled(i);
    if (cancelled || amount[i] < 0) {
      ++report.returns;
      report.cancelled_invoice_rows += cancelled;
      report.returned_amount += std::abs(amount[i]);
      a.monetary -= std::abs(amount[i]);
      continue;
    }
    ++report.purchases;
    report.zero_amount_rows += amount[i] == 0;
    a.monetary += amount[i];
    ++a.rows;
    a.first = a.purchased ? std::min(a.first, date[i]) : date[i];
    a.last = a.purchased ? std::max(a.last, date[i]) : date[i];
    a.purchased = true;
    if (rule == FrequencyCount::days) a.days.push_back(date[i]);
    if (rule == FrequencyCount::invoices) {
      if ((*invoice)[i].empty()) {
        ++report.rows_without_invoice;
        ++a.unnamed_invoices;  // nothing ties it to another row, so it is an invoice of its own
      } else {
        a.invoices.emplace_back((*invoice)[i]);
      }
    }
  }
  if (!latest)
    throw error("the transaction log holds no purchase with a customer id (" + std::to_string(n) +
                " row(s): " + std::to_string(report.missing_customer) + " without customer, " +
                std::to_string(report.returns) + " returns)");

  report.as_of = options.as_of ? *options.as_of : *latest + 1;
  std::sort(acc.begin(), acc.end(), [](const Acc& a, const Acc& b) { return a.id < b.id; });
  Rfm out;
  bool any = false;
  for (Acc& a : acc) {
    if (!a.purchased) {
      report.customers_without_purchase.push_back(a.id);
      continue;
    }
    std::size_t frequency = 0;
    switch (rule) {
      case FrequencyCount::rows:
        frequency = a.rows;
        break;
      case FrequencyCount::days:
        std::sort(a.days.begin(), a.days.end());
        frequency = static_cast<std::size_t>(std::unique(a.days.begin(), a.days.end()) - a.days.begin());
        break;
      default: {
        std::sort(a.invoices.begin(), a.invoices.end());
        frequency = static_cast<std::size_t>(std::unique(a.invoices.begin(), a.invoices.end()) - a.invoices.begin()) +
                    a.unnamed_invoices;
        break;
      }
    }
    report.first_date = any ? std::min(report.first_date, a.first) : a.first;
    report.last_date = any ? std::max(report.last_date, a.last) : a.last;
    any = true;
    out.customers.push_back(std::move(a.id));
    out.recency.push_back(report.as_of - a.last);
    out.frequency.push_back(frequency);
    out.monetary.push_back(a.monetary);
    out.first_purchase.push_back(a.first);
    out.last_purchase.push_back(a.last);
  }
  out.report = std::move(report);
  return out;
}

}  // namespace detail

/// RFM per customer from one transaction per element of the three vectors.
/// customer: id, empty = missing (the row is dropped and counted); date: day number
/// (see segkit::days_from_civil); amount: the row's value (quantity x unit price, computed by the
/// caller), negative for a return. Throws segkit::error on mismatched lengths, an
/// empty log, a NaN or infinite amount, or an as_of before a transaction (naming the row).
inline Rfm compute_rfm(const std::vector<std::string>& customer, const std::vector<std::int64_t>& date,
                       const std::vector<double>& amount, const RfmOptions& options = {}) {
  return detail::compute(customer, date, amount, nullptr, options);
}

/// The same with invoice ids: frequency counts distinct invoices by default, and
/// invoices starting with options.cancellation_prefix are returns.
inline Rfm compute_rfm(const std::vector<std::string>& customer, const std::vector<std::int64_t>& date,
                       const std::vector<double>& amount, const std::vector<std::string>& invoice,
                       const RfmOptions& options = {}) {
  return detail::compute(customer, date, amount, &invoice, options);
}

/// How quintile scores treat customers with equal values.
enum class Ties {
  /// Equal values, equal score: a run of ties scores as its middle customer would
  /// (so two customers with the same recency, frequency and spend share their segment).
  by_value,
  /// In the customers' given order, as notebooks do with pandas' rank(method='first'):
  /// equal values may score differently, the customer order (ids, sorted) deciding.
  in_order,
};

/// 1-5 scores of values: customers ranked ascending (ties as `ties` says), then cut at
/// the quintiles of the ranks (pandas' qcut(rank, 5, labels=[1..5]): bins right-closed,
/// the first one closed). In exact integers, 0-based rank r scores
/// max(1, ceil(5 r / (n - 1))), so the groups hold n/5 customers each to within one
/// (up to ties by value), and no rounding decides a border. Ranking rather than cutting
/// the raw values keeps the groups full when many customers share a value (frequency 1
/// is often half of them). A single customer scores 3, the middle: one customer is
/// neither best nor worst.
template <class V>
std::vector<int> quintile_scores(const std::vector<V>& values, Ties ties = Ties::by_value) {
  const std::size_t n = values.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&values](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  std::vector<int> scores(n, 3);
  if (n < 2) return scores;
  // ceil(5 r2 / (2 (n - 1))) for twice a rank r2: a run of ties [a, b] takes r2 = a + b, its middle.
  const auto score_of_twice_rank = [n](std::size_t r2) {
    const std::size_t q = (5 * r2 + 2 * (n - 1) - 1) / (2 * (n - 1));
    return static_cast<int>(std::max<std::size_t>(q, 1));
  };
  for (std::size_t a = 0; a < n;) {
    std::size_t b = a;
    if (ties == Ties::by_value)
      while (b + 1 < n && !(values[order[a]] < values[order[b + 1]])) ++b;
    for (std::size_t r = a; r <= b; ++r) scores[order[r]] = score_of_twice_rank(ties == Ties::by_value ? a + b : 2 * r);
    a = b + 1;
  }
  return scores;
}

struct RfmScores {
  std::vector<int> r, f, m;  ///< 1-5 each; r = 5 for the most recent customers
};

/// The classic quintile scores: F and M as quintile_scores, R reversed (the smallest
/// recency scores 5). By default equal values score alike (Ties::by_value);
/// Ties::in_order gives the pandas notebooks' scores.
inline RfmScores score_rfm(const Rfm& rfm, Ties ties = Ties::by_value) {
  RfmScores s;
  s.r = quintile_scores(rfm.recency, ties);
  for (int& v : s.r) v = 6 - v;
  s.f = quintile_scores(rfm.frequency, ties);
  s.m = quintile_scores(rfm.monetary, ties);
  return s;
}

/// The columns of a transaction log (names or 1-based numbers).
struct LogColumns {
  std::string customer{}, date{};
  std::string amount{};  ///< the amount of each row; or, when empty, quantity x price
  std::string quantity{}, price{};
  std::string invoice{};  ///< optional: invoice ids, cancellations starting with C
};

/// Quintile scores (Ties::by_value) as cut points on the values: cuts[s - 2] is the least
/// value that scored s or more, for s = 2..5 (+infinity when none did). A score is then a
/// function of the value alone (score_by_cuts), which gives every value of `values` the
/// score quintile_scores gave it, and scores a new customer's value as the fit would have
/// scored that value: what a saved RFM model replays on another log.
template <class V>
std::array<double, 4> quintile_cuts(const std::vector<V>& values) {
  const std::vector<int> scores = quintile_scores(values, Ties::by_value);
  std::array<double, 4> cuts;
  cuts.fill(std::numeric_limits<double>::infinity());
  for (std::size_t i = 0; i < values.size(); ++i)
    for (int s = 2; s <= scores[i]; ++s) cuts[s - 2] = std::min(cuts[s - 2], static_cast<double>(values[i]));
  return cuts;
}

/// The score of `value` under quintile_cuts: the largest s with cuts[s - 2] <= value, 1 below them all.
inline int score_by_cuts(double value, const std::array<double, 4>& cuts) {
  int score = 1;
  for (int s = 2; s <= 5; ++s)
    if (cuts[s - 2] <= value) score = s;
  return score;
}

/// The cut points of R (on recency, ascending, before R is reversed), F and M.
struct RfmCuts {
  std::array<double, 4> recency{}, frequency{}, monetary{};
};

inline RfmCuts rfm_cuts(const Rfm& rfm) {
  return {quintile_cuts(rfm.recency), quintile_cuts(rfm.frequency), quintile_cuts(rfm.monetary)};
}

/// score_rfm by value with given cut points: on the log they came from, score_rfm's scores
/// (Ties::by_value); on another log, that log's customers scored as the first log's would be.
inline RfmScores score_rfm(const Rfm& rfm, const RfmCuts& cuts) {
  RfmScores s;
  for (std::size_t i = 0; i < rfm.size(); ++i) {
    s.r.push_back(6 - score_by_cuts(static_cast<double>(rfm.recency[i]), cuts.recency));
    s.f.push_back(score_by_cuts(static_cast<double>(rfm.frequency[i]), cuts.frequency));
    s.m.push_back(score_by_cuts(rfm.monetary[i], cuts.monetary));
  }
  return s;
}

enum class Segment {
  champions,
  loyal_customers,
  potential_loyalists,
  new_customers,
  promising,
  need_attention,
  about_to_sleep,
  at_risk,
  cant_lose_them,
  hibernating,
  lost,
};

/// The name marketers use ("Champions", "Can't Lose Them", ...).
inline std::string_view segment_name(Segment s) {
  switch (s) {
    case Segment::champions:
      return "Champions";
    case Segment::loyal_customers:
      return "Loyal Customers";
    case Segment::potential_loyalists:
      return "Potential Loyalists";
    case Segment::new_customers:
      return "New Customers";
    case Segment::promising:
      return "Promising";
    case Segment::need_attention:
      return "Need Attention";
    case Segment::about_to_sleep:
      return "About to Sleep";
    case Segment::at_risk:
      return "At Risk";
    case Segment::cant_lose_them:
      return "Can't Lose Them";
    case Segment::hibernating:
      return "Hibernating";
    case Segment::lost:
      return "Lost";
  }
  return "";
}

/// The segment of an R and F score (1-5 each), by the widely used RFM segmentation
/// map of R and F scores, as written in countless pandas notebooks:
///   seg_map = {r'[1-2][1-2]': 'hibernating', r'[1-2][3-4]': 'at_risk', r'[1-2]5': 'cant_loose',
///              r'3[1-2]': 'about_to_sleep', r'33': 'need_attention', r'[3-4][4-5]': 'loyal_customers',
///              r'41': 'promising', r'51': 'new_customers', r'[4-5][2-3]': 'potential_loyalists',
///              r'5[4-5]': 'champions'}
/// applied to the string "RF". Its ten cells cover the 5 x 5 grid exactly once, so the
/// order of the rules does not matter. That map has no "Lost"; with separate_lost the
/// bottom corner R = 1, F = 1 of Hibernating is called Lost, as the eleven-segment
/// variants do. M plays no part, as in the map: it is kept beside the segment.
inline Segment rf_segment(int r, int f, bool separate_lost = false) {
  if (r < 1 || r > 5 || f < 1 || f > 5)
    throw error("RFM scores run from 1 to 5, got R = " + std::to_string(r) + ", F = " + std::to_string(f));
  if (r <= 2) {
    if (f <= 2) return separate_lost && r == 1 && f == 1 ? Segment::lost : Segment::hibernating;
    return f <= 4 ? Segment::at_risk : Segment::cant_lose_them;
  }
  if (r == 3) {
    if (f <= 2) return Segment::about_to_sleep;
    return f == 3 ? Segment::need_attention : Segment::loyal_customers;
  }
  if (f >= 4) return r == 4 ? Segment::loyal_customers : Segment::champions;
  if (f >= 2) return Segment::potential_loyalists;
  return r == 4 ? Segment::promising : Segment::new_customers;
}

/// The segment of every customer from its scores.
inline std::vector<Segment> rf_segments(const RfmScores& scores, bool separate_lost = false) {
  if (scores.r.size() != scores.f.size())
    throw error("R and F scores differ in length: " + std::to_string(scores.r.size()) + " and " +
                std::to_string(scores.f.size()));
  std::vector<Segment> out(scores.r.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = rf_segment(scores.r[i], scores.f[i], separate_lost);
  return out;
}

/// n x 3 matrix of log1p(recency), log1p(frequency), log1p(monetary), for k-means
/// beside the scores: R, F and M are heavily right-skewed, and on the raw values a
/// few big spenders would make their own segments. Negative monetary values (net
/// refunds) are clipped to 0 first, since log1p is undefined below -1.
inline xt::xtensor<double, 2> log_rfm_matrix(const Rfm& rfm) {
  xt::xtensor<double, 2> X = xt::empty<double>({rfm.size(), std::size_t{3}});
  for (std::size_t i = 0; i < rfm.size(); ++i) {
    X(i, 0) = std::log1p(static_cast<double>(std::max<std::int64_t>(rfm.recency[i], 0)));
    X(i, 1) = std::log1p(static_cast<double>(rfm.frequency[i]));
    X(i, 2) = std::log1p(std::max(rfm.monetary[i], 0.0));
  }
  return X;
}

}  // namespace segkit::rfm
