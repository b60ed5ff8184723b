//! The app's one error type, shared by server and browser. It knows its HTTP status and
//! crosses the wire as JSON, so a server function's error arrives in the browser intact.

use serde::{Deserialize, Serialize};
use server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// A request field failed validation: which field, and why ([`Reason`], which the pages
    /// put into the user's language).
    #[error("invalid {field}: {reason}")]
    Invalid { field: String, reason: Reason },
    /// Not there, or not yours (we never reveal which).
    #[error("not found")]
    NotFound,
    #[error("sign-in required")]
    Unauthorized,
    #[error("not allowed")]
    Forbidden,
    /// Too many requests: try again after this many seconds (HTTP 429 + `Retry-After`).
    #[error("rate limited; retry after {retry_after} s")]
    RateLimited { retry_after: i64 },
    /// Every failed code verification, whatever the reason: one message, one status.
    #[error("invalid or expired code")]
    InvalidCode,
    /// Something failed on the server; details are logged there, never sent. `reference` is
    /// the request's id (`RequestId`), shown on the page ("quote this reference") and in the
    /// error's log line, so customer service can find one from the other. Make it with
    /// [`AppError::internal`].
    #[error("internal error")]
    Internal { reference: Option<String> },
    /// The database cannot be reached just now (restarting, failing over): HTTP 503 with
    /// `Retry-After`, and the request changed nothing.
    #[error("temporarily unavailable")]
    Unavailable,
    /// Transport-level failures from the server-function machinery.
    #[error("{0}")]
    ServerFn(ServerFnErrorErr),
}

/// Why a field was refused: a code, never prose. The pages translate it
/// (`ui::error_text`); it travels as its snake_case name, in JSON and in the `?reason=` of a
/// plain form post's redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Not an email address.
    NotEmail,
    AlreadyMember,
    AlreadyInvited,
    /// A role the actor may not grant, or no role at all.
    RoleNotAllowed,
    UnknownCostCenter,
    /// The company would be left without an owner.
    LastOwner,
    TransferToAdminOnly,
    /// The invitation is no longer pending.
    NotPending,
    /// The same address twice in one file.
    Duplicate,
    /// A value the company already has where it must be unique (a cost center's code).
    Taken,
    /// A bulk import stopped before this row.
    NotSent,
    /// The company's daily invitation budget is spent.
    RateLimited,
    /// Longer than the field allows.
    TooLong,
    /// A file larger than allowed.
    TooLarge,
    TooManyRows,
    /// A file with no rows.
    Empty,
    NoEmailColumn,
    /// A quote opened and never closed (the file's line is in the row's report).
    UnclosedQuote,
    /// A bulk import part beyond the file's last.
    BeyondLastPart,
    NotADate,
    /// An end before its start.
    EndBeforeStart,
    NotAYear,
    NotAMonth,
    NotAPlate,
    /// A cursor that is not a position of this list or export.
    NotAPosition,
    /// Not one of the choices offered (sort, kind, page size, action, city, …).
    Unknown,
    /// Not an active member of the company.
    NotAMember,
    /// An archived cost center, not offered for new assignments.
    Archived,
    /// A required field left empty.
    Missing,
    /// Matches more than one (a host's name shared by two members).
    Ambiguous,
    /// Further ahead than allowed (a guest permit's end).
    TooFar,
    /// A time that has already passed.
    InThePast,
    /// Not a time of day (`HH:MM`).
    NotATime,
    /// Not a number (an amount, a count of hours).
    NotANumber,
    /// A number or time outside what the field allows.
    OutOfRange,
}

impl Reason {
    pub const ALL: [Reason; 35] = [
        Reason::NotEmail,
        Reason::AlreadyMember,
        Reason::AlreadyInvited,
        Reason::RoleNotAllowed,
        Reason::UnknownCostCenter,
        Reason::LastOwner,
        Reason::TransferToAdminOnly,
        Reason::NotPending,
        Reason::Duplicate,
        Reason::Taken,
        Reason::NotSent,
        Reason::RateLimited,
        Reason::TooLong,
        Reason::TooLarge,
        Reason::TooManyRows,
        Reason::Empty,
        Reason::NoEmailColumn,
        Reason::UnclosedQuote,
        Reason::BeyondLastPart,
        Reason::NotADate,
        Reason::EndBeforeStart,
        Reason::NotAYear,
        Reason::NotAMonth,
        Reason::NotAPlate,
        Reason::NotAPosition,
        Reason::Unknown,
        Reason::NotAMember,
        Reason::Archived,
        Reason::Missing,
        Reason::Ambiguous,
        Reason::TooFar,
        Reason::InThePast,
        Reason::NotATime,
        Reason::NotANumber,
        Reason::OutOfRange,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NotEmail => "not_email",
            Reason::AlreadyMember => "already_member",
            Reason::AlreadyInvited => "already_invited",
            Reason::RoleNotAllowed => "role_not_allowed",
            Reason::UnknownCostCenter => "unknown_cost_center",
            Reason::LastOwner => "last_owner",
            Reason::TransferToAdminOnly => "transfer_to_admin_only",
            Reason::NotPending => "not_pending",
            Reason::Duplicate => "duplicate",
            Reason::Taken => "taken",
            Reason::NotSent => "not_sent",
            Reason::RateLimited => "rate_limited",
            Reason::TooLong => "too_long",
            Reason::TooLarge => "too_large",
            Reason::TooManyRows => "too_many_rows",
            Reason::Empty => "empty",
            Reason::NoEmailColumn => "no_email_column",
            Reason::UnclosedQuote => "unclosed_quote",
            Reason::BeyondLastPart => "beyond_last_part",
            Reason::NotADate => "not_a_date",
            Reason::EndBeforeStart => "end_before_start",
            Reason::NotAYear => "not_a_year",
            Reason::NotAMonth => "not_a_month",
            Reason::NotAPlate => "not_a_plate",
            Reason::NotAPosition => "not_a_position",
            Reason::Unknown => "unknown",
            Reason::NotAMember => "not_a_member",
            Reason::Archived => "archived",
            Reason::Missing => "missing",
            Reason::Ambiguous => "ambiguous",
            Reason::TooFar => "too_far",
            Reason::InThePast => "in_the_past",
            Reason::NotATime => "not_a_time",
            Reason::NotANumber => "not_a_number",
            Reason::OutOfRange => "out_of_range",
        }
    }

    pub fn parse(s: &str) -> Option<Reason> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AppError {
    pub fn invalid(field: &str, reason: Reason) -> Self {
        Self::Invalid {
            field: field.to_owned(),
            reason,
        }
    }

    /// The short name a plain (no-JavaScript) form post carries back in `?error=`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "invalid",
            Self::NotFound => "not_found",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::RateLimited { .. } => "rate_limited",
            Self::InvalidCode => "invalid_code",
            Self::Unavailable => "unavailable",
            Self::Internal { .. } | Self::ServerFn(_) => "internal",
        }
    }

    /// Rebuilds an error from the `?error=…&field=…&retry_after=…` of a plain form post's
    /// redirect (see `auth::fail_form`), so pages show the same message with or without
    /// JavaScript.
    pub fn from_query(
        kind: &str,
        field: Option<String>,
        reason: Option<String>,
        retry_after: Option<i64>,
        reference: Option<String>,
    ) -> Option<Self> {
        Some(match kind {
            "invalid" => Self::Invalid {
                field: field.unwrap_or_default(),
                reason: reason
                    .as_deref()
                    .and_then(Reason::parse)
                    .unwrap_or(Reason::Unknown),
            },
            "not_found" => Self::NotFound,
            "unauthorized" => Self::Unauthorized,
            "forbidden" => Self::Forbidden,
            "rate_limited" => Self::RateLimited {
                retry_after: retry_after.unwrap_or(60).max(1),
            },
            "invalid_code" => Self::InvalidCode,
            "internal" => Self::Internal {
                // Shown on the page: only what a request id can be (see `RequestId`).
                reference: reference.filter(|r| RequestId::is_valid(r)),
            },
            "unavailable" => Self::Unavailable,
            _ => return None,
        })
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::Invalid { .. } | Self::InvalidCode => 400,
            Self::RateLimited { .. } => 429,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::Unavailable => 503,
            // Arguments that do not decode (a field missing, a number that is not one) are
            // the client's mistake like any other bad input.
            Self::ServerFn(
                ServerFnErrorErr::Args(_)
                | ServerFnErrorErr::MissingArg(_)
                | ServerFnErrorErr::Deserialization(_),
            ) => 400,
            Self::Internal { .. } | Self::ServerFn(_) => 500,
        }
    }
}

/// A request's id: given by the server's outermost layer to every request (from a trusted
/// proxy's `x-request-id`, else new), carried by its log lines and its answer's
/// `x-request-id`, and kept in the request's extensions for [`AppError::internal`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    /// A short token of letters, digits, `-`, `_` and `.` (at most 64): what the server
    /// accepts from a proxy and what a page shows back.
    pub fn is_valid(id: &str) -> bool {
        !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    }
}

impl AppError {
    /// An internal error, carrying the current request's id when there is one (a server
    /// function or a page render on the server; none in the browser or a background job).
    pub fn internal() -> Self {
        Self::Internal {
            reference: current_request_id(),
        }
    }
}

/// The id of the request being served, read from the request's head in the Leptos context.
/// (Not `state::with_request`: the state room depends on this one.)
#[cfg(feature = "ssr")]
fn current_request_id() -> Option<String> {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|p| p.extensions.get::<RequestId>().map(|r| r.0.clone()))
}

#[cfg(not(feature = "ssr"))]
fn current_request_id() -> Option<String> {
    None
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::ServerFn(value)
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        if matches!(err, sqlx::Error::PoolTimedOut) {
            crate::metrics::db_pool_timeout();
        }
        if is_unavailable(&err) {
            tracing::warn!(error = %err, "database unavailable");
            return Self::Unavailable;
        }
        let err_ = Self::internal();
        if let Self::Internal {
            reference: Some(reference),
        } = &err_
        {
            tracing::error!(error = %err, %reference, "database error");
        } else {
            tracing::error!(error = %err, "database error");
        }
        err_
    }
}

/// Whether a write may succeed if simply sent again: the database is out for now
/// ([`is_unavailable`]), or it refused this attempt because of another writer (SQLite busy or
/// locked, a PostgreSQL serialization failure, deadlock or a unique key another transaction
/// took meanwhile). The ingestion API answers these 503 with Retry-After.
#[cfg(feature = "ssr")]
pub fn is_retryable(err: &sqlx::Error) -> bool {
    if is_unavailable(err) {
        return true;
    }
    match err {
        sqlx::Error::Database(e) => e.code().is_some_and(|c| {
            matches!(
                c.as_ref(),
                "40001" | "40P01" | "23505" | "5" | "6" | "517" | "261" | "262"
            )
        }),
        _ => false,
    }
}

/// Whether an error means "the database is out for now" (no connection, a restart, a
/// failover) rather than "this request is wrong": the answer is then 503, try again.
#[cfg(feature = "ssr")]
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        // SQLSTATE class 08 (connection exception) and 57P0x (the server is shutting down,
        // starting up, or was told to end the connection).
        sqlx::Error::Database(e) => e
            .code()
            .is_some_and(|c| c.starts_with("08") || c.starts_with("57P0")),
        _ => false,
    }
}

/// Seconds a 503 asks the client to wait (a PostgreSQL restart takes a few).
pub const UNAVAILABLE_RETRY_AFTER: i64 = 5;

#[cfg(feature = "ssr")]
impl AppError {
    /// Sets the HTTP status of the current server-function response to this error's status
    /// (leptos_axum answers 500 for every error otherwise) and hands the error back.
    pub fn with_status(self) -> Self {
        if let Some(opts) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            if let Ok(code) = axum::http::StatusCode::from_u16(self.status()) {
                opts.set_status(code);
            }
            let retry_after = match &self {
                Self::RateLimited { retry_after } => Some(*retry_after),
                Self::Unavailable => Some(UNAVAILABLE_RETRY_AFTER),
                _ => None,
            };
            if let Some(Ok(v)) =
                retry_after.map(|r| axum::http::HeaderValue::from_str(&r.to_string()))
            {
                opts.insert_header(axum::http::header::RETRY_AFTER, v);
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_maps_to_its_http_status() {
        assert_eq!(AppError::invalid("q", Reason::TooLong).status(), 400);
        assert_eq!(AppError::Unauthorized.status(), 401);
        assert_eq!(AppError::Forbidden.status(), 403);
        assert_eq!(AppError::NotFound.status(), 404);
        assert_eq!(AppError::internal().status(), 500);
        assert_eq!(AppError::RateLimited { retry_after: 5 }.status(), 429);
        assert_eq!(AppError::InvalidCode.status(), 400);
        assert_eq!(AppError::Unavailable.status(), 503);
        let undecodable = ServerFnErrorErr::Args("missing field `city`".into());
        assert_eq!(AppError::ServerFn(undecodable).status(), 400);
        let broken = ServerFnErrorErr::ServerError("boom".into());
        assert_eq!(AppError::ServerFn(broken).status(), 500);
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_lost_connection_is_unavailable_and_a_bad_query_is_not() {
        assert!(is_unavailable(&sqlx::Error::PoolTimedOut));
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(AppError::from(sqlx::Error::Io(io)), AppError::Unavailable);
        assert!(!is_unavailable(&sqlx::Error::RowNotFound));
        assert_eq!(
            AppError::from(sqlx::Error::RowNotFound),
            AppError::Internal { reference: None }
        );
    }

    #[test]
    fn errors_survive_the_no_javascript_round_trip() {
        for err in [
            AppError::Unavailable,
            AppError::invalid("email", Reason::AlreadyInvited),
            AppError::InvalidCode,
            AppError::RateLimited { retry_after: 42 },
            AppError::Forbidden,
            AppError::Internal { reference: None },
            AppError::Internal {
                reference: Some("0f3c9a7e5d2b4c6a8e1f0a2b3c4d5e6f".into()),
            },
        ] {
            let retry = match &err {
                AppError::RateLimited { retry_after } => Some(*retry_after),
                _ => None,
            };
            let (field, reason) = match &err {
                AppError::Invalid { field, reason } => {
                    (Some(field.clone()), Some(reason.to_string()))
                }
                _ => (None, None),
            };
            let reference = match &err {
                AppError::Internal { reference } => reference.clone(),
                _ => None,
            };
            assert_eq!(
                AppError::from_query(err.kind(), field, reason, retry, reference),
                Some(err)
            );
        }
        assert_eq!(
            AppError::from_query("nonsense", None, None, None, None),
            None
        );
        // A reference in a crafted link is shown only if it could be a request id.
        assert_eq!(
            AppError::from_query("internal", None, None, None, Some("<b>call 555</b>".into())),
            Some(AppError::Internal { reference: None })
        );
    }

    #[test]
    fn every_reason_has_its_own_name() {
        for r in Reason::ALL {
            assert_eq!(Reason::parse(r.as_str()), Some(r));
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
    }

    #[test]
    fn errors_survive_the_json_round_trip() {
        let err = AppError::invalid("city", Reason::Unknown);
        let bytes = err.ser();
        assert_eq!(AppError::de(bytes), err);
    }
}
