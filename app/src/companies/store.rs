//! Companies, users, memberships and cost centers in the database.

use uuid::Uuid;

use super::{Email, Role};
use crate::{db::Db, with_pool};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CompanyRow {
    pub id: Uuid,
    pub name: String,
    pub org_number: String,
    pub time_zone: String,
    pub currency: String,
}

pub async fn insert_company(db: &Db, c: &CompanyRow, now: i64) -> Result<(), sqlx::Error> {
    with_pool!(db, |pool| {
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
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn company(db: &Db, id: Uuid) -> Result<Option<CompanyRow>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT id, name, org_number, time_zone, currency FROM companies WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await
    })
}

pub async fn count_companies(db: &Db) -> Result<i64, sqlx::Error> {
    with_pool!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM companies"
    )
    .fetch_one(pool)
    .await)
}

/// Finds the user with this email, or creates one; returns the user's id.
pub async fn upsert_user(
    db: &Db,
    id: Uuid,
    email: &Email,
    display_name: &str,
    now: i64,
) -> Result<Uuid, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_scalar(
            "INSERT INTO users (id, email, display_name, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (email) DO UPDATE SET display_name = users.display_name
             RETURNING id",
        )
        .bind(id)
        .bind(email.as_str())
        .bind(display_name)
        .bind(now)
        .fetch_one(pool)
        .await
    })
}

pub async fn set_app_signed_in(db: &Db, user_id: Uuid, at: i64) -> Result<(), sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query(
            "UPDATE users SET app_signed_in_at = $2 WHERE id = $1 AND app_signed_in_at IS NULL",
        )
        .bind(user_id)
        .bind(at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMembership {
    pub company_id: Uuid,
    pub user_id: Uuid,
    pub role: Role,
    pub default_cost_center_id: Option<Uuid>,
    pub invited_email: Option<Email>,
}

pub async fn insert_membership(db: &Db, m: &NewMembership, now: i64) -> Result<(), sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query(
            "INSERT INTO memberships (company_id, user_id, role, default_cost_center_id, invited_email, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(m.company_id)
        .bind(m.user_id)
        .bind(m.role.as_str())
        .bind(m.default_cost_center_id)
        .bind(m.invited_email.as_ref().map(Email::as_str))
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// A person's active memberships: (company id, company name, role), by company name.
pub async fn memberships_of(
    db: &Db,
    user_id: Uuid,
) -> Result<Vec<(Uuid, String, Role)>, sqlx::Error> {
    let rows: Vec<(Uuid, String, String)> = with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT c.id, c.name, m.role FROM memberships m JOIN companies c ON c.id = m.company_id
             WHERE m.user_id = $1 AND m.status = 'active' ORDER BY c.name",
        )
        .bind(user_id)
        .fetch_all(pool)
        .await
    })?;
    rows.into_iter()
        .map(|(id, name, role)| {
            let role = Role::parse(&role)
                .ok_or_else(|| sqlx::Error::Decode(format!("memberships.role: {role:?}").into()))?;
            Ok((id, name, role))
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CostCenterRow {
    pub id: Uuid,
    pub company_id: Uuid,
    pub code: String,
    pub name: String,
}

pub async fn insert_cost_center(db: &Db, cc: &CostCenterRow, now: i64) -> Result<(), sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query("INSERT INTO cost_centers (id, company_id, code, name, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(cc.id)
            .bind(cc.company_id)
            .bind(&cc.code)
            .bind(&cc.name)
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn cost_centers(db: &Db, company_id: Uuid) -> Result<Vec<CostCenterRow>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT id, company_id, code, name FROM cost_centers
             WHERE company_id = $1 AND archived_at IS NULL ORDER BY code",
        )
        .bind(company_id)
        .fetch_all(pool)
        .await
    })
}
