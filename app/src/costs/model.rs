//! The costs domain's types and pure rules, shared by the server and the browser.

use serde::{Deserialize, Serialize};

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
