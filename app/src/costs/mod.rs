//! Costs (Swedish *kostnader*): what a month cost, per cost center, member, facility and
//! parking/charging, against the month before, and the twelve months before it as a chart.
//! Every bar and row links to `/history` with exactly that filter. Owners, admins and
//! finance viewers see the company's costs; a member sees their own.
//!
//! The company's figures come from the rollups (`history/rollup.rs`), so the page costs the
//! same for a company of five members as for one of five thousand.

#[cfg(feature = "ssr")]
pub mod budget;
#[cfg(feature = "ssr")]
mod chart;
#[cfg(feature = "ssr")]
pub mod format;
#[cfg(feature = "ssr")]
mod labels;
mod page;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub use format::mail_lines;
#[cfg(feature = "ssr")]
pub use labels::month_label;
pub use page::CostsPage;
mod api;
mod model;

pub use api::*;
pub use model::*;
