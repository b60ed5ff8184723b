//! The monthly cost report (`/costs/report`): owners and admins choose who gets it (active
//! owners, admins and finance viewers) and its language; on the first day of each month in
//! the company's time zone each recipient gets last month's totals per cost center and kind,
//! the change from the month before, and a link to `/costs`. Sent through the outbox by the
//! server's background job (`service::send_due`), once per company and month whatever the
//! number of instances. Settings and sends are in the audit log.

mod page;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
pub use page::ReportPage;
mod api;
mod model;

pub use api::*;
pub use model::*;
