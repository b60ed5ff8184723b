//! Invoices with their lines, written in one transaction. An invoice's lines and totals are
//! taken from the sessions of its period, so the two can never disagree.

use std::collections::HashMap;

use chrono::NaiveDate;
use uuid::Uuid;

use super::InvoiceStatus;
use crate::{
    db::{Db, Tx},
    scope::CompanyScope,
    with_pool, with_tx,
};

// A status column decodes straight into `InvoiceStatus`; an unknown one fails the row.
crate::stored_as_text!(InvoiceStatus);

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
    pub status: InvoiceStatus,
    pub amount_ore: i64,
    pub vat_ore: i64,
}

/// A company's invoices, newest period first.
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "invoices::list"))]
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
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "invoices::insert_invoice_for_period")
)]
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

/// An invoice as the operator sends it, with its lines (the company must be the scope's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingInvoice {
    pub invoice: NewInvoice,
    pub amount_ore: i64,
    pub vat_ore: i64,
    /// The operator's version: a stored invoice is only replaced by a higher one.
    pub version: i64,
    pub lines: Vec<NewInvoiceLine>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvoiceLine {
    pub description: String,
    pub amount_ore: i64,
    pub vat_ore: i64,
    pub session_id: Option<Uuid>,
    pub cost_center_id: Option<Uuid>,
}

/// What is stored under one invoice number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredInvoice {
    pub id: Uuid,
    pub company_id: Uuid,
    pub version: i64,
}

/// The stored invoices among these numbers, each number locked against other writers until
/// the transaction ends. Not scoped: the ingestion service asks, to refuse an invoice that
/// would move to another company.
///
/// The lock is what makes the answer usable: two batches carrying the same new number would
/// otherwise both read "not stored", both pick a fresh id, and the loser's lines would point
/// at an invoice id its `ON CONFLICT (number)` never inserted. On PostgreSQL each number's
/// advisory lock is taken (in one order, so batches cannot deadlock); on SQLite `Db::begin`
/// already holds the database's write lock.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "invoices::stored_versions")
)]
pub async fn stored_versions(
    tx: &mut Tx,
    numbers: &[&str],
) -> Result<HashMap<String, StoredInvoice>, sqlx::Error> {
    if numbers.is_empty() {
        return Ok(HashMap::new());
    }
    let keys: Vec<i64> = numbers.iter().map(|n| lock_key(n)).collect();
    crate::db::lock_keys(tx, &keys).await?;
    let rows: Vec<(String, Uuid, Uuid, i64)> = with_tx!(tx, |conn| {
        let mut qb = sqlx::QueryBuilder::new(
            "SELECT number, id, company_id, version FROM invoices WHERE number IN ",
        );
        crate::push_in_list!(qb, numbers.iter().copied());
        qb.build_query_as()
            .persistent(false)
            .fetch_all(&mut *conn)
            .await
    })?;
    Ok(rows
        .into_iter()
        .map(|(n, id, company_id, version)| {
            (
                n,
                StoredInvoice {
                    id,
                    company_id,
                    version,
                },
            )
        })
        .collect())
}

/// An invoice number's advisory-lock number: the first eight bytes of a SHA-256 of the
/// number under a tag, so it does not meet another use of advisory locks (a company's rollup
/// lock is its id's bytes) except by a 2^-64 chance, which would only make two writers wait.
fn lock_key(number: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(b"invoice number\0")
        .chain_update(number.as_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// Inserts an invoice with its lines, or replaces a stored one of the same company and a
/// lower version — header and lines together — in the caller's transaction. Returns whether
/// it was written (the same or a higher version stored: not).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "invoices::upsert_invoice")
)]
pub async fn upsert_invoice(
    tx: &mut Tx,
    scope: CompanyScope,
    inv: &IncomingInvoice,
) -> Result<bool, sqlx::Error> {
    let head = &inv.invoice;
    scope.check(head.company_id)?;
    let written = with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO invoices (id, company_id, number, period_start, period_end, issued_on, due_on,
                                   status, paid_on, amount_ore, vat_ore, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (number) DO UPDATE SET
                period_start = excluded.period_start, period_end = excluded.period_end,
                issued_on = excluded.issued_on, due_on = excluded.due_on, status = excluded.status,
                paid_on = excluded.paid_on, amount_ore = excluded.amount_ore,
                vat_ore = excluded.vat_ore, version = excluded.version
             WHERE invoices.version < excluded.version AND invoices.company_id = excluded.company_id",
        )
        .bind(head.id)
        .bind(scope.company_id())
        .bind(&head.number)
        .bind(head.period_start)
        .bind(head.period_end)
        .bind(head.issued_on)
        .bind(head.due_on)
        .bind(head.status.as_str())
        .bind(head.paid_on)
        .bind(inv.amount_ore)
        .bind(inv.vat_ore)
        .bind(inv.version)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })? > 0;
    if !written {
        return Ok(false);
    }
    with_tx!(tx, |conn| {
        sqlx::query("DELETE FROM invoice_lines WHERE company_id = $1 AND invoice_id = $2")
            .bind(scope.company_id())
            .bind(head.id)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    // 8 parameters a line.
    for chunk in inv.lines.chunks(2_000) {
        with_tx!(tx, |conn| {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO invoice_lines (id, company_id, invoice_id, session_id, description,
                                            amount_ore, vat_ore, cost_center_id) ",
            );
            qb.push_values(chunk, |mut b, line| {
                b.push_bind(Uuid::new_v4())
                    .push_bind(scope.company_id())
                    .push_bind(head.id)
                    .push_bind(line.session_id)
                    .push_bind(line.description.as_str())
                    .push_bind(line.amount_ore)
                    .push_bind(line.vat_ore)
                    .push_bind(line.cost_center_id);
            });
            qb.build()
                .execute(&mut *conn)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    Ok(true)
}

/// An invoice as the list and the specification show it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InvoiceRow {
    pub id: Uuid,
    pub number: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    /// As stored: paid, unpaid or credited (overdue is derived: `InvoiceStatus::shown`).
    pub status: InvoiceStatus,
    pub paid_on: Option<NaiveDate>,
    pub amount_ore: i64,
    pub vat_ore: i64,
}

const INVOICE_COLUMNS: &str = "id, number, period_start, period_end, issued_on, due_on, status,
    paid_on, amount_ore, vat_ore";

/// The company's invoices of periods that start in `[from, to)` (all when `None`), newest
/// period first.
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "invoices::rows"))]
pub async fn rows(
    db: &Db,
    scope: CompanyScope,
    range: Option<(NaiveDate, NaiveDate)>,
) -> Result<Vec<InvoiceRow>, sqlx::Error> {
    let (from, to) = range.unwrap_or((
        NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid"),
        NaiveDate::from_ymd_opt(3000, 1, 1).expect("valid"),
    ));
    let sql = format!(
        "SELECT {INVOICE_COLUMNS} FROM invoices
         WHERE company_id = $1 AND period_start >= $2 AND period_start < $3
         ORDER BY period_start DESC, number DESC"
    );
    with_pool!(db, |pool| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(scope.company_id())
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await
    })
}

/// The years the company has invoices for (the list's year filter).
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "invoices::years"))]
pub async fn years(db: &Db, scope: CompanyScope) -> Result<Vec<NaiveDate>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_scalar(
            "SELECT MIN(period_start) FROM invoices WHERE company_id = $1
             UNION ALL SELECT MAX(period_start) FROM invoices WHERE company_id = $1",
        )
        .bind(scope.company_id())
        .fetch_all(pool)
        .await
    })
    .map(|v: Vec<Option<NaiveDate>>| v.into_iter().flatten().collect())
}

/// One invoice of the company (`None`: no such invoice, or another company's).
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "invoices::row"))]
pub async fn row(
    db: &Db,
    scope: CompanyScope,
    id: Uuid,
) -> Result<Option<InvoiceRow>, sqlx::Error> {
    let sql = format!("SELECT {INVOICE_COLUMNS} FROM invoices WHERE company_id = $1 AND id = $2");
    with_pool!(db, |pool| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(scope.company_id())
            .bind(id)
            .fetch_optional(pool)
            .await
    })
}

/// A line of an invoice with what the specification groups and links by: the session's
/// member, plate and start, and the line's cost center.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SpecLine {
    pub id: Uuid,
    pub description: String,
    pub amount_ore: i64,
    pub vat_ore: i64,
    pub session_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    /// The name the person set, else their email; empty without one.
    pub member: String,
    pub plate: Option<String>,
    pub started_at: Option<i64>,
    pub cost_center_id: Option<Uuid>,
    /// `code name`, or empty.
    pub cost_center: String,
}

/// Every line of one of the company's invoices, in session order (fees last).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "invoices::spec_lines")
)]
pub async fn spec_lines(
    db: &Db,
    scope: CompanyScope,
    invoice_id: Uuid,
) -> Result<Vec<SpecLine>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT l.id, l.description, l.amount_ore, l.vat_ore, l.session_id, s.user_id,
                    COALESCE(NULLIF(u.display_name, ''), u.email, '') AS member,
                    s.plate, s.started_at, l.cost_center_id,
                    COALESCE(c.code || ' ' || c.name, '') AS cost_center
             FROM invoice_lines l
             LEFT JOIN sessions s ON s.id = l.session_id AND s.company_id = l.company_id
             LEFT JOIN users u ON u.id = s.user_id
             LEFT JOIN cost_centers c ON c.id = l.cost_center_id AND c.company_id = l.company_id
             WHERE l.company_id = $1 AND l.invoice_id = $2
             ORDER BY s.started_at IS NULL, s.started_at, l.id",
        )
        .bind(scope.company_id())
        .bind(invoice_id)
        .fetch_all(pool)
        .await
    })
}
