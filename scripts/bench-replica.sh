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
OWNER=anna.lindberg@nordstrombygg.example
MONTH='query%5Byear%5D=2026&query%5Bmonth%5D=10&query%5Bfrom%5D=&query%5Bto%5D=&query%5Bmember%5D=&query%5Bplate%5D=&query%5Bcost_center%5D=&query%5Bfacility%5D=&query%5Bkind%5D=&query%5Bpolicy%5D=&query%5Bsort%5D=&query%5Bsize%5D=&query%5Bafter%5D='
bench_env=(PORTAL_DEMO_DATA=false PORTAL_DEV_MAILER=true
  "PORTAL_SECRET_KEY=bench key, 32 bytes or more....." PORTAL_SEND_BUDGET=100000
  PORTAL_OPERATOR_PERMITS_URL=http://127.0.0.1:9/permits
  PORTAL_OPERATOR_POLICIES_URL=http://127.0.0.1:9/policies
  "PORTAL_OPERATOR_PERMITS_KEY=bench=benchmarks only and not a secret 32+")

server=
stop() { [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true; server=; }
trap 'stop; scripts/replica-pg.sh stop' EXIT

scripts/replica-pg.sh start
psql -q postgres://postgres@127.0.0.1:55436/postgres -c 'CREATE DATABASE portal'
echo "== demo data: $sessions sessions on the primary"
start_s=$(date +%s)
env DATABASE_URL="$primary" "${bench_env[@]}" ./target/release/portal migrate >"$dir/server.log" 2>&1
env DATABASE_URL="$primary" "${bench_env[@]}" ./target/release/portal demo --seed 7 \
  --members 1000 --sessions "$sessions" >>"$dir/server.log" 2>&1
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
  wrk -t2 -c32 -d2s "$@" "http://127.0.0.1:$port/api/history?$MONTH" >/dev/null # warm-up
  local out; out=$(wrk -t2 -c32 -d"${secs}s" --latency "$@" "http://127.0.0.1:$port/api/history?$MONTH")
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  echo "| $label | ${rps%.*} | $p50 | $p99 | ${non2xx:-0} |"
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
