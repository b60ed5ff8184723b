//! What the integration tests share: the companies and people a test starts with, requests
//! as a browser sends them, and signing in the way a person does (a pre-session, a code from
//! the outbox, the verify form).

use std::time::Duration;

use app::{
    auth::{SessionView, SESSION_COOKIE},
    companies::{
        store::{self as companies, CompanyRow, NewMembership},
        Email, Role,
    },
    db::Db,
    scope::CompanyScope,
    with_pool,
};
use uuid::Uuid;

/// A Swedish company (Stockholm, SEK) with this id, name and organisation number.
pub async fn insert_company(db: &Db, id: Uuid, name: &str, org_number: &str, now: i64) {
    let c = CompanyRow {
        id,
        name: name.into(),
        org_number: org_number.into(),
        time_zone: "Europe/Stockholm".into(),
        currency: "SEK".into(),
    };
    companies::insert_company(db, &c, now).await.unwrap();
}

/// A person with this address (created if new), an active member of `company` in `role`,
/// with no default cost center; their id.
pub async fn add_member(db: &Db, company: Uuid, email: &str, role: Role, now: i64) -> Uuid {
    let email = Email::parse(email).unwrap();
    let user_id = companies::upsert_user(db, Uuid::new_v4(), &email, "", now)
        .await
        .unwrap();
    let m = NewMembership {
        user_id,
        role,
        default_cost_center_id: None,
        invited_email: None,
    };
    companies::add_membership(db, CompanyScope::for_tests(company), &m, now)
        .await
        .unwrap();
    user_id
}
use axum::{
    body::{to_bytes, Body},
    http::{header, HeaderMap, Request, StatusCode},
    Router,
};
use tower::ServiceExt;

pub struct Res {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Res {
    /// The session token this response sets, if any.
    pub fn new_session(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| {
                let v = c.strip_prefix(SESSION_COOKIE)?.strip_prefix('=')?;
                Some(v.split(';').next()?.to_owned())
            })
    }
}

pub async fn send(app: &Router, req: Request<Body>) -> Res {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body =
        String::from_utf8_lossy(&to_bytes(res.into_body(), usize::MAX).await.unwrap()).into_owned();
    Res {
        status,
        headers,
        body,
    }
}

/// A GET as a browser navigation sends it.
pub fn get(path: &str, session: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path).header(header::ACCEPT, "text/html,application/xhtml+xml");
    if let Some(s) = session {
        b = b.header(header::COOKIE, format!("{SESSION_COOKIE}={s}"));
    }
    b.body(Body::empty()).unwrap()
}

/// A same-origin form post as the browser sends it.
pub fn post(path: &str, session: &str) -> axum::http::request::Builder {
    Request::post(path)
        .header(header::COOKIE, format!("{SESSION_COOKIE}={session}"))
        .header("sec-fetch-site", "same-origin")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
}

pub fn form(fields: &[(&str, &str)]) -> Body {
    let s: Vec<String> = fields
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                app::url::encode_component(k),
                app::url::encode_component(v)
            )
        })
        .collect();
    Body::from(s.join("&"))
}

pub async fn session_view(app: &Router, session: &str) -> SessionView {
    // As the WASM client asks: no `Accept: text/html`.
    let req =
        Request::get("/api/session").header(header::COOKIE, format!("{SESSION_COOKIE}={session}"));
    let res = send(app, req.body(Body::empty()).unwrap()).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    serde_json::from_str(&res.body).unwrap()
}

/// Opens the sign-in page: a pre-session and its CSRF token.
pub async fn pre_session(app: &Router) -> (String, String) {
    let res = send(app, get("/sign-in", None)).await;
    let token = res
        .new_session()
        .expect("the sign-in page starts a pre-session");
    let csrf = session_view(app, &token).await.csrf;
    (token, csrf)
}

pub async fn wait_for_code(db: &Db, email: &str) -> String {
    for _ in 0..100 {
        let text: Option<String> = with_pool!(db, |pool| {
            sqlx::query_scalar("SELECT text_body FROM outbox WHERE to_email = $1 AND text_body <> '' ORDER BY created_at DESC")
                .bind(email)
                .fetch_optional(pool)
                .await
                .unwrap()
        });
        if let Some(text) = text {
            let line = text
                .lines()
                .map(str::trim)
                .find(|l| l.len() == 7 && l.as_bytes()[3] == b' ')
                .unwrap();
            return line.to_owned();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no code mail for {email}");
}

pub async fn request_code(app: &Router, session: &str, csrf: &str, email: &str) -> Res {
    let req = post("/api/request_code", session)
        .body(form(&[("email", email), ("csrf_token", csrf)]))
        .unwrap();
    send(app, req).await
}

/// Signs in through the HTTP API; returns the new session token.
pub async fn sign_in(app: &Router, db: &Db, email: &str) -> String {
    let (pre, csrf) = pre_session(app).await;
    assert_eq!(
        request_code(app, &pre, &csrf, email).await.status,
        StatusCode::OK
    );
    let code = wait_for_code(db, email).await;
    let req = post("/api/verify_code", &pre)
        .body(form(&[("code", &code), ("csrf_token", &csrf)]))
        .unwrap();
    let res = send(app, req).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let token = res.new_session().expect("a new session cookie");
    assert_ne!(token, pre, "a new session id at sign-in");
    token
}

/// Signs ingestion requests the way the back office must (`app::auth::ingest`): each request
/// afresh, and — since a signature is accepted once — a request identical to one already
/// signed in the same second gets the next second's timestamp, as a real client waiting out
/// the replay refusal would (the window leaves room either side of the clock).
pub struct Signer {
    key_id: String,
    secret: String,
    used: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl Signer {
    pub fn new(key_id: &str, secret: &str) -> Self {
        Signer {
            key_id: key_id.into(),
            secret: secret.into(),
            used: Default::default(),
        }
    }

    /// A request to `path_and_query` (e.g. `/ingest/v1/sessions`) with the three signature
    /// headers over `body`; a POST carries the body as JSON.
    pub fn request(&self, method: &str, path_and_query: &str, body: &[u8]) -> Request<Body> {
        use app::auth::ingest;
        let mut at = app::db::now_ts();
        let signature = loop {
            let sig = ingest::sign(&self.secret, method, path_and_query, &at.to_string(), body);
            if self.used.lock().unwrap().insert(sig.clone()) {
                break sig;
            }
            at += 1;
        };
        Request::builder()
            .method(method)
            .uri(path_and_query)
            .header(ingest::KEY_HEADER, &self.key_id)
            .header(ingest::TIMESTAMP_HEADER, at.to_string())
            .header(ingest::SIGNATURE_HEADER, signature)
            .header(axum::http::header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_vec()))
            .unwrap()
    }
}

/// The key of [`portal_on_db`]'s instances (what signs their links).
pub const TEST_KEY: &[u8; 32] = b"test key, 32 bytes or more......";

/// The portal's router on `db` as a local run with these settings (dev mailer, a fixed test
/// key): one instance of a deployment; call it twice on one database for two.
pub fn portal_on_db(db: &Db, vars: &[(&str, &str)]) -> Router {
    server::http::router(state_on_db(db, vars))
}

/// The state [`portal_on_db`] builds its router on (for the jobs a test runs itself).
pub fn state_on_db(db: &Db, vars: &[(&str, &str)]) -> app::state::AppState {
    let vars: std::collections::HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let config = std::sync::Arc::new(app::config::Config::from_vars(&vars).unwrap());
    let key = app::crypto::SecretKey::new(*TEST_KEY).unwrap();
    server::http::app_state(db.clone(), config, key, app::mailer::Mailer::dev())
}

/// A form posted as the page posts it, with the session's CSRF token; the answer must be a
/// success or a redirect (a plain form's success).
pub async fn submit(app: &Router, session: &str, path: &str, fields: &[(&str, &str)]) -> Res {
    let csrf = session_view(app, session).await.csrf;
    let mut fields = fields.to_vec();
    fields.push(("csrf_token", &csrf));
    let res = send(app, post(path, session).body(form(&fields)).unwrap()).await;
    assert!(
        res.status.is_success() || res.status.is_redirection(),
        "{path}: {} {}",
        res.status,
        res.body
    );
    res
}

/// The token of an invitation, read from its mail in the outbox (as the invitee clicks it).
pub async fn invitation_token(db: &Db, invitation: Uuid) -> String {
    let text: String = with_pool!(db, |pool| {
        sqlx::query_scalar("SELECT text_body FROM outbox WHERE ref_id = $1")
            .bind(invitation)
            .fetch_one(pool)
            .await
            .unwrap()
    });
    let at = text.find("/invite/").unwrap() + 8;
    text[at..at + 64].to_owned()
}
