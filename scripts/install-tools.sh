#!/usr/bin/env bash
# Installs every tool the build and the tests need, skipping what is already there at the
# right version, so a second run costs nothing. Versions and the reasons for them are in
# ../shared/toolchain.md. Usage: scripts/install-tools.sh [build|test]
#   build: wasm target, wasm-bindgen CLI, Trunk, npm's binaryen (what `make run` needs)
#   deploy: the deployment rehearsal's HAProxy, PgBouncer, wrk (also part of test)
#   test:  build + Chromium, Firefox ESR, WebKitGTK's WebDriver + Xvfb, the Node test
#          dependencies (+ PostgreSQL binaries if no server)
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-build}
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

apt_updated=
apt_install() {
  # Debian packages, installed only when missing.
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "apt-get install ${missing[*]}"
  local sudo=; [ "$(id -u)" -ne 0 ] && sudo=sudo
  if [ -z "$apt_updated" ]; then $sudo apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# --- Rust side -----------------------------------------------------------------------------
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
wb_version=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ]; then
  say "cargo install wasm-bindgen-cli $wb_version"
  # Without --locked: its own lock file wants a webpki-roots the registry lacks.
  CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback \
    cargo install wasm-bindgen-cli --version "$wb_version" --force
fi

# Trunk 0.21.14: every 0.22.x needs a newer rustc than this machine has.
if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "0.21.14" ]; then
  say "cargo install trunk 0.21.14 (takes ~8 minutes once)"
  cargo install trunk --version 0.21.14 --locked --force
fi

# --- Node side: wasm-opt from npm's binaryen (never Debian's), Playwright, maildev,
# puppeteer-core and selenium-webdriver (no browser or driver downloads: both are only
# clients of the browsers above) ---------------------------------------------------------
if ! command -v npm >/dev/null; then apt_install nodejs npm; fi
if [ ! -x node_modules/.bin/wasm-opt ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ "$what" = test ]; then
  # The Rust tests run under cargo-nextest (one process per test, timeouts: .config/nextest.toml).
  if ! cargo nextest --version >/dev/null 2>&1; then
    say "cargo install cargo-nextest (takes a few minutes once)"
    cargo install cargo-nextest --locked
  fi
  apt_install chromium fonts-dejavu-core
  # libfaketime: the browser suite at the calendar's hard moments (scripts/test-calendar.sh).
  apt_install faketime
  # Debian's Prometheus 2.42: promtool checks and unit-tests the alert rules
  # (deploy/prometheus/); its service is not started (nothing here runs systemd).
  apt_install prometheus
  # The main flows in the other engines (scripts/test-engines.sh), Debian's builds only
  # (Playwright's patched Firefox and WebKit are never downloaded): Firefox ESR, driven by
  # npm's puppeteer-core over WebDriver BiDi; WebKitGTK's WebDriver server, which pulls in
  # libwebkit2gtk-4.1-0 and its MiniBrowser, driven by npm's selenium-webdriver. MiniBrowser
  # has no headless mode: a virtual display (xvfb-run needs xauth, only recommended).
  apt_install firefox-esr webkit2gtk-driver xvfb xauth
  # PostgreSQL binaries (initdb, pg_ctl): the fault tests always run their own throwaway
  # cluster (scripts/test-faults.sh), and scripts/test.sh starts one when no server answers
  # on 127.0.0.1:5432 and PG_TEST_URL is unset.
  if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || ! command -v psql >/dev/null; then
    apt_install postgresql
  fi
  # Schemathesis (PyPI) for the ingestion API's fuzz run (scripts/test-api-fuzz.sh), in a
  # virtual environment of its own outside the repository.
  st_venv="${PORTAL_TOOLS_DIR:-$HOME/.cache/portal-tools}/schemathesis-4.32.5"
  if [ ! -x "$st_venv/bin/schemathesis" ]; then
    if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then apt_install python3 python3-venv; fi
    say "pip install schemathesis 4.32.5 (into $st_venv)"
    rm -rf "$st_venv"
    python3 -m venv "$st_venv" && "$st_venv/bin/pip" install -q "schemathesis==4.32.5"
  fi
  command -v curl >/dev/null || apt_install curl
fi
if [ "$what" = test ] || [ "$what" = deploy ]; then
  # The deployment rehearsal (scripts/test-deploy.sh): HAProxy 2.6 terminating TLS, PgBouncer
  # 1.18, wrk for the load, openssl for the throwaway CA, PostgreSQL's binaries for the TLS
  # cluster, systemd-analyze for the unit. Their own services are never used: Debian's
  # packages may start them on their default ports, which the rehearsal avoids.
  # libnss3-tools: certutil puts the throwaway CA where Chromium trusts it.
  apt_install haproxy pgbouncer wrk openssl curl systemd libnss3-tools
  if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then apt_install postgresql; fi
fi
if [ "$what" = bench ]; then
  apt_install wrk chromium fonts-dejavu-core curl
fi
say "tools ready"
