//! The operator's side (customer service's side of the FAQ), for the server's command line:
//! create a company from an order with its contact as owner, give an ownerless (older) account
//! an owner, list companies. Each command validates everything first and then changes the
//! database in one transaction, with its audit entry and the owner's welcome mail. It acts
//! through an [`OperatorAccess`] (auth's door for the operator's tools), never a session.
//!
//! This folder sits above the domains it writes to (companies, members, audit, mail); the
//! ingestion API of the back office belongs here too.

mod service;

pub use service::*;
