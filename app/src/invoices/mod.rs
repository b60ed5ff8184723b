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
mod api;
mod model;

pub use api::*;
pub use model::*;
