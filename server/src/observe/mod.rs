//! Eyes on the running portal (issue 29): Prometheus metrics on an address of their own, and a
//! request id on every request and its log lines.
//!
//! - [`install`] puts the Prometheus recorder in place once per process; from then on every
//!   `app::metrics` call is counted. Without it (commands, most tests) recording costs nothing.
//! - [`http::layer`] is the router's outermost layer: it gives each request its id (the
//!   `x-request-id` of a trusted proxy, else a new one), opens the span every log line of the
//!   request carries, echoes the id in the answer, and counts the request by route template
//!   and status class.
//! - [`endpoint`] serves `GET /metrics` on `PORTAL_METRICS_LISTEN`, never on the public port:
//!   the figures (and the build's commit) are for the operator's Prometheus only.
//!
//! - [`traces`] exports the spans over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
//!
//! The names and labels themselves live in `app::metrics`, where the domains record them.

pub mod endpoint;
pub mod http;
pub mod traces;

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets in seconds: a page or server function is fast at 5–50 ms; the alerts'
/// thresholds (0.25 s, 1 s) are bucket edges so `histogram_quantile` is exact there.
const SECONDS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The commit the binary was built from: `PORTAL_COMMIT` at build time (`make server` sets
/// it from git), else `unknown`. Not read by a build script, so a commit does not rebuild the
/// server during development.
pub const COMMIT: &str = match option_env!("PORTAL_COMMIT") {
    Some(c) => c,
    None => "unknown",
};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the Prometheus recorder as the process's metrics recorder (once: later calls
/// return the same handle), describes every metric and records the build info.
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)
                .expect("the buckets are not empty")
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder)
                .expect("no other metrics recorder is installed in this process");
            for (name, help) in app::metrics::DESCRIPTIONS {
                // The kind does not matter for the help text the exporter prints.
                metrics::describe_counter!(*name, *help);
            }
            app::metrics::build_info(env!("CARGO_PKG_VERSION"), COMMIT);
            handle
        })
        .clone()
}
