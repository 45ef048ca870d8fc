#pragma once
// DBSCAN: segments as dense regions, and customers in no dense region left as noise
// ("unassigned") instead of forced into a segment. scikit-learn's DBSCAN on Euclidean
// distances: a customer is a core customer when at least min_samples customers (itself
// included) lie within eps of it; core customers within eps of each other share a
// segment, with every customer within eps of one of them; the segments are numbered in
// the order of their first core customer, and a border customer within reach of two
// segments joins the first. The same labels as scikit-learn's, core and noise exactly.
//
// The neighbours are found with a k-d tree (a range query per customer, O(n log n) on
// low-dimensional data instead of O(n^2)); neighbourhoods are counted on the threads and
// searched again while a segment grows, never all kept at once.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"
#include "segkit/core/matrix.hpp"
#include "segkit/core/parallel.hpp"

namespace segkit {

struct DbscanOptions {
  double eps = 0.5;             ///< the neighbourhood's radius (Euclidean, in X's units)
  std::size_t min_samples = 5;  ///< customers within eps (itself included) that make a core customer
  std::size_t threads = 0;      ///< 0 = every core; the result is the same for any count
};

struct Dbscan {
  static constexpr std::ptrdiff_t noise = -1;
  std::vector<std::ptrdiff_t> labels;  ///< each customer's segment 0..segments-1, or noise
  std::vector<bool> core;              ///< whether each customer is a core customer
  std::size_t segments = 0;
  std::size_t noise_count = 0;
};

namespace detail {

/// A k-d tree of the rows of a matrix (kept in double, row-major): range queries of a radius.
class KdTree {
 public:
  template <class T>
  explicit KdTree(const xt::xtensor<T, 2>& X)
      : rows_(X.begin(), X.end()), data_(rows_.data()), d_(X.shape(1)), order_(X.shape(0)) {
    std::iota(order_.begin(), order_.end(), std::size_t{0});
    if (!order_.empty()) build(0, order_.size());
  }

  /// Row i, as the tree measures it.
  const double* row(std::size_t i) const { return data_ + i * d_; }

  /// Calls visit(j) for every row j within `radius` of `query` (squared distance <= radius^2).
  template <class Visit>
  void within(const double* query, double radius, Visit&& visit) const {
    if (nodes_.empty()) return;
    search(0, query, radius * radius, visit);
  }

 private:
  static constexpr std::size_t leaf_size = 32;
  struct Node {
    std::size_t begin, end;
    std::size_t dim = 0;
    double split = 0;
    std::size_t left = 0, right = 0;  // 0: a leaf (node 0 is the root, never a child)
  };

  std::size_t build(std::size_t begin, std::size_t end) {
    const std::size_t at = nodes_.size();
    nodes_.push_back({begin, end});
    if (end - begin <= leaf_size) return at;
    // Split at the median of the dimension of widest spread.
    std::size_t dim = 0;
    double widest = -1;
    for (std::size_t j = 0; j < d_; ++j) {
      double lo = data_[order_[begin] * d_ + j], hi = lo;
      for (std::size_t i = begin; i < end; ++i) {
        const double v = data_[order_[i] * d_ + j];
        lo = std::min(lo, v), hi = std::max(hi, v);
      }
      if (hi - lo > widest) widest = hi - lo, dim = j;
    }
    if (widest <= 0) return at;  // every row the same: a leaf
    const std::size_t mid = begin + (end - begin) / 2;
    std::nth_element(order_.begin() + static_cast<std::ptrdiff_t>(begin),
                     order_.begin() + static_cast<std::ptrdiff_t>(mid),
                     order_.begin() + static_cast<std::ptrdiff_t>(end),
                     [&](std::size_t a, std::size_t b) { return data_[a * d_ + dim] < data_[b * d_ + dim]; });
    const double split = data_[order_[mid] * d_ + dim];
    const std::size_t left = build(begin, mid);
    const std::size_t right = build(mid, end);
    nodes_[at].dim = dim, nodes_[at].split = split, nodes_[at].left = left, nodes_[at].right = right;
    return at;
  }

  template <class Visit>
  void search(std::size_t node, const double* q, double r2, Visit& visit) const {
    const Node& n = nodes_[node];
    if (n.left == 0) {
      for (std::size_t i = n.begin; i < n.end; ++i) {
        const std::size_t j = order_[i];
        const double* p = data_ + j * d_;
        double s = 0;
        for (std::size_t f = 0; f < d_; ++f) s += (q[f] - p[f]) * (q[f] - p[f]);
        if (s <= r2) visit(j);
      }
      return;
    }
    // Rows left of the split are <= split, right ones >= split, in the split dimension.
    const double gap = q[n.dim] - n.split;
    if (gap <= 0 || gap * gap <= r2) search(n.left, q, r2, visit);
    if (gap >= 0 || gap * gap <= r2) search(n.right, q, r2, visit);
  }

  std::vector<double> rows_;
  const double* data_;
  std::size_t d_;
  std::vector<std::size_t> order_;
  std::vector<Node> nodes_;
};

}  // namespace detail

/// DBSCAN of the rows of X (see the top of this header). Bad input is a segkit::error.
template <class T>
Dbscan dbscan(const xt::xtensor<T, 2>& X, const DbscanOptions& options = {}) {
  detail::check_data(X, "X", options.threads);
  if (!(options.eps > 0) || !std::isfinite(options.eps))
    throw error("eps must be a positive distance, not " + std::to_string(options.eps));
  if (options.min_samples == 0) throw error("min_samples must be at least 1");
  const std::size_t n = X.shape(0);
  const detail::KdTree tree(X);

  Dbscan out;
  out.core.assign(n, false);
  {
    std::vector<char> core(n, 0);
    const std::size_t block = 1024;
    detail::parallel_for(detail::chunk_count(n, block), options.threads, [&](std::size_t b) {
      for (std::size_t i = b * block; i < std::min(n, (b + 1) * block); ++i) {
        std::size_t count = 0;
        tree.within(tree.row(i), options.eps, [&count](std::size_t) { ++count; });
        core[i] = count >= options.min_samples;
      }
    });
    for (std::size_t i = 0; i < n; ++i) out.core[i] = core[i] != 0;
  }
  out.labels.assign(n, Dbscan::noise);
  std::vector<std::size_t> stack;
  std::ptrdiff_t segment = 0;
  for (std::size_t seed = 0; seed < n; ++seed) {
    if (out.labels[seed] != Dbscan::noise || !out.core[seed]) continue;
    out.labels[seed] = segment;
    stack.assign(1, seed);
    while (!stack.empty()) {
      const std::size_t i = stack.back();
      stack.pop_back();
      // Only a core customer's neighbours join; a border customer joins but spreads nothing.
      tree.within(tree.row(i), options.eps, [&](std::size_t j) {
        if (out.labels[j] != Dbscan::noise) return;
        out.labels[j] = segment;
        if (out.core[j]) stack.push_back(j);
      });
    }
    ++segment;
  }
  out.segments = static_cast<std::size_t>(segment);
  out.noise_count = static_cast<std::size_t>(std::count(out.labels.begin(), out.labels.end(), Dbscan::noise));
  return out;
}

/// What a DBSCAN fit keeps to place a new customer: its core customers and their segments.
/// A new customer joins the segment of the nearest core customer within eps (the first
/// core customer on a tie), or is noise: the customers a fit would have reached from a
/// core one. A fitted border customer within eps of two segments may be placed in the
/// other one than the fit's (which takes the first segment that reached it).
struct DbscanCores {
  double eps = 0;
  std::size_t min_samples = 0;
  xt::xtensor<double, 2> rows;        ///< the core customers, in X's units
  std::vector<std::size_t> segments;  ///< each core customer's segment

  /// The core customers of a fit of X.
  template <class T>
  static DbscanCores of(const xt::xtensor<T, 2>& X, const Dbscan& fit, const DbscanOptions& options) {
    if (fit.core.size() != X.shape(0))
      throw error("a DBSCAN fit of " + std::to_string(fit.core.size()) + " customers for " +
                  std::to_string(X.shape(0)) + " rows");
    DbscanCores out{options.eps, options.min_samples, {}, {}};
    const std::size_t n = X.shape(0), d = X.shape(1);
    const auto cores = static_cast<std::size_t>(std::count(fit.core.begin(), fit.core.end(), true));
    out.rows = xt::empty<double>({cores, d});
    std::size_t at = 0;
    for (std::size_t i = 0; i < n; ++i)
      if (fit.core[i]) {
        for (std::size_t j = 0; j < d; ++j) out.rows(at, j) = static_cast<double>(X(i, j));
        out.segments.push_back(static_cast<std::size_t>(fit.labels[i]));
        ++at;
      }
    return out;
  }

  /// Each row's segment, or Dbscan::noise.
  template <class T>
  std::vector<std::ptrdiff_t> assign(const xt::xtensor<T, 2>& X, std::size_t threads = 0) const {
    if (X.shape(0) > 0 && X.shape(1) != rows.shape(1))
      throw error("customers of " + std::to_string(X.shape(1)) + " features for core customers of " +
                  std::to_string(rows.shape(1)));
    const std::size_t n = X.shape(0), d = rows.shape(1);
    std::vector<std::ptrdiff_t> out(n, Dbscan::noise);
    if (rows.shape(0) == 0 || n == 0) return out;
    const detail::KdTree tree(rows);
    const std::size_t block = 1024;
    detail::parallel_for(detail::chunk_count(n, block), threads, [&](std::size_t b) {
      std::vector<double> q(d);
      for (std::size_t i = b * block; i < std::min(n, (b + 1) * block); ++i) {
        for (std::size_t j = 0; j < d; ++j) q[j] = static_cast<double>(X(i, j));
        if (!std::all_of(q.begin(), q.end(), [](double v) { return std::isfinite(v); })) continue;
        double best = std::numeric_limits<double>::infinity();
        std::size_t nearest = 0;
        tree.within(q.data(), eps, [&](std::size_t c) {
          double s = 0;
          for (std::size_t j = 0; j < d; ++j) s += (q[j] - tree.row(c)[j]) * (q[j] - tree.row(c)[j]);
          if (s < best || (s == best && c < nearest)) best = s, nearest = c;
        });
        if (std::isfinite(best)) out[i] = static_cast<std::ptrdiff_t>(segments[nearest]);
      }
    });
    return out;
  }
};

/// Each customer's distance to its k-th nearest neighbour (itself the first: k = min_samples
/// gives the distance within which a customer is a core one), sorted in increasing order:
/// the k-distance curve, whose knee is a good eps. O(n k log n) by the k-d tree's range
/// queries, widened until k neighbours are found.
template <class T>
std::vector<double> k_distances(const xt::xtensor<T, 2>& X, std::size_t k, std::size_t threads = 0) {
  detail::check_data(X, "X", threads);
  const std::size_t n = X.shape(0), d = X.shape(1);
  if (k == 0 || k > n) throw error("k = " + std::to_string(k) + " neighbours of " + std::to_string(n) + " customers");
  const detail::KdTree tree(X);
  // A first radius from the data's spread: the side of a cube holding about k customers.
  double volume = 1;
  for (std::size_t j = 0; j < d; ++j) {
    double lo = tree.row(0)[j], hi = lo;
    for (std::size_t i = 0; i < n; ++i) lo = std::min(lo, tree.row(i)[j]), hi = std::max(hi, tree.row(i)[j]);
    volume *= std::max(hi - lo, 1e-12);
  }
  const double start = std::pow(volume * static_cast<double>(k) / static_cast<double>(n), 1.0 / static_cast<double>(d));
  std::vector<double> out(n);
  const std::size_t block = 256;
  detail::parallel_for(detail::chunk_count(n, block), threads, [&](std::size_t b) {
    std::vector<double> found;
    for (std::size_t i = b * block; i < std::min(n, (b + 1) * block); ++i) {
      const double* q = tree.row(i);
      for (double radius = start;; radius *= 2) {
        found.clear();
        tree.within(q, radius, [&](std::size_t j) {
          double s = 0;
          const double* p = tree.row(j);
          for (std::size_t f = 0; f < d; ++f) s += (q[f] - p[f]) * (q[f] - p[f]);
          found.push_back(s);
        });
        if (found.size() >= k) break;
      }
      std::nth_element(found.begin(), found.begin() + static_cast<std::ptrdiff_t>(k - 1), found.end());
      out[i] = std::sqrt(found[k - 1]);
    }
  });
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace segkit
