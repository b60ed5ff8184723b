#!/usr/bin/env bash
# Two portal instances watched by Debian's Prometheus, as an operator would (issue 29):
# instance A and B on one SQLite database (demo data), each with PORTAL_METRICS_LISTEN, a
# Prometheus scraping both every 2 s with deploy/prometheus/alerts.yml loaded, a minute of
# load (WATCH_SECONDS) from wrk on loopback, then the figures an operator looks at first, read
# back through Prometheus's HTTP API: request rate per instance, answers by status class,
# p95 per route, each outbox's depth and the alerts firing.
# Usage: make watch (after make server). Everything listens on 127.0.0.1 and stops at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${PORTAL_BIN:-target/release/portal}
[ -x "$bin" ] || { echo "run make server first" >&2; exit 1; }
command -v prometheus >/dev/null || { echo "prometheus missing: scripts/install-tools.sh test" >&2; exit 1; }
command -v wrk >/dev/null || scripts/install-tools.sh bench >/dev/null
secs=${WATCH_SECONDS:-60}
dir=target/watch
rm -rf "$dir" && mkdir -p "$dir/prom"
prom=127.0.0.1:9490

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
ready() { # url
  for _ in $(seq 1 180); do curl -sf "$1" >/dev/null && return; sleep 1; done
  echo "$1 did not answer (logs in $dir/)" >&2; exit 1
}
instance() { # name, port, metrics port
  env DATABASE_URL="sqlite:$dir/portal.db" PORTAL_LISTEN="127.0.0.1:$2" \
    PORTAL_METRICS_LISTEN="127.0.0.1:$3" PORTAL_LOG_FORMAT=json \
    "$bin" serve >"$dir/$1.log" 2>&1 &
  pids+=($!)
  ready "http://127.0.0.1:$2/readyz"
}

echo "== two instances (A: 3491, B: 3492; metrics on 9491, 9492)"
instance a 3491 9491 # A fills the empty database with demo data first
instance b 3492 9492

cp deploy/prometheus/alerts.yml "$dir/prom/alerts.yml"
cat >"$dir/prom/prometheus.yml" <<EOF
global:
  scrape_interval: 2s
  evaluation_interval: 2s
rule_files: [alerts.yml]
scrape_configs:
  - job_name: portal
    static_configs:
      - targets: ["127.0.0.1:9491", "127.0.0.1:9492"]
EOF
prometheus --config.file="$dir/prom/prometheus.yml" --storage.tsdb.path="$dir/prom/data" \
  --web.listen-address="$prom" >"$dir/prometheus.log" 2>&1 &
pids+=($!)
ready "http://$prom/-/ready"

echo "== ${secs} s of load: the sign-in page on A, /healthz on B, an unknown path on both"
wrk -t1 -c8 -d"${secs}s" http://127.0.0.1:3491/sign-in >/dev/null &
w1=$!
wrk -t1 -c8 -d"${secs}s" http://127.0.0.1:3492/healthz >/dev/null &
w2=$!
for _ in $(seq 1 "$secs"); do
  curl -s -o /dev/null http://127.0.0.1:3491/no-such-page
  curl -s -o /dev/null http://127.0.0.1:3492/no-such-page
  sleep 1
done
wait "$w1" "$w2"
sleep 5 # one more scrape and rule evaluation

query() { # PromQL -> JSON
  curl -sf --get "http://$prom/api/v1/query" --data-urlencode "query=$1"
}
show() { # title, PromQL, label to show
  echo
  echo "### $1"
  echo "\`$2\`"
  query "$2" | python3 -c '
import json, sys
label = sys.argv[1]
rows = json.load(sys.stdin)["data"]["result"]
if not rows:
    print("(none)")
rows = [r for r in rows if r["value"][1] != "NaN"]  # a route with no request in the minute
for r in sorted(rows, key=lambda r: r["metric"].get(label, "")):
    name = r["metric"].get(label, "-")
    print("  %-40s %12.3f" % (name, float(r["value"][1])))
' "$3"
}
show "Requests per second, per instance" \
  'sum by (instance) (rate(portal_http_requests_total[1m]))' instance
show "Answers per second, by status class" \
  'sum by (status) (rate(portal_http_requests_total[1m]))' status
show "Share of 5xx (the PortalServerErrors alert fires over 0.02)" \
  '(sum(rate(portal_http_requests_total{status="5xx"}[1m])) or vector(0)) / sum(rate(portal_http_requests_total[1m]))' instance
show "p95 seconds per route" \
  'histogram_quantile(0.95, sum by (le, route) (rate(portal_http_request_duration_seconds_bucket[1m])))' route
show "Outbox depth (the same on both instances: max)" \
  'max by (outbox) (portal_outbox_depth)' outbox
show "Alerts firing" 'ALERTS{alertstate="firing"}' alertname
echo
echo "(Prometheus data, configuration and every log: $dir/)"
