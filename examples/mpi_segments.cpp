// k-means over the ranks of an MPI job: each rank holds its own customers, and every
// rank ends with the segments one process holding every customer would give, bit for
// bit. Here every rank reads the bundled credit-card file and keeps its share of the
// customers (a real job gives each rank its own file or its own part of the table); the
// fit standardises the columns and runs 5 k-means|| starts over all ranks, scores the
// segments over all ranks, and rank 0 writes one labels file for every customer.
//
//   mpirun -np 3 mpi_segments [customers.csv] [labels.csv]
#include <mpi.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <segkit/cluster/spread.hpp>  // target segkit::mpi (and segkit::io for the CSV)
#include <segkit/data/csv.hpp>
#include <segkit/evaluate/spread.hpp>
#include <segkit/mpi/comm.hpp>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int status = 0;
  {
    const segkit::mpi::MpiComm comm(MPI_COMM_WORLD);
    const std::string path = argc > 1 && argv[1][0] != 0 ? argv[1] : SEGKIT_DATA_DIR "/cc_general/CC GENERAL.csv";
    const std::string out = argc > 2 ? argv[2] : "";
    try {
      const std::vector<std::string> columns = {"BALANCE", "PURCHASES", "CASH_ADVANCE", "CREDIT_LIMIT", "PAYMENTS"};
      segkit::data::CsvOptions read;
      read.categorical = {"CUST_ID"};
      const segkit::data::Table table = segkit::data::read_csv(path, read);
      // The customers with every column (one lacks a credit limit), and this rank's share of them.
      std::vector<std::size_t> complete;
      for (std::size_t i = 0; i < table.rows(); ++i) {
        bool ok = true;
        for (const auto& c : columns) ok = ok && !table.column(c).missing(i);
        if (ok) complete.push_back(i);
      }
      const std::size_t n = complete.size(), r = comm.rank(), p = comm.size();
      const std::size_t first = n * r / p, last = n * (r + 1) / p;
      xt::xtensor<double, 2> mine = xt::empty<double>({last - first, columns.size()});
      std::vector<std::string> ids;
      for (std::size_t i = first; i < last; ++i) {
        for (std::size_t j = 0; j < columns.size(); ++j)
          mine(i - first, j) = table.column(columns[j]).numbers()[complete[i]];
        ids.push_back(table.column("CUST_ID").texts()[complete[i]]);
      }

      segkit::Options options;
      options.k = 4;
      options.n_init = 5;
      options.seed = 1;
      const auto fit = segkit::kmeans_spread<segkit::StandardScaler>(comm, mine, options);
      const segkit::SpreadScores scores =
          segkit::scores_spread(comm, fit.scaler.transform(mine), fit.clustering.labels, options.k);

      // One labels file: every rank's customers and segments, gathered to rank 0 in order.
      std::string lines;
      for (std::size_t i = 0; i < ids.size(); ++i)
        lines += ids[i] + "," + std::to_string(fit.clustering.labels(i)) + "\n";
      const std::vector<char> all = comm.allgather(std::vector<char>(lines.begin(), lines.end()));
      if (r == 0) {
        std::printf(
            "%zu customers on %zu rank(s): %zu iterations, inertia %.6g, silhouette %.4f, "
            "Davies-Bouldin %.4f, Calinski-Harabasz %.2f\n",
            n, p, fit.clustering.iterations, fit.clustering.inertia, scores.silhouette, scores.davies_bouldin,
            scores.calinski_harabasz);
        const xt::xtensor<double, 2> centres =
            fit.scaler.inverse_transform(xt::xtensor<double, 2>(fit.clustering.centers));
        for (std::size_t c = 0; c < options.k; ++c) {
          std::printf("  segment %zu:", c);
          for (std::size_t j = 0; j < columns.size(); ++j) std::printf(" %s %.0f", columns[j].c_str(), centres(c, j));
          std::printf("\n");
        }
        if (!out.empty()) {
          std::ofstream file(out, std::ios::binary);
          file << "CUST_ID,segment\n";
          file.write(all.data(), static_cast<std::streamsize>(all.size()));
          if (!file) throw segkit::error("cannot write " + out);
        }
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "mpi_segments: rank %zu: %s\n", comm.rank(), e.what());
      status = 1;
    }
  }
  MPI_Finalize();
  return status;
}
