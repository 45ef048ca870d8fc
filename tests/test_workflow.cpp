// The workflow layer and the policy registry: the tool's work as library calls.

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <segkit/cluster/lloyd.hpp>
#include <segkit/io/model.hpp>
#include <segkit/pipeline/registry.hpp>
#include <segkit/workflow/compare.hpp>
#include <segkit/workflow/export.hpp>
#include <segkit/workflow/report.hpp>
#include <segkit/workflow/segment.hpp>

#include "fixture.hpp"

// The suite's files are compiled together (a unity build): each keeps its helpers to itself.
namespace segkit_test_workflow {

namespace {

const std::string data_dir = std::string(SEGKIT_FIXTURE_DIR) + "/../data/";
const std::string full_data_dir = std::string(SEGKIT_FIXTURE_DIR) + "/../../data/";  // the bundled datasets

/// A caller's own distance: half the squared Euclidean distance (same nearest centre,
/// same mean, half the inertia), registered under its own name.
struct HalfSquared {
  static constexpr std::string_view name = "half-squared";
  static constexpr bool is_metric = false;
  template <class T>
  T distance(std::span<const T> a, std::span<const T> b) const {
    return segkit::SquaredEuclidean{}.distance(a, b) / 2;
  }
  template <class T>
  void center(const xt::xtensor<T, 2>& X, std::span<const std::size_t> members, std::span<T> out) const {
    segkit::SquaredEuclidean{}.center(X, members, out);
  }
};

using Distances = segkit::with_policy_t<segkit::BuiltinDistances, HalfSquared>;

xt::xtensor<double, 2> blobs() {
  xt::xtensor<double, 2> X = xt::empty<double>({std::size_t{90}, std::size_t{2}});
  for (std::size_t i = 0; i < 90; ++i) {
    const double centre = 10.0 * static_cast<double>(i % 3);
    X(i, 0) = centre + 0.1 * static_cast<double>(i % 7);
    X(i, 1) = -centre + 0.2 * static_cast<double>(i % 5);
  }
  return X;
}

}  // namespace

TEST_CASE("the registry chooses policies by name, lists the names, and takes a caller's own") {
  CHECK(segkit::policy_names(segkit::BuiltinScalers{}) == "standard, minmax, robust or none");
  CHECK(segkit::policy_names(Distances{}) == "sqeuclidean, manhattan, cosine or half-squared");
  CHECK(segkit::names_policy(Distances{}, "half-squared"));
  CHECK_FALSE(segkit::names_policy(segkit::BuiltinDistances{}, "half-squared"));
  const std::string chosen = segkit::with_named_policy(segkit::BuiltinScalers{}, "robust", "--scaler",
                                                       [](auto scaler) { return std::string(decltype(scaler)::name); });
  CHECK(chosen == "robust");
  CHECK_THROWS_WITH_AS(segkit::with_named_policy(segkit::BuiltinDistances{}, "chebyshev", "--distance", [](auto) {}),
                       "--distance must be sqeuclidean, manhattan or cosine, not \"chebyshev\"", segkit::error);

  // A registered policy clusters through the workflow: same segments, half the inertia.
  segkit::workflow::ClusterSettings settings;
  settings.k = 3;
  settings.seed = 5;
  settings.n_init = 3;
  xt::xtensor<double, 2> X = blobs();
  const auto builtin = segkit::workflow::cluster<segkit::BuiltinScalers, Distances>(X, settings);
  settings.distance = "half-squared";
  const auto own = segkit::workflow::cluster<segkit::BuiltinScalers, Distances>(X, settings);
  CHECK(own.labels == builtin.labels);
  CHECK(own.inertia == doctest::Approx(builtin.inertia / 2).epsilon(1e-12));
  settings.distance = "half";
  CHECK_THROWS_WITH_AS(segkit::workflow::cluster(X, settings),
                       "the distance must be sqeuclidean, manhattan or cosine, not \"half\"", segkit::error);
}

TEST_CASE("segment() is the Pipeline on the prepared features, and its model assigns every customer alike") {
  const std::string path = data_dir + "mall_customers_head.csv";
  segkit::workflow::SegmentOptions options;
  options.cluster.k = 4;
  options.cluster.seed = 11;
  options.cluster.n_init = 4;
  options.keep_features = true;
  std::vector<std::string> stages;
  options.cluster.on_stage = [&](const std::string& what) { stages.push_back(what); };
  segkit::workflow::CustomerTable customers = segkit::workflow::read_customers(path, {});
  CHECK(customers.id_column == "CustomerID");
  CHECK_FALSE(customers.id_given);
  const segkit::workflow::Segmentation s = segkit::workflow::segment(std::move(customers), options);
  CHECK(stages == std::vector<std::string>{"fitting K = 4"});
  REQUIRE(s.customers == 50);
  CHECK(s.ids.front() == "0001");  // the ids as written, not as numbers

  // The same work done by hand: the preparation, then the Pipeline with the same options.
  const segkit::data::Table table = segkit::data::read_csv(path, {.categorical = {"CustomerID"}});
  const auto prepared = s.preparation.transform(table);
  segkit::Pipeline<> pipeline(segkit::Options{.k = 4, .n_init = 4, .seed = 11});
  pipeline.fit(prepared.X);
  CHECK(std::vector<std::size_t>(pipeline.labels().begin(), pipeline.labels().end()) == s.fit.labels);
  CHECK(s.fit.inertia == doctest::Approx(pipeline.inertia()).epsilon(1e-12));
  CHECK(s.profiles.segments.size() == 4);
  std::size_t profiled = 0;
  for (const auto& segment : s.profiles.segments) profiled += segment.size;
  CHECK(profiled == 50);

  // The model file the tool writes, read back, puts every customer where the fit did.
  const segkit::io::Model model = segkit::io::model_from_json(segkit::io::to_json(segkit::workflow::model_of(s)));
  CHECK(model.predict(table).labels == s.fit.labels);
  // One customer at a time, from its fields as the file writes them: the preparation replayed.
  {
    std::ifstream file(path);
    std::string header_line, line;
    std::getline(file, header_line);
    const auto split = [](std::string text) {
      if (!text.empty() && text.back() == '\r') text.pop_back();  // the file's lines end in CR LF
      std::vector<std::string> cells;
      std::stringstream stream(text);
      for (std::string cell; std::getline(stream, cell, ',');) cells.push_back(cell);
      return cells;
    };
    const std::vector<std::string> header = split(header_line);
    std::size_t wrong = 0, customers_read = 0;
    for (std::size_t i = 0; std::getline(file, line); ++i, ++customers_read) {
      const std::vector<std::string> cells = split(line);
      std::map<std::string, std::string> customer;
      for (std::size_t j = 0; j < header.size(); ++j) customer[header[j]] = cells.at(j);
      wrong += model.predict_one(customer) != s.fit.labels[i];
    }
    CHECK(customers_read == 50);
    CHECK(wrong == 0);
    std::map<std::string, std::string> customer = {{"Genre", "Male"}, {"Age", "30"}, {"Annual Income (k$)", "60"}};
    CHECK_THROWS_WITH_AS(model.predict_one(customer),
                         "the customer has no field \"Spending Score (1-100)\", which the model reads", segkit::error);
    customer["Spending Score (1-100)"] = "high";
    CHECK_THROWS_WITH_AS(model.predict_one(customer), "field \"Spending Score (1-100)\" is \"high\", not a number",
                         segkit::error);
    customer["Spending Score (1-100)"] = "";  // missing: imputed as the fit imputed it
    const std::size_t imputed = model.predict_one(customer);
    CHECK(imputed < 4);
    customer["Spending Score (1-100)"] = "NA";  // missing as the CSV reader reads it
    CHECK(model.predict_one(customer) == imputed);
  }
  // ... and loads into the Pipeline of the same policies, which assigns the prepared rows alike.
  const auto loaded = segkit::io::pipeline_from<segkit::Pipeline<>>(model);
  const xt::xtensor<std::size_t, 1> again = loaded.predict(prepared.X);
  CHECK(std::vector<std::size_t>(again.begin(), again.end()) == s.fit.labels);

  // The report's data: every customer drawn (50 < the sample size), the profile as cells.
  const auto report = segkit::workflow::report_data(s, "test");
  CHECK(report.labels == s.fit.labels);
  CHECK(report.profile_rows.size() == 4);
  CHECK(report.pca_x.size() == 50);
}

TEST_CASE("a K chosen by the workflow is the sweep's fit of that K, and the report needs the kept features") {
  segkit::workflow::SegmentOptions options;
  options.prepare.columns = {"Annual Income (k$)", "Spending Score (1-100)"};
  options.cluster.k_min = 2;
  options.cluster.k_max = 6;
  options.cluster.n_init = 2;
  const auto s =
      segkit::workflow::segment(segkit::workflow::read_customers(data_dir + "mall_customers_head.csv", {}), options);
  REQUIRE(s.fit.sweep.size() == 5);
  CHECK(s.fit.sweep.front().k == 2);
  CHECK(s.fit.k >= 2);
  CHECK(s.fit.k <= 6);
  CHECK(s.fit.sweep[s.fit.k - 2].inertia == doctest::Approx(s.fit.inertia).epsilon(1e-12));
  CHECK(s.fit.sweep.front().labels.size() == 0);  // only the chosen K's labels are kept
  CHECK_THROWS_WITH_AS(segkit::workflow::report_data(s, "no features"),
                       "the report needs the prepared features: segment with SegmentOptions::keep_features",
                       segkit::error);
}

namespace {

/// `groups` tight, far-apart groups of `size` customers each in 3-D, plus `strays` far from all of them.
xt::xtensor<double, 2> groups_of(std::size_t groups, std::size_t size, std::size_t strays = 0) {
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0.0, 0.3);
  xt::xtensor<double, 2> X = xt::empty<double>({groups * size + strays, std::size_t{3}});
  for (std::size_t i = 0; i < groups * size; ++i)
    for (std::size_t j = 0; j < 3; ++j) X(i, j) = 10.0 * static_cast<double>((i / size) * (j + 1) % 7) + noise(rng);
  for (std::size_t i = groups * size; i < X.shape(0); ++i)
    for (std::size_t j = 0; j < 3; ++j) X(i, j) = 200.0 + noise(rng);
  return X;
}

bool warns(const segkit::workflow::Fit& fit, const std::string& words) {
  for (const std::string& w : fit.warnings)
    if (w.find(words) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("guardrails: K at the edge of the range, a tiny segment, a weak silhouette, each said when true only") {
  segkit::workflow::ClusterSettings settings;
  settings.n_init = 3;
  settings.seed = 2;
  // Six clear groups, a range that stops at 4: the largest K tried wins, and that is said.
  xt::xtensor<double, 2> six = groups_of(6, 40);
  settings.k_min = 2;
  settings.k_max = 4;
  auto fit = segkit::workflow::cluster(six, settings);
  CHECK(fit.k == 4);
  CHECK(warns(fit, "K = 4 is the largest K tried"));
  // A range that holds 6: no edge, no weak structure, no tiny segment.
  settings.k_max = 9;
  fit = segkit::workflow::cluster(six, settings);
  CHECK(fit.k == 6);
  CHECK(fit.warnings.empty());
  // A range that starts above the answer.
  settings.k_min = 8;
  settings.k_max = 10;
  fit = segkit::workflow::cluster(six, settings);
  CHECK(fit.k == 8);
  CHECK(warns(fit, "K = 8 is the smallest K tried"));

  // Three strays far from everyone else become a segment of their own: too small to trust.
  xt::xtensor<double, 2> with_strays = groups_of(2, 150, 3);
  settings.k = 3;
  fit = segkit::workflow::cluster(with_strays, settings);
  CHECK(warns(fit, "holds 3 customers, fewer than max(5, 1 %) of the 303"));
  xt::xtensor<double, 2> two = groups_of(2, 150);
  settings.k = 2;
  CHECK(segkit::workflow::cluster(two, settings).warnings.empty());

  // One Gaussian cloud in 8-D: any K cuts it, and the silhouette says so.
  std::mt19937 rng(5);
  std::normal_distribution<double> normal(0.0, 1.0);
  xt::xtensor<double, 2> cloud = xt::empty<double>({std::size_t{400}, std::size_t{8}});
  for (auto& v : cloud) v = normal(rng);
  settings.k.reset();
  settings.k_min = 2;
  settings.k_max = 5;
  fit = segkit::workflow::cluster(cloud, settings);
  CHECK(warns(fit, "weak structure"));

  // The criteria's own answers, from the sweep's scores: the warning says they disagree exactly
  // when at most half of them chose the K (one cloud: any K is a guess, and they differ).
  auto agreeing = [](const segkit::workflow::Fit& f) {
    std::size_t sil = 0, db = 0, ch = 0;
    for (std::size_t t = 0; t < f.sweep.size(); ++t) {
      if (f.sweep[t].silhouette > f.sweep[sil].silhouette) sil = t;
      if (f.sweep[t].davies_bouldin < f.sweep[db].davies_bouldin) db = t;
      if (f.sweep[t].calinski_harabasz > f.sweep[ch].calinski_harabasz) ch = t;
    }
    const auto& r = *f.recommendation;
    return std::pair<std::size_t, std::size_t>{
        (f.sweep[sil].k == f.k) + (f.sweep[db].k == f.k) + (f.sweep[ch].k == f.k) + (r.elbow_k == f.k),
        3 + (r.elbow_k ? 1 : 0)};
  };
  const auto [cloud_agree, cloud_criteria] = agreeing(fit);
  CHECK(2 * cloud_agree <= cloud_criteria);
  CHECK(warns(fit, "the criteria disagree on K"));
  settings.k_max = 9;
  const auto clear = segkit::workflow::cluster(six, settings);
  const auto [clear_agree, clear_criteria] = agreeing(clear);
  CHECK(2 * clear_agree > clear_criteria);
  CHECK_FALSE(warns(clear, "the criteria disagree"));

  // Eight customers cannot be compared across K = 2..10: the range shrinks, and that is said.
  settings.k_max = 10;
  xt::xtensor<double, 2> eight = groups_of(2, 4);
  const auto few = segkit::workflow::cluster(eight, settings);
  CHECK(few.sweep.back().k == 7);
  CHECK(warns(few, "K = 2..10 was narrowed to 2..7: 8 customers leave no room"));
}

namespace {

struct Keep {
  bool keep_features = false, keep_table = false;
};

/// The customer file at `path` segmented into k segments from 3 starts, keeping what `keep` says.
segkit::workflow::Segmentation segmented(const std::string& path, std::size_t k, Keep keep) {
  segkit::workflow::SegmentOptions options;
  options.cluster.k = k;
  options.cluster.n_init = 3;
  options.keep_features = keep.keep_features;
  options.keep_table = keep.keep_table;
  return segkit::workflow::segment(segkit::workflow::read_customers(path, {}, ""), options);
}

}  // namespace

TEST_CASE("the report's pair plot shows the features the segments differ in most, and lists the outliers") {
  const segkit::workflow::Segmentation s =
      segmented(full_data_dir + "customer_personality/marketing_campaign.csv", 4, {.keep_features = true});
  const segkit::report::ReportData data = segkit::workflow::report_data(s, "marketing");

  // The share of each feature's variance between the segments, from the labels and values alone.
  const std::size_t n = s.original.shape(0), d = s.original.shape(1), k = 4;
  std::vector<std::pair<double, std::string>> between;
  for (std::size_t j = 0; j < d; ++j) {
    std::vector<double> sum(k, 0.0), count(k, 0.0);
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      sum[s.fit.labels[i]] += s.original(i, j), count[s.fit.labels[i]] += 1;
      total += s.original(i, j);
    }
    const double mean = total / static_cast<double>(n);
    double within = 0, all = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double m = sum[s.fit.labels[i]] / count[s.fit.labels[i]];
      within += (s.original(i, j) - m) * (s.original(i, j) - m);
      all += (s.original(i, j) - mean) * (s.original(i, j) - mean);
    }
    between.push_back({all > 0 ? 1 - within / all : 0.0, s.original_names[j]});  // a constant column: 0
  }
  std::sort(between.begin(), between.end(), std::greater<>());
  REQUIRE(data.feature_names.size() == segkit::workflow::pair_plot_features);
  for (std::size_t t = 0; t < data.feature_names.size(); ++t) CHECK(data.feature_names[t] == between[t].second);
  // The reading of these segments: they differ in wine and catalogue purchases, not in age or kids.
  const auto& shown = data.feature_names;
  CHECK(std::find(shown.begin(), shown.end(), "MntWines") != shown.end());
  CHECK(std::find(shown.begin(), shown.end(), "NumCatalogPurchases") != shown.end());
  CHECK(data.pair_note.find("MntWines") != std::string::npos);
  CHECK(data.feature_values.front().size() == n);  // 2,240 customers: fewer than the sample, all drawn
  CHECK(data.centers_x.size() == 4);
  CHECK(data.heat_z.size() == 4);
  CHECK(data.heat_features == s.profiles.features);

  // The outliers, flagged and kept by default: counted in the preparation and listed by customer.
  const auto outliers = s.preparation.outliers(s.original);
  REQUIRE_FALSE(outliers.empty());
  std::size_t flagged = 0;
  for (const auto& a : s.row_actions)
    if (a.what.find("beyond the IQR fences") != std::string::npos) flagged += a.rows;
  CHECK(outliers.size() == flagged);
  REQUIRE(data.tables.size() == 1);
  CHECK(data.tables[0].header == std::vector<std::string>{"ID", "segment", "feature", "value"});
  CHECK(data.tables[0].rows.size() == std::min(outliers.size(), segkit::workflow::report_outliers_listed));
  CHECK(data.tables[0].rows[0][0] == s.ids[outliers[0].row]);
}

TEST_CASE("exports read back: centres and profiles as CSV and JSON, labels with the customers' columns") {
  const segkit::workflow::Segmentation s = segmented(data_dir + "mall_customers_head.csv", 3, {.keep_table = true});
  const segkit::workflow::Centers centers = segkit::workflow::centers_of(s);
  REQUIRE(centers.values.shape(0) == 3);
  REQUIRE(centers.features == s.preparation.feature_names());

  // CSV: every number as computed (17 digits), read back bit for bit.
  const segkit::data::Table csv = segkit::data::parse_csv(segkit::workflow::centers_csv(centers));
  REQUIRE(csv.rows() == 3);
  for (std::size_t j = 0; j < centers.features.size(); ++j)
    for (std::size_t c = 0; c < 3; ++c) CHECK(csv.column(centers.features[j]).numbers()[c] == centers.values(c, j));
  CHECK(csv.column("customers").numbers()[1] == static_cast<double>(s.profiles.segments[1].size));
  // k-means stops at a fixed point: each centre is its customers' mean, in the business's units.
  for (std::size_t j = 0; j < s.profiles.features.size(); ++j) {
    const auto at = std::find(centers.features.begin(), centers.features.end(), s.profiles.features[j]);
    REQUIRE(at != centers.features.end());
    for (std::size_t c = 0; c < 3; ++c)
      CHECK(centers.values(c, static_cast<std::size_t>(at - centers.features.begin())) ==
            doctest::Approx(s.profiles.segments[c].mean[j]).epsilon(1e-12));
  }
  const auto centers_json = nlohmann::json::parse(segkit::workflow::centers_json(centers));
  REQUIRE(centers_json.size() == 3);
  const auto age = static_cast<std::size_t>(std::find(centers.features.begin(), centers.features.end(), "Age") -
                                            centers.features.begin());
  REQUIRE(age < centers.features.size());
  CHECK(centers_json[2]["center"]["Age"].get<double>() == centers.values(2, age));
  CHECK(centers_json[2]["name"] == s.profiles.segments[2].name);

  const segkit::data::Table profiles_csv = segkit::data::parse_csv(segkit::workflow::profiles_csv(s.profiles));
  CHECK(profiles_csv.column("Age (mean)").numbers()[0] == s.profiles.segments[0].mean[0]);
  CHECK(profiles_csv.column("Age (median)").numbers()[2] == s.profiles.segments[2].median[0]);
  CHECK(profiles_csv.column("Genre = Female").numbers()[1] == s.profiles.segments[1].categories[0][0].share);
  const auto profiles_json = nlohmann::json::parse(segkit::workflow::profiles_json(s.profiles));
  CHECK(profiles_json[1]["mean"]["Spending Score (1-100)"].get<double>() == s.profiles.segments[1].mean[2]);
  CHECK(profiles_json[1]["categories"]["Genre"]["Female"].get<double>() +
            profiles_json[1]["categories"]["Genre"]["Male"].get<double>() ==
        doctest::Approx(1.0));

  // Labels with the customers' own columns and outlier flags, in the customers' order.
  const segkit::data::Table labels = segkit::data::parse_csv(
      segkit::workflow::labels_csv(s, {.columns = {"Genre", "3"}, .outliers = true}), {.categorical = {"CustomerID"}});
  CHECK(labels.names() == std::vector<std::string>{"CustomerID", "Genre", "Age", "segment", "outliers"});
  REQUIRE(labels.rows() == 50);
  CHECK(labels.column("CustomerID").texts()[0] == "0001");
  CHECK(labels.column("Genre").texts()[0] == "Male");
  CHECK(labels.column("Age").numbers()[1] == 21);
  for (std::size_t i = 0; i < 50; ++i)
    CHECK(labels.column("segment").numbers()[i] == static_cast<double>(s.fit.labels[i]));
  CHECK_THROWS_WITH_AS(segkit::workflow::labels_csv(s, {.columns = {"Nope"}}), doctest::Contains("no column \"Nope\""),
                       segkit::error);
  CHECK(segkit::workflow::export_format("a.JSON", "--centers") == segkit::workflow::ExportFormat::json);
  CHECK_THROWS_WITH_AS(segkit::workflow::export_format("a.txt", "--centers"),
                       "--centers \"a.txt\": name a .csv or a .json file (the extension chooses the format)",
                       segkit::error);
}

TEST_CASE("an RFM model replays on a transaction log: the same scores, classic segments and k-means segments") {
  const segkit::workflow::RfmColumns columns{.customer = "customer_id", .date = "trans_date", .amount = "tran_amount"};
  const segkit::data::Table log =
      segkit::data::read_csv(data_dir + "retail_transactions_head.csv", segkit::workflow::rfm_read_options(columns));
  segkit::workflow::RfmSegmentOptions options;
  options.columns = columns;
  options.cluster.k = 3;
  options.cluster.n_init = 3;
  const segkit::workflow::RfmSegmentation s = segkit::workflow::segment_rfm(log, options);
  // Through the model file, read strictly.
  const segkit::io::Model model =
      segkit::io::model_from_json(segkit::io::to_json(segkit::workflow::model_of(s, columns)), "rfm.json");
  REQUIRE(model.rfm);
  CHECK(model.rfm->columns.customer == "customer_id");
  CHECK(model.rfm->cuts.monetary == s.cuts.monetary);
  CHECK(model.rfm->cuts.frequency == s.cuts.frequency);
  const segkit::workflow::RfmAssignment a = segkit::workflow::predict_rfm(model, log);
  CHECK(a.rfm.customers == s.rfm.customers);
  CHECK(a.scores.r == s.scores.r);
  CHECK(a.scores.f == s.scores.f);
  CHECK(a.scores.m == s.scores.m);
  CHECK(a.rfm_segments == s.rfm_segments);
  CHECK(a.labels == s.fit.labels);
  CHECK(segkit::workflow::rfm_csv(a.rfm, a.scores, a.rfm_segments, a.labels) ==
        segkit::workflow::rfm_csv(s.rfm, s.scores, s.rfm_segments, s.fit.labels));

  // A model of customers, not of a log, is refused; so is a damaged cut point.
  segkit::io::Model plain = model;
  plain.rfm.reset();
  CHECK_THROWS_WITH_AS(segkit::workflow::predict_rfm(plain, log), doctest::Contains("not a model of a transaction log"),
                       segkit::error);
  std::string text = segkit::io::to_json(segkit::workflow::model_of(s, columns));
  const std::size_t at = text.find("\"monetary\": [");
  REQUIRE(at != std::string::npos);
  text.insert(at + 14, "1e9,");
  CHECK_THROWS_WITH_AS(segkit::io::model_from_json(text, "rfm.json"),
                       doctest::Contains("rfm.json: field \"rfm.cuts.monetary\""), segkit::error);
}

TEST_CASE("DBSCAN in the workflow: eps at the knee of scikit-learn's k-distances, noise a segment of its own") {
  const segkit::test::Fixture f("density");
  // The fixture's eps and labels of each dataset at its knee, as scikit-learn finds them.
  const auto expected_labels = [&](const std::string& name) {
    const xt::xtensor<double, 2>& labels = f[name + "_auto_labels"];
    std::ptrdiff_t segments = 0;
    for (const double l : labels) segments = std::max(segments, static_cast<std::ptrdiff_t>(l) + 1);
    std::vector<std::size_t> out;
    for (const double l : labels)
      out.push_back(l < 0 ? static_cast<std::size_t>(segments) : static_cast<std::size_t>(l));
    return std::pair{out, static_cast<std::size_t>(segments)};
  };
  for (const std::string name : {"mall", "wholesale"}) {
    INFO(name);
    const xt::xtensor<double, 2>& X = f[name + "_X"];
    const auto min_samples = static_cast<std::size_t>(f[name + "_auto_min_samples"](0, 0));
    CHECK(min_samples == segkit::default_min_samples(X.shape(1)));
    const segkit::EpsChoice choice = segkit::choose_eps(X, min_samples, 2);
    const xt::xtensor<double, 2>& distances = f[name + "_auto_distances"];
    REQUIRE(choice.distances.size() == distances.size());
    std::size_t differ = 0;
    for (std::size_t i = 0; i < distances.size(); ++i)
      differ += std::abs(choice.distances[i] - distances(i, 0)) > 1e-12 * std::max(1.0, distances(i, 0));
    CHECK(differ == 0);
    CHECK(choice.knee == static_cast<std::size_t>(f[name + "_auto_knee"](0, 0)));
    CHECK(choice.eps == doctest::Approx(f[name + "_auto_eps"](0, 0)).epsilon(1e-12));

    // DBSCAN through the workflow, on the rows as they are: noise is the last segment.
    segkit::workflow::ClusterSettings settings;
    settings.algorithm = "dbscan";
    settings.scaler = "none";
    settings.threads = 2;
    xt::xtensor<double, 2> copy = X;
    const segkit::workflow::Fit fit = segkit::workflow::cluster(copy, settings);
    const auto [labels, segments] = expected_labels(name);
    CHECK(fit.labels == labels);
    const bool noise = std::find(labels.begin(), labels.end(), segments) != labels.end();
    CHECK(fit.k == segments + (noise ? 1 : 0));
    CHECK(fit.unassigned == (noise ? std::optional<std::size_t>(segments) : std::nullopt));
    settings.threads = 1;
    copy = X;
    CHECK(segkit::workflow::cluster(copy, settings).labels == fit.labels);

    // A new customer joins the segment of the nearest core customer within eps, or none:
    // checked against every core customer, for each fitted customer.
    REQUIRE(fit.density);
    const segkit::DbscanCores& cores = *fit.density;
    const std::vector<std::ptrdiff_t> placed = cores.assign(X, 2);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < X.shape(0); ++i) {
      double best = std::numeric_limits<double>::infinity();
      std::ptrdiff_t segment = segkit::Dbscan::noise;
      for (std::size_t c = 0; c < cores.rows.shape(0); ++c) {
        double s = 0;
        for (std::size_t j = 0; j < X.shape(1); ++j) s += (X(i, j) - cores.rows(c, j)) * (X(i, j) - cores.rows(c, j));
        if (s <= cores.eps * cores.eps && s < best) best = s, segment = static_cast<std::ptrdiff_t>(cores.segments[c]);
      }
      wrong += placed[i] != segment;
      // A fitted customer in no dense region is near no core customer; a core customer is its own nearest.
      if (fit.labels[i] == segments) wrong += placed[i] != segkit::Dbscan::noise;
      if (best == 0) wrong += placed[i] != static_cast<std::ptrdiff_t>(fit.labels[i]);
    }
    CHECK(wrong == 0);
  }

  // The whole segment() of Mall's income and spending: the fixture's rows, standardised.
  segkit::workflow::SegmentOptions options;
  options.prepare.columns = {"Annual Income (k$)", "Spending Score (1-100)"};
  options.cluster.algorithm = "dbscan";
  options.keep_features = true;
  const std::string path = full_data_dir + "mall_customers/Mall_Customers.csv";
  const segkit::workflow::Segmentation s =
      segkit::workflow::segment(segkit::workflow::read_customers(path, {}), options);
  const auto [labels, segments] = expected_labels("mall");
  CHECK(s.fit.labels == labels);
  REQUIRE(s.fit.unassigned == segments);
  CHECK(s.profiles.segments.back().name == "unassigned");
  for (std::size_t c = 0; c + 1 < s.profiles.segments.size(); ++c) {
    CHECK(s.profiles.segments[c].name.find("unassigned") == std::string::npos);
    CHECK(s.profiles.segments[c].name.find("(segment") == std::string::npos);  // told apart without the noise
  }
  CHECK(s.fit.k_reason.find("18 of the 200 customers in none") != std::string::npos);
  // The model file places the fitted customers as the fit did: a core customer in its own
  // segment, a customer in no dense region in "unassigned".
  const segkit::io::Model model = segkit::io::model_from_json(segkit::io::to_json(segkit::workflow::model_of(s)));
  REQUIRE(model.density);
  CHECK_FALSE(model.nearest_centre_stand_in());
  const segkit::data::Table table = segkit::data::read_csv(path, {.categorical = {"CustomerID"}});
  const segkit::io::Assignment assignment = model.predict(table);
  REQUIRE(assignment.labels.size() == 200);
  std::size_t differ = 0;
  for (std::size_t i = 0; i < 200; ++i)
    differ += (s.fit.density->assign(xt::xtensor<double, 2>(xt::view(
                   s.fit.scaling.transform(s.features), xt::range(i, i + 1), xt::all())))[0] == segkit::Dbscan::noise
                   ? *s.fit.unassigned
                   : s.fit.labels[i]) != assignment.labels[i];
  CHECK(differ == 0);
  for (std::size_t i = 0; i < 200; ++i)
    if (s.fit.labels[i] == segments) CHECK(assignment.labels[i] == segments);
  // The report draws the k-distance curve and where eps cuts it.
  const std::string html = segkit::report::render_html(segkit::workflow::report_data(s, "Mall"));
  CHECK(html.find("id=\"choosing-eps\"") != std::string::npos);
  CHECK(html.find("distance to the 4th nearest") != std::string::npos);
  CHECK(segkit::ordinal(1) == "1st");
  CHECK(segkit::ordinal(12) == "12th");
  CHECK(segkit::ordinal(22) == "22nd");
  const auto above =
      static_cast<std::size_t>(std::count_if(s.fit.eps_choice->distances.begin(), s.fit.eps_choice->distances.end(),
                                             [&](double d) { return d > s.fit.density->eps; }));
  CHECK(html.find("the " + std::to_string(above) + " customers to its right are not core ones") != std::string::npos);

  // K is DBSCAN's to find, and its segments have no centres to align with.
  segkit::workflow::SegmentOptions with_k = options;
  with_k.cluster.k = 5;
  CHECK_THROWS_WITH_AS(segkit::workflow::segment(segkit::workflow::read_customers(path, {}), with_k),
                       doctest::Contains("DBSCAN finds the number of segments itself"), segkit::error);
  segkit::workflow::SegmentOptions too_sparse = options;
  too_sparse.cluster.eps = 1e-6;
  CHECK_THROWS_WITH_AS(segkit::workflow::segment(segkit::workflow::read_customers(path, {}), too_sparse),
                       doctest::Contains("finds no dense region"), segkit::error);
}

TEST_CASE("k-medoids in the workflow: segments around real customers, a model that puts each at its nearest medoid") {
  const segkit::test::Fixture f("kmedoids");
  segkit::workflow::SegmentOptions options;
  options.prepare.columns = {"Annual Income (k$)", "Spending Score (1-100)"};
  options.cluster.algorithm = "kmedoids";
  options.cluster.k = 5;
  const std::string path = full_data_dir + "mall_customers/Mall_Customers.csv";
  const segkit::workflow::Segmentation s =
      segkit::workflow::segment(segkit::workflow::read_customers(path, {}), options);
  // The same medoids as KMedoids on the standardised rows (the fixture's), from BUILD.
  segkit::KMedoids<> direct({.k = 5});
  direct.fit(f["mall_X"]);
  CHECK(s.fit.medoids == direct.medoids());
  CHECK(s.fit.labels == std::vector<std::size_t>(direct.labels().begin(), direct.labels().end()));
  const std::vector<segkit::workflow::TypicalCustomer> typical = segkit::workflow::typical_customers(s);
  REQUIRE(typical.size() == 5);
  for (std::size_t c = 0; c < 5; ++c) {
    CHECK(typical[c].segment == c);
    CHECK(typical[c].customer == s.ids[s.fit.medoids[c]]);
    CHECK(typical[c].values[0] == s.original(s.fit.medoids[c], 0));
  }
  // The model's centres are the medoids: predict puts every customer where the fit did.
  const segkit::io::Model model = segkit::io::model_from_json(segkit::io::to_json(segkit::workflow::model_of(s)));
  CHECK(model.algorithm == "kmedoids");
  CHECK_FALSE(model.nearest_centre_stand_in());
  const segkit::data::Table table = segkit::data::read_csv(path, {.categorical = {"CustomerID"}});
  CHECK(model.predict(table).labels == s.fit.labels);

  // K voted as for k-means; another distance is used as it is, and the model keeps it.
  segkit::workflow::SegmentOptions manhattan = options;
  manhattan.cluster.k.reset();
  manhattan.cluster.k_max = 6;
  manhattan.cluster.distance = "manhattan";
  const segkit::workflow::Segmentation m =
      segkit::workflow::segment(segkit::workflow::read_customers(path, {}), manhattan);
  CHECK(m.fit.sweep.size() == 5);
  CHECK(m.fit.medoids.size() == m.fit.k);
  segkit::KMedoids<segkit::Manhattan> direct_manhattan({.k = m.fit.k});
  direct_manhattan.fit(f["mall_X"]);
  CHECK(m.fit.medoids == direct_manhattan.medoids());
  const segkit::io::Model manhattan_model = segkit::workflow::model_of(m);
  CHECK(manhattan_model.distance == "manhattan");
  CHECK(manhattan_model.predict(table).labels == m.fit.labels);

  // Gower's dissimilarity on a mixed table: the prepared numbers and each categorical column as one category.
  segkit::workflow::SegmentOptions mixed_options;
  mixed_options.prepare.columns = {"Income", "Recency", "MntWines", "Education", "Marital_Status"};
  mixed_options.cluster.algorithm = "kmedoids";
  mixed_options.cluster.distance = "gower";
  mixed_options.cluster.k = 3;
  const std::string marketing = full_data_dir + "customer_personality/marketing_campaign.csv";
  const segkit::workflow::Segmentation g =
      segkit::workflow::segment(segkit::workflow::read_customers(marketing, {}), mixed_options);
  REQUIRE(g.fit.gower);
  const segkit::data::Table marketing_table = segkit::data::read_csv(marketing, {.categorical = {"ID"}});
  const auto marketing_prepared = g.preparation.transform(marketing_table);
  const auto [rows, categorical] = g.fit.gower->columns.mixed(marketing_prepared.X);
  CHECK(categorical == std::vector<bool>{false, false, false, true, true});
  const segkit::Gower gower = segkit::Gower::of(rows, categorical);
  CHECK(gower.ranges == g.fit.gower->gower.ranges);
  segkit::KMedoids<segkit::Gower> by_gower({.k = 3}, gower);
  by_gower.fit(rows);
  CHECK(g.fit.medoids == by_gower.medoids());
  CHECK(g.fit.labels == std::vector<std::size_t>(by_gower.labels().begin(), by_gower.labels().end()));
  const segkit::io::Model gower_model = segkit::io::model_from_json(segkit::io::to_json(segkit::workflow::model_of(g)));
  CHECK(gower_model.distance == "gower");
  CHECK(gower_model.predict(marketing_table).labels == g.fit.labels);

  // More customers than k-medoids weighs pair by pair are refused, saying what to do.
  xt::xtensor<double, 2> many = xt::zeros<double>({segkit::workflow::detail::kmedoids_max_rows + 1, std::size_t{1}});
  for (std::size_t i = 0; i < many.shape(0); ++i) many(i, 0) = static_cast<double>(i % 97);
  segkit::workflow::ClusterSettings settings;
  settings.algorithm = "kmedoids";
  settings.k = 3;
  CHECK_THROWS_WITH_AS(segkit::workflow::cluster(many, settings), doctest::Contains("use kmeans, or segment a sample"),
                       segkit::error);
  settings.algorithm = "kmedians";
  CHECK_THROWS_WITH_AS(
      segkit::workflow::cluster(many, settings),
      doctest::Contains("must be kmeans, gmm, ward, complete, average, single, dbscan, kmedoids or kprototypes"),
      segkit::error);
}

TEST_CASE("k-prototypes in the workflow: marketing_campaign's Education and Marital_Status as categories") {
  segkit::workflow::SegmentOptions options;
  options.prepare.columns = {"Income", "Recency", "MntWines", "Education", "Marital_Status"};
  options.cluster.algorithm = "kprototypes";
  options.cluster.k = 4;
  options.cluster.threads = 2;
  const std::string path = full_data_dir + "customer_personality/marketing_campaign.csv";
  const segkit::workflow::Segmentation s =
      segkit::workflow::segment(segkit::workflow::read_customers(path, {}), options);
  REQUIRE(s.fit.prototypes);
  const segkit::PrototypeModel& p = *s.fit.prototypes;
  REQUIRE(p.columns.categories.size() == 2);
  CHECK(p.columns.numeric.size() == 3);
  // Every customer segmented (the 24 without an income imputed, not left out).
  CHECK(s.customers == 2240);
  CHECK(s.fit.labels.size() == 2240);
  CHECK(s.fit.k_reason.find("gamma = 0.5 (half the mean standard deviation") != std::string::npos);

  // The same as KPrototypes on the scaled numbers and the categories' codes.
  const segkit::data::Table table = segkit::data::read_csv(path, {.categorical = {"ID"}});
  const auto prepared = s.preparation.transform(table);
  const xt::xtensor<double, 2> Z = s.fit.scaling.transform(prepared.X);
  segkit::KPrototypes direct({.k = 4});
  direct.fit(p.columns.numbers(Z), p.columns.codes(prepared.X));
  CHECK(s.fit.labels == std::vector<std::size_t>(direct.labels().begin(), direct.labels().end()));
  CHECK(p.modes == direct.modes());
  // Each segment's profile shows its mode: the prototype's category, by name.
  std::vector<const segkit::features::Recipe*> one_hot;
  for (const auto& r : s.preparation.recipes())
    if (r.kind == segkit::features::Recipe::Kind::one_hot) one_hot.push_back(&r);
  REQUIRE(one_hot.size() == 2);
  REQUIRE(s.profiles.categorical == std::vector<std::string>{"Education", "Marital_Status"});
  for (std::size_t c = 0; c < 4; ++c)
    for (std::size_t g = 0; g < 2; ++g)
      CHECK(segkit::modal_category(s.profiles.segments[c], g).category == one_hot[g]->levels[p.modes(c, g)]);
  const auto [header, rows] = segkit::workflow::modal_categories(s.profiles);
  CHECK(header == std::vector<std::string>{"segment", "Education (most frequent)", "Marital_Status (most frequent)"});
  REQUIRE(rows.size() == 4);
  CHECK(rows[0][1].rfind(one_hot[0]->levels[p.modes(0, 0)] + " (", 0) == 0);

  // The model places every customer where the fit did; its prototypes are read strictly.
  const std::string text = segkit::io::to_json(segkit::workflow::model_of(s));
  const segkit::io::Model model = segkit::io::model_from_json(text);
  CHECK_FALSE(model.nearest_centre_stand_in());
  CHECK(model.predict(table).labels == s.fit.labels);
  nlohmann::json broken = nlohmann::json::parse(text);
  broken["prototypes"]["modes"][1][0] = 99;
  CHECK_THROWS_WITH_AS(segkit::io::model_from_json(broken.dump(), "m.json"),
                       doctest::Contains("field \"prototypes.modes[1][0]\" is 99, not a level"), segkit::error);
  broken = nlohmann::json::parse(text);
  broken.erase("prototypes");
  CHECK_THROWS_WITH_AS(segkit::io::model_from_json(broken.dump(), "m.json"),
                       doctest::Contains("field \"prototypes\" is missing"), segkit::error);

  // Without categories there is nothing for k-prototypes to keep as such.
  segkit::workflow::SegmentOptions numeric = options;
  numeric.prepare.columns = {"Income", "Recency"};
  CHECK_THROWS_WITH_AS(segkit::workflow::segment(segkit::workflow::read_customers(path, {}), numeric),
                       doctest::Contains("k-prototypes needs categorical columns"), segkit::error);
}

TEST_CASE("compare: the algorithms on one preparation, scored alike, their agreement and a recommendation") {
  segkit::workflow::CompareOptions options;
  options.segment.prepare.columns = {"Annual Income (k$)", "Spending Score (1-100)"};
  options.segment.cluster.threads = 2;
  options.algorithms = {"kmeans", "gmm", "ward", "kmedoids", "kprototypes"};
  const std::string path = full_data_dir + "mall_customers/Mall_Customers.csv";
  const segkit::workflow::Comparison c = segkit::workflow::compare(segkit::workflow::read_customers(path, {}), options);
  REQUIRE(c.results.size() == 5);
  CHECK(c.customers == 200);
  // Each algorithm as segment() runs it, scored on the same scaled features.
  for (std::size_t r = 0; r < 4; ++r) {
    const segkit::workflow::AlgorithmResult& a = c.results[r];
    INFO(a.algorithm);
    REQUIRE(a.ran());
    segkit::workflow::SegmentOptions alone = options.segment;
    alone.cluster.algorithm = a.algorithm;
    const segkit::workflow::Segmentation s =
        segkit::workflow::segment(segkit::workflow::read_customers(path, {}), alone);
    CHECK(a.fit.labels == s.fit.labels);
    CHECK(a.fit.k == s.fit.k);
    CHECK(a.silhouette == doctest::Approx(segkit::silhouette_score(c.scaled, a.fit.labels)).epsilon(1e-12));
    CHECK(a.davies_bouldin == doctest::Approx(segkit::davies_bouldin_score(c.scaled, a.fit.labels)).epsilon(1e-12));
    std::size_t total = 0;
    for (const std::size_t size : a.sizes) total += size;
    CHECK(total == 200);
    CHECK(a.bic.has_value() == (a.algorithm == "gmm"));
  }
  // An algorithm this data does not suit is kept, with why.
  CHECK_FALSE(c.results[4].ran());
  CHECK(c.results[4].skipped.find("k-prototypes needs categorical columns") != std::string::npos);
  // Agreement: the adjusted Rand index of every two that ran.
  for (std::size_t a = 0; a < 4; ++a)
    for (std::size_t b = 0; b < 4; ++b)
      CHECK(c.agreement(a, b) ==
            doctest::Approx(segkit::adjusted_rand_score(c.results[a].fit.labels, c.results[b].fit.labels)));
  CHECK(std::isnan(c.agreement(0, 4)));
  // The recommendation is the one most criteria prefer, and says so.
  REQUIRE_FALSE(c.recommended.empty());
  std::size_t best = 0;
  for (std::size_t r = 1; r < 4; ++r)
    if (c.results[r].silhouette > c.results[best].silhouette) best = r;
  CHECK(c.reason.rfind(c.recommended + " (K = ", 0) == 0);
  if (c.recommended == c.results[best].algorithm) CHECK(c.reason.find("the highest silhouette") != std::string::npos);
  const auto [header, rows] = segkit::workflow::comparison_table(c);
  CHECK(header.size() == 8);
  REQUIRE(rows.size() == 5);
  CHECK(rows[4][6].rfind("skipped: ", 0) == 0);
  const std::string labels = segkit::workflow::comparison_labels_csv(c);
  CHECK(labels.rfind("CustomerID,kmeans,gmm,ward,kmedoids\n0001,", 0) == 0);
  CHECK(std::count(labels.begin(), labels.end(), '\n') == 201);
  const std::string html = segkit::report::render_html(segkit::workflow::report_data(c, "compare"));
  CHECK(html.find("id=\"side-by-side\"") != std::string::npos);
  std::size_t panels = 0;
  for (std::size_t at = html.find("class=\"chart panel\""); at != std::string::npos;
       at = html.find("class=\"chart panel\"", at + 1))
    ++panels;
  CHECK(panels == 4);
  CHECK(html.find("id=\"segments\"") == std::string::npos);
  CHECK_THROWS_WITH_AS(
      segkit::workflow::compare(segkit::workflow::read_customers(path, {}), {options.segment, {"kmeans", "spectral"}}),
      doctest::Contains("the algorithms must be"), segkit::error);
}

}  // namespace segkit_test_workflow
