//! What every server function can reach: the database and the validated configuration.
//! The server builds one [`AppState`]; leptos_axum puts it into each request's context.

use axum::extract::FromRef;
use leptos::prelude::*;

use crate::{config::Config, db::Db, error::AppError};

#[derive(Clone, Debug)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    /// The browser bundle's (hashed) file names, read once at start-up.
    pub assets: std::sync::Arc<crate::assets::Assets>,
    pub db: Db,
    /// Where the reads that may be a moment old go: a read replica or `db`
    /// (`crate::replicas`; use [`AppState::read`]).
    pub reads: crate::replicas::Reads,
    pub config: std::sync::Arc<Config>,
    /// The HMAC key for codes and CSRF tokens.
    pub key: crate::crypto::SecretKey,
    pub limits: crate::config::Limits,
    pub mailer: std::sync::Arc<crate::mailer::Mailer>,
    /// Wakes the mail outbox's sender when a mail is queued (it also polls, for other
    /// instances' mail).
    pub mail_notify: std::sync::Arc<tokio::sync::Notify>,
    /// Wakes the guest-permit outbox's sender when the front desk queues a message.
    pub permits_notify: std::sync::Arc<tokio::sync::Notify>,
    /// Set when the instance has been told to stop: `/readyz` answers 503 so the load
    /// balancer takes it out while it still serves what reaches it (`server::http::serve`).
    pub draining: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl AppState {
    /// Runs a read that may be a moment old (history, costs, invoices, facilities, export)
    /// on a read replica when one is usable and has replayed this person's last write (the
    /// request's [`crate::replicas::ReadAfter`]), else on the primary; a replica's failure
    /// runs it again on the primary. Without replicas, simply `read(self.db)`.
    pub async fn read<T, E, F, Fut>(&self, read: F) -> Result<T, E>
    where
        F: Fn(Db) -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
        E: crate::replicas::ReplicaFault,
    {
        self.reads.run(read_after(), read).await
    }

    /// The database a read of this request may go to now, for work that is not run again on
    /// a failure (see [`crate::replicas::Reads::pick`]).
    pub fn read_db(&self) -> Db {
        self.reads.pick(read_after())
    }
}

/// This request's [`crate::replicas::ReadAfter`], if its person wrote a moment ago.
pub fn read_after() -> Option<crate::replicas::ReadAfter> {
    with_request(|p| p.extensions.get::<crate::replicas::ReadAfter>().copied()).flatten()
}

/// The state inside a server function or an SSR render.
pub fn use_app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the request context");
        AppError::internal()
    })
}

/// Reads the request being served without copying it. `use_context::<Parts>()` clones the
/// whole request head — every header and extension — and a page render asks several times
/// (language, nonce, session, client address): callgrind counted that copy among the sign-in
/// page's larger costs (docs/benchmarks.md, "Server throughput").
pub fn with_request<R>(f: impl FnOnce(&axum::http::request::Parts) -> R) -> Option<R> {
    with_context::<axum::http::request::Parts, _>(f)
}

/// The per-request nonce of the script `Content-Security-Policy`. The server's security
/// middleware puts it into the request's extensions and writes the header; the shell hands it
/// to Leptos so the hydration scripts carry it.
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);
