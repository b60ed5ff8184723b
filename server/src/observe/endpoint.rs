//! `GET /metrics` on `PORTAL_METRICS_LISTEN`: its own listener and router, never the public
//! port's (whose router answers 404 for `/metrics`). For the operator's Prometheus only: put
//! the address on an internal network.

use app::{db::Db, metrics as m};
use axum::{extract::State, http::header, response::IntoResponse, routing::get, Router};
use metrics_exporter_prometheus::PrometheusHandle;

#[derive(Clone)]
struct Scrape {
    handle: PrometheusHandle,
    db: Db,
    send_budget_per_hour: i64,
}

/// The metrics router: `/metrics` and nothing else.
pub fn router(handle: PrometheusHandle, db: Db, send_budget_per_hour: i64) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(Scrape {
            handle,
            db,
            send_budget_per_hour,
        })
}

/// Reads what only the database knows (each outbox's depth and oldest due message; every
/// instance reports the same, alert on `max`), the pool's state, and renders everything.
async fn metrics(State(s): State<Scrape>) -> impl IntoResponse {
    let now = app::db::now_ts();
    m::readiness(s.db.is_ready().await, s.send_budget_per_hour);
    let (in_use, idle, max) = s.db.pool_state();
    m::db_pool(in_use, idle, max);
    match app::mail::store::outbox_state(&s.db, now).await {
        Ok((depth, age)) => m::outbox_state("mail", depth, age),
        Err(e) => tracing::warn!(error = %e, "metrics: could not read the mail outbox"),
    }
    match app::frontdesk::store::outbox_state(&s.db, now).await {
        Ok((depth, age)) => m::outbox_state("permits", depth, age),
        Err(e) => tracing::warn!(error = %e, "metrics: could not read the permit outbox"),
    }
    match app::policies::store::outbox_state(&s.db, now).await {
        Ok((depth, age)) => m::outbox_state("policies", depth, age),
        Err(e) => tracing::warn!(error = %e, "metrics: could not read the rules' outbox"),
    }
    s.handle.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.handle.render(),
    )
}

/// Serves the metrics router on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    handle: PrometheusHandle,
    db: Db,
    send_budget_per_hour: i64,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(handle, db, send_budget_per_hour))
        .with_graceful_shutdown(shutdown)
        .await
}
