#!/usr/bin/env bash
# Server throughput under wrk, loopback only, bounded (BENCH_LOAD_SECONDS per URL, default
# 10 s; 2 threads, 32 connections; wrk shares the machine's cores with the server):
#   1. the release server on a fresh default demo database (SQLite): /healthz, the sign-in
#      page and /facilities in the same run, each page as a share of /healthz's rate;
#   2. /api/history for a month (October 2026), signed in as the demo owner, on the
#      benchmark-size databases `make bench-demo` made (5,000 members, 2,000,000 sessions),
#      SQLite and PostgreSQL, when they are there.
# Figures go to docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x target/release/portal ] || { echo "run make server first" >&2; exit 1; }
command -v wrk >/dev/null || scripts/install-tools.sh bench >/dev/null
secs=${BENCH_LOAD_SECONDS:-10}
admin=${PG_TEST_URL:-postgres://postgres@127.0.0.1:5432/postgres}
port=3480
dir=target/bench/load
mkdir -p "$dir"
source scripts/bench-lib.sh

server=
stop() { [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true; server=; }
trap stop EXIT
start() { # DATABASE_URL, then extra env
  local url=$1; shift
  # Migrating is a release step outside a local run (PostgreSQL here): done first, as a
  # deployment does.
  env DATABASE_URL="$url" PORTAL_LISTEN="127.0.0.1:$port" "$@" \
    ./target/release/portal migrate >>"$dir/server.log" 2>&1
  env DATABASE_URL="$url" PORTAL_LISTEN="127.0.0.1:$port" "$@" \
    ./target/release/portal serve >>"$dir/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 180); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && return; sleep 1; done
  echo "the server did not become ready (see $dir/server.log)" >&2; exit 1
}
# One URL: requests per second and latency percentiles, as a table row. $1 label, $2 path,
# then extra wrk arguments.
load() {
  local label=$1 path=$2; shift 2
  echo "| $label | \`$path\` | $(wrk_cells "http://127.0.0.1:$port$path" "$@")" |
    sed 's/`\/api\/history?.*`/`\/api\/history` (October 2026)/'
}

echo "== 1. pages against /healthz (release, SQLite, default demo data, ${secs} s each)"
rm -f "$dir/demo.db"*
# The default demo, but up to a fixed day (a local run's own demo goes up to today, and the
# history below asks for October 2026): the same data whatever the date of the run.
DATABASE_URL="sqlite:$dir/demo.db" ./target/release/portal demo --until 2026-11-20 >>"$dir/server.log" 2>&1
start "sqlite:$dir/demo.db"
echo "| What | Path | req/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|"
load health /healthz; health=$(cat "$dir/last-rps")
load "sign-in page" /sign-in; signin=$(cat "$dir/last-rps")
load "facilities page" /facilities; facilities=$(cat "$dir/last-rps")
awk -v h="$health" -v s="$signin" -v f="$facilities" \
  'BEGIN { printf "sign-in page %.1f %% of /healthz, /facilities %.1f %%\n", 100*s/h, 100*f/h }'
cookie=$(node end2end/dev-sign-in.js "http://127.0.0.1:$port" "$OWNER")
echo "| What | Path | req/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|"
load "history, a month (demo size)" "/api/history?$MONTH" -H "Cookie: $cookie"
stop

echo
echo "== 2. /api/history for a month at benchmark size (make bench-demo), ${secs} s each"
echo "| What | Path | req/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|"
for engine in sqlite postgres; do
  case $engine in
    sqlite) url="sqlite:target/bench/demo.db"; [ -f target/bench/demo.db ] || { echo "| SQLite: no target/bench/demo.db (make bench-demo) | | | | | |"; continue; } ;;
    postgres) url="${admin%/*}/portal_bench_demo"
      psql -q "$url" -c 'select 1' >/dev/null 2>&1 || { echo "| PostgreSQL: no portal_bench_demo (make bench-demo) | | | | | |"; continue; } ;;
  esac
  start "$url" "${bench_env[@]}"
  cookie=$(node end2end/dev-sign-in.js "http://127.0.0.1:$port" "$OWNER")
  load "history, a month, $engine" "/api/history?$MONTH" -H "Cookie: $cookie"
  stop
done
