#!/usr/bin/env bash
# CSV export of about 1,000,000 rows in headless Chromium, end to end (fetch + build + Blob),
# on the databases `make bench-demo` made (SQLite and PostgreSQL), with papaparse's unparse
# on the same rows in the same page. Prints rows/s, the CSV-building time against papaparse,
# the longest main-thread task and the peak JS heap. Figures go to docs/benchmarks.md.
#   scripts/bench-export.sh [from] [to]     (default 2026-05-01 .. 2026-11-20, ~1 M rows)
# BENCH_ENGINES="sqlite" or "postgres" runs the browser half on one.
set -euo pipefail
cd "$(dirname "$0")/.."
from=${1:-2026-05-01}
to=${2:-2026-11-20}
[ -f target/bench/demo.db ] || { echo "run make bench-demo first" >&2; exit 1; }
[ -x target/release/portal ] || { echo "run make server first" >&2; exit 1; }
admin=${PG_TEST_URL:-postgres://postgres@127.0.0.1:5432/postgres}
echo "== the server's side alone (row query, whole chunks, through the router)"
BENCH_FROM=$from BENCH_TO=$to BENCH_PG_URL="${admin%/*}/portal_bench_demo" \
  cargo bench -q -p server --bench portal -- export-server 2>&1 | grep '^|'
port=3450
for engine in ${BENCH_ENGINES:-sqlite postgres}; do
  case $engine in
    sqlite) url="sqlite:target/bench/demo.db" ;;
    postgres) url="${admin%/*}/portal_bench_demo" ;;
  esac
  DATABASE_URL="$url" PORTAL_SECRET_KEY="bench key, 32 bytes or more....." ./target/release/portal migrate >/dev/null
  DATABASE_URL="$url" PORTAL_LISTEN="127.0.0.1:$port" PORTAL_DEMO_DATA=false PORTAL_DEV_MAILER=true \
    PORTAL_SECRET_KEY="bench key, 32 bytes or more....." PORTAL_SEND_BUDGET=100000 \
    PORTAL_OPERATOR_PERMITS_URL=http://127.0.0.1:9/permits \
    PORTAL_OPERATOR_POLICIES_URL=http://127.0.0.1:9/policies \
    PORTAL_OPERATOR_PERMITS_KEY="bench=benchmarks only and not a secret 32+" \
    ./target/release/portal serve >"target/bench/export-$engine.log" 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 1; done
  node end2end/bench-export.js "http://127.0.0.1:$port" "$engine" "$from" "$to"
  kill $server; wait $server 2>/dev/null || true
done
