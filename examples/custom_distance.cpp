// A user-written policy: a weighted Euclidean distance whose weights say how
// much each feature matters to the business, plugged into Pipeline.
//
//   custom_distance [path/to/Mall_Customers.csv]

#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include <segkit/data/csv.hpp>  // target segkit::io
#include <segkit/segkit.hpp>

/// sum_j w_j (a_j - b_j)^2. Its centre is still the plain mean: the weights
/// scale each coordinate's term but do not move the minimiser of the summed
/// distance. It is not a metric (it is squared), like SquaredEuclidean.
struct WeightedSquaredEuclidean {
  static constexpr bool is_metric = false;
  std::vector<double> weights;

  template <class T>
  T distance(std::span<const T> a, std::span<const T> b) const {
    T sum = 0;
    for (std::size_t j = 0; j < a.size(); ++j) sum += static_cast<T>(weights[j]) * (a[j] - b[j]) * (a[j] - b[j]);
    return sum;
  }

  template <class T>
  void center(const xt::xtensor<T, 2>& X, std::span<const std::size_t> members, std::span<T> out) const {
    segkit::SquaredEuclidean{}.center(X, members, out);  // reuse the built-in mean
  }
};
static_assert(segkit::Distance<WeightedSquaredEuclidean>);

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : SEGKIT_DATA_DIR "/mall_customers/Mall_Customers.csv";
  try {
    const xt::xtensor<double, 2> customers =
        segkit::data::read_csv(path).matrix({"Age", "Annual Income (k$)", "Spending Score (1-100)"});

    // The marketing team cares about spending most, income next, age little.
    const WeightedSquaredEuclidean business{{0.2, 1.0, 3.0}};
    using Segmenter = segkit::Pipeline<segkit::StandardScaler, segkit::KMeansPlusPlus, WeightedSquaredEuclidean>;
    Segmenter pipeline(segkit::Options{.k = 4, .n_init = 10, .seed = 7}, {}, {}, business);
    pipeline.fit(customers);

    std::printf("segment  customers    age  income (k$)  spending score\n");
    for (std::size_t c = 0; c < pipeline.centers().shape(0); ++c) {
      std::size_t size = 0;
      for (const std::size_t label : pipeline.labels()) size += label == c;
      std::printf("%7zu  %9zu  %5.1f  %11.1f  %14.1f\n", c, size, pipeline.centers()(c, 0), pipeline.centers()(c, 1),
                  pipeline.centers()(c, 2));
    }
    std::printf("weighted inertia %.2f\n", pipeline.inertia());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "custom_distance: %s\n", e.what());
    return 1;
  }
  return 0;
}
