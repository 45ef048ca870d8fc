#pragma once
// A spinning barrier for the machine-peak programs (stream_triad, fma_peak):
// the threads leave it within nanoseconds of each other, where a sleeping
// barrier could wake one of them late on a loaded 2-core machine.

#include <atomic>
#include <cstddef>

namespace compare {

class SpinBarrier {
 public:
  explicit SpinBarrier(std::size_t count) : count_(count) {}
  void arrive_and_wait() {
    const std::size_t generation = generation_.load(std::memory_order_acquire);
    if (waiting_.fetch_add(1, std::memory_order_acq_rel) + 1 == count_) {
      waiting_.store(0, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_acq_rel);
    } else {
      while (generation_.load(std::memory_order_acquire) == generation) {
      }
    }
  }

 private:
  const std::size_t count_;
  std::atomic<std::size_t> waiting_{0};
  std::atomic<std::size_t> generation_{0};
};

}  // namespace compare
