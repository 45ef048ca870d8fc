// From a customer file to described segments with the library: read, prepare,
// choose K, fit, profile. (The segkit tool does the same and more.)
//
//   segment_file [path/to/Mall_Customers.csv]

#include <cstdio>
#include <string>

#include <segkit/data/csv.hpp>  // target segkit::io
#include <segkit/segkit.hpp>

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : SEGKIT_DATA_DIR "/mall_customers/Mall_Customers.csv";
  try {
    const auto table = segkit::data::read_csv(path);
    const auto preparation =
        segkit::features::Preparation::fit(table, {.columns = {"Annual Income (k$)", "Spending Score (1-100)"}});
    const auto prepared = preparation.transform(table);

    const auto sweep = segkit::sweep_k(prepared.X, segkit::Options{.n_init = 10, .seed = 42});
    std::printf("%s\n\n", sweep.recommendation.reason.c_str());

    segkit::Pipeline<> pipeline(segkit::Options{.k = sweep.recommendation.k, .n_init = 10, .seed = 42});
    pipeline.fit(prepared.X);
    const auto profiles = segkit::profile_segments(prepared.original, prepared.original_names, pipeline.labels(), {},
                                                   segkit::ProfileOptions{.display_names = {"income", "spending"}});
    for (const auto& segment : profiles.segments)
      std::printf("%-32s %4zu customers  income %6.1f k$  spending score %5.1f\n", segment.name.c_str(), segment.size,
                  segment.mean[0], segment.mean[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "segment_file: %s\n", e.what());
    return 1;
  }
  return 0;
}
