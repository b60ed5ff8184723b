//! The demo data generator (`portal demo`): realistic, deterministic companies for a new user
//! and for tests. The same seed and `--until` date give the same data, byte for byte.
//!
//! The operator's data — facilities, app users, sessions, invoices — goes in through the
//! ingestion service (`app::ingest`), the one way data enters, in batches of the API's size;
//! the companies, cost centers and memberships through the stores, as customer service and
//! the companies' administrators make them.

mod catalog;
mod generate;
mod invoices;
mod parts;
mod people;
mod sessions;

pub use catalog::{
    DemoAccount, DEMO_ACCOUNTS, DEMO_FINNISH_ADMIN, DEMO_FRONT_DESK, DEMO_NORWEGIAN_ADMIN,
};
pub use generate::{generate, DemoArgs, Report};
