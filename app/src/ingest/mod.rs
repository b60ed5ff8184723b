//! Real data in: the operator's records — sessions, facilities, app users, invoices — enter
//! the portal here and only here. The signed HTTP API (`server/src/http/ingest.rs`,
//! `/ingest/v1/…`), the operator's backfill command (`portal ingest`) and the demo generator
//! all call [`service`], so everything built on sessions (cost rollups, the front desk's
//! "parked now") has one place to hook into.
//!
//! - [`wire`]: the JSON the back office sends and receives (the OpenAPI document is
//!   generated from it);
//! - [`check`]: the checks of one record that need no database;
//! - [`service`]: a whole batch, all or nothing, in one transaction, through the domains'
//!   stores (this folder has no SQL of its own).

pub mod check;
pub mod service;
pub mod wire;

pub use check::{parse_batch, BadBody, Incoming};
pub use service::{Rejected, OPERATOR_SOURCE};
