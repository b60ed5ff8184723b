//! Members and invitations in the database. Every function takes the company's
//! [`CompanyScope`] and has it in its `WHERE`; the writes run inside the service's
//! transaction ([`Tx`]), with the audit entry and the mail of the same change.

use uuid::Uuid;

use crate::{
    companies::Role,
    db::{Conn, Db, Tx},
    scope::CompanyScope,
    with_conn, with_pool, with_tx,
};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MemberRecord {
    pub user_id: Uuid,
    pub display_name: String,
    pub email: String,
    pub invited_email: Option<String>,
    pub role: Role,
    pub cost_center: Option<String>,
    pub cost_center_id: Option<Uuid>,
    pub app_signed_in_at: Option<i64>,
    pub last_session_at: Option<i64>,
}

/// Columns the member list may be sorted by (never user text in SQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberSort {
    Name,
    Email,
    Role,
    LastSession,
}

impl MemberSort {
    /// `ORDER BY`, names in the company's country's alphabetical order (`crate::nordic`: the
    /// collation of the same name on both engines).
    fn order_by(self, country: crate::org_number::Country) -> String {
        let names = format!(
            "u.display_name COLLATE {}",
            crate::nordic::collation(country)
        );
        match self {
            // People who have not set a name yet come last, not first.
            MemberSort::Name => {
                format!("CASE WHEN u.display_name = '' THEN 1 ELSE 0 END, {names}, u.email")
            }
            MemberSort::Email => "u.email".to_owned(),
            MemberSort::Role => format!(
                "CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'finance' THEN 2 ELSE 3 END, {names}, u.email"
            ),
            MemberSort::LastSession => "last_session_at DESC NULLS LAST, u.email".to_owned(),
        }
    }
}

/// The columns of a [`MemberRecord`]; the `FROM` that follows joins `memberships m`,
/// `users u` and `cost_centers cc`.
const MEMBER_COLUMNS: &str = "SELECT m.user_id, u.display_name, u.email, m.invited_email, m.role, cc.name AS cost_center, m.default_cost_center_id AS cost_center_id, u.app_signed_in_at,
        (SELECT MAX(s.started_at) FROM sessions s WHERE s.company_id = m.company_id AND s.user_id = m.user_id)
            AS last_session_at";

/// The stored forms of a searched plate the member search looks for (`plate::spellings`
/// gives at most five: the foreign form, the Swedish, Finnish and Norwegian, the display form).
const PLATE_FORMS: usize = 5;

/// One page of a company's active members matching `search` (name, email or a plate they
/// parked with), and the number of all matches.
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "members::list"))]
pub async fn list(
    db: &Db,
    scope: CompanyScope,
    search: Option<&str>,
    sort: MemberSort,
    country: crate::org_number::Country,
    limit: i64,
    offset: i64,
) -> Result<(Vec<MemberRecord>, i64), sqlx::Error> {
    // Escaped, not stripped: a search for first_last@… must find that address.
    let pattern = search.map(|s| crate::db::like_pattern(&s.to_lowercase()));
    // A search that is a plate matches it exactly, in its stored form (`ABC 123`), so the
    // (company, plate, started_at) index answers it even with millions of sessions. The
    // plate's people are found once (an uncorrelated IN), not once per member: a correlated
    // EXISTS took 30 s at 5,000 members and 2,000,000 sessions.
    // Every stored form of it (a Finnish garage stores `ABC-123`, a Swedish one `ABC 123`).
    let mut plates: Vec<Option<String>> = search
        .and_then(crate::plate::spellings)
        .unwrap_or_default()
        .into_iter()
        .map(Some)
        .collect();
    plates.resize(PLATE_FORMS, None);
    const FILTER: &str = "FROM memberships m JOIN users u ON u.id = m.user_id
         LEFT JOIN cost_centers cc ON cc.company_id = m.company_id AND cc.id = m.default_cost_center_id
         WHERE m.company_id = $1 AND m.status = 'active'
           AND ($2 IS NULL OR lower(u.display_name) LIKE $2 ESCAPE '\\' OR u.email LIKE $2 ESCAPE '\\'
                OR lower(coalesce(m.invited_email, '')) LIKE $2 ESCAPE '\\'
                OR m.user_id IN (SELECT s.user_id FROM sessions s
                                 WHERE s.company_id = $1 AND s.plate IN ($3, $4, $5, $6, $7)))";
    let sql = format!(
        "{MEMBER_COLUMNS} {FILTER} ORDER BY {} LIMIT $8 OFFSET $9",
        sort.order_by(country)
    );
    let count_sql = format!("SELECT COUNT(*) {FILTER}");
    with_pool!(db, |pool| {
        let mut rows = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(scope.company_id())
            .bind(pattern.as_deref());
        for p in &plates {
            rows = rows.bind(p.as_deref());
        }
        let rows = rows.bind(limit).bind(offset).fetch_all(pool).await?;
        let mut total = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql))
            .bind(scope.company_id())
            .bind(pattern.as_deref());
        for p in &plates {
            total = total.bind(p.as_deref());
        }
        let total: i64 = total.fetch_one(pool).await?;
        Ok((rows, total))
    })
}

/// One active member of the company, by id (the confirm steps look people up this way,
/// wherever the list was paged, sorted or searched).
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "members::member"))]
pub async fn member(
    db: &Db,
    scope: CompanyScope,
    user_id: Uuid,
) -> Result<Option<MemberRecord>, sqlx::Error> {
    let sql = format!(
        "{MEMBER_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id
         LEFT JOIN cost_centers cc ON cc.company_id = m.company_id AND cc.id = m.default_cost_center_id
         WHERE m.company_id = $1 AND m.user_id = $2 AND m.status = 'active'"
    );
    with_pool!(db, |pool| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(scope.company_id())
            .bind(user_id)
            .fetch_optional(pool)
            .await
    })
}

#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "members::owner_count")
)]
pub async fn owner_count(db: &Db, scope: CompanyScope) -> Result<i64, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE company_id = $1 AND role = 'owner' AND status = 'active'")
            .bind(scope.company_id())
            .fetch_one(pool)
            .await
    })
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InvitationRecord {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub status: String,
    pub expires_at: i64,
    pub created_at: i64,
    pub accepted_at: Option<i64>,
    /// The newest invitation mail's state in the outbox.
    pub mail_status: Option<String>,
    pub mail_error: Option<String>,
}

#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "members::invitations")
)]
pub async fn invitations(
    db: &Db,
    scope: CompanyScope,
) -> Result<Vec<InvitationRecord>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT i.id, i.email, i.role, i.status, i.expires_at, i.created_at, i.accepted_at,
                    (SELECT o.status FROM outbox o WHERE o.ref_id = i.id ORDER BY o.created_at DESC LIMIT 1) AS mail_status,
                    (SELECT o.last_error FROM outbox o WHERE o.ref_id = i.id ORDER BY o.created_at DESC LIMIT 1) AS mail_error
             FROM invitations i WHERE i.company_id = $1 ORDER BY i.created_at DESC LIMIT 500",
        )
        .bind(scope.company_id())
        .fetch_all(pool)
        .await
    })
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InvitationByToken {
    pub id: Uuid,
    pub company_id: Uuid,
    pub company_name: String,
    pub email: String,
    pub role: Role,
    pub status: String,
    pub expires_at: i64,
    pub default_cost_center_id: Option<Uuid>,
    pub inviter_user_id: Option<Uuid>,
}

#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "members::invitation_by_token")
)]
pub async fn invitation_by_token(
    db: &Db,
    token_hash: &[u8],
) -> Result<Option<InvitationByToken>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT i.id, i.company_id, c.name AS company_name, i.email, i.role, i.status, i.expires_at, i.default_cost_center_id,
                    i.inviter_user_id
             FROM invitations i JOIN companies c ON c.id = i.company_id WHERE i.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(pool)
        .await
    })
}

/// The stored role of a person in the company, if they are an active member.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "members::active_role")
)]
pub async fn active_role<'c>(
    conn: impl Into<Conn<'c>>,
    scope: CompanyScope,
    user_id: Uuid,
) -> Result<Option<Role>, sqlx::Error> {
    with_conn!(conn, |conn| {
        sqlx::query_scalar(ACTIVE_ROLE_SQL)
            .bind(scope.company_id())
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await
    })
}

const ACTIVE_ROLE_SQL: &str =
    "SELECT role FROM memberships WHERE company_id = $1 AND user_id = $2 AND status = 'active'";

/// Whether this address is an active member, and whether it has a live invitation.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "members::member_or_invited")
)]
pub async fn member_or_invited(
    db: &Db,
    scope: CompanyScope,
    email: &str,
    now: i64,
) -> Result<(bool, bool), sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
                            WHERE m.company_id = $1 AND u.email = $2 AND m.status = 'active'),
                    EXISTS (SELECT 1 FROM invitations WHERE company_id = $1 AND email = $2
                            AND status = 'pending' AND expires_at > $3)",
        )
        .bind(scope.company_id())
        .bind(email)
        .bind(now)
        .fetch_one(pool)
        .await
    })
}

/// The addresses of every active member, and of every live invitation (the bulk import checks
/// its rows against these two lists, loaded once).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "members::members_and_invited")
)]
pub async fn members_and_invited(
    db: &Db,
    scope: CompanyScope,
    now: i64,
) -> Result<(Vec<String>, Vec<String>), sqlx::Error> {
    with_pool!(db, |pool| {
        async {
            let members = sqlx::query_scalar(
                "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
                 WHERE m.company_id = $1 AND m.status = 'active'",
            )
            .bind(scope.company_id())
            .fetch_all(pool)
            .await?;
            let invited = sqlx::query_scalar(
                "SELECT email FROM invitations WHERE company_id = $1 AND status = 'pending' AND expires_at > $2",
            )
            .bind(scope.company_id())
            .bind(now)
            .fetch_all(pool)
            .await?;
            Ok((members, invited))
        }
        .await
    })
}

/// A new invitation row (the token exists only in the mail; this is its hash).
pub struct NewInvitationRow<'a> {
    pub id: Uuid,
    pub email: &'a str,
    pub role: Role,
    pub inviter: Uuid,
    pub default_cost_center_id: Option<Uuid>,
    pub token_hash: &'a [u8],
    pub expires_at: i64,
}

/// Inserts an invitation; an expired one of the same address gives way (status
/// 'replaced'). Returns `false`, with the transaction to be dropped, when the unique index
/// (one pending invitation per company and address) refuses it: someone was quicker.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "members::insert_invitation")
)]
pub async fn insert_invitation(
    tx: &mut Tx,
    scope: CompanyScope,
    inv: &NewInvitationRow<'_>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let inserted = with_tx!(tx, |conn| {
        async {
            sqlx::query(
                "UPDATE invitations SET status = 'replaced'
                 WHERE company_id = $1 AND email = $2 AND status = 'pending' AND expires_at <= $3",
            )
            .bind(scope.company_id())
            .bind(inv.email)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            sqlx::query(
                "INSERT INTO invitations (id, company_id, email, role, inviter_user_id, default_cost_center_id,
                                          token_hash, status, expires_at, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9)",
            )
            .bind(inv.id)
            .bind(scope.company_id())
            .bind(inv.email)
            .bind(inv.role.as_str())
            .bind(inv.inviter)
            .bind(inv.default_cost_center_id)
            .bind(inv.token_hash)
            .bind(inv.expires_at)
            .bind(now)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected())
        }
        .await
    });
    match inserted {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
        Err(e) => Err(e),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InvitationState {
    pub email: String,
    pub role: Role,
    pub status: String,
}

/// One invitation of the company, by id.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "members::invitation")
)]
pub async fn invitation(
    db: &Db,
    scope: CompanyScope,
    id: Uuid,
) -> Result<Option<InvitationState>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT email, role, status FROM invitations WHERE id = $1 AND company_id = $2",
        )
        .bind(id)
        .bind(scope.company_id())
        .fetch_optional(pool)
        .await
    })
}

/// A new token and lifetime for an invitation, vouched for by `inviter` from now on.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "members::renew_invitation")
)]
pub async fn renew_invitation(
    tx: &mut Tx,
    scope: CompanyScope,
    id: Uuid,
    token_hash: &[u8],
    expires_at: i64,
    inviter: Uuid,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE invitations SET token_hash = $3, expires_at = $4, inviter_user_id = $5
             WHERE id = $1 AND company_id = $2",
        )
        .bind(id)
        .bind(scope.company_id())
        .bind(token_hash)
        .bind(expires_at)
        .bind(inviter)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "members::cancel_invitation")
)]
pub async fn cancel_invitation(
    tx: &mut Tx,
    scope: CompanyScope,
    id: Uuid,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE invitations SET status = 'cancelled'
             WHERE id = $1 AND company_id = $2 AND status = 'pending'",
        )
        .bind(id)
        .bind(scope.company_id())
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Uses up a pending, unexpired invitation with this id and token: `true` for exactly one
/// caller, however many try at once.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "members::use_invitation")
)]
pub async fn use_invitation(
    tx: &mut Tx,
    scope: CompanyScope,
    id: Uuid,
    token_hash: &[u8],
    now: i64,
) -> Result<bool, sqlx::Error> {
    let used = with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE invitations SET status = 'accepted', accepted_at = $3
             WHERE id = $1 AND company_id = $2 AND token_hash = $4 AND status = 'pending' AND expires_at > $3",
        )
        .bind(id)
        .bind(scope.company_id())
        .bind(now)
        .bind(token_hash)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(used == 1)
}

/// Sets an active member's role.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "members::set_role")
)]
pub async fn set_role(
    tx: &mut Tx,
    scope: CompanyScope,
    user_id: Uuid,
    role: Role,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE memberships SET role = $3 WHERE company_id = $1 AND user_id = $2 AND status = 'active'",
        )
        .bind(scope.company_id())
        .bind(user_id)
        .bind(role.as_str())
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Removes an active member, unless they are the last owner: the owner check and the removal
/// are one statement, so two owners removing each other at the same moment cannot leave the
/// company without one. Returns whether they were removed.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "members::remove_member")
)]
pub async fn remove_member(
    tx: &mut Tx,
    scope: CompanyScope,
    user_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let n = with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE memberships SET status = 'removed'
             WHERE company_id = $1 AND user_id = $2 AND status = 'active'
               AND (role <> 'owner' OR (SELECT COUNT(*) FROM memberships o
                                        WHERE o.company_id = $1 AND o.role = 'owner' AND o.status = 'active') > 1)",
        )
        .bind(scope.company_id())
        .bind(user_id)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}
