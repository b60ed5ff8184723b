//! Read-your-writes with read replicas (`app::replicas`): the request's `__Host-portal_wal`
//! cookie becomes its `ReadAfter`, and a request that may have written leaves the primary's
//! WAL position in that cookie, so the same person's next reads go only where that write has
//! arrived — on this instance or any other. Without replicas this layer does nothing.

use app::{
    replicas::{ReadAfter, COOKIE},
    state::AppState,
};
use axum::{
    extract::{Request, State},
    http::{header, HeaderValue, Method},
    middleware::Next,
    response::Response,
};

/// POSTs that write nothing a replica serves back: the export's chunks (its first writes an
/// audit entry, and the audit log is read on the primary). Marking them would send every
/// chunk after the first to the primary.
const READS_BY_POST: &[&str] = &["/api/history_export"];

pub async fn read_your_writes(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    if !state.reads.has_replicas() {
        return next.run(req).await;
    }
    if let Some(after) = super::session::cookie(req.headers(), COOKIE).and_then(|v| v.parse().ok())
    {
        req.extensions_mut().insert(ReadAfter(after));
    }
    let path = req.uri().path();
    let may_write = !matches!(*req.method(), Method::GET | Method::HEAD)
        && !READS_BY_POST.contains(&path)
        && !path.starts_with("/ingest/");
    let mut res = next.run(req).await;
    if may_write {
        // Read after the request: its writes have committed. If the primary cannot say, the
        // person's reads go to the primary for the cookie's lifetime.
        let position = match state.reads.wal_position().await {
            Ok(lsn) => lsn,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the primary's WAL position: this person's next reads go to the primary");
                u64::MAX
            }
        };
        let cookie = format!(
            "{COOKIE}={position}; Path=/; Secure; HttpOnly; SameSite=None; Partitioned; Max-Age={}",
            state.reads.cookie_max_age().as_secs()
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}
