//! The ingestion API's HTTP side (`/ingest/v1/…`): server-to-server, JSON, signed by the back
//! office (`app::auth::ingest`), never served to browsers — no cookies, no CORS, outside the
//! session layer and its CSRF check (the signature replaces both), its own body limit.
//!
//! Thin: each resource's handler checks the signature, splits the body into records and hands
//! them to `app::ingest::service`, the one way data enters the portal; then it turns the
//! outcome into JSON. `GET /ingest/v1/openapi.json` is the OpenAPI 3.1 document generated
//! from the wire types (`app::ingest::wire`) and the `#[utoipa::path]`s below.

use std::future::Future;

use app::{
    auth::{
        ingest::{self, Signed},
        OperatorAccess,
    },
    db::Db,
    ingest::{
        parse_batch, service,
        wire::{
            AppUserBatch, BatchResult, ErrorBody, FacilityBatch, GuestPermitList, GuestPermitOut,
            InvalidBatch, InvoiceBatch, Outcome, RecordError, RecordResult, SessionBatch,
        },
        Incoming, Rejected, OPERATOR_SOURCE,
    },
    state::AppState,
};
use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use serde::de::DeserializeOwned;
use utoipa::{
    openapi::security::{ApiKey, ApiKeyValue, SecurityScheme},
    Modify, OpenApi,
};

/// A batch of 1,000 records is ~0.5 MB of JSON; 8 MB leaves room and stops a flood.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ping", post(ping))
        .route("/sessions", post(sessions))
        .route("/facilities", post(facilities))
        .route("/app-users", post(app_users))
        .route("/invoices", post(invoices))
        .route("/guest-permits", get(guest_permits))
        .route("/openapi.json", get(openapi))
        .fallback(|| async {
            json_error(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such ingestion resource (see /ingest/v1/openapi.json)".into(),
            )
        })
}

fn json(status: StatusCode, body: &impl serde::Serialize) -> Response {
    let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".into());
    (status, [(header::CONTENT_TYPE, "application/json")], text).into_response()
}

fn json_error(status: StatusCode, error: &str, reason: String) -> Response {
    json(
        status,
        &ErrorBody {
            error: error.into(),
            reason,
        },
    )
}

/// Reads the body within the limit and checks the signature; the body comes back for the
/// handler (the signature covers exactly these bytes) with the operator's access.
async fn signed_body(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<(axum::body::Bytes, OperatorAccess), Response> {
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
        Ok(access) => Ok((bytes, access)),
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

/// Checks whether a request is signed right: the back office's first call while it wires up
/// its signing. Changes nothing.
///
/// Any body (or none): only the signature over it is checked.
#[utoipa::path(post, path = "/ingest/v1/ping", tag = "ingest",
    responses(
        (status = 200, description = "Signed right.", body = serde_json::Value, example = json!({"ok": true})),
        (status = 401, description = "Not signed, signed wrong, or outside the 5-minute window.", body = ErrorBody),
        (status = 503, description = "PORTAL_INGEST_KEYS is not set on this server.", body = ErrorBody),
    ),
    security(("key" = [], "timestamp" = [], "signature" = [])))]
async fn ping(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    match signed_body(&state, &parts.headers, body).await {
        Ok(_) => json(StatusCode::OK, &serde_json::json!({ "ok": true })),
        Err(refused) => refused,
    }
}

/// The shared path of every resource: signature, body, service, answer.
async fn batch<T, F, Fut>(state: AppState, req: Request, resource: &str, store: F) -> Response
where
    T: DeserializeOwned,
    F: FnOnce(Db, OperatorAccess, Vec<Incoming<T>>) -> Fut,
    Fut: Future<Output = Result<BatchResult, Rejected>>,
{
    let (parts, body) = req.into_parts();
    let (bytes, access) = match signed_body(&state, &parts.headers, body).await {
        Ok(signed) => signed,
        Err(refused) => return refused,
    };
    let records = match parse_batch::<T>(&bytes, resource) {
        Ok(records) => records,
        Err(bad) => return json_error(StatusCode::BAD_REQUEST, "bad_request", bad.0),
    };
    match store(state.db.clone(), access, records).await {
        Ok(result) => json(StatusCode::OK, &result),
        Err(Rejected::Invalid(errors)) => {
            let records: std::collections::BTreeSet<usize> =
                errors.iter().map(|e| e.index).collect();
            json(
                StatusCode::UNPROCESSABLE_ENTITY,
                &InvalidBatch {
                    error: "invalid_batch".into(),
                    reason: format!(
                        "{} of the batch's records have problems (listed in errors); nothing of the batch was stored",
                        records.len()
                    ),
                    errors,
                },
            )
        }
        Err(Rejected::Db(e)) if app::error::is_retryable(&e) => {
            tracing::warn!(error = %e, resource, "ingestion batch not stored: database unavailable or busy");
            let mut res = json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database is unavailable or busy; nothing was stored: send the batch again"
                    .into(),
            );
            res.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("2"));
            res
        }
        Err(Rejected::Db(e)) => {
            tracing::error!(error = %e, resource, "ingestion batch failed");
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the batch could not be stored; nothing was stored".into(),
            )
        }
    }
}

/// What every resource answers (its OpenAPI responses; the four resources share them).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // only its derive is used, for the document
enum BatchAnswers {
    /// Stored, all of it: one result per record (inserted, updated, unchanged, outdated).
    #[response(status = 200)]
    Stored(BatchResult),
    /// Not JSON, not the resource's object, or not 1 to 1,000 records.
    #[response(status = 400)]
    BadBody(ErrorBody),
    /// Not signed, signed wrong, or outside the 5-minute window.
    #[response(status = 401)]
    Unsigned(ErrorBody),
    /// The body is larger than 8 MB.
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// One or more records are wrong: every problem by record index and field; nothing was stored.
    #[response(status = 422)]
    Invalid(InvalidBatch),
    /// Not configured (PORTAL_INGEST_KEYS unset), or the database is unavailable: nothing was
    /// stored; retry after Retry-After seconds.
    #[response(status = 503)]
    Unavailable(ErrorBody),
}

/// Sessions, parking and charging, in batches of up to 1,000.
///
/// The company, facility and cost center a session names must be known (an unknown one is
/// an error). An app user the portal does not know is created, without a membership: the
/// session is stored and shows under its plate until the person is a member of the company.
#[utoipa::path(post, path = "/ingest/v1/sessions", tag = "ingest", request_body = SessionBatch,
    responses(BatchAnswers),
    security(("key" = [], "timestamp" = [], "signature" = [])))]
async fn sessions(State(state): State<AppState>, req: Request) -> Response {
    batch(state, req, "sessions", |db, access, records| async move {
        service::sessions(&db, &access, OPERATOR_SOURCE, records).await
    })
    .await
}

/// Facilities (places to park), shared by every company, in batches of up to 1,000.
#[utoipa::path(post, path = "/ingest/v1/facilities", tag = "ingest", request_body = FacilityBatch,
    responses(BatchAnswers),
    security(("key" = [], "timestamp" = [], "signature" = [])))]
async fn facilities(State(state): State<AppState>, req: Request) -> Response {
    batch(state, req, "facilities", |db, access, records| async move {
        service::facilities(&db, &access, records).await
    })
    .await
}

/// App users' profiles (display name, first sign-in to the app), in batches of up to 1,000.
#[utoipa::path(post, path = "/ingest/v1/app-users", tag = "ingest", request_body = AppUserBatch,
    responses(BatchAnswers),
    security(("key" = [], "timestamp" = [], "signature" = [])))]
async fn app_users(State(state): State<AppState>, req: Request) -> Response {
    batch(state, req, "app_users", |db, access, records| async move {
        service::app_users(&db, &access, records).await
    })
    .await
}

/// Invoices with their lines, and later their status changes, in batches of up to 1,000.
#[utoipa::path(post, path = "/ingest/v1/invoices", tag = "ingest", request_body = InvoiceBatch,
    responses(BatchAnswers),
    security(("key" = [], "timestamp" = [], "signature" = [])))]
async fn invoices(State(state): State<AppState>, req: Request) -> Response {
    batch(state, req, "invoices", |db, access, records| async move {
        service::invoices(&db, &access, OPERATOR_SOURCE, records).await
    })
    .await
}

/// `GET /ingest/v1/guest-permits`'s query.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct PermitQuery {
    /// Only this company's permits (organisation number, `NNNNNN-NNNN`, the dash optional).
    #[param(pattern = r"^[0-9]{6}-?[0-9]{4}$")]
    company: Option<String>,
    /// The `next` of the previous page (a UUID).
    #[param(
        pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    )]
    after: Option<String>,
    /// Permits per page, 1–1,000 (default 500).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// The guest permits valid now (registered at companies' front desks, not cancelled, not
/// ended), in id order, a page at a time. The same permits reach the operator's permit
/// endpoint as they change (see the description above); this is the way to catch up.
///
/// Signed like every request; the body is empty, so the signature is over `<timestamp>.`.
#[utoipa::path(get, path = "/ingest/v1/guest-permits", tag = "ingest", params(PermitQuery),
    responses(
        (status = 200, description = "The permits valid now (one page).", body = GuestPermitList),
        (status = 400, description = "A parameter is malformed.", body = ErrorBody),
        (status = 401, description = "Not signed, signed wrong, or outside the 5-minute window.", body = ErrorBody),
        (status = 503, description = "Not configured (PORTAL_INGEST_KEYS unset), or the database is unavailable.", body = ErrorBody),
    ),
    security(("key" = [], "timestamp" = [], "signature" = [])))]
async fn guest_permits(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    if let Err(refused) = signed_body(&state, &parts.headers, body).await {
        return refused;
    }
    let bad = |reason: &str| json_error(StatusCode::BAD_REQUEST, "bad_request", reason.into());
    let query = match axum::extract::Query::<PermitQuery>::try_from_uri(&parts.uri) {
        Ok(q) => q.0,
        Err(_) => return bad("the query must be company, after and limit"),
    };
    let company = match query.company.as_deref() {
        None => None,
        Some(raw) => match app::operator::parse_org_number(raw) {
            Some(org) => Some(org),
            None => return bad("company must be an organisation number, NNNNNN-NNNN"),
        },
    };
    let after = match query.after.as_deref() {
        None => None,
        Some(raw) => match uuid::Uuid::parse_str(raw) {
            Ok(id) => Some(id),
            Err(_) => return bad("after must be the next of the previous page (a UUID)"),
        },
    };
    let limit = query.limit.unwrap_or(500);
    if !(1..=1000).contains(&limit) {
        return bad("limit must be 1 to 1000");
    }
    let now = app::db::now_ts();
    match app::frontdesk::store::active_permits(
        &state.db,
        company.as_deref(),
        now,
        after,
        limit + 1,
    )
    .await
    {
        Ok(mut rows) => {
            let more = rows.len() as i64 > limit;
            rows.truncate(limit as usize);
            let next = more
                .then(|| rows.last().map(|r| r.id.to_string()))
                .flatten();
            let permits = rows
                .into_iter()
                .map(|r| GuestPermitOut {
                    id: r.id.to_string(),
                    version: r.version,
                    company: r.org_number,
                    facility: r.facility_ref,
                    plate: r.plate,
                    valid_from: app::calendar::rfc3339_utc(r.valid_from),
                    valid_until: app::calendar::rfc3339_utc(r.valid_until),
                })
                .collect();
            json(StatusCode::OK, &GuestPermitList { permits, next })
        }
        Err(e) => {
            tracing::warn!(error = %e, "guest permits could not be read");
            let mut res = json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database is unavailable; try again".into(),
            );
            res.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("2"));
            res
        }
    }
}

/// The three signature headers as OpenAPI security schemes (all three together).
struct SignedHeaders;

impl Modify for SignedHeaders {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, header, text) in [
            ("key", ingest::KEY_HEADER, "The id of the key (from PORTAL_INGEST_KEYS) that signed the request."),
            ("timestamp", ingest::TIMESTAMP_HEADER, "Unix seconds when the request was signed; accepted within 300 s of the server's clock."),
            ("signature", ingest::SIGNATURE_HEADER, "Lower-case hex of HMAC-SHA256, under the key's secret, of the timestamp, a full stop, and the exact body bytes."),
        ] {
            components.add_security_scheme(
                name,
                SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(header, text))),
            );
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Business-account portal: ingestion API",
        version = "1",
        description = include_str!("ingest_api.md"),
    ),
    paths(ping, sessions, facilities, app_users, invoices, guest_permits),
    // The answers' schemas: `BatchAnswers` refers to them, but an `IntoResponses` type does
    // not add them to the components by itself.
    components(schemas(BatchResult, InvalidBatch, ErrorBody, RecordResult, RecordError, Outcome)),
    modifiers(&SignedHeaders),
    tags((name = "ingest", description = "The operator's back office sends its records here; the one way data enters the portal.")),
)]
pub struct IngestApi;

/// The OpenAPI document, unsigned (it holds no data).
async fn openapi() -> Response {
    match IngestApi::openapi().to_pretty_json() {
        Ok(text) => ([(header::CONTENT_TYPE, "application/json")], text).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
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
        portal_on(Backend::Sqlite, keys).await
    }

    async fn portal_on(backend: Backend, keys: Option<&str>) -> (TestDb, Router) {
        let t = TestDb::fresh(backend).await;
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

    async fn signatures_good_stale_wrong_rotated_and_tampered(backend: Backend) {
        let body = r#"{"hello":"portal"}"#;
        let (_t, app) = portal_on(backend, Some(&format!("old={OLD},new={NEW}"))).await;
        // Taken after the (slow, on PostgreSQL) setup; the stale cases keep a few seconds
        // off the window's edge so a second ticking over cannot make them fresh (the exact
        // edge is the unit test's in app/src/auth/ingest.rs).
        let now = app::db::now_ts();
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
            ping(&app, "new", NEW, now - 305, body, body).await,
            "x-portal-timestamp",
        );
        refused(
            ping(&app, "new", NEW, now + 305, body, body).await,
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
        let (_t2, app) = portal_on(backend, Some(&format!("new={NEW}"))).await;
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

    // --- The resources, on both engines ------------------------------------------------

    const KEY: &str = "bo";

    /// A portal with the ingestion key, one company (556677-8899, cost centers 100 and
    /// 200), a member (default cost center 200) and a facility sent through the API.
    struct World {
        t: TestDb,
        app: Router,
        company: uuid::Uuid,
        member: uuid::Uuid,
        cc200: uuid::Uuid,
    }

    async fn world(backend: Backend) -> World {
        use app::companies::{
            store::{self as companies, CompanyRow, CostCenterRow, NewMembership},
            Email, Role,
        };
        let (t, app) = portal_on(backend, Some(&format!("{KEY}={NEW}"))).await;
        let access = app::auth::OperatorAccess::command_line();
        let now = app::db::now_ts();
        let mut ids = vec![];
        for (name, org) in [("Acme AB", "556677-8899"), ("Beta AB", "556677-1111")] {
            let c = CompanyRow {
                id: uuid::Uuid::new_v4(),
                name: name.into(),
                org_number: org.into(),
                time_zone: "Europe/Stockholm".into(),
                currency: "SEK".into(),
            };
            companies::insert_company(&t.db, &c, now).await.unwrap();
            ids.push(c.id);
        }
        let scope = access.scope(ids[0]);
        let mut centers = vec![];
        for code in ["100", "200"] {
            let cc = CostCenterRow {
                id: uuid::Uuid::new_v4(),
                company_id: ids[0],
                code: code.into(),
                name: format!("Center {code}"),
            };
            companies::insert_cost_center(&t.db, scope, &cc, now)
                .await
                .unwrap();
            centers.push(cc.id);
        }
        let email = Email::parse("anna@acme.example").unwrap();
        let member = companies::upsert_user(&t.db, uuid::Uuid::new_v4(), &email, "Anna", now)
            .await
            .unwrap();
        companies::add_membership(
            &t.db,
            scope,
            &NewMembership {
                user_id: member,
                role: Role::Member,
                default_cost_center_id: Some(centers[1]),
                invited_email: Some(email),
            },
            now,
        )
        .await
        .unwrap();
        let w = World {
            t,
            app,
            company: ids[0],
            member,
            cc200: centers[1],
        };
        let (status, body) = w
            .post(
                "facilities",
                serde_json::json!({"facilities": [{
                    "id": "F-1", "version": 1, "name": "Garage Ett", "address": "Gatan 1",
                    "city": "Uppsala", "kind": "barrier_garage", "company_account": "yes",
                    "has_chargers": true
                }]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        w
    }

    impl World {
        async fn post(
            &self,
            resource: &str,
            body: serde_json::Value,
        ) -> (StatusCode, serde_json::Value) {
            let text = body.to_string();
            let ts = app::db::now_ts().to_string();
            let req = Request::post(format!("/ingest/v1/{resource}"))
                .header(ingest::KEY_HEADER, KEY)
                .header(ingest::TIMESTAMP_HEADER, &ts)
                .header(
                    ingest::SIGNATURE_HEADER,
                    ingest_signature(NEW, &ts, text.as_bytes()),
                )
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(text))
                .unwrap();
            let res = self.app.clone().oneshot(req).await.unwrap();
            let status = res.status();
            let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
                .await
                .unwrap();
            (
                status,
                serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
            )
        }

        /// (count, the ended_at, amount and cost center of the session with this id).
        async fn session(
            &self,
            id: &str,
        ) -> (
            i64,
            Option<(Option<i64>, i64, Option<uuid::Uuid>, Option<uuid::Uuid>)>,
        ) {
            app::with_pool!(&self.t.db, |pool| {
                let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
                    .fetch_one(pool)
                    .await
                    .unwrap();
                let row = sqlx::query_as(
                    "SELECT ended_at, amount_ore, cost_center_id, user_id FROM sessions WHERE external_ref = $1",
                )
                .bind(id)
                .fetch_optional(pool)
                .await
                .unwrap();
                (count, row)
            })
        }
    }

    fn session(id: &str, version: i64) -> serde_json::Value {
        serde_json::json!({
            "id": id, "version": version, "company": "556677-8899",
            "app_user": {"email": "anna@acme.example"}, "plate": "abc123", "facility": "F-1",
            "kind": "parking", "started_at": "2026-11-02T08:00:00+01:00", "ended_at": null,
            "amount_incl_vat": 0, "vat": 0
        })
    }

    fn outcomes(body: &serde_json::Value) -> Vec<String> {
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["outcome"].as_str().unwrap().to_owned())
            .collect()
    }

    fn problems(body: &serde_json::Value) -> Vec<(u64, String)> {
        body["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("no errors in {body}"))
            .iter()
            .map(|e| {
                (
                    e["index"].as_u64().unwrap(),
                    e["field"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    async fn sent_twice_is_stored_once_and_only_newer_versions_win(backend: Backend) {
        let w = world(backend).await;
        let batch = serde_json::json!({"sessions": [session("S-1", 1), session("S-2", 1)]});
        let (status, body) = w.post("sessions", batch.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(outcomes(&body), ["inserted", "inserted"]);
        let (count, s1) = w.session("S-1").await;
        assert_eq!(count, 2);
        let (ended, _, cost_center, user) = s1.unwrap();
        assert_eq!(ended, None, "ongoing");
        assert_eq!(
            cost_center,
            Some(w.cc200),
            "no code: the member's default cost center"
        );
        assert_eq!(
            user,
            Some(w.member),
            "the member, found by the invited email"
        );

        // Twice: stored once.
        let (status, body) = w.post("sessions", batch).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(outcomes(&body), ["unchanged", "unchanged"]);
        assert_eq!(w.session("S-1").await.0, 2);

        // It ended, with a cost: version 2 updates it.
        let mut v2 = session("S-1", 2);
        v2["ended_at"] = "2026-11-02T17:00:00+01:00".into();
        v2["amount_incl_vat"] = 12_500.into();
        v2["vat"] = 2_500.into();
        v2["cost_center"] = "100".into();
        let (_, body) = w
            .post("sessions", serde_json::json!({"sessions": [v2]}))
            .await;
        assert_eq!(outcomes(&body), ["updated"]);
        // Version 1 arriving late changes nothing.
        let (_, body) = w
            .post(
                "sessions",
                serde_json::json!({"sessions": [session("S-1", 1)]}),
            )
            .await;
        assert_eq!(outcomes(&body), ["outdated"]);
        let (count, s1) = w.session("S-1").await;
        let (ended, amount, cost_center, _) = s1.unwrap();
        assert_eq!(count, 2);
        assert_eq!(ended, Some(1_793_635_200), "17:00 in Stockholm");
        assert_eq!(amount, 12_500);
        assert_ne!(cost_center, Some(w.cc200), "the code sent: 100");
        assert!(cost_center.is_some());

        // It shows in the company's history.
        let scope = app::scope::CompanyScope::for_tests(w.company);
        let totals = app::history::store::totals(&w.t.db, scope, 0, i64::MAX)
            .await
            .unwrap();
        assert_eq!((totals.sessions, totals.amount_ore), (2, 12_500));
    }

    async fn a_bad_batch_stores_nothing_and_names_every_problem(backend: Backend) {
        let w = world(backend).await;
        let mut no_facility = session("S-2", 1);
        no_facility["facility"] = "F-404".into();
        let mut no_center = session("S-3", 1);
        no_center["cost_center"] = "999".into();
        let mut many = session("S-4", 1);
        many["company"] = "12-34".into();
        many["plate"] = "!!".into();
        many["vat"] = 5.into();
        let mut wrong_type = session("S-5", 1);
        wrong_type["amount_incl_vat"] = "12 kr".into();
        let mut other_company = session("S-6", 1);
        other_company["company"] = "556677-2222".into();
        let batch = serde_json::json!({"sessions": [
            session("S-1", 1), no_facility, no_center, many, wrong_type, other_company, session("S-1", 2)
        ]});
        let (status, body) = w.post("sessions", batch).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"], "invalid_batch");
        assert_eq!(
            problems(&body),
            [
                (1, "facility".to_owned()),
                (2, "cost_center".to_owned()),
                (3, "company".to_owned()),
                (3, "plate".to_owned()),
                (3, "vat".to_owned()),
                (4, "amount_incl_vat".to_owned()),
                (5, "company".to_owned()),
                (6, "id".to_owned()),
            ]
        );
        assert!(body["reason"]
            .as_str()
            .unwrap()
            .contains("nothing of the batch was stored"));
        assert_eq!(
            w.session("S-1").await.0,
            0,
            "the good record was not stored either"
        );

        // A session stored under one company cannot move to another.
        let (status, _) = w
            .post(
                "sessions",
                serde_json::json!({"sessions": [session("S-1", 1)]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let mut moved = session("S-1", 2);
        moved["company"] = "556677-1111".into();
        let (status, body) = w
            .post("sessions", serde_json::json!({"sessions": [moved]}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problems(&body), [(0, "company".to_owned())]);

        // Not a batch at all: 400, with the shape expected.
        let (status, body) = w.post("sessions", serde_json::json!({"session": []})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body["reason"].as_str().unwrap().contains("\"sessions\""),
            "{body}"
        );
    }

    async fn an_unknown_app_user_is_created_without_a_membership(backend: Backend) {
        let w = world(backend).await;
        let mut guest = session("S-1", 1);
        guest["app_user"] = serde_json::Value::Null;
        let mut new_person = session("S-2", 1);
        new_person["app_user"] = serde_json::json!({"id": "U-9", "email": "New.Person@Example.se"});
        let mut by_id_only = session("S-3", 1);
        by_id_only["app_user"] = serde_json::json!({"id": "U-9"});
        // The id alone is unknown until the batch that creates it is stored.
        let (status, body) = w
            .post("sessions", serde_json::json!({"sessions": [guest.clone(), new_person.clone(), by_id_only.clone()]}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(problems(&body), [(2, "app_user.id".to_owned())]);
        let (status, body) = w
            .post(
                "sessions",
                serde_json::json!({"sessions": [guest, new_person]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, _) = w
            .post("sessions", serde_json::json!({"sessions": [by_id_only]}))
            .await;
        assert_eq!(status, StatusCode::OK);
        let (_, guest) = w.session("S-1").await;
        assert_eq!(guest.unwrap().3, None, "a guest's session has no user");
        let (_, s2) = w.session("S-2").await;
        let (_, s3) = w.session("S-3").await;
        let user = s2.unwrap().3.expect("the new person");
        assert_eq!(
            s3.unwrap().3,
            Some(user),
            "found again by the operator's id"
        );
        assert_eq!(s2.unwrap().2, None, "not a member: no default cost center");
        let memberships: i64 = app::with_pool!(&w.t.db, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE user_id = $1")
                .bind(user)
                .fetch_one(pool)
                .await
                .unwrap()
        });
        assert_eq!(memberships, 0);
    }

    async fn each_resource_checks_its_records(backend: Backend) {
        let w = world(backend).await;
        // Facilities: a limited account needs its reason; kinds are a closed list.
        let (status, body) = w
            .post("facilities", serde_json::json!({"facilities": [
                {"id": "F-2", "version": 1, "name": "Yta", "address": "Vägen 2", "city": "Uppsala",
                 "kind": "surface", "company_account": "some"},
                {"id": "F-3", "version": 1, "name": "Båt", "address": "Kajen", "city": "Uppsala",
                 "kind": "boat", "company_account": "yes"}
            ]}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            problems(&body),
            [
                (0, "company_account_note".to_owned()),
                (1, "kind".to_owned())
            ]
        );

        // App users: the invited member is linked to the operator's id and takes the name.
        let (status, body) = w
            .post("app-users", serde_json::json!({"app_users": [
                {"id": "U-1", "version": 3, "email": "anna@acme.example", "display_name": "Anna Berg",
                 "app_signed_in_at": "2026-03-02T10:12:00Z"}
            ]}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(outcomes(&body), ["updated"]);
        let (status, body) = w
            .post(
                "app-users",
                serde_json::json!({"app_users": [
                    {"id": "U-2", "version": 1, "email": "anna@acme.example"},
                    {"id": "U-3", "version": 1, "email": "not an address"},
                    {"id": "U-1", "version": 2, "email": "anna@acme.example", "display_name": "Old"}
                ]}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        // 0: the address is U-1's; 1: not an address; 2: the address again in this batch.
        assert_eq!(
            problems(&body),
            [
                (0, "email".to_owned()),
                (1, "email".to_owned()),
                (2, "email".to_owned())
            ]
        );
        let (_, body) = w
            .post(
                "app-users",
                serde_json::json!({"app_users": [
                    {"id": "U-1", "version": 2, "email": "anna@acme.example", "display_name": "Old"}
                ]}),
            )
            .await;
        assert_eq!(outcomes(&body), ["outdated"]);
        let name: String = app::with_pool!(&w.t.db, |pool| {
            sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
                .bind(w.member)
                .fetch_one(pool)
                .await
                .unwrap()
        });
        assert_eq!(name, "Anna Berg");

        // Invoices: lines add up, a paid one has its date, a line's session is the company's.
        let mut s1 = session("S-1", 1);
        s1["ended_at"] = "2026-11-02T10:00:00+01:00".into();
        s1["amount_incl_vat"] = 5_000.into();
        s1["vat"] = 1_000.into();
        assert_eq!(
            w.post("sessions", serde_json::json!({"sessions": [s1]}))
                .await
                .0,
            StatusCode::OK
        );
        let invoice = |version: i64,
                       status: &str,
                       paid_on: Option<&str>,
                       amount: i64,
                       session: &str| {
            serde_json::json!({
                "number": "F-1", "version": version, "company": "556677-8899",
                "period_start": "2026-11-01", "period_end": "2026-11-30",
                "issued_on": "2026-12-03", "due_on": "2027-01-02", "status": status,
                "paid_on": paid_on, "amount_incl_vat": amount, "vat": 1_000,
                "lines": [{"description": "Parkering ABC 123", "amount_incl_vat": 5_000, "vat": 1_000,
                           "session": session, "cost_center": "100"}]
            })
        };
        let (status, body) = w
            .post(
                "invoices",
                serde_json::json!({"invoices": [invoice(1, "paid", None, 4_000, "S-404")]}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let fields: Vec<String> = problems(&body).into_iter().map(|(_, f)| f).collect();
        assert_eq!(fields, ["paid_on", "amount_incl_vat"], "{body}");
        let (status, body) = w
            .post(
                "invoices",
                serde_json::json!({"invoices": [invoice(1, "unpaid", None, 5_000, "S-404")]}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(problems(&body), [(0, "lines[0].session".to_owned())]);
        let (status, body) = w
            .post(
                "invoices",
                serde_json::json!({"invoices": [invoice(1, "unpaid", None, 5_000, "S-1")]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // Paid later: version 2.
        let (_, body) = w
            .post("invoices", serde_json::json!({"invoices": [invoice(2, "paid", Some("2026-12-20"), 5_000, "S-1")]}))
            .await;
        assert_eq!(outcomes(&body), ["updated"]);
        let (status, lines): (String, i64) = app::with_pool!(&w.t.db, |pool| {
            sqlx::query_as(
                "SELECT status, (SELECT COUNT(*) FROM invoice_lines l WHERE l.invoice_id = i.id)
                 FROM invoices i WHERE number = 'F-1'",
            )
            .fetch_one(pool)
            .await
            .unwrap()
        });
        assert_eq!(
            (status.as_str(), lines),
            ("paid", 1),
            "its lines replaced, not added"
        );
    }

    async fn unsigned_writes_change_nothing(backend: Backend) {
        let w = world(backend).await;
        let body = serde_json::json!({"sessions": [session("S-1", 1)]}).to_string();
        let res = w
            .app
            .clone()
            .oneshot(
                Request::post("/ingest/v1/sessions")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(w.session("S-1").await.0, 0);
    }

    macro_rules! on_both {
        ($($name:ident),*) => {
            mod sqlite {
                $(#[tokio::test] async fn $name() { super::$name(app::db::Backend::Sqlite).await })*
            }
            mod postgres {
                $(#[tokio::test] async fn $name() { super::$name(app::db::Backend::Postgres).await })*
            }
        };
    }
    on_both!(
        signatures_good_stale_wrong_rotated_and_tampered,
        sent_twice_is_stored_once_and_only_newer_versions_win,
        a_bad_batch_stores_nothing_and_names_every_problem,
        an_unknown_app_user_is_created_without_a_membership,
        each_resource_checks_its_records,
        unsigned_writes_change_nothing
    );

    #[tokio::test]
    async fn the_openapi_document_describes_every_resource() {
        let (_t, app) = portal(None).await;
        let res = app
            .oneshot(
                Request::get("/ingest/v1/openapi.json")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert!(
            doc["openapi"].as_str().unwrap().starts_with("3.1"),
            "{}",
            doc["openapi"]
        );
        for path in ["sessions", "facilities", "app-users", "invoices", "ping"] {
            let op = &doc["paths"][format!("/ingest/v1/{path}")]["post"];
            assert!(op.is_object(), "{path}");
            assert!(
                op["responses"]["422"].is_object() || path == "ping",
                "{path}"
            );
        }
        let schemas = &doc["components"]["schemas"];
        for schema in [
            "SessionIn",
            "FacilityIn",
            "AppUserIn",
            "InvoiceIn",
            "InvalidBatch",
            "BatchResult",
        ] {
            assert!(schemas[schema].is_object(), "{schema}");
        }
        assert!(
            schemas["SessionIn"]["example"].is_object()
                || schemas["SessionIn"]["examples"].is_array()
        );
        assert!(doc["info"]["description"]
            .as_str()
            .unwrap()
            .contains("creates the user"));
        assert!(doc["components"]["securitySchemes"]["signature"].is_object());
    }
}
