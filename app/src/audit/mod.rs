//! The company's audit log: who did what to whom, and when. Append-only: the store offers
//! no update or delete, and the database refuses both with a trigger. Owners, admins and
//! finance viewers read it at `/audit`, filtered by action, person and month.

mod page;
#[cfg(feature = "ssr")]
pub mod store;
pub use page::AuditPage;
mod api;
mod model;

pub use api::*;
pub use model::*;
