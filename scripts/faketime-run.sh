#!/usr/bin/env bash
# Runs one program under libfaketime with the offset in CALENDAR_FAKETIME (seconds, e.g.
# +2352362), monotonic clocks left alone. scripts/test-calendar.sh makes it cargo's runner of
# the test binaries (CARGO_TARGET_<triple>_RUNNER), so only the tests see the moved clock:
# cargo and rustc deadlock under a preloaded libfaketime (rustc's jemalloc).
set -euo pipefail
lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 | head -1)
LD_PRELOAD="$lib" FAKETIME="$CALENDAR_FAKETIME" FAKETIME_DONT_FAKE_MONOTONIC=1 exec "$@"
