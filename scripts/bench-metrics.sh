#!/usr/bin/env bash
# What the metrics and request ids cost (issue 29): wrk on /healthz and the sign-in page
# against the release server, with PORTAL_METRICS_LISTEN unset and set (the recorder counting
# every request), alternately, ROUNDS times, BENCH_LOAD_SECONDS each (default 3 rounds × 10 s).
# BEFORE=<a portal binary built before issue 29> adds it as a third column, run the same way.
# Loopback only; 2 threads, 32 connections; wrk shares the machine's cores with the server.
# Figures go to docs/benchmarks.md ("Metrics overhead").
set -euo pipefail
cd "$(dirname "$0")/.."
after=${AFTER:-target/release/portal}
[ -x "$after" ] || { echo "run make server first" >&2; exit 1; }
command -v wrk >/dev/null || scripts/install-tools.sh bench >/dev/null
secs=${BENCH_LOAD_SECONDS:-10}
rounds=${ROUNDS:-3}
port=3481
dir=target/bench/metrics
mkdir -p "$dir"

server=
stop() { [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true; server=; }
trap stop EXIT
start() { # binary, then extra env
  local bin=$1; shift
  rm -f "$dir"/demo.db*
  env DATABASE_URL="sqlite:$dir/demo.db" PORTAL_LISTEN="127.0.0.1:$port" "$@" \
    "$bin" serve >>"$dir/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 180); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && return; sleep 1; done
  echo "the server did not become ready (see $dir/server.log)" >&2; exit 1
}
rps() { # path
  wrk -t2 -c32 -d2s "http://127.0.0.1:$port$1" >/dev/null # warm-up
  wrk -t2 -c32 -d"${secs}s" "http://127.0.0.1:$port$1" | awk '/^Requests\/sec/ {printf "%d", $2}'
}

echo "| round | binary | metrics | /healthz req/s | /sign-in req/s |"
echo "|---|---|---|---|---|"
for round in $(seq 1 "$rounds"); do
  runs=("after|off|" "after|on|PORTAL_METRICS_LISTEN=127.0.0.1:9481")
  [ -n "${BEFORE:-}" ] && runs=("before|(none)|" "${runs[@]}")
  for run in "${runs[@]}"; do
    IFS='|' read -r which metrics env <<<"$run"
    bin=$after; [ "$which" = before ] && bin=$BEFORE
    if [ -n "$env" ]; then start "$bin" "$env"; else start "$bin"; fi
    h=$(rps /healthz); s=$(rps /sign-in)
    if [ -n "$env" ]; then
      # The counters really moved: the scrape shows the sign-in page's requests.
      curl -sf "http://127.0.0.1:9481/metrics" | grep -q 'portal_http_requests_total{route="/sign-in"' ||
        { echo "the metrics did not count the load" >&2; exit 1; }
    fi
    stop
    echo "| $round | $which | $metrics | $h | $s |"
  done
done
