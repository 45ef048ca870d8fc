// Saved models: what predict needs survives the round trip through JSON, and
// a damaged file is refused with a clear message.

#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include <segkit/io/model.hpp>
#include <segkit/segkit.hpp>

#include "fixture.hpp"

// The suite's files are compiled together (a unity build): each keeps its helpers to itself.
namespace segkit_test_model {

namespace {

segkit::data::Table wholesale_table() {
  const segkit::test::Fixture f("wholesale");
  const char* names[] = {"Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"};
  segkit::data::Table t;
  for (std::size_t j = 0; j < 6; ++j) {
    std::vector<double> column;
    for (std::size_t i = 0; i < f["X"].shape(0); ++i) column.push_back(f["X"](i, j));
    t.add(segkit::data::Column::numeric(names[j], column));
  }
  std::vector<std::string> region;
  for (std::size_t i = 0; i < f["X"].shape(0); ++i) region.push_back(i % 3 == 0 ? "Lisbon" : "Other");
  t.add(segkit::data::Column::categorical("Region", region));
  return t;
}

segkit::io::Model fitted_model(const segkit::data::Table& table, std::vector<std::size_t>& labels) {
  segkit::io::Model model;
  model.preparation = segkit::features::Preparation::fit(table);
  const auto prepared = model.preparation.transform(table);
  segkit::Pipeline<segkit::RobustScaler, segkit::KMeansPlusPlus, segkit::Manhattan> pipeline(
      segkit::Options{.k = 4, .n_init = 3, .seed = 11});
  pipeline.fit(prepared.X);
  model.scaler = "robust";
  model.scaling = pipeline.scaler();
  model.distance = "manhattan";
  model.centers = pipeline.scaled_centers();
  model.segment_names = {"a", "b", "c", "d"};
  labels.assign(pipeline.labels().begin(), pipeline.labels().end());
  return model;
}

}  // namespace

TEST_CASE("a saved model predicts the fit's own labels") {
  const auto table = wholesale_table();
  std::vector<std::size_t> labels;
  const auto model = fitted_model(table, labels);
  const auto path = std::filesystem::temp_directory_path() / "segkit_model_test.json";
  segkit::io::save_model(path, model);
  const auto loaded = segkit::io::load_model(path);
  std::filesystem::remove(path);
  const auto assignment = loaded.predict(table);
  CHECK(assignment.labels == labels);
  CHECK(assignment.rows.size() == table.rows());
  CHECK(loaded.preparation.feature_names() == model.preparation.feature_names());
  CHECK(loaded.segment_names == model.segment_names);
  CHECK(loaded.distance == "manhattan");
  // Infinite fences (no clipping) and NaN fills survive JSON's lack of them.
  CHECK(segkit::io::to_json(loaded) == segkit::io::to_json(model));
}

TEST_CASE("a damaged model file is refused, naming the problem") {
  const auto table = wholesale_table();
  std::vector<std::size_t> labels;
  const std::string good = segkit::io::to_json(fitted_model(table, labels));
  using doctest::Contains;
  CHECK_THROWS_WITH_AS(segkit::io::model_from_json("{not json", "m.json"), Contains("m.json: not a JSON file"),
                       segkit::error);
  CHECK_THROWS_WITH_AS(segkit::io::model_from_json("{\"format\": \"other\"}", "m.json"),
                       Contains("not a segkit model"), segkit::error);
  std::string wrong_version = good;
  wrong_version.replace(wrong_version.find("\"version\": 1"), 12, "\"version\": 7");
  CHECK_THROWS_WITH_AS(segkit::io::model_from_json(wrong_version), Contains("version 7 is not supported"),
                       segkit::error);
  std::string no_centres = good;
  no_centres.replace(no_centres.find("\"centers\""), 9, "\"centres\"");
  CHECK_THROWS_WITH_AS(segkit::io::model_from_json(no_centres), Contains("malformed model"), segkit::error);
  std::string unknown_distance = good;
  unknown_distance.replace(unknown_distance.find("\"manhattan\""), 11, "\"chebyshev\"");
  CHECK_THROWS_WITH_AS(segkit::io::model_from_json(unknown_distance).predict(table),
                       Contains("unknown distance \"chebyshev\""), segkit::error);
  CHECK_THROWS_WITH_AS(segkit::io::load_model("/no/such/model.json"), Contains("cannot read model"),
                       segkit::error);
}

}  // namespace segkit_test_model
