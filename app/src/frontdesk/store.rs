//! The front desk's SQL: guest permits, the company's guest cost center, today's guests and
//! sessions, the operator's outbox, and the erasure of visitors' names. Every read and write
//! of one company's data takes its [`CompanyScope`]; the operator's outbox and the erasure job
//! work across companies and are called only by the server's worker (and the signed
//! `GET /ingest/v1/guest-permits`).

use uuid::Uuid;

use crate::{
    db::{Db, Tx},
    scope::CompanyScope,
    with_pool, with_tx,
};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PermitRow {
    pub id: Uuid,
    pub plate: String,
    pub plate_key: String,
    pub visitor_name: Option<String>,
    pub host_user_id: Option<Uuid>,
    pub host_name: Option<String>,
    pub facility_id: Uuid,
    pub facility_name: String,
    pub valid_from: i64,
    pub valid_until: i64,
    pub cancelled_at: Option<i64>,
    pub version: i64,
    /// Messages to the operator not yet delivered (pending, sending or failed).
    pub unsent: i64,
    /// Of those, the ones that failed for good.
    pub failed: i64,
}

const PERMIT_COLUMNS: &str = "p.id, p.plate, p.plate_key, p.visitor_name, p.host_user_id,
    CASE WHEN u.display_name <> '' THEN u.display_name ELSE u.email END AS host_name,
    p.facility_id, f.name AS facility_name, p.valid_from, p.valid_until, p.cancelled_at, p.version,
    (SELECT COUNT(*) FROM operator_outbox o WHERE o.permit_id = p.id AND o.status <> 'sent') AS unsent,
    (SELECT COUNT(*) FROM operator_outbox o WHERE o.permit_id = p.id AND o.status = 'failed') AS failed
    FROM guest_permits p
    JOIN facilities f ON f.id = p.facility_id
    LEFT JOIN users u ON u.id = p.host_user_id";

/// The company's permits that overlap `[from, to)` (today), or were cancelled in it, oldest
/// start first.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "frontdesk::permits_between")
)]
pub async fn permits_between(
    db: &Db,
    scope: CompanyScope,
    from: i64,
    to: i64,
) -> Result<Vec<PermitRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {PERMIT_COLUMNS}
         WHERE p.company_id = $1 AND p.valid_until > $2 AND p.valid_from < $3
         ORDER BY p.valid_from, p.id"
    );
    with_pool!(db, |pool| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(scope.company_id())
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await
    })
}

#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "frontdesk::permit")
)]
pub async fn permit(
    db: &Db,
    scope: CompanyScope,
    id: Uuid,
) -> Result<Option<PermitRow>, sqlx::Error> {
    let sql = format!("SELECT {PERMIT_COLUMNS} WHERE p.company_id = $1 AND p.id = $2");
    with_pool!(db, |pool| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(scope.company_id())
            .bind(id)
            .fetch_optional(pool)
            .await
    })
}

pub struct NewPermit<'a> {
    pub id: Uuid,
    pub plate: &'a str,
    pub plate_key: &'a str,
    pub visitor_name: Option<&'a str>,
    pub host_user_id: Option<Uuid>,
    pub facility_id: Uuid,
    pub valid_from: i64,
    pub valid_until: i64,
    pub created_by: Uuid,
    pub now: i64,
}

#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "frontdesk::insert_permit")
)]
pub async fn insert_permit(
    tx: &mut Tx,
    scope: CompanyScope,
    p: &NewPermit<'_>,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO guest_permits (id, company_id, plate, plate_key, visitor_name, host_user_id,
                 facility_id, valid_from, valid_until, version, created_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11, $11)",
        )
        .bind(p.id)
        .bind(scope.company_id())
        .bind(p.plate)
        .bind(p.plate_key)
        .bind(p.visitor_name)
        .bind(p.host_user_id)
        .bind(p.facility_id)
        .bind(p.valid_from)
        .bind(p.valid_until)
        .bind(p.created_by)
        .bind(p.now)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Moves a live permit's end (extend) or ends it now (cancel: `cancelled` set), growing its
/// version; only while it is neither cancelled nor over (checked in the statement, so two
/// receptionists cannot both change the same permit from the same old state). Returns the new
/// version, `None` when the permit was not live.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "frontdesk::change_permit")
)]
pub async fn change_permit(
    tx: &mut Tx,
    scope: CompanyScope,
    id: Uuid,
    valid_until: i64,
    cancelled: bool,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query_scalar(
            "UPDATE guest_permits
             SET valid_until = $3, cancelled_at = CASE WHEN $4 THEN $5 ELSE NULL END,
                 version = version + 1, updated_at = $5
             WHERE company_id = $1 AND id = $2 AND cancelled_at IS NULL AND valid_until > $5
             RETURNING version",
        )
        .bind(scope.company_id())
        .bind(id)
        .bind(valid_until)
        .bind(cancelled)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await
    })
}

/// A facility where the company account works (`yes` or `some`), by id.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "frontdesk::usable_facility")
)]
pub async fn usable_facility(
    db: &Db,
    id: Uuid,
) -> Result<Option<(String, crate::org_number::Country)>, sqlx::Error> {
    let row: Option<(String, String)> = with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT external_ref, country FROM facilities WHERE id = $1 AND company_account IN ('yes', 'some')",
        )
        .bind(id)
        .fetch_optional(pool)
        .await
    })?;
    row.map(|(code, country)| Ok((code, crate::org_number::Country::stored(&country)?)))
        .transpose()
}

/// The facilities the front desk offers: where the company account works, the company's most
/// used for guests first, then by name.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "frontdesk::facility_choices")
)]
pub async fn facility_choices(
    db: &Db,
    scope: CompanyScope,
) -> Result<Vec<(Uuid, String, String, String)>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT f.id, f.name, f.city, f.country FROM facilities f
             LEFT JOIN (SELECT facility_id, COUNT(*) AS n FROM guest_permits WHERE company_id = $1
                        GROUP BY facility_id) used ON used.facility_id = f.id
             WHERE f.company_account IN ('yes', 'some')
             ORDER BY COALESCE(used.n, 0) DESC, f.name, f.id",
        )
        .bind(scope.company_id())
        .fetch_all(pool)
        .await
    })
}

/// The host candidates for `text`: active members whose email (or invited address) is it, or
/// whose name has as many characters (the service compares names case-insensitively in Rust:
/// SQLite's `lower` knows only ASCII, and "Åsa" must match "åsa"). Returns (id, whether the
/// address matched, name).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "frontdesk::host_candidates")
)]
pub async fn host_candidates(
    db: &Db,
    scope: CompanyScope,
    text: &str,
) -> Result<Vec<(Uuid, bool, String)>, sqlx::Error> {
    let email = text.trim().to_lowercase();
    let chars = text.trim().chars().count() as i64;
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT u.id, (u.email = $2 OR COALESCE(m.invited_email, '') = $2) AS by_email, u.display_name
             FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.company_id = $1 AND m.status = 'active'
               AND (u.email = $2 OR m.invited_email = $2 OR LENGTH(u.display_name) = $3)
             LIMIT 500",
        )
        .bind(scope.company_id())
        .bind(&email)
        .bind(chars)
        .fetch_all(pool)
        .await
    })
}

/// A session of the company whose plate matches one of today's guests (by letters and
/// digits), started from `from` on: what tells expected, parked now and left apart.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PlateSession {
    pub plate_key: String,
    pub started_at: i64,
    pub ended_at: Option<i64>,
}

#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "frontdesk::sessions_of_plates")
)]
pub async fn sessions_of_plates(
    db: &Db,
    scope: CompanyScope,
    keys: &[String],
    from: i64,
    to: i64,
) -> Result<Vec<PlateSession>, sqlx::Error> {
    if keys.is_empty() {
        return Ok(vec![]);
    }
    // A day's guests are few; their keys are bound one by one.
    let marks: Vec<String> = (0..keys.len()).map(|i| format!("${}", i + 4)).collect();
    let sql = format!(
        "SELECT REPLACE(plate, ' ', '') AS plate_key, started_at, ended_at FROM sessions
         WHERE company_id = $1 AND started_at >= $2 AND started_at < $3
           AND REPLACE(plate, ' ', '') IN ({})
         ORDER BY started_at",
        marks.join(", ")
    );
    with_pool!(db, |pool| {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(scope.company_id())
            .bind(from)
            .bind(to);
        for k in keys {
            q = q.bind(k.as_str());
        }
        q.fetch_all(pool).await
    })
}

/// A member's session that has not ended: who is parked (or charging) now.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ParkedRow {
    /// The name the member gave in the app ('' when none): never their address (the front
    /// desk sees who is parked, not how to reach them).
    pub name: String,
    pub plate: String,
    pub facility_name: String,
    pub kind: String,
    pub started_at: i64,
}

#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "frontdesk::members_parked_now")
)]
pub async fn members_parked_now(
    db: &Db,
    scope: CompanyScope,
    since: i64,
    limit: i64,
) -> Result<Vec<ParkedRow>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT u.display_name AS name, s.plate,
                    f.name AS facility_name, s.kind, s.started_at
             FROM sessions s
             JOIN users u ON u.id = s.user_id
             JOIN facilities f ON f.id = s.facility_id
             WHERE s.company_id = $1 AND s.started_at >= $2 AND s.ended_at IS NULL
               AND s.user_id IS NOT NULL
             ORDER BY s.started_at DESC, s.id
             LIMIT $3",
        )
        .bind(scope.company_id())
        .bind(since)
        .bind(limit)
        .fetch_all(pool)
        .await
    })
}

// --- the company's guest cost center ---------------------------------------------------------

#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "frontdesk::guest_cost_center")
)]
pub async fn guest_cost_center(db: &Db, scope: CompanyScope) -> Result<Option<Uuid>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_scalar("SELECT cost_center_id FROM guest_settings WHERE company_id = $1")
            .bind(scope.company_id())
            .fetch_optional(pool)
            .await
    })
}

/// The guest cost centers of a batch's companies (company → cost center), in the ingestion
/// batch's transaction.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "frontdesk::guest_cost_centers")
)]
pub async fn guest_cost_centers(
    tx: &mut Tx,
    scopes: &[CompanyScope],
) -> Result<std::collections::HashMap<Uuid, Uuid>, sqlx::Error> {
    if scopes.is_empty() {
        return Ok(Default::default());
    }
    let marks: Vec<String> = (0..scopes.len()).map(|i| format!("${}", i + 1)).collect();
    let sql = format!(
        "SELECT company_id, cost_center_id FROM guest_settings WHERE company_id IN ({})",
        marks.join(", ")
    );
    let rows: Vec<(Uuid, Uuid)> = with_tx!(tx, |conn| {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).persistent(false);
        for s in scopes {
            q = q.bind(s.company_id());
        }
        q.fetch_all(&mut *conn).await
    })?;
    Ok(rows.into_iter().collect())
}

#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "frontdesk::set_guest_cost_center")
)]
pub async fn set_guest_cost_center(
    tx: &mut Tx,
    scope: CompanyScope,
    cost_center: Option<Uuid>,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| {
        match cost_center {
            Some(id) => sqlx::query(
                "INSERT INTO guest_settings (company_id, cost_center_id, updated_at) VALUES ($1, $2, $3)
                 ON CONFLICT (company_id) DO UPDATE SET cost_center_id = excluded.cost_center_id,
                     updated_at = excluded.updated_at",
            )
            .bind(scope.company_id())
            .bind(id)
            .bind(now)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected()),
            None => sqlx::query("DELETE FROM guest_settings WHERE company_id = $1")
                .bind(scope.company_id())
                .execute(&mut *conn)
                .await
                .map(|r| r.rows_affected()),
        }
    })?;
    Ok(())
}

// --- the operator's outbox -------------------------------------------------------------------

/// Puts a message about a permit into the operator's outbox, in the change's transaction.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "frontdesk::enqueue_message")
)]
pub async fn enqueue_message(
    tx: &mut Tx,
    permit_id: Uuid,
    version: i64,
    body: &str,
    now: i64,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::new_v4();
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO operator_outbox (id, permit_id, version, body, status, attempts, next_attempt_at, created_at)
             VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)",
        )
        .bind(id)
        .bind(permit_id)
        .bind(version)
        .bind(body)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(id)
}

/// What the message about a permit says, read in the change's transaction.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PermitFacts {
    pub org_number: String,
    pub facility_ref: String,
    pub plate: String,
    pub valid_from: i64,
    pub valid_until: i64,
    pub cancelled_at: Option<i64>,
    pub version: i64,
}

#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "frontdesk::permit_facts")
)]
pub async fn permit_facts(tx: &mut Tx, id: Uuid) -> Result<PermitFacts, sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query_as(
            "SELECT c.org_number, f.external_ref AS facility_ref, p.plate, p.valid_from, p.valid_until,
                    p.cancelled_at, p.version
             FROM guest_permits p JOIN companies c ON c.id = p.company_id
             JOIN facilities f ON f.id = p.facility_id
             WHERE p.id = $1",
        )
        .bind(id)
        .fetch_one(&mut *conn)
        .await
    })
}

/// A claimed message about a permit (its `subject` is the permit's id).
pub type MessageRow = crate::db::OperatorMessage;

/// A claim's lease (`db::OPERATOR_LEASE_SECONDS`).
pub const LEASE_SECONDS: i64 = crate::db::OPERATOR_LEASE_SECONDS;

/// The permits' outbox (the `db` functions claim, mark and count its rows).
pub const OUTBOX: crate::db::OutboxTable = crate::db::OutboxTable {
    table: "operator_outbox",
    order_by: "next_attempt_at, created_at",
    returning: "id, permit_id AS subject, version, body, attempts, created_at, lease_until",
};

/// The permit outbox's depth and the age of its oldest due message (`db::outbox_state`).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "frontdesk::outbox_state")
)]
pub async fn outbox_state(db: &Db, now: i64) -> Result<(i64, i64), sqlx::Error> {
    crate::db::outbox_state(db, &OUTBOX, now).await
}

#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "frontdesk::claim_messages")
)]
pub async fn claim_messages(db: &Db, now: i64, limit: i64) -> Result<Vec<MessageRow>, sqlx::Error> {
    let mut rows: Vec<MessageRow> =
        crate::db::claim_due(db, &OUTBOX, now, LEASE_SECONDS, limit).await?;
    rows.sort_by_key(|r| r.created_at);
    Ok(rows)
}

/// Hands back messages claimed at `now` and not attempted (see [`crate::db::release_claims`]).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "frontdesk::release_messages")
)]
pub async fn release_messages(
    db: &Db,
    ids: &[uuid::Uuid],
    claimed_at: i64,
) -> Result<u64, sqlx::Error> {
    crate::db::release_claims(db, &OUTBOX, ids, claimed_at + LEASE_SECONDS).await
}

/// Marks a claimed message delivered (`db::mark_sent`).
pub async fn mark_message_sent(db: &Db, row: &MessageRow, now: i64) -> Result<bool, sqlx::Error> {
    crate::db::mark_sent(db, &OUTBOX, row, now).await
}

/// A failed attempt (`db::mark_failed`).
pub async fn mark_message_failed(
    db: &Db,
    row: &MessageRow,
    permanent: bool,
    reason: &str,
    give_up_after: i64,
    now: i64,
) -> Result<Option<bool>, sqlx::Error> {
    crate::db::mark_failed(db, &OUTBOX, row, permanent, reason, give_up_after, now).await
}

/// Sent messages are kept this long (for "sent to the operator" on the page), then deleted.
pub const MESSAGE_RETENTION: i64 = 30 * 86_400;

// --- the operator's read of active permits ---------------------------------------------------

/// A permit as `GET /ingest/v1/guest-permits` lists it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ActivePermit {
    pub id: Uuid,
    pub version: i64,
    pub org_number: String,
    pub facility_ref: String,
    pub plate: String,
    pub valid_from: i64,
    pub valid_until: i64,
}

/// Permits valid at `now` (not cancelled), optionally of one company, in id order from
/// `after` (keyset), at most `limit`.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "frontdesk::active_permits")
)]
pub async fn active_permits(
    db: &Db,
    org_number: Option<&str>,
    now: i64,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ActivePermit>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT p.id, p.version, c.org_number, f.external_ref AS facility_ref, p.plate,
                    p.valid_from, p.valid_until
             FROM guest_permits p JOIN companies c ON c.id = p.company_id
             JOIN facilities f ON f.id = p.facility_id
             WHERE p.valid_until > $1 AND p.valid_from <= $1 AND p.cancelled_at IS NULL
               AND ($2 IS NULL OR c.org_number = $2)
               AND ($3 IS NULL OR p.id > $3)
             ORDER BY p.id LIMIT $4",
        )
        .bind(now)
        .bind(org_number)
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await
    })
}

// --- personal data ---------------------------------------------------------------------------

/// Erases visitors' names (and hosts) of permits that ended before `before`, and deletes the
/// operator's sent messages older than [`MESSAGE_RETENTION`]. Returns how many names were
/// erased.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "frontdesk::erase_old_names")
)]
pub async fn erase_old_names(db: &Db, before: i64, now: i64) -> Result<u64, sqlx::Error> {
    with_pool!(db, |pool| {
        async {
            let mut tx = pool.begin().await?;
            let erased = sqlx::query(
                "UPDATE guest_permits SET visitor_name = NULL, host_user_id = NULL
                 WHERE valid_until < $1 AND (visitor_name IS NOT NULL OR host_user_id IS NOT NULL)",
            )
            .bind(before)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query("DELETE FROM operator_outbox WHERE status = 'sent' AND created_at < $1")
                .bind(now - MESSAGE_RETENTION)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(erased)
        }
        .await
    })
}
