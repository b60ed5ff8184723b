//! Sessions in the database. Inserts are idempotent on (source, external_ref): a session the
//! back office sends twice is stored once.

use uuid::Uuid;

use super::SessionKind;
use crate::{db::Db, with_pool};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub id: Uuid,
    pub company_id: Uuid,
    pub user_id: Option<Uuid>,
    pub plate: String,
    pub facility_id: Uuid,
    pub kind: SessionKind,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub energy_wh: Option<i64>,
    pub amount_ore: i64,
    pub vat_ore: i64,
    pub cost_center_id: Option<Uuid>,
    pub source: String,
    pub external_ref: String,
}

/// Rows per INSERT statement: 14 parameters each stays under both engines' limits
/// (SQLite 32,766, PostgreSQL 65,535).
pub const INSERT_CHUNK: usize = 2_000;

/// Inserts the sessions in one transaction; returns how many were new.
pub async fn insert_sessions(db: &Db, sessions: &[NewSession]) -> Result<u64, sqlx::Error> {
    with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        let mut inserted = 0;
        for chunk in sessions.chunks(INSERT_CHUNK) {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO sessions (id, company_id, user_id, plate, facility_id, kind, started_at, ended_at,
                                       energy_wh, amount_ore, vat_ore, cost_center_id, source, external_ref) ",
            );
            qb.push_values(chunk, |mut b, s| {
                b.push_bind(s.id)
                    .push_bind(s.company_id)
                    .push_bind(s.user_id)
                    .push_bind(s.plate.as_str())
                    .push_bind(s.facility_id)
                    .push_bind(s.kind.as_str())
                    .push_bind(s.started_at)
                    .push_bind(s.ended_at)
                    .push_bind(s.energy_wh)
                    .push_bind(s.amount_ore)
                    .push_bind(s.vat_ore)
                    .push_bind(s.cost_center_id)
                    .push_bind(s.source.as_str())
                    .push_bind(s.external_ref.as_str());
            });
            qb.push(" ON CONFLICT (source, external_ref) DO NOTHING");
            inserted += qb.build().execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(inserted)
    })
}

/// Sessions, amount incl. VAT and VAT of one company that started in `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub sessions: i64,
    pub amount_ore: i64,
    pub vat_ore: i64,
}

pub async fn totals(db: &Db, company_id: Uuid, from: i64, to: i64) -> Result<Totals, sqlx::Error> {
    let (sessions, amount_ore, vat_ore): (i64, Option<i64>, Option<i64>) = with_pool!(
        db,
        |pool| {
            // CAST keeps PostgreSQL's SUM(bigint) = numeric out of the way.
            sqlx::query_as(
            "SELECT COUNT(*), CAST(SUM(amount_ore) AS BIGINT), CAST(SUM(vat_ore) AS BIGINT) FROM sessions
             WHERE company_id = $1 AND started_at >= $2 AND started_at < $3",
        )
        .bind(company_id)
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
