//! The HTTP doors: the router (Leptos pages and server functions, static files, health
//! checks, the language switch, the signed ingestion API), its layers, and graceful shutdown.

mod handlers;
pub mod ingest;
mod replicas;
pub mod security;
pub mod session;

use handlers::{cache_control, dev_mailbox, readyz, status_of_app_errors, switch_language};

use std::{future::IntoFuture, sync::Arc};

use app::{
    config::{Config, Limits},
    crypto::SecretKey,
    db::Db,
    mailer::Mailer,
    shell,
    state::AppState,
    App,
};
use axum::{http::header, routing::get, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;

/// Name of the WASM crate: Trunk writes `/pkg/frontend-<hash>.js` and
/// `/pkg/frontend-<hash>_bg.wasm`; the shell links the names `pkg/assets.json` gives
/// (`app::assets`).
const OUTPUT_NAME: &str = "frontend";

pub fn app_state(db: Db, config: Arc<Config>, key: SecretKey, mailer: Mailer) -> AppState {
    let leptos_options = LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .site_root(config.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(config.listen)
        .build();
    let limits = Limits {
        global_sends_per_hour: config.send_budget_per_hour,
    };
    AppState {
        leptos_options,
        assets: Arc::new(app::assets::Assets::load(&config.site_root)),
        reads: app::replicas::Reads::primary_only(db.clone()),
        db,
        config,
        key,
        limits,
        mailer: Arc::new(mailer),
        mail_notify: Arc::new(tokio::sync::Notify::new()),
        permits_notify: Arc::new(tokio::sync::Notify::new()),
        draining: Arc::default(),
    }
}

/// `state` with the read replicas of `DATABASE_READ_URLS` (and their watcher) when the
/// configuration names any; unchanged otherwise.
pub fn with_replicas(mut state: AppState) -> Result<AppState, String> {
    if !state.config.database_read_urls.is_empty() {
        state.reads = app::replicas::Reads::connect(
            state.db.clone(),
            &state.config.database_read_urls,
            state.config.read_max_lag,
        )
        .map_err(|e| format!("DATABASE_READ_URLS: {e}"))?;
        tracing::info!(
            replicas = state.config.database_read_urls.len(),
            "reads that may be a moment old go to the read replicas"
        );
    }
    Ok(state)
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let ctx_state = state.clone();
    // Export chunks built ahead of their request (`history::ahead`): one store per router,
    // its own context so that `AppState` names no domain type.
    let read_ahead = app::history::ahead::ReadAhead::default();
    let provide_state = move || {
        provide_context(ctx_state.clone());
        provide_context(read_ahead.clone());
    };
    let mut router = Router::new();
    if state.mailer.is_dev() {
        router = router.route("/dev/mailbox", get(dev_mailbox));
    }
    router
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        // The back office's signed API: outside the session layer (see session::layer).
        .nest("/ingest/v1", ingest::router())
        .route("/lang/{code}", get(switch_language))
        .route(
            "/members/template.csv",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                        (
                            header::CONTENT_DISPOSITION,
                            "attachment; filename=\"inbjudningar.csv\"",
                        ),
                    ],
                    app::csv_io::read::TEMPLATE,
                )
            }),
        )
        .leptos_routes_with_context(&state, routes, provide_state.clone(), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        // The bundle: the brotli or gzip copy made at build time when the browser takes it
        // (scripts/site-assets.mjs), never compressed again per request.
        .nest_service(
            "/pkg",
            tower_http::services::ServeDir::new(state.config.site_root.join(app::assets::PKG_DIR))
                .precompressed_br()
                .precompressed_gzip(),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(provide_state, shell))
        // Innermost: a server function's own span (`/api/<name>`), for traces.
        .layer(axum::middleware::from_fn(crate::observe::http::server_fn))
        .layer(axum::middleware::from_fn(status_of_app_errors))
        .layer(axum::middleware::from_fn_with_state(
            state.assets.clone(),
            cache_control,
        ))
        // Inside the session layer: only a request that passed its checks marks a write.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            replicas::read_your_writes,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.config.clone(),
            security::headers,
        ))
        // The fastest level: most of what is compressed is JSON made on the fly (pages are
        // small), where a higher level costs more server time than it saves on the wire.
        .layer(CompressionLayer::new().quality(tower_http::CompressionLevel::Fastest))
        // Outermost: the request id, the span every log line of the request carries, a log
        // line per answer, and the request's count and time by route (`crate::observe`).
        // (Not tower-http's TraceLayer: its span holds the URI, and an invitation's token is
        // in its path.)
        .layer(axum::middleware::from_fn_with_state(
            state.config.clone(),
            crate::observe::http::layer,
        ))
        .with_state(state)
}

pub async fn serve(state: AppState) -> Result<(), Box<dyn std::error::Error>> {
    serve_until(state, shutdown_signal()).await
}

/// Serves until `stop` completes (SIGTERM or Ctrl-C for the binary, a test's signal), then
/// drains and stops in order, each step bounded:
///
/// 1. **Drain** (`PORTAL_DRAIN_SECONDS`): `/readyz` answers 503 while every request is still
///    served, so the load balancer's health check takes the instance out before it stops
///    listening. A second signal ends the wait.
/// 2. **Stop listening** and finish the requests in flight, for at most
///    `PORTAL_SHUTDOWN_TIMEOUT`; then exit anyway (logged).
/// 3. **Stop the jobs**: each finishes the delivery it is in, hands back the outbox messages
///    it claimed and never attempted (another instance sends them at once), and ends; a job
///    still busy after the same bound is abandoned (its claims run out and are retaken).
/// 4. Close the metrics listener and the database pool.
pub async fn serve_until(
    state: AppState,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), Box<dyn std::error::Error>> {
    let listen = state.config.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("PORTAL_LISTEN: cannot listen on {listen}: {e}"))?;
    // The metrics on their own address, never through the portal's router.
    let (stop_metrics, metrics_stopped) = tokio::sync::oneshot::channel::<()>();
    let metrics = match state.config.metrics_listen {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| format!("PORTAL_METRICS_LISTEN: cannot listen on {addr}: {e}"))?;
            tracing::info!("metrics on http://{addr}/metrics");
            let handle = crate::observe::install();
            Some(tokio::spawn(crate::observe::endpoint::serve(
                listener,
                handle,
                state.db.clone(),
                state.config.send_budget_per_hour,
                async move {
                    let _ = metrics_stopped.await;
                },
            )))
        }
        None => None,
    };
    let (stop_jobs, jobs_stop) = crate::jobs::Stop::new();
    let jobs = crate::jobs::spawn_all(&state, &jobs_stop);
    tracing::info!("portal listening on http://{listen}");
    println!("\n  Portal: http://{listen}/\n");
    if state.mailer.is_dev() {
        println!("  Dev mailer: read sign-in codes at http://{listen}/dev/mailbox (never printed here)\n");
    }
    let db = state.db.clone();
    let (drain, bound) = (state.config.drain, state.config.shutdown_timeout);
    let draining = state.draining.clone();
    let stopped_listening = Arc::new(tokio::sync::Notify::new());
    let stop_listening = {
        let stopped_listening = stopped_listening.clone();
        async move {
            stop.await;
            draining.store(true, std::sync::atomic::Ordering::SeqCst);
            if !drain.is_zero() {
                tracing::info!(
                    seconds = drain.as_secs(),
                    "draining: /readyz answers 503, requests are still served"
                );
                tokio::select! {
                    () = tokio::time::sleep(drain) => {}
                    () = shutdown_signal() => tracing::info!("second signal: drain cut short"),
                }
            }
            tracing::info!("no longer accepting connections; finishing requests in flight");
            stopped_listening.notify_one();
        }
    };
    let server = axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(stop_listening)
    .into_future();
    tokio::select! {
        r = server => r?,
        () = async {
            stopped_listening.notified().await;
            tokio::time::sleep(bound).await;
        } => tracing::warn!(seconds = bound.as_secs(), "requests still in flight after the shutdown timeout: stopping anyway"),
    }
    let _ = stop_jobs.send(true);
    let deadline = tokio::time::Instant::now() + bound;
    for job in jobs {
        if tokio::time::timeout_at(deadline, job).await.is_err() {
            tracing::warn!(
                seconds = bound.as_secs(),
                "background jobs still busy after the shutdown timeout: abandoned (their claims run out and are retaken)"
            );
            break;
        }
    }
    let _ = stop_metrics.send(());
    if let Some(m) = metrics {
        let _ = m.await;
    }
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// The first SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
