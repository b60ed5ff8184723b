//! Members, roles and invitations: the FAQ's biggest topic. Owners and admins invite and
//! remove the people who park on the company's bill; finance viewers read the list. The role
//! rules are `service::manageable_roles` (from the table in shared/security.md).

mod confirm;
mod invitations;
mod invite;
mod page;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
pub use invitations::InvitePage;
pub use page::MembersPage;
mod api;
mod model;

pub use api::*;
pub use model::*;
