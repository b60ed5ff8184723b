//! Company policies (issue 31): the rules a company sets for who may park and charge where
//! and when — for the whole company, overridden per cost center and per member, versioned by
//! the time they take effect — the members' registered vehicles, and the judgement of every
//! session against the rules in force when it started.
//!
//! - [`model`]: the rules, how levels combine, the judgement (pure, shared with the browser);
//! - [`service`]: who may change what, the form's checks, and [`service::Judge`], which the
//!   ingestion service runs over each batch before it writes (the one write path of
//!   sessions), storing the reasons in `sessions.policy_flags`;
//! - [`store`]: the SQL (`policy_rules`, `vehicles`, `policy_outbox`);
//! - [`wire`]: the rules as the operator's back office reads them and gets them pushed;
//! - `api`, `page`: `/policies`.

mod api;
pub mod model;
mod page;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod wire;

pub use api::*;
pub use page::PoliciesPage;
