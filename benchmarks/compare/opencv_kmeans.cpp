// OpenCV's part of the side-by-side benchmark (benchmarks/compare/README.md):
// cv::kmeans, float32 only, started from the labels of the nearest initial centre.
//
//   opencv_kmeans X.bin C0.bin n d k f32 threads M max_iter centres_out.bin L0.bin known hint
//
// cv::kmeans takes no initial centres, only initial labels
// (KMEANS_USE_INITIAL_LABELS). L0.bin (n int32, written by run.py) holds each
// row's nearest centre of C0, i.e. the first assignment of a Lloyd run from C0.
// OpenCV's first iteration then computes the means of L0 (Lloyd's first update,
// C1, up to the rounding of its float sums) and continues as Lloyd does: after m
// iterations it holds Lloyd's centres after m iterations from C0. The only difference is that the first
// assignment (to C0) was done by run.py, outside the timed call, and OpenCV's
// last iteration computes no new labels (it keeps those that made its centres).
//
// Criteria: COUNT + EPS with epsilon 0, i.e. stop after the given number of
// iterations or as soon as no centre moved (the labels did not change).
// cv::kmeans does not report how many iterations it ran. For the fit to the
// fixed point the count is found afterwards, untimed, unless `known` (> 0)
// gives it: runs with COUNT = m only reproduce the fixed-point centres bit for
// bit once m has reached the iteration whose labels repeated, so the smallest
// such m, plus one, is the count (checked at `hint` - 1 and `hint` - 2 first,
// hint = segkit's count; a bisection if that fails).

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>

#include "common.hpp"

namespace {

struct Run {
  cv::Mat X, L0;
  int k = 0;
  double compactness = 0;

  // Fit from L0 with at most max_count iterations; with_eps: also stop when no centre moves.
  cv::Mat fit(std::size_t max_count, bool with_eps, double* seconds = nullptr) {
    cv::Mat labels = L0.clone(), centres;
    const int type = cv::TermCriteria::COUNT | (with_eps ? cv::TermCriteria::EPS : 0);
    const cv::TermCriteria criteria(type, static_cast<int>(max_count), 0.0);
    const double s = compare::timed(
        [&] { compactness = cv::kmeans(X, k, labels, criteria, 1, cv::KMEANS_USE_INITIAL_LABELS, centres); });
    if (seconds) *seconds = s;
    return centres;
  }
};

bool same(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && std::memcmp(a.ptr(), b.ptr(), a.total() * a.elemSize()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  const compare::Args a = compare::parse(argc, argv, " L0.bin known hint");
  if (!a.f32 || a.extra.size() != 3) {
    std::fprintf(stderr, "opencv_kmeans: float32 only (f32), and L0.bin known hint after the common arguments\n");
    return 2;
  }
  const std::size_t known = std::stoul(a.extra[1]), hint = std::stoul(a.extra[2]);
  cv::setNumThreads(static_cast<int>(a.threads));

  Run run;
  run.k = static_cast<int>(a.k);
  run.X.create(static_cast<int>(a.n), static_cast<int>(a.d), CV_32F);
  run.L0.create(static_cast<int>(a.n), 1, CV_32S);
  compare::read_raw(a.x_path, run.X.ptr<float>(), a.n * a.d);
  compare::read_raw(a.extra[0], run.L0.ptr<int>(), a.n);

  double fixed_s = 0;
  const cv::Mat fixed = run.fit(a.max_iter, true, &fixed_s);
  const double fixed_compactness = run.compactness;
  compare::write_raw(a.out_path, fixed.ptr<float>(), a.k * a.d);
  compare::warm_up(fixed_s, [&] { run.fit(a.m, true); });
  std::vector<double> short_s(a.periter_fits), short_compactness(a.periter_fits);
  for (std::size_t r = 0; r < a.periter_fits; ++r) {
    run.fit(a.m, true, &short_s[r]);
    short_compactness[r] = run.compactness;
  }

  // Iterations of the fixed-point fit (see the top of the file).
  std::size_t iterations = known;
  const char* how = "given by run.py";
  if (iterations == 0) {
    auto reached = [&](std::size_t m) { return same(run.fit(m, false), fixed); };
    std::size_t smallest = 0;
    if (hint >= 2) {
      const std::size_t m = std::max<std::size_t>(2, hint - 1);
      if (reached(m) && (m == 2 || !reached(m - 1))) smallest = m, how = "found at segkit's count";
    }
    if (smallest == 0) {
      how = "found by bisection";
      // Smallest m in [lo, hi] that reaches the fixed point; hi does (it is the fit itself, or more).
      std::size_t lo = 2, hi = a.max_iter;
      while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        if (reached(mid))
          hi = mid;
        else
          lo = mid + 1;
      }
      smallest = lo;
    }
    // m = 2 is also reached when the labels repeated after 1 iteration (OpenCV runs at least 2).
    iterations = std::min(smallest + 1, a.max_iter);
    if (smallest == 2) how = "2 or 3 (OpenCV runs at least 2 iterations)";
  }
  compare::report("fixed", fixed_s, iterations, fixed_compactness);
  for (std::size_t r = 0; r < a.periter_fits; ++r)
    compare::report("periter", short_s[r], std::max<std::size_t>(2, std::min(a.m, iterations)), short_compactness[r]);
  // The build's "Parallel framework:" line (pthreads, OpenMP, TBB...).
  const std::string build = cv::getBuildInformation();
  std::string framework = "?";
  if (const auto pos = build.find("Parallel framework:"); pos != std::string::npos) {
    const auto begin = build.find_first_not_of(' ', pos + 19);
    framework = build.substr(begin, build.find('\n', begin) - begin);
  }
  std::printf("info OpenCV %s, parallel framework %s, cv::getNumThreads() = %d, fixed-point iterations %s\n",
              CV_VERSION, framework.c_str(), cv::getNumThreads(), how);
  return 0;
}
