//! Security headers on every response (rules in `shared/security.md`, "Embedding").
//!
//! HTML responses get a `Content-Security-Policy` whose `frame-ancestors` lists the origins
//! allowed to embed the portal (`PORTAL_FRAME_ANCESTORS`), and whose `script-src` carries a
//! fresh nonce per request: the shell hands the same nonce to Leptos, which puts it on the
//! hydration scripts. No `X-Frame-Options`: it cannot express an allow-list and would
//! override `frame-ancestors` in old browsers.

use std::sync::Arc;

use app::{config::Config, state::CspNonce};
use axum::{
    extract::{Request, State},
    http::{header, HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};
use rand::RngCore;

pub fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn content_security_policy(config: &Config, nonce: &str) -> String {
    let mut ancestors = String::from("'self'");
    for origin in &config.frame_ancestors {
        ancestors.push(' ');
        ancestors.push_str(origin);
    }
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
    )
}

pub async fn headers(State(config): State<Arc<Config>>, mut req: Request, next: Next) -> Response {
    let nonce = new_nonce();
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut res = next.run(req).await;

    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"));
    let h = res.headers_mut();
    if is_html {
        if let Ok(csp) = HeaderValue::from_str(&content_security_policy(&config, &nonce)) {
            h.insert(header::CONTENT_SECURITY_POLICY, csp);
        }
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(
            "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
        ),
    );
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin-allow-popups"),
    );
    if config.public_url.starts_with("https://") {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}
