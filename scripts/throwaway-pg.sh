#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL cluster under target/pg on 127.0.0.1:55432 with
# trust auth, for machines that have no PostgreSQL server running. Usage: start | stop
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$PWD/target/pg"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "PostgreSQL binaries not found (apt-get install postgresql)" >&2; exit 1; }
as_pg() {
  # initdb and postgres refuse to run as root.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "${1:-start}" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown -R postgres "$dir"
    [ -f "$dir/data/PG_VERSION" ] || as_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
      -o "-p 55432 -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    ;;
  stop)
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
    ;;
esac
