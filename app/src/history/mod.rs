//! Parking and charging sessions: who parked or charged where and when, and what it cost.
//! The history page (`/history`), its filters (all in the URL), the totals, keyset paging,
//! and the CSV export that the browser builds from chunks (`csv.rs`).
//!
//! Every read goes through `filter::resolve`, so the table, the totals and the export are
//! authorised and filtered by one piece of code: a member's filter is pinned to their own
//! sessions there, whatever the URL says.

#[cfg(feature = "ssr")]
pub mod ahead;
#[cfg(feature = "ssr")]
mod choices;
pub mod csv;
mod export;
#[cfg(feature = "ssr")]
pub mod filter;
#[cfg(feature = "ssr")]
pub mod format;
mod page;
#[cfg(feature = "ssr")]
pub mod rollup;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
pub use page::HistoryPage;
mod api;
mod model;

pub use api::*;
pub use model::*;
