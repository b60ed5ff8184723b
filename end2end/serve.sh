#!/usr/bin/env bash
# The portal as the browser tests see it: a fresh SQLite database with a small, fixed demo
# data set, on 127.0.0.1:$E2E_PORT. Started and stopped by Playwright (playwright.config.js).
set -euo pipefail
cd "$(dirname "$0")/.."
# E2E_DIR: the cross-engine run (scripts/test-engines.sh) keeps its own, beside Playwright's.
dir=${E2E_DIR:-target/e2e}
rm -rf "$dir/db"; mkdir -p "$dir/db"
export DATABASE_URL="sqlite:$dir/db/portal.db"
export PORTAL_LISTEN="127.0.0.1:${E2E_PORT:-3100}"
export PORTAL_DEMO_DATA=false
# The host pages that frame the portal in the tests; the cross-engine run has an https one too.
export PORTAL_FRAME_ANCESTORS="${E2E_FRAME_ANCESTORS:-http://127.0.0.2:${E2E_HOST_PORT:-3101}}"
# The browser is every test's client, all from 127.0.0.1; sign-in codes are limited to 20 an
# hour per client address. Each signed-in test poses as its own client behind a proxy
# (end2end/auth.js sets X-Forwarded-For), as the portal's users behind a load balancer are.
# The per-address limit itself is tested in server/tests/it/abuse.rs.
export PORTAL_TRUSTED_PROXIES="127.0.0.1/32"
# The front-desk tests post a guest's session as the back office would (a test-only key).
export PORTAL_INGEST_KEYS="e2e=browser tests only and not a secret 32+ chars"
# The data is fixed: the same seed and last day give the same sessions, whatever the date the
# tests run. Tests open the period the data lives in (fixtures.json's dataYear/dataMonth), never
# "this month", which from December 2026 on holds none of it (issue 26).
data_until=2026-11-20
./target/debug/portal demo --seed 7 --members 40 --sessions 3000 --until "$data_until" >/dev/null
# Accounts of the history tests (each address can ask for a code once a minute, so every test
# signs in as its own person) and one member whose self-chosen name starts with "=", which the
# CSV export must defuse. Written to fixtures.json for the tests to read.
python3 end2end/fixtures.py "$dir/db/portal.db" "$dir/fixtures.json" "$data_until"
exec ./target/debug/portal serve
