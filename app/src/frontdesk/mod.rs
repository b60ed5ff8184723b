//! The front desk (`/frontdesk`, Swedish *receptionen*): a shared tablet at a company's
//! reception registers visitors' cars as guest permits, which the outbox worker sends to the
//! operator's back office (signed, retried, idempotent: `server/src/jobs/permits.rs`), and shows
//! today's guests (expected, parked now, left — from the sessions that arrive for their
//! plates) and the members parked now, refreshed every 20 seconds by polling.
//!
//! Who: the `front_desk` role (which sees nothing else: `auth::tenant` refuses it), owners
//! and admins (`auth::front_desk`). Visitors' names stay in the portal, never in a URL, a log
//! or a message to the operator, and are erased 90 days after the visit (`service::erase`).

mod page;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
pub mod texts;
pub use page::FrontDeskPage;
mod api;
mod model;

pub use api::*;
pub use model::*;
