//! Sign-in state in the database: one-time codes, rate-limit events, web sessions. Every
//! number that matters (attempts, expiry, windows) is decided in one SQL statement, so two
//! server instances sharing one PostgreSQL agree.

use uuid::Uuid;

use crate::{
    companies::Role,
    db::{Db, Tx},
    scope::CompanyScope,
    with_pool, with_tx,
};

// --- one-time codes ------------------------------------------------------------------------

/// Stores a new code's MAC for (email, purpose), replacing any earlier one: only one is
/// live. Runs in the transaction that also queues the code's mail (`service::issue_code`).
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "auth::put_code"))]
pub async fn put_code(
    tx: &mut Tx,
    email: &str,
    purpose: &str,
    mac: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO login_codes (email, purpose, code_mac, attempts, expires_at, consumed_at, created_at)
             VALUES ($1, $2, $3, 0, $4, NULL, $5)
             ON CONFLICT (email, purpose) DO UPDATE SET
                code_mac = excluded.code_mac, attempts = 0, expires_at = excluded.expires_at,
                consumed_at = NULL, created_at = excluded.created_at",
        )
        .bind(email)
        .bind(purpose)
        .bind(mac)
        .bind(expires_at)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Counts one attempt against the live code and returns its MAC, or `None` when there is no
/// live code (none, expired, used, or out of attempts). The attempt is counted in the same
/// statement that reads the MAC, before any comparison: parallel guesses cannot share one.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "auth::take_attempt")
)]
pub async fn take_attempt(
    db: &Db,
    email: &str,
    purpose: &str,
    now: i64,
    max_attempts: i32,
) -> Result<Option<String>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_scalar(
            "UPDATE login_codes SET attempts = attempts + 1
             WHERE email = $1 AND purpose = $2 AND consumed_at IS NULL AND expires_at > $3 AND attempts < $4
             RETURNING code_mac",
        )
        .bind(email)
        .bind(purpose)
        .bind(now)
        .bind(max_attempts)
        .fetch_optional(pool)
        .await
    })
}

/// Marks the live code used. True for exactly one caller, however many race.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "auth::consume_code")
)]
pub async fn consume_code(
    db: &Db,
    email: &str,
    purpose: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = with_pool!(db, |pool| {
        sqlx::query(
            "UPDATE login_codes SET consumed_at = $3
             WHERE email = $1 AND purpose = $2 AND consumed_at IS NULL AND expires_at > $3",
        )
        .bind(email)
        .bind(purpose)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// After a sign-in: forget every outstanding code of the email, and empty the bodies of its
/// code mails still in the outbox.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "auth::forget_codes")
)]
pub async fn forget_codes(db: &Db, email: &str) -> Result<(), sqlx::Error> {
    with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query("DELETE FROM login_codes WHERE email = $1")
            .bind(email)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE outbox SET text_body = '', html_body = '' WHERE to_email = $1 AND kind = 'sign_in_code'")
            .bind(email)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    })
}

// --- rate limits -----------------------------------------------------------------------------

/// Events in `bucket` since `since`, and the newest one's time.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "auth::count_events")
)]
pub async fn count_events(
    db: &Db,
    bucket: &str,
    since: i64,
) -> Result<(i64, Option<i64>, Option<i64>), sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT COUNT(*), MIN(at), MAX(at) FROM rate_events WHERE bucket = $1 AND at > $2",
        )
        .bind(bucket)
        .bind(since)
        .fetch_one(pool)
        .await
    })
}

/// One condition of a [`reserve`].
#[derive(Debug, Clone, Copy)]
pub enum Check<'a> {
    /// Fewer than `max` events in `bucket` during the last `window` seconds.
    AtMost {
        bucket: &'a str,
        window: i64,
        max: i64,
    },
    /// No event in `bucket` during the last `secs` seconds (a cooldown).
    Quiet { bucket: &'a str, secs: i64 },
}

impl Check<'_> {
    /// Seconds until this check would pass again, or `None` if it passes now.
    async fn retry_after(&self, db: &Db, now: i64) -> Result<Option<i64>, sqlx::Error> {
        Ok(match *self {
            Check::AtMost {
                bucket,
                window,
                max,
            } => {
                let (n, oldest, _) = count_events(db, bucket, now - window).await?;
                (n >= max).then(|| oldest.map_or(window, |t| (t + window - now).max(1)))
            }
            Check::Quiet { bucket, secs } => {
                let (_, _, newest) = count_events(db, bucket, now - secs).await?;
                newest.map(|t| (t + secs - now).max(1))
            }
        })
    }
}

/// Checks every limit and, only if all pass, records one event in each of `add`, as one
/// atomic step: N parallel requests can never all pass a limit of one (shared/security.md,
/// "Limits are atomic"). One `INSERT … SELECT … WHERE <every check>` statement in a
/// transaction that serialises reservations (`db::lock_keys`): on SQLite the transaction holds
/// the database's one write lock, so no other writer runs between its checks and its insert;
/// on PostgreSQL, where two statements could both read the old counts, it holds an advisory
/// lock that every reservation takes. Returns `None` when reserved, or the seconds to wait when not.
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "auth::reserve"))]
pub async fn reserve(
    db: &Db,
    checks: &[Check<'_>],
    add: &[&str],
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    /// Any constant; only reservations take it.
    const RESERVE_LOCK: i64 = 0x5261_7465; // "Rate"
    assert!(!add.is_empty(), "a reservation records at least one event");
    // $1 = now; then the buckets to add; then each check's parameters.
    let mut n = 1;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    let values: Vec<String> = add.iter().map(|_| format!("({})", next())).collect();
    let conditions: Vec<String> = checks
        .iter()
        .map(|c| match c {
            Check::AtMost { .. } => format!(
                "(SELECT COUNT(*) FROM rate_events WHERE bucket = {} AND at > $1 - {}) < {}",
                next(),
                next(),
                next()
            ),
            Check::Quiet { .. } => format!(
                "NOT EXISTS (SELECT 1 FROM rate_events WHERE bucket = {} AND at > $1 - {})",
                next(),
                next()
            ),
        })
        .collect();
    let sql = format!(
        "INSERT INTO rate_events (bucket, at) SELECT b.column1, $1 FROM (VALUES {}) AS b WHERE {}",
        values.join(", "),
        if conditions.is_empty() {
            "TRUE".to_owned()
        } else {
            conditions.join(" AND ")
        }
    );
    macro_rules! bind_all {
        ($q:expr) => {{
            let mut q = $q.bind(now);
            for b in add {
                q = q.bind(*b);
            }
            for c in checks {
                q = match *c {
                    Check::AtMost {
                        bucket,
                        window,
                        max,
                    } => q.bind(bucket).bind(window).bind(max),
                    Check::Quiet { bucket, secs } => q.bind(bucket).bind(secs),
                };
            }
            q
        }};
    }
    // One transaction: `Db::begin` holds SQLite's write lock, and on PostgreSQL every
    // reservation takes the same advisory lock in it.
    let mut tx = db.begin().await?;
    crate::db::lock_keys(&mut tx, &[RESERVE_LOCK]).await?;
    let inserted = crate::with_tx!(&mut tx, |conn| {
        bind_all!(sqlx::query(sqlx::AssertSqlSafe(sql)))
            .execute(&mut *conn)
            .await?
            .rows_affected()
    });
    tx.commit().await?;
    if inserted == add.len() as u64 {
        return Ok(None);
    }
    // Refused: say for how long, from the first check that fails (read after the fact; the
    // decision above is what counts).
    for c in checks {
        if let Some(wait) = c.retry_after(db, now).await? {
            return Ok(Some(wait));
        }
    }
    Ok(Some(1))
}

#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "auth::add_events")
)]
pub async fn add_events(db: &Db, buckets: &[&str], at: i64) -> Result<(), sqlx::Error> {
    with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        for bucket in buckets {
            sqlx::query("INSERT INTO rate_events (bucket, at) VALUES ($1, $2)")
                .bind(*bucket)
                .bind(at)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    })
}

// --- web sessions ----------------------------------------------------------------------------

/// A session row that is still valid.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRow {
    pub token_hash: Vec<u8>,
    pub user_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    pub pending_email: Option<String>,
    /// When the person signed in (`None` for a pre-session): a session's limits count from it.
    pub signed_in_at: Option<i64>,
    pub last_seen_at: i64,
    pub idle_expires_at: i64,
    pub absolute_expires_at: i64,
}

pub struct NewSession<'a> {
    pub token_hash: &'a [u8],
    pub user_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    pub pending_email: Option<&'a str>,
    pub now: i64,
    pub signed_in_at: Option<i64>,
    pub idle_expires_at: i64,
    pub absolute_expires_at: i64,
}

#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "auth::insert_session")
)]
pub async fn insert_session(db: &Db, s: &NewSession<'_>) -> Result<(), sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query(
            "INSERT INTO web_sessions (token_hash, user_id, company_id, pending_email, created_at, last_seen_at,
                                       idle_expires_at, absolute_expires_at, signed_in_at)
             VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)",
        )
        .bind(s.token_hash)
        .bind(s.user_id)
        .bind(s.company_id)
        .bind(s.pending_email)
        .bind(s.now)
        .bind(s.idle_expires_at)
        .bind(s.absolute_expires_at)
        .bind(s.signed_in_at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Replaces a session by a new one in one transaction (sign-in, company switch): the old
/// token stops working at the moment the new one starts.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "auth::rotate_session")
)]
pub async fn rotate_session(
    db: &Db,
    old_hash: &[u8],
    new: &NewSession<'_>,
) -> Result<(), sqlx::Error> {
    with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query("DELETE FROM web_sessions WHERE token_hash = $1")
            .bind(old_hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO web_sessions (token_hash, user_id, company_id, pending_email, created_at, last_seen_at,
                                       idle_expires_at, absolute_expires_at, signed_in_at)
             VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)",
        )
        .bind(new.token_hash)
        .bind(new.user_id)
        .bind(new.company_id)
        .bind(new.pending_email)
        .bind(new.now)
        .bind(new.idle_expires_at)
        .bind(new.absolute_expires_at)
        .bind(new.signed_in_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    })
}

/// The session with this token hash if neither its idle nor its absolute expiry has passed,
/// with its user's active membership in its company when there is one (role, company name,
/// time zone, currency). One statement: every request reads the session and every
/// tenant-scoped one needs the membership too, so this is one round trip instead of two.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "auth::find_session")
)]
pub async fn find_session(
    db: &Db,
    token_hash: &[u8],
    now: i64,
) -> Result<Option<(SessionRow, Option<Membership>)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Found {
        #[sqlx(flatten)]
        row: SessionRow,
        role: Option<Role>,
        company_name: Option<String>,
        org_number: Option<String>,
        time_zone: Option<String>,
        currency: Option<String>,
    }
    let found: Option<Found> = with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT w.token_hash, w.user_id, w.company_id, w.pending_email, w.signed_in_at, w.last_seen_at,
                    w.idle_expires_at, w.absolute_expires_at,
                    m.role, c.name AS company_name, c.org_number, c.time_zone, c.currency
             FROM web_sessions w
             LEFT JOIN memberships m
               ON m.user_id = w.user_id AND m.company_id = w.company_id AND m.status = 'active'
             LEFT JOIN companies c ON c.id = m.company_id
             WHERE w.token_hash = $1 AND w.idle_expires_at > $2 AND w.absolute_expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(pool)
        .await
    })?;
    Ok(found.map(|f| {
        let membership = match (
            f.role,
            f.company_name,
            f.org_number,
            f.time_zone,
            f.currency,
        ) {
            (Some(role), Some(name), Some(org_number), Some(time_zone), Some(currency)) => {
                Some(Membership {
                    role,
                    name,
                    org_number,
                    time_zone,
                    currency,
                })
            }
            _ => None,
        };
        (f.row, membership)
    }))
}

/// A user's active membership in a company as [`find_session`] and [`role_in`] read it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Membership {
    pub role: Role,
    pub name: String,
    pub org_number: String,
    pub time_zone: String,
    pub currency: String,
}

/// Moves the idle expiry forward (never past the absolute one).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "auth::touch_session")
)]
pub async fn touch_session(
    db: &Db,
    token_hash: &[u8],
    now: i64,
    idle_expires_at: i64,
) -> Result<(), sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query(
            "UPDATE web_sessions SET last_seen_at = $2,
                    idle_expires_at = CASE WHEN $3 < absolute_expires_at THEN $3 ELSE absolute_expires_at END
             WHERE token_hash = $1",
        )
        .bind(token_hash)
        .bind(now)
        .bind(idle_expires_at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The address a pre-session asked a code for. Writes the pre-session's row if it lived only
/// in its cookie until now (the first database write of a sign-in), and never touches a
/// signed-in session.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "auth::set_pending_email")
)]
pub async fn set_pending_email(
    db: &Db,
    pre: &SessionRow,
    email: &str,
    now: i64,
    idle_expires_at: i64,
) -> Result<(), sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query(
            "INSERT INTO web_sessions (token_hash, user_id, company_id, pending_email, created_at, last_seen_at,
                                       idle_expires_at, absolute_expires_at)
             VALUES ($1, NULL, NULL, $2, $3, $3, $4, $5)
             ON CONFLICT (token_hash) DO UPDATE SET pending_email = excluded.pending_email,
                 last_seen_at = excluded.last_seen_at, idle_expires_at = excluded.idle_expires_at
             WHERE web_sessions.user_id IS NULL",
        )
        .bind(&pre.token_hash)
        .bind(email)
        .bind(now)
        .bind(idle_expires_at.min(pre.absolute_expires_at))
        .bind(pre.absolute_expires_at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "auth::delete_session")
)]
pub async fn delete_session(db: &Db, token_hash: &[u8]) -> Result<(), sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query("DELETE FROM web_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Housekeeping: expired sessions, used or expired codes, rate events older than a day, and
/// ingestion signatures that could no longer be accepted anyway.
/// Deletes what has expired; returns how many signed-in sessions ended with it (pre-sessions,
/// which never had a person, are not counted). Every statement writes: on SQLite a
/// transaction that read first could not take the write lock after another writer committed
/// ("database is locked"), while one that writes first waits for it.
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "auth::prune"))]
pub async fn prune(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        let signed_in = sqlx::query(
            "DELETE FROM web_sessions WHERE user_id IS NOT NULL
             AND (idle_expires_at <= $1 OR absolute_expires_at <= $1)",
        )
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query(
            "DELETE FROM web_sessions WHERE idle_expires_at <= $1 OR absolute_expires_at <= $1",
        )
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM login_codes WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM rate_events WHERE at <= $1")
            .bind(now - 86_400)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM ingest_signatures_seen WHERE remember_until < $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(signed_in)
    })
}

// --- the ingestion API's replay cache ----------------------------------------------------------

/// Remembers a verified ingestion signature until `remember_until`; true when it was not
/// seen before (one statement, so two instances receiving the same request at once cannot
/// both take it as new).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "auth::first_use_of_signature")
)]
pub async fn first_use_of_signature(
    db: &Db,
    mac: &[u8],
    remember_until: i64,
) -> Result<bool, sqlx::Error> {
    let inserted = with_pool!(db, |pool| {
        sqlx::query(
            "INSERT INTO ingest_signatures_seen (mac, remember_until) VALUES ($1, $2)
             ON CONFLICT (mac) DO NOTHING",
        )
        .bind(mac)
        .bind(remember_until)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(inserted == 1)
}

// --- who may sign in -------------------------------------------------------------------------

/// The user with this email if they have an active membership, or a pending, unexpired
/// invitation (then the user row is created on first sign-in).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "auth::may_sign_in")
)]
pub async fn may_sign_in(db: &Db, email: &str, now: i64) -> Result<bool, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_scalar(
            "SELECT EXISTS (
                 SELECT 1 FROM users u JOIN memberships m ON m.user_id = u.id
                 WHERE u.email = $1 AND m.status = 'active'
             ) OR EXISTS (
                 SELECT 1 FROM invitations WHERE email = $1 AND status = 'pending' AND expires_at > $2
             )",
        )
        .bind(email)
        .bind(now)
        .fetch_one(pool)
        .await
    })
}

#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "auth::user_by_email")
)]
pub async fn user_by_email(db: &Db, email: &str) -> Result<Option<(Uuid, String)>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as("SELECT id, display_name FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(pool)
            .await
    })
}

/// The active membership of `user_id` in `company_id`: role, and the company's name, time
/// zone and currency (one query: every tenant-scoped request needs both).
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "auth::role_in"))]
pub async fn role_in(
    db: &Db,
    user_id: Uuid,
    company_id: Uuid,
) -> Result<Option<Membership>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT m.role, c.name, c.org_number, c.time_zone, c.currency
             FROM memberships m JOIN companies c ON c.id = m.company_id
             WHERE m.user_id = $1 AND m.company_id = $2 AND m.status = 'active'",
        )
        .bind(user_id)
        .bind(company_id)
        .fetch_optional(pool)
        .await
    })
}

#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "auth::user_email")
)]
pub async fn user_email(db: &Db, user_id: Uuid) -> Result<Option<(String, String)>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as("SELECT email, display_name FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(pool)
            .await
    })
}

/// The company of the pending, unexpired invitation with this token (see
/// `auth::InvitationLink`).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "auth::pending_invitation_company")
)]
pub async fn pending_invitation_company(
    db: &Db,
    token_hash: &[u8],
    now: i64,
) -> Result<Option<Uuid>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_scalar(
            "SELECT company_id FROM invitations
             WHERE token_hash = $1 AND status = 'pending' AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(pool)
        .await
    })
}

/// Ends a person's sessions acting in one company (their role there changed, or they left):
/// their next request signs in afresh under a new session id.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "auth::end_sessions_in")
)]
pub async fn end_sessions_in(
    tx: &mut Tx,
    scope: CompanyScope,
    user_id: Uuid,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query("DELETE FROM web_sessions WHERE company_id = $1 AND user_id = $2")
            .bind(scope.company_id())
            .bind(user_id)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected())
    })
    .map(|ended| crate::metrics::sessions_ended("membership_ended", ended))
}
