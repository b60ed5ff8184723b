//! The outbox sender: a background task that claims due mail, sends it through the mailer and
//! records the outcome. Safe with several server instances (claims are leases in the
//! database). Also, once a minute: prunes expired sessions, codes and rate events, and old
//! sent mail (the outbox retention job), erases visitors' names 90 days after their visit, and
//! queues the monthly cost reports that are due. Guest permits go to the operator's back office
//! in the same loop (`permits.rs`).

use std::{sync::Arc, time::Duration};

use app::{auth::store as auth_store, db::now_ts, mail::store, state::AppState};

const BATCH: i64 = 20;

/// Sends everything due now; returns how many messages it handled.
pub async fn send_due(state: &AppState) -> usize {
    let now = now_ts();
    let rows = match store::claim(&state.db, now, BATCH).await {
        Ok(rows) => rows,
        Err(e) => {
            tracing::error!(error = %e, "outbox claim failed");
            return 0;
        }
    };
    for row in &rows {
        // Log the kind and id, never the body (a code mail carries the code).
        match state.mailer.send(&row.message()).await {
            Ok(()) => mark_sent(state, row.id).await,
            Err(err) => {
                let gave_up =
                    store::mark_failed(&state.db, row, err.permanent, &err.reason, now_ts())
                        .await
                        .unwrap_or(false);
                tracing::warn!(id = %row.id, kind = %row.kind, permanent = err.permanent, gave_up, reason = %err.reason, "mail not sent");
            }
        }
    }
    rows.len()
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

pub fn spawn(state: AppState, shutdown: Arc<tokio::sync::Notify>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut last_prune = 0;
        // Guest permits go to the operator when its endpoint is configured (else they wait).
        let permits = state
            .config
            .operator_permits
            .clone()
            .map(crate::permits::PermitSender::new);
        loop {
            while send_due(&state).await as i64 == BATCH {}
            if let Some(sender) = &permits {
                crate::permits::send_all_due(&state, sender).await;
            }
            let now = now_ts();
            if now - last_prune >= 60 {
                if let Err(e) = auth_store::prune(&state.db, now).await {
                    tracing::error!(error = %e, "pruning sessions failed");
                }
                if let Err(e) = store::prune(&state.db, now).await {
                    tracing::error!(error = %e, "pruning the outbox failed");
                }
                // Visitors' names, 90 days after their visit.
                match app::frontdesk::service::erase(&state.db, now).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(permits = n, "visitors' names erased"),
                    Err(e) => tracing::error!(error = %e, "erasing visitors' names failed"),
                }
                // The monthly cost reports: due on the first of the month, and at start-up
                // for any month missed while the server was down.
                match app::reports::service::send_due(&state.db, &state.config.public_url, now)
                    .await
                {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::info!(mails = n, "monthly cost reports queued");
                        state.outbox_notify.notify_one();
                    }
                    Err(e) => tracing::error!(error = ?e, "monthly cost reports failed"),
                }
                last_prune = now;
            }
            tokio::select! {
                () = state.outbox_notify.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(2)) => {}
                () = shutdown.notified() => break,
            }
        }
    })
}
