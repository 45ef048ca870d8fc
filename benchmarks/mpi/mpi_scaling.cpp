// Seconds per Lloyd iteration against MPI ranks, and the share of it spent in
// communication (benchmarks/mpi/run.sh runs it for 1..P ranks; docs/mpi.md shows the
// figures). Every rank generates its own share of N rows (blobs drawn from the global
// row index, so the data do not depend on the ranks), then cluster_spread runs Lloyd from
// the same k starting rows for a fixed number of iterations. The communicator is wrapped
// in one that times every collective call: that time includes waiting for the slowest
// rank, so it is communication plus imbalance.
//
//   mpirun -np P mpi_scaling [--rows N] [--features D] [--k K] [--iterations I] [--repeats R] [--threads T]
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <segkit/cluster/spread.hpp>
#include <segkit/mpi/comm.hpp>

namespace {

/// MpiComm, with the wall time spent in its collective calls added up.
class TimedComm {
  template <class F>
  auto timed(F&& f) const {
    const double start = MPI_Wtime();
    auto result = f();
    seconds_ += MPI_Wtime() - start;
    return result;
  }

 public:
  explicit TimedComm(const segkit::mpi::MpiComm& comm) : comm_(comm) {}
  std::size_t rank() const { return comm_.rank(); }
  std::size_t size() const { return comm_.size(); }
  template <class T>
  std::vector<T> allgather(std::vector<T> local) const {
    return timed([&] { return comm_.allgather(std::move(local)); });
  }
  std::size_t sum(std::size_t v) const {
    return timed([&] { return comm_.sum(v); });
  }
  bool all(bool v) const {
    return timed([&] { return comm_.all(v); });
  }
  void broadcast(unsigned char* data, std::size_t bytes, std::size_t root) const {
    timed([&] {
      comm_.broadcast(data, bytes, root);
      return 0;
    });
  }
  std::vector<std::vector<unsigned char>> alltoall(std::vector<std::vector<unsigned char>> blocks) const {
    return timed([&] { return comm_.alltoall(std::move(blocks)); });
  }
  double seconds() const { return seconds_; }
  void reset() { seconds_ = 0; }

 private:
  const segkit::mpi::MpiComm& comm_;
  mutable double seconds_ = 0;
};
static_assert(segkit::Communicator<TimedComm>);

std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/// Row i (global) of the generated data: around one of k centres, uniform noise.
void generate_row(std::uint64_t i, std::size_t d, std::size_t k, float* out) {
  const std::uint64_t c = mix(i) % k;
  for (std::size_t j = 0; j < d; ++j) {
    const double centre = static_cast<double>(mix(c * 1000 + j) % 2000) / 100.0 - 10.0;
    const double noise = static_cast<double>(mix(i * 64 + j + 7) >> 11) * 0x1.0p-53 * 6.0 - 3.0;
    out[j] = static_cast<float>(centre + noise);
  }
}

std::size_t number(int& i, int argc, char** argv) {
  if (i + 1 >= argc) {
    std::fprintf(stderr, "%s needs a value\n", argv[i]);
    std::exit(2);
  }
  return static_cast<std::size_t>(std::strtoull(argv[++i], nullptr, 10));
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  {
    std::size_t rows = 10000000, d = 16, k = 8, iterations = 10, repeats = 3, threads = 1;
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--rows")
        rows = number(i, argc, argv);
      else if (arg == "--features")
        d = number(i, argc, argv);
      else if (arg == "--k")
        k = number(i, argc, argv);
      else if (arg == "--iterations")
        iterations = number(i, argc, argv);
      else if (arg == "--repeats")
        repeats = number(i, argc, argv);
      else if (arg == "--threads")
        threads = number(i, argc, argv);
    }
    const segkit::mpi::MpiComm mpi(MPI_COMM_WORLD);
    TimedComm comm(mpi);
    const std::size_t r = comm.rank(), p = comm.size();
    // An even split, on chunk boundaries, so no row moves: the iterations are what is timed.
    const std::size_t chunk = segkit::detail::sum_chunk_rows(rows), chunks = (rows + chunk - 1) / chunk;
    const std::size_t first = std::min(rows, chunks * r / p * chunk),
                      last = std::min(rows, chunks * (r + 1) / p * chunk);
    xt::xtensor<float, 2> X = xt::empty<float>({last - first, d});
    for (std::size_t i = first; i < last; ++i) generate_row(i, d, k, X.data() + (i - first) * d);
    xt::xtensor<float, 2> initial = xt::empty<float>({k, d});
    for (std::size_t c = 0; c < k; ++c) generate_row(mix(c + 99) % rows, d, k, initial.data() + c * d);

    segkit::Options options;
    options.max_iter = iterations;
    options.tol = 0;  // every iteration runs (unless no row changes segment)
    options.threads = threads;
    std::vector<double> per_iteration, comm_share;
    std::size_t done = 0;
    for (std::size_t rep = 0; rep < repeats; ++rep) {
      MPI_Barrier(MPI_COMM_WORLD);
      comm.reset();
      const double start = MPI_Wtime();
      const segkit::Clustering<float> fit = segkit::cluster_spread(comm, X, initial, options);
      const double seconds = MPI_Wtime() - start;
      double slowest = seconds, comm_seconds = comm.seconds();
      MPI_Allreduce(MPI_IN_PLACE, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
      MPI_Allreduce(MPI_IN_PLACE, &comm_seconds, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
      done = fit.iterations;
      per_iteration.push_back(slowest / static_cast<double>(fit.iterations));
      comm_share.push_back(comm_seconds / slowest);
    }
    std::sort(per_iteration.begin(), per_iteration.end());
    std::sort(comm_share.begin(), comm_share.end());
    if (r == 0)
      std::printf(
          "ranks %zu  rows %zu  features %zu  k %zu  threads/rank %zu  iterations %zu  ms/iteration %.2f (median of "
          "%zu)  communication and waiting %.1f%%\n",
          p, rows, d, k, threads, done, 1000 * per_iteration[per_iteration.size() / 2], repeats,
          100 * comm_share[comm_share.size() / 2]);
  }
  MPI_Finalize();
  return 0;
}
