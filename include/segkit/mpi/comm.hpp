#pragma once
// segkit::mpi::MpiComm: the Communicator policy (core/comm.hpp) of an MPI
// communicator the caller owns. segkit never calls MPI_Init or MPI_Finalize and
// never frees the communicator. Target segkit::mpi (CMake option SEGKIT_WITH_MPI,
// Debian's OpenMPI through MPI::MPI_CXX); nothing else in segkit includes MPI.

#include <mpi.h>

#include <climits>
#include <cstddef>
#include <string>
#include <vector>

#include "segkit/core/comm.hpp"
#include "segkit/core/error.hpp"

namespace segkit::mpi {

class MpiComm {
 public:
  /// The communicator stays the caller's (MPI_COMM_WORLD, or one of its own).
  explicit MpiComm(MPI_Comm comm) : comm_(comm) {
    int rank = 0, size = 0;
    check(MPI_Comm_rank(comm_, &rank), "MPI_Comm_rank");
    check(MPI_Comm_size(comm_, &size), "MPI_Comm_size");
    rank_ = static_cast<std::size_t>(rank);
    size_ = static_cast<std::size_t>(size);
  }

  std::size_t rank() const { return rank_; }
  std::size_t size() const { return size_; }
  MPI_Comm get() const { return comm_; }

  /// Every rank's vector, concatenated in rank order.
  template <class T>
  std::vector<T> allgather(std::vector<T> local) const {
    const int bytes = byte_count(local.size() * sizeof(T), "allgather");
    std::vector<int> counts(size_), displacements(size_);
    check(MPI_Allgather(&bytes, 1, MPI_INT, counts.data(), 1, MPI_INT, comm_), "MPI_Allgather");
    long long total = 0;
    for (std::size_t r = 0; r < size_; ++r) {
      displacements[r] = static_cast<int>(total);
      total += counts[r];
      if (total > INT_MAX) throw error("MPI allgather of more than 2 GB");
    }
    std::vector<T> out(static_cast<std::size_t>(total) / sizeof(T));
    check(
        MPI_Allgatherv(local.data(), bytes, MPI_BYTE, out.data(), counts.data(), displacements.data(), MPI_BYTE, comm_),
        "MPI_Allgatherv");
    return out;
  }

  std::size_t sum(std::size_t value) const {
    unsigned long long in = value, out = 0;
    check(MPI_Allreduce(&in, &out, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm_), "MPI_Allreduce");
    return static_cast<std::size_t>(out);
  }

  bool all(bool value) const {
    int in = value ? 1 : 0, out = 0;
    check(MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_LAND, comm_), "MPI_Allreduce");
    return out != 0;
  }

  void broadcast(unsigned char* data, std::size_t bytes, std::size_t root) const {
    check(MPI_Bcast(data, byte_count(bytes, "broadcast"), MPI_BYTE, static_cast<int>(root), comm_), "MPI_Bcast");
  }

  /// blocks[q] goes to rank q; returns what every rank sent here, in rank order.
  std::vector<std::vector<unsigned char>> alltoall(std::vector<std::vector<unsigned char>> blocks) const {
    if (blocks.size() != size_) throw error("MPI alltoall: one block per rank is needed");
    std::vector<int> send_counts(size_), send_at(size_), receive_counts(size_), receive_at(size_);
    std::vector<unsigned char> send;
    for (std::size_t q = 0; q < size_; ++q) {
      send_at[q] = byte_count(send.size(), "alltoall");
      send_counts[q] = byte_count(blocks[q].size(), "alltoall");
      send.insert(send.end(), blocks[q].begin(), blocks[q].end());
    }
    check(MPI_Alltoall(send_counts.data(), 1, MPI_INT, receive_counts.data(), 1, MPI_INT, comm_), "MPI_Alltoall");
    long long total = 0;
    for (std::size_t q = 0; q < size_; ++q) {
      receive_at[q] = static_cast<int>(total);
      total += receive_counts[q];
      if (total > INT_MAX) throw error("MPI alltoall of more than 2 GB");
    }
    std::vector<unsigned char> received(static_cast<std::size_t>(total));
    check(MPI_Alltoallv(send.data(), send_counts.data(), send_at.data(), MPI_BYTE, received.data(),
                        receive_counts.data(), receive_at.data(), MPI_BYTE, comm_),
          "MPI_Alltoallv");
    std::vector<std::vector<unsigned char>> out(size_);
    for (std::size_t q = 0; q < size_; ++q)
      out[q].assign(received.begin() + receive_at[q], received.begin() + receive_at[q] + receive_counts[q]);
    return out;
  }

 private:
  static int byte_count(std::size_t bytes, const char* what) {
    if (bytes > static_cast<std::size_t>(INT_MAX)) throw error(std::string("MPI ") + what + " of more than 2 GB");
    return static_cast<int>(bytes);
  }
  static void check(int code, const char* call) {
    if (code == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(code, text, &length);
    throw error(std::string(call) + " failed: " + std::string(text, static_cast<std::size_t>(length)));
  }

  MPI_Comm comm_;
  std::size_t rank_ = 0, size_ = 1;
};

static_assert(Communicator<MpiComm>);

}  // namespace segkit::mpi
