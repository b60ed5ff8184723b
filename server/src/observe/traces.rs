//! Traces over OTLP/HTTP, when `OTEL_EXPORTER_OTLP_ENDPOINT` names a collector.
//!
//! The portal's `tracing` spans become OpenTelemetry spans (`tracing-opentelemetry`) and go in
//! batches to `<endpoint>/v1/traces` as protobuf (`opentelemetry-otlp`, on the SDK's own
//! background thread, so a slow collector never holds up a request). The spans exported:
//!
//! | span | where | level |
//! |---|---|---|
//! | `request` (named `GET /members`) | `observe::http::layer`, every request | info |
//! | `server_fn` (named `server_fn <name>`) | `observe::http::server_fn`, `/api/<name>` | debug |
//! | `db` (field `op`, e.g. `members::list`) | every store function (`app/src/*/store`) | debug |
//! | `outbox_delivery` | each mail, permit or rules delivery (`jobs::mail`, `jobs::operator`) | info |
//!
//! and, as span events, the log lines at info and above inside them. A span's fields are ids,
//! route templates and kinds, never personal data (the test `it::traces` reads what arrives).
//!
//! Unset, no exporter exists and nothing is buffered: the debug spans are not even created
//! unless `RUST_LOG` asks for them.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::{trace::SdkTracerProvider, Resource};

/// How long one export may take before the batch is dropped (the collector is down or slow).
const EXPORT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The tracer provider for `endpoint` (a base URL, see `Config::otlp_endpoint`).
pub fn provider(
    endpoint: &str,
    service_name: &str,
) -> Result<SdkTracerProvider, opentelemetry_otlp::ExporterBuildError> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(format!("{endpoint}/v1/traces"))
        .with_timeout(EXPORT_TIMEOUT)
        .build()?;
    let resource = Resource::builder()
        .with_service_name(service_name.to_string())
        .with_attributes([
            opentelemetry::KeyValue::new("service.version", env!("CARGO_PKG_VERSION")),
            opentelemetry::KeyValue::new("vcs.ref.head.revision", super::COMMIT),
        ])
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

/// The `tracing` layer that hands spans to `provider`.
pub fn layer<S>(
    provider: &SdkTracerProvider,
) -> tracing_opentelemetry::OpenTelemetryLayer<S, opentelemetry_sdk::trace::Tracer>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    tracing_opentelemetry::layer().with_tracer(provider.tracer("portal"))
}

/// Keeps the exporter alive; dropping it sends what is still buffered (bounded by the export
/// timeout) and stops the exporter's thread. `main` holds it until the process ends.
#[must_use = "dropping the guard stops the trace exporter"]
pub struct Guard(pub(crate) Option<SdkTracerProvider>);

impl Guard {
    /// Sends the spans that have ended so far, now (tests read them right after).
    pub fn flush(&self) {
        if let Some(p) = &self.0 {
            if let Err(e) = p.force_flush() {
                tracing::warn!(error = %e, "traces not sent");
            }
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            if let Err(e) = p.shutdown() {
                eprintln!("traces not sent at exit: {e}");
            }
        }
    }
}
