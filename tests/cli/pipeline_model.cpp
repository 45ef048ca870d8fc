// A Pipeline fitted in C++ and saved, for the tool to use (test_cli.sh, scenario cpp_model):
//   pipeline_model MALL_CSV MODEL_JSON LABELS_CSV
// fits the Mall customers' income and score, saves the model with those columns as its
// features, and writes the segment of each customer ("segment" and one label per line),
// which `segkit predict --model MODEL_JSON MALL_CSV` must reproduce.

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <segkit/data/csv.hpp>
#include <segkit/io/model.hpp>
#include <segkit/segkit.hpp>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: pipeline_model MALL_CSV MODEL_JSON LABELS_CSV\n");
    return 2;
  }
  try {
    const std::vector<std::string> columns = {"Annual Income (k$)", "Spending Score (1-100)"};
    const xt::xtensor<double, 2> X = segkit::data::read_csv(argv[1]).matrix(columns);
    segkit::Pipeline<segkit::RobustScaler, segkit::KMeansPlusPlus, segkit::Manhattan> pipeline(
        segkit::Options{.k = 5, .n_init = 4, .seed = 8});
    pipeline.fit(X);
    segkit::io::save(pipeline, argv[2], columns);
    std::ofstream labels(argv[3]);
    labels << "segment\n";
    for (const std::size_t label : pipeline.labels()) labels << label << '\n';
    return labels ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pipeline_model: %s\n", e.what());
    return 1;
  }
}
