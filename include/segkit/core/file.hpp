#pragma once
// Output files are written whole or not at all, and never at the cost of a file
// the user owns: an output that names an input, another output or a folder is
// refused before any work; a link is written through to its target; a device,
// a pipe or "-" (standard output) is written directly; a regular file is written
// to a temporary file of a name no other file has, beside its target, and
// renamed over it only once every output is complete, with the old content
// kept aside until every rename has succeeded.

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "segkit/core/error.hpp"

namespace segkit {

/// A file a run reads or writes, with what names it for the user (a command-line
/// option such as "--out", or "input").
struct NamedPath {
  std::string role;
  std::filesystem::path path;
};

/// The path that names standard output.
inline bool is_standard_output(const std::filesystem::path& path) { return path == "-"; }

namespace detail {

namespace fs = std::filesystem;

/// What a path names once its links are followed (as far as they lead; a link to
/// nothing names the file it would create).
inline fs::path link_target(const fs::path& path) {
  fs::path target = path;
  std::error_code ignored;
  for (int hops = 0; hops < 40 && fs::is_symlink(fs::symlink_status(target, ignored)); ++hops) {
    const fs::path link = fs::read_symlink(target, ignored);
    if (ignored) break;
    target = link.is_absolute() ? link : target.parent_path() / link;
  }
  return target;
}

/// Whether two paths name one file: the same existing file (by device and inode),
/// or, where one does not exist yet, the same place once links and "." / ".." are resolved.
inline bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code error;
  if (fs::exists(a, error) && fs::exists(b, error)) return fs::equivalent(a, b, error) && !error;
  const auto resolved = [](const fs::path& p) {
    std::error_code failed;
    fs::path canonical = fs::weakly_canonical(link_target(p), failed);
    return failed ? p.lexically_normal() : canonical;
  };
  return resolved(a) == resolved(b);
}

/// A name in `folder` that no file has: ".<name>.<tag>-<random>".
inline fs::path unused_name(const fs::path& folder, const fs::path& name, const char* tag, std::mt19937_64& random) {
  static constexpr char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string suffix(10, '0');
  for (char& ch : suffix) ch = digits[random() % 36];
  return folder / ("." + name.string() + "." + tag + "-" + suffix);
}

/// Writes content to a new file at a name no other file has (fopen's "x": the
/// creation fails rather than open an existing file). Returns the name.
inline fs::path write_new_file(const fs::path& target, const std::string& content, std::mt19937_64& random) {
  const fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  for (int attempt = 0; attempt < 100; ++attempt) {
    const fs::path name = unused_name(folder, target.filename(), "segkit-new", random);
    std::FILE* file = std::fopen(name.c_str(), "wbx");
    if (!file) {
      std::error_code probe;
      if (fs::exists(fs::symlink_status(name, probe))) continue;  // taken: another name
      throw error("cannot write " + target.string() + ": the folder is missing or not writable");
    }
    const bool written = std::fwrite(content.data(), 1, content.size(), file) == content.size();
    const bool closed = std::fclose(file) == 0;
    if (!written || !closed) {
      std::error_code ignored;
      fs::remove(name, ignored);
      throw error("writing " + target.string() + " failed (disk full?)");
    }
    // An existing file keeps its permissions (the new one has the umask's).
    std::error_code ignored;
    const fs::file_status old = fs::status(target, ignored);
    if (fs::is_regular_file(old)) fs::permissions(name, old.permissions(), ignored);
    return name;
  }
  throw error("cannot write " + target.string() + ": no free temporary name beside it");
}

/// A second name for the existing file `target` (a hard link, else a copy), so
/// that its content can be put back if a later step fails.
inline fs::path keep_aside(const fs::path& target, std::mt19937_64& random) {
  const fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  for (int attempt = 0; attempt < 100; ++attempt) {
    const fs::path name = unused_name(folder, target.filename(), "segkit-old", random);
    std::error_code error;
    if (fs::exists(fs::symlink_status(name, error))) continue;
    fs::create_hard_link(target, name, error);
    if (!error) return name;
    if (fs::copy_file(target, name, fs::copy_options::none, error) && !error) return name;
    if (!fs::exists(fs::symlink_status(name, error)))
      throw segkit::error("cannot write " + target.string() + ": its old content cannot be kept aside");
  }
  throw error("cannot write " + target.string() + ": no free name beside it for its old content");
}

/// Writes content to a device, a pipe or standard output, which are not replaced but written into.
inline void write_into(const fs::path& path, const std::string& content) {
  const bool standard = is_standard_output(path);
  std::FILE* file = standard ? stdout : std::fopen(path.c_str(), "wb");
  if (!file) throw error("cannot write " + path.string() + ": it cannot be opened for writing");
  bool ok = std::fwrite(content.data(), 1, content.size(), file) == content.size();
  ok = (standard ? std::fflush(file) : std::fclose(file)) == 0 && ok;
  if (!ok) throw error("writing " + (standard ? std::string("standard output") : path.string()) + " failed");
}

}  // namespace detail

/// Refuses, before any work is done, outputs that would cost the user a file or
/// cannot be written: an output that is one of the inputs (the customer file, a
/// model) or another output, a folder, a path whose folder does not exist, or
/// standard output named twice. Empty paths are options not given.
inline void check_outputs(const std::vector<NamedPath>& outputs, const std::vector<NamedPath>& inputs = {}) {
  namespace fs = std::filesystem;
  for (std::size_t o = 0; o < outputs.size(); ++o) {
    const auto& [role, path] = outputs[o];
    if (path.empty()) continue;
    const std::string named = role.empty() ? path.string() : role + " " + path.string();
    for (std::size_t p = 0; p < o; ++p) {
      if (outputs[p].path.empty()) continue;
      const bool both_standard = is_standard_output(path) && is_standard_output(outputs[p].path);
      if (both_standard || (!is_standard_output(path) && !is_standard_output(outputs[p].path) &&
                            detail::same_file(path, outputs[p].path)))
        throw error(role + " and " + outputs[p].role + " name the same file (" + path.string() +
                    "): one would replace the other");
    }
    if (is_standard_output(path)) continue;
    for (const auto& input : inputs)
      if (!input.path.empty() && !is_standard_output(input.path) && detail::same_file(path, input.path))
        throw error(named + " is the " + input.role + " file: writing it would replace that file; choose another name");
    std::error_code ignored;
    const fs::path target = detail::link_target(path);
    if (fs::is_directory(fs::status(target, ignored)))
      throw error("cannot write " + named + ": it is a folder; give a file name");
    const fs::path folder = target.parent_path();
    if (!folder.empty() && !fs::is_directory(fs::status(folder, ignored)))
      throw error("cannot write " + named + ": the folder " + folder.string() + " does not exist");
  }
}

/// Writes every (path, content) pair, or none of them (see the top of this file):
/// regular files go to new temporary files first; then devices, pipes and "-"
/// are written; then the temporary files are renamed over their targets, the old
/// contents being put back if a rename fails. On failure no temporary file is left.
inline void write_files_atomically(const std::vector<std::pair<std::filesystem::path, std::string>>& files) {
  namespace fs = std::filesystem;
  {
    std::vector<NamedPath> outputs;
    for (const auto& file : files) outputs.push_back({"", file.first});
    check_outputs(outputs);
  }
  std::mt19937_64 random{std::random_device{}()};
  struct Replacement {
    fs::path target, written, old;  // old: the target's content kept aside, if it existed
  };
  std::vector<Replacement> replacements;
  std::vector<std::size_t> direct;
  const auto discard = [&replacements](std::size_t committed) {
    std::error_code ignored;
    for (std::size_t i = 0; i < replacements.size(); ++i) {
      const Replacement& r = replacements[i];
      if (i < committed) {
        if (r.old.empty())
          fs::remove(r.target, ignored);
        else
          fs::rename(r.old, r.target, ignored);
      } else {
        fs::remove(r.written, ignored);
        if (!r.old.empty()) fs::remove(r.old, ignored);
      }
    }
  };
  try {
    for (std::size_t i = 0; i < files.size(); ++i) {
      const auto& [path, content] = files[i];
      std::error_code ignored;
      const fs::path target = detail::link_target(path);
      const fs::file_status status = fs::status(target, ignored);
      if (is_standard_output(path) || (fs::exists(status) && !fs::is_regular_file(status))) {
        direct.push_back(i);
        continue;
      }
      replacements.push_back({target, detail::write_new_file(target, content, random), {}});
    }
    for (Replacement& r : replacements) {
      std::error_code ignored;
      if (fs::exists(fs::symlink_status(r.target, ignored))) r.old = detail::keep_aside(r.target, random);
    }
    for (const std::size_t i : direct) detail::write_into(files[i].first, files[i].second);
  } catch (...) {
    discard(0);
    throw;
  }
  for (std::size_t i = 0; i < replacements.size(); ++i) {
    std::error_code failed;
    fs::rename(replacements[i].written, replacements[i].target, failed);
    if (failed) {
      discard(i);
      throw error("cannot write " + replacements[i].target.string() + ": " + failed.message() +
                  " (every output keeps its old content)");
    }
  }
  std::error_code ignored;
  for (const Replacement& r : replacements)
    if (!r.old.empty()) fs::remove(r.old, ignored);
}

/// One file, whole or not at all.
inline void write_file_atomically(const std::filesystem::path& path, const std::string& content) {
  write_files_atomically({{path, content}});
}

}  // namespace segkit
