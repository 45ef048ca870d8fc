#pragma once
// The linear assignment problem: pair the rows of a cost matrix with its columns, each
// at most once and as many pairs as the smaller side has, at the least total cost. It is
// how a refit's segments are matched to the previous fit's (select/align.hpp), and what
// scipy.optimize.linear_sum_assignment solves. The Hungarian method with potentials and
// shortest augmenting paths (Kuhn, Munkres; the O(r^2 c) form of Jonker and Volgenant):
// exact, and for the tens of segments it serves, instant.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "segkit/core/error.hpp"

namespace segkit {

/// No partner: a row left unpaired because the matrix has fewer columns than rows.
inline constexpr std::size_t unassigned = std::numeric_limits<std::size_t>::max();

/// The pairing of least total cost: out[i] is the column of row i, or `unassigned` (only
/// when there are more rows than columns). Every cost must be finite. Among pairings of
/// equal cost the one found is fixed by the matrix alone.
inline std::vector<std::size_t> min_cost_assignment(const xt::xtensor<double, 2>& cost) {
  const std::size_t rows = cost.shape(0), cols = cost.shape(1);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j)
      if (!std::isfinite(cost(i, j)))
        throw error("assignment cost at row " + std::to_string(i) + ", column " + std::to_string(j) +
                    " is not a finite number");
  std::vector<std::size_t> out(rows, unassigned);
  if (rows == 0 || cols == 0) return out;
  // The method pairs every row of a matrix with no more rows than columns: a taller one is
  // solved transposed.
  const bool transposed = rows > cols;
  const std::size_t n = transposed ? cols : rows, m = transposed ? rows : cols;
  const auto a = [&](std::size_t i, std::size_t j) { return transposed ? cost(j - 1, i - 1) : cost(i - 1, j - 1); };
  // 1-based: column 0 is the virtual start of each augmenting path; owner[j] is the row
  // paired with column j (0: none), row and col the dual potentials.
  constexpr double infinity = std::numeric_limits<double>::infinity();
  std::vector<double> row(n + 1, 0.0), col(m + 1, 0.0), reach(m + 1);
  std::vector<std::size_t> owner(m + 1, 0), came_from(m + 1, 0);
  std::vector<char> visited(m + 1);
  for (std::size_t i = 1; i <= n; ++i) {
    owner[0] = i;
    std::size_t j0 = 0;
    std::fill(reach.begin(), reach.end(), infinity);
    std::fill(visited.begin(), visited.end(), 0);
    do {
      // Grow the tree of tight edges from the columns reached so far by the cheapest step.
      visited[j0] = 1;
      const std::size_t i0 = owner[j0];
      double delta = infinity;
      std::size_t j1 = 0;
      for (std::size_t j = 1; j <= m; ++j) {
        if (visited[j]) continue;
        const double reduced = a(i0, j) - row[i0] - col[j];
        if (reduced < reach[j]) reach[j] = reduced, came_from[j] = j0;
        if (reach[j] < delta) delta = reach[j], j1 = j;
      }
      for (std::size_t j = 0; j <= m; ++j) {
        if (visited[j])
          row[owner[j]] += delta, col[j] -= delta;
        else
          reach[j] -= delta;
      }
      j0 = j1;
    } while (owner[j0] != 0);
    // A free column is reached: flip the path back to the start.
    do {
      const std::size_t j1 = came_from[j0];
      owner[j0] = owner[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  for (std::size_t j = 1; j <= m; ++j) {
    if (owner[j] == 0) continue;
    if (transposed)
      out[j - 1] = owner[j] - 1;
    else
      out[owner[j] - 1] = j - 1;
  }
  return out;
}

}  // namespace segkit
