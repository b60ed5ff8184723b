#!/usr/bin/env bash
# Fault tests (issue 12): two portal instances on a throwaway PostgreSQL cluster this script
# owns (port 55433, target/pg-faults; never the shared server on 5432), a real SMTP server the
# test starts and stops, real processes (end2end/faults/faults.test.js).
#   scripts/test-faults.sh         one round of each fault (what `make test` runs)
#   FAULTS_ROUNDS=3 scripts/...    `make test-faults`: PostgreSQL restarted and crashed 3 times
# Prints "FAULTS …" lines with what was measured; target/faults/report.json keeps them.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export FAULTS_PG_PORT=${FAULTS_PG_PORT:-55433} FAULTS_PG_DIR=${FAULTS_PG_DIR:-target/pg-faults}
cargo build -q -p server  # incremental: seconds when nothing changed
mkdir -p target/faults
rm -f target/faults/*.log
PG_PORT=$FAULTS_PG_PORT PG_DIR=$FAULTS_PG_DIR scripts/throwaway-pg.sh start
trap 'PG_PORT=$FAULTS_PG_PORT PG_DIR=$FAULTS_PG_DIR scripts/throwaway-pg.sh stop' EXIT
node --test --test-concurrency=1 --test-reporter=spec end2end/faults/
