#!/usr/bin/env bash
# `make fuzz`: cargo-fuzz (libFuzzer, with AddressSanitizer) on the inputs every request
# meets: the CSV import reader, the history URL filter, the export cursor, the local-path
# check, the email and plate normalisers (fuzz/fuzz_targets/). Optional and long: installs
# cargo-fuzz once (~3 min), builds app a second time with sanitizers (~10 min on 2 cores),
# then runs each target FUZZ_SECONDS (default 60). On this stable toolchain the sanitizer
# flags need RUSTC_BOOTSTRAP=1. A crash leaves its input in fuzz/artifacts/<target>/: turn
# it into a regression test in app/tests/properties.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH" RUSTC_BOOTSTRAP=1
seconds=${FUZZ_SECONDS:-60}
cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
targets=$(cargo fuzz list --fuzz-dir fuzz)
cargo fuzz build --fuzz-dir fuzz -O
for t in $targets; do
  echo "== $t ($seconds s)"
  mkdir -p "fuzz/corpus/$t"
  cargo fuzz run --fuzz-dir fuzz -O "$t" "fuzz/corpus/$t" -- -max_total_time="$seconds" -max_len=4096 2>&1 \
    | grep -E "^#[0-9]+ +DONE|Done [0-9]+ runs|ERROR|panicked|SUMMARY" || true
  [ -z "$(ls -A "fuzz/artifacts/$t" 2>/dev/null)" ] || { echo "FAILED: $t left a crash in fuzz/artifacts/$t" >&2; exit 1; }
done
echo "fuzz: every target ran $seconds s without a crash"
