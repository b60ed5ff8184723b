//! The session and CSRF middleware (rules: `shared/security.md`, "Web sessions" and "CSRF").
//!
//! For every request it loads the session named by the `__Host-portal_session` cookie (if it
//! is still valid), slides its idle expiry at most once a minute, and hands it to the app in
//! the request's extensions. A visitor who opens the sign-in page without a session gets a
//! pre-session, whose CSRF token covers the sign-in forms. A pre-session is a signed cookie
//! and nothing else until the visitor asks for a code (`crypto::new_pre_session_token`): a
//! plain GET of the sign-in page writes nothing, however many arrive.
//!
//! Every non-GET request must (1) come from our own origin — `Sec-Fetch-Site: same-origin`,
//! or, without that header, an `Origin` equal to `PORTAL_PUBLIC_URL`'s — and (2) carry the
//! session's CSRF token in the `x-csrf-token` header or the `csrf_token` form field.
//! Anything else is refused with 403 before it reaches a server function.

use std::{net::SocketAddr, pin::Pin, time::Duration};

use app::{
    auth::{service, store, ClientIp, RequestSession, CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE},
    crypto,
    db::now_ts,
    i18n::Lang,
    state::AppState,
};
use axum::{
    body::{Body, Bytes, HttpBody},
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// The largest request body any endpoint takes (a bulk invitation CSV of at most 1 MB, as a
/// form or JSON, fits). A larger one is refused with 413 before it is read, or as soon as
/// the limit is passed when no `Content-Length` says so in advance.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// Before sign-in (an address, a code) nothing is large; a pre-session is free to get.
pub const MAX_PRE_SESSION_BODY_BYTES: usize = 16 * 1024;
/// A signed-in browser uploading a file over the limit is still sending when the server
/// decides. Answering and closing at once would leave its bytes unread, the kernel would reset
/// the connection, and the browser would show a network error instead of the message. So the
/// rest of an oversized body is read and thrown away first (nginx's "lingering close"), up to
/// this much and for this long; past either the connection is simply closed.
pub const DRAIN_BYTES: u64 = 64 * 1024 * 1024;
pub const DRAIN_TIME: Duration = Duration::from_secs(30);

/// A pre-session cookie is accepted this long after it was issued (the visitor may take a
/// while to open the mail); once a code is asked for, the row's own expiries apply.
const PRE_SESSION_LIFETIME: i64 = service::ABSOLUTE_TIMEOUT;

pub(super) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            c.trim()
                .strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('='))
        })
}

/// Rule 1: the request comes from the portal's own pages.
pub fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some(site) => site == "same-origin",
        None => headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) == Some(public_url),
    }
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded_pairs(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn form_urlencoded_pairs(body: &[u8]) -> impl Iterator<Item = (String, String)> + '_ {
    body.split(|&b| b == b'&').filter_map(|pair| {
        let mut it = pair.splitn(2, |&b| b == b'=');
        let k = decode(it.next()?)?;
        let v = decode(it.next().unwrap_or_default())?;
        Some((k, v))
    })
}

fn decode(s: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(s.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// 413 with a message in the visitor's language: a plain form post gets a small page with a
/// way back, a script gets the text.
fn too_large(headers: &HeaderMap, limit: usize, css_href: &str) -> Response {
    let lang = app::i18n::request_lang(headers);
    let t = lang.texts();
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    tracing::info!(limit, "refused a request body over the limit");
    // Back to the page the form was on, when the browser says which (and it is ours).
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
        .and_then(app::url::local_path)
        .map_or_else(|| "/".to_owned(), app::url::encode_unsafe);
    let mut res = if wants_html {
        let html = format!(
            "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
             content=\"width=device-width, initial-scale=1\"><title>{}</title><link rel=\"stylesheet\" \
             href=\"{}\"></head><body><main class=\"page narrow\"><h1>{}</h1><p role=\"alert\">{}</p>\
             <p><a class=\"button\" href=\"{}\">{}</a> <a href=\"/\">{}</a></p></main></body></html>",
            lang.code(),
            t.body_too_large_title,
            css_href,
            t.body_too_large_title,
            t.body_too_large,
            app::html::escape_html(&back),
            t.go_back,
            t.back_to_start,
        );
        axum::response::Html(html).into_response()
    } else {
        t.body_too_large.into_response()
    };
    *res.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    res
}

/// The body's bytes if there are at most `limit` of them; `None` as soon as the limit is
/// passed (what was read is dropped, the rest stays in `body`) or the client goes away.
async fn read_at_most(body: &mut Body, limit: usize) -> Option<Bytes> {
    let mut kept: Vec<u8> = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await {
        if let Ok(data) = frame.ok()?.into_data() {
            if kept.len() + data.len() > limit {
                return None;
            }
            kept.extend_from_slice(&data);
        }
    }
    Some(Bytes::from(kept))
}

/// Reads what is left of a refused body and throws it away, so the client can read the answer
/// (`DRAIN_BYTES`); gives up past `DRAIN_BYTES` or `DRAIN_TIME`.
async fn drain(mut body: Body) {
    let mut seen: u64 = 0;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        while let Some(Ok(frame)) =
            std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
        {
            seen += frame.data_ref().map_or(0, |d| d.len() as u64);
            if seen > DRAIN_BYTES {
                return;
            }
        }
    })
    .await;
}

fn forbidden(why: &'static str) -> Response {
    tracing::info!(why, "refused a cross-site or tokenless request");
    (StatusCode::FORBIDDEN, why).into_response()
}

/// The session lookup failed. While the database cannot be reached (a restart, a failover)
/// that is a 503 with `Retry-After`, said at once, rather than treating a signed-in person as
/// a stranger (before, the failure was logged and the request went on without a session: a
/// 401, a redirect to sign-in, or a sign-in page that then failed); anything else is a 500.
fn lookup_failed(err: sqlx::Error) -> Response {
    use app::error::AppError;
    // The one classification (and its log line): `AppError::from`.
    let err = AppError::from(err);
    // Before the session is known there is no language: both, from the pages' own texts.
    let both = |text: fn(Lang) -> &'static str| format!("{}\n{}\n", text(Lang::Sv), text(Lang::En));
    if err == AppError::Unavailable {
        let retry = app::error::UNAVAILABLE_RETRY_AFTER.to_string();
        let message = both(|l| l.texts().err_unavailable);
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(axum::http::header::RETRY_AFTER, retry)],
            message,
        )
            .into_response()
    } else {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            both(|l| l.texts().error_generic),
        )
            .into_response()
    }
}

/// Static files and health checks carry no personal data and need no session: they skip the
/// session lookup (one database query per request otherwise, for every asset of every page).
fn is_sessionless(method: &Method, path: &str) -> bool {
    matches!(*method, Method::GET | Method::HEAD)
        && (path.starts_with("/pkg/")
            || path == "/favicon.ico"
            || path == "/healthz"
            || path == "/readyz")
}

/// The front desk page's 20-second refresh (`GET /api/front_desk?choices=false`; the page's
/// first load asks with `choices=true`).
fn is_background_refresh(parts: &axum::http::request::Parts) -> bool {
    parts.method == Method::GET
        && parts.uri.path() == "/api/front_desk"
        && parts
            .uri
            .query()
            .is_some_and(|q| q.split('&').any(|p| p == "choices=false"))
}

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if is_sessionless(req.method(), req.uri().path()) {
        return next.run(req).await;
    }
    // The ingestion API is server-to-server and signed (app::auth::ingest): no cookie is read
    // or set there and no CSRF token applies; every one of its handlers checks the signature.
    if req.uri().path().starts_with("/ingest/") {
        return next.run(req).await;
    }
    let now = now_ts();
    let (mut parts, body) = req.into_parts();

    let mut session = None;
    let mut membership = None;
    let token = cookie(&parts.headers, SESSION_COOKIE).unwrap_or_default();
    if let Some(hash) = crypto::parse_token(token) {
        match store::find_session(&state.db, &hash, now).await {
            Ok(Some((row, m))) => {
                // The limits are those of the role the session acts with now (the front
                // desk's working day, everyone else's 30 minutes / 8 hours).
                let role = m.as_ref().map(|m| m.role);
                if !service::outlived(&row, role, now) {
                    // A page's own refresh is not a person at work: it keeps only the front
                    // desk's working-day session alive, which exists for exactly that.
                    let counts = !is_background_refresh(&parts)
                        || role == Some(app::companies::Role::FrontDesk);
                    if let Some(idle) = service::slide(&row, role, now).filter(|_| counts) {
                        let _ = store::touch_session(&state.db, &row.token_hash, now, idle).await;
                    }
                    session = Some(row);
                    membership = m;
                }
            }
            Ok(None) => {
                // Not in the database: a pre-session cookie the server signed (no row until
                // a code is asked for), or nothing.
                // A minute's grace for another instance whose clock runs ahead.
                if let Some(issued) = crypto::pre_session_issued_at(&state.key, token)
                    .filter(|&t| t <= now + 60 && now < t + PRE_SESSION_LIFETIME)
                {
                    session = Some(service::pre_session_row(
                        hash,
                        issued + PRE_SESSION_LIFETIME,
                        now,
                    ));
                }
            }
            Err(e) => return lookup_failed(e),
        }
    }

    // A visitor on the sign-in page gets a pre-session (and with it a CSRF token): a signed
    // cookie, no database write. So does one who opens a mail's unsubscribe link, whose
    // button must work without signing in.
    let mut new_cookie = None;
    let path = parts.uri.path();
    if session.is_none()
        && parts.method == Method::GET
        && (path == "/sign-in" || path.starts_with("/sign-in/") || path == "/notices/unsubscribe")
    {
        let (token, hash) = crypto::new_pre_session_token(&state.key, now);
        new_cookie = Some(app::auth::session_cookie(&token));
        session = Some(service::pre_session_row(
            hash,
            now + PRE_SESSION_LIFETIME,
            now,
        ));
    }

    let body = if matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        body
    } else {
        if !same_origin(&parts.headers, &state.config.public_url) {
            return forbidden("cross-site request refused");
        }
        let Some(row) = &session else {
            return forbidden("no session: reload the page");
        };
        // A token in the header is checked before the body is read: a request without a
        // valid one costs no memory.
        let header_token = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if header_token.is_some_and(|t| !crypto::csrf_matches(&state.key, &row.token_hash, t)) {
            return forbidden("missing or wrong CSRF token: reload the page");
        }
        // Every body is read here, within the limit, so an oversized one is a prompt 413
        // with a message rather than an error from deep inside a server function. Anyone can
        // have a pre-session, so before sign-in the limit is small.
        let limit = if row.user_id.is_some() {
            MAX_BODY_BYTES
        } else {
            MAX_PRE_SESSION_BODY_BYTES
        };
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        // Only a signed-in session's refused body is drained (a browser's upload); before
        // sign-in nothing large is ever sent, and one declared beyond the drain limit would
        // be cut off anyway.
        let drains = row.user_id.is_some() && declared.is_none_or(|n| n <= DRAIN_BYTES);
        let mut body = body;
        let bytes = match declared {
            Some(n) if n > limit as u64 => None,
            _ => read_at_most(&mut body, limit).await,
        };
        let Some(bytes) = bytes else {
            if drains {
                drain(body).await;
            }
            return too_large(&parts.headers, limit, &state.assets.css_href());
        };
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        let submitted = match parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
            Some(token) => Some(token.to_owned()),
            None if is_form => form_field(&bytes, CSRF_FIELD),
            None => None,
        };
        let body = Body::from(bytes);
        if !submitted.is_some_and(|t| crypto::csrf_matches(&state.key, &row.token_hash, &t)) {
            return forbidden("missing or wrong CSRF token: reload the page");
        }
        body
    };

    if let Some(row) = session.clone() {
        let csrf = crypto::csrf_token(&state.key, &row.token_hash);
        parts.extensions.insert(RequestSession {
            row,
            membership,
            csrf,
        });
    }
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(
            || "unknown".to_owned(),
            |c| {
                let forwarded: Vec<&str> = parts
                    .headers
                    .get_all("x-forwarded-for")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .collect();
                app::config::client_ip(c.0.ip(), &forwarded, &state.config.trusted_proxies)
                    .to_string()
            },
        );
    parts.extensions.insert(ClientIp(ip));

    let mut res = next.run(Request::from_parts(parts, body)).await;
    if let Some(c) = new_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    // Personal data and cookies must not be cached anywhere.
    if session.is_some() || res.headers().contains_key(header::SET_COOKIE) {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csrf_field_is_found_in_a_form_body() {
        let body = b"email=anna%40example.se&csrf_token=ab12&x=1+2";
        assert_eq!(form_field(body, "csrf_token").as_deref(), Some("ab12"));
        assert_eq!(
            form_field(body, "email").as_deref(),
            Some("anna@example.se")
        );
        assert_eq!(form_field(body, "x").as_deref(), Some("1 2"));
        assert_eq!(form_field(body, "nope"), None);
    }

    #[test]
    fn same_origin_prefers_fetch_metadata_then_origin() {
        let mut h = HeaderMap::new();
        assert!(
            !same_origin(&h, "http://127.0.0.1:3000"),
            "neither header: refused"
        );
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:3000"),
        );
        assert!(same_origin(&h, "http://127.0.0.1:3000"));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(
            !same_origin(&h, "http://127.0.0.1:3000"),
            "fetch metadata wins"
        );
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(same_origin(&h, "http://127.0.0.1:3000"));
        let mut h = HeaderMap::new();
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.example"),
        );
        assert!(!same_origin(&h, "http://127.0.0.1:3000"));
    }

    #[test]
    fn only_safe_requests_for_static_files_skip_the_session() {
        assert!(is_sessionless(&Method::GET, "/pkg/frontend_bg.wasm"));
        assert!(is_sessionless(&Method::GET, "/readyz"));
        assert!(
            !is_sessionless(&Method::POST, "/pkg/x"),
            "a POST is always checked"
        );
        assert!(!is_sessionless(&Method::GET, "/members"));
        assert!(!is_sessionless(&Method::GET, "/api/session"));
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("portal_lang=en; __Host-portal_session=abc; x=y"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "__Host-portal_sessio"), None);
    }
}
