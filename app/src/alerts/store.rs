//! The alerts' SQL: raising (unique per event), delivering (claimed once), the people's
//! notices and choices, the daily digest's claim.

use uuid::Uuid;

use super::model::{Kind, Mode};
use crate::{
    db::{Conn, Db, Tx},
    scope::CompanyScope,
    with_conn, with_pool, with_tx,
};

impl TryFrom<String> for Kind {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Kind::parse(&s).ok_or(s)
    }
}

/// An event worth an alert; `event_key` makes it once per company and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    pub kind: Kind,
    pub event_key: String,
    pub session_id: Option<Uuid>,
    /// JSON (`super::service::BudgetDetails` for a budget, `{}` otherwise).
    pub details: String,
}

/// Raises alerts: each (company, kind, key) once, however many times or instances raise it
/// (`ON CONFLICT DO NOTHING`, in the caller's transaction). Returns how many were new.
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "alerts::raise"))]
pub async fn raise(
    tx: &mut Tx,
    alerts: &[(CompanyScope, NewAlert)],
    now: i64,
) -> Result<u64, sqlx::Error> {
    let mut raised = 0;
    // 7 parameters a row: well inside both engines' limits.
    for chunk in alerts.chunks(500) {
        raised += with_tx!(tx, |conn| {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO alerts (id, company_id, kind, event_key, session_id, details, created_at) ",
            );
            qb.push_values(chunk, |mut b, (scope, a)| {
                b.push_bind(Uuid::new_v4())
                    .push_bind(scope.company_id())
                    .push_bind(a.kind.as_str())
                    .push_bind(a.event_key.clone())
                    .push_bind(a.session_id)
                    .push_bind(a.details.clone())
                    .push_bind(now);
            });
            qb.push(" ON CONFLICT (company_id, kind, event_key) DO NOTHING");
            qb.build()
                .persistent(false)
                .execute(&mut *conn)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    Ok(raised)
}

/// An alert not yet delivered (operator-wide: the delivery job).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Pending {
    pub id: Uuid,
    pub company_id: Uuid,
}

/// The oldest undelivered alerts, at most `limit`.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "alerts::undelivered")
)]
pub async fn undelivered(db: &Db, limit: i64) -> Result<Vec<Pending>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT id, company_id FROM alerts WHERE delivered_at IS NULL
             ORDER BY created_at, id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(pool)
        .await
    })
}

/// Claims an alert's delivery for this transaction: true when no one has delivered it. On
/// PostgreSQL a second instance's UPDATE waits for the first's transaction and then finds
/// `delivered_at` set; on SQLite the write lock orders them.
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "alerts::claim"))]
pub async fn claim(
    tx: &mut Tx,
    scope: CompanyScope,
    id: Uuid,
    now: i64,
) -> Result<bool, sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query("UPDATE alerts SET delivered_at = $3 WHERE id = $1 AND company_id = $2 AND delivered_at IS NULL")
            .bind(id)
            .bind(scope.company_id())
            .bind(now)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected() == 1)
    })
}

/// A person an alert of this kind goes to: an active owner, admin or finance viewer whose
/// choice is not "off", with their address and language (none: the portal only).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Recipient {
    pub user_id: Uuid,
    pub email: String,
    pub mode: String,
    pub lang: Option<String>,
}

#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "alerts::recipients")
)]
pub async fn recipients(
    tx: &mut Tx,
    scope: CompanyScope,
    kind: Kind,
) -> Result<Vec<Recipient>, sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query_as(
            "SELECT m.user_id, COALESCE(m.invited_email, u.email) AS email,
                    COALESCE(s.mode, 'portal') AS mode, s.lang
             FROM memberships m JOIN users u ON u.id = m.user_id
             LEFT JOIN alert_settings s
                    ON s.company_id = m.company_id AND s.user_id = m.user_id AND s.kind = $2
             WHERE m.company_id = $1 AND m.status = 'active' AND m.role IN ('owner', 'admin', 'finance')
               AND COALESCE(s.mode, 'portal') <> 'off'
             ORDER BY u.email",
        )
        .bind(scope.company_id())
        .bind(kind.as_str())
        .fetch_all(&mut *conn)
        .await
    })
}

/// A notice per person (`digest`: to go out in their next daily digest).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "alerts::add_notices")
)]
pub async fn add_notices(
    tx: &mut Tx,
    scope: CompanyScope,
    alert: Uuid,
    people: &[(Uuid, bool)],
    now: i64,
) -> Result<(), sqlx::Error> {
    if people.is_empty() {
        return Ok(());
    }
    with_tx!(tx, |conn| {
        let mut qb = sqlx::QueryBuilder::new(
            "INSERT INTO notices (id, company_id, user_id, alert_id, created_at, digest_pending) ",
        );
        qb.push_values(people, |mut b, (user, digest)| {
            b.push_bind(Uuid::new_v4())
                .push_bind(scope.company_id())
                .push_bind(*user)
                .push_bind(alert)
                .push_bind(now)
                .push_bind(*digest);
        });
        qb.push(" ON CONFLICT (user_id, alert_id) DO NOTHING");
        qb.build()
            .persistent(false)
            .execute(&mut *conn)
            .await
            .map(drop)
    })
}

/// What a notice or mail says about an alert: the alert and, for a session's, the session.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Fact {
    pub alert_id: Uuid,
    #[sqlx(try_from = "String")]
    pub kind: Kind,
    pub details: String,
    pub created_at: i64,
    pub plate: Option<String>,
    pub started_at: Option<i64>,
    pub session_kind: Option<String>,
    pub policy_flags: Option<i64>,
    pub user_id: Option<Uuid>,
    pub member: Option<String>,
    pub facility: Option<String>,
}

const FACT_COLUMNS: &str =
    "a.id AS alert_id, a.kind, a.details, a.created_at, s.plate, s.started_at,
    s.kind AS session_kind, s.policy_flags, s.user_id,
    COALESCE(NULLIF(u.display_name, ''), u.email) AS member, f.name AS facility";
const FACT_JOINS: &str =
    "LEFT JOIN sessions s ON s.id = a.session_id AND s.company_id = a.company_id
    LEFT JOIN users u ON u.id = s.user_id
    LEFT JOIN facilities f ON f.id = s.facility_id";

/// The facts of these alerts of the company.
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "alerts::facts"))]
pub async fn facts(
    conn: impl Into<Conn<'_>>,
    scope: CompanyScope,
    ids: &[Uuid],
) -> Result<Vec<Fact>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    with_conn!(conn, |c| {
        let mut qb = sqlx::QueryBuilder::new(format!(
            "SELECT {FACT_COLUMNS} FROM alerts a {FACT_JOINS} WHERE a.company_id = "
        ));
        qb.push_bind(scope.company_id()).push(" AND a.id IN ");
        crate::push_in_list!(qb, ids.iter().copied());
        qb.push(" ORDER BY a.created_at, a.id");
        qb.build_query_as()
            .persistent(false)
            .fetch_all(&mut *c)
            .await
    })
}

/// One of a person's notices with its alert's facts.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NoticeRow {
    pub notice_id: Uuid,
    pub notice_created_at: i64,
    pub read_at: Option<i64>,
    #[sqlx(flatten)]
    pub fact: Fact,
}

/// A person's notices, newest first (then by id: many arrive in one delivery), after the
/// keyset `before` (the previous page's last (created_at, id)), at most `limit`.
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "alerts::notices"))]
pub async fn notices(
    db: &Db,
    scope: CompanyScope,
    user: Uuid,
    before: Option<(i64, Uuid)>,
    limit: i64,
) -> Result<Vec<NoticeRow>, sqlx::Error> {
    // Without a cursor: a key after every row.
    let (at, id) = before.unwrap_or((i64::MAX, Uuid::max()));
    let sql = format!(
        "SELECT n.id AS notice_id, n.created_at AS notice_created_at, n.read_at, {FACT_COLUMNS}
         FROM notices n JOIN alerts a ON a.id = n.alert_id {FACT_JOINS}
         WHERE n.company_id = $1 AND n.user_id = $2
           AND (n.created_at < $3 OR (n.created_at = $3 AND n.id < $4))
         ORDER BY n.created_at DESC, n.id DESC LIMIT $5"
    );
    with_pool!(db, |pool| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(scope.company_id())
            .bind(user)
            .bind(at)
            .bind(id)
            .bind(limit)
            .fetch_all(pool)
            .await
    })
}

/// How many of a person's notices are unread (the header's count).
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "alerts::unread"))]
pub async fn unread(db: &Db, scope: CompanyScope, user: Uuid) -> Result<i64, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM notices WHERE company_id = $1 AND user_id = $2 AND read_at IS NULL",
        )
        .bind(scope.company_id())
        .bind(user)
        .fetch_one(pool)
        .await
    })
}

/// Marks all of a person's notices read.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "alerts::mark_read")
)]
pub async fn mark_read(
    db: &Db,
    scope: CompanyScope,
    user: Uuid,
    now: i64,
) -> Result<u64, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query(
            "UPDATE notices SET read_at = $3 WHERE company_id = $1 AND user_id = $2 AND read_at IS NULL",
        )
        .bind(scope.company_id())
        .bind(user)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })
}

/// A person's choices: (kind, mode, language) for the kinds they chose (the rest: the
/// default).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "alerts::settings")
)]
pub async fn settings(
    conn: impl Into<Conn<'_>>,
    scope: CompanyScope,
    user: Uuid,
) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    with_conn!(conn, |c| {
        sqlx::query_as(
            "SELECT kind, mode, lang FROM alert_settings WHERE company_id = $1 AND user_id = $2",
        )
        .bind(scope.company_id())
        .bind(user)
        .fetch_all(&mut *c)
        .await
    })
}

/// Sets a person's mode for one kind, in `lang` (their mails' language).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "alerts::set_mode")
)]
pub async fn set_mode(
    tx: &mut Tx,
    scope: CompanyScope,
    user: Uuid,
    kind: Kind,
    mode: Mode,
    lang: &str,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO alert_settings (company_id, user_id, kind, mode, lang) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (company_id, user_id, kind) DO UPDATE SET mode = excluded.mode, lang = excluded.lang",
        )
        .bind(scope.company_id())
        .bind(user)
        .bind(kind.as_str())
        .bind(mode.as_str())
        .bind(lang)
        .execute(&mut *conn)
        .await
        .map(drop)
    })
}

/// A person with notices waiting for their digest (operator-wide: the digest job).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DigestDue {
    pub company_id: Uuid,
    pub user_id: Uuid,
    pub time_zone: String,
}

#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "alerts::digests_due")
)]
pub async fn digests_due(db: &Db) -> Result<Vec<DigestDue>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT DISTINCT n.company_id, n.user_id, c.time_zone
             FROM notices n JOIN companies c ON c.id = n.company_id
             WHERE n.digest_pending = TRUE",
        )
        .fetch_all(pool)
        .await
    })
}

/// Claims a person's digest of `day` (days since 1970-01-01 in the company's calendar):
/// true when none went out that day.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "alerts::claim_digest")
)]
pub async fn claim_digest(
    tx: &mut Tx,
    scope: CompanyScope,
    user: Uuid,
    day: i32,
    notices: i32,
    now: i64,
) -> Result<bool, sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO alert_digests (company_id, user_id, day, sent_at, notices) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (company_id, user_id, day) DO NOTHING",
        )
        .bind(scope.company_id())
        .bind(user)
        .bind(day)
        .bind(now)
        .bind(notices)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected() == 1)
    })
}

/// The alerts waiting in a person's digest, raised before `cutoff`.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "alerts::digest_pending")
)]
pub async fn digest_pending(
    tx: &mut Tx,
    scope: CompanyScope,
    user: Uuid,
    cutoff: i64,
) -> Result<Vec<Uuid>, sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query_scalar(
            "SELECT alert_id FROM notices
             WHERE company_id = $1 AND user_id = $2 AND digest_pending = TRUE AND created_at < $3
             ORDER BY created_at, id",
        )
        .bind(scope.company_id())
        .bind(user)
        .bind(cutoff)
        .fetch_all(&mut *conn)
        .await
    })
}

/// Takes a person's notices raised before `cutoff` out of the digest (it went out, or they
/// no longer want it).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "alerts::digest_done")
)]
pub async fn digest_done(
    tx: &mut Tx,
    scope: CompanyScope,
    user: Uuid,
    cutoff: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE notices SET digest_pending = FALSE
             WHERE company_id = $1 AND user_id = $2 AND digest_pending = TRUE AND created_at < $3",
        )
        .bind(scope.company_id())
        .bind(user)
        .bind(cutoff)
        .execute(&mut *conn)
        .await
        .map(drop)
    })
}

/// A person's address in the company, if they are still an active owner, admin or finance
/// viewer.
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "alerts::address"))]
pub async fn address(
    conn: impl Into<Conn<'_>>,
    scope: CompanyScope,
    user: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    with_conn!(conn, |c| {
        sqlx::query_scalar(
            "SELECT COALESCE(m.invited_email, u.email) FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.company_id = $1 AND m.user_id = $2 AND m.status = 'active'
               AND m.role IN ('owner', 'admin', 'finance')",
        )
        .bind(scope.company_id())
        .bind(user)
        .fetch_optional(&mut *c)
        .await
    })
}
