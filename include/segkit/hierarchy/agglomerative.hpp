#pragma once
// Agglomerative (hierarchical) clustering: every customer starts as its own segment and
// the two closest segments merge, again and again, into one tree; cutting the tree at K
// gives K segments, and the heights of the merges (a dendrogram) say where a cut is
// natural. The merge tree is scipy.cluster.hierarchy.linkage's: (n - 1) rows of [a, b,
// height, size], a and b the merged clusters (the customers are 0..n-1, the cluster made
// by row i is n + i), rows in increasing height; a cut at K equals scikit-learn's
// AgglomerativeClustering labels up to their numbering.
//
// The nearest-neighbour chain (Murtagh; Müllner, "Modern hierarchical, agglomerative
// clustering algorithms", 2011) does it in O(n^2) distance evaluations. Ward's linkage
// keeps only each cluster's size and centroid (the Ward distance of clusters A and B is
// sqrt(2 |A| |B| / (|A| + |B|)) ||c_A - c_B||): O(n d) memory beyond the data. Complete,
// average and single linkage keep the n (n - 1) / 2 distances between clusters, as scipy
// does. Ward can also start from weighted points (ward_of_centres): the two-stage mode for
// large n, k-means into many micro-segments, then Ward on their centres weighted by size.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"
#include "segkit/core/matrix.hpp"
#include "segkit/core/parallel.hpp"

namespace segkit {

enum class Linkage {
  ward,      ///< the merge that least increases the within-segment sum of squares
  complete,  ///< the largest distance between members
  average,   ///< the mean distance between members (UPGMA)
  single     ///< the smallest distance between members
};

inline std::string_view linkage_name(Linkage linkage) {
  switch (linkage) {
    case Linkage::ward:
      return "ward";
    case Linkage::complete:
      return "complete";
    case Linkage::average:
      return "average";
    case Linkage::single:
      return "single";
  }
  return "?";
}

/// The linkage a name means ("ward", "complete", "average", "single"); another is an error.
inline Linkage linkage_method(std::string_view name) {
  for (const Linkage l : {Linkage::ward, Linkage::complete, Linkage::average, Linkage::single})
    if (linkage_name(l) == name) return l;
  throw error("the linkage must be ward, complete, average or single, not \"" + std::string(name) + "\"");
}

namespace detail {

/// The clusters of a merge tree as a union-find forest over its 2n - 1 nodes: each
/// merge points its two clusters at the node it makes.
struct MergeForest {
  std::vector<std::size_t> parent;
  explicit MergeForest(std::size_t nodes) : parent(nodes) { std::iota(parent.begin(), parent.end(), std::size_t{0}); }
  std::size_t root(std::size_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  }
};

}  // namespace detail

/// A merge tree in scipy's linkage-matrix layout.
struct MergeTree {
  /// (n - 1) x 4: the two clusters merged (smaller id first), the height, the size of the
  /// new cluster; rows in increasing height.
  xt::xtensor<double, 2> Z;
  std::size_t leaves = 0;  ///< n, the customers (or weighted points)

  /// The segments of a cut into k (1 <= k <= n): the first n - k merges made. Labels
  /// 0..k-1, numbered in the order of each segment's first customer.
  std::vector<std::size_t> cut(std::size_t k) const {
    const std::size_t n = leaves;
    if (k == 0 || k > n)
      throw error("a cut into " + std::to_string(k) + " segments of " + std::to_string(n) + " customers");
    detail::MergeForest forest(2 * n - 1);
    for (std::size_t m = 0; m + k < n; ++m) {
      forest.parent[forest.root(static_cast<std::size_t>(Z(m, 0)))] = n + m;
      forest.parent[forest.root(static_cast<std::size_t>(Z(m, 1)))] = n + m;
    }
    std::vector<std::size_t> labels(n), label_of(2 * n - 1, n);
    std::size_t next = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t root = forest.root(i);
      if (label_of[root] == n) label_of[root] = next++;
      labels[i] = label_of[root];
    }
    return labels;
  }
};

namespace detail {

/// The merges (x, y, height) in the order the chain made them, each new cluster kept at
/// index y: scipy's layout once sorted by height and renumbered (finish_tree).
struct Merge {
  std::size_t x, y;
  double height;
};

inline MergeTree finish_tree(std::vector<Merge> merges, std::vector<double> sizes) {
  const std::size_t n = merges.size() + 1;
  std::stable_sort(merges.begin(), merges.end(), [](const Merge& a, const Merge& b) { return a.height < b.height; });
  // Renumber: a merge's clusters are named by the merges that made them (n + row).
  MergeForest forest(2 * n - 1);
  std::vector<double> size(2 * n - 1, 1.0);
  for (std::size_t i = 0; i < n; ++i) size[i] = sizes[i];
  MergeTree out;
  out.leaves = n;
  out.Z = xt::empty<double>({n - 1, std::size_t{4}});
  for (std::size_t m = 0; m < merges.size(); ++m) {
    const std::size_t a = forest.root(merges[m].x), b = forest.root(merges[m].y);
    out.Z(m, 0) = static_cast<double>(std::min(a, b));
    out.Z(m, 1) = static_cast<double>(std::max(a, b));
    out.Z(m, 2) = merges[m].height;
    size[n + m] = size[a] + size[b];
    out.Z(m, 3) = size[n + m];
    forest.parent[a] = forest.parent[b] = n + m;
  }
  return out;
}

/// The nearest-neighbour chain over n clusters: `distance(x, i)` between active clusters,
/// `merge(x, y)` makes y the union (x is dropped). Ties go to the cluster below on the
/// chain, then to the lowest index, as scipy's nn_chain.
template <class Distance, class Join>
std::vector<Merge> nn_chain(std::size_t n, std::size_t threads, Distance&& distance, Join&& merge) {
  std::vector<std::size_t> chain;
  std::vector<Merge> merges;
  merges.reserve(n - 1);
  std::vector<std::size_t> alive(n);
  std::iota(alive.begin(), alive.end(), std::size_t{0});
  const std::size_t block = 1024;
  for (std::size_t step = 0; step + 1 < n; ++step) {
    if (chain.empty()) chain.push_back(alive.front());
    std::size_t x = 0, y = 0;
    double best = 0;
    for (;;) {
      x = chain.back();
      best = std::numeric_limits<double>::infinity();
      y = n;
      if (chain.size() >= 2) y = chain[chain.size() - 2], best = distance(x, y);
      // The nearest active cluster, block by block; blocks combined in order (the lowest index on a tie).
      const std::size_t m = alive.size(), blocks = chunk_count(m, block);
      std::vector<double> block_best(blocks, std::numeric_limits<double>::infinity());
      std::vector<std::size_t> block_at(blocks, n);
      parallel_for(blocks, threads_for(m * 64, threads), [&](std::size_t b) {
        for (std::size_t a = b * block; a < std::min(m, (b + 1) * block); ++a) {
          const std::size_t i = alive[a];
          if (i == x) continue;
          const double d = distance(x, i);
          if (d < block_best[b]) block_best[b] = d, block_at[b] = i;
        }
      });
      for (std::size_t b = 0; b < blocks; ++b)
        if (block_best[b] < best) best = block_best[b], y = block_at[b];
      if (chain.size() >= 2 && y == chain[chain.size() - 2]) break;
      chain.push_back(y);
    }
    chain.pop_back();
    chain.pop_back();
    if (x > y) std::swap(x, y);
    merges.push_back({x, y, best});
    merge(x, y);
    alive.erase(std::lower_bound(alive.begin(), alive.end(), x));
  }
  return merges;
}

/// Ward's tree of weighted points (each row of `centres` standing for `sizes[i]` customers).
template <class T>
MergeTree ward_tree(const xt::xtensor<T, 2>& points, std::vector<double> sizes, std::size_t threads) {
  const std::size_t n = points.shape(0), d = points.shape(1);
  std::vector<double> centroid(n * d);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) centroid[i * d + j] = static_cast<double>(points(i, j));
  std::vector<double> size = sizes;
  const auto distance = [&](std::size_t a, std::size_t b) {
    double s = 0;
    const double* p = centroid.data() + a * d;
    const double* q = centroid.data() + b * d;
    for (std::size_t j = 0; j < d; ++j) s += (p[j] - q[j]) * (p[j] - q[j]);
    return std::sqrt(2 * size[a] * size[b] / (size[a] + size[b]) * s);
  };
  const auto merge = [&](std::size_t x, std::size_t y) {
    const double total = size[x] + size[y];
    for (std::size_t j = 0; j < d; ++j)
      centroid[y * d + j] = (size[x] * centroid[x * d + j] + size[y] * centroid[y * d + j]) / total;
    size[y] = total;
  };
  return finish_tree(nn_chain(n, threads, distance, merge), std::move(sizes));
}

}  // namespace detail

/// The merge tree of the rows of X (n x d, n >= 2) by the linkage, on Euclidean distances.
/// Ward needs O(n d) memory beyond X; the other linkages keep every pairwise distance,
/// n (n - 1) / 2 doubles (20,000 customers: 1.6 GB), as scipy does. The same tree for any
/// number of threads.
template <class T>
MergeTree agglomerate(const xt::xtensor<T, 2>& X, Linkage linkage = Linkage::ward, std::size_t threads = 0) {
  detail::check_data(X, "X", threads);
  const std::size_t n = X.shape(0), d = X.shape(1);
  if (n < 2) throw error("a merge tree needs at least 2 customers, X has " + std::to_string(n));
  if (linkage == Linkage::ward) return detail::ward_tree(X, std::vector<double>(n, 1.0), threads);
  // The condensed distances: pair (i, j), i < j, at i n - i (i + 1) / 2 + j - i - 1.
  std::vector<double> D(n * (n - 1) / 2);
  const auto at = [n](std::size_t i, std::size_t j) {
    if (i > j) std::swap(i, j);
    return i * n - i * (i + 1) / 2 + j - i - 1;
  };
  detail::parallel_for(n, detail::threads_for(n * n * d / 2, threads), [&](std::size_t i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      double s = 0;
      for (std::size_t f = 0; f < d; ++f) {
        const double diff = static_cast<double>(X(i, f)) - static_cast<double>(X(j, f));
        s += diff * diff;
      }
      D[at(i, j)] = std::sqrt(s);
    }
  });
  std::vector<double> size(n, 1.0);
  std::vector<char> active(n, 1);
  const auto distance = [&](std::size_t a, std::size_t b) { return D[at(a, b)]; };
  const auto merge = [&](std::size_t x, std::size_t y) {
    // Lance-Williams: the distance of every other cluster to the union, kept at y.
    active[x] = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!active[i] || i == y) continue;
      const double dx = D[at(i, x)], dy = D[at(i, y)];
      double& to = D[at(i, y)];
      switch (linkage) {
        case Linkage::complete:
          to = std::max(dx, dy);
          break;
        case Linkage::average:
          to = (size[x] * dx + size[y] * dy) / (size[x] + size[y]);
          break;
        case Linkage::single:
          to = std::min(dx, dy);
          break;
        case Linkage::ward:
          break;
      }
    }
    size[y] += size[x];
  };
  return detail::finish_tree(detail::nn_chain(n, threads, distance, merge), std::vector<double>(n, 1.0));
}

/// Ward's merge tree of weighted points: `centres` (m x d) each standing for `sizes[i] > 0`
/// customers, as if every customer sat on its centre. The second stage of Ward for large
/// n: k-means into many micro-segments (a few hundred), then their tree; a cut at K gives
/// each micro-segment its segment. Heights are Ward distances between the weighted groups.
template <class T>
MergeTree ward_of_centres(const xt::xtensor<T, 2>& centres, const std::vector<double>& sizes, std::size_t threads = 0) {
  detail::check_data(centres, "the centres", threads);
  if (sizes.size() != centres.shape(0))
    throw error(std::to_string(sizes.size()) + " sizes for " + std::to_string(centres.shape(0)) + " centres");
  for (const double s : sizes)
    if (!(s > 0 && std::isfinite(s))) throw error("a centre's size must be a positive number");
  if (centres.shape(0) < 2) throw error("a merge tree needs at least 2 centres");
  return detail::ward_tree(centres, sizes, threads);
}

}  // namespace segkit
