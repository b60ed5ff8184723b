//! The one way a server function ends. Every server function body is an `async` block
//! handed to [`json`] (read by the page's own code, with or without JavaScript on) or to
//! [`form`] (a form's action, posted by the page's JavaScript or, without it, by the
//! browser itself). Inside, `?` converts every domain error into [`AppError`] (`From`
//! impls next to each error type), and the helper turns the error into the right answer:
//!
//! - JSON with the error's HTTP status (and `Retry-After`) for the page's code;
//! - for a plain form post (no JavaScript), a redirect to `page?error=…&field=…&reason=…`,
//!   so the server-rendered page shows the same message ([`AppError::from_query`]).
//!
//! Success that leads elsewhere returns [`go_to`]'s path (a redirect for a plain post).

use std::future::Future;

use crate::error::AppError;

/// A read: errors answer with their status.
pub async fn json<T>(body: impl Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    body.await.map_err(AppError::with_status)
}

/// A form's action: errors answer as [`fail_form`] says, for `page`.
pub async fn form<T>(
    page: &str,
    body: impl Future<Output = Result<T, AppError>>,
) -> Result<T, AppError> {
    match body.await {
        Ok(v) => Ok(v),
        Err(e) => fail_form(e, page),
    }
}

/// True for a plain browser form post (no JavaScript): it wants a page, not JSON.
pub fn is_plain_form_post() -> bool {
    crate::state::with_request(|p| {
        p.headers
            .get(axum::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    })
    .unwrap_or(false)
}

/// Ends a server function with an error the page can show: with JavaScript the error goes
/// back as JSON with its status (and `Retry-After`); a plain form post is redirected to
/// `page?error=…` so the server-rendered page shows the same message.
pub fn fail_form<T>(err: AppError, page: &str) -> Result<T, AppError> {
    if is_plain_form_post() {
        let mut pairs = vec![("error", err.kind().to_string())];
        match &err {
            AppError::RateLimited { retry_after } => {
                pairs.push(("retry_after", retry_after.to_string()))
            }
            AppError::Invalid { field, reason } => {
                pairs.push(("field", field.clone()));
                pairs.push(("reason", reason.to_string()));
            }
            AppError::Internal { reference: Some(r) } => pairs.push(("reference", r.clone())),
            _ => {}
        }
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        redirect_locally(&crate::url::with_query(page, &pairs));
        Err(err)
    } else {
        Err(err.with_status())
    }
}

/// Where a successful form sends the browser: a plain form post gets a redirect; with
/// JavaScript the page reloads itself at the returned path (a new session deserves a fresh
/// page, with nothing left over from the old one).
pub fn go_to(path: &str) -> String {
    let path = crate::url::local_path(path).unwrap_or("/");
    if is_plain_form_post() {
        redirect_locally(path);
    }
    path.to_owned()
}

/// A redirect of a plain form post, only ever to a local path (`url::local_path`), and
/// percent-encoded so that nothing in it can break the `Location` header (a raw line feed
/// there made leptos_axum panic after the session had already been replaced).
pub fn redirect_locally(path: &str) {
    let path = crate::url::local_path(path).unwrap_or("/");
    leptos_axum::redirect(&crate::url::encode_unsafe(path));
}
