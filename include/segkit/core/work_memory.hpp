#pragma once
// Work memory kept from one fit for the next.
//
// A fit's n-long work arrays (each row's distance to its centre, the bounds) are
// new memory each time, and the system maps and clears each page at its first touch. On
// the 2-vCPU VM of 2026-12-07 that cost 1.8 us a page, and glibc gave freed blocks of
// these sizes back to the system or kept them by thresholds it moves itself: Lloyd fits
// at 100,000 x 8 x 8 faulted their buffers in every fit (double) or every other one
// (float, 0.69 and 0.87 ms per iteration in turn). The blocks a fit frees are kept here,
// at most work_memory_limit bytes in all, the oldest given back first, and the next fit
// that needs as much takes them (a fit's n_init starts, a K sweep, a server refitting).
// release_work_memory() gives them all back.

#include <algorithm>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <new>

#include "segkit/core/huge_pages.hpp"
#include "segkit/core/process_local.hpp"

namespace segkit {

/// The most work memory kept between fits (freed blocks waiting for the next fit).
inline constexpr std::size_t work_memory_limit = std::size_t{64} << 20;

namespace detail {

class WorkMemory {
 public:
  /// A block and its size in bytes.
  struct Block {
    void* block;
    std::size_t bytes;
  };

  /// The process's (a child of fork starts with none: the parent's lock may be held).
  static WorkMemory& shared() { return process_local<WorkMemory>(); }

  /// A block of at least `bytes` bytes, 64-byte aligned: the smallest kept one that is at
  /// most twice as large (a larger one would hold memory the fit does not use), else new
  /// (asked of the system as huge pages where it is large enough). Give it back with its
  /// own size, which may be larger than asked.
  Block take(std::size_t bytes) {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      auto best = kept_.end();
      for (auto it = kept_.begin(); it != kept_.end(); ++it)
        if (it->bytes >= bytes && it->bytes / 2 <= bytes && (best == kept_.end() || it->bytes < best->bytes)) best = it;
      if (best != kept_.end()) {
        const Block block = *best;
        held_ -= block.bytes;
        kept_.erase(best);
        return block;
      }
    }
    void* block = ::operator new(bytes, alignment);
    prefer_huge_pages(block, bytes);
    return {block, bytes};
  }

  /// Keeps a block from take() for the next taker, giving back the oldest kept beyond the
  /// limit. Blocks are freed under the lock: freeing allocates nothing, so this cannot throw.
  void give(Block block) noexcept {
    const std::lock_guard<std::mutex> lock(mutex_);
    bool kept = false;
    if (block.bytes <= work_memory_limit) {
      try {
        kept_.push_back(block);
        held_ += block.bytes;
        kept = true;
      } catch (const std::bad_alloc&) {
      }
    }
    if (!kept) ::operator delete(block.block, alignment);
    while (held_ > work_memory_limit) {
      ::operator delete(kept_.front().block, alignment);
      held_ -= kept_.front().bytes;
      kept_.pop_front();
    }
  }

  /// Gives back every kept block.
  void release() noexcept {
    const std::lock_guard<std::mutex> lock(mutex_);
    for (const Block& b : kept_) ::operator delete(b.block, alignment);
    kept_.clear();
    held_ = 0;
  }

  std::size_t held() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return held_;
  }

 private:
  static constexpr std::align_val_t alignment{64};

  mutable std::mutex mutex_;
  std::deque<Block> kept_;  // oldest first
  std::size_t held_ = 0;
};

/// Gives a work array's block to WorkMemory when the array goes.
template <class T>
struct WorkMemoryReturn {
  std::size_t bytes = 0;
  void operator()(T* values) const noexcept { WorkMemory::shared().give({values, bytes}); }
};

/// n values of T (left unset: the first pass that needs them writes each, spread over
/// the threads), from the blocks earlier fits freed where one fits.
template <class T>
using work_array = std::unique_ptr<T[], WorkMemoryReturn<T>>;

template <class T>
work_array<T> make_work_array(std::size_t n) {
  const std::size_t bytes = std::max<std::size_t>(n, 1) * sizeof(T);
  const WorkMemory::Block block = WorkMemory::shared().take(bytes);
  return work_array<T>(static_cast<T*>(block.block), WorkMemoryReturn<T>{block.bytes});
}

}  // namespace detail

/// Bytes of work memory kept for the next fit (at most work_memory_limit).
inline std::size_t work_memory_kept() { return detail::WorkMemory::shared().held(); }

/// Gives the work memory kept between fits back to the system (the next fit allocates anew).
inline void release_work_memory() noexcept { detail::WorkMemory::shared().release(); }

}  // namespace segkit
