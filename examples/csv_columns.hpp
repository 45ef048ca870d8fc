#pragma once
// A deliberately small CSV reader for the examples: a header row, then numbers,
// no quoting. Real customer files go through segkit's data loader instead.

#include <cstddef>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <xtensor/xtensor.hpp>

namespace example {

inline std::vector<std::string> split(std::string line, char delimiter) {
  if (!line.empty() && line.back() == '\r') line.pop_back();  // CRLF files
  std::vector<std::string> fields;
  std::stringstream stream(line);
  std::string field;
  while (std::getline(stream, field, delimiter)) fields.push_back(field);
  return fields;
}

/// The named columns of a CSV file as an n x columns.size() matrix.
inline xt::xtensor<double, 2> read_columns(const std::string& path, const std::vector<std::string>& columns,
                                           char delimiter = ',') {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = split(line, delimiter);
  std::vector<std::size_t> index;
  for (const std::string& name : columns) {
    std::size_t j = 0;
    while (j < header.size() && header[j] != name) ++j;
    if (j == header.size()) throw std::runtime_error(path + " has no column '" + name + "'");
    index.push_back(j);
  }
  std::vector<double> values;
  std::size_t rows = 0, line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    const std::vector<std::string> fields = split(line, delimiter);
    if (fields.empty()) continue;
    for (const std::size_t j : index) {
      std::size_t used = 0;
      const double v = j < fields.size() && !fields[j].empty() ? std::stod(fields[j], &used) : 0.0;
      if (j >= fields.size() || used != fields[j].size())
        throw std::runtime_error(path + ":" + std::to_string(line_number) + ": column " + header[j] + " is not a number");
      values.push_back(v);
    }
    ++rows;
  }
  xt::xtensor<double, 2> out = xt::empty<double>({rows, columns.size()});
  std::copy(values.begin(), values.end(), out.begin());
  return out;
}

}  // namespace example
