//! The history table: a page of sessions after a cursor, and the totals of a filter.

use uuid::Uuid;

use super::{keyset_sql, narrowed, split_page, where_sql, Arg};
use crate::{
    db::Db,
    history::{filter::Filter, rollup, SessionKind},
    scope::CompanyScope,
    with_pool,
};

/// Sessions, amount incl. VAT and VAT of one company that started in `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub sessions: i64,
    pub amount_ore: i64,
    pub vat_ore: i64,
}

#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "history::totals"))]
pub async fn totals(
    db: &Db,
    scope: CompanyScope,
    from: i64,
    to: i64,
) -> Result<Totals, sqlx::Error> {
    let (sessions, amount_ore, vat_ore): (i64, Option<i64>, Option<i64>) = with_pool!(
        db,
        |pool| {
            // CAST keeps PostgreSQL's SUM(bigint) = numeric out of the way.
            sqlx::query_as(
            "SELECT COUNT(*), CAST(SUM(amount_ore) AS BIGINT), CAST(SUM(vat_ore) AS BIGINT) FROM sessions
             WHERE company_id = $1 AND started_at >= $2 AND started_at < $3",
        )
        .bind(scope.company_id())
        .bind(from)
        .bind(to)
        .fetch_one(pool)
        .await
        }
    )?;
    Ok(Totals {
        sessions,
        amount_ore: amount_ore.unwrap_or(0),
        vat_ore: vat_ore.unwrap_or(0),
    })
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRecord {
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    /// The name the person set, else their email; empty for a guest.
    pub member: String,
    pub plate: String,
    pub facility: String,
    pub city: String,
    #[sqlx(try_from = "String")]
    pub kind: SessionKind,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub energy_wh: Option<i64>,
    pub amount_ore: i64,
    pub vat_ore: i64,
    /// `code name`, or empty.
    pub cost_center: String,
    /// `policies::model::Reason` bits; 0 within policy.
    pub policy_flags: i64,
}

/// A row of the page query: the record and its sort key (for the next page's cursor).
#[derive(Debug, sqlx::FromRow)]
struct PageRow {
    #[sqlx(flatten)]
    record: SessionRecord,
    sort_key: i64,
}

fn page_query(f: &Filter) -> (String, Vec<Arg>) {
    let f = &narrowed(f);
    let mut args = Vec::new();
    let w = where_sql(f, &mut args);
    let k = keyset_sql(f, &mut args, f.limit + 1);
    let sql = format!(
        "SELECT s.id, s.user_id, COALESCE(NULLIF(u.display_name, ''), u.email, '') AS member,
                s.plate, fa.name AS facility, fa.city, s.kind, s.started_at, s.ended_at, s.energy_wh,
                s.amount_ore, s.vat_ore, COALESCE(c.code || ' ' || c.name, '') AS cost_center,
                s.policy_flags, {key} AS sort_key
         FROM sessions s
         JOIN facilities fa ON fa.id = s.facility_id
         LEFT JOIN users u ON u.id = s.user_id
         LEFT JOIN cost_centers c ON c.id = s.cost_center_id
         WHERE {w}{k}",
        key = f.sort.key_sql()
    );
    (sql, args)
}

/// The page query alone, rows fetched and nothing else done with them: what the benchmark
/// compares the server function against ("the same SQL run directly").
#[cfg(feature = "testing")]
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "history::page_raw")
)]
pub async fn page_raw(db: &Db, f: &Filter) -> Result<usize, sqlx::Error> {
    let (sql, args) = page_query(f);
    let rows: Vec<PageRow> = with_pool!(db, |pool| {
        bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())), &args)
            .fetch_all(pool)
            .await
    })?;
    Ok(rows.len())
}

/// One page of the filter in its sort order, and the cursor of the next page (if any).
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "history::page"))]
pub async fn page(
    db: &Db,
    f: &Filter,
) -> Result<(Vec<SessionRecord>, Option<String>), sqlx::Error> {
    let (sql, args) = page_query(f);
    let rows: Vec<PageRow> = with_pool!(db, |pool| {
        bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())), &args)
            .fetch_all(pool)
            .await
    })?;
    let (rows, next) = split_page(rows, f.limit, |r| (r.sort_key, r.record.id));
    Ok((rows.into_iter().map(|r| r.record).collect(), next))
}

/// Totals of a whole filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct FilterTotals {
    pub sessions: i64,
    /// Parking sessions that have ended, summed.
    pub parking_seconds: i64,
    pub energy_wh: i64,
    pub amount_ore: i64,
    pub vat_ore: i64,
}

fn totals_query(f: &Filter) -> (String, Vec<Arg>) {
    let mut args = Vec::new();
    let w = where_sql(f, &mut args);
    // CAST keeps PostgreSQL's SUM(bigint) = numeric out of the way.
    let sql = format!(
        "SELECT COUNT(*) AS sessions,
                CAST(COALESCE(SUM(CASE WHEN s.kind = 'parking' AND s.ended_at IS NOT NULL
                                       THEN s.ended_at - s.started_at ELSE 0 END), 0) AS BIGINT)
                    AS parking_seconds,
                CAST(COALESCE(SUM(s.energy_wh), 0) AS BIGINT) AS energy_wh,
                CAST(COALESCE(SUM(s.amount_ore), 0) AS BIGINT) AS amount_ore,
                CAST(COALESCE(SUM(s.vat_ore), 0) AS BIGINT) AS vat_ore
         FROM sessions s WHERE {w}"
    );
    (sql, args)
}

/// The totals of a filter: from the day rollup when the filter is made of its dimensions
/// (period, cost center, facility, kind), else from the sessions.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "history::filter_totals")
)]
pub async fn filter_totals(db: &Db, f: &Filter) -> Result<FilterTotals, sqlx::Error> {
    if f.users.is_none()
        && !f.guests
        && f.member_like.is_none()
        && f.plate.is_none()
        && f.policy.is_none()
    {
        let m = rollup::filter_totals(db, f).await?;
        return Ok(FilterTotals {
            sessions: m.sessions,
            parking_seconds: m.parking_seconds,
            energy_wh: m.energy_wh,
            amount_ore: m.amount_ore,
            vat_ore: m.vat_ore,
        });
    }
    sessions_totals(db, f).await
}

/// [`filter_totals`] summed over the sessions, whatever the filter (what the rollup path is
/// tested against).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "history::sessions_totals")
)]
pub async fn sessions_totals(db: &Db, f: &Filter) -> Result<FilterTotals, sqlx::Error> {
    let (sql, args) = totals_query(f);
    with_pool!(db, |pool| {
        bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())), &args)
            .fetch_one(pool)
            .await
    })
}
