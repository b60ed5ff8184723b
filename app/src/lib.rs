//! The business-account portal's Leptos app: the HTML shell, the routes, and one folder per
//! domain (`facilities/`, …) holding its types, server functions, pages and, behind the
//! `ssr` feature, its store code. The server crate renders it; the frontend crate hydrates it.

#![recursion_limit = "256"]

pub mod alerts;
#[cfg(feature = "ssr")]
pub mod answer;
pub mod audit;
pub mod auth;
pub mod companies;
pub mod cost_centers;
pub mod costs;
pub mod csrf_client;
pub mod csv_io;
pub mod error;
pub mod facilities;
pub mod frontdesk;
pub mod history;
mod home;
pub mod html;
pub mod i18n;
pub mod ids;
#[cfg(feature = "ssr")]
pub mod ingest;
pub mod invoices;
#[cfg(feature = "ssr")]
pub mod mail;
#[cfg(feature = "ssr")]
pub mod mailer;
pub mod members;
#[cfg(feature = "ssr")]
pub mod metrics;
pub mod money;
#[cfg(feature = "ssr")]
pub mod operator;
pub mod org_number;
pub mod plate;
pub mod policies;
pub mod reports;
mod shell;
pub mod ui;
pub mod url;

#[cfg(feature = "ssr")]
pub mod assets;
#[cfg(feature = "ssr")]
pub mod calendar;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod crypto;
#[cfg(feature = "ssr")]
pub mod db;
pub mod nordic;
#[cfg(feature = "ssr")]
pub mod replicas;
#[cfg(feature = "ssr")]
pub mod scope;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "testing")]
pub mod testing;

#[cfg(feature = "ssr")]
pub use shell::shell;
pub use shell::App;
