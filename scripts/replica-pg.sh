#!/usr/bin/env bash
# A throwaway PostgreSQL primary and a streaming-replication hot standby made from it with
# `pg_basebackup -R`, for the read-replica tests (server/tests/it/replicas.rs) and
# `make bench-load-replica`. Their own ports and folder, never the shared server on 5432.
# Usage: start | stop | stop-standby | start-standby
#   REPLICA_PG_PORT (default 55436): the primary; the standby listens on the next port.
#   REPLICA_PG_DIR (default target/pg-replicas): primary/ and standby/ under it.
# `start` always begins from a fresh primary and a fresh copy of it.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${REPLICA_PG_PORT:-55436}
standby_port=$((port + 1))
dir=$(realpath -m "${REPLICA_PG_DIR:-target/pg-replicas}")
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "PostgreSQL binaries not found (apt-get install postgresql)" >&2; exit 1; }
as_pg() {
  # initdb and postgres refuse to run as root.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pg_ctl_() { as_pg "$bin/pg_ctl" "$@"; }
start_one() {  # start_one <data dir> <port> <log>
  pg_ctl_ -D "$1" -l "$3" -w -t 30 \
    -o "-p $2 -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c wal_level=replica -c hot_standby=on" start >/dev/null
}
stop_all() {
  for d in standby primary; do
    [ -f "$dir/$d/data/PG_VERSION" ] && pg_ctl_ -D "$dir/$d/data" -m immediate stop >/dev/null 2>&1 || true
  done
}
case "${1:-start}" in
  start)
    stop_all
    rm -rf "$dir"
    mkdir -p "$dir/primary" "$dir/standby"
    [ "$(id -u)" -eq 0 ] && chown -R postgres "$dir"
    as_pg "$bin/initdb" -D "$dir/primary/data" -A trust -U postgres >/dev/null
    start_one "$dir/primary/data" "$port" "$dir/primary/log"
    # -R writes standby.signal and primary_conninfo: the copy starts as a streaming standby.
    as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$port" -U postgres -D "$dir/standby/data" -R -X stream -c fast
    start_one "$dir/standby/data" "$standby_port" "$dir/standby/log"
    echo "primary postgres://postgres@127.0.0.1:$port/postgres, standby postgres://postgres@127.0.0.1:$standby_port/postgres"
    ;;
  stop) stop_all ;;
  # A crash of the standby (no shutdown checkpoint), as a failed machine would.
  stop-standby) pg_ctl_ -D "$dir/standby/data" -m immediate -w stop >/dev/null ;;
  start-standby) start_one "$dir/standby/data" "$standby_port" "$dir/standby/log" ;;
  *) echo "usage: $0 start|stop|stop-standby|start-standby" >&2; exit 2 ;;
esac
