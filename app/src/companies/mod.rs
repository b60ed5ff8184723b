//! Companies (business accounts), the people in them and their roles, and cost centers.
//! The members pages and the invitation flow arrive with their issues; this folder holds the
//! types every other domain refers to.

mod model;
#[cfg(feature = "ssr")]
pub mod store;

pub use model::*;
