#!/usr/bin/env bash
# The first load as a phone on a slow link sees it: Lighthouse 12 (npm's lighthouse@12.2.3;
# 13 needs Node 22) with Debian's Chromium on the sign-in, history and members pages of the
# release build on a fresh demo database, median of BENCH_WEB_RUNS (default 3) runs each,
# then the bundle's sizes as sent (raw, gzip, brotli). Figures go to docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x target/release/portal ] || { echo "run make server first" >&2; exit 1; }
[ -f target/site/pkg/assets.json ] || { echo "run make site first" >&2; exit 1; }

lh_dir="${PORTAL_TOOLS_DIR:-$HOME/.cache/portal-tools}/lighthouse-12.2.3"
if [ ! -x "$lh_dir/node_modules/.bin/lighthouse" ]; then
  echo "==> npm install lighthouse@12.2.3 (into $lh_dir)"
  mkdir -p "$lh_dir"
  npm install --prefix "$lh_dir" --no-audit --no-fund --loglevel=error lighthouse@12.2.3
fi

echo "== bundle (target/site/pkg, as the server sends it)"
echo "| File | Raw | gzip -9 | brotli 11 |"
echo "|---|---|---|---|"
total_gz=0; total_br=0
for f in $(node -e 'const a=require("./target/site/pkg/assets.json");console.log(a.wasm,a.js,a.css)'); do
  p=target/site/pkg/$f
  raw=$(stat -c %s "$p"); gz=$(stat -c %s "$p.gz"); br=$(stat -c %s "$p.br")
  case $f in *.css) ;; *) total_gz=$((total_gz + gz)); total_br=$((total_br + br)) ;; esac
  printf '| `%s` | %s B | %s B | %s B |\n' "$f" "$raw" "$gz" "$br"
done
echo "WASM + JS: gzip $total_gz B, brotli $total_br B"

port=3470
dir=target/bench/web
rm -rf "$dir"; mkdir -p "$dir"
DATABASE_URL="sqlite:$dir/portal.db" PORTAL_LISTEN="127.0.0.1:$port" \
  ./target/release/portal serve >"$dir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 1; done
echo
echo "== Lighthouse 12.2.3, mobile (simulated), median of ${BENCH_WEB_RUNS:-3} runs"
LIGHTHOUSE="$lh_dir/node_modules/.bin/lighthouse" node end2end/bench-web.js "http://127.0.0.1:$port" "${BENCH_WEB_RUNS:-3}"
