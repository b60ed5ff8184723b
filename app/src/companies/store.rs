//! Companies, users, memberships and cost centers in the database.

use std::collections::HashMap;

use uuid::Uuid;

use super::{Email, Role};
use crate::{
    db::{Conn, Db, KeyLookup, Tx},
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

/// The company with this organisation number (the operator's key for a company).
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

pub async fn count_companies(db: &Db) -> Result<i64, sqlx::Error> {
    with_pool!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM companies"
    )
    .fetch_one(pool)
    .await)
}

/// Finds the user with this email, or creates one (with `id` and `display_name`); returns
/// the user's id. An existing user keeps their id and name.
pub async fn upsert_user<'c>(
    conn: impl Into<Conn<'c>>,
    id: Uuid,
    email: &Email,
    display_name: &str,
    now: i64,
) -> Result<Uuid, sqlx::Error> {
    with_conn!(conn, |conn| {
        sqlx::query_scalar(
            "INSERT INTO users (id, email, display_name, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (email) DO UPDATE SET display_name = users.display_name
             RETURNING id",
        )
        .bind(id)
        .bind(email.as_str())
        .bind(display_name)
        .bind(now)
        .fetch_one(&mut *conn)
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
pub async fn memberships_of(
    db: &Db,
    user_id: Uuid,
) -> Result<Vec<(Uuid, String, Role)>, sqlx::Error> {
    let rows: Vec<(Uuid, String, Role)> = with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT c.id, c.name, m.role FROM memberships m JOIN companies c ON c.id = m.company_id
             WHERE m.user_id = $1 AND m.status = 'active' ORDER BY c.name",
        )
        .bind(user_id)
        .fetch_all(pool)
        .await
    })?;
    Ok(rows)
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CostCenterRow {
    pub id: Uuid,
    pub company_id: Uuid,
    pub code: String,
    pub name: String,
}

/// Adds a cost center to the scope's company (on the pool, or in the caller's transaction).
/// A code the company already has is a unique violation (`UNIQUE (company_id, code)`).
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

/// The company's active members by email: user id and current default cost center.
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

pub async fn cost_centers(db: &Db, scope: CompanyScope) -> Result<Vec<CostCenterRow>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT id, company_id, code, name FROM cost_centers
             WHERE company_id = $1 AND archived_at IS NULL ORDER BY code",
        )
        .bind(scope.company_id())
        .fetch_all(pool)
        .await
    })
}

// --- What the ingestion API (`crate::ingest`) reads and writes here -------------------------

/// The ids of the companies with these organisation numbers (`NNNNNN-NNNN`); numbers no
/// company has are missing from the answer.
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

/// The cost centers with these codes in the scopes' companies, by (company, code). Archived
/// ones are included: an old session may still name one.
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

/// The default cost center of each active member among `user_ids` in the scopes' companies,
/// by (company, user); members without one are missing from the answer.
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

/// A user as the ingestion API matches them: by email or by the operator's id.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserKeys {
    pub id: Uuid,
    pub email: String,
    pub operator_user_id: Option<String>,
    pub app_version: i64,
}

/// Which column [`users_by`] matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserKey {
    Email,
    OperatorId,
}

/// The users with these emails (normalised) or operator ids.
pub async fn users_by(
    tx: &mut Tx,
    key: UserKey,
    values: &[&str],
) -> Result<Vec<UserKeys>, sqlx::Error> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let column = match key {
        UserKey::Email => "email",
        UserKey::OperatorId => "operator_user_id",
    };
    KeyLookup::new(format!(
        "SELECT id, email, operator_user_id, app_version FROM users WHERE {column}"
    ))
    .in_texts(values)
    .fetch_all(tx)
    .await
}

/// An app user's profile as the operator sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppUserProfile {
    pub email: Email,
    pub operator_user_id: Option<String>,
    pub display_name: String,
    pub app_signed_in_at: Option<i64>,
    pub app_version: i64,
}

/// Creates users that do not exist yet (a user already holding the email or the operator id
/// is left alone); returns how many were created. Look the ids up with [`users_by`] after.
pub async fn insert_app_users(
    tx: &mut Tx,
    users: &[(Uuid, &AppUserProfile)],
    now: i64,
) -> Result<u64, sqlx::Error> {
    let mut created = 0;
    // 7 parameters a row: far under both engines' limits at 1,000 rows.
    for chunk in users.chunks(2_000) {
        created += with_tx!(tx, |conn| {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO users (id, email, operator_user_id, display_name, app_signed_in_at,
                                    app_version, created_at) ",
            );
            qb.push_values(chunk, |mut b, (id, u)| {
                b.push_bind(*id)
                    .push_bind(u.email.as_str())
                    .push_bind(u.operator_user_id.as_deref())
                    .push_bind(u.display_name.as_str())
                    .push_bind(u.app_signed_in_at)
                    .push_bind(u.app_version)
                    .push_bind(now);
            });
            qb.push(" ON CONFLICT DO NOTHING");
            qb.build()
                .execute(&mut *conn)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    Ok(created)
}

/// Links a user to the operator's id (when it has none) and takes the profile when it is
/// newer than the stored one; an older profile changes nothing. Returns whether it changed.
pub async fn update_app_user(
    tx: &mut Tx,
    user_id: Uuid,
    u: &AppUserProfile,
) -> Result<bool, sqlx::Error> {
    let r = with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE users SET
                operator_user_id = COALESCE(operator_user_id, $2),
                display_name = CASE WHEN app_version < $5 THEN $3 ELSE display_name END,
                app_signed_in_at = CASE WHEN app_version < $5 THEN $4 ELSE app_signed_in_at END,
                app_version = CASE WHEN app_version < $5 THEN $5 ELSE app_version END
             WHERE id = $1 AND (app_version < $5 OR (operator_user_id IS NULL AND $2 IS NOT NULL))",
        )
        .bind(user_id)
        .bind(u.operator_user_id.as_deref())
        .bind(u.display_name.as_str())
        .bind(u.app_signed_in_at)
        .bind(u.app_version)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(r > 0)
}

/// Gives a user the operator's id when they have none yet (an invited member whose first
/// session names both their email and their app account).
pub async fn link_operator_id(
    tx: &mut Tx,
    user_id: Uuid,
    operator_user_id: &str,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE users SET operator_user_id = $2 WHERE id = $1 AND operator_user_id IS NULL",
        )
        .bind(user_id)
        .bind(operator_user_id)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}
