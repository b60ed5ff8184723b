#!/usr/bin/env bash
# Starts, stops or restarts a throwaway PostgreSQL cluster on 127.0.0.1 with trust auth, for
# machines that have no PostgreSQL server running (scripts/test.sh) and for the fault tests,
# which must own the server they restart (scripts/test-faults.sh; never the shared one on
# 5432). Usage: start | stop | crash | restart | status
#   PG_PORT (default 55432) and PG_DIR (default target/pg) choose the cluster.
#   stop: a clean, fast shutdown; crash: `-m immediate` (no checkpoint: the next start runs
#   crash recovery); restart: stop and start.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PG_PORT:-55432}
dir=$(realpath -m "${PG_DIR:-target/pg}")
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "PostgreSQL binaries not found (apt-get install postgresql)" >&2; exit 1; }
as_pg() {
  # initdb and postgres refuse to run as root.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
start() {
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown -R postgres "$dir"
  [ -f "$dir/data/PG_VERSION" ] || as_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
}
case "${1:-start}" in
  start) start ;;
  stop) as_pg "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true ;;
  restart)
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    start
    ;;
  crash) as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null ;;
  status) as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null ;;
  *) echo "usage: $0 start|stop|restart|crash|status" >&2; exit 2 ;;
esac
