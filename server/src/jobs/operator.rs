//! The operator's outboxes: guest permits (`app::frontdesk`) and the companies' rules
//! (`app::policies`). One sender per outbox claims its due messages, POSTs each to its
//! endpoint (`PORTAL_OPERATOR_PERMITS_URL`, `PORTAL_OPERATOR_POLICIES_URL`) signed the way the
//! ingestion API is (`x-portal-key`, `x-portal-timestamp`, `x-portal-signature` over the
//! method, the path and query, the timestamp and the body, under `PORTAL_OPERATOR_PERMITS_KEY`),
//! with the message's id as `Idempotency-Key`, and records the outcome. A 2xx answer is
//! delivery; 408, 429, 5xx and network failures are retried with backoff for a day; any other
//! 4xx is a permanent failure (for a permit, shown on the front desk as "could not be sent").
//! Without the variables (a local run) nothing is claimed: the messages wait.
//!
//! Exactly once, as far as the operator can tell: a message is claimed under a lease (two
//! instances never send it at the same time), and one whose answer was lost is sent again with
//! the same `Idempotency-Key` and version, which the operator's back office de-duplicates.

use std::{sync::Arc, time::Duration};
use tracing::Instrument;

use app::{
    config::OperatorBackOffice,
    db::{self, now_ts, OperatorMessage, OutboxTable, OPERATOR_LEASE_SECONDS},
    metrics::{self, Delivery},
    state::AppState,
};

use super::{BoxFuture, Round, Stop};

const BATCH: i64 = 20;
/// One POST's whole time, connecting included.
const REQUEST_TIMEOUT_SECS: i64 = 10;
// A batch posts one message after another: even if every one hangs until the timeout, the
// batch ends before its lease does, so no other instance POSTs the same message meanwhile.
const _: () = assert!(OPERATOR_LEASE_SECONDS > BATCH * REQUEST_TIMEOUT_SECS + 60);
/// Batches per round of the task (then it looks for a stop signal and goes on).
const ROUND_BATCHES: usize = 2;
/// How long a message that the operator did not take is retried.
pub const GIVE_UP_AFTER: i64 = 86_400;

/// One of the operator's outboxes.
pub struct Outbox {
    /// The outbox's name in logs, traces and metrics.
    pub name: &'static str,
    /// What a message is (the metrics' `kind`).
    pub kind: &'static str,
    pub table: &'static OutboxTable,
}

/// Guest permits: each registration, change or cancellation (`app::frontdesk`).
pub const PERMITS: Outbox = Outbox {
    name: "permits",
    kind: "permit",
    table: &app::frontdesk::store::OUTBOX,
};

/// The companies' rules: each change, as the whole of the company's rules then
/// (`app::policies`).
pub const POLICIES: Outbox = Outbox {
    name: "policies",
    kind: "policy",
    table: &app::policies::store::OUTBOX,
};

pub struct OperatorSender {
    client: reqwest::Client,
    outbox: &'static Outbox,
    url: String,
    key_id: String,
    secret: String,
    /// The path and query of the target URL as reqwest sends them: part of what is signed.
    path_and_query: String,
}

impl OperatorSender {
    /// The sender of guest permits.
    pub fn permits(target: &OperatorBackOffice) -> Self {
        Self::new(&PERMITS, target, target.permits_url.clone())
    }

    /// The sender of rule changes, when their endpoint is set.
    pub fn policies(target: &OperatorBackOffice) -> Option<Self> {
        let url = target.policies_url.clone()?;
        Some(Self::new(&POLICIES, target, url))
    }

    fn new(outbox: &'static Outbox, target: &OperatorBackOffice, url: String) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(REQUEST_TIMEOUT_SECS as u64))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client with static settings builds");
        // The URL was checked at start (config); an unparsable one signs "/" and fails to send.
        let path_and_query = reqwest::Url::parse(&url).map_or_else(
            |_| "/".to_owned(),
            |url| match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_owned(),
            },
        );
        OperatorSender {
            client,
            outbox,
            url,
            key_id: target.key_id.clone(),
            secret: target.secret.clone(),
            path_and_query,
        }
    }

    pub fn outbox(&self) -> &'static Outbox {
        self.outbox
    }

    /// One delivery attempt: `Ok` on 2xx, else whether the failure is permanent and why.
    async fn post(&self, row: &OperatorMessage) -> Result<(), (bool, String)> {
        let ts = now_ts().to_string();
        let signature = app::auth::ingest::sign(
            &self.secret,
            "POST",
            &self.path_and_query,
            &ts,
            row.body.as_bytes(),
        );
        let answer = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header(app::auth::ingest::KEY_HEADER, &self.key_id)
            .header(app::auth::ingest::TIMESTAMP_HEADER, &ts)
            .header(app::auth::ingest::SIGNATURE_HEADER, signature)
            .header("idempotency-key", row.id.to_string())
            .body(row.body.clone())
            .send()
            .await;
        match answer {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => {
                let status = r.status().as_u16();
                let permanent = (400..500).contains(&status) && status != 408 && status != 429;
                Err((permanent, format!("the operator answered {status}")))
            }
            // The reason without the URL's query (none is used) or any body.
            Err(e) if e.is_timeout() => Err((false, "no answer within 10 s".into())),
            Err(e) if e.is_connect() => Err((false, "could not connect".into())),
            Err(_) => Err((false, "the request failed".into())),
        }
    }
}

/// Sends what is due now; returns how many messages it handled.
pub async fn send_due(state: &AppState, sender: &OperatorSender) -> usize {
    send_due_until(state, sender, &Stop::never()).await
}

/// [`send_due`], handing back the messages not yet attempted when `stop` is raised.
pub async fn send_due_until(state: &AppState, sender: &OperatorSender, stop: &Stop) -> usize {
    let now = now_ts();
    let outbox = sender.outbox;
    let mut rows: Vec<OperatorMessage> =
        match db::claim_due(&state.db, outbox.table, now, OPERATOR_LEASE_SECONDS, BATCH).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::error!(error = %e, outbox = outbox.name, "operator outbox claim failed");
                return 0;
            }
        };
    // Oldest first; of one second's, the lower version first (a company's rule changes).
    rows.sort_by_key(|r| (r.created_at, r.version));
    for (i, row) in rows.iter().enumerate() {
        if stop.raised() {
            let rest: Vec<_> = rows[i..].iter().map(|r| r.id).collect();
            match db::release_claims(&state.db, outbox.table, &rest, now + OPERATOR_LEASE_SECONDS)
                .await
            {
                Ok(n) => tracing::info!(
                    released = n,
                    outbox = outbox.name,
                    "stopping: handed back messages not yet delivered"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, outbox = outbox.name, "stopping: could not hand back messages; they go out when their lease ends")
                }
            }
            return i;
        }
        // One span per delivery (a trace when OTLP is on): the message's id, subject and
        // version, never the body, which holds plates.
        let span = tracing::info_span!("outbox_delivery", outbox = outbox.name, kind = outbox.kind, id = %row.id, version = row.version);
        deliver(state, sender, row).instrument(span).await;
    }
    rows.len()
}

/// Posts one claimed message and records the outcome.
async fn deliver(state: &AppState, sender: &OperatorSender, row: &OperatorMessage) {
    let outbox = sender.outbox;
    match sender.post(row).await {
        Ok(()) => match db::mark_sent(&state.db, outbox.table, row, now_ts()).await {
            Ok(true) => metrics::outbox_delivery(outbox.name, outbox.kind, Delivery::Sent),
            Ok(false) => {
                tracing::warn!(id = %row.id, outbox = outbox.name, "a message was delivered after its claim passed to another sender");
            }
            // Sent again when the lease ends, with the same idempotency key.
            Err(e) => {
                tracing::error!(error = %e, id = %row.id, outbox = outbox.name, "could not mark a message sent");
            }
        },
        Err((permanent, reason)) => {
            let gave_up = db::mark_failed(
                &state.db,
                outbox.table,
                row,
                permanent,
                &reason,
                GIVE_UP_AFTER,
                now_ts(),
            )
            .await;
            let gave_up = match gave_up {
                Ok(Some(g)) => g,
                // The claim is another sender's now: its outcome stands.
                Ok(None) => return,
                Err(_) => false,
            };
            let outcome = if gave_up {
                Delivery::Failed
            } else {
                Delivery::Retried
            };
            metrics::outbox_delivery(outbox.name, outbox.kind, outcome);
            // Ids and version only: the body holds plates.
            tracing::warn!(id = %row.id, outbox = outbox.name, subject = %row.subject, version = row.version, permanent, gave_up, %reason, "message to the operator not delivered");
        }
    }
}

/// Sends until nothing is due (a full batch means there may be more).
pub async fn send_all_due(state: &AppState, sender: &OperatorSender) {
    while send_due(state, sender).await as i64 == BATCH {}
}

/// One round of an outbox's task: up to [`ROUND_BATCHES`] batches.
pub fn round(
    state: AppState,
    sender: Arc<OperatorSender>,
    stop: Stop,
) -> impl Fn() -> BoxFuture<Round> + Send + 'static {
    move || {
        let (state, sender, stop) = (state.clone(), sender.clone(), stop.clone());
        Box::pin(async move {
            for _ in 0..ROUND_BATCHES {
                if stop.raised() || (send_due_until(&state, &sender, &stop).await as i64) < BATCH {
                    return Round::Done;
                }
            }
            Round::More
        })
    }
}
