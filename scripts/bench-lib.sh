# What the wrk benchmarks share (sourced by scripts/bench-load.sh and scripts/bench-replica.sh):
# the settings of a release server on a benchmark database, the month they read, and one
# measured URL as the cells of a table row.

# A benchmark server: no demo data of its own, the dev mailer for signing in, outboxes
# pointed at a closed port (nothing is delivered), a key that only signs benchmark sessions.
bench_env=(PORTAL_DEMO_DATA=false PORTAL_DEV_MAILER=true
  "PORTAL_SECRET_KEY=bench key, 32 bytes or more....." PORTAL_SEND_BUDGET=100000
  PORTAL_OPERATOR_PERMITS_URL=http://127.0.0.1:9/permits
  PORTAL_OPERATOR_POLICIES_URL=http://127.0.0.1:9/policies
  "PORTAL_OPERATOR_PERMITS_KEY=bench=benchmarks only and not a secret 32+")
# The demo owner, and October 2026: inside every benchmark database's fixed data (generated
# --until 2026-11-20), whatever today's date.
OWNER=${BENCH_EMAIL:-anna.lindberg@nordstrombygg.example}
MONTH='query%5Byear%5D=2026&query%5Bmonth%5D=10&query%5Bfrom%5D=&query%5Bto%5D=&query%5Bmember%5D=&query%5Bplate%5D=&query%5Bcost_center%5D=&query%5Bfacility%5D=&query%5Bkind%5D=&query%5Bpolicy%5D=&query%5Bsort%5D=&query%5Bsize%5D=&query%5Bafter%5D='

# wrk_cells URL [wrk args]: a 2 s warm-up, then ${secs}s with 2 threads and 32 connections;
# prints "req/s | p50 | p99 | non-2xx |" and leaves the rate in $dir/last-rps.
wrk_cells() {
  local url=$1; shift
  wrk -t2 -c32 -d2s "$@" "$url" >/dev/null
  local out; out=$(wrk -t2 -c32 -d"${secs}s" --latency "$@" "$url")
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  echo "${rps%.*} | $p50 | $p99 | ${non2xx:-0} |"
  echo "$rps" >"$dir/last-rps"
}
