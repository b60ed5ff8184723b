# The two commands of the quick start:
#   make run   installs what is missing, builds, and serves the portal on 127.0.0.1:3000
#              (SQLite under data/, dev mailer, demo data on first start)
#   make test  installs what is missing and runs every test (Rust on SQLite and PostgreSQL,
#              then the browser tests), ending with one summary line
# Everything else here is a step of those two.

SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export TRUNK_SKIP_VERSION_CHECK := true

.PHONY: dist test-deploy test-calendar bench-web bench-load bench-load-replica run test test-faults test-api-fuzz test-engines bench-ingest scaling-partitions fuzz tools site server server-dev fmt lint bench-demo bench-auth bench-history bench-members-import bench-frontdesk bench-export bench-metrics watch clean-data

run: tools site server
	./target/release/portal serve

test:
	scripts/test.sh

tools:
	scripts/install-tools.sh build

# The browser bundle: frontend/ -> target/site/pkg (size-optimised wasm-release profile),
# plus the static files of public/ at the site root.
site:
	trunk build --release
	cp -r public/. target/site/

# PORTAL_COMMIT names the build's commit in the portal_build_info metric.
server:
	PORTAL_COMMIT=$$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown) cargo build --release -p server

server-dev:
	cargo build -p server

# The release layout: target/dist/portal (binary, site, systemd unit, example environment,
# docs/operations.md) and its tarball (docs/operations.md, "Installing").
dist: tools site server
	scripts/dist.sh

# The deployment rehearsal on loopback: PostgreSQL over TLS (directly and through PgBouncer),
# three release instances from the dist layout behind HAProxy's TLS, a rolling upgrade and a
# kill -9 under load, the restore drill (docs/operations.md). `make test` runs a shorter slice.
test-deploy: dist
	scripts/install-tools.sh deploy
	scripts/test-deploy.sh

fmt:
	cargo fmt --all

lint:
	cargo fmt --all -- --check
	cargo clippy -p server -p app --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

# Times the demo generator at benchmark size on SQLite and PostgreSQL (docs/benchmarks.md).
bench-demo: tools server
	scripts/bench-demo.sh

# Monthly partitions of sessions measured on a copy in the benchmark database (after
# make bench-demo): the history's and the export's queries on both (docs/scaling.md).
scaling-partitions:
	scripts/scaling-partitions.sh

# p50/p95 of the sign-in endpoints through the real router, SQLite and PostgreSQL, release build.
bench-auth:
	cargo bench -p server --bench portal -- auth

# Times the history server functions against the same SQL run directly, on the databases
# `make bench-demo` made (docs/benchmarks.md).
bench-history:
	cargo bench -p server --bench portal -- history

# What metrics and request ids cost on /healthz and the sign-in page: the release server with
# PORTAL_METRICS_LISTEN unset and set, alternately (BEFORE=<older binary> adds a third column).
bench-metrics: tools server
	scripts/install-tools.sh bench
	scripts/bench-metrics.sh

# Two instances watched by Debian's Prometheus for a minute of load: rate, errors, p95 per
# route, outbox depth and alerts, read back through Prometheus's API (docs/operations.md).
watch: tools server
	scripts/install-tools.sh bench
	scripts/watch-two.sh

# Sessions per second through the signed ingestion API (batches of 1,000, loopback HTTP) vs a
# plain multi-row INSERT of the same rows, SQLite and PostgreSQL (docs/benchmarks.md).
bench-ingest:
	cargo bench -p server --bench portal -- ingest

# The ingestion API fuzzed against its OpenAPI document for longer than `make test` does
# (FUZZ_API_SECONDS, default 900; a random seed).
test-api-fuzz: tools server-dev
	FUZZ_API_SECONDS=$${FUZZ_API_SECONDS:-900} FUZZ_API_SEED=$${FUZZ_API_SEED:-random} scripts/test-api-fuzz.sh

# A 5,000-row bulk invitation file, preview and import, SQLite and PostgreSQL (docs/benchmarks.md).
bench-members-import:
	cargo bench -p server --bench portal -- members-import

# The front desk's day view at the daily guest quota (1,000 guests), SQLite and PostgreSQL
# (docs/benchmarks.md, "Front desk at the quota").
bench-frontdesk:
	cargo bench -p server --bench portal -- frontdesk

# Lighthouse 12 (mobile) on the sign-in, history and members pages of the release build, and
# the bundle's sizes as sent (docs/benchmarks.md, "First load").
bench-web: tools site server
	scripts/install-tools.sh bench
	scripts/bench-web.sh

# wrk on loopback: pages against /healthz, and /api/history for a month on the benchmark-size
# databases when `make bench-demo` made them (docs/benchmarks.md, "Server throughput").
bench-load: tools server
	scripts/install-tools.sh bench
	scripts/bench-load.sh

# /api/history with one primary and one streaming replica against the primary alone, on a
# throwaway pair of its own (docs/benchmarks.md, "Read replicas").
bench-load-replica: tools server
	scripts/install-tools.sh bench
	scripts/bench-replica.sh

# CSV export of 1,000,000 rows in headless Chromium vs papaparse (docs/benchmarks.md).
bench-export: tools site server
	scripts/bench-export.sh

# The whole browser suite with every clock (portal, browser, mail catcher, tests) set to the
# calendar's hard moments: the turn of a year, both daylight-saving changes, 29 February, the
# last minutes of a month (scripts/test-calendar.sh; ~1 hour). `make test` runs the calendar
# tests at one of them. MOMENTS='2027-01-01 00:02 Europe/Stockholm' for one.
test-calendar: tools site server-dev
	scripts/install-tools.sh test
	if [ -n "$${MOMENTS:-}" ]; then scripts/test-calendar.sh "$$MOMENTS"; else scripts/test-calendar.sh; fi

# The main flows (sign-in, members, history and its export, front desk) in Debian's Firefox
# ESR and WebKitGTK, which Playwright cannot drive (end2end/engines/). ENGINES=webkit for one.
test-engines: tools site server-dev
	scripts/test-engines.sh

# The fault tests with more rounds: two instances, PostgreSQL restarted and crashed three
# times under load, SMTP down, an instance restarted mid-export (docs/benchmarks.md, "Faults").
test-faults: tools server-dev
	FAULTS_ROUNDS=3 scripts/test-faults.sh

# Coverage-guided fuzzing (cargo-fuzz, libFuzzer + ASan), FUZZ_SECONDS per target (default 60).
# Optional and long: a second, sanitized build of app. The bounded slice of the same properties
# runs in `make test` (app/tests/properties.rs).
fuzz:
	scripts/fuzz.sh

# Forget the embedded database (the next `make run` regenerates the demo data).
clean-data:
	rm -rf data/
