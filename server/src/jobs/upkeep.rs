//! The periodic jobs: each runs once a minute from start-up, on its own (a failure of one is
//! logged and never holds up another): pruning, visitors' names, monthly reports, and the
//! cars parked past their maximum stay (`policies::service::flag_overstays`), and the alerts
//! (`costs::budget::check`, `alerts::service::deliver` and `send_digests`).

use std::time::Duration;

use app::{auth::store as auth_store, db::now_ts, mail::store as mail_store, state::AppState};
use tokio::task::JoinHandle;

use super::{periodic, Stop};

const EVERY_MINUTE: Duration = Duration::from_secs(60);

pub fn spawn_all(state: &AppState, stop: &Stop) -> Vec<JoinHandle<()>> {
    let s = state.clone();
    let sessions = periodic("prune_sessions", EVERY_MINUTE, stop.clone(), move || {
        let db = s.db.clone();
        // Expired sessions, codes and rate events.
        async move {
            let ended = auth_store::prune(&db, now_ts())
                .await
                .map_err(|e| e.to_string())?;
            app::metrics::sessions_ended("expired", ended);
            Ok(())
        }
    });
    let s = state.clone();
    let outbox = periodic("prune_mail", EVERY_MINUTE, stop.clone(), move || {
        let db = s.db.clone();
        // Sent mail past the outbox's retention, and rule changes the operator took.
        async move {
            let now = now_ts();
            mail_store::prune(&db, now)
                .await
                .map_err(|e| e.to_string())?;
            app::policies::store::prune_sent(&db, now)
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }
    });
    let s = state.clone();
    let erasure = periodic("erase_visitors", EVERY_MINUTE, stop.clone(), move || {
        let db = s.db.clone();
        // Visitors' names, 90 days after their visit.
        async move {
            match app::frontdesk::service::erase(&db, now_ts()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(permits = n, "visitors' names erased"),
                Err(e) => return Err(e.to_string()),
            }
            Ok(())
        }
    });
    let s = state.clone();
    let reports = periodic("monthly_reports", EVERY_MINUTE, stop.clone(), move || {
        let s = s.clone();
        // Due on the first of the month, and at start-up for any month missed while the
        // server was down.
        async move {
            match app::reports::service::send_due(&s.db, &s.config.public_url, now_ts()).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(mails = n, "monthly cost reports queued");
                    app::metrics::reports_queued(n as u64);
                    s.mail_notify.notify_one();
                }
                Err(e) => return Err(format!("{e:?}")),
            }
            Ok(())
        }
    });
    let s = state.clone();
    let overstays = periodic("overstays", EVERY_MINUTE, stop.clone(), move || {
        let db = s.db.clone();
        // Cars still parked past their maximum stay, flagged while they are there.
        async move {
            match app::policies::service::flag_overstays(&db, now_ts()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sessions = n, "overstays flagged"),
                Err(e) => return Err(e.to_string()),
            }
            Ok(())
        }
    });
    let s = state.clone();
    let alerts = periodic("alerts", EVERY_MINUTE, stop.clone(), move || {
        let s = s.clone();
        // Budgets past 80 % and 100 % raised; every raised alert delivered once (notices,
        // mails at once); the daily digests from 07:00 in each company's time zone.
        async move {
            let now = now_ts();
            let url = &s.config.public_url;
            let raised = app::costs::budget::check(&s.db, now)
                .await
                .map_err(|e| format!("{e:?}"))?;
            if raised > 0 {
                tracing::info!(alerts = raised, "budget alerts raised");
            }
            let mails = app::alerts::service::deliver(&s.db, &s.key, url, now)
                .await
                .map_err(|e| format!("{e:?}"))?
                + app::alerts::service::send_digests(&s.db, &s.key, url, now)
                    .await
                    .map_err(|e| format!("{e:?}"))?;
            if mails > 0 {
                tracing::info!(mails, "alert mails queued");
                s.mail_notify.notify_one();
            }
            Ok(())
        }
    });
    vec![sessions, outbox, erasure, reports, overstays, alerts]
}
