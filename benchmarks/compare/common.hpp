#pragma once
// Shared by the C++ programs of the side-by-side benchmark (run.py drives them).
//
// Every program takes the same leading arguments
//
//   X.bin C0.bin n d k f32|f64 threads M R max_iter centres_out.bin [program-specific...]
//
// (X: n x d and C0: k x d, raw row-major values of the given type), runs fits
// from C0, each timed around the library call only:
//
//   1. to the fixed point: at most max_iter iterations, no tolerance;
//   2. fits with at most M iterations each, neither timed nor reported, until
//      the process has fitted for warm_up_seconds() (0.25 s) with the first;
//   3. R fits with at most M iterations each (for the time per iteration:
//      run.py takes their median, so that what a process's first fits pay
//      once, such as faulting in fresh memory, does not stand for an iteration),
//
// Why 2: on a 2-vCPU VM the first milliseconds of a process's 2-thread fits often
// ran at 1-thread speed (segkit, 100,000 x 8 x 8, float, 2 threads: fits 1-5 of a
// process at 0.9-1.1 ms per iteration, the rest at 0.47), so that the R fits of a
// short shape, which all fall in that time, measured the start of the process.
//
// and prints one line per fit, "fixed|periter seconds iterations inertia"
// (inertia as the library reports it, "nan" when it does not), plus "info"
// lines. The centres of fit 1 go to centres_out.bin (k x d, same type), from
// which run.py recomputes the inertia in float64 for every peer alike.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace compare {

struct Args {
  std::string x_path, c_path, out_path;
  std::size_t n = 0, d = 0, k = 0, threads = 1, m = 20, periter_fits = 3, max_iter = 300;
  bool f32 = false;
  std::vector<std::string> extra;
};

inline Args parse(int argc, char** argv, const char* usage_extra = "") {
  if (argc < 12) {
    std::fprintf(stderr, "usage: %s X.bin C0.bin n d k f32|f64 threads M R max_iter centres_out.bin%s\n", argv[0],
                 usage_extra);
    std::exit(2);
  }
  Args a;
  a.x_path = argv[1];
  a.c_path = argv[2];
  a.n = std::stoul(argv[3]);
  a.d = std::stoul(argv[4]);
  a.k = std::stoul(argv[5]);
  const std::string_view type = argv[6];
  if (type != "f32" && type != "f64") {
    std::fprintf(stderr, "%s: the type must be f32 or f64, not %s\n", argv[0], argv[6]);
    std::exit(2);
  }
  a.f32 = type == "f32";
  a.threads = std::stoul(argv[7]);
  a.m = std::stoul(argv[8]);
  a.periter_fits = std::stoul(argv[9]);
  a.max_iter = std::stoul(argv[10]);
  a.out_path = argv[11];
  if (a.periter_fits == 0) {
    std::fprintf(stderr, "%s: R, the number of fits of at most M iterations, must be at least 1\n", argv[0]);
    std::exit(2);
  }
  for (int i = 12; i < argc; ++i) a.extra.emplace_back(argv[i]);
  return a;
}

/// Reads count values of type T from a raw file into dst.
template <class T>
void read_raw(const std::string& path, T* dst, std::size_t count) {
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(dst), static_cast<std::streamsize>(count * sizeof(T)));
  if (!in) {
    std::fprintf(stderr, "cannot read %zu values of %zu bytes from %s\n", count, sizeof(T), path.c_str());
    std::exit(2);
  }
}

template <class T>
void write_raw(const std::string& path, const T* src, std::size_t count) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(src), static_cast<std::streamsize>(count * sizeof(T)));
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::exit(2);
  }
}

/// Seconds taken by f().
template <class F>
double timed(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// Seconds a process fits before its R timed fits (COMPARE_WARMUP_SECONDS, which run.py
/// sets from --warmup; 0.25 unless set).
inline double warm_up_seconds() {
  const char* set = std::getenv("COMPARE_WARMUP_SECONDS");
  return set ? std::strtod(set, nullptr) : 0.25;
}

/// Runs fit() until `spent` (the fixed-point fit's seconds) and the runs add up to
/// warm_up_seconds(); nothing is reported.
template <class F>
void warm_up(double spent, F&& fit) {
  const double goal = warm_up_seconds();
  while (spent < goal) spent += timed(fit);
}

inline void report(const char* fit, double seconds, std::size_t iterations, double inertia) {
  std::printf("%s %.9f %zu %.17g\n", fit, seconds, iterations, inertia);
  std::fflush(stdout);
}

}  // namespace compare
