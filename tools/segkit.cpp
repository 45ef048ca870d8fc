// segkit — the command-line tool: segment a customer file, predict with a saved
// model, or segment customers by recency, frequency and monetary value.
//
//   segkit segment FILE [--features a,b] [--k N|auto] [--k-range 2..10] [--scaler ...] [--distance ...]
//                       [--seed N] [--out labels.csv] [--report report.html] [--model model.json]
//   segkit predict --model model.json FILE [--out labels.csv]
//   segkit rfm FILE --customer COL --date COL (--amount COL | --quantity COL --price COL) [--invoice COL]
//                   [--as-of DATE] [--k N|auto] [--out ...] [--report ...]
//
// Every failure ends with one line on stderr naming the problem and a non-zero
// exit status; output files are written only once everything has been computed,
// each one whole or not at all.

#include <algorithm>
#include <cctype>
#include <cstdarg>
#include <chrono>
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
#include <vector>

#include <unistd.h>

#include <CLI/CLI.hpp>

#include <segkit/core/dispatch.hpp>
#include <segkit/core/file.hpp>
#include <segkit/data/csv.hpp>
#include <segkit/decompose/pca.hpp>
#include <segkit/features/prepare.hpp>
#include <segkit/io/model.hpp>
#include <segkit/profile/profile.hpp>
#include <segkit/report/html.hpp>
#include <segkit/rfm/rfm.hpp>
#include <segkit/segkit.hpp>
#include <segkit/select/choose_k.hpp>

namespace {

// ---------------------------------------------------------------- options --

struct ReadArgs {
  std::string file;
  std::string delimiter;  // "" = detect; "tab", "whitespace", or one character
  bool no_header = false;
  bool quiet = false;  // no progress on stderr
};

struct ClusterArgs {
  std::string k = "auto";
  std::string k_range = "2..10";
  std::string scaler = "standard";
  std::string distance = "sqeuclidean";
  std::uint64_t seed = 0;
  std::size_t n_init = 10;
  std::string out, report, model;
};

struct SegmentArgs {
  ReadArgs read;
  ClusterArgs cluster;
  std::vector<std::string> features;
  std::string id;
  std::string missing = "impute";
  std::string outliers = "clip";
  bool log_skewed = false;
};

struct PredictArgs {
  ReadArgs read;
  std::string model, out;
};

struct RfmArgs {
  ReadArgs read;
  ClusterArgs cluster;
  std::string customer, date, amount, quantity, price, invoice;
  std::optional<std::string> as_of;  ///< given, even if empty (an empty date is refused, not ignored)
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

segkit::data::CsvOptions csv_options(const ReadArgs& args) {
  segkit::data::CsvOptions options;
  options.header = !args.no_header;
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

segkit::data::Table read_table(const ReadArgs& args, segkit::data::CsvOptions options) {
  progress("reading " + args.file);
  options.progress = show_progress();
  segkit::data::Table table = segkit::data::read_csv(args.file, options);
  status.close_line();
  progress(std::to_string(table.rows()) + " rows, " + std::to_string(table.columns()) + " columns");
  return table;
}

std::pair<std::size_t, std::size_t> parse_range(const std::string& text) {
  const std::size_t dots = text.find("..");
  try {
    if (dots != std::string::npos) {
      std::size_t used_a = 0, used_b = 0;
      const std::string a = text.substr(0, dots), b = text.substr(dots + 2);
      const unsigned long lo = std::stoul(a, &used_a), hi = std::stoul(b, &used_b);
      if (used_a == a.size() && used_b == b.size() && lo <= hi) return {lo, hi};
    }
  } catch (const std::exception&) {
  }
  throw segkit::error("--k-range must look like 2..10, not \"" + text + "\"");
}

std::optional<std::size_t> fixed_k(const std::string& text) {
  if (text == "auto") return std::nullopt;
  std::size_t used = 0;
  unsigned long k = 0;
  try {
    k = std::stoul(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || used == 0) throw segkit::error("--k must be a number or \"auto\", not \"" + text + "\"");
  return k;
}

std::vector<std::string> split_list(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const std::string& item : items) {
    std::stringstream stream(item);
    std::string part;
    while (std::getline(stream, part, ','))
      if (!part.empty()) out.push_back(part);
  }
  return out;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (const char ch : text) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}


/// Text of one cell, whatever the column's kind, for ids in output files.
std::string cell_text(const segkit::data::Column& column, std::size_t row) {
  if (column.missing(row)) return "";
  if (column.is_categorical()) return column.texts()[row];
  if (column.is_date()) return segkit::format_date(column.days()[row]);
  return segkit::format_number(column.numbers()[row], 15);
}

/// "Annual Income (k$)" reads "annual income" inside a segment's name.
std::string display_name(const std::string& feature) {
  std::string out = feature.substr(0, feature.find(" ("));
  std::replace(out.begin(), out.end(), '_', ' ');
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out.empty() ? feature : out;
}

/// Where the summary goes: standard output, unless an output file is written there
/// ("-", or predict's labels without --out); then standard error.
std::FILE* summary = stdout;

[[gnu::format(printf, 1, 2)]] void say(const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vfprintf(summary, format, args);
  va_end(args);
}

/// Refuses, before any work, outputs that would replace an input, another output or
/// a folder (segkit::check_outputs), and sends the summary out of standard output's way.
void check_outputs(const std::vector<segkit::NamedPath>& outputs, const std::vector<segkit::NamedPath>& inputs) {
  segkit::check_outputs(outputs, inputs);
  for (const auto& output : outputs)
    if (segkit::is_standard_output(output.path)) summary = stderr;
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
      progress("wrote " + (segkit::is_standard_output(file.first) ? std::string("standard output") : file.first.string()));
  }
};

// ------------------------------------------------------------- clustering --

/// What one clustering run produced, whatever its policies.
struct Fit {
  std::size_t k = 0;
  std::vector<std::size_t> labels;
  segkit::AffineScaler scaling;
  xt::xtensor<double, 2> scaled_centers;
  double inertia = 0;
  segkit::report::KScores sweep;  // empty when K was given
  std::string k_reason;
};

/// Fits on X; with `consume`, the last fit takes X over (scaling it where it lies), so
/// that X and a scaled copy of it never coexist when the caller needs X no more.
template <class Scaler, class Distance>
Fit fit_with(xt::xtensor<double, 2>& X, const ClusterArgs& args, bool consume) {
  using P = segkit::Pipeline<Scaler, segkit::KMeansPlusPlus, Distance>;
  segkit::Options options{.n_init = args.n_init, .seed = args.seed, .progress = show_progress()};
  Fit fit;
  if (const auto k = fixed_k(args.k)) {
    fit.k = *k;
    fit.k_reason = "K = " + std::to_string(*k) + " as asked (--k).";
  } else {
    const auto [lo, hi] = parse_range(args.k_range);
    segkit::SweepOptions sweep_options;
    sweep_options.k_min = lo;
    sweep_options.k_max = std::min<std::size_t>(hi, X.shape(0) - 1);
    sweep_options.keep_all_labels = false;  // only the chosen K's labels are used
    progress("trying K = " + std::to_string(lo) + ".." + std::to_string(sweep_options.k_max));
    Scaler scaler;
    scaler.fit(X);
    fit.scaling = scaler;
    // With `consume`, the sweep scales X where it lies and every K fits that one matrix.
    const segkit::KSweep sweep = consume ? segkit::sweep_k<P>(std::move(X), options, sweep_options)
                                         : segkit::sweep_k<P>(X, options, sweep_options);
    const segkit::KRecommendation& recommendation = sweep.recommendation;
    fit.k = recommendation.k;
    fit.k_reason = recommendation.reason;
    // The recommendation's reason already says when the silhouette was computed on a sample.
    for (const auto& s : sweep.scores) {
      fit.sweep.k.push_back(static_cast<double>(s.k));
      fit.sweep.inertia.push_back(s.inertia);
      fit.sweep.silhouette.push_back(s.silhouette);
      fit.sweep.davies_bouldin.push_back(s.davies_bouldin);
      fit.sweep.calinski_harabasz.push_back(s.calinski_harabasz);
    }
    fit.sweep.chosen_k = static_cast<double>(fit.k);
    fit.sweep.reason = fit.k_reason;
    // The sweep's fit of the chosen K is the fit (the same options and seed): no second fit.
    const segkit::KScore& chosen = sweep.at(fit.k);
    fit.labels.assign(chosen.labels.begin(), chosen.labels.end());
    fit.scaled_centers = chosen.centers;
    fit.inertia = chosen.inertia;
    return fit;
  }
  options.k = fit.k;
  progress("fitting K = " + std::to_string(fit.k));
  P pipeline(options);
  if (consume)
    pipeline.fit(std::move(X));
  else
    pipeline.fit(X);
  status.close_line();
  fit.labels.assign(pipeline.labels().begin(), pipeline.labels().end());
  fit.scaling = pipeline.scaler();
  fit.scaled_centers = pipeline.scaled_centers();
  fit.inertia = pipeline.inertia();
  return fit;
}

template <class Scaler>
Fit fit_scaled(xt::xtensor<double, 2>& X, const ClusterArgs& args, bool consume) {
  if (args.distance == "sqeuclidean") return fit_with<Scaler, segkit::SquaredEuclidean>(X, args, consume);
  if (args.distance == "manhattan") return fit_with<Scaler, segkit::Manhattan>(X, args, consume);
  if (args.distance == "cosine") return fit_with<Scaler, segkit::Cosine>(X, args, consume);
  throw segkit::error("--distance must be sqeuclidean, manhattan or cosine, not \"" + args.distance + "\"");
}

Fit cluster(xt::xtensor<double, 2>& X, const ClusterArgs& args, bool consume) {
  if (args.scaler == "standard") return fit_scaled<segkit::StandardScaler>(X, args, consume);
  if (args.scaler == "minmax") return fit_scaled<segkit::MinMaxScaler>(X, args, consume);
  if (args.scaler == "robust") return fit_scaled<segkit::RobustScaler>(X, args, consume);
  if (args.scaler == "none") return fit_scaled<segkit::NoScaling>(X, args, consume);
  throw segkit::error("--scaler must be standard, minmax, robust or none, not \"" + args.scaler + "\"");
}

// --------------------------------------------------------------- printing --

std::string profile_table(const segkit::Profiles& profiles, std::vector<std::string>& header,
                          std::vector<std::vector<std::string>>& rows) {
  header = {"segment", "name", "customers", "share"};
  for (const std::string& f : profiles.features) header.push_back(f + " (mean)");
  for (std::size_t c = 0; c < profiles.segments.size(); ++c) {
    const auto& s = profiles.segments[c];
    std::vector<std::string> row = {std::to_string(c), s.name, std::to_string(s.size),
                                    segkit::format_number(100 * s.share, 3) + "%"};
    for (const double m : s.mean) row.push_back(segkit::format_number(m, 5));
    rows.push_back(row);
  }
  // The terminal shows every mean only for a few features; otherwise what sets each segment apart.
  std::vector<std::string> term_header = header;
  std::vector<std::vector<std::string>> term_rows = rows;
  if (profiles.features.size() > 4) {
    term_header.resize(4);
    term_header.push_back("sets it apart: mean (all customers)");
    for (std::size_t c = 0; c < profiles.segments.size(); ++c) {
      const auto& s = profiles.segments[c];
      term_rows[c].resize(4);
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
      term_rows[c].push_back(apart);
    }
  }
  // Columns padded to their widest cell.
  std::vector<std::size_t> width(term_header.size());
  for (std::size_t j = 0; j < term_header.size(); ++j) {
    width[j] = term_header[j].size();
    for (const auto& row : term_rows) width[j] = std::max(width[j], row[j].size());
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t j = 0; j < cells.size(); ++j) {
      out += cells[j];
      if (j + 1 < cells.size()) out += std::string(width[j] - cells[j].size() + 2, ' ');
    }
    out += '\n';
  };
  line(term_header);
  for (const auto& row : term_rows) line(row);

  // The report's table has it all: medians beside the means, and each category's share.
  for (const std::string& f : profiles.features) header.push_back(f + " (median)");
  for (std::size_t g = 0; g < profiles.categorical.size(); ++g)
    for (const auto& share : profiles.categories[g]) header.push_back(profiles.categorical[g] + " = " + share.category);
  for (std::size_t c = 0; c < profiles.segments.size(); ++c) {
    const auto& s = profiles.segments[c];
    for (const double m : s.median) rows[c].push_back(segkit::format_number(m, 5));
    for (const auto& column : s.categories)
      for (const auto& share : column) rows[c].push_back(segkit::format_number(100 * share.share, 3) + "%");
  }
  return out;
}

/// Customers drawn in the report's charts at most: a million SVG points cannot be
/// rendered (a 1,000,000-row report was 5.4 GB), and a few thousand show the shapes.
constexpr std::size_t report_sample_customers = 3000;

/// Rows of each segment drawn: every segment in proportion to its size, at least
/// min(size, 20) of each so that a small one still shows; seeded, ascending.
std::vector<std::size_t> report_sample(const std::vector<std::size_t>& labels, std::uint64_t seed) {
  const std::size_t n = labels.size();
  if (n <= report_sample_customers) {
    std::vector<std::size_t> all(n);
    std::iota(all.begin(), all.end(), std::size_t{0});
    return all;
  }
  std::size_t k = 0;
  for (const std::size_t l : labels) k = std::max(k, l + 1);
  std::vector<std::vector<std::size_t>> members(k);
  for (std::size_t i = 0; i < n; ++i) members[labels[i]].push_back(i);
  std::vector<std::size_t> rows;
  for (std::size_t c = 0; c < k; ++c) {
    const std::size_t size = members[c].size();
    const std::size_t share = (size * report_sample_customers + n - 1) / n;
    const std::size_t take = std::min(size, std::max<std::size_t>(share, 20));
    for (const std::size_t at : segkit::detail::sample_rows(size, take, seed + c)) rows.push_back(members[c][at]);
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

/// The report's customer-level parts: PCA projection, silhouettes, pair plot, drawn
/// for a sample of customers when there are many (ReportData::customers_total).
void customer_charts(segkit::report::ReportData& data, const Fit& fit, const xt::xtensor<double, 2>& X,
                     const xt::xtensor<double, 2>& original, const std::vector<std::string>& original_names,
                     std::uint64_t seed) {
  const std::size_t n = fit.labels.size();
  const std::vector<std::size_t> rows = report_sample(fit.labels, seed);
  const std::size_t m = rows.size();
  if (m < n) {
    data.customers_total = n;
    if (data.ids.size() == n) {
      std::vector<std::string> ids(m);
      for (std::size_t r = 0; r < m; ++r) ids[r] = data.ids[rows[r]];
      data.ids = std::move(ids);
    }
  }
  data.labels.resize(m);
  for (std::size_t r = 0; r < m; ++r) data.labels[r] = fit.labels[rows[r]];
  const xt::xtensor<double, 2> scaled = fit.scaling.transform(X);  // the data as the clusterer saw it
  xt::xtensor<double, 2> scaled_rows = xt::empty<double>({m, scaled.shape(1)});
  for (std::size_t r = 0; r < m; ++r)
    std::copy_n(scaled.data() + rows[r] * scaled.shape(1), scaled.shape(1), scaled_rows.data() + r * scaled.shape(1));
  if (scaled.shape(1) >= 2) {
    segkit::PCA pca(2);
    pca.fit(scaled);  // the axes of every customer; the sample is drawn on them
    const auto projected = pca.transform(scaled_rows);
    for (std::size_t r = 0; r < m; ++r) data.pca_x.push_back(projected(r, 0)), data.pca_y.push_back(projected(r, 1));
    data.pca_x_label = "PC 1 (" + segkit::format_number(100 * pca.explained_variance_ratio()(0), 3) + "% of variance)";
    data.pca_y_label = "PC 2 (" + segkit::format_number(100 * pca.explained_variance_ratio()(1), 3) + "% of variance)";
  }
  std::size_t distinct = 0;
  for (const std::size_t l : data.labels) distinct = std::max(distinct, l + 1);
  std::vector<std::size_t> present(distinct, 0);
  for (const std::size_t l : data.labels) ++present[l];
  // The exact silhouette of the drawn customers (O(m^2)), against the drawn customers only.
  if (distinct >= 2 && std::count(present.begin(), present.end(), std::size_t{0}) == 0) {
    const auto samples = segkit::silhouette_samples(scaled_rows, data.labels);
    data.silhouette_samples.assign(samples.begin(), samples.end());
    data.silhouette_sampled = m < n;
  }
  for (std::size_t j = 0; j < std::min<std::size_t>(6, original.shape(1)); ++j) {
    data.feature_names.push_back(original_names[j]);
    std::vector<double> column(m);
    for (std::size_t r = 0; r < m; ++r) column[r] = original(rows[r], j);
    data.feature_values.push_back(std::move(column));
  }
}

// ---------------------------------------------------------------- segment --

int run_segment(const SegmentArgs& args) {
  check_outputs({{"--out", args.cluster.out}, {"--report", args.cluster.report}, {"--model", args.cluster.model}},
                {{"input", args.read.file}});
  segkit::data::CsvOptions read_options = csv_options(args.read);
  // Ids are names: "0001" must come back as "0001", so the id column (--id, or any column
  // named like one) is read as text; one that names no customers is turned back into numbers.
  if (!args.id.empty()) read_options.categorical.push_back(args.id);
  read_options.text_if = [](std::string_view header) { return segkit::features::looks_like_id(std::string(header)); };
  segkit::data::Table table = read_table(args.read, read_options);
  const std::string id_key = !args.id.empty() ? args.id : segkit::features::find_id_column(table).value_or("");
  std::set<std::size_t> kept_as_text;  // as the user asked, or the id itself
  for (const std::string& key : read_options.categorical) kept_as_text.insert(table.index_of(key));
  if (!id_key.empty()) kept_as_text.insert(table.index_of(id_key));
  for (std::size_t j = 0; j < table.columns(); ++j)
    if (!kept_as_text.count(j) && segkit::features::looks_like_id(table.at(j).name()))
      if (auto numbers = segkit::data::reparse_as_numbers(table.at(j))) table.replace(j, std::move(*numbers));
  segkit::features::PrepareOptions prepare;
  prepare.columns = split_list(args.features);
  if (!args.id.empty()) prepare.exclude.push_back(args.id);
  if (args.id.empty() && !id_key.empty()) prepare.known_identifier = id_key;  // checked once, above
  if (args.missing == "drop")
    prepare.missing = segkit::features::MissingPolicy::drop_rows;
  else if (args.missing != "impute")
    throw segkit::error("--missing must be impute or drop, not \"" + args.missing + "\"");
  if (args.outliers == "keep")
    prepare.outliers = segkit::features::OutlierPolicy::keep;
  else if (args.outliers == "flag")
    prepare.outliers = segkit::features::OutlierPolicy::flag;
  else if (args.outliers != "clip")
    throw segkit::error("--outliers must be clip, flag or keep, not \"" + args.outliers + "\"");
  prepare.log_skewed = args.log_skewed;

  // Its messages name the column and the data row; the file is named here.
  const auto preparation = [&] {
    try {
      return segkit::features::Preparation::fit(table, prepare);
    } catch (const segkit::error& e) {
      throw segkit::error(args.read.file + ": " + e.what());
    }
  }();
  // The business-unit values are the table's own numbers until the profile needs them:
  // built after the fit, so the table, X and a second n x d matrix never coexist.
  auto prepared = preparation.transform(table, segkit::features::Preparation::Originals::left_out);
  say("Preparation:\n");
  for (const auto& a : preparation.fit_actions()) say("  %s: %s\n", a.column.c_str(), a.what.c_str());
  for (const auto& a : prepared.actions)
    say("  %s: %s (%zu customers)\n", a.column.c_str(), a.what.c_str(), a.rows);
  say("  %zu customers x %zu features: %s\n", prepared.X.shape(0), prepared.X.shape(1), [&] {
    std::string names;
    for (const auto& f : preparation.feature_names()) names += (names.empty() ? "" : ", ") + f;
    return names;
  }().c_str());

  // Only the report reads the prepared features after the fit.
  const std::size_t n_features = prepared.X.shape(1);
  const Fit fit = cluster(prepared.X, args.cluster, args.cluster.report.empty());
  say("\nNumber of segments: %s\n", fit.k_reason.c_str());

  // What the outputs need of the table (ids, the categories and values profiled), taken
  // after the fit, when X is gone unless the report needs it; then the table is released.
  const std::string id_column = id_key.empty() ? "" : table.column(id_key).name();
  std::vector<std::string> ids(prepared.rows.size());
  const segkit::data::Column* id_cells = id_column.empty() ? nullptr : &table.column(id_column);
  for (std::size_t i = 0; i < prepared.rows.size(); ++i)
    ids[i] = id_cells ? cell_text(*id_cells, prepared.rows[i]) : std::to_string(prepared.rows[i] + 1);
  std::vector<segkit::CategoricalColumn> categories;
  for (const auto& r : preparation.recipes())
    if (r.kind == segkit::features::Recipe::Kind::one_hot) {
      segkit::CategoricalColumn column{r.source, {}};
      const auto& c = table.column(r.source);
      for (const std::size_t row : prepared.rows) column.values.push_back(c.missing(row) ? r.fill_level : c.texts()[row]);
      categories.push_back(std::move(column));
    }
  prepared.original = preparation.original(table, prepared.rows);
  table = segkit::data::Table{};

  segkit::ProfileOptions profile_options;
  for (const std::string& name : prepared.original_names) profile_options.display_names.push_back(display_name(name));
  const segkit::Profiles profiles =
      segkit::profile_segments(prepared.original, prepared.original_names, fit.labels, categories, profile_options);
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  say("\nSegments:\n%s", profile_table(profiles, header, rows).c_str());

  Outputs outputs;
  if (!args.cluster.out.empty()) {
    std::string csv = (id_column.empty() ? std::string("row") : csv_field(id_column)) + ",segment\n";
    csv.reserve(csv.size() + ids.size() * 16);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      csv.append(csv_field(ids[i])).append(",").append(std::to_string(fit.labels[i])).append("\n");
    }
    outputs.add(args.cluster.out, std::move(csv));
  }
  if (!args.cluster.report.empty()) {
    segkit::report::ReportData data;
    data.title = "Customer segments of " + args.read.file;
    data.summary = std::to_string(prepared.X.shape(0)) + " customers, " + std::to_string(n_features) +
                   " features, scaler " + args.cluster.scaler + ", distance " + args.cluster.distance + ", seed " +
                   std::to_string(args.cluster.seed) + ".";
    data.sweep = fit.sweep;
    data.ids = ids;
    for (const auto& s : profiles.segments) data.segment_names.push_back(s.name);
    customer_charts(data, fit, prepared.X, prepared.original, prepared.original_names, args.cluster.seed);
    data.profile_header = header;
    data.profile_rows = rows;
    outputs.add(args.cluster.report, segkit::report::render_html(data));
  }
  if (!args.cluster.model.empty()) {
    segkit::io::Model model;
    model.preparation = preparation;
    model.scaler = args.cluster.scaler;
    model.scaling = fit.scaling;
    model.distance = args.cluster.distance;
    model.centers = fit.scaled_centers;
    for (const auto& s : profiles.segments) model.segment_names.push_back(s.name);
    model.id_column = id_column;
    outputs.add(args.cluster.model, segkit::io::to_json(model));
  }
  outputs.write();
  return 0;
}

// ---------------------------------------------------------------- predict --

int run_predict(const PredictArgs& args) {
  // Without --out the labels go to standard output.
  const std::string out = args.out.empty() ? std::string("-") : args.out;
  check_outputs({{"--out", out}}, {{"input", args.read.file}, {"--model", args.model}});
  const segkit::io::Model model = segkit::io::load_model(args.model);
  segkit::data::CsvOptions read_options = csv_options(args.read);
  if (!model.id_column.empty()) read_options.categorical.push_back(model.id_column);  // "0001" stays "0001"
  const segkit::data::Table table = read_table(args.read, read_options);
  // Its messages name the column and the data row; the file is named here.
  const segkit::io::Assignment assignment = [&] {
    try {
      return model.predict(table);
    } catch (const segkit::error& e) {
      throw segkit::error(args.read.file + ": " + e.what());
    }
  }();
  const bool has_id = !model.id_column.empty() && table.contains(model.id_column);
  std::string csv = (has_id ? csv_field(model.id_column) : std::string("row")) + ",segment\n";
  std::vector<std::size_t> sizes(model.centers.shape(0), 0);
  for (std::size_t i = 0; i < assignment.rows.size(); ++i) {
    const std::size_t row = assignment.rows[i];
    csv += csv_field(has_id ? cell_text(table.column(model.id_column), row) : std::to_string(row + 1)) + "," +
           std::to_string(assignment.labels[i]) + "\n";
    ++sizes[assignment.labels[i]];
  }
  for (std::size_t c = 0; c < sizes.size(); ++c)
    say("segment %zu%s: %zu customers\n", c,
                c < model.segment_names.size() ? (" (" + model.segment_names[c] + ")").c_str() : "", sizes[c]);
  Outputs outputs;
  outputs.add(out, std::move(csv));
  outputs.write();
  return 0;
}

// -------------------------------------------------------------------- rfm --

/// The days of a date column (read as a forced date column, so yyyymmdd numbers count too).
std::vector<std::int64_t> day_numbers(const segkit::data::Column& column) {
  for (std::size_t i = 0; i < column.size(); ++i)
    if (column.missing(i)) throw segkit::error("column \"" + column.name() + "\": no date in data row " + std::to_string(i + 1));
  return column.days();
}

std::vector<double> numbers_of(const segkit::data::Column& column) {
  if (!column.is_numeric())
    throw segkit::error("column \"" + column.name() + "\" is " + segkit::data::to_string(column.kind()) +
                        ", not numeric");
  return column.numbers();
}

std::vector<std::string> texts_of(const segkit::data::Column& column) {
  std::vector<std::string> out(column.size());
  for (std::size_t i = 0; i < column.size(); ++i) out[i] = cell_text(column, i);
  return out;
}

int run_rfm(const RfmArgs& args) {
  check_outputs({{"--out", args.cluster.out}, {"--report", args.cluster.report}, {"--model", args.cluster.model}},
                {{"input", args.read.file}});
  segkit::data::CsvOptions options = csv_options(args.read);
  // Customer and invoice ids are names, not quantities: "00012" must stay "00012". The
  // date column is read as dates whatever its form (CDNOW's are yyyymmdd numbers).
  options.categorical.push_back(args.customer);
  options.date.push_back(args.date);
  if (!args.invoice.empty()) options.categorical.push_back(args.invoice);
  const segkit::data::Table table = read_table(args.read, options);

  const std::vector<std::string> customers = texts_of(table.column(args.customer));
  const std::vector<std::int64_t> dates = day_numbers(table.column(args.date));
  std::vector<double> amounts;
  if (!args.amount.empty()) {
    amounts = numbers_of(table.column(args.amount));
  } else {
    const auto quantity = numbers_of(table.column(args.quantity));
    const auto price = numbers_of(table.column(args.price));
    amounts.resize(quantity.size());
    for (std::size_t i = 0; i < quantity.size(); ++i) amounts[i] = quantity[i] * price[i];
  }
  for (std::size_t i = 0; i < amounts.size(); ++i)
    if (!std::isfinite(amounts[i])) throw segkit::error("no amount in row " + std::to_string(i + 1));

  segkit::rfm::RfmOptions rfm_options;
  if (args.as_of) {
    const auto day = segkit::data::parse_date_text(*args.as_of);
    if (!day)
      throw segkit::error("--as-of \"" + *args.as_of +
                          "\" is not a date: write it as 2015-03-17, 17-03-2015, 17/03/2015, 17-Mar-15 or 20150317");
    rfm_options.as_of = *day;
  }
  const segkit::rfm::Rfm rfm = args.invoice.empty()
                                   ? segkit::rfm::compute_rfm(customers, dates, amounts, rfm_options)
                                   : segkit::rfm::compute_rfm(customers, dates, amounts, texts_of(table.column(args.invoice)), rfm_options);
  const auto& report = rfm.report;
  say("RFM of %zu customers as of %s (purchases %s to %s):\n", rfm.size(),
              segkit::format_date(report.as_of).c_str(), segkit::format_date(report.first_date).c_str(),
              segkit::format_date(report.last_date).c_str());
  say("  %zu rows: %zu purchases, %zu returns or cancellations, %zu without a customer id (left out)\n",
              report.rows, report.purchases, report.returns, report.missing_customer);
  if (!report.customers_without_purchase.empty())
    say("  %zu customers with returns but no purchase left out\n", report.customers_without_purchase.size());

  const segkit::rfm::RfmScores scores = segkit::rfm::score_rfm(rfm);
  const auto named = segkit::rfm::rf_segments(scores);
  std::map<std::string, std::size_t> named_counts;
  for (const auto s : named) ++named_counts[std::string(segkit::rfm::segment_name(s))];
  say("\nRFM segments (quintile scores):\n");
  for (const auto& [name, count] : named_counts)
    say("  %-20s %6zu  %5.1f%%\n", name.c_str(), count, 100.0 * static_cast<double>(count) / static_cast<double>(rfm.size()));

  xt::xtensor<double, 2> X = segkit::rfm::log_rfm_matrix(rfm);
  const Fit fit = cluster(X, args.cluster, /*consume=*/false);
  say("\nk-means on log(1 + R, F, M): %s\n", fit.k_reason.c_str());
  xt::xtensor<double, 2> original = xt::empty<double>({rfm.size(), std::size_t{3}});
  for (std::size_t i = 0; i < rfm.size(); ++i) {
    original(i, 0) = static_cast<double>(rfm.recency[i]);
    original(i, 1) = static_cast<double>(rfm.frequency[i]);
    original(i, 2) = rfm.monetary[i];
  }
  const std::vector<std::string> names = {"recency (days)", "frequency", "monetary"};
  std::vector<std::string> named_text;
  for (const auto s : named) named_text.emplace_back(segkit::rfm::segment_name(s));
  const segkit::Profiles profiles = segkit::profile_segments(original, names, fit.labels,
                                                             {segkit::CategoricalColumn{"RFM segment", named_text}},
                                                             segkit::ProfileOptions{.display_names = {"recency", "frequency", "spend"}});
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  say("\nSegments:\n%s", profile_table(profiles, header, rows).c_str());

  Outputs outputs;
  if (!args.cluster.out.empty()) {
    std::string csv = "customer,recency,frequency,monetary,r_score,f_score,m_score,rfm_segment,segment\n";
    for (std::size_t i = 0; i < rfm.size(); ++i)
      csv += csv_field(rfm.customers[i]) + "," + std::to_string(rfm.recency[i]) + "," + std::to_string(rfm.frequency[i]) +
             "," + segkit::format_number(rfm.monetary[i], 12) + "," + std::to_string(scores.r[i]) + "," +
             std::to_string(scores.f[i]) + "," + std::to_string(scores.m[i]) + "," + csv_field(named_text[i]) + "," +
             std::to_string(fit.labels[i]) + "\n";
    outputs.add(args.cluster.out, std::move(csv));
  }
  if (!args.cluster.report.empty()) {
    segkit::report::ReportData data;
    data.title = "RFM segments of " + args.read.file;
    data.summary = std::to_string(rfm.size()) + " customers as of " + segkit::format_date(report.as_of) +
                   "; k-means on log(1 + recency, frequency, monetary).";
    data.sweep = fit.sweep;
    data.ids = rfm.customers;
    for (const auto& s : profiles.segments) data.segment_names.push_back(s.name);
    customer_charts(data, fit, X, original, names, args.cluster.seed);
    data.profile_header = header;
    data.profile_rows = rows;
    outputs.add(args.cluster.report, segkit::report::render_html(data));
  }
  outputs.write();
  return 0;
}

void add_read_options(CLI::App* command, ReadArgs& args) {
  command->add_option("FILE", args.file, "customer file (CSV or TSV, with a header row)")->required();
  command->add_option("--delimiter", args.delimiter,
                      "field separator: one character, \"tab\" or \"whitespace\" (default: detected)");
  command->add_flag("--no-header", args.no_header, "the first row is data; columns are named 1, 2, ...");
  command->add_flag("--quiet", args.quiet, "print no progress on stderr (errors still are)");
}

void add_cluster_options(CLI::App* command, ClusterArgs& args, bool with_model) {
  command->add_option("--k", args.k, "number of segments, or \"auto\" to choose it")->capture_default_str();
  command->add_option("--k-range", args.k_range, "the K tried by --k auto")->capture_default_str();
  command->add_option("--scaler", args.scaler, "standard, minmax, robust or none")->capture_default_str();
  command->add_option("--distance", args.distance, "sqeuclidean, manhattan or cosine")->capture_default_str();
  command->add_option("--seed", args.seed, "random seed: the same seed gives the same segments")->capture_default_str();
  command->add_option("--n-init", args.n_init, "k-means++ starts; the lowest inertia wins")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, segkit::Pipeline<>::max_n_init));
  command->add_option("--out", args.out, "write one row per customer with its segment (CSV; - for standard output)");
  command->add_option("--report", args.report, "write a self-contained HTML report with charts");
  if (with_model) command->add_option("--model", args.model, "write the model that `segkit predict` uses (JSON)");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"segkit: customer segments from a customer file"};
  app.require_subcommand(1);
  // The version line names the SIMD kernels chosen for this CPU (see SEGKIT_SIMD in docs/performance.md).
  app.set_version_flag("--version", std::string("segkit ") + segkit::version + " (SIMD kernels: " +
                                        segkit::simd::active_arch() + ")");

  SegmentArgs segment;
  CLI::App* segment_command = app.add_subcommand("segment", "segment the customers of a file and describe the segments");
  add_read_options(segment_command, segment.read);
  segment_command->add_option("--features", segment.features,
                              "columns to use, by name or 1-based number, comma-separated (default: every usable one)");
  segment_command->add_option("--id", segment.id, "the customer id column (default: detected)");
  segment_command->add_option("--missing", segment.missing, "impute (median / most frequent) or drop")->capture_default_str();
  segment_command->add_option("--outliers", segment.outliers, "clip, flag or keep values beyond 3 IQR")->capture_default_str();
  segment_command->add_flag("--log-skewed", segment.log_skewed, "log1p-transform skewed non-negative columns");
  add_cluster_options(segment_command, segment.cluster, true);

  PredictArgs predict;
  CLI::App* predict_command = app.add_subcommand("predict", "assign new customers with a saved model");
  add_read_options(predict_command, predict.read);
  predict_command->add_option("--model", predict.model, "model written by `segkit segment --model`")->required();
  predict_command->add_option("--out", predict.out, "write one row per customer with its segment (CSV; default or -: standard output)");

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
  add_cluster_options(rfm_command, rfm.cluster, false);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    status.configure(segment_command->parsed() ? segment.read.quiet
                                               : predict_command->parsed() ? predict.read.quiet : rfm.read.quiet);
    if (segment_command->parsed()) return run_segment(segment);
    if (predict_command->parsed()) return run_predict(predict);
    if (rfm.amount.empty() && rfm.quantity.empty())
      throw segkit::error("segkit rfm needs --amount, or --quantity with --price");
    return run_rfm(rfm);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "segkit: error: %s\n", e.what());
    return 1;
  }
}
