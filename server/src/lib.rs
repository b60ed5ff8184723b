#![recursion_limit = "256"]
//! The portal's server: everything that runs on the machine around the `app` crate (the
//! domains, their rules, stores and pages). Five rooms, each a folder:
//!
//! - [`http`]: the doors. The axum router (pages, server functions, assets, health), the
//!   session and CSRF layer, the security headers, and the signed ingestion API.
//! - [`jobs`]: the background work. One task per outbox (mail, guest permits, rule changes) and one per
//!   periodic job (pruning, erasure, monthly reports), each on its own schedule; a job that
//!   fails or waits never holds up another.
//! - [`cli`]: the command line (`portal serve`, `migrate`, `demo`, `ingest`, `company`).
//! - [`demo`]: the deterministic demo-data generator.
//! - [`observe`]: eyes on it while it runs. The Prometheus recorder and `/metrics` on an
//!   address of its own, the request id every request and its log lines carry, and the
//!   traces sent over OTLP when a collector is named.
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

/// Starts the logs: JSON or human-readable (`PORTAL_LOG_FORMAT`), filtered by `RUST_LOG`; and,
/// when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, the trace exporter (`observe::traces`). Keep the
/// guard until the process ends: dropping it sends the last spans.
pub fn init_tracing(config: &Config) -> observe::traces::Guard {
    use tracing_subscriber::{filter::filter_fn, layer::SubscriberExt, Layer};

    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let logs = match config.log_format {
        app::config::LogFormat::Json => tracing_subscriber::fmt::layer().json().boxed(),
        app::config::LogFormat::Pretty => tracing_subscriber::fmt::layer().boxed(),
    };
    let provider = config.otlp_endpoint.as_deref().and_then(|endpoint| {
        observe::traces::provider(endpoint, &config.otel_service_name)
            .map_err(|e| eprintln!("traces are off: the OTLP exporter for {endpoint} failed: {e}"))
            .ok()
    });
    // Each layer has its own filter: the logs follow RUST_LOG, the traces take every span down
    // to debug (server functions, statement groups) and the log lines at info and above.
    let traces = provider.as_ref().map(|p| {
        observe::traces::layer(p).with_filter(filter_fn(|meta| {
            if meta.is_span() {
                *meta.level() <= tracing::Level::DEBUG
            } else {
                *meta.level() <= tracing::Level::INFO
            }
        }))
    });
    let subscriber = tracing_subscriber::registry()
        .with(logs.with_filter(filter))
        .with(traces);
    // A second call (a test that starts twice) keeps the first subscriber.
    let _ = tracing::subscriber::set_global_default(subscriber);
    observe::traces::Guard(provider)
}
