//! The HTTP side: the router (Leptos pages and server functions, static files, health
//! checks, the language switch), its layers, and graceful shutdown.

use std::sync::Arc;

use app::{config::Config, db::Db, i18n::Lang, shell, state::AppState, App};
use axum::{
    extract::{Path, Query, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::get,
    Router,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::{compression::CompressionLayer, trace::TraceLayer};

/// Name of the WASM crate: Trunk writes `/pkg/frontend.js` and `/pkg/frontend_bg.wasm`, and
/// `<HydrationScripts/>` asks for exactly those (see the naming trap in toolchain.md).
const OUTPUT_NAME: &str = "frontend";

pub fn app_state(db: Db, config: Arc<Config>) -> AppState {
    let leptos_options = LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .site_root(config.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(config.listen)
        .build();
    AppState {
        leptos_options,
        db,
        config,
    }
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let ctx_state = state.clone();
    let provide_state = move || provide_context(ctx_state.clone());
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/lang/{code}", get(switch_language))
        .leptos_routes_with_context(&state, routes, provide_state.clone(), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(provide_state, shell))
        .layer(axum::middleware::from_fn_with_state(
            state.config.clone(),
            crate::security::headers,
        ))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn readyz(State(state): State<AppState>) -> Response {
    if state.db.is_ready().await {
        "ready".into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "database unreachable or migrations pending",
        )
            .into_response()
    }
}

#[derive(serde::Deserialize)]
struct Next {
    next: Option<String>,
}

/// `GET /lang/en?next=/facilities?q=x`: remembers the language in a cookie and goes back.
/// `next` must be a local path, so this is no open redirect.
async fn switch_language(Path(code): Path<String>, Query(q): Query<Next>) -> Response {
    let Some(lang) = Lang::from_code(&code) else {
        return (StatusCode::NOT_FOUND, "unknown language").into_response();
    };
    let next = q
        .next
        .filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\"))
        .unwrap_or_else(|| "/".into());
    // SameSite=None + Partitioned: the portal is embedded cross-site, and the choice must
    // stick inside the host page's iframe too.
    let cookie = format!(
        "{}={}; Path=/; Max-Age=31536000; Secure; SameSite=None; Partitioned",
        app::i18n::LANG_COOKIE,
        lang.code()
    );
    let mut res = Redirect::to(&next).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

pub async fn serve(db: Db, config: Arc<Config>) -> Result<(), Box<dyn std::error::Error>> {
    let listen = config.listen;
    let state = app_state(db.clone(), config);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("PORTAL_LISTEN: cannot listen on {listen}: {e}"))?;
    tracing::info!("portal listening on http://{listen}");
    println!("\n  Portal: http://{listen}/\n");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

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
