#pragma once
// Output files are written whole or not at all.

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "segkit/core/error.hpp"

namespace segkit {

/// Writes `content` to `path` so that no half-written file is ever left there:
/// a temporary file beside it is renamed over `path` only once it is complete.
inline void write_file_atomically(const std::filesystem::path& path, const std::string& content) {
  std::filesystem::path temporary = path;
  temporary += ".partial";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw error("cannot write " + path.string() + ": the folder is missing or not writable");
    out << content;
    out.flush();
    if (!out) {
      out.close();
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      throw error("writing " + path.string() + " failed (disk full?)");
    }
  }
  std::error_code failed;
  std::filesystem::rename(temporary, path, failed);
  if (failed) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw error("cannot write " + path.string() + ": " + failed.message());
  }
}

}  // namespace segkit
