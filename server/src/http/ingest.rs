//! The ingestion API's HTTP side (`/ingest/v1/…`): server-to-server, JSON, signed by the back
//! office (`app::auth::ingest`), never served to browsers — no cookies, no CORS, outside the
//! session layer and its CSRF check (the signature replaces both), its own body limit.
//!
//! Thin: each resource's handler checks the signature, splits the body into records and hands
//! them to `app::ingest::service`, the one way data enters the portal; then it turns the
//! outcome into JSON. `GET /ingest/v1/openapi.json` is the OpenAPI 3.1 document generated
//! from the wire types (`app::ingest::wire`) and the `#[utoipa::path]`s below.

use std::{future::Future, time::Duration};

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
            InvalidBatch, InvoiceBatch, Outcome, PolicyList, RecordError, RecordResult,
            SessionBatch,
        },
        Incoming, Rejected, OPERATOR_SOURCE,
    },
    metrics,
    state::AppState,
};
use axum::{
    body::Bytes,
    extract::{OriginalUri, Request, State},
    http::{header, StatusCode},
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
        .route("/policies", get(policies))
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

/// How long a signed request's body may take to arrive once its headers are checked: a
/// batch of 1,000 records is ~0.5 MB, seconds on the slowest link; a peer trickling bytes to
/// hold a connection open is cut off.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Checks a request in the order that reads nothing from an unsigned peer: the headers (key,
/// timestamp, the signature's form) and the declared length first, then the body within the
/// limit and [`BODY_READ_TIMEOUT`], then the signature over it, then that it was not used
/// before (`auth::ingest`). The body comes back for the handler (the signature covers
/// exactly these bytes) with the operator's access.
async fn signed_body(
    state: &AppState,
    req: Request,
) -> Result<(axum::http::request::Parts, Bytes, OperatorAccess), Response> {
    let (parts, body) = req.into_parts();
    // Nested under /ingest/v1, the router sees the path without that prefix; the client
    // signed the path it sent.
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |original| &original.0);
    let path_and_query = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let signed = Signed {
        method: parts.method.as_str(),
        path_and_query,
        key: header(ingest::KEY_HEADER),
        timestamp: header(ingest::TIMESTAMP_HEADER),
        signature: header(ingest::SIGNATURE_HEADER),
    };
    let config = &state.config;
    let now = app::db::now_ts();
    let pending = ingest::check_headers(
        &config.ingest_keys,
        config.ingest_legacy_signatures,
        signed,
        now,
    )
    .map_err(refused)?;
    let too_large = || {
        json_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("a request body may be at most {MAX_BODY_BYTES} bytes"),
        )
    };
    let declared = header(header::CONTENT_LENGTH.as_str()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let bytes = match tokio::time::timeout(
        BODY_READ_TIMEOUT,
        axum::body::to_bytes(body, MAX_BODY_BYTES),
    )
    .await
    {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => return Err(too_large()),
        Err(_) => {
            return Err(json_error(
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                format!(
                    "the body did not arrive within {} s",
                    BODY_READ_TIMEOUT.as_secs()
                ),
            ))
        }
    };
    let verified = pending.verify(&bytes).map_err(refused)?;
    let access = ingest::admit(&state.db, verified).await.map_err(refused)?;
    Ok((parts, bytes, access))
}

/// A refused signature as JSON: 401 with the reason, or 503 (not configured; the replay
/// cache unavailable, with `Retry-After`).
fn refused(refusal: ingest::Refusal) -> Response {
    tracing::info!(reason = %refusal.reason(), "ingestion request refused");
    let reason = refusal.reason();
    let mut res = match refusal {
        ingest::Refusal::NotConfigured => {
            json_error(StatusCode::SERVICE_UNAVAILABLE, "not_configured", reason)
        }
        ingest::Refusal::Unavailable => unavailable(reason),
        _ => json_error(StatusCode::UNAUTHORIZED, "unauthorized", reason),
    };
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

/// 503 with `Retry-After`: the database is unavailable or busy, nothing was stored.
fn unavailable(reason: String) -> Response {
    let mut res = json_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", reason);
    res.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("2"));
    res
}

/// Checks whether a request is signed right: the back office's first call while it wires up
/// its signing. Changes nothing.
///
/// Any body (or none): only the signature over it is checked.
#[utoipa::path(post, path = "/ingest/v1/ping", tag = "ingest",
    responses(
        (status = 200, description = "Signed right.", body = serde_json::Value, example = json!({"ok": true})),
        (status = 401, description = "Not signed, signed wrong, outside the 5-minute window, or a signature already used.", body = ErrorBody),
        (status = 408, description = "The body did not arrive within 30 s of the headers.", body = ErrorBody),
        (status = 413, description = "The body is larger than 8 MB.", body = ErrorBody),
        (status = 503, description = "PORTAL_INGEST_KEYS is not set on this server, or the database is unavailable.", body = ErrorBody),
    ),
    security(("key" = [], "timestamp" = [], "signature" = [])))]
async fn ping(State(state): State<AppState>, req: Request) -> Response {
    match signed_body(&state, req).await {
        Ok(_) => json(StatusCode::OK, &serde_json::json!({ "ok": true })),
        Err(refused) => refused,
    }
}

/// The shared path of every resource: signature, body, service, answer.
async fn batch<T, F, Fut>(
    state: AppState,
    req: Request,
    resource: &'static str,
    store: F,
) -> Response
where
    T: DeserializeOwned,
    F: FnOnce(Db, OperatorAccess, Vec<Incoming<T>>) -> Fut,
    Fut: Future<Output = Result<BatchResult, Rejected>>,
{
    let (_, bytes, access) = match signed_body(&state, req).await {
        Ok(signed) => signed,
        Err(refused) => {
            metrics::ingest_batch_refused(resource, "unsigned");
            return refused;
        }
    };
    let records = match parse_batch::<T>(&bytes, resource) {
        Ok(records) => records,
        Err(bad) => {
            metrics::ingest_batch_refused(resource, "bad_request");
            return json_error(StatusCode::BAD_REQUEST, "bad_request", bad.0);
        }
    };
    let started = std::time::Instant::now();
    let stored = store(state.db.clone(), access, records).await;
    match &stored {
        Ok(result) => {
            metrics::ingest_batch_stored(resource, started.elapsed());
            for (outcome, n) in [
                ("inserted", result.inserted),
                ("updated", result.updated),
                ("unchanged", result.unchanged),
                ("outdated", result.outdated),
            ] {
                metrics::ingest_records(resource, outcome, n as u64);
            }
        }
        Err(Rejected::Invalid(_)) => metrics::ingest_batch_refused(resource, "invalid"),
        Err(Rejected::Db(e)) if app::error::is_retryable(e) => {
            metrics::ingest_batch_refused(resource, "unavailable");
        }
        Err(Rejected::Db(_)) => metrics::ingest_batch_refused(resource, "failed"),
    }
    match stored {
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
            unavailable(
                "the database is unavailable or busy; nothing was stored: send the batch again"
                    .into(),
            )
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
    /// Not signed, signed wrong, outside the 5-minute window, or a signature already used.
    #[response(status = 401)]
    Unsigned(ErrorBody),
    /// The body did not arrive within 30 s of the headers.
    #[response(status = 408)]
    Slow(ErrorBody),
    /// The body is larger than 8 MB (said before it is read when Content-Length declares it).
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
    /// Only this company's permits: its organisation number, Swedish `NNNNNN-NNNN`, Finnish
    /// `NNNNNNN-N` or Norwegian `NNN NNN NNN` (dashes and spaces optional).
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
/// Signed like every request: the query is part of what is signed, and the body is empty
/// (its SHA-256 is `e3b0c442…b855`).
#[utoipa::path(get, path = "/ingest/v1/guest-permits", tag = "ingest", params(PermitQuery),
    responses(
        (status = 200, description = "The permits valid now (one page).", body = GuestPermitList),
        (status = 400, description = "A parameter is malformed.", body = ErrorBody),
        (status = 401, description = "Not signed, signed wrong, outside the 5-minute window, or a signature already used.", body = ErrorBody),
        (status = 503, description = "Not configured (PORTAL_INGEST_KEYS unset), or the database is unavailable.", body = ErrorBody),
    ),
    security(("key" = [], "timestamp" = [], "signature" = [])))]
async fn guest_permits(State(state): State<AppState>, req: Request) -> Response {
    let parts = match signed_body(&state, req).await {
        Ok((parts, _, _)) => parts,
        Err(refused) => return refused,
    };
    let bad = |reason: &str| json_error(StatusCode::BAD_REQUEST, "bad_request", reason.into());
    let query = match axum::extract::Query::<PermitQuery>::try_from_uri(&parts.uri) {
        Ok(q) => q.0,
        Err(_) => return bad("the query must be company, after and limit"),
    };
    let company = match query.company.as_deref() {
        None => None,
        Some(raw) => match app::org_number::parse(raw) {
            Some((_, org)) => Some(org),
            None => return bad(&format!("company {}", app::org_number::SHAPES)),
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
    // Plates and validity of every company's guests: no cache along the way may keep them.
    let mut res = match app::frontdesk::store::active_permits(
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
            unavailable("the database is unavailable; try again".into())
        }
    };
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

/// `GET /ingest/v1/policies`'s query.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct PolicyQuery {
    /// The company: its organisation number, Swedish `NNNNNN-NNNN`, Finnish `NNNNNNN-N` or
    /// Norwegian `NNN NNN NNN` (dashes and spaces optional).
    #[param(pattern = r"^[0-9]{6}-?[0-9]{4}$")]
    company: String,
}

/// A company's rules as they stand: of each level (the company, a cost center, a member) the
/// version in force now and any that take effect later, and the members' registered
/// vehicles, so that the back office can refuse an out-of-policy app session at its start
/// where it is able. The portal judges every session that arrives anyway (camera garages
/// included) and marks those outside policy. `version` is the company's highest rule
/// version: read again when it changes.
///
/// Signed like every request: the query is part of what is signed, and the body is empty.
#[utoipa::path(get, path = "/ingest/v1/policies", tag = "ingest", params(PolicyQuery),
    responses(
        (status = 200, description = "The company's rules in force now and later.", body = PolicyList),
        (status = 400, description = "A parameter is malformed.", body = ErrorBody),
        (status = 401, description = "Not signed, signed wrong, outside the 5-minute window, or a signature already used.", body = ErrorBody),
        (status = 404, description = "No company has that organisation number.", body = ErrorBody),
        (status = 503, description = "Not configured (PORTAL_INGEST_KEYS unset), or the database is unavailable.", body = ErrorBody),
    ),
    security(("key" = [], "timestamp" = [], "signature" = [])))]
async fn policies(State(state): State<AppState>, req: Request) -> Response {
    let parts = match signed_body(&state, req).await {
        Ok((parts, _, _)) => parts,
        Err(refused) => return refused,
    };
    let bad = |reason: &str| json_error(StatusCode::BAD_REQUEST, "bad_request", reason.into());
    let Ok(query) = axum::extract::Query::<PolicyQuery>::try_from_uri(&parts.uri) else {
        return bad("the query must be company=<organisation number>");
    };
    let Some((_, org)) = app::org_number::parse(&query.company) else {
        return bad(&format!("company {}", app::org_number::SHAPES));
    };
    let unavailable_now = |e: &dyn std::fmt::Debug| {
        tracing::warn!(error = ?e, "the rules could not be read");
        unavailable("the database is unavailable; try again".into())
    };
    let company = match app::companies::store::company_by_org_number(&state.db, &org).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return json_error(
                StatusCode::NOT_FOUND,
                "no_such_company",
                app::org_number::unknown(&org),
            )
        }
        Err(e) => return unavailable_now(&e),
    };
    // The signed back office is the operator (`auth::OperatorAccess`).
    let scope = OperatorAccess::command_line().scope(company.id);
    let now = app::db::now_ts();
    let body = match app::policies::service::operator_list(
        &state.db,
        scope,
        company.org_number,
        now,
    )
    .await
    {
        Ok(list) => list,
        Err(e) => return unavailable_now(&e),
    };
    let mut res = json(StatusCode::OK, &body);
    // The members' plates: no cache along the way may keep them.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

/// The three signature headers as OpenAPI security schemes (all three together).
struct SignedHeaders;

impl Modify for SignedHeaders {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, header, text) in [
            ("key", ingest::KEY_HEADER, "The id of the key (from PORTAL_INGEST_KEYS) that signed the request."),
            ("timestamp", ingest::TIMESTAMP_HEADER, "Unix seconds when the request was signed; accepted within 300 s of the server's clock."),
            ("signature", ingest::SIGNATURE_HEADER, "`v2=` and the lower-case hex of HMAC-SHA256, under the key's secret, of the request's canonical string: `v2`, the method, the path with its query exactly as sent, the timestamp and the hex SHA-256 of the body, joined by line feeds (see Signing above). Each signature is accepted once."),
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
    paths(ping, sessions, facilities, app_users, invoices, guest_permits, policies),
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
