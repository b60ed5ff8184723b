#!/usr/bin/env bash
# Times the demo generator at benchmark size (5,000 members, 2,000,000 sessions in the large
# company) on SQLite and on PostgreSQL, with the release build. Figures go to
# docs/benchmarks.md. Usage: scripts/bench-demo.sh [members] [sessions]; PORTAL_BIN names
# another binary (an older build, to compare); BENCH_ENGINES="sqlite" or "postgres" runs one.
set -euo pipefail
cd "$(dirname "$0")/.."
members=${1:-5000}
sessions=${2:-2000000}
bin=${PORTAL_BIN:-target/release/portal}
[ -x "$bin" ] || cargo build --release -p server
dir=target/bench
mkdir -p "$dir"
admin=${PG_TEST_URL:-postgres://postgres@127.0.0.1:5432/postgres}
pg_base=${admin%/*}
args=(demo --seed 2026 --members "$members" --sessions "$sessions" --until 2026-11-20)
export PORTAL_DEMO_DATA=false
# PostgreSQL requires a shared key; this one only ever signs the benchmark's own sessions.
export PORTAL_SECRET_KEY=${PORTAL_SECRET_KEY:-benchmark-only key, not a secret, 32+ chars}

engines=${BENCH_ENGINES:-sqlite postgres}

if [[ " $engines " == *" sqlite "* ]]; then
  echo "== SQLite"
  rm -f "$dir"/demo.db*
  DATABASE_URL="sqlite:$dir/demo.db" /usr/bin/time -f "wall %e s, cpu user %U s sys %S s, peak RSS %M KB" "$bin" "${args[@]}" >"$dir/sqlite.out"
  head -1 "$dir/sqlite.out"
  ls -la "$dir/demo.db" | awk '{printf "database file: %.0f MB\n", $5/1048576}'
fi

if [[ " $engines " == *" postgres "* ]]; then
  echo "== PostgreSQL"
  psql "$admin" -qc "DROP DATABASE IF EXISTS portal_bench_demo WITH (FORCE)" -c "CREATE DATABASE portal_bench_demo"
  DATABASE_URL="$pg_base/portal_bench_demo" "$bin" migrate >/dev/null
  DATABASE_URL="$pg_base/portal_bench_demo" /usr/bin/time -f "wall %e s, cpu user %U s sys %S s, peak RSS %M KB" "$bin" "${args[@]}" >"$dir/pg.out"
  head -1 "$dir/pg.out"
  # What autovacuum would have done by the time anyone reads it (it is off on these machines):
  # fresh planner statistics, and the visibility map the history's index-only scans need.
  # Timed apart from the load; `make bench-load` and `make bench-export` read this database.
  /usr/bin/time -f "VACUUM (ANALYZE): wall %e s" psql "$pg_base/portal_bench_demo" -qc "VACUUM (ANALYZE)"
  psql "$pg_base/portal_bench_demo" -Atc "SELECT 'database size: ' || pg_size_pretty(pg_database_size(current_database()))"
fi
