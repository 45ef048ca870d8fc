// Must NOT compile: this distance has no centre(), so Pipeline rejects it, and
// the compiler's message names the Distance concept.
#include <segkit/segkit.hpp>

#include <span>

struct DistanceWithoutCentre {
  static constexpr bool is_metric = true;
  template <class T>
  T distance(std::span<const T> a, std::span<const T> b) const {
    return a[0] - b[0];
  }
};

int main() {
  segkit::Pipeline<segkit::StandardScaler, segkit::KMeansPlusPlus, DistanceWithoutCentre> pipeline;
  return 0;
}
