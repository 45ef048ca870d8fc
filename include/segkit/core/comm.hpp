#pragma once
// Communicator policies: how a computation whose rows are spread over several
// processes (ranks) exchanges what it must. SerialComm is one process holding
// every row, and costs nothing; segkit::mpi::MpiComm (segkit/mpi/comm.hpp, target
// segkit::mpi) wraps an MPI communicator. The core never includes MPI.
//
// What makes a spread run give the one-machine answer bit for bit: every sum over
// rows is cut into chunks of rows fixed by the global row count alone (the chunks
// of one machine's threads), each rank holds whole chunks (RowLayout; rows are moved
// between ranks once, at the start, where a caller's split cuts a chunk), and the
// per-chunk partial sums of every rank are gathered and added in chunk order on
// every rank, as one machine adds its threads' chunks.

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "segkit/core/error.hpp"

namespace segkit {

/// What a communicator gives: its rank and size, every rank's vector concatenated in
/// rank order (allgather), an integer sum, a logical and, a broadcast, and the
/// exchange of byte blocks between every pair of ranks (alltoall). Every rank calls each
/// in the same order (they are collective).
template <class C>
concept Communicator = requires(const C& c, std::vector<double> d, std::vector<unsigned long long> u,
                                std::vector<std::vector<unsigned char>> blocks, unsigned char* p, std::size_t n) {
  { c.rank() } -> std::convertible_to<std::size_t>;
  { c.size() } -> std::convertible_to<std::size_t>;
  { c.allgather(d) } -> std::same_as<std::vector<double>>;
  { c.allgather(u) } -> std::same_as<std::vector<unsigned long long>>;
  { c.sum(n) } -> std::same_as<std::size_t>;
  { c.all(true) } -> std::same_as<bool>;
  c.broadcast(p, n, n);
  { c.alltoall(std::move(blocks)) } -> std::same_as<std::vector<std::vector<unsigned char>>>;
};

/// One process holding every row: each operation gives back what it was given.
struct SerialComm {
  std::size_t rank() const { return 0; }
  std::size_t size() const { return 1; }
  template <class T>
  std::vector<T> allgather(std::vector<T> local) const {
    return local;
  }
  std::size_t sum(std::size_t value) const { return value; }
  bool all(bool value) const { return value; }
  void broadcast(unsigned char*, std::size_t, std::size_t) const {}
  std::vector<std::vector<unsigned char>> alltoall(std::vector<std::vector<unsigned char>> blocks) const {
    return blocks;
  }
};

/// Where a rank's rows lie among all the rows: global rows [first, first + count) of
/// n_global, and every rank's first row (starts[r], rank order, ascending; starts[size]
/// = n_global). One process: first = 0 and count = n_global.
struct RowLayout {
  std::size_t n_global = 0;
  std::size_t first = 0;
  std::size_t count = 0;
  std::vector<std::size_t> starts;

  static RowLayout serial(std::size_t n) { return {n, 0, n, {0, n}}; }
  bool spread() const { return starts.size() > 2; }
};

/// The layout of the rows each rank holds, in rank order (collective).
template <Communicator Comm>
RowLayout gather_layout(const Comm& comm, std::size_t local_rows) {
  const std::vector<unsigned long long> counts = comm.allgather(std::vector<unsigned long long>{local_rows});
  RowLayout layout;
  layout.starts.push_back(0);
  for (const unsigned long long c : counts) layout.starts.push_back(layout.starts.back() + static_cast<std::size_t>(c));
  layout.n_global = layout.starts.back();
  layout.first = layout.starts[comm.rank()];
  layout.count = local_rows;
  return layout;
}

/// The same value on every rank: rank `root`'s (collective). T is trivially copyable.
template <Communicator Comm, class T>
requires std::is_trivially_copyable_v<T>
void broadcast_values(const Comm& comm, T* data, std::size_t count, std::size_t root) {
  comm.broadcast(reinterpret_cast<unsigned char*>(data), count * sizeof(T), root);
}

/// Every rank's blocks of `width` values (any number of them per rank), gathered in rank
/// order and combined entry by entry in that order, from `start`: total[e] =
/// op(...op(op(start, block0[e]), block1[e])..., last[e]). The same on every rank.
template <Communicator Comm, class T, class Op>
std::vector<T> fold_blocks(const Comm& comm, std::vector<T> local, std::size_t width, T start, Op op) {
  const std::vector<T> all = comm.allgather(std::move(local));
  std::vector<T> total(width, start);
  if (width == 0) return total;
  for (std::size_t at = 0; at + width <= all.size(); at += width)
    for (std::size_t e = 0; e < width; ++e) total[e] = op(total[e], all[at + e]);
  return total;
}

/// Every rank's per-chunk partial sums (each `width` doubles), gathered in rank order,
/// which is chunk order, and added in that order: one machine's fold of its chunks.
template <Communicator Comm>
std::vector<double> fold_chunks(const Comm& comm, std::vector<double> local, std::size_t width) {
  return fold_blocks(comm, std::move(local), width, 0.0, std::plus<>{});
}

/// Counts summed entry by entry over the ranks (each rank gives one vector of the same length).
template <Communicator Comm>
std::vector<unsigned long long> sum_counts(const Comm& comm, std::vector<unsigned long long> local) {
  const std::size_t width = local.size();
  return fold_blocks(comm, std::move(local), width, 0ULL, std::plus<>{});
}

/// Every rank's bytes, by rank (collective).
template <Communicator Comm>
std::vector<std::vector<unsigned char>> allgather_bytes(const Comm& comm, const std::vector<unsigned char>& local) {
  return comm.alltoall(std::vector<std::vector<unsigned char>>(comm.size(), local));
}

/// Every rank's bytes on rank `root`, by rank; the other ranks get nothing (collective).
template <Communicator Comm>
std::vector<std::vector<unsigned char>> gather_bytes(const Comm& comm, std::vector<unsigned char> local,
                                                     std::size_t root) {
  std::vector<std::vector<unsigned char>> blocks(comm.size());
  blocks[root] = std::move(local);
  return comm.alltoall(std::move(blocks));
}

/// Every rank's verdict on its part of a computation: when a rank finds a problem, every
/// rank throws the same segkit::error, the message of the first rank that found one
/// ("rank 2: ..."), so that none waits in a collective call for a rank that has stopped
/// and each can say what went wrong. Collective.
template <Communicator Comm>
void agree(const Comm& comm, const std::string& problem) {
  if (comm.all(problem.empty())) return;
  const auto problems = allgather_bytes(comm, std::vector<unsigned char>(problem.begin(), problem.end()));
  for (std::size_t r = 0; r < problems.size(); ++r)
    if (!problems[r].empty())
      throw error("rank " + std::to_string(r) + ": " + std::string(problems[r].begin(), problems[r].end()));
}

/// Texts as bytes (each its length, then its characters), and back.
inline void pack_text(std::vector<unsigned char>& out, const std::string& text) {
  const std::uint64_t size = text.size();
  const auto* bytes = reinterpret_cast<const unsigned char*>(&size);
  out.insert(out.end(), bytes, bytes + sizeof size);
  out.insert(out.end(), text.begin(), text.end());
}
inline std::vector<std::string> unpack_texts(const std::vector<unsigned char>& in) {
  std::vector<std::string> out;
  for (std::size_t at = 0; at + sizeof(std::uint64_t) <= in.size();) {
    std::uint64_t size = 0;
    std::memcpy(&size, in.data() + at, sizeof size);
    at += sizeof size;
    out.emplace_back(reinterpret_cast<const char*>(in.data() + at), static_cast<std::size_t>(size));
    at += static_cast<std::size_t>(size);
  }
  return out;
}

/// Rank `root`'s text on every rank (collective).
template <Communicator Comm>
std::string broadcast_text(const Comm& comm, std::string text, std::size_t root) {
  std::uint64_t size = text.size();
  broadcast_values(comm, &size, 1, root);
  text.resize(static_cast<std::size_t>(size));
  if (size > 0) comm.broadcast(reinterpret_cast<unsigned char*>(text.data()), text.size(), root);
  return text;
}

/// How many distinct texts the ranks hold together: each text is sent to the rank its hash
/// names, which counts the distinct ones it receives exactly (collective).
template <Communicator Comm>
std::size_t distinct_count(const Comm& comm, const std::vector<std::string>& local) {
  const std::size_t ranks = comm.size();
  std::vector<std::vector<unsigned char>> blocks(ranks);
  const std::hash<std::string> hasher;
  for (const std::string& text : local) pack_text(blocks[ranks == 1 ? 0 : hasher(text) % ranks], text);
  std::vector<std::string> mine;
  for (const std::vector<unsigned char>& block : comm.alltoall(std::move(blocks))) {
    std::vector<std::string> texts = unpack_texts(block);
    std::move(texts.begin(), texts.end(), std::back_inserter(mine));
  }
  std::sort(mine.begin(), mine.end());
  const std::size_t here = static_cast<std::size_t>(std::unique(mine.begin(), mine.end()) - mine.begin());
  return comm.sum(here);
}

/// The rank holding global row `row` of a layout.
inline std::size_t owner_of(const RowLayout& layout, std::size_t row) {
  return static_cast<std::size_t>(std::upper_bound(layout.starts.begin(), layout.starts.end(), row) -
                                  layout.starts.begin()) -
         1;
}

}  // namespace segkit
