//! The companies' cost centers (the rules and the page are in the `cost_centers` domain).

use std::collections::HashMap;

use uuid::Uuid;

use crate::{
    db::{Conn, Db, Tx},
    scope::CompanyScope,
    with_conn, with_pool, with_tx,
};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CostCenterRow {
    pub id: Uuid,
    pub company_id: Uuid,
    pub code: String,
    pub name: String,
}

/// Adds a cost center to the scope's company (on the pool, or in the caller's transaction).
/// A code the company already has is a unique violation (`UNIQUE (company_id, code)`).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::insert_cost_center")
)]
pub async fn insert_cost_center<'c>(
    conn: impl Into<Conn<'c>>,
    scope: CompanyScope,
    cc: &CostCenterRow,
    now: i64,
) -> Result<(), sqlx::Error> {
    scope.check(cc.company_id)?;
    with_conn!(conn, |conn| {
        sqlx::query("INSERT INTO cost_centers (id, company_id, code, name, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(cc.id)
            .bind(scope.company_id())
            .bind(&cc.code)
            .bind(&cc.name)
            .bind(now)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// A cost center as its page lists it: archived ones too, with how many active members
/// have it as their default.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CostCenterEntry {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub archived_at: Option<i64>,
    pub members: i64,
}

/// Every cost center of the company, active first, by code.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::cost_center_entries")
)]
pub async fn cost_center_entries(
    db: &Db,
    scope: CompanyScope,
) -> Result<Vec<CostCenterEntry>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT c.id, c.code, c.name, c.archived_at,
                    (SELECT COUNT(*) FROM memberships m
                     WHERE m.company_id = c.company_id AND m.default_cost_center_id = c.id
                       AND m.status = 'active') AS members
             FROM cost_centers c WHERE c.company_id = $1
             ORDER BY c.archived_at IS NOT NULL, c.code",
        )
        .bind(scope.company_id())
        .fetch_all(pool)
        .await
    })
}

/// One of the company's cost centers by id (`None`: not the company's).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::cost_center_entry")
)]
pub async fn cost_center_entry(
    tx: &mut Tx,
    scope: CompanyScope,
    id: Uuid,
) -> Result<Option<CostCenterEntry>, sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query_as(
            "SELECT id, code, name, archived_at, CAST(0 AS BIGINT) AS members FROM cost_centers
             WHERE company_id = $1 AND id = $2",
        )
        .bind(scope.company_id())
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
    })
}

/// Renames one of the company's cost centers; false when it is not the company's.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::rename_cost_center")
)]
pub async fn rename_cost_center(
    tx: &mut Tx,
    scope: CompanyScope,
    id: Uuid,
    name: &str,
) -> Result<bool, sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query("UPDATE cost_centers SET name = $3 WHERE company_id = $1 AND id = $2")
            .bind(scope.company_id())
            .bind(id)
            .bind(name)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected() == 1)
    })
}

/// Archives (`Some(at)`) or restores (`None`) one of the company's cost centers.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::set_cost_center_archived")
)]
pub async fn set_cost_center_archived(
    tx: &mut Tx,
    scope: CompanyScope,
    id: Uuid,
    archived_at: Option<i64>,
) -> Result<bool, sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query("UPDATE cost_centers SET archived_at = $3 WHERE company_id = $1 AND id = $2")
            .bind(scope.company_id())
            .bind(id)
            .bind(archived_at)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected() == 1)
    })
}

#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::cost_centers")
)]
pub async fn cost_centers<'c>(
    conn: impl Into<crate::db::Conn<'c>>,
    scope: CompanyScope,
) -> Result<Vec<CostCenterRow>, sqlx::Error> {
    crate::with_conn!(conn, |c| {
        sqlx::query_as(
            "SELECT id, company_id, code, name FROM cost_centers
             WHERE company_id = $1 AND archived_at IS NULL ORDER BY code",
        )
        .bind(scope.company_id())
        .fetch_all(&mut *c)
        .await
    })
}

/// The cost centers with these codes in the scopes' companies, by (company, code). Archived
/// ones are included: an old session may still name one.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::cost_center_ids")
)]
pub async fn cost_center_ids(
    tx: &mut Tx,
    scopes: &[CompanyScope],
    codes: &[&str],
) -> Result<HashMap<(Uuid, String), Uuid>, sqlx::Error> {
    if scopes.is_empty() || codes.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, String, Uuid)> = with_tx!(tx, |conn| {
        let mut qb = sqlx::QueryBuilder::new(
            "SELECT company_id, code, id FROM cost_centers WHERE company_id IN ",
        );
        crate::push_in_list!(qb, scopes.iter().map(|s| s.company_id()));
        qb.push(" AND code IN ");
        crate::push_in_list!(qb, codes.iter().copied());
        qb.build_query_as()
            .persistent(false)
            .fetch_all(&mut *conn)
            .await
    })?;
    Ok(rows
        .into_iter()
        .map(|(company, code, id)| ((company, code), id))
        .collect())
}
