// Quick start: five segments of the Mall Customers by annual income and
// spending score, each printed with its size and centre in original units.
//
//   quick_start [path/to/Mall_Customers.csv]

#include <cstdio>
#include <string>

#include <segkit/data/csv.hpp>  // target segkit::io
#include <segkit/segkit.hpp>

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : SEGKIT_DATA_DIR "/mall_customers/Mall_Customers.csv";
  try {
    const xt::xtensor<double, 2> customers =
        segkit::data::read_csv(path).matrix({"Annual Income (k$)", "Spending Score (1-100)"});

    // Standardise, k-means++ with 10 starts, Lloyd, silhouette: the defaults.
    segkit::Pipeline<> pipeline(segkit::Options{.k = 5, .n_init = 10, .seed = 42});
    pipeline.fit(customers);

    std::printf("%zu customers, %zu segments (silhouette %.3f, %zu iterations)\n\n", customers.shape(0),
                pipeline.centers().shape(0), pipeline.score(), pipeline.iterations());
    std::printf("segment  customers  annual income (k$)  spending score (1-100)\n");
    for (std::size_t c = 0; c < pipeline.centers().shape(0); ++c) {
      std::size_t size = 0;
      for (const std::size_t label : pipeline.labels()) size += label == c;
      std::printf("%7zu  %9zu  %18.1f  %22.1f\n", c, size, pipeline.centers()(c, 0), pipeline.centers()(c, 1));
    }

    // A new customer is assigned online with the same scaling and centres.
    const xt::xtensor<double, 2> newcomer = {{120.0, 85.0}};
    std::printf("\na new customer earning 120 k$ with score 85 joins segment %zu\n", pipeline.predict(newcomer)(0));
  } catch (const std::exception& e) {  // segkit::error or a file problem: one line, non-zero exit
    std::fprintf(stderr, "quick_start: %s\n", e.what());
    return 1;
  }
  return 0;
}
