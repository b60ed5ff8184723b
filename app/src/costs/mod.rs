//! Costs (Swedish *kostnader*): what a month cost, per cost center, member, facility and
//! parking/charging, against the month before, and the twelve months before it as a chart.
//! Every bar and row links to `/history` with exactly that filter. Owners, admins and
//! finance viewers see the company's costs; a member sees their own.
//!
//! The company's figures come from the rollups (`history/rollup.rs`), so the page costs the
//! same for a company of five members as for one of five thousand.

#[cfg(feature = "ssr")]
mod chart;
#[cfg(feature = "ssr")]
pub mod format;
#[cfg(feature = "ssr")]
mod labels;
mod page;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

#[cfg(feature = "ssr")]
pub use format::mail_lines;
#[cfg(feature = "ssr")]
pub use labels::month_label;
pub use page::CostsPage;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// `/costs?year=2026&month=3`: empty is the last complete month. `members=all` lists every
/// member of the month instead of the leading ones and "the others" (that row links there).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CostsQuery {
    pub year: String,
    pub month: String,
    /// Absent in older links and callers: the leading members.
    #[serde(default)]
    pub members: String,
}

/// Which way a line moved from the month before.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Trend {
    Up,
    Down,
    #[default]
    Same,
    /// Nothing the month before.
    New,
}

impl Trend {
    pub fn class(self) -> &'static str {
        match self {
            Trend::Up => "trend up",
            Trend::Down => "trend down",
            Trend::Same => "trend same",
            Trend::New => "trend new",
        }
    }
}

/// One row of a breakdown, formatted for the viewer's language and the company's currency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostLine {
    pub label: String,
    /// The history filtered to exactly this row's sessions.
    pub href: Option<String>,
    pub sessions: String,
    pub hours: String,
    pub kwh: String,
    pub cost: String,
    pub cost_excl_vat: String,
    /// `+1 234,00 kr (+12 %)`, or "new".
    pub change: String,
    pub trend: Trend,
}

/// One month of the chart, as the table alternative shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartRow {
    pub label: String,
    pub parking: String,
    pub charging: String,
    pub total: String,
    pub href: String,
    pub chosen: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostsView {
    /// `mars 2026`.
    pub period: String,
    /// `februari 2026`.
    pub previous: String,
    pub year: i32,
    pub month: u32,
    pub own_only: bool,
    /// Owners and admins set up the monthly report (the page links to it for them).
    pub sets_up_report: bool,
    /// The chart as SVG, drawn on the server (readable without JavaScript, printable).
    pub chart_svg: String,
    pub chart_rows: Vec<ChartRow>,
    pub cost_centers: Vec<CostLine>,
    pub members: Vec<CostLine>,
    pub facilities: Vec<CostLine>,
    pub kinds: Vec<CostLine>,
    pub total: CostLine,
    /// The history of the whole month.
    pub history_href: String,
    /// The month before and after (none after the current month).
    pub prev_href: String,
    pub next_href: Option<String>,
}

/// The cost page's figures for a month.
#[server(prefix = "/api", endpoint = "costs", input = server_fn::codec::GetUrl)]
pub async fn cost_report(query: CostsQuery) -> Result<CostsView, AppError> {
    crate::answer::json(async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        let today = service::today(&ctx, crate::db::now_ts());
        let month = service::resolve_month(&query, today)?;
        let members = match query.members.trim() {
            "" => service::Members::Leading,
            "all" => service::Members::All,
            _ => return Err(AppError::invalid("members", crate::error::Reason::Unknown)),
        };
        let report = service::report(&state.db, &ctx, month, members).await?;
        let mut view = format::view(
            &report,
            &ctx.company().currency,
            today,
            crate::i18n::lang_of_request(),
        );
        view.sets_up_report = matches!(
            ctx.role(),
            crate::companies::Role::Owner | crate::companies::Role::Admin
        );
        Ok(view)
    })
    .await
}
