#include <segkit/data/csv.hpp>
#include <segkit/io/model.hpp>
#include <segkit/segkit.hpp>

#include <iostream>
#include <string>

int main() {
  // segkit::io: a customer table read from CSV text.
  const segkit::data::Table table =
      segkit::data::parse_csv("income,score\n15,39\n16,81\n17,6\n18,77\n88,15\n87,92\n86,5\n90,90\n");
  const xt::xtensor<double, 2> customers = table.matrix({"income", "score"});
  segkit::Pipeline<> pipeline(segkit::Options{.k = 2, .n_init = 3, .seed = 7});
  pipeline.fit(customers);
  const auto labels = pipeline.predict(customers);
  // Income splits these customers in two: the first four share a segment, the last four the other.
  const bool ok = labels(0) == labels(1) && labels(1) == labels(2) && labels(2) == labels(3) &&
                  labels(4) == labels(5) && labels(5) == labels(6) && labels(6) == labels(7) && labels(0) != labels(4);
  // segkit::io: the model file round trip gives the same segments.
  const auto model =
      segkit::io::model_from_json(segkit::io::to_json(segkit::io::model_of(pipeline, {"income", "score"})));
  const bool same = model.predict(table).labels == std::vector<std::size_t>(labels.begin(), labels.end());
  // segkit_enable_simd_dispatch installed the kernels before main(): whatever the CPU has, never "none".
  const std::string arch = segkit::simd::active_arch();
  std::cout << "consumer: " << (ok && same ? "ok" : "WRONG") << ", segkit " << segkit::version << ", SIMD kernels "
            << arch << '\n';
  return ok && same && !arch.empty() ? 0 : 1;
}
