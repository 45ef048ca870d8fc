#!/usr/bin/env bash
# The PostgreSQL backend example (segment_customers) against a real server that this script
# starts on a private port and data directory and stops at the end, whatever happens:
#   night 1  the orders of nine customers in ten; fit: the segments in the table are those
#            `segkit rfm` computes in-process from an export of the same orders; a second fit
#            changes nothing (same table, times included, one stored model)
#   night 2  the other customers' orders arrive; assign: every customer in version 1's
#            segments, as `segkit predict` with the stored model puts them; then two refits
#            that fail half-way (the write refused by a trigger; the program killed while it
#            writes) leave the table and the stored models as they were; then the refit,
#            aligned with version 1, equals `segkit rfm --align-to` on the same data.
#
#   test_with_server.sh SEGMENT_CUSTOMERS SEGKIT TRANSACTIONS.csv
#
# Needs Debian's postgresql (initdb, pg_ctl, psql). The server cannot run as root: when this
# script does (as CI does), the server runs as the postgres user the package creates.
set -euo pipefail
program=$1 tool=$2 log=$3
here=$(cd "$(dirname "$0")" && pwd)

bindir=$(pg_config --bindir 2>/dev/null || true)
[ -x "$bindir/initdb" ] || bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ ! -x "$bindir/initdb" ]; then
  echo "FAIL: no PostgreSQL server installed (apt-get install postgresql)" >&2
  exit 1
fi
as_server=()
if [ "$(id -u)" = 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "FAIL: running as root, and there is no postgres user to run the server as" >&2
    exit 1
  fi
  as_server=(runuser -u postgres --)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/segkit-postgres.XXXXXX")
chmod 711 "$work"  # the server's user reaches its own folder inside
server=$work/server
mkdir "$server"
[ ${#as_server[@]} = 0 ] || chown postgres: "$server"
pg_ctl() { "${as_server[@]}" "$bindir/pg_ctl" -D "$server/data" "$@"; }
cleanup() {
  pg_ctl status >/dev/null 2>&1 && pg_ctl -m immediate stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

"${as_server[@]}" "$bindir/initdb" -D "$server/data" -U segkit --auth=trust -E UTF8 --locale=C >"$work/initdb.log" 2>&1 ||
  { cat "$work/initdb.log"; fail "initdb"; }
# A free port: another server may hold the first one tried. The socket stays in the private
# folder; a client killed half-way is noticed within 0.2 s (client_connection_check_interval).
started=0
for _ in 1 2 3 4 5 6 7 8; do
  port=$((20000 + RANDOM % 30000))
  if pg_ctl -w -t 60 -l "$server/log" \
    -o "-p $port -k $server -c listen_addresses=127.0.0.1 -c client_connection_check_interval=200ms" \
    start >/dev/null 2>&1; then
    started=1
    break
  fi
done
[ $started = 1 ] || { cat "$server/log" >&2 || true; fail "the server did not start"; }
echo "server on 127.0.0.1:$port, data in $server/data"

db="host=127.0.0.1 port=$port user=segkit dbname=shop"
sql() { "$bindir/psql" "$db" -X -q -v ON_ERROR_STOP=1 "$@"; }
"$bindir/psql" "host=127.0.0.1 port=$port user=segkit dbname=postgres" -X -q -c "CREATE DATABASE shop"
sql -f "$here/schema.sql"
sql <<SQL
CREATE TABLE raw_log (customer_id text, trans_date text, tran_amount numeric);
\copy raw_log FROM '$log' CSV HEADER
INSERT INTO customers SELECT DISTINCT customer_id FROM raw_log;
INSERT INTO orders (customer_id, ordered_on, amount)
  SELECT customer_id, to_date(trans_date, 'DD-Mon-YY'), tran_amount FROM raw_log WHERE customer_id NOT LIKE '%7';
SQL

segments() { sql -A -t -F, -c "SELECT customer_id, segment FROM customer_segments ORDER BY customer_id COLLATE \"C\""; }
table_dump() { sql -A -t -F, -c "SELECT * FROM customer_segments ORDER BY customer_id COLLATE \"C\""; }
models() { sql -A -t -c "SELECT count(*) FROM segment_models"; }
export_orders() { sql -c "\\copy (SELECT customer_id, ordered_on, amount FROM orders ORDER BY order_id) TO '$1' CSV HEADER"; }
# customer,segment of a segkit rfm / predict output (customer first, segment last), in the same order.
tool_segments() { tail -n +2 "$1" | awk -F, '{ print $1 "," $NF }' | LC_ALL=C sort; }
same() {  # same FILE_A FILE_B WHAT
  if ! cmp -s "$1" "$2"; then
    diff "$1" "$2" | head -n 10 >&2
    fail "$3"
  fi
}

# --- night 1 ---
"$program" --db "$db" fit >"$work/fit1.out" || { cat "$work/fit1.out"; fail "the first fit"; }
cat "$work/fit1.out"
grep -q "model version 1 (new)" "$work/fit1.out" || fail "the first fit stored no model version 1"
segments >"$work/db1.csv"
[ "$(wc -l <"$work/db1.csv")" -gt 5000 ] || fail "customer_segments holds $(wc -l <"$work/db1.csv") customers"
export_orders "$work/night1.csv"
"$tool" rfm "$work/night1.csv" --customer customer_id --date ordered_on --amount amount --k 4 --seed 1 \
  --out "$work/tool1.csv" --quiet >/dev/null
tool_segments "$work/tool1.csv" >"$work/tool1.sorted"
same "$work/db1.csv" "$work/tool1.sorted" "the segments in the table differ from segkit rfm's on the same orders"
echo "night 1: $(wc -l <"$work/db1.csv") customers, the same segments as segkit rfm in-process"

table_dump >"$work/table1.csv"
"$program" --db "$db" fit >"$work/fit1b.out" || { cat "$work/fit1b.out"; fail "the second fit"; }
grep -q "model version 1 (unchanged)" "$work/fit1b.out" || { cat "$work/fit1b.out"; fail "the refit on the same data stored a new model"; }
table_dump >"$work/table1b.csv"
same "$work/table1.csv" "$work/table1b.csv" "a second fit on the same data changed the table"
[ "$(models)" = 1 ] || fail "$(models) stored models after two fits of the same data"
echo "night 1 again: the same table, times included"

# --- night 2: the other customers' orders arrive ---
sql -c "INSERT INTO orders (customer_id, ordered_on, amount)
          SELECT customer_id, to_date(trans_date, 'DD-Mon-YY'), tran_amount FROM raw_log WHERE customer_id LIKE '%7'"
"$program" --db "$db" assign >"$work/assign.out" || { cat "$work/assign.out"; fail "assign"; }
cat "$work/assign.out"
sql -A -t -c "SELECT model FROM segment_models WHERE version = 1" >"$work/v1.json"
export_orders "$work/night2.csv"
"$tool" predict --model "$work/v1.json" "$work/night2.csv" --out "$work/predict2.csv" --quiet >/dev/null
tool_segments "$work/predict2.csv" >"$work/predict2.sorted"
segments >"$work/db2.csv"
same "$work/db2.csv" "$work/predict2.sorted" "assign differs from segkit predict with the stored model"
[ "$(wc -l <"$work/db2.csv")" -gt "$(wc -l <"$work/db1.csv")" ] || fail "assign added no customer"
echo "night 2, assign: $(wc -l <"$work/db2.csv") customers in version 1's segments, as segkit predict puts them"
table_dump >"$work/table2.csv"

# A refit whose write fails half-way (a trigger refuses one customer's row).
sql <<'SQL'
CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.customer_id = (SELECT max(customer_id) FROM customers) THEN
    RAISE EXCEPTION 'the write fails at customer %', NEW.customer_id;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER refuse_one BEFORE INSERT OR UPDATE ON customer_segments FOR EACH ROW EXECUTE FUNCTION refuse_one();
SQL
if "$program" --db "$db" fit >"$work/fail.out" 2>"$work/fail.err"; then fail "the refit succeeded though its write failed"; fi
grep -q "the write fails at customer" "$work/fail.err" || { cat "$work/fail.err"; fail "the failed write was not reported"; }
table_dump >"$work/table2b.csv"
same "$work/table2.csv" "$work/table2b.csv" "a failed refit changed customer_segments"
[ "$(models)" = 1 ] || fail "a failed refit stored a model"
sql -c "DROP TRIGGER refuse_one ON customer_segments"
echo "a refit whose write failed: the table and the models as they were ($(head -c 120 "$work/fail.err"))"

# A refit killed while it writes (a trigger holds it on one customer's row).
sql <<'SQL'
CREATE FUNCTION hold_one() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.customer_id = (SELECT max(customer_id) FROM customers) THEN PERFORM pg_sleep(300); END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER hold_one BEFORE INSERT OR UPDATE ON customer_segments FOR EACH ROW EXECUTE FUNCTION hold_one();
SQL
"$program" --db "$db application_name=segkit_killed" fit >"$work/killed.out" 2>&1 &
pid=$!
held=0
for _ in $(seq 600); do
  if [ "$(sql -A -t -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'segkit_killed' AND wait_event = 'PgSleep'")" = 1 ]; then
    held=1
    break
  fi
  kill -0 $pid 2>/dev/null || break
  sleep 0.2
done
[ $held = 1 ] || { cat "$work/killed.out"; fail "the refit never reached its write"; }
kill -KILL $pid
wait $pid 2>/dev/null || true
gone=0
for _ in $(seq 300); do
  if [ "$(sql -A -t -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'segkit_killed'")" = 0 ]; then
    gone=1
    break
  fi
  sleep 0.2
done
[ $gone = 1 ] || fail "the server kept the killed refit's session"
table_dump >"$work/table2c.csv"
same "$work/table2.csv" "$work/table2c.csv" "a refit killed half-way changed customer_segments"
[ "$(models)" = 1 ] || fail "a killed refit stored a model"
sql -c "DROP TRIGGER hold_one ON customer_segments"
echo "a refit killed while writing: the table and the models as they were"

# The refit of night 2, aligned with version 1.
"$program" --db "$db" fit >"$work/fit2.out" || { cat "$work/fit2.out"; fail "the refit of night 2"; }
cat "$work/fit2.out"
grep -q "model version 2 (new)" "$work/fit2.out" || fail "the refit stored no model version 2"
grep -q "since model version 1:" "$work/fit2.out" || fail "the refit says nothing of version 1"
read -r both stayed < <(sed -n 's/^  \([0-9]*\) customers segmented before and now, \([0-9]*\) of them kept their segment$/\1 \2/p' "$work/fit2.out")
[ "${both:-0}" -gt 0 ] && [ $((stayed * 10)) -ge $((both * 9)) ] ||
  fail "only ${stayed:-?} of ${both:-?} customers kept their segment id across the aligned refit"
"$tool" rfm "$work/night2.csv" --customer customer_id --date ordered_on --amount amount --k 4 --seed 1 \
  --align-to "$work/v1.json" --out "$work/tool2.csv" --quiet >/dev/null
tool_segments "$work/tool2.csv" >"$work/tool2.sorted"
segments >"$work/db3.csv"
same "$work/db3.csv" "$work/tool2.sorted" "the aligned refit differs from segkit rfm --align-to on the same orders"
echo "night 2, refit: the same segments as segkit rfm --align-to in-process; $stayed of $both customers kept their id"

# --- the server stops, and nothing of it is left running ---
pg_ctl -m fast stop >/dev/null
if pg_ctl status >/dev/null 2>&1; then fail "the server still runs"; fi
if pgrep -f "$server/data" >/dev/null; then fail "a server process is left"; fi
echo "PASS: the server stopped"
