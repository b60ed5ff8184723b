//! The mail outbox's sender: claims due mail, sends it through the mailer and records the
//! outcome. Safe with several server instances (claims are leases in the database).

use std::time::Duration;
use tracing::Instrument;

use app::{
    db::now_ts,
    mail::store,
    metrics::{self, Delivery},
    state::AppState,
};

use super::{BoxFuture, Round, Stop};

const BATCH: i64 = 20;
/// Batches per round of the task (then it looks for a stop signal and goes on).
const ROUND_BATCHES: usize = 5;

/// Sends everything due now; returns how many messages it handled.
pub async fn send_due(state: &AppState) -> usize {
    send_due_until(state, &Stop::never()).await
}

/// [`send_due`], handing back the messages of the batch not yet attempted when `stop` is
/// raised (the instance is shutting down): another instance sends them at once rather than
/// when their lease ends.
pub async fn send_due_until(state: &AppState, stop: &Stop) -> usize {
    let now = now_ts();
    let rows = match store::claim(&state.db, now, BATCH).await {
        Ok(rows) => rows,
        Err(e) => {
            tracing::error!(error = %e, "outbox claim failed");
            return 0;
        }
    };
    for (i, row) in rows.iter().enumerate() {
        if stop.raised() {
            let rest: Vec<_> = rows[i..].iter().map(|r| r.id).collect();
            match store::release(&state.db, &rest, now).await {
                Ok(n) => tracing::info!(released = n, "stopping: handed back mail not yet sent"),
                Err(e) => {
                    tracing::warn!(error = %e, "stopping: could not hand back mail; it goes out when its lease ends")
                }
            }
            return i;
        }
        // One span per delivery (exported as a trace when OTLP is on): the outbox, the
        // message's kind and id, never its address or body.
        let span =
            tracing::info_span!("outbox_delivery", outbox = "mail", kind = %row.kind, id = %row.id);
        deliver(state, row).instrument(span).await;
    }
    rows.len()
}

/// Sends one claimed message and records the outcome.
async fn deliver(state: &AppState, row: &store::OutboxRow) {
    // Log the kind and id, never the body (a code mail carries the code).
    match state.mailer.send(&row.message()).await {
        Ok(()) => {
            metrics::outbox_delivery("mail", &row.kind, Delivery::Sent);
            mark_sent(state, row.id).await;
        }
        Err(err) => {
            let gave_up = store::mark_failed(&state.db, row, err.permanent, &err.reason, now_ts())
                .await
                .unwrap_or(false);
            let outcome = if gave_up {
                Delivery::Failed
            } else {
                Delivery::Retried
            };
            metrics::outbox_delivery("mail", &row.kind, outcome);
            tracing::warn!(id = %row.id, kind = %row.kind, permanent = err.permanent, gave_up, reason = %err.reason, "mail not sent");
        }
    }
}

/// Records a sent message. The mail is out: if the database is unreachable just now (a
/// restart, a failover), keep trying for half the lease, so that the message is not claimed
/// again and sent twice when the lease runs out.
async fn mark_sent(state: &AppState, id: uuid::Uuid) {
    let deadline = std::time::Instant::now() + Duration::from_secs(store::LEASE_SECONDS as u64 / 2);
    loop {
        match store::mark_sent(&state.db, id, now_ts()).await {
            Ok(()) => return,
            Err(e) if app::error::is_unavailable(&e) && std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => {
                tracing::error!(error = %e, id = %id, "could not mark mail sent: it may go out again when its lease ends");
                return;
            }
        }
    }
}

/// One round of the mail outbox's task: up to [`ROUND_BATCHES`] batches.
pub fn round(state: AppState, stop: Stop) -> impl Fn() -> BoxFuture<Round> + Send + 'static {
    move || {
        let (state, stop) = (state.clone(), stop.clone());
        Box::pin(async move {
            for _ in 0..ROUND_BATCHES {
                if stop.raised() || (send_due_until(&state, &stop).await as i64) < BATCH {
                    return Round::Done;
                }
            }
            Round::More
        })
    }
}
