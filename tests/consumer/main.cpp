#include <segkit/segkit.hpp>

#include <iostream>
#include <string>

int main() {
  const xt::xtensor<double, 2> customers = {{15, 39}, {16, 81}, {17, 6}, {18, 77}, {88, 15}, {87, 92}, {86, 5}, {90, 90}};
  segkit::Pipeline<> pipeline(segkit::Options{.k = 2, .n_init = 3, .seed = 7});
  pipeline.fit(customers);
  const auto labels = pipeline.predict(customers);
  // Income splits these customers in two: the first four share a segment, the last four the other.
  const bool ok = labels(0) == labels(1) && labels(1) == labels(2) && labels(2) == labels(3) &&
                  labels(4) == labels(5) && labels(5) == labels(6) && labels(6) == labels(7) && labels(0) != labels(4);
  // segkit_enable_simd_dispatch installed the kernels before main(): whatever the CPU has, never "none".
  const std::string arch = segkit::simd::active_arch();
  std::cout << "consumer: " << (ok ? "ok" : "WRONG") << ", inertia " << pipeline.inertia() << ", SIMD kernels "
            << arch << '\n';
  return ok && !arch.empty() ? 0 : 1;
}
