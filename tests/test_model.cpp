// Saved models: what predict needs survives the round trip through JSON, and
// a damaged file is refused with a clear message.

#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <span>
#include <string>

#include <segkit/data/csv.hpp>
#include <segkit/io/model.hpp>
#include <segkit/io/onnx.hpp>
#include <segkit/io/pmml.hpp>
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
  model.scaler = pipeline.scaler();
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
  // In a directory of its own: two runs of the suite at once never share the file.
  const auto dir = std::filesystem::temp_directory_path() / ("segkit-model-" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir);
  const auto path = dir / "model.json";
  segkit::io::save_model(path, model);
  const auto loaded = segkit::io::load_model(path);
  std::filesystem::remove_all(dir);
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
  CHECK_THROWS_WITH_AS(segkit::io::model_from_json("{not json", "m.json"), Contains("m.json: not a readable JSON file"),
                       segkit::error);
  CHECK_THROWS_WITH_AS(segkit::io::model_from_json("{\"format\": \"other\"}", "m.json"), Contains("not a segkit model"),
                       segkit::error);
  std::string wrong_version = good;
  wrong_version.replace(wrong_version.find("\"version\": 1"), 12, "\"version\": 7");
  CHECK_THROWS_WITH_AS(segkit::io::model_from_json(wrong_version), Contains("version 7 is not supported"),
                       segkit::error);
  std::string no_centres = good;
  no_centres.replace(no_centres.find("\"centers\""), 9, "\"centres\"");
  CHECK_THROWS_WITH_AS(segkit::io::model_from_json(no_centres, "m.json"),
                       Contains("m.json: field \"centers\" is missing"), segkit::error);
  std::string unknown_distance = good;
  unknown_distance.replace(unknown_distance.find("\"manhattan\""), 11, "\"chebyshev\"");
  CHECK_THROWS_WITH_AS(segkit::io::model_from_json(unknown_distance),
                       Contains("field \"distance\" is \"chebyshev\", not one of sqeuclidean, manhattan, cosine"),
                       segkit::error);
  CHECK_THROWS_WITH_AS(segkit::io::load_model("/no/such/model.json"), Contains("cannot read model"), segkit::error);
}

TEST_CASE("a model file is read strictly: every broken field is refused, naming the file and the field") {
  const auto table = wholesale_table();
  std::vector<std::size_t> labels;
  using nlohmann::json;
  const json good = json::parse(segkit::io::to_json(fitted_model(table, labels)));
  REQUIRE(good["preparation"]["recipes"][0]["kind"] == "numeric");
  REQUIRE(good["preparation"]["recipes"].back()["kind"] == "one_hot");
  const std::size_t last = good["preparation"]["recipes"].size() - 1;
  const auto refused = [&](const std::function<void(json&)>& damage, const std::string& expected) {
    json broken = good;
    damage(broken);
    CAPTURE(expected);
    try {
      segkit::io::model_from_json(broken.dump(), "m.json");
      FAIL("accepted");
    } catch (const segkit::error& e) {
      CHECK(std::string(e.what()).find(expected) != std::string::npos);
      CHECK(std::string(e.what()).rfind("m.json: ", 0) == 0);
    }
  };
  // Versions: integers only.
  refused([](json& m) { m["version"] = 1e300; }, "model version 1e+300 is not supported");
  refused([](json& m) { m["version"] = 1.5; }, "model version 1.5 is not supported");
  refused([](json& m) { m["version"] = 4294967297ULL; }, "model version 4294967297 is not supported");
  refused([](json& m) { m["version"] = "1"; }, "model version \"1\" is not supported");
  // The scaler divides: a positive, normal number.
  refused([](json& m) { m["scaler"]["scale"][0] = -1; }, "field \"scaler.scale[0]\" must be a positive number, not -1");
  refused([](json& m) { m["scaler"]["scale"][1] = 1e-320; }, "field \"scaler.scale[1]\" must be a positive number");
  refused([](json& m) { m["scaler"]["center"][2] = nullptr; },
          "field \"scaler.center[2]\" must be a finite number, not null");
  refused([](json& m) { m["scaler"]["scale"].erase(0); },
          "field \"scaler.scale\" has 7 values for the preparation's 8 features");
  refused([](json& m) { m["scaler"]["name"] = "zscore"; }, "field \"scaler.name\" is \"zscore\", not one of");
  // The preparation.
  refused([](json& m) { m["preparation"]["recipes"][0]["fill"] = "12"; },
          "field \"preparation.recipes[0].fill\" must be a finite number, not \"12\"");
  refused([](json& m) { m["preparation"]["recipes"][0]["low"] = 10, m["preparation"]["recipes"][0]["high"] = 5; },
          "field \"preparation.recipes[0].low\" is above preparation.recipes[0].high (10 > 5)");
  refused(
      [&](json& m) {
        m["preparation"]["recipes"][last]["levels"] = {"Lisbon", "Lisbon"};
      },
      "names the level \"Lisbon\" twice");
  refused([&](json& m) { m["preparation"]["recipes"][last]["fill_level"] = "Porto"; },
          "fill_level\" is \"Porto\", which is not one of its levels");
  refused([](json& m) { m["preparation"]["recipes"][0]["kind"] = "cubic"; },
          "field \"preparation.recipes[0].kind\" is \"cubic\", not one of numeric, age, tenure, one_hot");
  refused([](json& m) { m["preparation"]["missing"] = "sometimes"; },
          "field \"preparation.missing\" is \"sometimes\", not one of impute, drop_rows");
  refused([](json& m) { m["preparation"]["outliers"] = 3; }, "field \"preparation.outliers\" must be a string, not 3");
  refused([](json& m) { m["preparation"]["recipes"][0]["log"] = "yes"; }, "must be true or false");
  // The centres and names.
  refused([](json& m) { m["centers"][1][0] = "x"; }, "field \"centers[1][0]\" must be a finite number, not \"x\"");
  refused([](json& m) { m["centers"][0].erase(0); }, "field \"centers[0]\" has 7 values for 8 features");
  refused([](json& m) { m["segment_names"] = {"a", "b"}; }, "field \"segment_names\" names 2 segments of 4");
  // A DBSCAN model's core customers, and only a DBSCAN model has them.
  refused([](json& m) { m["algorithm"] = "dbscan"; }, "field \"density\" is missing");
  refused(
      [](json& m) {
        m["density"] = {{"eps", 0.5},
                        {"min_samples", 4},
                        {"unassigned", nullptr},
                        {"core", json::array()},
                        {"core_segments", json::array()}};
      },
      "field \"density\" belongs to a DBSCAN model");
  const auto dbscan = [](json& m, json core, json segments, json unassigned, double eps) {
    m["algorithm"] = "dbscan";
    m["density"] = {
        {"eps", eps}, {"min_samples", 4}, {"unassigned", unassigned}, {"core", core}, {"core_segments", segments}};
  };
  const json row = std::vector<double>(8, 0.0);
  refused([&](json& m) { dbscan(m, {row}, {3}, 3, 0.5); },
          "field \"density.core_segments[0]\" is 3, not a dense segment (0..2)");
  refused([&](json& m) { dbscan(m, {row}, {0}, 1, 0.5); },
          "field \"density.unassigned\" must be the last segment, 3, not 1");
  refused([&](json& m) { dbscan(m, {row}, {0, 1}, nullptr, 0.5); }, "has 2 segments for 1 core customers");
  refused([&](json& m) { dbscan(m, {row}, {0}, nullptr, -1); }, "field \"density.eps\" must be a positive distance");
  refused([&](json& m) { dbscan(m, {std::vector<double>(7, 0.0)}, {0}, nullptr, 0.5); },
          "field \"density.core[0]\" has 7 values for 8 features");
  // A number beyond double's range is refused by the JSON reader, as a segkit::error.
  std::string huge = good.dump();
  const std::string first_centre = good["centers"][0][0].dump();
  huge.replace(huge.find(first_centre), first_centre.size(), "1e309");
  CHECK_THROWS_WITH_AS(segkit::io::model_from_json(huge, "m.json"),
                       doctest::Contains("m.json: not a readable JSON file"), segkit::error);
  // The good file still loads and predicts the fit's labels.
  CHECK(segkit::io::model_from_json(good.dump(), "m.json").predict(table).labels == labels);
}

TEST_CASE("a Pipeline fitted in C++ saves the tool's model format, and loads back only into its own kind") {
  const std::string csv =
      "id,income,score\n1,15,39\n2,15,81\n3,16,6\n4,16,77\n5,17,40\n6,70,50\n7,71,52\n8,72,48\n9,120,90\n10,121,10\n"
      "11,122,88\n12,123,12\n";
  const segkit::data::Table table = segkit::data::parse_csv(csv);
  const xt::xtensor<double, 2> X = table.matrix({"income", "score"});
  segkit::Pipeline<> pipeline(segkit::Options{.k = 3, .n_init = 3, .seed = 4});
  pipeline.fit(X);
  const xt::xtensor<std::size_t, 1> labels = pipeline.labels();

  // The file `segkit predict` reads: the columns named, used as they are.
  const segkit::io::Model model =
      segkit::io::model_from_json(segkit::io::to_json(segkit::io::model_of(pipeline, {"income", "score"})));
  CHECK(model.scaler.name() == "standard");
  CHECK(model.distance == "sqeuclidean");
  const segkit::io::Assignment assignment = model.predict(table);
  CHECK(assignment.rows.size() == 12);
  CHECK(std::equal(assignment.labels.begin(), assignment.labels.end(), labels.begin(), labels.end()));

  // Loaded into the same kind of Pipeline: the same labels, bit for bit; no training data.
  const auto same = segkit::io::pipeline_from<segkit::Pipeline<>>(model);
  CHECK(xt::all(xt::equal(same.predict(X), labels)));
  CHECK(same.scaled_centers() == pipeline.scaled_centers());
  CHECK_FALSE(same.has_training_data());
  CHECK_THROWS_WITH_AS(same.labels(), doctest::Contains("keeps no training data"), segkit::error);

  // Into another kind: refused, saying what differs.
  CHECK_THROWS_WITH_AS(segkit::io::pipeline_from<segkit::Pipeline<segkit::RobustScaler>>(model),
                       "the model's scaler is \"standard\", this Pipeline's is \"robust\"", segkit::error);
  using ManhattanPipeline = segkit::Pipeline<segkit::StandardScaler, segkit::KMeansPlusPlus, segkit::Manhattan>;
  CHECK_THROWS_WITH_AS(segkit::io::pipeline_from<ManhattanPipeline>(model),
                       "the model's distance is \"sqeuclidean\", this Pipeline's is \"manhattan\"", segkit::error);

  // Through a file, in a directory of its own.
  const auto dir = std::filesystem::temp_directory_path() / ("segkit-model-" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir);
  segkit::io::save(pipeline, dir / "m.json");
  const auto loaded = segkit::io::load<segkit::Pipeline<>>(dir / "m.json");
  CHECK(xt::all(xt::equal(loaded.predict(X), labels)));
  for (std::size_t i = 0; i < X.shape(0); ++i)
    CHECK(loaded.predict_one(std::span<const double>(X.data() + i * 2, 2)) == labels(i));
  CHECK_THROWS_WITH_AS(segkit::io::load<ManhattanPipeline>(dir / "m.json"),
                       doctest::Contains("m.json: the model's distance is \"sqeuclidean\""), segkit::error);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);

  // Plain columns impute nothing: a customer without a value gets no segment, and the reason; the others do.
  const segkit::data::Table gap = segkit::data::parse_csv("income,score\n15,39\n,81\n121,10\n");
  const segkit::io::Assignment partial = model.predict(gap);
  CHECK(partial.rows == std::vector<std::size_t>{0, 2});
  CHECK(partial.labels == std::vector<std::size_t>{labels(0), labels(9)});
  REQUIRE(partial.unassigned.size() == 1);
  CHECK(partial.unassigned[0].row == 1);
  CHECK(partial.unassigned[0].reason == "no value for feature \"income\" (this model imputes none)");
}

/// A scaler of a user's own that is no AffineScaler: log(1 + x - floor) per feature,
/// the floor being the column's smallest value at fit. Savable by its state's "floor".
struct LogScaler {
  static constexpr std::string_view name = "log";
  std::vector<double> floor;

  template <class T>
  LogScaler& fit(const xt::xtensor<T, 2>& X) {
    floor.assign(X.shape(1), std::numeric_limits<double>::infinity());
    for (std::size_t i = 0; i < X.shape(0); ++i)
      for (std::size_t j = 0; j < X.shape(1); ++j) floor[j] = std::min(floor[j], static_cast<double>(X(i, j)));
    return *this;
  }
  template <class T>
  xt::xtensor<T, 2> transform(const xt::xtensor<T, 2>& X) const {
    xt::xtensor<T, 2> out = X;
    for (std::size_t i = 0; i < X.shape(0); ++i)
      for (std::size_t j = 0; j < X.shape(1); ++j)
        out(i, j) = static_cast<T>(std::log1p(static_cast<double>(X(i, j)) - floor[j]));
    return out;
  }
  xt::xtensor<double, 2> inverse_transform(const xt::xtensor<double, 2>& C) const {
    xt::xtensor<double, 2> out = C;
    for (std::size_t i = 0; i < C.shape(0); ++i)
      for (std::size_t j = 0; j < C.shape(1); ++j) out(i, j) = std::expm1(C(i, j)) + floor[j];
    return out;
  }
  segkit::ScalerState state() const { return {{"floor", floor}}; }
  void set_state(const segkit::ScalerState& state) { floor = segkit::state_entry(state, "floor"); }
};

/// A clusterer that assigns new rows its own way (its rule is not the point here): its
/// state is more than the centres a model file keeps, so such a Pipeline cannot be saved.
struct OwnPredict : segkit::Lloyd {
  template <class T, class D>
  void predict(const xt::xtensor<T, 2>&, const xt::xtensor<T, 2>&, const D&, std::size_t*, std::size_t) const;
};
static_assert(!segkit::io::SavablePipeline<
              segkit::Pipeline<segkit::StandardScaler, segkit::KMeansPlusPlus, segkit::SquaredEuclidean, OwnPredict>>);

TEST_CASE("a Pipeline with a scaler of the user's own saves its state, and loads back with the user's registry") {
  static_assert(segkit::io::SavablePipeline<segkit::Pipeline<LogScaler>>);
  const segkit::data::Table table = segkit::data::parse_csv(
      "income,score\n15,39\n15,81\n16,6\n16,77\n17,40\n70,50\n71,52\n72,48\n120,90\n121,10\n122,88\n123,12\n");
  const xt::xtensor<double, 2> X = table.matrix({"income", "score"});
  segkit::Pipeline<LogScaler> pipeline(segkit::Options{.k = 3, .n_init = 3, .seed = 4});
  pipeline.fit(X);
  const xt::xtensor<std::size_t, 1> labels = pipeline.labels();
  using Scalers = segkit::with_policy_t<segkit::BuiltinScalers, LogScaler>;

  const std::string text = segkit::io::to_json(segkit::io::model_of(pipeline, {"income", "score"}));
  using nlohmann::json;
  const json saved = json::parse(text);
  CHECK(saved["scaler"] == json({{"name", "log"}, {"floor", {15.0, 6.0}}}));

  // The tool's own registry does not know the scaler; the user's does, and predicts the fit's labels.
  CHECK_THROWS_WITH_AS(segkit::io::model_from_json(text, "log.json"),
                       doctest::Contains("log.json: field \"scaler.name\" is \"log\", not one of standard"),
                       segkit::error);
  const segkit::io::Model model = segkit::io::model_from_json<Scalers>(text, "log.json");
  CHECK(model.scaler.name() == "log");
  const segkit::io::Assignment assignment = model.predict(table);
  CHECK(std::equal(assignment.labels.begin(), assignment.labels.end(), labels.begin(), labels.end()));
  const auto loaded = segkit::io::pipeline_from<segkit::Pipeline<LogScaler>>(model);
  CHECK(xt::all(xt::equal(loaded.predict(X), labels)));
  CHECK(loaded.centers() == pipeline.centers());
  CHECK_THROWS_WITH_AS(segkit::io::pipeline_from<segkit::Pipeline<>>(model),
                       "the model's scaler is \"log\", this Pipeline's is \"standard\"", segkit::error);

  // Its state is checked as the built-in scalers' is: each part one number per feature, none missing.
  json broken = saved;
  broken["scaler"]["floor"].erase(1);
  CHECK_THROWS_WITH_AS(segkit::io::model_from_json<Scalers>(broken.dump(), "log.json"),
                       doctest::Contains("field \"scaler.floor\" has 1 values for the preparation's 2 features"),
                       segkit::error);
  broken["scaler"].erase("floor");
  CHECK_THROWS_WITH_AS(segkit::io::model_from_json<Scalers>(broken.dump(), "log.json"),
                       doctest::Contains("log.json: field \"scaler.floor\" is missing"), segkit::error);
  // A part a built-in scaler does not have is refused, not ignored.
  json standard =
      json::parse(segkit::io::to_json(segkit::io::model_of(segkit::Pipeline<>(segkit::Options{.k = 3}).fit(X))));
  standard["scaler"]["floor"] = {1.0, 2.0};
  CHECK_THROWS_WITH_AS(segkit::io::model_from_json(standard.dump(), "m.json"),
                       doctest::Contains("m.json: field \"scaler.floor\" is not a part of this scaler's state"),
                       segkit::error);
}

namespace {

/// A model of the squared Euclidean distance with scaler S, fitted on the wholesale table.
template <class S>
segkit::io::Model euclidean_model(const segkit::data::Table& table) {
  segkit::io::Model model;
  model.preparation = segkit::features::Preparation::fit(table);
  const auto prepared = model.preparation.transform(table);
  segkit::Pipeline<S> pipeline(segkit::Options{.k = 5, .n_init = 3, .seed = 4});
  pipeline.fit(prepared.X);
  model.scaler = pipeline.scaler();
  model.centers = pipeline.scaled_centers();
  model.segment_names = {"a", "b", "c", "d", "e"};
  return model;
}

/// Writes the model as ONNX or PMML (`format`), the prepared features and segkit's labels into
/// a directory of its own, and has the format's checker read, check and run the file:
/// tests/onnx/check_onnx.py (Debian's python3-onnx) or tests/pmml/check_pmml.py.
void check_export_assigns_like_segkit(const segkit::io::Model& model, const segkit::data::Table& table,
                                      const std::string& format) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("segkit-" + format + "-" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir);
  const auto file = dir / ("model." + format);
  {
    std::ofstream out(file, std::ios::binary);
    const std::string bytes = format == "onnx" ? segkit::io::to_onnx(model) : segkit::io::to_pmml(model);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    const auto prepared = model.preparation.transform(table);
    std::ofstream features(dir / "features.csv");
    char cell[32];
    for (std::size_t i = 0; i < prepared.X.shape(0); ++i)
      for (std::size_t j = 0; j < prepared.X.shape(1); ++j) {
        std::snprintf(cell, sizeof cell, "%.17g", prepared.X(i, j));
        features << cell << (j + 1 < prepared.X.shape(1) ? "," : "\n");
      }
    std::ofstream labels(dir / "labels.txt");
    for (const std::size_t label : model.predict(table).labels) labels << label << "\n";
  }
  const std::string command = "/usr/bin/python3 " + std::string(SEGKIT_FIXTURE_DIR) + "/../" + format + "/check_" +
                              format + ".py " + file.string() + " " + (dir / "features.csv").string() + " " +
                              (dir / "labels.txt").string() + " > " + (dir / "out.txt").string() + " 2>&1";
  const int status = std::system(command.c_str());
  std::ifstream out(dir / "out.txt");
  const std::string said((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
  INFO("check_" << format << ".py: " << said);
  CHECK(status == 0);
  CHECK(said.find("same labels") != std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace

TEST_CASE("a model written as ONNX passes onnx's checker and assigns every customer as segkit does") {
  const auto table = wholesale_table();
  check_export_assigns_like_segkit(euclidean_model<segkit::StandardScaler>(table), table, "onnx");
  check_export_assigns_like_segkit(euclidean_model<segkit::RobustScaler>(table), table, "onnx");
  check_export_assigns_like_segkit(euclidean_model<segkit::NoScaling>(table), table, "onnx");
}

TEST_CASE("a model written as PMML 4.4 is read and scored by the specification, assigning every customer as segkit") {
  const auto table = wholesale_table();
  check_export_assigns_like_segkit(euclidean_model<segkit::StandardScaler>(table), table, "pmml");
  check_export_assigns_like_segkit(euclidean_model<segkit::NoScaling>(table), table, "pmml");
  std::vector<std::size_t> labels;
  check_export_assigns_like_segkit(fitted_model(table, labels), table, "pmml");  // Manhattan: cityBlock
}

TEST_CASE("a model ONNX cannot be given is refused, saying why") {
  const auto table = wholesale_table();
  std::vector<std::size_t> labels;
  CHECK_THROWS_WITH_AS(segkit::io::to_onnx(fitted_model(table, labels)),
                       "only a model of the squared Euclidean distance can be written as ONNX, not \"manhattan\"",
                       segkit::error);
  CHECK_THROWS_WITH_AS(segkit::io::to_onnx(segkit::io::Model{}), "the model has no centres to write as ONNX",
                       segkit::error);
  segkit::io::Model cosine = euclidean_model<segkit::StandardScaler>(table);
  cosine.distance = "cosine";
  CHECK_THROWS_WITH_AS(segkit::io::to_pmml(cosine),
                       "PMML has no comparison measure for the distance \"cosine\" (squared Euclidean and "
                       "Manhattan models can be written)",
                       segkit::error);
}

}  // namespace segkit_test_model
