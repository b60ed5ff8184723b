//! Invoices with their lines, written in one transaction. An invoice's lines and totals are
//! taken from the sessions of its period, so the two can never disagree.

use chrono::NaiveDate;
use uuid::Uuid;

use super::InvoiceStatus;
use crate::{db::Db, scope::CompanyScope, with_pool};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvoice {
    pub id: Uuid,
    /// Must be the scope's company.
    pub company_id: Uuid,
    pub number: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    pub status: InvoiceStatus,
    pub paid_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InvoiceSummary {
    pub id: Uuid,
    pub number: String,
    pub period_start: NaiveDate,
    pub status: String,
    pub amount_ore: i64,
    pub vat_ore: i64,
}

/// A company's invoices, newest period first.
pub async fn list(db: &Db, scope: CompanyScope) -> Result<Vec<InvoiceSummary>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT id, number, period_start, status, amount_ore, vat_ore FROM invoices
             WHERE company_id = $1 ORDER BY period_start DESC",
        )
        .bind(scope.company_id())
        .fetch_all(pool)
        .await
    })
}

/// An invoice header whose lines and totals are taken from the company's sessions that
/// started in `[from, to)`: one line per session, the line id being the session id (a
/// session is invoiced once). Header, lines and totals are written in one transaction.
pub async fn insert_invoice_for_period(
    db: &Db,
    scope: CompanyScope,
    inv: &NewInvoice,
    from: i64,
    to: i64,
) -> Result<(), sqlx::Error> {
    scope.check(inv.company_id)?;
    with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        let (amount, vat): (Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT CAST(SUM(amount_ore) AS BIGINT), CAST(SUM(vat_ore) AS BIGINT) FROM sessions
             WHERE company_id = $1 AND started_at >= $2 AND started_at < $3",
        )
        .bind(scope.company_id())
        .bind(from)
        .bind(to)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO invoices (id, company_id, number, period_start, period_end, issued_on, due_on,
                                   status, paid_on, amount_ore, vat_ore)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(inv.id)
        .bind(scope.company_id())
        .bind(&inv.number)
        .bind(inv.period_start)
        .bind(inv.period_end)
        .bind(inv.issued_on)
        .bind(inv.due_on)
        .bind(inv.status.as_str())
        .bind(inv.paid_on)
        .bind(amount.unwrap_or(0))
        .bind(vat.unwrap_or(0))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO invoice_lines (id, company_id, invoice_id, session_id, description, amount_ore, vat_ore, cost_center_id)
             SELECT id, company_id, $2, id,
                    CASE kind WHEN 'parking' THEN 'Parkering ' ELSE 'Laddning ' END || plate,
                    amount_ore, vat_ore, cost_center_id
             FROM sessions WHERE company_id = $1 AND started_at >= $3 AND started_at < $4",
        )
        .bind(scope.company_id())
        .bind(inv.id)
        .bind(from)
        .bind(to)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    })
}
