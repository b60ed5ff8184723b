//! The router's outermost layer: a request id and a count for every request.

use std::{net::SocketAddr, sync::Arc, time::Instant};

use app::config::Config;
use axum::{
    extract::{ConnectInfo, MatchedPath, Request, State},
    http::{HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};
use tracing::Instrument;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A request's id, in the request's extensions for whatever wants to show it (an error page's
/// "quote this reference", `AppError::internal`).
pub use app::error::RequestId;

/// The id a trusted proxy gave (a short token of letters, digits, `-`, `_`, `.`; at most 64),
/// else a new one. An id from anyone else is ignored: a client must not be able to plant one
/// that collides with another person's log lines.
fn request_id(req: &Request, trusted: &[app::config::Cidr]) -> String {
    let from_proxy = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|ConnectInfo(peer)| trusted.iter().any(|c| c.contains(peer.ip())));
    if from_proxy {
        if let Some(id) = req
            .headers()
            .get(&REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .filter(|id| RequestId::is_valid(id))
        {
            return id.to_string();
        }
    }
    uuid::Uuid::new_v4().simple().to_string()
}

/// The route template the router matched (`/members`, `/api/invite`, `/lang/{code}`), or
/// `unmatched` for what only the fallback answered (files of `public/`, 404s): the label stays
/// bounded whatever paths clients try. (A layer added with `Router::layer` wraps each route,
/// so the match is known here.)
fn route(req: &Request) -> String {
    req.extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string())
}

/// Gives the request its id and span, answers with `x-request-id`, and counts it.
pub async fn layer(State(config): State<Arc<Config>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(&req, &config.trusted_proxies);
    let method = req.method().clone();
    let route = route(&req);
    // The route's template, not the path: a path may carry an id or a search.
    // `otel.*` name and kind the span when it is exported as a trace (`super::traces`).
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %method,
        route = %route,
        status = tracing::field::Empty,
        otel.name = %format_args!("{method} {route}"),
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
    );
    let mut req = req;
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut res = next.run(req).instrument(span.clone()).await;
    let took = started.elapsed();
    let status = res.status().as_u16();
    span.record("status", status);
    if status >= 500 {
        span.record("otel.status_code", "ERROR");
    }
    // One line per request (debug; a 5xx at error), inside the request's span. Never the
    // path or the query: an invitation's token is in its path.
    if status >= 500 {
        tracing::error!(parent: &span, status, ms = took.as_millis() as u64, "answered with a server error");
    } else {
        tracing::debug!(parent: &span, status, ms = took.as_millis() as u64, "answered");
    }
    app::metrics::http_request(&route, method_label(&method), status, took);
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    res
}

/// The span of a server function (`/api/<name>`), inside the request's: a trace shows the
/// function apart from the layers around it (session check, compression). Debug level, so it
/// costs nothing unless traces or debug logs are on.
pub async fn server_fn(req: Request, next: Next) -> Response {
    let name = req
        .extensions()
        .get::<MatchedPath>()
        .and_then(|m| m.as_str().strip_prefix("/api/"))
        .map(str::to_owned);
    match name {
        Some(name) => {
            let span = tracing::debug_span!("server_fn", name = %name, otel.name = %format_args!("server_fn {name}"));
            next.run(req).instrument(span).await
        }
        None => next.run(req).await,
    }
}

fn method_label(m: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
