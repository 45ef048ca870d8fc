#pragma once
// Progress of long work, reported to a callback instead of printed: the
// library never writes to a terminal; a tool or a backend decides what to show.

#include <cstddef>
#include <functional>

namespace segkit {

/// One step of a long task done: `done` of `total` steps of `task`. Tasks nest:
/// a K sweep ("K") runs starts ("start") for each K, and a caller sees both.
struct Progress {
  const char* task;  ///< "read" (bytes), "K" (K of a sweep), "start" (starts of one fit)
  std::size_t done;
  std::size_t total;
};

/// Called on the caller's thread, between steps (never from segkit's worker threads).
using ProgressCallback = std::function<void(const Progress&)>;

namespace detail {
inline void report(const ProgressCallback& callback, const char* task, std::size_t done, std::size_t total) {
  if (callback) callback(Progress{task, done, total});
}
}  // namespace detail

}  // namespace segkit
