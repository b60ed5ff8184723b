//! Invoices and their specification lines. The invoice pages arrive with their issue.

#[cfg(feature = "ssr")]
pub mod store;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InvoiceStatus {
    Paid,
    Unpaid,
    Overdue,
    Credited,
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Unpaid => "unpaid",
            InvoiceStatus::Overdue => "overdue",
            InvoiceStatus::Credited => "credited",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Paid, Self::Unpaid, Self::Overdue, Self::Credited]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}
