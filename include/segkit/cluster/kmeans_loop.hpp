#pragma once
// Lloyd's k-means loop, with scikit-learn's stopping rules: stop when the
// labels no longer change, or when the summed squared centre shift falls to
// tol x the mean per-feature variance; then reassign once more so that the
// labels returned belong to the centres returned.
//
// The loop (detail::kmeans_loop) takes the assignment step as a parameter:
// every row against every centre (FullAssignment, here), or a step that skips
// rows whose bounds prove their label (cluster/bounds.hpp). Both give the same
// labels, so the centres, stopping and relocation are one code and one result.

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/core/clustering.hpp"
#include "segkit/core/comm.hpp"
#include "segkit/core/dispatch.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/format.hpp"
#include "segkit/core/huge_pages.hpp"
#include "segkit/core/matrix.hpp"
#include "segkit/core/options.hpp"
#include "segkit/core/parallel.hpp"
#include "segkit/core/work_memory.hpp"
#include "segkit/distance/concept.hpp"
#include "segkit/distance/nearest.hpp"
#include "segkit/distance/squared_euclidean.hpp"

namespace segkit {

namespace detail {

/// Mean over features of the population variance, in double, in one pass over
/// the rows: sums of (x - x0) and (x - x0)^2 with x0 the first row, which is
/// close enough to the mean that the difference of the two sums keeps its digits
/// (a plain sum of squares would lose them on uncentred data). Fixed chunks of
/// rows (sum_chunk_rows) on up to `threads` threads, merged in chunk order: the same
/// for any count, and for rows spread over the ranks of `comm` as `layout` says.
template <class T, Communicator Comm = SerialComm>
double mean_feature_variance(const xt::xtensor<T, 2>& X, std::size_t threads = 1, const Comm& comm = {},
                             const RowLayout* layout = nullptr) {
  const std::size_t d = X.shape(1);
  const RowLayout serial = layout ? RowLayout{} : RowLayout::serial(X.shape(0));
  const RowLayout& rows = layout ? *layout : serial;
  const std::size_t n = rows.n_global;
  // x0: the first row of all, from the rank that holds it.
  std::vector<double> shift(d);
  if (rows.count > 0 && rows.first == 0)
    for (std::size_t j = 0; j < d; ++j) shift[j] = static_cast<double>(X.data()[j]);
  if (rows.spread()) {
    std::size_t root = 0;
    while (rows.starts[root + 1] == 0) ++root;  // the first rank with rows
    broadcast_values(comm, shift.data(), d, root);
  }
  const std::vector<double> sums =
      fold_chunks(comm,
                  feature_chunk_sums<2>(X.data(), rows.count, d, sum_chunk_rows(n), threads,
                                        [&shift](double x, std::size_t j) {
                                          const double v = x - shift[j];
                                          return std::array<double, 2>{v, v * v};
                                        }),
                  2 * d);
  double total = 0;
  for (std::size_t j = 0; j < d; ++j) {
    const double mean = sums[2 * j] / static_cast<double>(n);
    total += std::max(0.0, sums[2 * j + 1] / static_cast<double>(n) - mean * mean);
  }
  return total / static_cast<double>(d);
}

/// The centre-shift tolerance in X's squared units: options.absolute_tol when given, else
/// tol x the mean feature variance (tol = 0, stop only when the labels stop changing,
/// needs no variance and skips its pass over X).
template <class T, Communicator Comm = SerialComm>
double absolute_tol(const xt::xtensor<T, 2>& X, const Options& options, const Comm& comm = {},
                    const RowLayout* layout = nullptr) {
  if (options.absolute_tol) return *options.absolute_tol;
  return options.tol > 0 ? options.tol * mean_feature_variance(X, options.threads, comm, layout) : 0.0;
}

/// Adds rows [b, e) of X to sums[label * d ...] (in double), each cluster's rows in row
/// order (the kernel's add_rows): the same bits for the fused sums and update_means.
/// With `only`, just the rows of the clusters c with only[c]; with counts, counts[c] +=
/// the rows of [b, e) labelled c (all of them, whatever `only` says).
template <class T>
void add_rows(const T* X, std::size_t d, const std::size_t* labels, std::size_t b, std::size_t e, std::size_t k,
              double* sums, const unsigned char* only = nullptr, std::size_t* counts = nullptr) {
  simd::active<T>().add_rows(X + b * d, e - b, d, labels + b, k, sums, only, counts);
}

/// counts[labels[i]] += 1 for the m rows, even and odd rows apart (kernels::count_labels),
/// the odd ones in a per-thread array.
inline void count_labels(const std::size_t* labels, std::size_t m, std::size_t* counts, std::size_t k) {
  thread_local std::vector<std::size_t> odd;
  odd.assign(k, 0);
  kernels::count_labels(labels, m, counts, k, odd.data());
}

/// The sum of best[b..e) in double, in four interleaved partial sums (one chain of
/// additions waits 4 cycles a row), added in a fixed order: the same for any thread
/// count. A distance below zero (a user's policy may return one) makes the sum NaN,
/// which the loop refuses: a sum of them could still look like an objective. The four
/// sums are one vector where the compiler has vector types (GCC vectorised neither the
/// sums nor the sign test: 5 % of a float Lloyd pass at 1,000,000 x 16 x 8); the same
/// additions in the same order either way.
template <class T>
double block_sum(const T* best, std::size_t b, std::size_t e) {
  double part[4] = {0, 0, 0, 0}, low[4] = {0, 0, 0, 0};
  std::size_t i = b;
#if defined(__GNUC__)
  using lanes = double __attribute__((vector_size(32)));
  using floats = float __attribute__((vector_size(16)));
  using source = std::conditional_t<sizeof(T) == sizeof(float), floats, lanes>;
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    lanes vpart = {0, 0, 0, 0}, vlow = {0, 0, 0, 0};
    for (; i + 4 <= e; i += 4) {
      source s;
      std::memcpy(&s, best + i, sizeof s);
      const lanes v = __builtin_convertvector(s, lanes);
      vpart += v;
      vlow = v < vlow ? v : vlow;
    }
    for (std::size_t l = 0; l < 4; ++l) {
      part[l] = vpart[l];
      low[l] = vlow[l];
    }
  }
#endif
  for (; i + 4 <= e; i += 4)
    for (std::size_t l = 0; l < 4; ++l) {
      part[l] += static_cast<double>(best[i + l]);
      low[l] = std::min(low[l], static_cast<double>(best[i + l]));
    }
  for (; i < e; ++i) {
    part[0] += static_cast<double>(best[i]);
    low[0] = std::min(low[0], static_cast<double>(best[i]));
  }
  // (NaN is in no lowest value, and makes the sum NaN by itself.)
  if (std::min(std::min(low[0], low[1]), std::min(low[2], low[3])) < 0) return std::numeric_limits<double>::quiet_NaN();
  return (part[0] + part[1]) + (part[2] + part[3]);
}

/// Rows an assignment step labels together (assignment_pass hands out blocks of this many).
inline constexpr std::size_t assignment_block = 256;

/// What an assignment pass may also measure while the rows are in cache (each only when asked).
struct PassOutputs {
  /// Each chunk's per-cluster sums (n_chunks x k x d, in double), so the mean update
  /// needs no second pass over X.
  std::vector<double>* chunk_sums = nullptr;
  /// Whether *chunk_sums already holds the sums of the labels the pass starts from (the
  /// same chunks): then a chunk keeps the sum of every cluster whose rows in it stayed
  /// (the same bits as summing them again) and sums again only the clusters that its
  /// rows left or joined (assignment_pass says when). A pass that changes no label sums none.
  bool resum_changed = false;
  /// Rows per cluster after the pass.
  std::vector<std::size_t>* counts = nullptr;
  /// Whether *counts already holds the counts of the labels the pass starts from: a step
  /// that reports its relabelled rows (RowsRead::open) then moves them by those rows
  /// instead of counting every row again.
  bool counts_kept = false;
  /// Rows whose label the pass changed (so no copy of the previous labels is kept;
  /// `labels` must then hold labels already).
  std::size_t* changed = nullptr;
  /// Whether the pass returns the summed distance of every row. Without it a bounded
  /// step measures only the rows its bounds cannot settle and returns their sum.
  bool objective = true;
  /// Each chunk's summed distance (what the returned sum adds up, in chunk order).
  std::vector<double>* chunk_objectives = nullptr;
  /// Rows per chunk; 0: sum_chunk_rows(n). Rows spread over ranks give the chunks of all
  /// the rows (sum_chunk_rows of the global count), which each rank holds whole.
  std::size_t chunk_rows = 0;
};

/// Which rows of a block an assignment step reads from X.
enum class RowsRead {
  /// Every row (a full step): a chunk that keeps sums (PassOutputs::resum_changed) sums a
  /// cluster again from the first block where a row left or joined it, that block's rows
  /// as they are labelled (in cache) and the earlier blocks' again from the chunk. The pass
  /// finds the changed labels by comparing each row's with a copy.
  every,
  /// Only the rows its bounds leave open: the clusters whose rows changed are summed again
  /// once the chunk is labelled, in one stream over the chunk (block by block, each new
  /// cluster would read the earlier blocks again: 1,000,000 x 16 x 64, one thread, 7-10 % slower).
  /// The step reports each label it changes (Relabelled), so the pass neither copies nor
  /// compares the block's labels, nor counts them again.
  open,
};

/// The rows of one block whose label an assignment step changed, as the step reports them
/// (RowsRead::open): at most assignment_block.
class Relabelled {
 public:
  struct Row {
    std::size_t row, from, to;
  };
  /// Row `row`, labelled `from`, gets `to`: kept only when the two differ, without a
  /// branch (near the boundary whether a measured row changes is a coin toss).
  void note(std::size_t row, std::size_t from, std::size_t to) {
    rows_[size_] = {row, from, to};
    size_ += from != to;
  }
  void clear() { size_ = 0; }
  std::size_t size() const { return size_; }
  const Row* begin() const { return rows_.data(); }
  const Row* end() const { return rows_.data() + size_; }

 private:
  std::array<Row, assignment_block> rows_;
  std::size_t size_ = 0;
};

/// One assignment pass over X, shared by every assignment step: chunks of
/// sum_chunk_rows(n) rows on up to `threads` threads, blocks of assignment_block rows within.
/// `make_worker()` gives each chunk a callable (b, e, Relabelled&) -> double that labels
/// rows [b, e) and returns their summed distance (it owns its scratch buffers); with
/// RowsRead::open it notes in the Relabelled each row whose label it changes. `out`
/// says what else to measure. Returns the summed distance, merged in chunk order:
/// independent of the thread count, as every output is.
template <class T, class MakeWorker>
double assignment_pass(const xt::xtensor<T, 2>& X, std::size_t k, const std::size_t* labels, std::size_t threads,
                       const PassOutputs& out, RowsRead reads, MakeWorker&& make_worker) {
  const std::size_t n = X.shape(0), d = X.shape(1);
  const std::size_t chunk = out.chunk_rows ? out.chunk_rows : sum_chunk_rows(n), n_chunks = chunk_count(n, chunk);
  const bool resum = out.chunk_sums && out.resum_changed && out.chunk_sums->size() == n_chunks * k * d;
  if (out.chunk_sums && !resum) out.chunk_sums->assign(n_chunks * k * d, 0.0);
  const bool compare = out.changed || resum;
  // A step that reads only the open rows reports the labels it changed: its report stands
  // for the copy and comparison of every label, and moves the kept counts.
  const bool reported = compare && reads == RowsRead::open;
  const bool delta_counts = reported && out.counts && out.counts_kept && out.counts->size() == k;
  std::vector<double> partial(n_chunks);
  std::vector<std::size_t> moved(out.changed ? n_chunks : 0), chunk_counts(out.counts ? n_chunks * k : 0);
  parallel_for(n_chunks, threads, [&](std::size_t c) {
    auto assign_block = make_worker();
    std::array<std::size_t, assignment_block> before;
    std::array<std::uint16_t, assignment_block> moved_rows;
    Relabelled relabelled;
    // With resum: the clusters that rows of this chunk left or joined (touched), and
    // those first touched in the current block (fresh).
    std::vector<unsigned char> touched(resum ? k : 0), fresh(resum ? k : 0);
    std::size_t n_touched = 0;
    const std::size_t chunk_begin = c * chunk, chunk_end = std::min(n, (c + 1) * chunk);
    double* const sums = out.chunk_sums ? out.chunk_sums->data() + c * k * d : nullptr;
    double sum = 0;
    std::size_t chunk_moved = 0;
    // The sums of the clusters in `which`, made again from the chunk's rows before `end`.
    const auto sum_again = [&](std::size_t end, const unsigned char* which) {
      for (std::size_t cl = 0; cl < k; ++cl)
        if (which[cl]) std::fill_n(sums + cl * d, d, 0.0);
      add_rows(X.data(), d, labels, chunk_begin, end, k, sums, which);
    };
    for (std::size_t b = chunk_begin; b < chunk_end; b += assignment_block) {
      const std::size_t e = std::min(chunk_end, b + assignment_block);
      if (compare && !reported) std::copy(labels + b, labels + e, before.begin());
      relabelled.clear();
      sum += assign_block(b, e, relabelled);
      std::size_t block_moved = 0;
      if (reported) {
        block_moved = relabelled.size();
      } else if (compare) {
        for (std::size_t i = b; i < e; ++i) block_moved += before[i - b] != labels[i];
        // Where the clusters that rows left or joined are to be marked (below), the moved
        // rows are listed, from the block's first. Few (late passes): only the groups of 8
        // rows where one moved, found by a branch that rarely goes the other way. Many:
        // every row, without a branch (whether a row near the boundary moved is a coin toss).
        if (block_moved > 0 && resum && n_touched < k) {
          std::size_t listed = 0;
          const auto list = [&](std::size_t from, std::size_t to) {
            for (std::size_t i = from; i < to; ++i) {
              moved_rows[listed] = static_cast<std::uint16_t>(i - b);
              listed += before[i - b] != labels[i];
            }
          };
          if (16 * block_moved <= e - b) {
            for (std::size_t g = b; g < e; g += 8) {
              const std::size_t ge = std::min(e, g + 8);
              std::size_t differ = 0;
              for (std::size_t i = g; i < ge; ++i) differ |= before[i - b] ^ labels[i];
              if (differ != 0) list(g, ge);
            }
          } else {
            list(b, e);
          }
        }
      }
      chunk_moved += block_moved;
      // Each cluster a row of the block left or joined, marked in `set`: only the moved rows'
      // (a mark of every row's clusters, set[was] |= moved, chained the rows through memory:
      // 70 % of the pass's own time at 100,000 x 8 x 8).
      const auto mark_changed = [&](unsigned char* set) {
        if (reported) {
          for (const Relabelled::Row& r : relabelled) set[r.from] = set[r.to] = 1;
          return;
        }
        for (std::size_t r = 0; r < block_moved; ++r) {
          const std::size_t row = moved_rows[r];
          set[before[row]] = 1;
          set[labels[b + row]] = 1;
        }
      };
      if (resum && block_moved > 0 && reads == RowsRead::open) mark_changed(touched.data());
      if (resum && block_moved > 0 && reads == RowsRead::every && n_touched < k) {
        mark_changed(fresh.data());
        std::size_t n_fresh = 0;
        for (std::size_t cl = 0; cl < k; ++cl) {
          fresh[cl] &= !touched[cl];
          n_fresh += fresh[cl];
        }
        // A cluster first touched here: its rows of the earlier blocks summed again, in
        // row order, before this block's are added.
        if (n_fresh > 0) {
          sum_again(b, fresh.data());
          for (std::size_t cl = 0; cl < k; ++cl) {
            touched[cl] |= fresh[cl];
            fresh[cl] = 0;
          }
          n_touched += n_fresh;
        }
      }
      if (delta_counts) {
        // Unsigned: a chunk's count of a cluster may fall below zero here and wraps; the
        // totals, added below, are exact.
        std::size_t* counts = chunk_counts.data() + c * k;
        for (const Relabelled::Row& r : relabelled) {
          ++counts[r.to];
          --counts[r.from];
        }
      }
      // The counts taken where the sums' kernel reads the block's labels anyway, else here.
      std::size_t* const block_counts = out.counts && !delta_counts ? chunk_counts.data() + c * k : nullptr;
      if (sums && !resum)
        add_rows(X.data(), d, labels, b, e, k, sums, nullptr, block_counts);
      else if (resum && reads == RowsRead::every && n_touched > 0)
        add_rows(X.data(), d, labels, b, e, k, sums, n_touched < k ? touched.data() : nullptr, block_counts);
      else if (block_counts)
        count_labels(labels + b, e - b, block_counts, k);
    }
    if (resum && reads == RowsRead::open && chunk_moved > 0) sum_again(chunk_end, touched.data());
    partial[c] = sum;
    if (out.changed) moved[c] = chunk_moved;
  });
  if (out.changed) *out.changed = std::accumulate(moved.begin(), moved.end(), std::size_t{0});
  if (out.counts) {
    if (!delta_counts) out.counts->assign(k, 0);
    for (std::size_t c = 0; c < n_chunks; ++c)
      for (std::size_t cl = 0; cl < k; ++cl) (*out.counts)[cl] += chunk_counts[c * k + cl];
  }
  const double total = std::accumulate(partial.begin(), partial.end(), 0.0);
  if (out.chunk_objectives) *out.chunk_objectives = std::move(partial);
  return total;
}

/// Assigns each row its nearest centre (the first on ties). Returns the summed
/// distance, merged in chunk order so it does not depend on the thread count;
/// `out` as for assignment_pass.
template <class T, class D>
double assign_nearest(const D& distance, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& centers,
                      std::size_t* labels, T* nearest, std::size_t threads, const PassOutputs& out = {}) {
  const std::size_t k = centers.shape(0);
  return assignment_pass(X, k, labels, threads_for(X.size() * k, threads), out, RowsRead::every, [&] {
    return [&, scratch = std::vector<T>()](std::size_t b, std::size_t e, Relabelled&) mutable {
      detail::nearest(distance, X, b, e, centers, labels + b, nearest + b, scratch);
      return block_sum(nearest, b, e);
    };
  });
}

/// A distance whose centre is the plain mean (it says so with `center_is_mean`):
/// the loop then sums each cluster in the assignment pass instead of gathering members.
template <class D>
concept CentreIsMean = requires {
  requires D::center_is_mean;
};

/// Each cluster's mean from its summed rows (k x d, in double) and its row count.
template <class T>
void means_from_totals(const std::vector<double>& total, const std::vector<std::size_t>& counts,
                       xt::xtensor<T, 2>& centers) {
  const std::size_t k = counts.size(), d = centers.shape(1);
  for (std::size_t cl = 0; cl < k; ++cl)
    for (std::size_t j = 0; j < d; ++j)
      centers(cl, j) = static_cast<T>(total[cl * d + j] / static_cast<double>(counts[cl]));
}

/// Each cluster's mean from per-chunk partial sums, added in chunk order (across the
/// ranks of `comm`, whose chunks come in rank order).
template <class T, Communicator Comm = SerialComm>
void means_from_chunk_sums(std::vector<double> partial, const std::vector<std::size_t>& counts,
                           xt::xtensor<T, 2>& centers, const Comm& comm = {}) {
  means_from_totals(fold_chunks(comm, std::move(partial), counts.size() * centers.shape(1)), counts, centers);
}

/// Each cluster's mean in one pass over X, in the chunks of assign_nearest's
/// fused sums (so both give the same bits), independent of the thread count: what the
/// loop's kept sums (and means_after_moves) must equal, bit for bit; the tests check
/// them against it. `chunk`: the rows per chunk (0: sum_chunk_rows(n)).
template <class T, Communicator Comm = SerialComm>
void update_means(const xt::xtensor<T, 2>& X, const std::vector<std::size_t>& labels,
                  const std::vector<std::size_t>& counts, xt::xtensor<T, 2>& centers, std::size_t threads,
                  const Comm& comm = {}, std::size_t chunk = 0) {
  const std::size_t n = X.shape(0), d = X.shape(1), k = counts.size();
  if (chunk == 0) chunk = sum_chunk_rows(n);
  const std::size_t n_chunks = chunk_count(n, chunk);
  std::vector<double> partial(n_chunks * k * d, 0.0);
  parallel_for(n_chunks, n * d < (std::size_t{1} << 18) ? 1 : threads, [&](std::size_t c) {
    add_rows(X.data(), d, labels.data(), c * chunk, std::min(n, (c + 1) * chunk), k, partial.data() + c * k * d);
  });
  means_from_chunk_sums(std::move(partial), counts, centers, comm);
}

/// A row the loop moves to an empty cluster: the rank's own row index, and its new cluster.
struct Move {
  std::size_t row, cluster;
};

/// The `count` rows of [0, n) farthest from their centres (nearest[i]), farthest first and
/// the earlier row on ties: a total order, so the same rows as a sort of all n would give,
/// found in one pass with a heap of `count` (no n-long index array).
template <class T>
std::vector<std::size_t> farthest_rows(const T* nearest, std::size_t n, std::size_t count) {
  const auto farther = [&](std::size_t a, std::size_t b) {
    return nearest[a] > nearest[b] || (nearest[a] == nearest[b] && a < b);
  };
  std::vector<std::size_t> kept;  // a heap whose top is the nearest row kept
  kept.reserve(count);
  for (std::size_t i = 0; i < n && count > 0; ++i) {
    if (kept.size() < count) {
      kept.push_back(i);
      std::push_heap(kept.begin(), kept.end(), farther);
    } else if (farther(i, kept.front())) {
      std::pop_heap(kept.begin(), kept.end(), farther);
      kept.back() = i;
      std::push_heap(kept.begin(), kept.end(), farther);
    }
  }
  std::sort_heap(kept.begin(), kept.end(), farther);
  return kept;
}

/// Each cluster's mean once `moves` are made, with update_means' bits and without its pass
/// over X: a chunk's kept sums (`chunk_sums`, of the labels before the moves, as
/// assignment_pass keeps them) stand for every chunk where no row moved, and only the
/// chunks holding a moved row are summed again. `chunk`: the rows per chunk, as the pass's.
template <class T, Communicator Comm = SerialComm>
void means_after_moves(const xt::xtensor<T, 2>& X, const std::size_t* labels, const std::vector<Move>& moves,
                       std::vector<double> chunk_sums, const std::vector<std::size_t>& counts,
                       xt::xtensor<T, 2>& centers, std::size_t chunk, const Comm& comm = {}) {
  const std::size_t n = X.shape(0), d = X.shape(1), k = counts.size();
  std::vector<std::size_t> moved_labels;
  for (std::size_t m = 0; m < moves.size(); ++m) {
    const std::size_t c = moves[m].row / chunk, begin = c * chunk, end = std::min(n, begin + chunk);
    // Each chunk once, with every move into it (moves are few, each checked against all).
    bool seen = false;
    for (std::size_t earlier = 0; earlier < m && !seen; ++earlier) seen = moves[earlier].row / chunk == c;
    if (seen) continue;
    moved_labels.assign(labels + begin, labels + end);
    for (const Move& move : moves)
      if (move.row / chunk == c) moved_labels[move.row - begin] = move.cluster;
    double* sums = chunk_sums.data() + c * k * d;
    std::fill_n(sums, k * d, 0.0);
    add_rows(X.data() + begin * d, d, moved_labels.data(), 0, end - begin, k, sums);
  }
  means_from_chunk_sums(std::move(chunk_sums), counts, centers, comm);
}

/// Gives every empty cluster the row farthest from its own centre (taken from a cluster
/// that keeps at least one row), as scikit-learn does; counts are every rank's, and rows
/// are global rows (the rank's own are layout.first + i). Returns whether any cluster
/// was empty, and in `moves` the rank's rows to move (the labels themselves are left as
/// they are). Every rank makes the same choices from the same candidates: each rank's
/// farthest rows, gathered. `measure(count)` is called before the `count` farthest rows are
/// read from `nearest`: a caller whose distances are not all there yet measures them then.
template <class T, Communicator Comm = SerialComm, class Measure = void (*)(std::size_t)>
bool relocate_empty(
    const std::size_t* labels, std::size_t n, const T* nearest, std::vector<std::size_t>& counts,
    std::vector<Move>& moves, const Comm& comm = {}, const RowLayout* layout = nullptr,
    Measure&& measure = [](std::size_t) {}) {
  const std::size_t k = counts.size();
  const std::size_t first = layout ? layout->first : 0;
  const std::size_t empty = static_cast<std::size_t>(std::count(counts.begin(), counts.end(), std::size_t{0}));
  moves.clear();
  if (empty == 0) return false;
  // Only the first few are taken, so each rank offers its farthest few: among them are the
  // farthest of all. Only if they run out are all rows offered.
  for (std::size_t offered = std::min(n, 4 * empty + 64);; offered = n) {
    measure(offered);
    const std::vector<std::size_t> order = farthest_rows(nearest, n, offered);
    std::vector<double> value(offered);
    std::vector<unsigned long long> row(offered), label(offered);
    for (std::size_t r = 0; r < offered; ++r) {
      value[r] = static_cast<double>(nearest[order[r]]);
      row[r] = first + order[r];
      label[r] = labels[order[r]];
    }
    const std::vector<double> all_value = comm.allgather(std::move(value));
    const std::vector<unsigned long long> all_row = comm.allgather(std::move(row)),
                                          all_label = comm.allgather(std::move(label));
    std::vector<std::size_t> candidates(all_value.size());
    std::iota(candidates.begin(), candidates.end(), std::size_t{0});
    std::sort(candidates.begin(), candidates.end(), [&](std::size_t a, std::size_t b) {
      return all_value[a] > all_value[b] || (all_value[a] == all_value[b] && all_row[a] < all_row[b]);
    });
    std::vector<std::size_t> trial = counts;
    std::vector<std::pair<std::size_t, std::size_t>> global_moves;  // (global row, new label)
    std::size_t next = 0;
    bool enough = true;
    for (std::size_t c = 0; c < k && enough; ++c) {
      if (trial[c] != 0) continue;
      while (next < candidates.size() && trial[all_label[candidates[next]]] < 2) ++next;
      if (next == candidates.size()) {
        enough = false;
        break;
      }
      const std::size_t pick = candidates[next++];
      --trial[all_label[pick]];
      trial[c] = 1;
      global_moves.emplace_back(all_row[pick], c);
    }
    // Whether every rank offered every row already: then there is nothing more to offer.
    if (enough || comm.all(offered == n)) {
      counts = std::move(trial);
      for (const auto& [global, c] : global_moves)
        if (global >= first && global < first + n) moves.push_back({global - first, c});
      return true;
    }
  }
}

/// Lloyd's assignment step: every row against every centre.
struct FullAssignment {
  /// Whether the last assign() filled `nearest` with each row's distance to its centre
  /// and returned their sum (a bounded step skips rows and does neither).
  bool nearest_exact() const { return true; }

  template <class T, class D>
  double assign(const D& distance, const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& centers, std::size_t* labels,
                T* nearest, std::size_t threads, const PassOutputs& out) {
    return assign_nearest(distance, X, centers, labels, nearest, threads, out);
  }
  /// Called when the loop moved rows itself (an empty cluster was relocated).
  void reset() {}
};

/// Whether Lloyd's loop checks X's values in its first pass instead of a pass of
/// their own: with SquaredEuclidean a NaN or an infinity in a row makes that pass's
/// sum non-finite. Any other distance (a user's may turn NaN into a number) has X
/// scanned first, by check_start.
template <class D>
inline constexpr bool first_pass_checks_values = std::is_same_v<D, SquaredEuclidean>;

/// The checks every clusterer makes on its starting point; `who` names it in messages.
/// Without `scan_values`, X's values are left to the first pass (first_pass_checks_values).
template <class T>
void check_start(const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& initial_centers, const Options& options,
                 const char* who, bool scan_values = true) {
  const std::size_t n = X.shape(0), d = X.shape(1), k = initial_centers.shape(0);
  if (scan_values)
    check_data(X, "X", options.threads);
  else if (n == 0 || d == 0)
    check_data(X, "X");  // names the empty side
  // Appended, not built as string(who) + "...": GCC 12 reports a false -Wrestrict on that.
  std::string message(who);
  if (k == 0) throw error(message.append(" needs at least one starting centre"));
  if (k > n)
    throw error(message.append(" was given ")
                    .append(std::to_string(k))
                    .append(" starting centres for ")
                    .append(std::to_string(n))
                    .append(" rows"));
  if (initial_centers.shape(1) != d)
    throw error("the starting centres have " + std::to_string(initial_centers.shape(1)) +
                " feature(s) but the data has " + std::to_string(d));
  check_finite(initial_centers, "the starting centres");
  if (options.max_iter == 0) throw error("max_iter must be at least 1");
  if (!(options.tol >= 0)) throw error("tol must be a non-negative number");
  if (options.absolute_tol && !(*options.absolute_tol >= 0)) throw error("absolute_tol must be a non-negative number");
}

/// Ends a fit whose summed distance is not a finite number: X holds NaN or an
/// infinity (for SquaredEuclidean, whose first pass is X's only check: the message
/// names the row and column), the squares of X's values overflow, or the distance
/// policy returned NaN or a value below zero.
template <class T, class D>
[[noreturn]] void refuse_distances(const D& distance, const xt::xtensor<T, 2>& X, double sum, std::size_t threads) {
  (void)distance;
  check_finite(X, "X", threads);
  if (std::isinf(sum) && sum > 0) {
    double largest = 0;
    for (const T v : X) largest = std::max(largest, std::abs(static_cast<double>(v)));
    throw error(
        "the distances overflow to infinity: X holds values as large as " + format_number(largest) +
        ", whose squares are beyond the range of the value type; scale the data first (a scaler, or other units)");
  }
  throw error("the distance policy " + policy_name<D>() +
              " returned NaN or a negative value; a distance must be a number of at least zero");
}

/// Lloyd's loop around an assignment step. Any step that gives the same labels
/// as FullAssignment gives the same clustering, bit for bit.
template <class T, class D, class Step, Communicator Comm = SerialComm>
Clustering<T> kmeans_loop(const xt::xtensor<T, 2>& X, const xt::xtensor<T, 2>& initial_centers, const D& distance,
                          const Options& options, Step& step, const Comm& comm = {},
                          const RowLayout* layout = nullptr) {
  const std::size_t n = X.shape(0), d = X.shape(1), k = initial_centers.shape(0);
  // Rows spread over ranks: every sum in the chunks of all the rows, gathered in chunk order.
  const bool spread = layout && layout->spread();
  const std::size_t chunk = sum_chunk_rows(layout ? layout->n_global : n);
  const double tol = absolute_tol(X, options, comm, layout);
  const std::size_t threads = options.threads;

  Clustering<T> result;
  result.centers = initial_centers;
  // Left unset (every pass writes every row): n-long fills cost a serial pass each.
  result.labels = xt::empty<std::size_t>({n});
  prefer_huge_pages(result.labels.data(), n * sizeof(std::size_t));
  xt::xtensor<T, 2>& centers = result.centers;
  xt::xtensor<T, 2> next_centers = centers;

  std::size_t* labels = result.labels.data();
  // Rows moved to empty clusters: the assignment's labels stay as they are (its bounds hold
  // for them); the centres are updated as if the moves were made (for a centre that is no
  // mean, from this copy of the labels with them, made only then).
  std::vector<Move> moves;
  std::vector<std::size_t> relocated_labels;
  const work_array<T> nearest_values = make_work_array<T>(n);
  T* const nearest = nearest_values.get();
  std::vector<std::size_t> counts(k), offsets(k + 1), members;  // members: only for a non-mean centre
  // This rank's rows per cluster of the assignment's labels (counts: of every rank, with the moves).
  std::vector<std::size_t> label_counts;
  std::vector<double> chunk_sums, chunk_objectives;

  bool strict = false;
  double pass_sum = 0;  // the last pass's summed distance
  for (std::size_t it = 0; it < options.max_iter; ++it) {
    // Rows whose label changed (of all ranks); the first pass has no labels to compare with.
    std::size_t changed = layout ? layout->n_global : n;
    // The first pass measures every row whatever the step: its sum is X's check.
    PassOutputs out{.chunk_sums = CentreIsMean<D> ? &chunk_sums : nullptr,
                    .resum_changed = it > 0,
                    .counts = &label_counts,
                    .counts_kept = it > 0,
                    .changed = it > 0 ? &changed : nullptr,
                    .objective = options.inertia_trace,
                    .chunk_objectives = spread ? &chunk_objectives : nullptr,
                    .chunk_rows = chunk};
    pass_sum = step.assign(distance, X, centers, labels, nearest, threads, out);
    counts = label_counts;
    if (spread) {
      pass_sum = fold_chunks(comm, std::move(chunk_objectives), 1)[0];
      const std::vector<unsigned long long> all_counts =
          sum_counts(comm, std::vector<unsigned long long>(counts.begin(), counts.end()));
      counts.assign(all_counts.begin(), all_counts.end());
      if (it > 0) changed = comm.sum(changed);
    }
    if (!std::isfinite(pass_sum)) refuse_distances(distance, X, pass_sum, threads);
    if (options.inertia_trace) result.inertia_trace.push_back(pass_sum);
    bool relocated = false;
    if (std::find(counts.begin(), counts.end(), std::size_t{0}) != counts.end()) {
      // The farthest rows are needed. A bounded step measures those its upper bounds cannot
      // rule out, where it can; else every row is measured.
      bool measured = step.nearest_exact();
      const auto measure = [&](std::size_t count) {
        if (measured) return;
        if constexpr (requires { step.measure_farthest(distance, X, centers, nearest, threads, count); })
          if (count < n && step.measure_farthest(distance, X, centers, nearest, threads, count)) return;
        assign_nearest(distance, X, centers, labels, nearest, threads);
        measured = true;
      };
      relocated = relocate_empty(labels, n, nearest, counts, moves, comm, layout, measure);
      step.reset();
    }

    if constexpr (CentreIsMean<D>) {
      // The sums are kept either way: the next pass starts from them (the moves are the loop's alone).
      if (relocated)
        means_after_moves(X, labels, moves, chunk_sums, counts, next_centers, chunk, comm);
      else
        means_from_chunk_sums(chunk_sums, counts, next_centers, comm);
    } else {
      const std::size_t* update_labels = labels;
      if (relocated) {
        relocated_labels.assign(labels, labels + n);
        for (const Move& move : moves) relocated_labels[move.row] = move.cluster;
        update_labels = relocated_labels.data();
      }
      // A centre that is no mean needs every member's row: one rank's rows at most.
      if (spread) throw error("a distance whose centre is not the mean cannot have its rows spread over ranks");
      // Members of each cluster in row order (a counting sort), then each centre.
      members.resize(n);
      offsets[0] = 0;
      for (std::size_t c = 0; c < k; ++c) offsets[c + 1] = offsets[c] + counts[c];
      std::vector<std::size_t> fill(offsets.begin(), offsets.end() - 1);
      for (std::size_t i = 0; i < n; ++i) members[fill[update_labels[i]]++] = i;
      parallel_for(k, threads, [&](std::size_t c) {
        distance.center(X, std::span<const std::size_t>(members.data() + offsets[c], counts[c]),
                        std::span<T>(next_centers.data() + c * d, d));
      });
    }

    double shift = 0;
    for (std::size_t i = 0; i < k * d; ++i) {
      const double diff = static_cast<double>(next_centers.data()[i]) - centers.data()[i];
      shift += diff * diff;
    }
    std::swap(centers, next_centers);
    result.iterations = it + 1;
    if (!relocated && changed == 0) {
      strict = true;
      break;
    }
    if (shift <= tol) {
      result.converged = true;
      break;
    }
  }
  result.converged = result.converged || strict;
  if (!strict) {
    // The labels of the final centres, and, asked for the objective, every row's distance
    // to its centre summed in chunk order: the inertia, with no pass of its own.
    PassOutputs last{.chunk_objectives = spread ? &chunk_objectives : nullptr, .chunk_rows = chunk};
    result.inertia = step.assign(distance, X, centers, labels, nearest, threads, last);
    if (spread) result.inertia = fold_chunks(comm, std::move(chunk_objectives), 1)[0];
  } else if (comm.all(step.nearest_exact())) {
    // Stopped on unchanged labels, the centres are the ones the last full assignment
    // measured (the same sums, in the same order): its summed distance is the inertia.
    result.inertia = pass_sum;
  } else {
    result.inertia = fold_chunks(comm, labelled_inertia_chunks(distance, X, centers, labels, threads, chunk), 1)[0];
  }
  if (!std::isfinite(result.inertia)) refuse_distances(distance, X, result.inertia, threads);
  return result;
}

}  // namespace detail

}  // namespace segkit
