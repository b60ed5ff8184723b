//! Audit log rows. There is deliberately no update or delete here.

use uuid::Uuid;

use crate::{db::Db, with_pool};

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

pub async fn append(db: &Db, e: &AuditEntry) -> Result<(), sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query(
            "INSERT INTO audit_log (id, company_id, actor_user_id, action, subject_user_id, details, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(e.id)
        .bind(e.company_id)
        .bind(e.actor_user_id)
        .bind(&e.action)
        .bind(e.subject_user_id)
        .bind(&e.details)
        .bind(e.at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// A company's entries, newest first.
pub async fn list(db: &Db, company_id: Uuid) -> Result<Vec<AuditEntry>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT id, company_id, actor_user_id, action, subject_user_id, details, at FROM audit_log
             WHERE company_id = $1 ORDER BY at DESC, id",
        )
        .bind(company_id)
        .fetch_all(pool)
        .await
    })
}
