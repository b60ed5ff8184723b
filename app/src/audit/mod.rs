//! The company's audit log: who did what to whom, and when. Append-only: the store offers
//! no update or delete, and the database refuses both with a trigger.

#[cfg(feature = "ssr")]
pub mod store;
