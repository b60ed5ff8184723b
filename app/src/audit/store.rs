//! Audit log rows. There is deliberately no update or delete here.

use uuid::Uuid;

use super::AuditAction;
use crate::{
    db::{Db, Tx},
    scope::CompanyScope,
    with_pool, with_tx,
};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: Uuid,
    pub company_id: Option<Uuid>,
    pub actor_user_id: Option<Uuid>,
    pub action: String,
    pub subject_user_id: Option<Uuid>,
    /// JSON object with the action's particulars.
    pub details: String,
    pub at: i64,
}

/// A new entry of the log (its id and company are the store's business).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    /// `None` for the operator (customer service, the command line).
    pub actor: Option<Uuid>,
    pub action: AuditAction,
    pub subject: Option<Uuid>,
    /// The action's particulars as a JSON object (see [`details`]).
    pub details: String,
    pub at: i64,
}

/// Appends an entry by the signed-in person of `ctx` (their company, their id as the actor)
/// in the caller's transaction: what a service writes beside each change it makes.
pub async fn record(
    tx: &mut Tx,
    ctx: &crate::auth::TenantCtx,
    action: AuditAction,
    subject: Option<Uuid>,
    details: serde_json::Value,
    now: i64,
) -> Result<(), sqlx::Error> {
    let entry = NewAuditEntry {
        actor: Some(ctx.user_id()),
        action,
        subject,
        details: details.to_string(),
        at: now,
    };
    append(tx, ctx.scope(), &entry).await
}

/// A JSON object of string pairs, for [`NewAuditEntry::details`].
pub fn details(pairs: &[(&str, &str)]) -> String {
    let map: serde_json::Map<String, serde_json::Value> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string())))
        .collect();
    serde_json::Value::Object(map).to_string()
}

/// The one way into the log: inside the transaction of the change it describes, so the two
/// commit (or not) together.
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "audit::append"))]
pub async fn append(
    tx: &mut Tx,
    scope: CompanyScope,
    e: &NewAuditEntry,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO audit_log (id, company_id, actor_user_id, action, subject_user_id, details, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(Uuid::new_v4())
        .bind(scope.company_id())
        .bind(e.actor)
        .bind(e.action.as_str())
        .bind(e.subject)
        .bind(&e.details)
        .bind(e.at)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// A company's entries, newest first.
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "audit::list"))]
pub async fn list(db: &Db, scope: CompanyScope) -> Result<Vec<AuditEntry>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT id, company_id, actor_user_id, action, subject_user_id, details, at FROM audit_log
             WHERE company_id = $1 ORDER BY at DESC, id",
        )
        .bind(scope.company_id())
        .fetch_all(pool)
        .await
    })
}

/// An entry with the people's addresses, for the audit log page.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRow {
    pub id: Uuid,
    pub action: String,
    pub actor_email: Option<String>,
    pub subject_email: Option<String>,
    pub details: String,
    pub at: i64,
}

pub struct AuditFilter<'a> {
    pub action: Option<AuditAction>,
    /// Part of the actor's or the subject's address.
    pub person: Option<&'a str>,
    /// `[from, to)` in UTC seconds.
    pub range: Option<(i64, i64)>,
}

/// A company's entries matching the filter, newest first, at most `limit`.
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "audit::search"))]
pub async fn search(
    db: &Db,
    scope: CompanyScope,
    f: &AuditFilter<'_>,
    limit: i64,
    offset: i64,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    let person = f.person.map(|p| crate::db::like_pattern(&p.to_lowercase()));
    let (from, to) = f.range.unzip();
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT a.id, a.action, ua.email AS actor_email, us.email AS subject_email, a.details, a.at
             FROM audit_log a
             LEFT JOIN users ua ON ua.id = a.actor_user_id
             LEFT JOIN users us ON us.id = a.subject_user_id
             WHERE a.company_id = $1
               AND ($2 IS NULL OR a.action = $2)
               AND ($3 IS NULL OR ua.email LIKE $3 ESCAPE '\\' OR us.email LIKE $3 ESCAPE '\\' OR a.details LIKE $3 ESCAPE '\\')
               AND ($4 IS NULL OR a.at >= $4) AND ($5 IS NULL OR a.at < $5)
             ORDER BY a.at DESC, a.id LIMIT $6 OFFSET $7",
        )
        .bind(scope.company_id())
        .bind(f.action.map(AuditAction::as_str))
        .bind(person.as_deref())
        .bind(from)
        .bind(to)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await
    })
}
