//! Memberships: who belongs to which company, with which role and default cost center.

use std::collections::HashMap;

use uuid::Uuid;

use crate::{
    companies::{Email, Role},
    db::{Db, KeyLookup, Tx},
    scope::CompanyScope,
    with_pool, with_tx,
};

/// A membership to add to a company (the company is the scope's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMembership {
    pub user_id: Uuid,
    pub role: Role,
    pub default_cost_center_id: Option<Uuid>,
    pub invited_email: Option<Email>,
}

/// What [`upsert_membership`] does when the person is already an active member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfActive {
    /// Leave it exactly as it is (an invitation never lowers or replaces a membership,
    /// shared/security.md "Invariants"): the call reports `false`.
    Keep,
    /// Give them this role (customer service making someone owner); their cost center and
    /// invited address stay.
    SetRole,
}

/// The one way a membership is made: inserts it, or reactivates a removed one with the new
/// role, cost center and invited address; an active one is handled as `if_active` says.
/// Returns whether the membership changed.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::upsert_membership")
)]
pub async fn upsert_membership(
    tx: &mut Tx,
    scope: CompanyScope,
    m: &NewMembership,
    if_active: IfActive,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let sql = match if_active {
        IfActive::Keep => {
            "INSERT INTO memberships (company_id, user_id, role, status, default_cost_center_id, invited_email, created_at)
             VALUES ($1, $2, $3, 'active', $4, $5, $6)
             ON CONFLICT (company_id, user_id) DO UPDATE SET role = excluded.role, status = 'active',
                 default_cost_center_id = excluded.default_cost_center_id, invited_email = excluded.invited_email
             WHERE memberships.status <> 'active'"
        }
        IfActive::SetRole => {
            "INSERT INTO memberships (company_id, user_id, role, status, default_cost_center_id, invited_email, created_at)
             VALUES ($1, $2, $3, 'active', $4, $5, $6)
             ON CONFLICT (company_id, user_id) DO UPDATE SET role = excluded.role, status = 'active'"
        }
    };
    let changed = with_tx!(tx, |conn| {
        sqlx::query(sql)
            .bind(scope.company_id())
            .bind(m.user_id)
            .bind(m.role.as_str())
            .bind(m.default_cost_center_id)
            .bind(m.invited_email.as_ref().map(Email::as_str))
            .bind(now)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(changed == 1)
}

/// [`upsert_membership`] (keeping an active one) in a transaction of its own: one membership
/// that is not part of a larger change (the demo generator, tests).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::add_membership")
)]
pub async fn add_membership(
    db: &Db,
    scope: CompanyScope,
    m: &NewMembership,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin().await?;
    let added = upsert_membership(&mut tx, scope, m, IfActive::Keep, now).await?;
    tx.commit().await?;
    Ok(added)
}

/// A person's active memberships: (company id, company name, role), by company name.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::memberships_of")
)]
pub async fn memberships_of(db: &Db, user_id: Uuid) -> Result<Vec<MembershipOf>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT c.id, c.name, c.org_number, m.role FROM memberships m
             JOIN companies c ON c.id = m.company_id
             WHERE m.user_id = $1 AND m.status = 'active' ORDER BY c.name",
        )
        .bind(user_id)
        .fetch_all(pool)
        .await
    })
}

/// A company a person is an active member of, as [`memberships_of`] lists it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MembershipOf {
    pub id: Uuid,
    pub name: String,
    /// As its country writes it (`556677-8899`, `1234567-1`, `987 654 325`).
    pub org_number: String,
    pub role: Role,
}

/// The company's active members by email: user id and current default cost center.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::active_members_by_email")
)]
pub async fn active_members_by_email(
    tx: &mut Tx,
    scope: CompanyScope,
    emails: &[&str],
) -> Result<HashMap<String, (Uuid, Option<Uuid>)>, sqlx::Error> {
    if emails.is_empty() {
        return Ok(HashMap::new());
    }
    let mut out = HashMap::new();
    for chunk in emails.chunks(1_000) {
        let rows: Vec<(String, Uuid, Option<Uuid>)> = with_tx!(tx, |conn| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT u.email, u.id, m.default_cost_center_id FROM memberships m
                 JOIN users u ON u.id = m.user_id
                 WHERE m.status = 'active' AND m.company_id = ",
            );
            qb.push_bind(scope.company_id()).push(" AND u.email IN ");
            crate::push_in_list!(qb, chunk.iter().copied());
            qb.build_query_as()
                .persistent(false)
                .fetch_all(&mut *conn)
                .await
        })?;
        out.extend(rows.into_iter().map(|(e, id, cc)| (e, (id, cc))));
    }
    Ok(out)
}

/// Sets an active member's default cost center (`None`: none); false when the person is not
/// an active member of the company. Sessions already stored keep theirs: the default is
/// read when a session arrives (`ingest`).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::set_default_cost_center")
)]
pub async fn set_default_cost_center(
    tx: &mut Tx,
    scope: CompanyScope,
    user_id: Uuid,
    cost_center: Option<Uuid>,
) -> Result<bool, sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE memberships SET default_cost_center_id = $3
             WHERE company_id = $1 AND user_id = $2 AND status = 'active'",
        )
        .bind(scope.company_id())
        .bind(user_id)
        .bind(cost_center)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected() == 1)
    })
}

/// The default cost center of each active member among `user_ids` in the scopes' companies,
/// by (company, user); members without one are missing from the answer.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::default_cost_centers")
)]
pub async fn default_cost_centers(
    tx: &mut Tx,
    scopes: &[CompanyScope],
    user_ids: &[Uuid],
) -> Result<HashMap<(Uuid, Uuid), Uuid>, sqlx::Error> {
    if scopes.is_empty() || user_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, Uuid, Uuid)> = KeyLookup::new(
        "SELECT company_id, user_id, default_cost_center_id FROM memberships
         WHERE status = 'active' AND default_cost_center_id IS NOT NULL AND company_id",
    )
    .in_uuids(scopes.iter().map(|s| s.company_id()))
    .sql(" AND user_id")
    .in_uuids(user_ids.iter().copied())
    .fetch_all(tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(company, user, cc)| ((company, user), cc))
        .collect())
}
