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
    /// Spent outside the company's rules this month (empty: nothing), and the history of
    /// exactly those sessions.
    #[serde(default)]
    pub outside: String,
    #[serde(default)]
    pub outside_href: Option<String>,
}

/// How a budget stands: under 80 %, from 80 %, from 100 %.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum BudgetState {
    #[default]
    Under,
    Near,
    Over,
}

impl BudgetState {
    pub fn of(actual: i64, budget: i64) -> BudgetState {
        if budget <= 0 || actual * 100 >= budget * 100 {
            BudgetState::Over
        } else if actual * 100 >= budget * 80 {
            BudgetState::Near
        } else {
            BudgetState::Under
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            BudgetState::Under => "budget under",
            BudgetState::Near => "budget near",
            BudgetState::Over => "budget over",
        }
    }
}

/// One budget against the chosen month's costs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetLine {
    pub label: String,
    pub href: String,
    pub budget: String,
    pub actual: String,
    /// What remains, or "over by …".
    pub remaining: String,
    /// Spent as a whole per cent of the budget (the bar's width, capped at 100 there).
    pub percent: u32,
    pub state: BudgetState,
    /// The month's total at the pace so far (the current month only), and whether it
    /// passes the budget.
    pub forecast: Option<String>,
    pub forecast_over: bool,
}

/// A choice of the budget form: the value posted (empty: the company), its label (with the
/// budget it has now), and that budget as the amount field would hold it (empty: none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetChoice {
    pub value: String,
    pub label: String,
    pub current: String,
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
    /// The company's and cost centers' budgets against this month (company view only).
    #[serde(default)]
    pub budgets: Vec<BudgetLine>,
    /// Owners and admins set budgets: the form's choices (empty for everyone else).
    #[serde(default)]
    pub budget_choices: Vec<BudgetChoice>,
    /// The company's currency, for the budget form's label.
    #[serde(default)]
    pub currency: String,
    /// The history of the whole month.
    pub history_href: String,
    /// The month before and after (none after the current month).
    pub prev_href: String,
    pub next_href: Option<String>,
}
