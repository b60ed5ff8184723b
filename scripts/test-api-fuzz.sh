#!/usr/bin/env bash
# The ingestion API fuzzed against its own OpenAPI document with Schemathesis (PyPI), every
# request signed by a hook (end2end/schemathesis/hooks.py). Checks: no 5xx, responses as
# documented, invalid data refused; then that the database holds exactly what the 200
# answers said was inserted (a batch is stored whole or not at all).
#
#   scripts/test-api-fuzz.sh            bounded run for `make test` (seeded, ~2 minutes)
#   FUZZ_API_SECONDS=900 FUZZ_API_SEED=random scripts/test-api-fuzz.sh   a longer run
#
# Needs target/debug/portal (cargo build -p server) and the tools of install-tools.sh test.
# Prints "API fuzz: N passed, M failed" last.
set -uo pipefail
cd "$(dirname "$0")/.."
venv="${PORTAL_TOOLS_DIR:-$HOME/.cache/portal-tools}/schemathesis-4.32.5"
port="${FUZZ_API_PORT:-3750}"
seconds="${FUZZ_API_SECONDS:-120}"
seed="${FUZZ_API_SEED:-13}"
dir=target/api-fuzz
rm -rf "$dir"; mkdir -p "$dir"
fail() { echo "FAILED: $*" >&2; echo "API fuzz: 0 passed, 1 failed"; exit 1; }
[ -x "$venv/bin/schemathesis" ] || fail "schemathesis is not installed (scripts/install-tools.sh test)"
[ -x target/debug/portal ] || fail "target/debug/portal is missing (cargo build -p server)"

secret=$("$venv/bin/python" -c 'import secrets; print(secrets.token_hex(24))')
export DATABASE_URL="sqlite:$dir/portal.db" PORTAL_LISTEN="127.0.0.1:$port" \
  PORTAL_PUBLIC_URL="http://127.0.0.1:$port" PORTAL_INGEST_KEYS="fuzz=$secret" \
  PORTAL_DEMO_DATA=false RUST_LOG=warn
# A little demo data, so the documented examples (the demo's company, facility, cost
# center and people) are stored rather than refused.
target/debug/portal demo --members 20 --sessions 2000 >"$dir/demo.log" 2>&1 || fail "portal demo (see $dir/demo.log)"
count() {  # count <sql>
  "$venv/bin/python" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' \
    "$dir/portal.db" "$1"
}
before_facilities=$(count "SELECT COUNT(*) FROM facilities")
before_invoices=$(count "SELECT COUNT(*) FROM invoices")
target/debug/portal serve >"$dir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/ingest/v1/openapi.json" -o "$dir/openapi.json" || fail "no OpenAPI document (see $dir/server.log)"

seed_args=(--seed "$seed")
[ "$seed" = random ] && seed_args=()
echo "schemathesis: ${seconds}s at most, seed ${seed}"
# One worker: with two, Hypothesis parses lambdas' source on two threads at once, which trips
# a CPython 3.11 bug ("AST constructor recursion depth mismatch", python/cpython#106905) as a
# runtime error of the tool, not a finding; it was seen once in two runs when GET
# /ingest/v1/policies joined the document. Two cores gain little from a second worker here.
export PORTAL_FUZZ_KEY_ID=fuzz PORTAL_FUZZ_SECRET="$secret" PORTAL_FUZZ_OUTCOMES="$PWD/$dir/outcomes.txt"
touch "$PORTAL_FUZZ_OUTCOMES"
(
  cd end2end/schemathesis &&
    SCHEMATHESIS_HOOKS=hooks PYTHONPATH=. timeout $((seconds + 60)) "$venv/bin/schemathesis" run \
      "../../$dir/openapi.json" --url "http://127.0.0.1:$port" \
      --checks all --exclude-checks ignored_auth --max-time "$seconds" --max-examples 60 "${seed_args[@]}" \
      --request-timeout 20 --workers 1 --report junit --report-dir "../../$dir" \
      --warnings off
) 2>&1 | tee "$dir/schemathesis.log"
st_status=${PIPESTATUS[0]}

# What the 200 answers said was inserted is exactly what the database gained.
mismatch=0
sum() { awk -v p="$1" '$1 == 200 && $2 == p {s += $3} END {print s + 0}' "$dir/outcomes.txt"; }
echo "answers by status:"; awk '{print $1}' "$dir/outcomes.txt" | sort | uniq -c | sort -rn
if [ "$(awk '$1 == 200 || $1 == 422' "$dir/outcomes.txt" | wc -l)" -lt 50 ]; then
  echo "fewer than 50 requests got past the signature: the signing hook is broken" >&2; mismatch=$((mismatch + 1))
fi
if grep -q '^200 .* ?$' "$dir/outcomes.txt"; then
  echo "a 200 answer without an inserted count" >&2; mismatch=$((mismatch + 1))
fi
check() {  # check <what> <said> <stored>
  if [ "$2" -ne "$3" ]; then echo "MISMATCH: $1: the answers said $2 inserted, the database gained $3" >&2; mismatch=$((mismatch + 1));
  else echo "$1: $2 inserted, as the answers said"; fi
}
check sessions "$(sum /ingest/v1/sessions)" "$(count "SELECT COUNT(*) FROM sessions WHERE source = 'operator'")"
check facilities "$(sum /ingest/v1/facilities)" "$(( $(count "SELECT COUNT(*) FROM facilities") - before_facilities ))"
check invoices "$(sum /ingest/v1/invoices)" "$(( $(count "SELECT COUNT(*) FROM invoices") - before_invoices ))"
if grep -q "ERROR" "$dir/server.log"; then
  echo "the server logged errors (see $dir/server.log)" >&2; grep "ERROR" "$dir/server.log" | head -5 >&2
  mismatch=$((mismatch + 1))
fi

# Operations that passed and failed, from the JUnit report.
junit=$(ls "$dir"/*.xml 2>/dev/null | head -1)
if [ -n "$junit" ]; then
  read -r tests failures errors < <("$venv/bin/python" - "$junit" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
t = sum(int(s.get("tests", 0)) for s in suites)
f = sum(int(s.get("failures", 0)) for s in suites)
e = sum(int(s.get("errors", 0)) for s in suites)
print(t, f, e)
PY
)
else
  tests=0; failures=1; errors=0
fi
failed=$((failures + errors + mismatch))
[ "$st_status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
passed=$((tests - failures - errors))
[ "$passed" -lt 0 ] && passed=0
echo "API fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
