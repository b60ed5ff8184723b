#![recursion_limit = "256"]
//! The portal's server: everything that runs on the machine around the `app` crate (the
//! domains, their rules, stores and pages). Five rooms, each a folder:
//!
//! - [`http`]: the doors. The axum router (pages, server functions, assets, health), the
//!   session and CSRF layer, the security headers, and the signed ingestion API.
//! - [`jobs`]: the background work. One task per outbox (mail, guest permits) and one per
//!   periodic job (pruning, erasure, monthly reports), each on its own schedule; a job that
//!   fails or waits never holds up another.
//! - [`cli`]: the command line (`portal serve`, `migrate`, `demo`, `ingest`, `company`).
//! - [`demo`]: the deterministic demo-data generator.
//! - [`observe`]: eyes on it while it runs. The Prometheus recorder and `/metrics` on an
//!   address of its own, and the request id every request and its log lines carry.
//!
//! The binary (`main.rs`) is a thin shell over [`cli::run`]. The integration tests live in
//! `server/tests/it/` and the benchmarks in `server/benches/`; both use this library as any
//! other crate would.

pub mod cli;
pub mod demo;
pub mod http;
pub mod jobs;
pub mod observe;

use app::config::Config;
use tracing_subscriber::EnvFilter;

/// Starts the logs: JSON or human-readable (`PORTAL_LOG_FORMAT`), filtered by `RUST_LOG`.
pub fn init_tracing(config: &Config) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match config.log_format {
        app::config::LogFormat::Json => builder.json().init(),
        app::config::LogFormat::Pretty => builder.init(),
    }
}
