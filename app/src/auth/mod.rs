//! Passwordless sign-in with emailed one-time codes, browser sessions, CSRF, and the company
//! switcher. The rules are `shared/security.md`; the numbers live in `service.rs`.
//!
//! How a request is authenticated: the server's session middleware (server/src/http/session.rs)
//! reads the `__Host-portal_session` cookie, loads the session, checks CSRF on every non-GET
//! request, and puts a [`RequestSession`] into the request's extensions. Server functions
//! read it from there ([`request_session`]) and build a [`TenantCtx`] from the database
//! ([`tenant`]) before they touch company data.

#[cfg(feature = "ssr")]
pub mod ingest;
mod pages;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
pub use pages::{use_session, CompanyPicker, SessionContext, SignInPage, UserMenu};
mod api;
mod model;
#[cfg(feature = "ssr")]
mod tenant;

pub use api::*;
pub use model::*;
#[cfg(feature = "ssr")]
pub use tenant::*;
