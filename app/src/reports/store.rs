//! The monthly report's settings, recipients and sends.

use uuid::Uuid;

use crate::{
    companies::Role,
    db::{Db, Tx},
    scope::CompanyScope,
    with_pool, with_tx,
};

/// An active owner, admin or finance viewer: who may receive the report.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Eligible {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// Currently a recipient.
    pub chosen: bool,
}

#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "reports::eligible")
)]
pub async fn eligible(db: &Db, scope: CompanyScope) -> Result<Vec<Eligible>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT u.id AS user_id, u.display_name AS name, COALESCE(m.invited_email, u.email) AS email,
                    m.role,
                    EXISTS (SELECT 1 FROM report_recipients r
                            WHERE r.company_id = m.company_id AND r.user_id = m.user_id) AS chosen
             FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.company_id = $1 AND m.status = 'active' AND m.role IN ('owner', 'admin', 'finance')
             ORDER BY m.role = 'finance', u.email",
        )
        .bind(scope.company_id())
        .fetch_all(pool)
        .await
    })
}

/// The company's settings: (language, first month reported).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "reports::settings")
)]
pub async fn settings(db: &Db, scope: CompanyScope) -> Result<Option<(String, i32)>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as("SELECT lang, since_month FROM report_settings WHERE company_id = $1")
            .bind(scope.company_id())
            .fetch_optional(pool)
            .await
    })
}

/// The last month reported, if any.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "reports::last_sent")
)]
pub async fn last_sent(db: &Db, scope: CompanyScope) -> Result<Option<(i32, i64)>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT month, sent_at FROM report_sends WHERE company_id = $1 ORDER BY month DESC LIMIT 1",
        )
        .bind(scope.company_id())
        .fetch_optional(pool)
        .await
    })
}

/// Replaces the settings and the recipients. `since_month` is kept when settings exist.
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "reports::save"))]
pub async fn save(
    tx: &mut Tx,
    scope: CompanyScope,
    lang: &str,
    since_month: i32,
    recipients: &[Uuid],
    now: i64,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| {
        async {
            sqlx::query(
                "INSERT INTO report_settings (company_id, lang, since_month, updated_at)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (company_id) DO UPDATE SET lang = excluded.lang, updated_at = excluded.updated_at",
            )
            .bind(scope.company_id())
            .bind(lang)
            .bind(since_month)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            sqlx::query("DELETE FROM report_recipients WHERE company_id = $1")
                .bind(scope.company_id())
                .execute(&mut *conn)
                .await?;
            for id in recipients {
                sqlx::query("INSERT INTO report_recipients (company_id, user_id) VALUES ($1, $2)")
                    .bind(scope.company_id())
                    .bind(*id)
                    .execute(&mut *conn)
                    .await?;
            }
            Ok::<_, sqlx::Error>(())
        }
        .await
    })
}

/// A company with a report: what the job needs to decide whether one is due.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Due {
    pub company_id: Uuid,
    pub name: String,
    /// As the company's country writes it; the mail names the company by both.
    pub org_number: String,
    pub time_zone: String,
    pub currency: String,
    pub lang: String,
    pub since_month: i32,
    /// The last month sent, if any.
    pub last_month: Option<i32>,
}

/// Every company with report settings and at least one recipient (operator-wide: the job),
/// in name order.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "reports::with_reports")
)]
pub async fn with_reports(db: &Db) -> Result<Vec<Due>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT c.id AS company_id, c.name, c.org_number, c.time_zone, c.currency, s.lang, s.since_month,
                    (SELECT MAX(month) FROM report_sends r WHERE r.company_id = c.id) AS last_month
             FROM report_settings s JOIN companies c ON c.id = s.company_id
             WHERE EXISTS (SELECT 1 FROM report_recipients r WHERE r.company_id = s.company_id)
             ORDER BY c.name, c.id",
        )
        .fetch_all(pool)
        .await
    })
}

/// Claims the report of `month` for this transaction: true when no one has sent it. On
/// PostgreSQL a second instance's insert waits for the first transaction and then finds the
/// row; on SQLite the write lock (`BEGIN IMMEDIATE`) orders them.
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "reports::claim"))]
pub async fn claim(
    tx: &mut Tx,
    scope: CompanyScope,
    month: i32,
    recipients: i32,
    now: i64,
) -> Result<bool, sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO report_sends (company_id, month, sent_at, recipients) VALUES ($1, $2, $3, $4)
             ON CONFLICT (company_id, month) DO NOTHING",
        )
        .bind(scope.company_id())
        .bind(month)
        .bind(now)
        .bind(recipients)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected() == 1)
    })
}

/// The recipients' addresses now: still active owners, admins or finance viewers.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "reports::recipient_addresses")
)]
pub async fn recipient_addresses(
    tx: &mut Tx,
    scope: CompanyScope,
) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query_as(
            "SELECT u.id, COALESCE(m.invited_email, u.email) FROM report_recipients r
             JOIN memberships m ON m.company_id = r.company_id AND m.user_id = r.user_id
             JOIN users u ON u.id = r.user_id
             WHERE r.company_id = $1 AND m.status = 'active' AND m.role IN ('owner', 'admin', 'finance')
             ORDER BY u.email",
        )
        .bind(scope.company_id())
        .fetch_all(&mut *conn)
        .await
    })
}
