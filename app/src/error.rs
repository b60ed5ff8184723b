//! The app's one error type, shared by server and browser. It knows its HTTP status and
//! crosses the wire as JSON, so a server function's error arrives in the browser intact.

use serde::{Deserialize, Serialize};
use server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// A request field failed validation: which field, and why (in the user's language
    /// when it reaches the page; here an English developer message).
    #[error("invalid {field}: {reason}")]
    Invalid { field: String, reason: String },
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
    /// Something failed on the server; details are logged there, never sent.
    #[error("internal error")]
    Internal,
    /// Transport-level failures from the server-function machinery.
    #[error("{0}")]
    ServerFn(ServerFnErrorErr),
}

impl AppError {
    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.to_owned(),
            reason: reason.into(),
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
            Self::Internal | Self::ServerFn(_) => "internal",
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
    ) -> Option<Self> {
        Some(match kind {
            "invalid" => Self::Invalid {
                field: field.unwrap_or_default(),
                reason: reason.unwrap_or_default(),
            },
            "not_found" => Self::NotFound,
            "unauthorized" => Self::Unauthorized,
            "forbidden" => Self::Forbidden,
            "rate_limited" => Self::RateLimited {
                retry_after: retry_after.unwrap_or(60).max(1),
            },
            "invalid_code" => Self::InvalidCode,
            "internal" => Self::Internal,
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
            Self::Internal | Self::ServerFn(_) => 500,
        }
    }
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
        tracing::error!(error = %err, "database error");
        Self::Internal
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    /// Sets the HTTP status of the current server-function response to this error's status
    /// (leptos_axum answers 500 for every error otherwise) and hands the error back.
    pub fn with_status(self) -> Self {
        if let Some(opts) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            if let Ok(code) = axum::http::StatusCode::from_u16(self.status()) {
                opts.set_status(code);
            }
            if let Self::RateLimited { retry_after } = &self {
                if let Ok(v) = axum::http::HeaderValue::from_str(&retry_after.to_string()) {
                    opts.insert_header(axum::http::header::RETRY_AFTER, v);
                }
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
        assert_eq!(AppError::invalid("q", "too long").status(), 400);
        assert_eq!(AppError::Unauthorized.status(), 401);
        assert_eq!(AppError::Forbidden.status(), 403);
        assert_eq!(AppError::NotFound.status(), 404);
        assert_eq!(AppError::Internal.status(), 500);
        assert_eq!(AppError::RateLimited { retry_after: 5 }.status(), 429);
        assert_eq!(AppError::InvalidCode.status(), 400);
    }

    #[test]
    fn errors_survive_the_no_javascript_round_trip() {
        for err in [
            AppError::InvalidCode,
            AppError::RateLimited { retry_after: 42 },
            AppError::Forbidden,
        ] {
            let retry = match &err {
                AppError::RateLimited { retry_after } => Some(*retry_after),
                _ => None,
            };
            assert_eq!(
                AppError::from_query(err.kind(), None, None, retry),
                Some(err)
            );
        }
        assert_eq!(AppError::from_query("nonsense", None, None, None), None);
    }

    #[test]
    fn errors_survive_the_json_round_trip() {
        let err = AppError::invalid("city", "unknown city");
        let bytes = err.ser();
        assert_eq!(AppError::de(bytes), err);
    }
}
