//! Invoices (Swedish *fakturor*): the list (`/invoices`, filter by year and status) and each
//! invoice's specification (`/invoices/{id}`): every line grouped by member and by cost
//! center, subtotals that add up to the invoice's total, links to the sessions, a CSV export
//! built in the browser and a print stylesheet. Owners, admins and finance viewers only.
//!
//! "Overdue" is not stored: an unpaid invoice past its due date in the company's calendar
//! is overdue ([`InvoiceStatus::shown`]).

pub mod csv;
mod page;
#[cfg(feature = "ssr")]
pub mod spec;
#[cfg(feature = "ssr")]
pub mod store;

pub use page::{InvoicePage, InvoicesPage};

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::error::Reason;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InvoiceStatus {
    Paid,
    Unpaid,
    /// Unpaid and past its due date: derived, never stored.
    Overdue,
    Credited,
}

impl InvoiceStatus {
    pub const ALL: [InvoiceStatus; 4] = [
        InvoiceStatus::Unpaid,
        InvoiceStatus::Overdue,
        InvoiceStatus::Paid,
        InvoiceStatus::Credited,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Unpaid => "unpaid",
            InvoiceStatus::Overdue => "overdue",
            InvoiceStatus::Credited => "credited",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// What the customer sees: a stored status, with an unpaid invoice past its due date
    /// (`today` in the company's calendar) shown as overdue.
    #[cfg(feature = "ssr")]
    pub fn shown(stored: &str, due_on: chrono::NaiveDate, today: chrono::NaiveDate) -> Self {
        match Self::parse(stored).unwrap_or(InvoiceStatus::Unpaid) {
            InvoiceStatus::Unpaid if today > due_on => InvoiceStatus::Overdue,
            s => s,
        }
    }

    pub fn label(self, t: &crate::i18n::Texts) -> &'static str {
        match self {
            InvoiceStatus::Paid => t.invoice_paid,
            InvoiceStatus::Unpaid => t.invoice_unpaid,
            InvoiceStatus::Overdue => t.invoice_overdue,
            InvoiceStatus::Credited => t.invoice_credited,
        }
    }

    /// Unpaid and overdue invoices stand out in the list.
    pub fn needs_attention(self) -> bool {
        matches!(self, InvoiceStatus::Unpaid | InvoiceStatus::Overdue)
    }
}

/// `/invoices?year=2026&status=overdue`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InvoiceQuery {
    pub year: String,
    pub status: String,
}

/// An invoice as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceItem {
    pub id: Uuid,
    pub number: String,
    /// `mars 2026`.
    pub period: String,
    pub issued_on: String,
    pub due_on: String,
    pub amount: String,
    pub amount_excl_vat: String,
    pub vat: String,
    pub status: InvoiceStatus,
    pub paid_on: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceList {
    pub items: Vec<InvoiceItem>,
    /// The years to filter by, newest first.
    pub years: Vec<i32>,
    /// Unpaid and overdue together, formatted (for the summary above the list).
    pub outstanding: String,
    pub overdue_count: usize,
}

/// One line of the specification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecLineView {
    pub description: String,
    pub member: String,
    pub plate: String,
    /// Local `YYYY-MM-DD HH:MM`, empty for a fee.
    pub start: String,
    pub cost_center: String,
    pub amount: String,
    pub amount_excl_vat: String,
    /// The session in the history (its plate and day), for a session line.
    pub href: Option<String>,
}

/// A group of lines with its subtotal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecGroup {
    /// A stable key for the URL (`?group=`): a member's id, `guests`, `fees`, a cost
    /// center's id or `none`.
    pub key: String,
    pub title: String,
    pub count: usize,
    pub subtotal: String,
    pub subtotal_excl_vat: String,
    /// The lines, when the page shows them (all of a small invoice, or the chosen group).
    pub lines: Vec<SpecLineView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceSpec {
    pub item: InvoiceItem,
    pub company: String,
    pub by_member: Vec<SpecGroup>,
    pub by_cost_center: Vec<SpecGroup>,
    pub line_count: usize,
    /// False for a large invoice: each group's lines are a link away (`?group=`).
    pub all_lines_shown: bool,
    pub total: String,
    pub total_excl_vat: String,
    pub vat: String,
    /// `invoice-<number>.csv`.
    pub file_name: String,
}

/// The lines of a specification for the CSV: (member, plate, start, description, cost
/// center, amount incl. VAT öre, VAT öre).
pub type SpecCsvRow = (String, String, String, String, String, i64, i64);

/// Up to this many lines the specification shows every line; a larger invoice shows its
/// groups with subtotals, each group's lines one click away.
pub const SPEC_ALL_LINES: usize = 2_000;

#[cfg(feature = "ssr")]
fn require_finance(ctx: &crate::auth::TenantCtx) -> Result<(), AppError> {
    if ctx.role().sees_company_records() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The company's invoices, filtered by year and status.
#[server(prefix = "/api", endpoint = "invoices", input = server_fn::codec::GetUrl)]
pub async fn list_invoices(query: InvoiceQuery) -> Result<InvoiceList, AppError> {
    crate::answer::json(async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        require_finance(&ctx)?;
        spec::list(
            &state.db,
            &ctx,
            &query,
            crate::db::now_ts(),
            crate::i18n::lang_of_request(),
        )
        .await
    })
    .await
}

/// One invoice's specification; `group` shows the lines of one group of a large invoice.
#[server(prefix = "/api", endpoint = "invoice", input = server_fn::codec::GetUrl)]
pub async fn invoice_specification(id: String, group: String) -> Result<InvoiceSpec, AppError> {
    crate::answer::json(async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        require_finance(&ctx)?;
        let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
        if group.chars().count() > 40 {
            return Err(AppError::invalid("group", Reason::TooLong));
        }
        spec::specification(
            &state.db,
            &ctx,
            id,
            group.trim(),
            crate::db::now_ts(),
            crate::i18n::lang_of_request(),
        )
        .await
    })
    .await
}

/// Every line of an invoice for the CSV the browser builds. Writes the export to the audit
/// log (the lines name people), so a POST that needs the CSRF token.
#[server(
    prefix = "/api",
    endpoint = "invoice_export",
    client = crate::csrf_client::CsrfClient,
    output = server_fn::codec::Postcard
)]
pub async fn export_invoice(id: String) -> Result<Vec<SpecCsvRow>, AppError> {
    crate::answer::json(async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        require_finance(&ctx)?;
        let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
        spec::export(&state.db, &ctx, id, crate::db::now_ts()).await
    })
    .await
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn an_unpaid_invoice_is_overdue_the_day_after_its_due_date() {
        let due = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        let on = |d| NaiveDate::from_ymd_opt(2026, 4, d).unwrap();
        assert_eq!(
            InvoiceStatus::shown("unpaid", due, due),
            InvoiceStatus::Unpaid
        );
        assert_eq!(
            InvoiceStatus::shown("unpaid", due, on(1)),
            InvoiceStatus::Overdue
        );
        assert_eq!(
            InvoiceStatus::shown("paid", due, on(9)),
            InvoiceStatus::Paid
        );
        assert_eq!(
            InvoiceStatus::shown("credited", due, on(9)),
            InvoiceStatus::Credited
        );
    }
}
