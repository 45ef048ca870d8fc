// A retail backend's nightly job on PostgreSQL. The database computes each customer's
// recency, frequency and monetary value from the orders table in SQL; segkit segments
// log(1 + R, F, M), aligned with the segments stored the night before so that segment 3
// keeps its meaning; and every customer's segment is written back, with the model's version
// and the time, in one transaction: a run that fails or is killed half-way leaves the
// previous segments in place, and a run on unchanged data changes nothing.
//
//   segment_customers [--db CONNINFO] [--k K] [--seed N] [fit|assign]
//
//   fit     fit segments (aligned with the latest stored model), store the model when it
//           differs from that one, and write every customer's segment (the default)
//   assign  put the customers into the latest stored model's segments, without refitting:
//           what a backend does during the day as new customers order
//
// CONNINFO is a libpq connection string ("host=db.example dbname=shop user=segkit");
// without it, libpq's environment variables say where the server is (PGHOST, PGPORT,
// PGDATABASE, PGUSER, PGPASSWORD). The database holds customers(customer_id) and
// orders(customer_id, ordered_on, amount) (schema.sql); the program adds segment_models
// and customer_segments when they do not exist. docs/postgres.md says more.

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <system_error>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include <segkit/workflow/report.hpp>  // target segkit::io
#include <segkit/workflow/rfm.hpp>

namespace {

constexpr const char* schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS segment_models (
  version    integer PRIMARY KEY,
  created_at timestamptz NOT NULL,
  model      text NOT NULL  -- segkit's model file, byte for byte: `segkit predict --model` reads it
);
CREATE TABLE IF NOT EXISTS customer_segments (
  customer_id   text PRIMARY KEY,
  segment       integer NOT NULL,
  model_version integer NOT NULL REFERENCES segment_models (version),
  assigned_at   timestamptz NOT NULL  -- when the customer got this segment from this model
);
)sql";

// The RFM of every customer with a purchase, as segkit::rfm::compute_rfm counts it without
// invoices: a negative amount is a return (it lowers the monetary value, and is not a
// purchase), a purchase is a day with an order (frequency: distinct days), recency is
// counted from the day after the last purchase of anyone. Days are numbers since 1970-01-01.
constexpr const char* rfm_sql = R"sql(
WITH purchases AS (
  SELECT o.customer_id, o.ordered_on, o.amount
  FROM orders o JOIN customers c USING (customer_id)
), as_of AS (
  SELECT max(ordered_on) + 1 AS day FROM purchases WHERE amount >= 0
)
SELECT customer_id,
       (SELECT day FROM as_of) - max(ordered_on) FILTER (WHERE amount >= 0) AS recency,
       count(DISTINCT ordered_on) FILTER (WHERE amount >= 0) AS frequency,
       sum(amount)::float8 AS monetary,
       min(ordered_on) FILTER (WHERE amount >= 0) - date '1970-01-01' AS first_purchase,
       max(ordered_on) FILTER (WHERE amount >= 0) - date '1970-01-01' AS last_purchase,
       (SELECT day FROM as_of) - date '1970-01-01' AS as_of
FROM purchases
GROUP BY customer_id
HAVING count(*) FILTER (WHERE amount >= 0) > 0
ORDER BY customer_id COLLATE "C"
)sql";

/// The columns of the orders table, as a model of a transaction log records them: `segkit
/// predict --model` replays the model on an export of the table (COPY orders TO ... CSV HEADER).
const segkit::workflow::RfmColumns order_columns{.customer = "customer_id", .date = "ordered_on", .amount = "amount"};

struct StoredModel {
  int version = 0;
  std::string text;  ///< the model file
  segkit::io::Model model;
  std::string name() const { return "model version " + std::to_string(version); }
};

segkit::rfm::Rfm read_rfm(pqxx::transaction_base& tx) {
  segkit::rfm::Rfm rfm;
  rfm.report.frequency = segkit::rfm::FrequencyCount::days;
  for (const auto& row : tx.exec(rfm_sql)) {
    rfm.customers.push_back(row["customer_id"].as<std::string>());
    rfm.recency.push_back(row["recency"].as<std::int64_t>());
    rfm.frequency.push_back(row["frequency"].as<std::size_t>());
    rfm.monetary.push_back(row["monetary"].as<double>());
    rfm.first_purchase.push_back(row["first_purchase"].as<std::int64_t>());
    rfm.last_purchase.push_back(row["last_purchase"].as<std::int64_t>());
    rfm.report.as_of = row["as_of"].as<std::int64_t>();
  }
  if (rfm.customers.empty()) throw segkit::error("the orders table holds no purchase of a known customer");
  rfm.report.first_date = *std::min_element(rfm.first_purchase.begin(), rfm.first_purchase.end());
  rfm.report.last_date = *std::max_element(rfm.last_purchase.begin(), rfm.last_purchase.end());
  return rfm;
}

std::optional<StoredModel> latest_model(pqxx::transaction_base& tx) {
  const pqxx::result r = tx.exec("SELECT version, model FROM segment_models ORDER BY version DESC LIMIT 1");
  if (r.empty()) return std::nullopt;
  StoredModel m;
  m.version = r[0][0].as<int>();
  m.text = r[0][1].as<std::string>();
  m.model = segkit::io::model_from_json(m.text, "segment_models " + m.name());
  return m;
}

/// The segments written last: each customer's id and segment id.
std::pair<std::vector<std::string>, std::vector<std::size_t>> current_segments(pqxx::transaction_base& tx) {
  std::pair<std::vector<std::string>, std::vector<std::size_t>> out;
  for (const auto& row : tx.exec("SELECT customer_id, segment FROM customer_segments")) {
    out.first.push_back(row[0].as<std::string>());
    out.second.push_back(row[1].as<std::size_t>());
  }
  return out;
}

struct Written {
  int version = 0;
  bool new_model = false;
  std::size_t changed = 0, removed = 0;
};

/// Stores the model (a new version unless it is the latest one, byte for byte) and each
/// customer's segment id, in one transaction. `expected`: the latest version when the run
/// read the database; a version stored since by another run fails this one rather than
/// overwrite newer segments with older ones.
Written write_segments(pqxx::connection& db, const std::optional<StoredModel>& expected, const std::string& model_text,
                       const std::vector<std::string>& customers, const std::vector<std::size_t>& segments) {
  pqxx::work tx{db};
  // One writer at a time; readers of customer_segments see the old rows until the commit.
  tx.exec0("LOCK TABLE segment_models IN SHARE ROW EXCLUSIVE MODE");
  const int latest = tx.exec1("SELECT coalesce(max(version), 0) FROM segment_models")[0].as<int>();
  if (latest != (expected ? expected->version : 0))
    throw segkit::error("another run stored model version " + std::to_string(latest) +
                        " while this one ran: nothing written; run again to align with it");
  Written w;
  if (expected && expected->text == model_text) {
    w.version = expected->version;
  } else {
    w.version = latest + 1;
    w.new_model = true;
    tx.exec_params0("INSERT INTO segment_models (version, created_at, model) VALUES ($1, now(), $2)", w.version,
                    model_text);
  }
  tx.exec0("CREATE TEMP TABLE new_segments (customer_id text PRIMARY KEY, segment integer NOT NULL) ON COMMIT DROP");
  {
    pqxx::stream_to rows{tx, "new_segments"};
    for (std::size_t i = 0; i < customers.size(); ++i) rows << std::make_tuple(customers[i], segments[i]);
    rows.complete();
  }
  // A customer whose segment and model are unchanged keeps its row, time included.
  w.changed = tx.exec_params0(
                    "INSERT INTO customer_segments (customer_id, segment, model_version, assigned_at) "
                    "SELECT customer_id, segment, $1, now() FROM new_segments "
                    "ON CONFLICT (customer_id) DO UPDATE SET segment = EXCLUDED.segment, "
                    "model_version = EXCLUDED.model_version, assigned_at = EXCLUDED.assigned_at "
                    "WHERE (customer_segments.segment, customer_segments.model_version) IS DISTINCT FROM "
                    "(EXCLUDED.segment, EXCLUDED.model_version)",
                    w.version)
                  .affected_rows();
  w.removed = tx.exec0(
                    "DELETE FROM customer_segments s WHERE NOT EXISTS "
                    "(SELECT 1 FROM new_segments n WHERE n.customer_id = s.customer_id)")
                  .affected_rows();
  tx.commit();
  return w;
}

void print_drift(const segkit::workflow::RfmSegmentation& s) {
  if (!s.drift) return;
  const segkit::workflow::DriftCells cells = segkit::workflow::drift_cells(s);
  std::printf("since %s:\n", s.drift->source.c_str());
  for (const auto& row : cells.segments)
    std::printf("  segment %s: %s, centre moved %s, %s customers\n", row[0].c_str(), row[1].c_str(), row[2].c_str(),
                row[3].c_str());
  if (const auto& f = s.drift->flows)
    std::printf("  %zu customers segmented before and now, %zu of them kept their segment\n", f->total, f->stayed);
}

int run(const std::string& conninfo, const std::string& mode, std::size_t k, std::uint64_t seed) {
  pqxx::connection db{conninfo};
  {
    pqxx::work tx{db};
    tx.exec0(schema_sql);
    tx.commit();
  }
  // What the run reads, from one snapshot of the database.
  std::optional<StoredModel> previous;
  segkit::rfm::Rfm rfm;
  std::pair<std::vector<std::string>, std::vector<std::size_t>> before;
  {
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx{db};
    previous = latest_model(tx);
    rfm = read_rfm(tx);
    before = current_segments(tx);
  }
  std::printf("RFM of %zu customers as of %s, computed in SQL\n", rfm.size(),
              segkit::format_date(rfm.report.as_of).c_str());

  std::vector<std::string> customers;
  std::vector<std::size_t> segments;
  std::string model_text;
  if (mode == "fit") {
    segkit::workflow::RfmSegmentOptions options;
    options.columns = order_columns;
    options.cluster.k = k;
    options.cluster.seed = seed;
    if (previous) {
      options.previous = segkit::io::previous_segments(previous->model, previous->name());
      options.previous_labels = before;
      options.previous_labels_source = "customer_segments";
    }
    const segkit::workflow::RfmSegmentation s = segkit::workflow::segment_rfm(std::move(rfm), options);
    for (const auto& p : s.profiles.segments)
      std::printf("  segment %zu: %-40s %6zu customers\n", p.id, p.name.c_str(), p.size);
    print_drift(s);
    customers = s.rfm.customers;
    for (const std::size_t label : s.fit.labels) segments.push_back(s.fit.id_of(label));
    model_text = segkit::io::to_json(segkit::workflow::model_of(s, order_columns));
  } else {
    if (!previous) throw segkit::error("assign needs a stored model, and segment_models is empty: run fit first");
    std::vector<double> recency, frequency;
    for (std::size_t i = 0; i < rfm.size(); ++i)
      recency.push_back(static_cast<double>(rfm.recency[i])),
          frequency.push_back(static_cast<double>(rfm.frequency[i]));
    segkit::data::Table table;
    table.add(segkit::data::Column::numeric("recency", std::move(recency)))
        .add(segkit::data::Column::numeric("frequency", std::move(frequency)))
        .add(segkit::data::Column::numeric("monetary", rfm.monetary));
    const segkit::io::Assignment a = previous->model.predict(table);
    if (a.rows.size() != rfm.size()) throw segkit::error("a customer could not be put into a segment");
    customers = rfm.customers;
    for (const std::size_t label : a.labels) segments.push_back(previous->model.segment_id(label));
    model_text = previous->text;
    std::printf("put into the segments of %s\n", previous->name().c_str());
  }

  const Written w = write_segments(db, previous, model_text, customers, segments);
  std::printf("model version %d (%s)\n", w.version, w.new_model ? "new" : "unchanged");
  std::printf("customer_segments: %zu customers, %zu rows written, %zu removed\n", customers.size(), w.changed,
              w.removed);
  return 0;
}

std::uint64_t whole_number(const std::string& option, const std::string& text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size())
    throw segkit::error(option + " \"" + text + "\" is not a whole number");
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  std::string conninfo, mode = "fit";
  std::size_t k = 4;
  std::uint64_t seed = 1;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      const auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw segkit::error(arg + " needs a value");
        return argv[++i];
      };
      if (arg == "--db")
        conninfo = value();
      else if (arg == "--k")
        k = whole_number(arg, value());
      else if (arg == "--seed")
        seed = whole_number(arg, value());
      else if (arg == "fit" || arg == "assign")
        mode = arg;
      else
        throw segkit::error("unknown argument \"" + arg +
                            "\" (usage: segment_customers [--db CONNINFO] [--k K] [--seed N] [fit|assign])");
    }
    return run(conninfo, mode, k, seed);
  } catch (const std::exception& e) {
    // The transaction that was open is rolled back: the previous segments stay.
    std::fprintf(stderr, "segment_customers: error: %s\n", e.what());
    return 1;
  }
}
