//! The router's own small routes and layers: readiness, the dev mailbox of a local run, the
//! language switch, HTTP statuses of server-function errors, and cache headers.

use std::sync::Arc;

use app::{html::escape_html, i18n::Lang, mailer::Mailer, state::AppState};
use axum::{
    extract::{Path, Query, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
};

/// Gives every server-function error the HTTP status of its `AppError` (`AppError::status`).
/// The functions' own errors already carry it (`answer`), but an error the server-function
/// machinery raises before the body runs — arguments that do not decode — leaves leptos
/// answering 500. Only `/api/` 500s are read (their bodies are small JSON).
pub(super) async fn status_of_app_errors(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if !api || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
    };
    if let Ok(err) = serde_json::from_slice::<app::error::AppError>(&bytes) {
        parts.status = StatusCode::from_u16(err.status()).unwrap_or(parts.status);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// How long a browser may keep a response, where the handler did not say: the bundle's
/// hashed files a year (`immutable`), other static files and every page `no-cache` (stored,
/// but asked again each time: a page is made per request and per person). Pages with personal
/// data say `no-store` themselves (session layer), which is kept.
pub(super) async fn cache_control(
    State(assets): State<Arc<app::assets::Assets>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    // Decided before the request moves on, from the path alone (no copy of it is kept).
    let path = req.uri().path();
    let pkg = path
        .starts_with("/pkg/")
        .then(|| assets.cache_control(path));
    let favicon = path == "/favicon.ico";
    let mut res = next.run(req).await;
    if pkg.is_some() && !res.headers().contains_key(header::VARY) {
        // The bundle is served as its brotli, gzip or plain copy by `Accept-Encoding`
        // (ServeDir's precompressed files do not say so themselves).
        res.headers_mut()
            .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    let ok = res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED;
    if !ok || res.headers().contains_key(header::CACHE_CONTROL) {
        return res;
    }
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"));
    let value = if let Some(value) = pkg {
        value
    } else if is_html || favicon {
        app::assets::REVALIDATE
    } else {
        return res;
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    res
}

pub(super) async fn readyz(State(state): State<AppState>) -> Response {
    if state.draining.load(std::sync::atomic::Ordering::SeqCst) {
        (StatusCode::SERVICE_UNAVAILABLE, "draining: shutting down").into_response()
    } else if state.db.is_ready().await {
        "ready".into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "database unreachable or migrations pending",
        )
            .into_response()
    }
}

/// The dev mailer's mailbox: the last messages it "sent", newest first. Only routed when the
/// dev mailer runs, which the configuration allows only for a local run or with
/// `PORTAL_DEV_MAILER=true` (`config::Config::local_run`), so it never shows real mail.
pub(super) async fn dev_mailbox(
    State(state): State<AppState>,
    req: axum::extract::Request,
) -> Response {
    let Mailer::Dev(mailbox) = state.mailer.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // Belt and braces for a "local run" that is really a proxy on the same host in front of
    // the portal: the page is for a browser on this machine, never for a forwarded request.
    let forwarded = req.headers().contains_key("x-forwarded-for")
        || req.headers().contains_key(header::FORWARDED);
    let remote = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .is_some_and(|c| !c.0.ip().is_loopback());
    if forwarded || remote {
        tracing::warn!("refused a forwarded or remote request for the dev mailbox");
        return StatusCode::NOT_FOUND.into_response();
    }
    let items: String = mailbox
        .messages()
        .iter()
        .map(|m| {
            format!(
                "<li class=\"facility-card\"><h2>{}</h2><p class=\"address\">{}</p><pre>{}</pre></li>",
                escape_html(&m.subject),
                escape_html(&m.to),
                escape_html(&m.text)
            )
        })
        .collect();
    let empty = if items.is_empty() {
        "<p class=\"empty\">No mail yet. Ask for a sign-in code, then reload.</p>"
    } else {
        ""
    };
    let css = state.assets.css_href();
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>Dev mailbox</title><link rel=\"stylesheet\" \
         href=\"{css}\"></head><body><main><h1>Dev mailbox</h1><p class=\"intro\">Mail the portal \
         would have sent. Shown only on a local run (or with PORTAL_DEV_MAILER=true), never in a deployment.</p>{empty}<ul class=\"facility-list\" \
         id=\"dev-mailbox\">{items}</ul></main></body></html>"
    );
    (
        [(header::CACHE_CONTROL, "no-store")],
        axum::response::Html(html),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
pub(super) struct Next {
    next: Option<String>,
}

/// `GET /lang/en?next=/facilities?q=x`: remembers the language in a cookie and goes back.
/// `next` must be a local path, so this is no open redirect.
pub(super) async fn switch_language(Path(code): Path<String>, Query(q): Query<Next>) -> Response {
    let Some(lang) = Lang::from_code(&code) else {
        return (StatusCode::NOT_FOUND, "unknown language").into_response();
    };
    let next = q
        .next
        .as_deref()
        .and_then(app::url::local_path)
        .unwrap_or("/");
    // SameSite=None + Partitioned: the portal is embedded cross-site, and the choice must
    // stick inside the host page's iframe too.
    let cookie = format!(
        "{}={}; Path=/; Max-Age=31536000; Secure; SameSite=None; Partitioned",
        app::i18n::LANG_COOKIE,
        lang.code()
    );
    let mut res = Redirect::to(&app::url::encode_unsafe(next)).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}
