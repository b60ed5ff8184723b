#!/usr/bin/env bash
# Runs the browser suite with every clock set to the calendar's hard moments (issue 26): the
# portal's, the mail catcher's, Playwright's and Chromium's, all under Debian's libfaketime with
# one offset from the real clock, so the moment a run starts at is the moment all of them see
# and time goes on from there as usual (monotonic clocks are left alone: timeouts and timers
# work). The data of the browser tests is fixed (end2end/serve.sh), so a test that passes at
# every moment neither depends on today's date nor on where the month or the day ends.
#
# Usage: scripts/test-calendar.sh [--slice] ['YYYY-MM-DD HH:MM Zone' ...]
#   no moment   the hard moments below, the whole suite at each (make test-calendar, ~1 h)
#   --slice     only end2end/tests/calendar.spec.js (what `make test` runs at one moment)
# Without --slice the Rust suite (cargo nextest, SQLite and PostgreSQL: PG_TEST_URL or
# 127.0.0.1:5432) runs at each moment too: only its test processes under the clock
# (scripts/faketime-run.sh as cargo's runner); cargo and rustc deadlock under libfaketime.
# Ends with one line "calendar: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

slice=
if [ "${1:-}" = "--slice" ]; then slice=1; shift; fi

# Each in the zone whose calendar it tests. Runs take minutes, so a moment a few minutes before
# a change means the suite runs across it.
if [ $# -gt 0 ]; then
  moments=("$@")
else
  moments=(
    "2027-01-01 00:02 Europe/Stockholm"  # the first minutes of a year: a new month, an empty default month, last year's December the last complete month
    "2027-03-28 03:10 Europe/Stockholm"  # just after the spring change (02:00 -> 03:00): the 23-hour day, sessions up to now run across it
    "2027-10-31 03:10 Europe/Oslo"       # just after the autumn change (03:00 -> 02:00): the 25-hour day, the repeated hour
    "2028-02-29 23:56 Europe/Helsinki"   # the last minutes of 29 February: the turn of a leap month during the run
    "2027-05-31 23:57 Europe/Stockholm"  # the last minutes of a month
  )
fi

lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
if [ -z "$lib" ]; then
  echo "libfaketime is missing: scripts/install-tools.sh test installs it (Debian's faketime)" >&2
  echo "calendar: 0 passed, 1 failed"; exit 1
fi
[ -x target/debug/portal ] && [ -f target/site/pkg/assets.json ] || {
  echo "build the site and the server first (make test or: trunk build --release && cargo build -p server)" >&2
  echo "calendar: 0 passed, 1 failed"; exit 1
}

mkdir -p target/test-logs
total_passed=0; total_failed=0
if [ -z "$slice" ]; then
  export PG_TEST_URL=${PG_TEST_URL:-postgres://postgres@127.0.0.1:5432/postgres}
  cargo nextest run -p app -p server --no-run >target/test-logs/calendar-rust-build.log 2>&1 || {
    echo "the Rust tests did not build (target/test-logs/calendar-rust-build.log)" >&2
    echo "calendar: 0 passed, 1 failed"; exit 1
  }
fi
for moment in "${moments[@]}"; do
  read -r day clock zone <<<"$moment"
  target=$(TZ="$zone" date -d "$day $clock" +%s) || { total_failed=$((total_failed + 1)); continue; }
  offset=$((target - $(date +%s)))
  name=$(echo "$day-$clock-$zone" | tr -c 'A-Za-z0-9-' '-')
  echo
  echo "==> the browser suite at $day $clock in $zone (offset ${offset} s)${slice:+, calendar.spec.js only}"
  results="$PWD/target/e2e-calendar-$name.json"
  rm -f "$results"
  args=(--config end2end/playwright.config.js --reporter=list,json)
  [ -n "$slice" ] && args+=(end2end/tests/calendar.spec.js)
  # FAKETIME: a relative offset in seconds, the same for every process started under it.
  LD_PRELOAD="$lib" FAKETIME="$(printf '%+d' "$offset")" FAKETIME_DONT_FAKE_MONOTONIC=1 \
    PLAYWRIGHT_JSON_OUTPUT_NAME="$results" E2E_FAKED_AT="$target" \
    npx playwright test "${args[@]}" 2>&1 | tee "target/test-logs/calendar-$name.log"
  if [ -f "$results" ]; then
    read -r p f < <(node -e '
      const s = require(process.argv[1]).stats;
      console.log(s.expected, s.unexpected + s.flaky);' "$results")
  else
    p=0; f=1
  fi
  echo "calendar $day $clock $zone: $p passed, $f failed"
  total_passed=$((total_passed + p)); total_failed=$((total_failed + f))
  if [ -z "$slice" ]; then
    echo "==> the Rust suite at $day $clock in $zone"
    offset=$((target - $(date +%s)))
    triple=$(rustc -vV | awk '/^host:/ {print $2}' | tr 'a-z-' 'A-Z_')
    env "CARGO_TARGET_${triple}_RUNNER=$PWD/scripts/faketime-run.sh" \
      CALENDAR_FAKETIME="$(printf '%+d' "$offset")" \
      cargo nextest run -p app -p server --no-fail-fast 2>&1 | tee "target/test-logs/calendar-rust-$name.log" | tail -3
    summary=$(grep -E '^ *Summary \[' "target/test-logs/calendar-rust-$name.log" | tail -1)
    p=$(echo "$summary" | grep -Eo '[0-9]+ passed' | awk '{print $1+0}')
    f=$(echo "$summary" | grep -Eo '[0-9]+ (failed|timed out)' | awk '{s+=$1} END {print s+0}')
    [ -n "$p" ] || f=$((f + 1))
    echo "calendar Rust $day $clock $zone: ${p:-0} passed, $f failed"
    total_passed=$((total_passed + ${p:-0})); total_failed=$((total_failed + f))
  fi
done
echo "calendar: $total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
