// segkit — the command-line tool: segment a customer file, predict with a saved
// model, or segment customers by recency, frequency and monetary value.
//
//   segkit segment FILE [--features a,b] [--k N|auto] [--k-range 2..10] [--scaler ...] [--distance ...]
//                       [--seed N] [--out labels.csv] [--report report.html] [--model model.json]
//                       [--align-to previous-model.json [--previous-labels previous-labels.csv]]
//   segkit predict --model model.json FILE [--out labels.csv]
//   segkit update --model model.json FILE [--out labels.csv]   (the model moved with new customers)
//   segkit rfm FILE --customer COL --date COL (--amount COL | --quantity COL --price COL) [--invoice COL]
//                   [--as-of DATE] [--k N|auto] [--out ...] [--report ...] [--align-to ... [--previous-labels ...]]
//
// Every failure ends with one line on stderr naming the problem and a non-zero
// exit status; output files are written only once everything has been computed,
// each one whole or not at all.

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdarg>
#include <chrono>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <numeric>
#include <optional>
#include <sstream>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include <unistd.h>

#include <CLI/CLI.hpp>

#include <segkit/core/dispatch.hpp>
#include <segkit/core/file.hpp>
#include <segkit/data/csv.hpp>
#include <segkit/decompose/pca.hpp>
#include <segkit/features/prepare.hpp>
#include <segkit/io/model.hpp>
#include <segkit/io/served.hpp>
#include <segkit/io/onnx.hpp>
#include <segkit/io/pmml.hpp>
#include <segkit/profile/profile.hpp>
#include <segkit/report/html.hpp>
#include <segkit/rfm/rfm.hpp>
#include <segkit/segkit.hpp>
#include <segkit/select/choose_k.hpp>
#include <segkit/workflow/report.hpp>
#include <segkit/workflow/rfm.hpp>
#include <segkit/workflow/compare.hpp>
#include <segkit/workflow/export.hpp>
#include <segkit/workflow/segment.hpp>
#if SEGKIT_TOOL_MPI
#include <mpi.h>

#include <segkit/mpi/comm.hpp>
#include <segkit/workflow/spread.hpp>
#endif

namespace {

using segkit::csv_field;

// ---------------------------------------------------------------- options --

struct ReadArgs {
  std::string file;
  std::string delimiter;  // "" = detect; "tab", "whitespace", or one character
  std::string decimal = ".";
  std::vector<std::string> categorical;  // columns of numeric codes read as categories
  bool no_header = false;
  bool quiet = false;  // no progress on stderr
};

struct ClusterArgs {
  std::string k = "auto";
  std::string k_range = "2..10";
  std::string scaler = "standard";
  std::string distance = "sqeuclidean";
  std::string init;  // "" = k-means++ on one process, k-means|| over MPI ranks
  std::string algorithm = "kmeans";
  std::string covariance = "full";  // the Gaussian mixture's
  std::string proba;                // a Gaussian mixture's per-segment probabilities (CSV)
  std::string eps = "auto";         // DBSCAN's radius, or the knee of the k-distances
  std::size_t min_samples = 0;      // DBSCAN's; 0 = twice the features, at least 4
  std::string gamma = "auto";       // k-prototypes' cost of a category that differs
  std::uint64_t seed = 0;
  std::size_t n_init = 10;
  std::size_t max_iter = 300;
  double tol = 1e-4;
  std::size_t threads = 0;  // 0 = every core
  std::string out, report, model;
  std::string centers, profiles;  // exports, CSV or JSON by extension
  std::string onnx;               // the model as an ONNX graph
  std::string pmml;               // the model as PMML 4.4
};

struct SegmentArgs {
  ReadArgs read;
  ClusterArgs cluster;
  std::vector<std::string> features;
  std::string id;
  std::string missing = "impute";
  std::string outliers = "flag";
  bool log_skewed = false;
  std::vector<std::string> out_columns;  // "all" or names: the customers' columns in --out
  bool out_outliers = false;             // a column of the features where the customer is an outlier
  std::string align_to;                  // a previous model whose segment ids persist
  std::string previous_labels;           // that run's --out, for where the customers went
};

struct CompareArgs {
  SegmentArgs segment;
  std::vector<std::string> algorithms = {"kmeans", "gmm", "ward", "kmedoids"};
};

struct PredictArgs {
  ReadArgs read;
  std::string model, out;
};

struct RfmArgs {
  ReadArgs read;
  ClusterArgs cluster;
  std::string customer, date, amount, quantity, price, invoice;
  std::string align_to, previous_labels;  // as segment's
  std::optional<std::string> as_of;       ///< given, even if empty (an empty date is refused, not ignored)
};

/// What the tool shows on stderr while it works: one line per step ("reading
/// FILE", "fitting K = 5"), and within a step the library's progress (K of a
/// sweep, starts of a fit) with the time so far and an estimate of what is left:
/// on a terminal one line updated in place, otherwise one plain line per outer
/// step; nothing with --quiet.
class Status {
 public:
  void configure(bool quiet) {
    quiet_ = quiet;
    terminal_ = isatty(fileno(stderr)) != 0;
  }

  void step(const std::string& message) {
    if (quiet_) return;
    close_line();
    std::fprintf(stderr, "segkit: %s\n", message.c_str());
    levels_.clear();
    step_start_ = Clock::now();
  }

  void update(const segkit::Progress& p) {
    if (quiet_ || p.total == 0) return;
    // Levels nest in the order they first appear; news of an outer level ends the inner ones.
    std::size_t level = 0;
    while (level < levels_.size() && levels_[level].task != p.task) ++level;
    if (level == levels_.size()) levels_.push_back({p.task, 0, p.total, Clock::now()});
    levels_[level].done = p.done;
    levels_[level].total = p.total;
    levels_.resize(level + 1);
    // Fraction of the outermost task: each inner level fills the outer step in progress.
    double fraction = 0;
    for (std::size_t l = levels_.size(); l-- > 0;)
      fraction = (static_cast<double>(levels_[l].done) + (l + 1 < levels_.size() ? fraction : 0.0)) /
                 static_cast<double>(levels_[l].total);
    if (fraction > 1) fraction = 1;
    const double elapsed = std::chrono::duration<double>(Clock::now() - step_start_).count();
    std::string text;
    for (const Level& l : levels_) {
      text += text.empty() ? "" : ", ";
      if (std::string_view(l.task) == "read")  // bytes of the file
        text += "read " + std::to_string(l.done >> 20) + " of " + std::to_string(l.total >> 20) + " MB";
      else
        text += std::string(l.task) + " " + std::to_string(l.done) + "/" + std::to_string(l.total);
    }
    text += " (" + seconds(elapsed);
    // The rate of the outermost level since its first news: work done before that (the
    // starting centres of every start, say) is not work of the level.
    const double measured = std::chrono::duration<double>(Clock::now() - levels_[0].since).count();
    if (fraction > 0 && fraction < 1) text += ", about " + seconds(measured * (1 - fraction) / fraction) + " left";
    text += ")";
    if (terminal_) {
      std::fprintf(stderr, "\r\033[Ksegkit: %s", text.c_str());
      std::fflush(stderr);
      line_open_ = true;
    } else if (level == 0) {
      std::fprintf(stderr, "segkit: %s\n", text.c_str());
    }
  }

  /// Ends an in-place line, so that what follows starts on a line of its own.
  void close_line() {
    if (!line_open_) return;
    std::fprintf(stderr, "\r\033[K");
    line_open_ = false;
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct Level {
    const char* task;
    std::size_t done, total;
    Clock::time_point since;  // its first news
  };
  static std::string seconds(double s) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, s < 10 ? "%.1f s" : "%.0f s", s);
    return buffer;
  }

  bool quiet_ = false, terminal_ = false, line_open_ = false;
  std::vector<Level> levels_;
  Clock::time_point step_start_ = Clock::now();
};

Status status;

void progress(const std::string& message) { status.step(message); }

/// The library's progress callback, shown by the status line.
segkit::ProgressCallback show_progress() {
  return [](const segkit::Progress& p) { status.update(p); };
}

std::vector<std::string> split_list(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const std::string& item : items) {
    std::stringstream stream(item);
    std::string part;
    while (std::getline(stream, part, ',')) {
      // "a, b" names a and b: spaces around a name are the list's, not the name's.
      const std::size_t first = part.find_first_not_of(" \t"), last = part.find_last_not_of(" \t");
      if (first != std::string::npos) out.push_back(part.substr(first, last - first + 1));
    }
  }
  return out;
}

segkit::data::CsvOptions csv_options(const ReadArgs& args) {
  segkit::data::CsvOptions options;
  options.header = !args.no_header;
  if (args.decimal != "." && args.decimal != ",")
    throw segkit::error("--decimal must be . or , (the decimal separator of the file's numbers), not \"" +
                        args.decimal + "\"");
  options.decimal = args.decimal[0];
  options.categorical = split_list(args.categorical);
  if (args.delimiter.empty()) return options;
  if (args.delimiter == "whitespace" || args.delimiter == " ")
    options.whitespace = true;
  else if (args.delimiter == "tab" || args.delimiter == "\\t" || args.delimiter == "\t")
    options.delimiter = '\t';
  else if (args.delimiter.size() == 1)
    options.delimiter = args.delimiter[0];
  else
    throw segkit::error("--delimiter must be one character, \"tab\" or \"whitespace\", not \"" + args.delimiter + "\"");
  return options;
}

/// Reads the file with the status line: "reading FILE", the bytes so far, then its size.
/// `read(file, options)` gives a Table, or a CustomerTable (segkit::workflow::read_customers).
template <class Read>
auto read_with_status(const ReadArgs& args, segkit::data::CsvOptions options, Read&& read) {
  progress("reading " + (args.file == "-" ? std::string("standard input") : args.file));
  options.progress = show_progress();
  auto result = read(args.file, options);
  status.close_line();
  const segkit::data::Table* table = nullptr;
  if constexpr (std::is_same_v<decltype(result), segkit::data::Table>)
    table = &result;
  else
    table = &result.table;
  progress(std::to_string(table->rows()) + " rows, " + std::to_string(table->columns()) + " columns");
  return result;
}

segkit::data::Table read_table(const ReadArgs& args, segkit::data::CsvOptions options) {
  return read_with_status(args, std::move(options), [](const std::string& file, const segkit::data::CsvOptions& o) {
    return segkit::data::read_csv(file, o);
  });
}

/// A count written as digits only ("5"), or nothing: stoul alone would take "-1" (as 2^64 - 1), "+5" and " 5".
std::optional<std::size_t> parse_count(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  try {
    return std::stoul(text);
  } catch (const std::out_of_range&) {
    return std::nullopt;
  }
}

std::pair<std::size_t, std::size_t> parse_range(const std::string& text) {
  const std::size_t dots = text.find("..");
  if (dots != std::string::npos) {
    const auto lo = parse_count(text.substr(0, dots)), hi = parse_count(text.substr(dots + 2));
    if (lo && hi && *lo <= *hi) {
      if (*lo < 2) throw segkit::error("--k-range must start at 2 at least: the scores that choose K compare segments");
      return {*lo, *hi};
    }
  }
  throw segkit::error("--k-range must look like 2..10, not \"" + text + "\"");
}

std::optional<std::size_t> fixed_k(const std::string& text) {
  if (text == "auto") return std::nullopt;
  const auto k = parse_count(text);
  if (!k) throw segkit::error("--k must be a number or \"auto\", not \"" + text + "\"");
  if (*k == 0) throw segkit::error("--k must be at least 1");
  return k;
}

/// Where the summary goes: standard output, unless an output file is written there
/// ("-", or predict's labels without --out); then standard error.
std::FILE* summary = stdout;
/// Under mpirun, only rank 0 speaks.
bool silent = false;

[[gnu::format(printf, 1, 2)]] void say(const char* format, ...) {
  if (silent) return;
  va_list args;
  va_start(args, format);
  std::vfprintf(summary, format, args);
  va_end(args);
}

/// Refuses, before any work, outputs that would replace an input, another output or
/// a folder (segkit::check_outputs), and sends the summary out of standard output's way.
void check_files(const std::vector<segkit::NamedPath>& outputs, const std::vector<segkit::NamedPath>& inputs) {
  segkit::check_outputs(outputs, inputs);
  for (const auto& output : outputs)
    if (segkit::is_standard_output(output.path)) summary = stderr;
}

/// The files segment and rfm write, with their options' names.
std::vector<segkit::NamedPath> cluster_outputs(const ClusterArgs& args) {
  return {{"--out", args.out},   {"--report", args.report},   {"--model", args.model},       {"--onnx", args.onnx},
          {"--pmml", args.pmml}, {"--centers", args.centers}, {"--profiles", args.profiles}, {"--proba", args.proba}};
}

/// Every output is written once all of them are ready, all of them or none.
struct Outputs {
  std::vector<std::pair<std::filesystem::path, std::string>> files;
  void add(const std::string& path, std::string content) {
    if (!path.empty()) files.emplace_back(path, std::move(content));
  }
  void write() const {
    segkit::write_files_atomically(files);
    for (const auto& file : files)
      progress("wrote " +
               (segkit::is_standard_output(file.first) ? std::string("standard output") : file.first.string()));
  }
};

/// --centers and --profiles, each in the format its extension names.
void add_exports(Outputs& outputs, const ClusterArgs& args, const segkit::workflow::Centers& centers,
                 const segkit::Profiles& profiles) {
  using segkit::workflow::export_format;
  if (!args.centers.empty())
    outputs.add(args.centers, segkit::workflow::centers_text(centers, export_format(args.centers, "--centers")));
  if (!args.profiles.empty())
    outputs.add(args.profiles, segkit::workflow::profiles_text(profiles, export_format(args.profiles, "--profiles")));
}

// ------------------------------------------------------------- clustering --

/// The library's clustering settings from the tool's options.
segkit::workflow::ClusterSettings cluster_settings(const ClusterArgs& args) {
  segkit::workflow::ClusterSettings settings;
  settings.k = fixed_k(args.k);
  if (!settings.k) std::tie(settings.k_min, settings.k_max) = parse_range(args.k_range);
  settings.scaler = args.scaler;
  settings.distance = args.distance;
  if (!args.init.empty()) settings.init = args.init;
  if (!segkit::is_algorithm(args.algorithm))
    throw segkit::error("--algorithm must be " + segkit::algorithm_list() + ", not \"" + args.algorithm + "\"");
  settings.algorithm = args.algorithm;
  const bool density = args.algorithm == "dbscan";
  if (density && settings.k)
    throw segkit::error(
        "--algorithm dbscan finds the number of segments itself: leave out --k, set --eps and "
        "--min-samples instead");
  if (!density && (args.eps != "auto" || args.min_samples != 0))
    throw segkit::error("--eps and --min-samples are DBSCAN's: give --algorithm dbscan");
  if (args.eps != "auto") {
    double eps = 0;
    const auto [end, ec] = std::from_chars(args.eps.data(), args.eps.data() + args.eps.size(), eps);
    if (ec != std::errc() || end != args.eps.data() + args.eps.size() || !(eps > 0) || !std::isfinite(eps))
      throw segkit::error("--eps must be a positive distance (in scaled units) or \"auto\", not \"" + args.eps + "\"");
    settings.eps = eps;
  }
  if (args.min_samples != 0) settings.min_samples = args.min_samples;
  if (args.gamma != "auto") {
    if (args.algorithm != "kprototypes") throw segkit::error("--gamma is k-prototypes': give --algorithm kprototypes");
    double gamma = 0;
    const auto [end, ec] = std::from_chars(args.gamma.data(), args.gamma.data() + args.gamma.size(), gamma);
    if (ec != std::errc() || end != args.gamma.data() + args.gamma.size() || !(gamma >= 0) || !std::isfinite(gamma))
      throw segkit::error("--gamma must be a number >= 0 or \"auto\", not \"" + args.gamma + "\"");
    settings.gamma = gamma;
  }
  segkit::covariance_type(args.covariance);  // checked before the file is read
  settings.covariance = args.covariance;
  if (!args.proba.empty() && args.algorithm != "gmm")
    throw segkit::error("--proba writes a Gaussian mixture's probabilities: give --algorithm gmm");
  const bool own_rule = args.algorithm == "gmm" || density || args.algorithm == "kprototypes";
  if (own_rule && !args.onnx.empty())
    throw segkit::error("--onnx writes models of nearest centres only, not --algorithm " + args.algorithm);
  if (own_rule && !args.pmml.empty())
    throw segkit::error("--pmml writes models of nearest centres only, not --algorithm " + args.algorithm);
  if (settings.init != "k-means++" && settings.init != "k-means||")
    throw segkit::error("--init must be k-means++ or k-means||, not \"" + settings.init + "\"");
  // Checked here, before the file is read (the registry's message, naming the option).
  segkit::with_named_policy(segkit::BuiltinScalers{}, args.scaler, "--scaler", [](auto) {});
  if (args.distance == "gower") {
    if (args.algorithm != "kmedoids")
      throw segkit::error(
          "--distance gower is k-medoids' (numbers and categories together): give --algorithm kmedoids");
  } else {
    segkit::with_named_policy(segkit::BuiltinDistances{}, args.distance, "--distance", [](auto) {});
  }
  settings.seed = args.seed;
  settings.n_init = args.n_init;
  settings.max_iter = args.max_iter;
  // Checked here, not by a CLI11 range, which lets NaN through.
  if (!(args.tol >= 0 && args.tol <= 1)) throw segkit::error("--tol must be a number from 0 to 1");
  settings.tol = args.tol;
  settings.threads = args.threads;
  if (!args.onnx.empty() && args.distance != "sqeuclidean")
    throw segkit::error("--onnx writes a model of the squared Euclidean distance only, not --distance " +
                        args.distance);
  if (!args.pmml.empty() && args.distance != "sqeuclidean" && args.distance != "manhattan")
    throw segkit::error(
        "--pmml writes a model of the squared Euclidean or the Manhattan distance only, not --distance " +
        args.distance);
  if (!args.centers.empty()) segkit::workflow::export_format(args.centers, "--centers");
  if (!args.profiles.empty()) segkit::workflow::export_format(args.profiles, "--profiles");
  settings.progress = show_progress();
  settings.on_stage = [](const std::string& what) { progress(what); };
  return settings;
}

/// The fit's guardrails, when it has any.
void say_warnings(const segkit::workflow::Fit& fit) {
  for (const std::string& w : fit.warnings) say("  warning: %s\n", w.c_str());
}

/// Why this K, as the tool says it.
std::string k_reason(const segkit::workflow::Fit& fit) {
  std::string reason = fit.k_reason;
  const std::string asked = " as asked.";
  if (const auto at = reason.find(asked); fit.sweep.empty() && at != std::string::npos)
    reason.replace(at, asked.size(), " as asked (--k).");
  return reason;
}

// --------------------------------------------------------------- printing --

/// A table for the terminal: columns padded to their widest cell, in characters on the
/// screen (UTF-8: "·" is two bytes, one character).
std::string text_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                       const std::string& indent = "") {
  auto shown = [](const std::string& text) {
    return static_cast<std::size_t>(std::count_if(
        text.begin(), text.end(), [](char ch) { return (static_cast<unsigned char>(ch) & 0xC0) != 0x80; }));
  };
  std::vector<std::size_t> width(header.size());
  for (std::size_t j = 0; j < header.size(); ++j) {
    width[j] = shown(header[j]);
    for (const auto& row : rows) width[j] = std::max(width[j], shown(row[j]));
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells_of_row) {
    out += indent;
    for (std::size_t j = 0; j < cells_of_row.size(); ++j) {
      out += cells_of_row[j];
      if (j + 1 < cells_of_row.size()) out += std::string(width[j] - shown(cells_of_row[j]) + 2, ' ');
    }
    out += '\n';
  };
  line(header);
  for (const auto& row : rows) line(row);
  return out;
}

/// The profile table for the terminal: every mean when there are a few features;
/// otherwise what sets each segment apart.
std::string profile_table(const segkit::Profiles& profiles) {
  const segkit::workflow::ProfileCells cells = segkit::workflow::profile_cells(profiles);
  std::vector<std::string> header(cells.header.begin(),
                                  cells.header.begin() + static_cast<std::ptrdiff_t>(cells.mean_columns_end));
  std::vector<std::vector<std::string>> rows;
  for (const auto& row : cells.rows)
    rows.emplace_back(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(cells.mean_columns_end));
  if (profiles.features.size() > 4) {
    header.resize(4);
    header.push_back("sets it apart: mean (all customers)");
    for (std::size_t c = 0; c < profiles.segments.size(); ++c) {
      const auto& s = profiles.segments[c];
      rows[c].resize(4);
      std::string apart;
      for (std::size_t t = 0; t < std::min<std::size_t>(3, s.distinctive.size()); ++t) {
        const std::size_t j = s.distinctive[t];
        if (!apart.empty()) apart += ", ";
        apart += profiles.features[j];
        apart += ' ';
        apart += segkit::format_number(s.mean[j], 4);
        apart += " (";
        apart += segkit::format_number(profiles.mean[j], 4);
        apart += ')';
      }
      rows[c].push_back(apart);
    }
  }
  return text_table(header, rows);
}

/// What changed since the previous segments (--align-to), and where the customers went
/// (--previous-labels).
template <class Segmentation>
void say_drift(const Segmentation& s) {
  if (!s.drift) return;
  const segkit::workflow::DriftCells cells = segkit::workflow::drift_cells(s);
  say("\nSince the previous segments (%s; centres matched by the least total distance, moved in scaled units):\n%s",
      s.drift->source.c_str(), text_table(cells.segments_header, cells.segments, "  ").c_str());
  for (const std::string& note : s.drift->notes) say("  note: %s\n", note.c_str());
  if (const auto& f = s.drift->flows) {
    say("\nWhere the customers went: %zu in both, %zu of them in the same segment\n%s", f->total, f->stayed,
        text_table(cells.flows_header, cells.flows, "  ").c_str());
  }
}

// ---------------------------------------------------------------- segment --

/// --align-to and --previous-labels (segment and rfm) into the options, read before the
/// data, so that a wrong file is said before the work.
template <class Options>
void read_previous(const std::string& align_to, const std::string& previous_labels, Options& options) {
  if (!previous_labels.empty() && align_to.empty())
    throw segkit::error(
        "--previous-labels says where customers went beside the previous model's segments: give "
        "--align-to too");
  if (!align_to.empty()) options.previous = segkit::io::previous_segments(segkit::io::load_model(align_to), align_to);
  if (!previous_labels.empty()) {
    options.previous_labels = segkit::workflow::read_segment_labels(previous_labels);
    options.previous_labels_source = previous_labels;
  }
}

/// What segment was asked to do: the workflow's options and the --out file's columns.
struct SegmentPlan {
  segkit::workflow::SegmentOptions options;
  segkit::workflow::LabelColumns columns;
};

SegmentPlan plan_segment(const SegmentArgs& args) {
  check_files(cluster_outputs(args.cluster),
              {{"input", args.read.file}, {"--align-to", args.align_to}, {"--previous-labels", args.previous_labels}});
  SegmentPlan plan;
  segkit::workflow::SegmentOptions& options = plan.options;
  read_previous(args.align_to, args.previous_labels, options);
  options.prepare.columns = split_list(args.features);
  if (args.missing == "drop")
    options.prepare.missing = segkit::features::MissingPolicy::drop_rows;
  else if (args.missing != "impute")
    throw segkit::error("--missing must be impute or drop, not \"" + args.missing + "\"");
  if (args.outliers == "keep")
    options.prepare.outliers = segkit::features::OutlierPolicy::keep;
  else if (args.outliers == "flag")
    options.prepare.outliers = segkit::features::OutlierPolicy::flag;
  else if (args.outliers == "clip")
    options.prepare.outliers = segkit::features::OutlierPolicy::clip;
  else
    throw segkit::error("--outliers must be clip, flag or keep, not \"" + args.outliers + "\"");
  options.prepare.log_skewed = args.log_skewed;
  options.cluster = cluster_settings(args.cluster);
  options.keep_features = !args.cluster.report.empty();  // only the report reads them after the fit
  segkit::workflow::LabelColumns& columns = plan.columns;
  for (const std::string& name : split_list(args.out_columns)) {
    if (name == "all")
      columns.all = true;
    else
      columns.columns.push_back(name);
  }
  columns.outliers = args.out_outliers;
  if ((columns.all || !columns.columns.empty() || columns.outliers) && args.cluster.out.empty())
    throw segkit::error("--out-columns and --out-outliers shape the --out file: give --out too");
  options.keep_table = columns.all || !columns.columns.empty();
  options.source = args.read.file;
  return plan;
}

/// A column asked for in --out that the file does not have is said before the fit, not after.
void check_out_columns(const SegmentArgs& args, const SegmentPlan& plan, const segkit::data::Table& table) {
  for (const std::string& name : plan.columns.columns) {
    try {
      table.index_of(name);
    } catch (const segkit::error& e) {
      throw segkit::error(args.read.file + ": --out-columns: " + e.what());
    }
  }
}

void say_preparation(const segkit::features::Preparation& preparation,
                     const std::vector<segkit::features::Action>& row_actions, std::size_t customers) {
  say("Preparation:\n");
  for (const auto& a : preparation.fit_actions()) say("  %s: %s\n", a.column.c_str(), a.what.c_str());
  for (const auto& a : row_actions)
    say("  %s: %s (%zu %s)\n", a.column.c_str(), a.what.c_str(), a.rows, a.rows == 1 ? "customer" : "customers");
  std::string names;
  for (const auto& f : preparation.feature_names()) names += (names.empty() ? "" : ", ") + f;
  say("  %zu customers x %zu features: %s\n", customers, preparation.feature_names().size(), names.c_str());
}

/// k-prototypes' modes: each segment's most frequent category of each categorical column.
void say_modes(const segkit::workflow::Segmentation& segmentation) {
  if (!segmentation.fit.prototypes || segmentation.profiles.categorical.empty()) return;
  const auto [header, rows] = segkit::workflow::modal_categories(segmentation.profiles);
  say("\nThe modal categories of each segment (k-prototypes' modes):\n%s", text_table(header, rows).c_str());
}

/// k-medoids' typical customers: each segment's medoid with its values.
void say_typical(const segkit::workflow::Segmentation& segmentation) {
  const auto typical = segkit::workflow::typical_customers(segmentation);
  if (typical.empty()) return;
  std::vector<std::string> header = {"segment", segmentation.id_column.empty() ? "row" : segmentation.id_column};
  header.insert(header.end(), segmentation.original_names.begin(), segmentation.original_names.end());
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : typical) {
    std::vector<std::string> row = {std::to_string(t.segment), t.customer};
    for (const double v : t.values) row.push_back(segkit::format_number(v));
    rows.push_back(std::move(row));
  }
  say("\nThe typical customer of each segment (its medoid):\n%s", text_table(header, rows).c_str());
}

/// --model, --onnx, --pmml, --centers and --profiles of a segmentation.
void add_model_outputs(Outputs& outputs, const ClusterArgs& args, const segkit::workflow::Segmentation& segmentation) {
  if (!args.model.empty()) outputs.add(args.model, segkit::io::to_json(segkit::workflow::model_of(segmentation)));
  if (!args.onnx.empty()) outputs.add(args.onnx, segkit::io::to_onnx(segkit::workflow::model_of(segmentation)));
  if (!args.pmml.empty()) outputs.add(args.pmml, segkit::io::to_pmml(segkit::workflow::model_of(segmentation)));
  if (!args.proba.empty()) outputs.add(args.proba, segkit::workflow::probabilities_csv(segmentation));
  add_exports(outputs, args, segkit::workflow::centers_of(segmentation), segmentation.profiles);
}

int run_segment(const SegmentArgs& args) {
  SegmentPlan plan = plan_segment(args);
  segkit::workflow::SegmentOptions& options = plan.options;
  const segkit::workflow::LabelColumns& columns = plan.columns;
  segkit::workflow::CustomerTable customers = read_with_status(
      args.read, csv_options(args.read), [&](const std::string& file, const segkit::data::CsvOptions& o) {
        return segkit::workflow::read_customers(file, o, args.id);
      });

  check_out_columns(args, plan, customers.table);

  // Said as soon as the preparation is known, before the fit's wait.
  options.on_prepared = [](const segkit::features::Preparation& preparation,
                           const segkit::features::Prepared& prepared) {
    say_preparation(preparation, prepared.actions, prepared.X.shape(0));
  };
  const segkit::workflow::Segmentation segmentation = segkit::workflow::segment(std::move(customers), options);
  status.close_line();
  say("\nNumber of segments: %s\n", k_reason(segmentation.fit).c_str());
  say_warnings(segmentation.fit);
  say("\nSegments:\n%s", profile_table(segmentation.profiles).c_str());
  say_typical(segmentation);
  say_modes(segmentation);
  say_drift(segmentation);

  Outputs outputs;
  if (!args.cluster.out.empty()) outputs.add(args.cluster.out, segkit::workflow::labels_csv(segmentation, columns));
  if (!args.cluster.report.empty()) {
    outputs.add(args.cluster.report, segkit::report::render_html(segkit::workflow::report_data(
                                         segmentation, "Customer segments of " + args.read.file)));
  }
  add_model_outputs(outputs, args.cluster, segmentation);
  outputs.write();
  return 0;
}

/// compare: the algorithms on one preparation of the file, one table, the agreement between
/// them, a recommendation; --report draws them side by side, --out writes every algorithm's labels.
int run_compare(const CompareArgs& args) {
  segkit::workflow::CompareOptions options;
  options.segment = plan_segment(args.segment).options;
  options.algorithms = split_list(args.algorithms);
  for (const std::string& a : options.algorithms)
    if (!segkit::is_algorithm(a))
      throw segkit::error("--algorithms must name some of " + segkit::algorithm_list() + ", not \"" + a + "\"");
  options.segment.cluster.on_stage = [](const std::string& algorithm) { progress("running " + algorithm); };
  segkit::workflow::CustomerTable customers =
      read_with_status(args.segment.read, csv_options(args.segment.read),
                       [&](const std::string& file, const segkit::data::CsvOptions& o) {
                         return segkit::workflow::read_customers(file, o, args.segment.id);
                       });
  const segkit::workflow::Comparison c = segkit::workflow::compare(std::move(customers), options);
  status.close_line();
  say_preparation(c.preparation, {}, c.customers);
  const auto [header, rows] = segkit::workflow::comparison_table(c);
  say("\nAlgorithms compared%s:\n%s", c.silhouette_sampled ? " (silhouette on a sample)" : "",
      text_table(header, rows).c_str());
  const auto [agreement_header, agreement_rows] = segkit::workflow::agreement_table(c);
  say("\nAgreement between the segmentations:\n%s", text_table(agreement_header, agreement_rows).c_str());
  say("\nRecommended: %s\n", c.reason.c_str());
  Outputs outputs;
  if (!args.segment.cluster.out.empty())
    outputs.add(args.segment.cluster.out, segkit::workflow::comparison_labels_csv(c));
  if (!args.segment.cluster.report.empty())
    outputs.add(args.segment.cluster.report, segkit::report::render_html(segkit::workflow::report_data(
                                                 c, "Algorithms compared on " + args.segment.read.file)));
  outputs.write();
  return 0;
}

#if SEGKIT_TOOL_MPI
/// segment under mpirun: each rank reads its part of the file and segments it with the
/// others (workflow/spread.hpp); rank 0 prints and writes every output, the labels of all
/// the ranks in file order.
int run_segment_spread(const SegmentArgs& args, const segkit::mpi::MpiComm& comm) {
  if (args.read.file == "-")
    throw segkit::error("over MPI ranks each rank reads its own part of the file: standard input cannot be shared");
  if (!args.cluster.report.empty())
    throw segkit::error("--report is not written over MPI ranks yet: its charts need every customer in one process");
  SegmentPlan plan = plan_segment(args);
  segkit::workflow::SegmentOptions& options = plan.options;
  if (args.cluster.init.empty()) options.cluster.init = "k-means||";
  segkit::workflow::CustomerTable customers = read_with_status(
      args.read, csv_options(args.read), [&](const std::string& file, const segkit::data::CsvOptions& o) {
        return segkit::workflow::read_customers(file, o, args.id, comm);
      });
  check_out_columns(args, plan, customers.table);
  const segkit::workflow::Segmentation segmentation = segkit::workflow::segment(std::move(customers), options, comm);
  status.close_line();
  say_preparation(segmentation.preparation, segmentation.row_actions, segmentation.customers);
  say("  over %zu processes (MPI ranks), each reading its part of the file\n", comm.size());
  say("\nNumber of segments: %s\n", k_reason(segmentation.fit).c_str());
  say_warnings(segmentation.fit);
  say("\nSegments:\n%s", profile_table(segmentation.profiles).c_str());

  segkit::workflow::LabelColumns columns = plan.columns;
  columns.header = comm.rank() == 0;
  const std::string labels = args.cluster.out.empty() ? std::string()
                                                      : segkit::workflow::join_in_rank_order(
                                                            comm, segkit::workflow::labels_csv(segmentation, columns));
  if (comm.rank() != 0) return 0;
  Outputs outputs;
  outputs.add(args.cluster.out, labels);
  add_model_outputs(outputs, args.cluster, segmentation);
  outputs.write();
  return 0;
}
#endif

// ---------------------------------------------------------------- predict --

/// A model of a transaction log: the new log's customers, scored and segmented as the fitted log's.
int run_predict_rfm(const PredictArgs& args, const segkit::io::Model& model, const std::string& out) {
  const segkit::data::Table log =
      read_table(args.read, segkit::workflow::rfm_read_options(model.rfm->columns, csv_options(args.read)));
  const segkit::workflow::RfmAssignment a = [&] {
    try {
      return segkit::workflow::predict_rfm(model, log);
    } catch (const segkit::error& e) {
      throw segkit::error(args.read.file + ": " + e.what());
    }
  }();
  say("RFM of %zu customers as of %s, scored with the model's thresholds\n", a.rfm.size(),
      segkit::format_date(a.rfm.report.as_of).c_str());
  std::vector<std::size_t> sizes(model.centers.shape(0), 0);
  for (const std::size_t l : a.labels) ++sizes[l];
  for (std::size_t c = 0; c < sizes.size(); ++c)
    say("segment %zu%s: %zu %s\n", model.segment_id(c),
        c < model.segment_names.size() ? (" (" + model.segment_names[c] + ")").c_str() : "", sizes[c],
        sizes[c] == 1 ? "customer" : "customers");
  Outputs outputs;
  std::vector<std::size_t> ids(a.labels.size());
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = model.segment_id(a.labels[i]);
  outputs.add(out, segkit::workflow::rfm_csv(a.rfm, a.scores, a.rfm_segments, ids));
  outputs.write();
  return 0;
}

/// A customer file read as a model's preparation expects it.
segkit::data::Table read_for_model(const ReadArgs& read, const segkit::io::Model& model) {
  segkit::data::CsvOptions read_options = csv_options(read);
  // "0001" stays "0001" where the file has the id column; a file without it is fine (no feature needs it).
  if (!model.id_column.empty())
    read_options.text_if = [&](std::string_view header) { return header == model.id_column; };
  // Columns the model encodes as categories are read as text, as they were at fit (numeric codes too).
  for (const auto& r : model.preparation.recipes())
    if (r.kind == segkit::features::Recipe::Kind::one_hot &&
        std::find(read_options.categorical.begin(), read_options.categorical.end(), r.source) ==
            read_options.categorical.end())
      read_options.categorical.push_back(r.source);
  return read_table(read, read_options);
}

/// Every customer of the file, in its order: its id (or row) and segment id, or no segment and
/// the reason (a column only then); what preparing the rows did and the count per segment are said.
std::string assignment_csv(const segkit::data::Table& table, const segkit::io::Model& model,
                           const segkit::io::Assignment& assignment) {
  const bool has_id = !model.id_column.empty() && table.contains(model.id_column);
  const bool reasons = !assignment.unassigned.empty();
  std::string csv =
      (has_id ? csv_field(model.id_column) : std::string("row")) + ",segment" + (reasons ? ",reason\n" : "\n");
  std::vector<std::size_t> sizes(model.centers.shape(0), 0);
  std::size_t a = 0, u = 0;
  for (std::size_t row = 0; row < table.rows(); ++row) {
    csv +=
        csv_field(has_id ? segkit::workflow::cell_text(table.column(model.id_column), row) : std::to_string(row + 1));
    if (a < assignment.rows.size() && assignment.rows[a] == row) {
      csv.append(",").append(std::to_string(model.segment_id(assignment.labels[a]))).append(reasons ? ",\n" : "\n");
      ++sizes[assignment.labels[a++]];
    } else {
      csv.append(",,").append(csv_field(assignment.unassigned[u++].reason)).append("\n");
    }
  }
  // Nothing left out or changed in silence: customers dropped for a missing value, values imputed, unseen categories.
  for (const auto& action : assignment.actions)
    say("%s: %s (%zu %s)\n", action.column.c_str(), action.what.c_str(), action.rows,
        action.rows == 1 ? "customer" : "customers");
  if (reasons)
    say("%zu of %zu customers could not be assigned: written with an empty segment and the reason\n",
        assignment.unassigned.size(), table.rows());
  for (std::size_t c = 0; c < sizes.size(); ++c)
    say("segment %zu%s: %zu %s\n", model.segment_id(c),
        c < model.segment_names.size() ? (" (" + model.segment_names[c] + ")").c_str() : "", sizes[c],
        sizes[c] == 1 ? "customer" : "customers");
  return csv;
}

int run_predict(const PredictArgs& args) {
  // Without --out the labels go to standard output.
  const std::string out = args.out.empty() ? std::string("-") : args.out;
  check_files({{"--out", out}}, {{"input", args.read.file}, {"--model", args.model}});
  const segkit::io::Model model = segkit::io::load_model(args.model);
  if (model.rfm) return run_predict_rfm(args, model, out);
  const segkit::data::Table table = read_for_model(args.read, model);
  // Its messages name the column and the data row; the file is named here.
  const segkit::io::Assignment assignment = [&] {
    try {
      return model.predict(table);
    } catch (const segkit::error& e) {
      throw segkit::error(args.read.file + ": " + e.what());
    }
  }();
  if (model.nearest_centre_stand_in())
    say("note: the segments were made by agglomerative clustering (%s linkage), which has no rule for a new "
        "customer: each joins the segment of the nearest segment centre (its mean), where a few of the customers "
        "it was made from would not be\n",
        model.algorithm.c_str());
  if (model.density)
    say("note: DBSCAN's segments: each customer joins the segment of the nearest core customer within eps = %s%s\n",
        segkit::format_number(model.density->eps).c_str(),
        model.unassigned ? ", or, near none, the \"unassigned\" segment" : "; customers near none are left unassigned");
  Outputs outputs;
  outputs.add(out, assignment_csv(table, model, assignment));
  outputs.write();
  return 0;
}

// ----------------------------------------------------------------- update --

/// New customers into a saved model: each joins its nearest segment (as predict puts it) and the
/// segments move by the mini-batch rule (io::partial_fit); the model file is replaced, whole.
int run_update(const PredictArgs& args) {
  check_files({{"--out", args.out}}, {{"input", args.read.file}, {"--model", args.model}});
  segkit::io::Model model = segkit::io::load_model(args.model);
  if (model.rfm)
    throw segkit::error(args.model +
                        " is a model of a transaction log (segkit rfm): update takes a model of customers "
                        "(segkit segment --model)");
  const segkit::data::Table table = read_for_model(args.read, model);
  const segkit::io::Update update = [&] {
    try {
      return segkit::io::partial_fit(model, table);
    } catch (const segkit::error& e) {
      throw segkit::error(args.read.file + ": " + e.what());
    }
  }();
  Outputs outputs;
  outputs.add(args.out, assignment_csv(table, model, update.assignment));
  say("Centres moved (scaled units), with the customers each now stands for:\n");
  for (std::size_t c = 0; c < update.moved.size(); ++c)
    say("  segment %zu: +%zu customers, moved %s, %s in all\n", model.segment_id(c), update.added[c],
        segkit::format_number(update.moved[c], 3).c_str(), segkit::format_number(model.counts[c], 12).c_str());
  outputs.add(args.model, segkit::io::to_json(model));
  outputs.write();
  return 0;
}

// -------------------------------------------------------------------- rfm --

int run_rfm(const RfmArgs& args) {
  check_files(cluster_outputs(args.cluster),
              {{"input", args.read.file}, {"--align-to", args.align_to}, {"--previous-labels", args.previous_labels}});
  segkit::workflow::RfmSegmentOptions options;
  read_previous(args.align_to, args.previous_labels, options);
  options.columns = {args.customer, args.date, args.amount, args.quantity, args.price, args.invoice};
  if (args.as_of) {
    options.as_of = segkit::data::parse_date_text(*args.as_of);
    if (!options.as_of)
      throw segkit::error("--as-of \"" + *args.as_of +
                          "\" is not a date: write it as 2015-03-17, 17-03-2015, 17/03/2015, 17-Mar-15 or 20150317");
  }
  options.cluster = cluster_settings(args.cluster);
  const segkit::data::Table table =
      read_table(args.read, segkit::workflow::rfm_read_options(options.columns, csv_options(args.read)));
  options.on_rfm = [](const segkit::rfm::Rfm& rfm, const segkit::rfm::RfmCuts& cuts,
                      const std::vector<std::string>& rfm_segments) {
    const auto& report = rfm.report;
    say("RFM of %zu customers as of %s (purchases %s to %s):\n", rfm.size(), segkit::format_date(report.as_of).c_str(),
        segkit::format_date(report.first_date).c_str(), segkit::format_date(report.last_date).c_str());
    say("  %zu rows: %zu purchases, %zu returns or cancellations, %zu without a customer id (left out)\n", report.rows,
        report.purchases, report.returns, report.missing_customer);
    if (!report.customers_without_purchase.empty())
      say("  %zu customers with returns but no purchase left out\n", report.customers_without_purchase.size());
    std::map<std::string, std::size_t> named_counts;
    for (const auto& name : rfm_segments) ++named_counts[name];
    // Equal values score alike: each score starts at a value, said here (R counts down: recent is 5).
    auto thresholds = [](const std::array<double, 4>& c, bool counts_down) {
      std::string text;
      for (std::size_t s = 0; s < 4; ++s)
        text.append(s ? ", " : "")
            .append(std::to_string(counts_down ? 5 - s : s + 2))
            .append(counts_down ? " below " : " from ")
            .append(std::isfinite(c[s]) ? segkit::format_number(c[s], 6) : std::string("(none)"));
      return text;
    };
    say("  score thresholds: R %s days; F %s; M %s\n", thresholds(cuts.recency, true).c_str(),
        thresholds(cuts.frequency, false).c_str(), thresholds(cuts.monetary, false).c_str());
    say("\nRFM segments (quintile scores):\n");
    for (const auto& [name, count] : named_counts)
      say("  %-20s %6zu  %5.1f%%\n", name.c_str(), count,
          100.0 * static_cast<double>(count) / static_cast<double>(rfm.size()));
  };
  const segkit::workflow::RfmSegmentation s = segkit::workflow::segment_rfm(table, options);
  status.close_line();
  say("\nk-means on log(1 + R, F, M): %s\n", k_reason(s.fit).c_str());
  say_warnings(s.fit);
  say("\nSegments:\n%s", profile_table(s.profiles).c_str());
  say_drift(s);

  Outputs outputs;
  std::vector<std::size_t> ids(s.fit.labels.size());
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = s.fit.id_of(s.fit.labels[i]);
  if (!args.cluster.out.empty())
    outputs.add(args.cluster.out, segkit::workflow::rfm_csv(s.rfm, s.scores, s.rfm_segments, ids));
  if (!args.cluster.model.empty())
    outputs.add(args.cluster.model, segkit::io::to_json(segkit::workflow::model_of(s, options.columns)));
  if (!args.cluster.onnx.empty())
    outputs.add(args.cluster.onnx, segkit::io::to_onnx(segkit::workflow::model_of(s, options.columns)));
  if (!args.cluster.pmml.empty())
    outputs.add(args.cluster.pmml, segkit::io::to_pmml(segkit::workflow::model_of(s, options.columns)));
  if (!args.cluster.report.empty())
    outputs.add(args.cluster.report,
                segkit::report::render_html(segkit::workflow::report_data(s, "RFM segments of " + args.read.file)));
  add_exports(outputs, args.cluster, segkit::workflow::centers_of(s), s.profiles);
  outputs.write();
  return 0;
}

void add_read_options(CLI::App* command, ReadArgs& args) {
  command->add_option("FILE", args.file, "customer file (CSV or TSV, with a header row; - for standard input)")
      ->required();
  command->add_option("--delimiter", args.delimiter,
                      "field separator: one character, \"tab\" or \"whitespace\" (default: detected)");
  command->add_flag("--no-header", args.no_header, "the first row is data; columns are named 1, 2, ...");
  command->add_option("--decimal", args.decimal, "the decimal separator of the numbers: . or , (3,5)")
      ->capture_default_str();
  command->add_flag("--quiet", args.quiet, "print no progress on stderr (errors still are)");
}

void add_cluster_options(CLI::App* command, ClusterArgs& args, bool with_model) {
  command->add_option("--k", args.k, "number of segments, or \"auto\" to choose it")->capture_default_str();
  command->add_option("--k-range", args.k_range, "the K tried by --k auto")->capture_default_str();
  command->add_option("--scaler", args.scaler, "standard, minmax, robust or none")->capture_default_str();
  command
      ->add_option("--distance", args.distance,
                   "sqeuclidean, manhattan or cosine; gower with --algorithm kmedoids (numbers and categories)")
      ->capture_default_str();
  command->add_option("--seed", args.seed, "random seed: the same seed gives the same segments")->capture_default_str();
  command->add_option("--init", args.init,
                      "the starts: k-means++ (default on one process) or k-means|| (default, and the only one, "
                      "over MPI ranks: the same for any number of ranks)");
  command->add_option("--n-init", args.n_init, "k-means++ starts; the lowest inertia wins")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, segkit::Pipeline<>::max_n_init));
  command->add_option("--max-iter", args.max_iter, "Lloyd iterations per start at most")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
  command
      ->add_option("--tol", args.tol,
                   "stop when the centres move less than this, relative to the mean feature variance (0: "
                   "only when no customer changes segment)")
      ->capture_default_str();
  command
      ->add_option("--threads", args.threads, "threads to use (0: every core); the segments are the same for any count")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{0}, std::size_t{4096}));
  command->add_option("--out", args.out, "write one row per customer with its segment (CSV; - for standard output)");
  command->add_option("--report", args.report, "write a self-contained HTML report with charts");
  if (with_model) {
    command->add_option("--model", args.model, "write the model that `segkit predict` uses (JSON)");
    command->add_option("--onnx", args.onnx,
                        "write the model as an ONNX graph: scaler, squared distances, ArgMin (input: the prepared "
                        "features, named in the graph's doc string)");
    command->add_option("--pmml", args.pmml,
                        "write the model as PMML 4.4: a center-based ClusteringModel over the prepared features");
  }
  command->add_option("--centers", args.centers,
                      "write each segment's centre in the features' units (.csv or .json, by extension)");
  command->add_option("--profiles", args.profiles,
                      "write the profile table: means, medians, category shares (.csv or .json, by extension)");
}

#if SEGKIT_TOOL_MPI
/// Started by an MPI launcher (mpirun, mpiexec, srun): its environment says so.
bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(name)) return true;
  return false;
}
std::optional<segkit::mpi::MpiComm> world;  // set under an MPI launcher
#endif

int run(int argc, char** argv);

}  // namespace

int main(int argc, char** argv) {
#if SEGKIT_TOOL_MPI
  // The tool owns MPI when a launcher started it (the library never initialises MPI).
  if (launched_by_mpi()) {
    MPI_Init(&argc, &argv);
    world.emplace(MPI_COMM_WORLD);
    silent = world->rank() != 0;
  }
  const int code = run(argc, argv);
  if (world) {
    world.reset();
    MPI_Finalize();
  }
  return code;
#else
  return run(argc, argv);
#endif
}

namespace {

int run(int argc, char** argv) {
  CLI::App app{"segkit: customer segments from a customer file"};
  app.require_subcommand(1);
  // The version line names the SIMD kernels chosen for this CPU (see SEGKIT_SIMD in docs/performance.md).
  app.set_version_flag(
      "--version", std::string("segkit ") + segkit::version + " (SIMD kernels: " + segkit::simd::active_arch() + ")");

  SegmentArgs segment;
  CLI::App* segment_command =
      app.add_subcommand("segment", "segment the customers of a file and describe the segments");
  add_read_options(segment_command, segment.read);
  segment_command->add_option("--features", segment.features,
                              "columns to use, by name or 1-based number, comma-separated (default: every usable one)");
  segment_command->add_option("--id", segment.id, "the customer id column (default: detected)");
  segment_command->add_option("--categorical", segment.read.categorical,
                              "columns of codes to treat as categories, not numbers (Channel,Region)");
  segment_command->add_option("--missing", segment.missing, "impute (median / most frequent) or drop")
      ->capture_default_str();
  segment_command->add_option("--outliers", segment.outliers, "flag (count and keep), clip or keep values beyond 3 IQR")
      ->capture_default_str();
  segment_command->add_flag("--log-skewed", segment.log_skewed, "log1p-transform skewed non-negative columns");
  segment_command->add_option("--out-columns", segment.out_columns,
                              "columns of the customer file to repeat in --out: \"all\", or names or 1-based numbers");
  segment_command->add_option("--align-to", segment.align_to,
                              "a previous model (segment --model): segments that persist keep its ids, new ones get "
                              "new ids, and what changed is shown");
  segment_command->add_option("--previous-labels", segment.previous_labels,
                              "the labels file (--out) of that previous run: shows where the customers went");
  segment_command->add_flag("--out-outliers", segment.out_outliers,
                            "add to --out a column naming the features where the customer is beyond the IQR fences");
  add_cluster_options(segment_command, segment.cluster, true);
  segment_command
      ->add_option("--algorithm", segment.cluster.algorithm,
                   "kmeans; gmm: a Gaussian mixture (soft segments; --k auto chooses K by BIC); ward, "
                   "complete, average or single: agglomerative clustering with that linkage (a merge tree cut at K); "
                   "dbscan: dense regions, customers in none \"unassigned\" (--eps, --min-samples); kmedoids: "
                   "segments around typical customers (FasterPAM; --distance sqeuclidean means Euclidean); "
                   "kprototypes: numbers and categories together, each segment's modal categories (--gamma)")
      ->capture_default_str();
  segment_command
      ->add_option("--covariance", segment.cluster.covariance,
                   "the Gaussian mixture's covariance: full, tied, diag or spherical")
      ->capture_default_str();
  segment_command
      ->add_option("--eps", segment.cluster.eps,
                   "DBSCAN's radius in scaled units, or auto: the knee of the sorted k-distances (--algorithm dbscan)")
      ->capture_default_str();
  segment_command->add_option("--min-samples", segment.cluster.min_samples,
                              "DBSCAN's customers within eps that make a core customer (default: twice the features, "
                              "at least 4)");
  segment_command
      ->add_option("--gamma", segment.cluster.gamma,
                   "k-prototypes' cost of one differing category against squared scaled distances; auto: half the "
                   "mean standard deviation of the numeric features")
      ->capture_default_str();
  segment_command->add_option("--proba", segment.cluster.proba,
                              "write each customer's probability of each segment (CSV; --algorithm gmm)");

  CompareArgs compare;
  CLI::App* compare_command =
      app.add_subcommand("compare", "run several algorithms on the same prepared customers and compare their segments");
  add_read_options(compare_command, compare.segment.read);
  compare_command->add_option("--features", compare.segment.features,
                              "columns to use, by name or 1-based number, comma-separated (default: every usable one)");
  compare_command->add_option("--id", compare.segment.id, "the customer id column (default: detected)");
  compare_command->add_option("--categorical", compare.segment.read.categorical,
                              "columns of codes to treat as categories, not numbers (Channel,Region)");
  compare_command->add_option("--missing", compare.segment.missing, "impute (median / most frequent) or drop")
      ->capture_default_str();
  compare_command
      ->add_option("--outliers", compare.segment.outliers, "flag (count and keep), clip or keep values beyond 3 IQR")
      ->capture_default_str();
  compare_command->add_flag("--log-skewed", compare.segment.log_skewed, "log1p-transform skewed non-negative columns");
  add_cluster_options(compare_command, compare.segment.cluster, false);
  compare_command
      ->add_option("--algorithms", compare.algorithms,
                   "the algorithms, comma-separated: kmeans, gmm, ward, complete, average, single, dbscan, "
                   "kmedoids, kprototypes")
      ->capture_default_str();

  PredictArgs predict;
  CLI::App* predict_command = app.add_subcommand("predict", "assign new customers with a saved model");
  add_read_options(predict_command, predict.read);
  predict_command->add_option("--model", predict.model, "model written by `segkit segment --model`")->required();
  predict_command->add_option("--out", predict.out,
                              "write one row per customer with its segment (CSV; default or -: standard output)");

  PredictArgs update;
  CLI::App* update_command = app.add_subcommand(
      "update", "put new customers into a saved model's segments and move the segments with them (mini-batch rule)");
  add_read_options(update_command, update.read);
  update_command->add_option("--model", update.model, "model written by `segkit segment --model`, replaced updated")
      ->required();
  update_command->add_option("--out", update.out, "write one row per new customer with its segment (CSV)");

  RfmArgs rfm;
  CLI::App* rfm_command = app.add_subcommand("rfm", "recency, frequency and monetary segments from a transaction log");
  add_read_options(rfm_command, rfm.read);
  rfm_command->add_option("--customer", rfm.customer, "customer id column")->required();
  rfm_command->add_option("--date", rfm.date, "purchase date column")->required();
  auto* amount = rfm_command->add_option("--amount", rfm.amount, "amount column");
  auto* quantity = rfm_command->add_option("--quantity", rfm.quantity, "quantity column (with --price)");
  auto* price = rfm_command->add_option("--price", rfm.price, "unit price column (with --quantity)");
  quantity->needs(price);
  price->needs(quantity);
  amount->excludes(quantity);
  rfm_command->add_option("--invoice", rfm.invoice, "invoice id column (cancellations start with C)");
  rfm_command->add_option("--as-of", rfm.as_of, "reference date (default: the day after the last purchase)");
  rfm_command->add_option("--align-to", rfm.align_to,
                          "a previous model (rfm --model): segments that persist keep its ids, new ones get new ids, "
                          "and what changed is shown");
  rfm_command->add_option("--previous-labels", rfm.previous_labels,
                          "the labels file (--out) of that previous run: shows where the customers went");
  add_cluster_options(rfm_command, rfm.cluster, true);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end the parse with exit code 0; a wrong option is an error line like any other.
    if (silent) return e.get_exit_code();
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "segkit: error: %s\nRun with --help for more information.\n", e.what());
    return e.get_exit_code();
  }
  try {
    status.configure(segment_command->parsed()   ? segment.read.quiet
                     : compare_command->parsed() ? compare.segment.read.quiet
                     : predict_command->parsed() ? predict.read.quiet
                     : update_command->parsed()  ? update.read.quiet
                                                 : rfm.read.quiet);
    if (silent) status.configure(true);
#if SEGKIT_TOOL_MPI
    // Under a launcher segment runs over the ranks even as one (the same answer for any count).
    if (world && segment_command->parsed()) return run_segment_spread(segment, *world);
    if (world && world->size() > 1)
      throw segkit::error("only segkit segment runs over several MPI ranks; run the others as one process");
#endif
    if (segment_command->parsed()) return run_segment(segment);
    if (compare_command->parsed()) return run_compare(compare);
    if (predict_command->parsed()) return run_predict(predict);
    if (update_command->parsed()) return run_update(update);
    if (rfm.amount.empty() && rfm.quantity.empty())
      throw segkit::error("segkit rfm needs --amount, or --quantity with --price");
    return run_rfm(rfm);
  } catch (const std::exception& e) {
    // Under mpirun every rank stops with the same message (the library's agree()); rank 0 says it.
    if (!silent) std::fprintf(stderr, "segkit: error: %s\n", e.what());
    return 1;
  }
}

}  // namespace
