//! Companies, users, memberships and cost centers in the database: the tenant's own shape,
//! which every other domain's rows point into. One file per table:
//!
//! - this file: companies;
//! - [`users`]: people, whoever invited them (app users come from the ingestion API);
//! - [`memberships`]: who belongs to which company, with which role and default cost center;
//! - [`cost_centers`]: the companies' cost centers. Their page and rules are the
//!   `cost_centers` domain's, which sits above the front desk; the table's SQL lives here,
//!   on the lowest floor, because the front desk, the history and the ingestion read it.

mod cost_centers;
mod memberships;
mod users;

pub use cost_centers::*;
pub use memberships::*;
pub use users::*;

use std::collections::HashMap;

use uuid::Uuid;

use crate::{
    companies::Role,
    db::{Conn, Db, Tx},
    scope::CompanyScope,
    with_conn, with_pool, with_tx,
};

// A role column decodes straight into `Role`; an unknown one fails the row.
crate::stored_as_text!(Role);

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CompanyRow {
    pub id: Uuid,
    pub name: String,
    pub org_number: String,
    pub time_zone: String,
    pub currency: String,
}

/// Adds a company (on the pool, or in the caller's transaction).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::insert_company")
)]
pub async fn insert_company<'c>(
    conn: impl Into<Conn<'c>>,
    c: &CompanyRow,
    now: i64,
) -> Result<(), sqlx::Error> {
    with_conn!(conn, |conn| {
        sqlx::query(
            "INSERT INTO companies (id, name, org_number, time_zone, currency, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(c.id)
        .bind(&c.name)
        .bind(&c.org_number)
        .bind(&c.time_zone)
        .bind(&c.currency)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The company's rules version after one more change the operator is told of
/// (`companies.policy_version`, counted up in the change's transaction; the row's lock keeps
/// two changes of one company from taking the same number), and its organisation number.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::next_policy_version")
)]
pub async fn next_policy_version(
    tx: &mut Tx,
    scope: CompanyScope,
) -> Result<(i64, String), sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query_as(
            "UPDATE companies SET policy_version = policy_version + 1 WHERE id = $1
             RETURNING policy_version, org_number",
        )
        .bind(scope.company_id())
        .fetch_one(&mut *conn)
        .await
    })
}

/// The company's rules version as it stands (see [`next_policy_version`]).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::policy_version")
)]
pub async fn policy_version<'c>(
    conn: impl Into<Conn<'c>>,
    scope: CompanyScope,
) -> Result<i64, sqlx::Error> {
    with_conn!(conn, |c| {
        sqlx::query_scalar("SELECT policy_version FROM companies WHERE id = $1")
            .bind(scope.company_id())
            .fetch_one(&mut *c)
            .await
    })
}

/// The company with this organisation number (the operator's key for a company).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::company_by_org_number")
)]
pub async fn company_by_org_number(
    db: &Db,
    org_number: &str,
) -> Result<Option<CompanyRow>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT id, name, org_number, time_zone, currency FROM companies WHERE org_number = $1",
        )
        .bind(org_number)
        .fetch_optional(pool)
        .await
    })
}

/// One line of the operator's company list.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CompanyOverview {
    pub org_number: String,
    pub name: String,
    pub active_members: i64,
    /// The first owner's address, if the company has one.
    pub owner_email: Option<String>,
}

/// Every company with its member count and owner, by name (the operator's list).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::overview")
)]
pub async fn overview(db: &Db) -> Result<Vec<CompanyOverview>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT c.org_number, c.name,
                    (SELECT COUNT(*) FROM memberships m WHERE m.company_id = c.id AND m.status = 'active')
                        AS active_members,
                    (SELECT MIN(u.email) FROM memberships m JOIN users u ON u.id = m.user_id
                     WHERE m.company_id = c.id AND m.role = 'owner' AND m.status = 'active') AS owner_email
             FROM companies c ORDER BY c.name",
        )
        .fetch_all(pool)
        .await
    })
}

#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::company")
)]
pub async fn company(db: &Db, scope: CompanyScope) -> Result<Option<CompanyRow>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT id, name, org_number, time_zone, currency FROM companies WHERE id = $1",
        )
        .bind(scope.company_id())
        .fetch_optional(pool)
        .await
    })
}

#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::count_companies")
)]
pub async fn count_companies(db: &Db) -> Result<i64, sqlx::Error> {
    with_pool!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM companies"
    )
    .fetch_one(pool)
    .await)
}

/// The ids of the companies with these organisation numbers (`NNNNNN-NNNN`); numbers no
/// company has are missing from the answer.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::ids_by_org_number")
)]
pub async fn ids_by_org_number(
    tx: &mut Tx,
    org_numbers: &[&str],
) -> Result<HashMap<String, Uuid>, sqlx::Error> {
    if org_numbers.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, Uuid)> = with_tx!(tx, |conn| {
        let mut qb =
            sqlx::QueryBuilder::new("SELECT org_number, id FROM companies WHERE org_number IN ");
        crate::push_in_list!(qb, org_numbers.iter().copied());
        qb.build_query_as()
            .persistent(false)
            .fetch_all(&mut *conn)
            .await
    })?;
    Ok(rows.into_iter().collect())
}
