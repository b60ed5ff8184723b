//! Facilities (Swedish *anläggningar*): where the company account can be used. Public, no
//! sign-in: the FAQ's "does the business account work in camera garages? barrier garages?"
//! answered per facility, searchable by name and city and filterable by kind.

mod page;
#[cfg(feature = "ssr")]
pub mod store;
pub use page::FacilitiesPage;
mod api;
mod model;

pub use api::*;
pub use model::*;
