#pragma once
// Output files are written whole or not at all.

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "segkit/core/error.hpp"

namespace segkit {

/// Writes every (path, content) pair, or none of them: each goes to a
/// temporary file beside its path first, and only once all are complete are
/// they renamed over their paths. On failure the temporary files are removed.
inline void write_files_atomically(const std::vector<std::pair<std::filesystem::path, std::string>>& files) {
  std::vector<std::filesystem::path> temporaries;
  auto discard = [&temporaries] {
    std::error_code ignored;
    for (const auto& t : temporaries) std::filesystem::remove(t, ignored);
  };
  for (const auto& [path, content] : files) {
    std::filesystem::path temporary = path;
    temporary += ".partial";
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) {
      discard();
      throw error("cannot write " + path.string() + ": the folder is missing or not writable");
    }
    temporaries.push_back(temporary);
    out << content;
    out.flush();
    if (!out) {
      out.close();
      discard();
      throw error("writing " + path.string() + " failed (disk full?)");
    }
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    std::error_code failed;
    std::filesystem::rename(temporaries[i], files[i].first, failed);
    if (failed) {
      discard();
      throw error("cannot write " + files[i].first.string() + ": " + failed.message());
    }
  }
}

/// One file, whole or not at all.
inline void write_file_atomically(const std::filesystem::path& path, const std::string& content) {
  write_files_atomically({{path, content}});
}

}  // namespace segkit
