#!/usr/bin/env bash
# The deployment rehearsal (issue 30), all on loopback, every process started and stopped here:
#   - a throwaway CA (openssl) and certificates for PostgreSQL, PgBouncer and HAProxy;
#   - a throwaway PostgreSQL 15 cluster with TLS required (port 55434, target/deploy/pg; never
#     the shared server on 5432), and PgBouncer 1.18 in session mode in front of it (6434),
#     TLS on both sides;
#   - the release directory (`make dist`: target/dist/portal) copied into an empty folder and
#     run as a non-root user from another working directory, configured only by environment;
#   - HAProxy 2.6 terminating TLS on 127.0.0.1:8443 (http on 8080 redirects), health checks on
#     /readyz, in front of three instances; Prometheus 2.42 scraping their metrics.
# Then end2end/deploy/rehearsal.js runs the checks, one PASS/FAIL line each, and prints what it
# measured (target/deploy/report.json).
#   DEPLOY_SLICE=short  the bounded slice `make test` runs (no kill -9 lease wait, shorter load)
#   DEPLOY_RELEASE=dir  the release directory (default target/dist/portal)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
slice=${DEPLOY_SLICE:-full}
release=$(realpath -m "${DEPLOY_RELEASE:-target/dist/portal}")
dir=$(realpath -m target/deploy)
pg_port=55434
bouncer_port=6434
runner=portal-rehearsal   # the non-root user the instances run as

fail() { echo "test-deploy: $*" >&2; exit 1; }
[ -x "$release/bin/portal" ] || fail "$release/bin/portal is missing (make dist)"
for tool in haproxy pgbouncer openssl psql prometheus certutil; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/install-tools.sh deploy)"
done
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$pgbin" ] || fail "PostgreSQL binaries not found (scripts/install-tools.sh deploy)"
for p in $pg_port $bouncer_port 6435 8443 8080 8404 3711 3712 3713 3714 3715 3716 9490 9711 9712 9713 1027; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then fail "port $p on 127.0.0.1 is taken"; fi
done

# Who runs what: PostgreSQL and PgBouncer refuse root; the instances must show that the
# release runs as an ordinary user. When this script is not root, it is that user itself.
if [ "$(id -u)" -eq 0 ]; then
  id "$runner" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$runner"
  as_pg() { runuser -u postgres -- "$@"; }
  as_runner_prefix=(runuser -u "$runner" --)
else
  as_pg() { "$@"; }
  as_runner_prefix=()
  runner=$(id -un)
fi

stop_all() {
  set +e
  [ -f "$dir/haproxy/haproxy.pid" ] && kill "$(cat "$dir/haproxy/haproxy.pid")" 2>/dev/null
  [ -f "$dir/prom/prometheus.pid" ] && kill "$(cat "$dir/prom/prometheus.pid")" 2>/dev/null
  for pid in "$dir"/bouncer/*.pid; do [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null; done
  [ -f "$dir/pg/data/postmaster.pid" ] && as_pg "$pgbin/pg_ctl" -D "$dir/pg/data" -m fast -w stop >/dev/null 2>&1
  pkill -f "$dir/install/" 2>/dev/null
  true
}
stop_all 2>/dev/null || true
rm -rf "$dir"
mkdir -p "$dir"/{ca,pg,bouncer,haproxy,install,work}
trap stop_all EXIT
t0=$(date +%s)

# --- certificates -------------------------------------------------------------------------
ca="$dir/ca"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=Portal rehearsal CA" -keyout "$ca/ca.key" -out "$ca/ca.crt" 2>/dev/null
# A second CA that signed nothing here: verify-full against it must fail.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=Some other CA" -keyout "$ca/other.key" -out "$ca/other.crt" 2>/dev/null
leaf() { # name
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
    -keyout "$ca/$1.key" -out "$ca/$1.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$ca/$1.ext"
  openssl x509 -req -in "$ca/$1.csr" -CA "$ca/ca.crt" -CAkey "$ca/ca.key" -CAcreateserial \
    -days 2 -extfile "$ca/$1.ext" -out "$ca/$1.crt" 2>/dev/null
}
leaf postgres; leaf bouncer; leaf haproxy
cat "$ca/haproxy.crt" "$ca/haproxy.key" >"$ca/haproxy.pem"
chmod 0755 "$dir" "$ca"; chmod 0644 "$ca"/*.crt
if [ "$(id -u)" -eq 0 ]; then chown postgres "$ca/postgres.key" "$ca/bouncer.key"; fi
chmod 0600 "$ca"/*.key

# --- PostgreSQL with TLS required -----------------------------------------------------------
[ "$(id -u)" -eq 0 ] && chown postgres "$dir/pg" "$dir/bouncer"
as_pg "$pgbin/initdb" -D "$dir/pg/data" -A trust -U postgres >/dev/null
cat >"$dir/pg/data/pg_hba.conf" <<EOF
local     all all                trust
hostssl   all all 127.0.0.1/32   trust
hostnossl all all 127.0.0.1/32   reject
EOF
as_pg "$pgbin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/log" -w -o "-p $pg_port -k /tmp \
  -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 -c ssl=on \
  -c ssl_cert_file=$ca/postgres.crt -c ssl_key_file=$ca/postgres.key" start >/dev/null
export PGSSLROOTCERT="$ca/ca.crt"
admin="postgres://postgres@localhost:$pg_port/postgres?sslmode=verify-full&sslrootcert=$ca/ca.crt"
psql "$admin" -qc "CREATE DATABASE portal" >/dev/null

# --- PgBouncer, session mode, TLS to the clients and to PostgreSQL --------------------------
bouncer_conf() { # pool mode, port, name
  cat >"$dir/bouncer/$3.ini" <<EOF
[databases]
portal = host=localhost port=$pg_port dbname=portal
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $2
unix_socket_dir =
auth_type = trust
auth_file = $dir/bouncer/users.txt
pool_mode = $1
max_client_conn = 400
default_pool_size = 60
server_tls_sslmode = verify-full
server_tls_ca_file = $ca/ca.crt
client_tls_sslmode = require
client_tls_key_file = $ca/bouncer.key
client_tls_cert_file = $ca/bouncer.crt
logfile = $dir/bouncer/$3.log
pidfile = $dir/bouncer/$3.pid
EOF
}
echo '"postgres" ""' >"$dir/bouncer/users.txt"
bouncer_conf session "$bouncer_port" pgbouncer
# The transaction-mode pooler, for the measurement of what breaks there.
bouncer_conf transaction 6435 txn
[ "$(id -u)" -eq 0 ] && chown -R postgres "$dir/bouncer"
as_pg pgbouncer -d "$dir/bouncer/pgbouncer.ini"
as_pg pgbouncer -d "$dir/bouncer/txn.ini"

# --- the release, installed as an operator would ------------------------------------------
# Copied into an empty folder; run from another working directory by a non-root user.
cp -r "$release" "$dir/install/portal"
cp -r "$release" "$dir/install/portal-next"   # the "new" release of the rolling upgrade
chmod -R a+rX "$dir/install"
[ "$(id -u)" -eq 0 ] && chown "$runner" "$dir/work"

# --- HAProxy -----------------------------------------------------------------------------
cat >"$dir/haproxy/haproxy.cfg" <<EOF
global
  pidfile $dir/haproxy/haproxy.pid
  log stderr format short local0 notice
defaults
  mode http
  log global
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  timeout http-keep-alive 2s
  # A connection the instance closed as it stopped: try another (GETs and refused connects).
  retries 2
  option redispatch
  retry-on conn-failure empty-response
frontend plain
  bind 127.0.0.1:8080
  http-request redirect scheme https code 301
frontend tls
  bind 127.0.0.1:8443 ssl crt $ca/haproxy.pem
  option forwardfor
  http-request set-header X-Forwarded-Proto https
  default_backend portal
backend portal
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 500ms fall 2 rise 2
  server a 127.0.0.1:3711 check
  server b 127.0.0.1:3712 check
  server c 127.0.0.1:3713 check
frontend stats
  bind 127.0.0.1:8404
  stats enable
  stats uri /stats
EOF
haproxy -c -q -f "$dir/haproxy/haproxy.cfg" || fail "haproxy.cfg does not check"
haproxy -D -f "$dir/haproxy/haproxy.cfg" 2>"$dir/haproxy/haproxy.log"

# --- Prometheus (Debian's 2.42) scraping the three instances' metrics listeners -------------
mkdir -p "$dir/prom"
cat >"$dir/prom/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: portal
    static_configs:
      - targets: ["127.0.0.1:9711", "127.0.0.1:9712", "127.0.0.1:9713"]
EOF
prometheus --config.file="$dir/prom/prometheus.yml" --storage.tsdb.path="$dir/prom/data" \
  --web.listen-address=127.0.0.1:9490 >"$dir/prom/prometheus.log" 2>&1 &
echo $! >"$dir/prom/prometheus.pid"

echo "infrastructure up after $(( $(date +%s) - t0 )) s"

# --- the checks -----------------------------------------------------------------------------
export DEPLOY_DIR="$dir" DEPLOY_SLICE="$slice" DEPLOY_CA="$ca" DEPLOY_PG_PORT="$pg_port" \
  DEPLOY_BOUNCER_PORT="$bouncer_port" DEPLOY_RUNNER="$runner" DEPLOY_PGBIN="$pgbin"
export DEPLOY_AS_RUNNER="${as_runner_prefix[*]}"
export NODE_EXTRA_CA_CERTS="$ca/ca.crt"
# The unit file is checked, not run (PID 1 here is not systemd).
if command -v systemd-analyze >/dev/null; then
  systemd-analyze security --offline=true "$release/deploy/portal.service" 2>/dev/null \
    | grep "Overall exposure" >"$dir/unit-security.txt" || true
fi
node --test --test-concurrency=1 --test-reporter=spec end2end/deploy/
