#!/usr/bin/env bash
# /api/history under wrk with one primary and one streaming replica against the primary alone
# (issue 32, docs/benchmarks.md "Read replicas"). Loopback only, bounded: BENCH_LOAD_SECONDS
# per run (default 10 s; 2 threads, 32 connections).
#   1. a throwaway primary and a `pg_basebackup -R` standby (scripts/replica-pg.sh, ports
#      55436/55437, never the shared server on 5432);
#   2. demo data on the primary (BENCH_REPLICA_SESSIONS, default 200,000 sessions, 1,000
#      members), analysed, replayed by the standby;
#   3. the release server on the primary alone, then with DATABASE_READ_URLS naming the
#      standby; /api/history for a month (October 2026) signed in as the demo owner.
# Both databases run on this machine's two cores with the server and wrk: the figure says
# what a replica costs and takes off the primary here, not what a second machine adds.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x target/release/portal ] || { echo "run make server first" >&2; exit 1; }
command -v wrk >/dev/null || scripts/install-tools.sh bench >/dev/null
secs=${BENCH_LOAD_SECONDS:-10}
sessions=${BENCH_REPLICA_SESSIONS:-200000}
port=3481
dir=target/bench/replica
mkdir -p "$dir"
primary=postgres://postgres@127.0.0.1:55436/portal
standby=postgres://postgres@127.0.0.1:55437/portal
source scripts/bench-lib.sh

server=
stop() { [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true; server=; }
trap 'stop; scripts/replica-pg.sh stop' EXIT

scripts/replica-pg.sh start
psql -q postgres://postgres@127.0.0.1:55436/postgres -c 'CREATE DATABASE portal'
echo "== demo data: $sessions sessions on the primary"
start_s=$(date +%s)
env DATABASE_URL="$primary" "${bench_env[@]}" ./target/release/portal migrate >"$dir/server.log" 2>&1
env DATABASE_URL="$primary" "${bench_env[@]}" ./target/release/portal demo --seed 7 \
  --members 1000 --sessions "$sessions" --until 2026-11-20 >>"$dir/server.log" 2>&1
psql -q "$primary" -c 'VACUUM (ANALYZE)'
# The standby has replayed everything the primary wrote.
lsn=$(psql -Atq "$primary" -c 'select pg_current_wal_lsn()')
for _ in $(seq 1 600); do
  [ "$(psql -Atq "$standby" -c "select pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && break; sleep 0.5
done
echo "loaded and replayed in $(( $(date +%s) - start_s )) s"

start() { # extra env
  env DATABASE_URL="$primary" PORTAL_LISTEN="127.0.0.1:$port" "${bench_env[@]}" "$@" \
    ./target/release/portal serve >>"$dir/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && return; sleep 1; done
  echo "the server did not become ready (see $dir/server.log)" >&2; exit 1
}
load() { # label, extra wrk args
  local label=$1; shift
  echo "| $label | $(wrk_cells "http://127.0.0.1:$port/api/history?$MONTH" "$@")"
}
# Where the reads went: the statements each server ran, from pg_stat_database.
xacts() { psql -Atq "$1" -c "select xact_commit from pg_stat_database where datname = 'portal'"; }

echo "| /api/history, a month ($sessions sessions) | req/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|"
start
cookie=$(node end2end/dev-sign-in.js "http://127.0.0.1:$port" "$OWNER")
load "primary alone" -H "Cookie: $cookie"
stop
# The same session (it is in the database): a second code for the same address within the
# minute would be refused by the sign-in limits.
start DATABASE_READ_URLS="$standby"
p0=$(xacts "$primary"); s0=$(xacts "$standby")
load "primary + 1 replica" -H "Cookie: $cookie"
p1=$(xacts "$primary"); s1=$(xacts "$standby")
stop
echo "transactions during the replica run: primary $((p1 - p0)), replica $((s1 - s0))"
