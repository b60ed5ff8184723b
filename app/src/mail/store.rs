//! The outbox: mail waiting to be sent, claimed by one worker at a time (a lease), retried
//! with backoff, and marked sent or failed with the server's reason.

use uuid::Uuid;

use crate::mailer::Message;
use crate::{
    db::{Db, Tx},
    with_pool, with_tx,
};

/// Puts a message into the outbox, inside the transaction of the change that causes the
/// mail (they commit together). `kind` names the template; `ref_id` ties it to what it is
/// about (an invitation's state shows its newest mail).
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "mail::enqueue"))]
pub async fn enqueue(
    tx: &mut Tx,
    m: &Message,
    kind: &str,
    ref_id: Option<Uuid>,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO outbox (id, to_email, subject, text_body, html_body, kind, ref_id, status,
                                 attempts, next_attempt_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $8)",
        )
        .bind(Uuid::new_v4())
        .bind(m.to.as_str())
        .bind(m.subject.as_str())
        .bind(m.text.as_str())
        .bind(m.html.as_str())
        .bind(kind)
        .bind(ref_id)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: Uuid,
    pub to_email: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub kind: String,
    pub attempts: i32,
    pub created_at: i64,
}

impl OutboxRow {
    pub fn message(&self) -> Message {
        Message {
            to: self.to_email.clone(),
            subject: self.subject.clone(),
            text: self.text_body.clone(),
            html: self.html_body.clone(),
        }
    }
}

pub const LEASE_SECONDS: i64 = 60;

/// Claims up to `limit` due messages for this worker: pending ones whose time has come, and
/// ones whose previous worker's lease ran out. Code mails go first: someone is waiting for
/// them, and a bulk invitation of thousands must not hold up a sign-in code (found by the
/// browser test that imports 300 people and then asks for a code). On PostgreSQL, `FOR UPDATE SKIP LOCKED` lets
/// several instances claim side by side without waiting on each other; SQLite has one writer.
const OUTBOX: crate::db::OutboxTable = crate::db::OutboxTable {
    table: "outbox",
    order_by: "CASE WHEN kind = 'sign_in_code' THEN 0 ELSE 1 END, next_attempt_at",
    returning: "id, to_email, subject, text_body, html_body, kind, attempts, created_at",
};

/// The mail outbox's depth and the age of its oldest due message (`db::outbox_state`).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "mail::outbox_state")
)]
pub async fn outbox_state(db: &Db, now: i64) -> Result<(i64, i64), sqlx::Error> {
    crate::db::outbox_state(db, &OUTBOX, now).await
}

#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "mail::claim"))]
pub async fn claim(db: &Db, now: i64, limit: i64) -> Result<Vec<OutboxRow>, sqlx::Error> {
    let mut rows: Vec<OutboxRow> =
        crate::db::claim_due(db, &OUTBOX, now, LEASE_SECONDS, limit).await?;
    // RETURNING gives no order; send the codes of this batch first too.
    rows.sort_by_key(|r| r.kind != "sign_in_code");
    Ok(rows)
}

/// Hands back messages claimed at `now` and not attempted (see [`crate::db::release_claims`]).
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "mail::release"))]
pub async fn release(db: &Db, ids: &[uuid::Uuid], claimed_at: i64) -> Result<u64, sqlx::Error> {
    crate::db::release_claims(db, &OUTBOX, ids, claimed_at + LEASE_SECONDS).await
}

/// A sent message loses its body: a code or an invitation link must not outlive the
/// sending (shared/security.md, "Codes at rest"). The subject never holds one.
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "mail::mark_sent"))]
pub async fn mark_sent(db: &Db, id: Uuid, now: i64) -> Result<(), sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query(
            "UPDATE outbox SET status = 'sent', sent_at = $2, lease_until = NULL, attempts = attempts + 1,
                    text_body = '', html_body = ''
             WHERE id = $1",
        )
        .bind(id)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// How long the outbox keeps trying a message the mail server did not take (a transient
/// failure: the server down, busy or slow): a sign-in code only while it is valid, other mail
/// a day. Attempts are spaced 10 s, 20 s, 40 s, … up to [`MAX_BACKOFF`], so an outage of
/// minutes or hours loses nothing: the mail goes out soon after the server is back.
pub const GIVE_UP_AFTER: i64 = 86_400;
pub const GIVE_UP_CODES_AFTER: i64 = 10 * 60;
pub const MAX_BACKOFF: i64 = 5 * 60;

/// A failed attempt: retried after the backoff, unless the failure is permanent (the server
/// refused the address) or the message is older than it is worth trying
/// ([`GIVE_UP_AFTER`], [`GIVE_UP_CODES_AFTER`]); then it stays `failed` with the reason and
/// without its body. Returns whether it gave up.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "mail::mark_failed")
)]
pub async fn mark_failed(
    db: &Db,
    row: &OutboxRow,
    permanent: bool,
    reason: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let worth_trying = if row.kind == "sign_in_code" {
        GIVE_UP_CODES_AFTER
    } else {
        GIVE_UP_AFTER
    };
    let give_up = permanent || now - row.created_at >= worth_trying;
    let backoff = crate::db::backoff(row.attempts, MAX_BACKOFF);
    with_pool!(db, |pool| {
        sqlx::query(
            "UPDATE outbox SET status = $2, attempts = $3, next_attempt_at = $4, lease_until = NULL, last_error = $5,
                    text_body = CASE WHEN $2 = 'failed' THEN '' ELSE text_body END,
                    html_body = CASE WHEN $2 = 'failed' THEN '' ELSE html_body END
             WHERE id = $1",
        )
        .bind(row.id)
        .bind(if give_up { "failed" } else { "pending" })
        .bind(row.attempts + 1)
        .bind(now + backoff)
        .bind(reason)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(give_up)
}

/// How long sent and failed mail stays in the outbox (bodies already emptied): long enough
/// for an invitation's "delivery failed, because …" to be read, then gone.
pub const RETENTION_SECONDS: i64 = 30 * 86_400;

/// The outbox retention job: deletes sent and failed mail older than [`RETENTION_SECONDS`],
/// and empties the body of any finished mail that still has one (mail finished before bodies
/// were purged on sending). Returns how many rows were deleted.
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "mail::prune"))]
pub async fn prune(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    with_pool!(db, |pool| {
        async {
            let mut tx = pool.begin().await?;
            let deleted = sqlx::query(
                "DELETE FROM outbox WHERE status IN ('sent', 'failed') AND created_at < $1",
            )
            .bind(now - RETENTION_SECONDS)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query(
                "UPDATE outbox SET text_body = '', html_body = ''
                 WHERE status IN ('sent', 'failed') AND (text_body <> '' OR html_body <> '')",
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(deleted)
        }
        .await
    })
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxStatus {
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub text_body: String,
}

#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "mail::status"))]
pub async fn status(db: &Db, id: Uuid) -> Result<Option<OutboxStatus>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as("SELECT status, attempts, last_error, text_body FROM outbox WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await
    })
}
