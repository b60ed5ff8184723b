//! Alerts (Swedish *aviseringar*): telling the right people, once, about what happened on the
//! company's account — a session outside the company's rules, a car parked past its maximum
//! stay, a budget at 80 % or 100 % — as notices in the portal (`/notices`, with the unread
//! count in the header), a mail at once, or a daily digest at 07:00, as each person chose.
//! The rules of "once" are in `service.rs`. Alerts are raised by the domains that notice the
//! event (ingestion, `policies::service::flag_overstays`, `costs::budget::check`), which sit
//! above this one.

mod api;
mod model;
mod page;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

pub use api::*;
pub use model::*;
pub use page::{NoticesPage, UnsubscribePage};
