//! The ingestion API's HTTP side (`/ingest/v1/…`): server-to-server, JSON, signed by the back
//! office (`app::auth::ingest`), never served to browsers — no cookies, no CORS, outside the
//! session layer and its CSRF check (the signature replaces both), its own body limit.
//!
//! Issue 13 builds the resources (sessions, invoices, facilities, app users) on this door; so
//! far there is `POST /ingest/v1/ping`, which answers whether a request is signed right (the
//! back office's first call while it wires up its signing).

use app::{
    auth::ingest::{self, Signed},
    state::AppState,
};
use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Router,
};

/// A batch of 1,000 records is ~0.5 MB of JSON; 8 MB leaves room and stops a flood.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new().route("/ping", post(ping)).fallback(|| async {
        json_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such ingestion resource".into(),
        )
    })
}

fn json_error(status: StatusCode, error: &str, reason: String) -> Response {
    let body = serde_json::json!({ "error": error, "reason": reason }).to_string();
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// Reads the body within the limit and checks the signature; the body comes back for the
/// handler (the signature covers exactly these bytes).
async fn signed_body(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<axum::body::Bytes, Response> {
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return Err(json_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("a request body may be at most {MAX_BODY_BYTES} bytes"),
        ));
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let signed = Signed {
        key: header(ingest::KEY_HEADER),
        timestamp: header(ingest::TIMESTAMP_HEADER),
        signature: header(ingest::SIGNATURE_HEADER),
    };
    match ingest::verify(&state.config.ingest_keys, signed, &bytes, app::db::now_ts()) {
        Ok(_access) => Ok(bytes),
        Err(refusal) => {
            let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::UNAUTHORIZED);
            let error = if status == StatusCode::SERVICE_UNAVAILABLE {
                "not_configured"
            } else {
                "unauthorized"
            };
            tracing::info!(reason = %refusal.reason(), "ingestion request refused");
            Err(json_error(status, error, refusal.reason()))
        }
    }
}

async fn ping(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    match signed_body(&state, &parts.headers, body).await {
        Ok(_) => (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            r#"{"ok":true}"#,
        )
            .into_response(),
        Err(refused) => refused,
    }
}

#[cfg(test)]
mod tests {
    use std::{collections::HashMap, sync::Arc};

    use app::{
        auth::crypto::{ingest_signature, SecretKey},
        config::Config,
        db::Backend,
        mail::Mailer,
        testing::TestDb,
    };
    use axum::http::{header, Request};
    use tower::ServiceExt;

    use super::*;
    use crate::http::{app_state, router as portal_router};

    const OLD: &str = "the old secret of the back office 32+";
    const NEW: &str = "the new secret of the back office 32+";

    async fn portal(keys: Option<&str>) -> (TestDb, Router) {
        let t = TestDb::fresh(Backend::Sqlite).await;
        let mut vars = HashMap::new();
        if let Some(k) = keys {
            vars.insert("PORTAL_INGEST_KEYS".to_owned(), k.to_owned());
        }
        let config = Arc::new(Config::from_vars(&vars).unwrap());
        let key = SecretKey::new(*b"test key, 32 bytes or more......").unwrap();
        let app = portal_router(app_state(t.db.clone(), config, key, Mailer::dev()));
        (t, app)
    }

    async fn ping(
        app: &Router,
        key: &str,
        secret: &str,
        at: i64,
        body: &str,
        sent: &str,
    ) -> (StatusCode, HeaderMap, String) {
        let ts = at.to_string();
        let req = Request::post("/ingest/v1/ping")
            .header(ingest::KEY_HEADER, key)
            .header(ingest::TIMESTAMP_HEADER, &ts)
            .header(
                ingest::SIGNATURE_HEADER,
                ingest_signature(secret, &ts, body.as_bytes()),
            )
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(sent.to_owned()))
            .unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, headers, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn signatures_good_stale_wrong_rotated_and_tampered() {
        let now = app::db::now_ts();
        let body = r#"{"hello":"portal"}"#;
        let (_t, app) = portal(Some(&format!("old={OLD},new={NEW}"))).await;
        // Good, with either live key (rotation): 200, no cookie, no CSRF needed.
        for (key, secret) in [("old", OLD), ("new", NEW)] {
            let (status, headers, text) = ping(&app, key, secret, now, body, body).await;
            assert_eq!(status, StatusCode::OK, "{key}: {text}");
            assert!(headers.get(header::SET_COOKIE).is_none(), "never a cookie");
        }
        let refused = |(status, _, text): (StatusCode, HeaderMap, String), what: &str| {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {text}");
            assert!(text.contains(what), "{text} names {what}");
        };
        refused(
            ping(&app, "new", NEW, now - 301, body, body).await,
            "x-portal-timestamp",
        );
        refused(
            ping(&app, "new", NEW, now + 301, body, body).await,
            "x-portal-timestamp",
        );
        refused(
            ping(&app, "new", OLD, now, body, body).await,
            "x-portal-signature",
        );
        refused(
            ping(&app, "gone", NEW, now, body, body).await,
            "x-portal-key",
        );
        refused(
            ping(&app, "new", NEW, now, body, r#"{"hello":"tampered"}"#).await,
            "x-portal-signature",
        );
        // Unsigned.
        let res = app
            .clone()
            .oneshot(
                Request::post("/ingest/v1/ping")
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

        // The old key retired: it stops working, the new one goes on.
        let (_t2, app) = portal(Some(&format!("new={NEW}"))).await;
        refused(
            ping(&app, "old", OLD, now, body, body).await,
            "x-portal-key",
        );
        assert_eq!(
            ping(&app, "new", NEW, now, body, body).await.0,
            StatusCode::OK
        );
    }

    #[tokio::test]
    async fn without_keys_the_api_says_why_with_503() {
        let (_t, app) = portal(None).await;
        let now = app::db::now_ts();
        let (status, _, text) = ping(&app, "k", NEW, now, "{}", "{}").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{text}");
        assert!(text.contains("PORTAL_INGEST_KEYS"), "{text}");
    }
}
