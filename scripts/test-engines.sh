#!/usr/bin/env bash
# The main user flows in Firefox and WebKit, JavaScript on (end2end/engines/): sign-in with a
# mailed code, invite and remove a member, filter and export the history, register a guest at
# the front desk, sign in inside the operator's iframe from another site (or, where the browser
# blocks third-party cookies, the page saying so). Playwright drives only its own patched Firefox and WebKit builds, which we
# never download, so Debian's browsers are driven through their standard automation:
#   Firefox: firefox-esr, headless, by puppeteer-core over WebDriver BiDi;
#   WebKit:  WebKitWebDriver (webkit2gtk-driver) + MiniBrowser (libwebkit2gtk-4.1-0) by
#            selenium-webdriver as a W3C WebDriver client, under xvfb-run (no headless mode).
# Starts its own mail catcher and portal (end2end/serve.sh: fresh SQLite demo database) on
# ports apart from Playwright's, so both can run at once.
#
#   scripts/test-engines.sh              both engines, every flow
#   scripts/test-engines.sh webkit       one engine (ENGINES_FLOWS=history for one flow)
#
# Needs target/debug/portal and target/site (as the Playwright tests do) and the tools of
# `scripts/install-tools.sh test`. Prints "engines: N passed, M failed" last; bounded (the
# whole run is stopped after ENGINES_TIMEOUT seconds, 600 by default).
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
port="${ENGINES_PORT:-3200}"
smtp_port="${ENGINES_SMTP_PORT:-1026}"
mail_port="${ENGINES_MAIL_PORT:-1081}"
budget="${ENGINES_TIMEOUT:-600}"
dir=target/e2e-engines
export ENGINES="${1:-${ENGINES:-firefox,webkit}}"
fail() { echo "FAILED: $*" >&2; echo "engines: 0 passed, 1 failed"; exit 1; }

[ -x target/debug/portal ] || fail "target/debug/portal is missing (cargo build -p server)"
[ -f target/site/pkg/assets.json ] || fail "target/site/pkg is missing (trunk build --release)"
[ -d node_modules/puppeteer-core ] && [ -d node_modules/selenium-webdriver ] ||
  fail "node modules missing (scripts/install-tools.sh test)"
case ",$ENGINES," in *,firefox,*) [ -x /usr/bin/firefox-esr ] || fail "firefox-esr is not installed (scripts/install-tools.sh test)";; esac
case ",$ENGINES," in *,webkit,*)
  [ -x /usr/bin/WebKitWebDriver ] || fail "WebKitWebDriver is not installed (scripts/install-tools.sh test)"
  [ -n "${DISPLAY:-}" ] || command -v xvfb-run >/dev/null || fail "xvfb-run is not installed (scripts/install-tools.sh test)";;
esac
for p in "$port" "$smtp_port" "$mail_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then fail "port $p is taken (ENGINES_PORT, ENGINES_SMTP_PORT, ENGINES_MAIL_PORT)"; fi
done
# The operator's page of the `embedded` flow (frame-host.js), another site than the portal:
# over http for Firefox, https for WebKit (which reaches the portal through tls-front.js).
frame_http="http://127.0.0.2:$((port + 1))"
frame_https="https://127.0.0.2:$((port + 2))"
for p in $((port + 1)) $((port + 2)); do
  if (exec 3<>"/dev/tcp/127.0.0.2/$p") 2>/dev/null; then fail "port $p on 127.0.0.2 is taken (ENGINES_PORT)"; fi
done

rm -rf "$dir"; mkdir -p "$dir/mail"
t0=$(date +%s); t0_ms=$(date +%s%3N)
# Each in a process group of its own (setsid), stopped as a group: npx and the shell of
# serve.sh leave children behind otherwise.
started=()
stop() {
  for pid in "${started[@]}"; do kill -TERM -- "-$pid" 2>/dev/null; done
  for pid in "${started[@]}"; do wait "$pid" 2>/dev/null; done
}
trap stop EXIT
setsid maildev --ip 127.0.0.1 --web-ip 127.0.0.1 -s "$smtp_port" -w "$mail_port" \
  --mail-directory "$dir/mail" >"$dir/maildev.log" 2>&1 &
started+=($!)
E2E_DIR="$dir" E2E_PORT="$port" E2E_FRAME_ANCESTORS="$frame_http $frame_https" SMTP_URL="smtp://127.0.0.1:$smtp_port" \
  setsid bash end2end/serve.sh >"$dir/server.log" 2>&1 &
started+=($!)

ready=
for _ in $(seq 1 600); do  # 120 s at most: the demo data is generated first
  if curl -fsS "http://127.0.0.1:$mail_port/api/email" >/dev/null 2>&1 &&
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then ready=1; break; fi
  sleep 0.2
done
[ -n "$ready" ] || { tail -20 "$dir/server.log" "$dir/maildev.log" >&2; fail "the portal or maildev did not start (see $dir/)"; }
echo "portal on 127.0.0.1:$port and maildev on $smtp_port/$mail_port ready after $(( $(date +%s) - t0 )) s"

ENGINES_T0="$t0_ms" ENGINES_BASE_URL="http://127.0.0.1:$port" MAILDEV_URL="http://127.0.0.1:$mail_port" \
  ENGINES_FIXTURES="$dir/fixtures.json" ENGINES_OUT="$dir/results" \
  ENGINES_FRAME_HOST_HTTP="$frame_http" ENGINES_FRAME_HOST_HTTPS="$frame_https" \
  timeout --kill-after=10 "$budget" node end2end/engines/run.js 2>&1 | tee "$dir/run.log"
status=${PIPESTATUS[0]}
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "the run took more than $budget s and was stopped"
  echo "engines: 0 passed, 1 failed"
  exit 1
fi
grep -q '^engines: ' "$dir/run.log" || echo "engines: 0 passed, 1 failed"
exit "$status"
