//! Cost centers (Swedish *kostnadsställen*) at `/cost-centers`: create (a code unique in the
//! company, a name), rename, archive and restore; each member's default, set from the member
//! list or in bulk from a CSV file (`email;cost_center_code`, preview, then apply all or
//! nothing). Owners and admins manage; finance viewers read. Every change is in the audit log.
//!
//! The table and the memberships' defaults live in `companies` (its store holds their SQL);
//! this folder is the page, the server functions and the rules (`service.rs`).

mod page;
#[cfg(feature = "ssr")]
pub mod service;
pub use page::CostCentersPage;
mod api;
mod model;

pub use api::*;
pub use model::*;
