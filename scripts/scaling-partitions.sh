#!/usr/bin/env bash
# Monthly partitions of `sessions`, measured on a copy (docs/scaling.md): copies the sessions
# of the PostgreSQL benchmark database (`make bench-demo`) into a table partitioned by month of
# `started_at`, with the same indexes, and times the history's and the export's queries on
# both, planning and execution (EXPLAIN ANALYZE, median of 7 runs, warm cache). The copy is
# made in the benchmark database as `sessions_by_month` and dropped at the end; the portal's
# own tables are not touched. Usage: scripts/scaling-partitions.sh
set -euo pipefail
cd "$(dirname "$0")/.."
admin=${PG_TEST_URL:-postgres://postgres@127.0.0.1:5432/postgres}
db="${admin%/*}/portal_bench_demo"
psql "$db" -Atc "SELECT 1 FROM sessions LIMIT 1" >/dev/null 2>&1 || { echo "run make bench-demo first" >&2; exit 1; }
q() { psql "$db" -v ON_ERROR_STOP=1 -qAt "$@"; }

# The large company and its busiest member; October 2026 (the benchmark's last full month).
company=$(q -c "SELECT company_id FROM sessions GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
member=$(q -c "SELECT user_id FROM sessions WHERE company_id = '$company' AND user_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
from=$(q -c "SELECT extract(epoch FROM timestamptz '2026-10-01 00:00 Europe/Stockholm')::bigint")
to=$(q -c "SELECT extract(epoch FROM timestamptz '2026-11-01 00:00 Europe/Stockholm')::bigint")
year=$(q -c "SELECT extract(epoch FROM timestamptz '2026-01-01 00:00 Europe/Stockholm')::bigint")

echo "== copying sessions into sessions_by_month (one partition a month)"
q <<SQL
DROP TABLE IF EXISTS sessions_by_month;
CREATE TABLE sessions_by_month (LIKE sessions INCLUDING DEFAULTS) PARTITION BY RANGE (started_at);
DO \$\$
DECLARE m date := date '2025-01-01';
BEGIN
  WHILE m < date '2027-01-01' LOOP
    EXECUTE format('CREATE TABLE sessions_by_month_%s PARTITION OF sessions_by_month FOR VALUES FROM (%s) TO (%s)',
      to_char(m, 'YYYYMM'),
      extract(epoch FROM (m::timestamp AT TIME ZONE 'Europe/Stockholm'))::bigint,
      extract(epoch FROM ((m + interval '1 month')::timestamp AT TIME ZONE 'Europe/Stockholm'))::bigint);
    m := m + interval '1 month';
  END LOOP;
END \$\$;
CREATE TABLE sessions_by_month_rest PARTITION OF sessions_by_month DEFAULT;
INSERT INTO sessions_by_month SELECT * FROM sessions;
-- The same indexes as sessions (a unique key must include the partition key: the primary key
-- becomes (id, started_at), and (source, external_ref) unique only within a month).
ALTER TABLE sessions_by_month ADD PRIMARY KEY (id, started_at);
CREATE INDEX ON sessions_by_month (company_id, started_at, id);
CREATE INDEX ON sessions_by_month (company_id, user_id, started_at, id);
CREATE INDEX ON sessions_by_month (company_id, plate, started_at, id);
CREATE INDEX ON sessions_by_month (company_id, cost_center_id, started_at, id);
CREATE INDEX ON sessions_by_month (source, external_ref, started_at);
CREATE INDEX ON sessions_by_month (company_id, started_at) INCLUDE (kind, ended_at, energy_wh, amount_ore, vat_ore);
CREATE INDEX ON sessions_by_month (company_id, started_at, id) WHERE policy_flags <> 0;
CREATE INDEX ON sessions_by_month (company_id, started_at) WHERE ended_at IS NULL;
VACUUM (ANALYZE) sessions_by_month;
VACUUM (ANALYZE) sessions;
SQL

# name|SQL with TABLE for the table's name
queries=(
  "history page: a month, newest 50|SELECT s.id, s.plate, fa.name, s.started_at, s.amount_ore FROM TABLE s JOIN facilities fa ON fa.id = s.facility_id WHERE s.company_id = '$company' AND s.started_at >= $from AND s.started_at < $to ORDER BY s.started_at DESC, s.id DESC LIMIT 51"
  "history totals: a month, one member|SELECT count(*), sum(amount_ore) FROM TABLE WHERE company_id = '$company' AND user_id = '$member' AND started_at >= $from AND started_at < $to"
  "history totals: a year, one member|SELECT count(*), sum(amount_ore) FROM TABLE WHERE company_id = '$company' AND user_id = '$member' AND started_at >= $year AND started_at < $to"
  "export chunk: a month, 10,000 rows|SELECT s.id, s.user_id, s.plate, s.facility_id, s.kind, s.started_at, s.ended_at, s.energy_wh, s.amount_ore, s.vat_ore, s.cost_center_id, s.policy_flags FROM TABLE s WHERE s.company_id = '$company' AND s.started_at >= $from AND s.started_at < $to ORDER BY s.started_at DESC, s.id DESC LIMIT 10001"
  "export: a whole month, every row|SELECT count(*) FROM (SELECT s.id FROM TABLE s WHERE s.company_id = '$company' AND s.started_at >= $from AND s.started_at < $to ORDER BY s.started_at DESC, s.id DESC) x"
)
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo
echo "| Query | sessions: planning ms | execution ms | by month: planning ms | execution ms |"
echo "|---|---|---|---|---|"
for entry in "${queries[@]}"; do
  name=${entry%%|*}
  sql=${entry#*|}
  row="| $name"
  for table in sessions sessions_by_month; do
    plan=(); exec=()
    for _ in 1 2 3 4 5 6 7; do
      out=$(q -c "EXPLAIN (ANALYZE, BUFFERS) ${sql//TABLE/$table}")
      plan+=("$(sed -n 's/^Planning Time: \([0-9.]*\) ms/\1/p' <<<"$out")")
      exec+=("$(sed -n 's/^Execution Time: \([0-9.]*\) ms/\1/p' <<<"$out")")
    done
    row+=" | $(printf '%s\n' "${plan[@]}" | median) | $(printf '%s\n' "${exec[@]}" | median)"
  done
  echo "$row |"
done
echo
q -c "SELECT 'sessions: ' || pg_size_pretty(pg_total_relation_size('sessions')) || ', by month: ' || pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'sessions_by_month'::regclass"
q -c "DROP TABLE sessions_by_month"
