//! Mail: the messages the portal sends (in the four languages, text and HTML) and the outbox
//! they wait in until a background job hands them to the transport (`crate::mailer`).

pub mod store;
pub mod templates;
