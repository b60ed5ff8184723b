//! The invoices domain's types and pure rules, shared by the server and the browser.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

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
    pub fn shown(stored: Self, due_on: chrono::NaiveDate, today: chrono::NaiveDate) -> Self {
        match stored {
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
    /// The company's organisation number as its country writes it.
    pub org_number: String,
    /// The company's currency (`EUR`): the CSV's amount titles name it.
    pub currency: String,
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

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn an_unpaid_invoice_is_overdue_the_day_after_its_due_date() {
        let due = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        let on = |d| NaiveDate::from_ymd_opt(2026, 4, d).unwrap();
        assert_eq!(
            InvoiceStatus::shown(InvoiceStatus::Unpaid, due, due),
            InvoiceStatus::Unpaid
        );
        assert_eq!(
            InvoiceStatus::shown(InvoiceStatus::Unpaid, due, on(1)),
            InvoiceStatus::Overdue
        );
        assert_eq!(
            InvoiceStatus::shown(InvoiceStatus::Paid, due, on(9)),
            InvoiceStatus::Paid
        );
        assert_eq!(
            InvoiceStatus::shown(InvoiceStatus::Credited, due, on(9)),
            InvoiceStatus::Credited
        );
    }
}
