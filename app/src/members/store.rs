//! Members and invitations in the database. Every query has the company in its `WHERE`.

use uuid::Uuid;

use crate::{db::Db, with_pool};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MemberRecord {
    pub user_id: Uuid,
    pub display_name: String,
    pub email: String,
    pub invited_email: Option<String>,
    pub role: String,
    pub cost_center: Option<String>,
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
    fn order_by(self) -> &'static str {
        match self {
            // People who have not set a name yet come last, not first.
            MemberSort::Name => "CASE WHEN u.display_name = '' THEN 1 ELSE 0 END, lower(u.display_name), u.email",
            MemberSort::Email => "u.email",
            MemberSort::Role => {
                "CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'finance' THEN 2 ELSE 3 END, lower(u.display_name)"
            }
            MemberSort::LastSession => "last_session_at DESC NULLS LAST, u.email",
        }
    }
}

/// The columns of a [`MemberRecord`]; the `FROM` that follows joins `memberships m`,
/// `users u` and `cost_centers cc`.
const MEMBER_COLUMNS: &str = "SELECT m.user_id, u.display_name, u.email, m.invited_email, m.role, cc.name AS cost_center, u.app_signed_in_at,
        (SELECT MAX(s.started_at) FROM sessions s WHERE s.company_id = m.company_id AND s.user_id = m.user_id)
            AS last_session_at";

/// One page of a company's active members matching `search` (name, email or a plate they
/// parked with), and the number of all matches.
pub async fn list(
    db: &Db,
    company_id: Uuid,
    search: Option<&str>,
    sort: MemberSort,
    limit: i64,
    offset: i64,
) -> Result<(Vec<MemberRecord>, i64), sqlx::Error> {
    // Escaped, not stripped: a search for first_last@… must find that address.
    let pattern = search.map(|s| crate::db::like_pattern(&s.to_lowercase()));
    // A search that is a plate matches it exactly, in its stored form (`ABC 123`), so the
    // (company, plate, started_at) index answers it even with millions of sessions. The
    // plate's people are found once (an uncorrelated IN), not once per member: a correlated
    // EXISTS took 30 s at 5,000 members and 2,000,000 sessions.
    let plate = search
        .and_then(crate::history::Plate::parse)
        .map(|p| p.as_str().to_owned());
    const FILTER: &str = "FROM memberships m JOIN users u ON u.id = m.user_id
         LEFT JOIN cost_centers cc ON cc.company_id = m.company_id AND cc.id = m.default_cost_center_id
         WHERE m.company_id = $1 AND m.status = 'active'
           AND ($2 IS NULL OR lower(u.display_name) LIKE $2 ESCAPE '\\' OR u.email LIKE $2 ESCAPE '\\'
                OR lower(coalesce(m.invited_email, '')) LIKE $2 ESCAPE '\\'
                OR m.user_id IN (SELECT s.user_id FROM sessions s WHERE s.company_id = $1 AND s.plate = $3))";
    let sql = format!(
        "{MEMBER_COLUMNS} {FILTER} ORDER BY {} LIMIT $4 OFFSET $5",
        sort.order_by()
    );
    let count_sql = format!("SELECT COUNT(*) {FILTER}");
    with_pool!(db, |pool| {
        let rows = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(company_id)
            .bind(pattern.as_deref())
            .bind(plate.as_deref())
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?;
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql))
            .bind(company_id)
            .bind(pattern.as_deref())
            .bind(plate.as_deref())
            .fetch_one(pool)
            .await?;
        Ok((rows, total))
    })
}

/// One active member of the company, by id (the confirm steps look people up this way,
/// wherever the list was paged, sorted or searched).
pub async fn member(
    db: &Db,
    company_id: Uuid,
    user_id: Uuid,
) -> Result<Option<MemberRecord>, sqlx::Error> {
    let sql = format!(
        "{MEMBER_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id
         LEFT JOIN cost_centers cc ON cc.company_id = m.company_id AND cc.id = m.default_cost_center_id
         WHERE m.company_id = $1 AND m.user_id = $2 AND m.status = 'active'"
    );
    with_pool!(db, |pool| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(company_id)
            .bind(user_id)
            .fetch_optional(pool)
            .await
    })
}

pub async fn owner_count(db: &Db, company_id: Uuid) -> Result<i64, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE company_id = $1 AND role = 'owner' AND status = 'active'")
            .bind(company_id)
            .fetch_one(pool)
            .await
    })
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InvitationRecord {
    pub id: Uuid,
    pub email: String,
    pub role: String,
    pub status: String,
    pub expires_at: i64,
    pub created_at: i64,
    pub accepted_at: Option<i64>,
    /// The newest invitation mail's state in the outbox.
    pub mail_status: Option<String>,
    pub mail_error: Option<String>,
}

pub async fn invitations(db: &Db, company_id: Uuid) -> Result<Vec<InvitationRecord>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT i.id, i.email, i.role, i.status, i.expires_at, i.created_at, i.accepted_at,
                    (SELECT o.status FROM outbox o WHERE o.ref_id = i.id ORDER BY o.created_at DESC LIMIT 1) AS mail_status,
                    (SELECT o.last_error FROM outbox o WHERE o.ref_id = i.id ORDER BY o.created_at DESC LIMIT 1) AS mail_error
             FROM invitations i WHERE i.company_id = $1 ORDER BY i.created_at DESC LIMIT 500",
        )
        .bind(company_id)
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
    pub role: String,
    pub status: String,
    pub expires_at: i64,
    pub default_cost_center_id: Option<Uuid>,
    pub inviter_user_id: Option<Uuid>,
}

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
