//! The server's integration tests: one test binary (one link instead of one per file), a
//! module per subject, all through the `server` library as the binary uses it — the real
//! router over real SQLite and PostgreSQL databases (`app::testing::TestDb`), real cookies,
//! the real outboxes. Helpers every module uses are in `common`.

mod common;

mod abuse;
mod alerts;
mod assets;
mod auth;
mod authz;
mod countries;
mod demo;
mod deploy;
mod doors;
mod house;
mod ingest;
mod metrics;
mod permits;
mod policies;
mod replicas;
mod reports;
mod router;
mod traces;
