// One fitted model served from many threads at once: predict, predict_one and
// score() on the same Pipeline (one fitted here, one loaded from its model file),
// every answer checked against the one-thread answer; and a served model updated by
// partial_fit while 8 threads predict, every answer the old model's or the new one's.
// Built also under ThreadSanitizer by CI (.ci/run), where a data race fails the run.

#include <doctest/doctest.h>

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <segkit/io/model.hpp>
#include <segkit/io/served.hpp>
#include <segkit/pipeline/pipeline.hpp>

namespace {

xt::xtensor<double, 2> blobs(std::size_t n, std::size_t d, std::size_t k, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::uniform_real_distribution<double> centre(-10.0, 10.0);
  xt::xtensor<double, 2> centres = xt::empty<double>({k, d});
  for (auto& v : centres) v = centre(rng);
  xt::xtensor<double, 2> X = xt::empty<double>({n, d});
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) X(i, j) = centres(i % k, j) + noise(rng);
  return X;
}

/// A directory of its own under the system's temporary directory, removed at the end.
struct ScratchDir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("segkit-serving-" + std::to_string(std::random_device{}()));
  ScratchDir() { std::filesystem::create_directories(path); }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

}  // namespace

TEST_CASE("one model serves 8 threads at once: predict, predict_one and score() give the one-thread answers") {
  const xt::xtensor<double, 2> X = blobs(3000, 6, 5, 3);
  segkit::Pipeline<> fitted(segkit::Options{.k = 5, .n_init = 2, .seed = 9, .threads = 2});
  fitted.fit(X);
  const ScratchDir dir;
  segkit::io::save(fitted, dir.path / "model.json");
  const auto loaded = segkit::io::load<segkit::Pipeline<>>(dir.path / "model.json", segkit::Options{.threads = 2});

  // The one-thread answers, asked before any thread starts (score() is computed here
  // for the expected value only on a copy, so the threads race to compute the original's).
  const xt::xtensor<std::size_t, 1> expected = fitted.predict(X);
  REQUIRE(xt::all(xt::equal(expected, fitted.labels())));
  const double expected_score = segkit::Pipeline<>(fitted).score();

  constexpr std::size_t threads = 8, rounds = 40;
  std::atomic<std::size_t> wrong{0}, answers{0};
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (std::size_t round = 0; round < rounds; ++round) {
        const std::size_t i = (t * 7919 + round * 104729) % X.shape(0);
        const std::span<const double> row(X.data() + i * X.shape(1), X.shape(1));
        wrong += fitted.predict_one(row) != expected(i);
        wrong += loaded.predict_one(row) != expected(i);
        if (round % 10 == t % 10) {
          wrong += !xt::all(xt::equal(loaded.predict(X), expected));
          wrong += fitted.score() != expected_score;
        }
        answers += 2;
      }
    });
  for (auto& thread : pool) thread.join();
  CHECK(answers.load() == threads * rounds * 2);
  CHECK(wrong.load() == 0);
}

namespace {

/// Column j's name in io::model_of's default preparation: x1, x2, ...
/// (Appended: GCC 12 warns falsely, -Wrestrict, on "x" + std::string.)
std::string column_name(std::size_t j) {
  std::string name = "x";
  name += std::to_string(j + 1);
  return name;
}

/// The rows of X as a customer table of columns x1, x2, ... (what io::model_of's preparation reads).
segkit::data::Table table_of(const xt::xtensor<double, 2>& X) {
  segkit::data::Table table;
  for (std::size_t j = 0; j < X.shape(1); ++j) {
    std::vector<double> column(X.shape(0));
    for (std::size_t i = 0; i < X.shape(0); ++i) column[i] = X(i, j);
    table.add(segkit::data::Column::numeric(column_name(j), std::move(column)));
  }
  return table;
}

}  // namespace

TEST_CASE("partial_fit while 8 threads predict: every answer is the old model's or the new one's, never a mix") {
  const xt::xtensor<double, 2> X = blobs(3000, 6, 5, 3);
  segkit::Pipeline<> fitted(segkit::Options{.k = 5, .n_init = 2, .seed = 9, .threads = 2});
  fitted.fit(X);
  const segkit::io::Model before = segkit::io::model_of(fitted);
  // New customers far off to one side: the centres they join move by much.
  xt::xtensor<double, 2> arrivals = blobs(1500, 6, 5, 4);
  arrivals += 4.0;
  const segkit::data::Table batch = table_of(arrivals);
  segkit::io::Model after = before;
  segkit::io::partial_fit(after, batch);

  // Customers spread over the whole space, as text fields; the answers of both models, asked alone.
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> anywhere(-14.0, 14.0);
  xt::xtensor<double, 2> customers = xt::empty<double>({std::size_t{400}, std::size_t{6}});
  for (auto& v : customers) v = anywhere(rng);
  const segkit::data::Table customer_table = table_of(customers);
  std::vector<std::map<std::string, std::string>> fields(customers.shape(0));
  for (std::size_t i = 0; i < customers.shape(0); ++i)
    for (std::size_t j = 0; j < 6; ++j) fields[i][column_name(j)] = segkit::format_number(customers(i, j), 17);
  const std::vector<std::size_t> old_labels = before.predict(customer_table).labels;
  const std::vector<std::size_t> new_labels = after.predict(customer_table).labels;
  std::size_t differ = 0;
  for (std::size_t i = 0; i < old_labels.size(); ++i) {
    differ += old_labels[i] != new_labels[i];
    REQUIRE(before.predict_one(fields[i]) == old_labels[i]);
  }
  REQUIRE(differ > 0);  // else "old or new" could not tell a mix from either

  segkit::io::ServedModel served(before);
  const ScratchDir dir;
  constexpr std::size_t threads = 8, rounds = 60;
  std::atomic<std::size_t> wrong{0}, mixed{0}, saw_new{0}, started{0};
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      ++started;
      for (std::size_t round = 0; round < rounds; ++round) {
        const std::size_t i = (t * 7919 + round * 104729) % fields.size();
        const std::size_t label = served.predict_one(fields[i]);
        wrong += label != old_labels[i] && label != new_labels[i];
        saw_new += label != old_labels[i];
        if (round % 15 == t % 15) {
          // A whole table from one call: all of it from one model.
          const std::vector<std::size_t> labels = served.predict(customer_table).labels;
          mixed += labels != old_labels && labels != new_labels;
        }
      }
    });
  while (started.load() < threads) std::this_thread::yield();
  const segkit::io::Update update = served.partial_fit(batch, dir.path / "model.json");
  for (auto& thread : pool) thread.join();
  CHECK(wrong.load() == 0);
  CHECK(mixed.load() == 0);
  CHECK(update.assignment.labels.size() == arrivals.shape(0));
  // After the update every answer is the new model's, and the file holds it.
  CHECK(served.predict(customer_table).labels == new_labels);
  CHECK(segkit::io::load_model(dir.path / "model.json").predict(customer_table).labels == new_labels);
  CHECK(served.current()->counts == after.counts);
}
