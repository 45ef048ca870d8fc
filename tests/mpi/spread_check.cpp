// k-means over MPI ranks equals the one-process run, bit for bit: run under
// `mpirun -np P` (P = 1..4, ctest runs each, and once over TCP on the loopback). Every
// rank computes the one-process reference on all the rows itself, then the spread run
// on its share; labels (gathered), centres, iterations and inertia must be equal to
// the bit, for even and uneven splits, a rank with no rows, float and double, each
// assignment step (full, bounded from the start, switched to bounds), an empty
// cluster relocated, and a real dataset (Wholesale customers). A NaN on one rank must
// stop every rank with segkit::error, none left waiting.
//
//   spread_check DATA_DIR
#include <mpi.h>

#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <segkit/cluster/hamerly.hpp>
#include <segkit/cluster/lloyd.hpp>
#include <segkit/cluster/spread.hpp>
#include <segkit/cluster/yinyang.hpp>
#include <segkit/evaluate/spread.hpp>
#include <segkit/select/choose_k.hpp>
#include <segkit/data/csv.hpp>
#include <segkit/init/kmeans_plus_plus.hpp>
#include <segkit/mpi/comm.hpp>
#include <segkit/pipeline/pipeline.hpp>
#include <segkit/scaler/minmax.hpp>
#include <segkit/scaler/none.hpp>
#include <segkit/scaler/robust.hpp>
#include <segkit/scaler/standard.hpp>
#include <segkit/workflow/spread.hpp>

namespace {

int failures = 0;

void expect(bool ok, const std::string& what, int rank) {
  if (ok) return;
  ++failures;
  std::fprintf(stderr, "rank %d: FAIL: %s\n", rank, what.c_str());
}

/// n rows of d features around k centres (a seeded generator: every rank draws the same).
template <class T>
xt::xtensor<T, 2> blobs(std::size_t n, std::size_t d, std::size_t k, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::uniform_real_distribution<double> where(-8.0, 8.0);
  std::vector<double> centres(k * d);
  for (double& c : centres) c = where(gen);
  xt::xtensor<T, 2> X = xt::empty<T>({n, d});
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = gen() % k;
    for (std::size_t j = 0; j < d; ++j) X(i, j) = static_cast<T>(centres[c * d + j] + noise(gen));
  }
  return X;
}

/// Rank r's share [starts[r], starts[r + 1]) of n rows by a split scheme.
std::vector<std::size_t> split(std::size_t n, std::size_t ranks, const std::string& scheme) {
  std::vector<double> weight(ranks, 1.0);
  for (std::size_t r = 0; r < ranks; ++r) {
    if (scheme == "uneven") weight[r] = static_cast<double>((r * 5 + 3) % 7);  // 3, 1, 6, 4: no chunk edges
    if (scheme == "empty" && ranks > 1 && r == ranks / 2) weight[r] = 0;       // one rank holds nothing
    if (scheme == "first-empty" && ranks > 1 && r == 0) weight[r] = 0;
  }
  double total = 0;
  for (const double w : weight) total += w;
  std::vector<std::size_t> starts(ranks + 1, 0);
  double so_far = 0;
  for (std::size_t r = 0; r < ranks; ++r) {
    so_far += weight[r];
    starts[r + 1] = r + 1 == ranks ? n : static_cast<std::size_t>(static_cast<double>(n) * so_far / total);
  }
  return starts;
}

template <class T>
xt::xtensor<T, 2> rows_of(const xt::xtensor<T, 2>& X, std::size_t b, std::size_t e) {
  xt::xtensor<T, 2> out = xt::empty<T>({e - b, X.shape(1)});
  if (e > b) std::memcpy(out.data(), X.data() + b * X.shape(1), (e - b) * X.shape(1) * sizeof(T));
  return out;
}

template <class Clusterer, class T>
void check(const segkit::mpi::MpiComm& comm, const std::string& name, const xt::xtensor<T, 2>& X,
           const xt::xtensor<T, 2>& init, const std::string& scheme, std::size_t threads) {
  const int rank = static_cast<int>(comm.rank());
  segkit::Options options;
  options.threads = threads;
  const segkit::Clustering<T> one = Clusterer{}.cluster(X, init, segkit::SquaredEuclidean{}, options);
  const std::vector<std::size_t> starts = split(X.shape(0), comm.size(), scheme);
  const xt::xtensor<T, 2> mine = rows_of(X, starts[comm.rank()], starts[comm.rank() + 1]);
  const segkit::Clustering<T> spread = segkit::cluster_spread<Clusterer>(comm, mine, init, options);
  const std::string what = name + ", split " + scheme + ", " + std::to_string(threads) + " thread(s): ";
  expect(spread.labels.size() == mine.shape(0), what + "labels of another count than the rank's rows", rank);
  const std::vector<unsigned long long> all =
      comm.allgather(std::vector<unsigned long long>(spread.labels.begin(), spread.labels.end()));
  bool labels_equal = all.size() == one.labels.size();
  for (std::size_t i = 0; labels_equal && i < all.size(); ++i) labels_equal = all[i] == one.labels(i);
  expect(labels_equal, what + "labels differ from the one-process run", rank);
  expect(spread.centers.shape() == one.centers.shape() &&
             std::memcmp(spread.centers.data(), one.centers.data(), one.centers.size() * sizeof(T)) == 0,
         what + "centres differ from the one-process run", rank);
  expect(spread.iterations == one.iterations, what + "iterations differ", rank);
  expect(std::memcmp(&spread.inertia, &one.inertia, sizeof(double)) == 0,
         what + "inertia differs (" + std::to_string(spread.inertia) + " vs " + std::to_string(one.inertia) + ")",
         rank);
  if (rank == 0) std::printf("%s%zu iterations, labels and centres equal\n", what.c_str(), one.iterations);
}

/// The whole fit over ranks (k-means|| starts keyed on global rows, n_init of them, Lloyd)
/// against the Pipeline of the same policies on all the rows.
template <class Scaler, class T>
void check_whole_fit(const segkit::mpi::MpiComm& comm, const std::string& name, const xt::xtensor<T, 2>& X,
                     std::size_t k, const std::string& scheme) {
  const int rank = static_cast<int>(comm.rank());
  segkit::Options options;
  options.k = k;
  options.n_init = 3;
  options.seed = 17;
  options.threads = 2;
  segkit::Pipeline<Scaler, segkit::KMeansParallel> one(options);
  one.fit(X);
  const std::vector<std::size_t> starts = split(X.shape(0), comm.size(), scheme);
  // A rank without rows passes a 0 x 0 matrix here (it need not know the features).
  const xt::xtensor<T, 2> mine = starts[comm.rank()] == starts[comm.rank() + 1]
                                     ? xt::xtensor<T, 2>(xt::empty<T>({std::size_t{0}, std::size_t{0}}))
                                     : rows_of(X, starts[comm.rank()], starts[comm.rank() + 1]);
  const segkit::SpreadFit<T, Scaler> fit = segkit::kmeans_spread<Scaler>(comm, mine, options);
  const segkit::Clustering<T>& spread = fit.clustering;
  const std::string what =
      name + ", " + std::string(Scaler::name) + " scaler, k-means|| starts, n_init 3, split " + scheme + ": ";
  const std::vector<unsigned long long> all =
      comm.allgather(std::vector<unsigned long long>(spread.labels.begin(), spread.labels.end()));
  bool labels_equal = all.size() == one.labels().size();
  for (std::size_t i = 0; labels_equal && i < all.size(); ++i) labels_equal = all[i] == one.labels()(i);
  expect(labels_equal, what + "labels differ from the Pipeline on all rows", rank);
  const xt::xtensor<double, 2> centers = xt::cast<double>(spread.centers);
  expect(centers.shape() == one.scaled_centers().shape() &&
             std::memcmp(centers.data(), one.scaled_centers().data(), centers.size() * sizeof(double)) == 0,
         what + "centres differ from the Pipeline on all rows", rank);
  expect(spread.inertia == one.inertia(), what + "inertia differs", rank);
  expect(fit.scaler.center() == one.scaler().center() && fit.scaler.scale() == one.scaler().scale(),
         what + "the scaler's statistics differ", rank);
  if (rank == 0) std::printf("%slabels and centres equal to the Pipeline's\n", what.c_str());

  // The scores over ranks: the silhouette of a sample of rows (every row when few), bit for
  // bit; Calinski-Harabasz and Davies-Bouldin to rounding.
  const xt::xtensor<T, 2> scaled = one.scaler().transform(X);
  const xt::xtensor<T, 2> my_scaled =
      mine.shape(0) == 0 ? xt::xtensor<T, 2>(xt::empty<T>({std::size_t{0}, X.shape(1)})) : fit.scaler.transform(mine);
  const std::vector<std::size_t> sample =
      X.shape(0) > 2000 ? segkit::detail::sample_rows(X.shape(0), 2000, 99) : std::vector<std::size_t>{};
  const segkit::SpreadScores scores = segkit::scores_spread(comm, my_scaled, spread.labels, k, sample);
  segkit::Clustering<T> all_rows;
  all_rows.labels = one.labels();
  std::vector<std::size_t> every(X.shape(0));
  for (std::size_t i = 0; i < every.size(); ++i) every[i] = i;
  const double silhouette = segkit::SampledSilhouette{sample.empty() ? every : sample}.evaluate(scaled, all_rows, 1);
  expect(scores.silhouette == silhouette,
         what + "silhouette " + std::to_string(scores.silhouette) + " vs " + std::to_string(silhouette), rank);
  const double ch = segkit::calinski_harabasz_score(scaled, one.labels()),
               db = segkit::davies_bouldin_score(scaled, one.labels());
  expect(std::abs(scores.calinski_harabasz - ch) <= 1e-12 * std::abs(ch),
         what + "Calinski-Harabasz " + std::to_string(scores.calinski_harabasz) + " vs " + std::to_string(ch), rank);
  expect(std::abs(scores.davies_bouldin - db) <= 1e-12 * std::abs(db),
         what + "Davies-Bouldin " + std::to_string(scores.davies_bouldin) + " vs " + std::to_string(db), rank);
  if (rank == 0)
    std::printf("%sscores: silhouette %.6f on %zu rows, Davies-Bouldin %.6f, Calinski-Harabasz %.3f\n", what.c_str(),
                scores.silhouette, scores.silhouette_rows, scores.davies_bouldin, scores.calinski_harabasz);
}

template <class T>
void run_all(const segkit::mpi::MpiComm& comm, const std::string& data_dir) {
  const char* type = sizeof(T) == 4 ? "float" : "double";
  // 30,000 rows: 8 chunks of 4,096 (the last short), so an uneven split cuts chunks.
  const xt::xtensor<T, 2> X = blobs<T>(30000, 6, 8, 11);
  for (const std::size_t k : {std::size_t{5}, std::size_t{20}}) {
    const xt::xtensor<T, 2> init = segkit::KMeansPlusPlus{}.initial_centers(X, k, segkit::SquaredEuclidean{}, 3, 1);
    for (const char* scheme : {"even", "uneven", "empty", "first-empty"})
      check<segkit::Lloyd>(comm, std::string("Lloyd ") + type + " k=" + std::to_string(k), X, init, scheme, 2);
  }
  const xt::xtensor<T, 2> init8 = segkit::KMeansPlusPlus{}.initial_centers(X, 8, segkit::SquaredEuclidean{}, 5, 1);
  check<segkit::Hamerly>(comm, std::string("Hamerly ") + type + " k=8", X, init8, "uneven", 1);
  check<segkit::Yinyang>(comm, std::string("Yinyang ") + type + " k=8", X, init8, "empty", 2);
  // A centre far from every row: empty after the first pass, given the farthest row.
  xt::xtensor<T, 2> far = init8;
  for (std::size_t j = 0; j < X.shape(1); ++j) far(7, j) = static_cast<T>(1000);
  check<segkit::Lloyd>(comm, std::string("Lloyd ") + type + " k=8 with an empty cluster", X, far, "uneven", 2);
  for (const char* scheme : {"uneven", "first-empty"})
    check_whole_fit<segkit::StandardScaler>(comm, std::string("blobs ") + type, X, 8, scheme);
  check_whole_fit<segkit::NoScaling>(comm, std::string("blobs ") + type, X, 8, "empty");

  // Wholesale customers: 440 rows, fewer than a chunk, so every row goes to one rank.
  const segkit::data::Table table =
      segkit::data::read_csv(data_dir + "/wholesale_customers/Wholesale customers data.csv");
  const xt::xtensor<double, 2> wholesale_double =
      table.matrix({"Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"});
  const xt::xtensor<T, 2> wholesale = xt::cast<T>(wholesale_double);
  const xt::xtensor<T, 2> init6 =
      segkit::KMeansPlusPlus{}.initial_centers(wholesale, 6, segkit::SquaredEuclidean{}, 7, 1);
  check<segkit::Lloyd>(comm, std::string("Wholesale ") + type + " k=6", wholesale, init6, "uneven", 2);
  check_whole_fit<segkit::StandardScaler>(comm, std::string("Wholesale ") + type, wholesale, 5, "even");
  check_whole_fit<segkit::MinMaxScaler>(comm, std::string("Wholesale ") + type, wholesale, 5, "uneven");
  check_whole_fit<segkit::RobustScaler>(comm, std::string("Wholesale ") + type, wholesale, 5, "first-empty");
  check_whole_fit<segkit::RobustScaler>(comm, std::string("blobs ") + type, X, 8, "uneven");
}

/// A double's bits (NaN equals NaN; one-hot recipes have no fill).
std::uint64_t bits(double v) { return std::bit_cast<std::uint64_t>(v); }

/// The whole segment workflow over the ranks, each reading its part of the file, against
/// one process reading all of it with the same settings (starts k-means||): the same
/// preparation, centres and inertia bit for bit, every customer's id and label, the same
/// segment sizes and medians, means to 1e-12.
void check_workflow(const segkit::mpi::MpiComm& comm, const std::string& path, std::size_t k,
                    segkit::features::PrepareOptions prepare, const std::string& scaler) {
  const int rank = static_cast<int>(comm.rank());
  segkit::workflow::SegmentOptions options;
  options.prepare = prepare;
  if (k > 0) options.cluster.k = k;  // else chosen in 2..8
  options.cluster.k_max = 8;
  options.cluster.init = "k-means||";
  options.cluster.scaler = scaler;
  options.cluster.n_init = 3;
  options.cluster.seed = 5;
  const std::string name = path.substr(path.rfind('/') + 1) + " (" + scaler + ")";
  const segkit::workflow::Segmentation one =
      segkit::workflow::segment(segkit::workflow::read_customers(path, {}), options);
  segkit::data::CsvOptions csv;
  csv.chunk_bytes = 1 << 12;  // several chunks per part
  const segkit::workflow::Segmentation spread =
      segkit::workflow::segment(segkit::workflow::read_customers(path, csv, "", comm), options, comm);
  expect(spread.customers == one.customers, name + ": customers", rank);
  expect(spread.id_column == one.id_column, name + ": id column " + spread.id_column, rank);
  expect(spread.preparation.feature_names() == one.preparation.feature_names(), name + ": features", rank);
  const auto& a = spread.preparation.recipes();
  const auto& b = one.preparation.recipes();
  bool same_recipes = a.size() == b.size();
  for (std::size_t q = 0; same_recipes && q < a.size(); ++q)
    same_recipes = bits(a[q].fill) == bits(b[q].fill) && bits(a[q].low) == bits(b[q].low) &&
                   bits(a[q].high) == bits(b[q].high) && a[q].log == b[q].log && a[q].levels == b[q].levels &&
                   a[q].fill_level == b[q].fill_level && bits(a[q].reference) == bits(b[q].reference);
  expect(same_recipes, name + ": recipes (medians, fences, levels, logs)", rank);
  expect(spread.row_actions.size() == one.row_actions.size(), name + ": row actions", rank);
  for (std::size_t i = 0; i < std::min(spread.row_actions.size(), one.row_actions.size()); ++i)
    expect(
        spread.row_actions[i].rows == one.row_actions[i].rows && spread.row_actions[i].what == one.row_actions[i].what,
        name + ": row action " + spread.row_actions[i].what, rank);
  expect(spread.fit.k == one.fit.k, name + ": K " + std::to_string(spread.fit.k), rank);
  expect(spread.fit.k_reason == one.fit.k_reason, name + ": the reason for K: " + spread.fit.k_reason, rank);
  bool same_sweep = spread.fit.sweep.size() == one.fit.sweep.size();
  for (std::size_t i = 0; same_sweep && i < one.fit.sweep.size(); ++i) {
    const auto& x = spread.fit.sweep[i];
    const auto& y = one.fit.sweep[i];
    same_sweep = x.k == y.k && x.inertia == y.inertia && x.iterations == y.iterations && x.silhouette == y.silhouette &&
                 std::abs(x.davies_bouldin - y.davies_bouldin) <= 1e-12 * y.davies_bouldin &&
                 std::abs(x.calinski_harabasz - y.calinski_harabasz) <= 1e-12 * y.calinski_harabasz;
  }
  expect(same_sweep, name + ": the scores of every K", rank);
  expect(spread.fit.warnings == one.fit.warnings, name + ": warnings", rank);
  expect(spread.fit.scaled_centers == one.fit.scaled_centers, name + ": centres", rank);
  expect(spread.fit.inertia == one.fit.inertia, name + ": inertia", rank);
  // This rank's customers are one's rows from the sum of the counts of the ranks before.
  const std::vector<unsigned long long> counts = comm.allgather(std::vector<unsigned long long>{spread.ids.size()});
  std::size_t first = 0;
  for (std::size_t r = 0; r < comm.rank(); ++r) first += counts[r];
  bool same_labels = first + spread.ids.size() <= one.ids.size();
  for (std::size_t i = 0; same_labels && i < spread.ids.size(); ++i)
    same_labels = spread.ids[i] == one.ids[first + i] && spread.fit.labels[i] == one.fit.labels[first + i];
  expect(same_labels, name + ": ids and labels", rank);
  bool same_profiles = spread.profiles.segments.size() == one.profiles.segments.size();
  for (std::size_t c = 0; same_profiles && c < one.profiles.segments.size(); ++c) {
    const auto& x = spread.profiles.segments[c];
    const auto& y = one.profiles.segments[c];
    same_profiles = x.size == y.size && x.median == y.median && x.name == y.name;
    for (std::size_t j = 0; same_profiles && j < x.mean.size(); ++j)
      same_profiles = std::abs(x.mean[j] - y.mean[j]) <= 1e-12 * std::max(1.0, std::abs(y.mean[j]));
    for (std::size_t t = 0; same_profiles && t < x.categories.size(); ++t)
      for (std::size_t l = 0; same_profiles && l < x.categories[t].size(); ++l)
        same_profiles = x.categories[t][l].count == y.categories[t][l].count;
  }
  expect(same_profiles, name + ": profiles", rank);
  expect(spread.profiles.median == one.profiles.median, name + ": overall medians", rank);
  if (rank == 0)
    std::printf("workflow %s: K = %zu%s, %zu customers\n", name.c_str(), spread.fit.k, k ? "" : " (chosen)",
                spread.customers);
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int code = 0;
  {
    const segkit::mpi::MpiComm comm(MPI_COMM_WORLD);
    const int rank = static_cast<int>(comm.rank());
    try {
      const std::string data_dir = argc > 1 ? argv[1] : SEGKIT_DATA_DIR;
      run_all<double>(comm, data_dir);
      run_all<float>(comm, data_dir);
      segkit::features::PrepareOptions defaults, logged;
      logged.log_skewed = true;
      logged.outliers = segkit::features::OutlierPolicy::clip;
      check_workflow(comm, data_dir + "/mall_customers/Mall_Customers.csv", 5, defaults, "standard");
      check_workflow(comm, data_dir + "/mall_customers/Mall_Customers.csv", 0, defaults, "standard");
      check_workflow(comm, data_dir + "/customer_personality/marketing_campaign.csv", 4, logged, "robust");
      segkit::features::PrepareOptions dropped;
      dropped.missing = segkit::features::MissingPolicy::drop_rows;
      check_workflow(comm, data_dir + "/cc_general/CC GENERAL.csv", 6, dropped, "minmax");
      // Chosen K with the standard scaler on the larger file.
      check_workflow(comm, data_dir + "/cc_general/CC GENERAL.csv", 0, dropped, "standard");

      // A NaN in one rank's rows: every rank stops with an error, none waits for the others.
      const xt::xtensor<double, 2> X = blobs<double>(10000, 3, 4, 2);
      const std::vector<std::size_t> starts = split(X.shape(0), comm.size(), "even");
      xt::xtensor<double, 2> mine = rows_of(X, starts[comm.rank()], starts[comm.rank() + 1]);
      const std::size_t bad_rank = comm.size() - 1;
      if (comm.rank() == bad_rank) mine(1, 2) = std::nan("");
      const xt::xtensor<double, 2> init =
          segkit::KMeansPlusPlus{}.initial_centers(X, 4, segkit::SquaredEuclidean{}, 1, 1);
      std::string message;
      try {
        segkit::cluster_spread(comm, mine, init, segkit::Options{});
      } catch (const segkit::error& e) {
        message = e.what();
      }
      expect(!message.empty(), "a NaN on rank " + std::to_string(bad_rank) + " went unnoticed", rank);
      // Every rank says what the rank with the NaN found.
      expect(message.find("rank " + std::to_string(bad_rank) + ": ") == 0 &&
                 message.find("at row 1, column 2 (0-based)") != std::string::npos,
             "the ranks name the NaN otherwise: " + message, rank);
      if (rank == 0) std::printf("a NaN on rank %zu: every rank stopped (%s)\n", bad_rank, message.c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "rank %d: error: %s\n", rank, e.what());
      failures += 1;
    }
    const int all_failures = static_cast<int>(comm.sum(static_cast<std::size_t>(failures)));
    if (rank == 0) std::printf("%d rank(s): %s\n", static_cast<int>(comm.size()), all_failures == 0 ? "PASS" : "FAIL");
    code = all_failures == 0 ? 0 : 1;
  }
  MPI_Finalize();
  return code;
}
