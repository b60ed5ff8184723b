//! The history domain's types and pure rules, shared by the server and the browser.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The history filter as it stands in the URL (`/history?year=2026&month=3&plate=ABC123…`).
/// Every field is the raw text, so a bad value is reported by name instead of being dropped.
/// A field left out is empty (its default), so a link or script made before a filter existed
/// (`policy` came with issue 31) still works.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct HistoryQuery {
    pub year: String,
    /// `1`–`12`; empty with a year = the whole year; empty without a year = this month.
    pub month: String,
    /// A custom range, `YYYY-MM-DD`, both days included; wins over year and month.
    pub from: String,
    pub to: String,
    /// A member's id (links from the table), or part of a name or email.
    pub member: String,
    pub plate: String,
    pub cost_center: String,
    pub facility: String,
    /// `parking`, `charging` or empty for both.
    pub kind: String,
    /// `outside` (any reason), a reason's code (`policies::model::Reason::code`), or empty.
    pub policy: String,
    /// `start` (newest first, the default), `cost` or `duration` (largest first).
    pub sort: String,
    pub size: String,
    /// The keyset cursor: where the previous page ended.
    pub after: String,
}

/// The query's fields with their URL names, borrowed as `$r` (`&` or `&mut`).
macro_rules! query_fields {
    ($q:expr; $($r:tt)*) => {
        [
            ("year", $($r)* $q.year),
            ("month", $($r)* $q.month),
            ("from", $($r)* $q.from),
            ("to", $($r)* $q.to),
            ("member", $($r)* $q.member),
            ("plate", $($r)* $q.plate),
            ("cost_center", $($r)* $q.cost_center),
            ("facility", $($r)* $q.facility),
            ("kind", $($r)* $q.kind),
            ("policy", $($r)* $q.policy),
            ("sort", $($r)* $q.sort),
            ("size", $($r)* $q.size),
            ("after", $($r)* $q.after),
        ]
    };
}

impl HistoryQuery {
    /// Every field with its URL name, in a fixed order (the list is `query_fields!`, the one
    /// place a new filter field is named).
    pub fn fields(&self) -> [(&'static str, &str); 13] {
        query_fields!(self; &).map(|(k, v)| (k, v.as_str()))
    }

    /// The fields to fill in, with their URL names (the order of [`HistoryQuery::fields`]).
    pub fn fields_mut(&mut self) -> [(&'static str, &mut String); 13] {
        query_fields!(self; &mut)
    }

    /// A query from its URL parameters (`get` gives a parameter's value, if any).
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> HistoryQuery {
        let mut q = HistoryQuery::default();
        for (name, value) in q.fields_mut() {
            *value = get(name).unwrap_or_default();
        }
        q
    }

    /// The page's URL parameters, empty ones left out.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        self.fields()
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .collect()
    }

    /// The query as the history server functions receive it (`query[year]=…&…`, every
    /// field, URL-encoded): for tests and benchmarks that call them directly.
    pub fn encoded(&self) -> String {
        self.fields()
            .iter()
            .map(|(k, v)| format!("query%5B{k}%5D={}", crate::url::encode_component(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The same filter without paging: what the totals and the export depend on.
    pub fn without_paging(&self) -> Self {
        Self {
            sort: String::new(),
            size: String::new(),
            after: String::new(),
            ..self.clone()
        }
    }
}

pub const PAGE_SIZES: [i64; 4] = [25, 50, 100, 200];

pub const DEFAULT_PAGE_SIZE: i64 = 50;

/// Rows per export request. Big enough that the request overhead vanishes, small enough
/// that building one chunk's CSV stays far under a 50 ms main-thread task.
pub const EXPORT_CHUNK: i64 = 20_000;

/// One row of the table, formatted on the server for the viewer's language and the
/// company's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRow {
    pub id: Uuid,
    pub member_id: Option<Uuid>,
    pub member: String,
    pub plate: String,
    pub facility: String,
    pub city: String,
    pub charging: bool,
    pub start: String,
    pub end: String,
    pub duration: String,
    pub kwh: String,
    pub cost: String,
    pub cost_excl_vat: String,
    pub cost_center: String,
    /// Why the session is outside the company's policy, in the viewer's language (empty:
    /// within it).
    pub policy: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPageData {
    pub rows: Vec<HistoryRow>,
    /// The cursor of the next page, if there is one.
    pub next: Option<String>,
    /// `mars 2026`, `2026`, `2026-03-01 – 2026-03-15`: for headings and the empty state.
    pub period: String,
    /// For the export's file name: `2026-03`, `2026`, `2026-03-01_2026-03-15`.
    pub period_slug: String,
    pub company_slug: String,
    /// The company's currency (`EUR`): the export's amount titles name it.
    pub currency: String,
    pub members_only_own: bool,
    /// The period just before this one, for the empty state's one click back (on the first
    /// days of a month "this month" holds little or nothing).
    pub earlier: Option<EarlierPeriod>,
}

/// The month before a month, or the year before a year (`month` 0).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlierPeriod {
    pub year: i32,
    pub month: i32,
    /// `november 2026`, `2025`.
    pub label: String,
}

/// Totals of the whole filter, formatted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotalsView {
    pub sessions: i64,
    pub sessions_text: String,
    pub parking_hours: String,
    pub kwh: String,
    pub cost: String,
    pub cost_excl_vat: String,
    /// `december 2026`: the period the totals (and the page) are for, shown above them.
    pub period: String,
}

/// What the filter form offers: the company's cost centers, the facilities, the years.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterChoices {
    pub cost_centers: Vec<(Uuid, String)>,
    pub facilities: Vec<(Uuid, String)>,
    pub years: Vec<i32>,
    /// The member the `member` filter names by id, shown instead of the id.
    pub member_name: Option<String>,
    pub role_member: bool,
    /// Today's year and month in the company's calendar (the default period).
    pub current_year: i32,
    pub current_month: u32,
    /// How the company's country writes a plate (`ABC 123`, `ABC-123`, `AB 12345`): the
    /// plate filter's placeholder (any spelling finds the plate).
    pub plate_example: String,
}

/// One chunk of an export, dictionary-encoded: names, plates, facilities and cost centers
/// appear once per chunk and the rows refer to them by index, so the browser escapes each
/// text once and a row is a handful of numbers on the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportChunk {
    pub members: Vec<String>,
    pub plates: Vec<String>,
    pub facilities: Vec<(String, String)>,
    /// Index 0 is "no cost center".
    pub cost_centers: Vec<String>,
    pub rows: Vec<ExportRow>,
    pub next: Option<String>,
    /// Rows in the whole filter; sent with the first chunk only.
    pub total: Option<i64>,
}

/// (member, plate, facility, charging, start, end, energy Wh, amount incl. VAT öre, VAT öre,
/// cost center, shift, policy flags). Times are local wall-clock seconds (UTC seconds plus the company zone's
/// offset at that instant), so the browser formats them without a time-zone database. `shift`
/// is the zone's offset at the end less at the start: 0, or ±3600 for a session across a
/// daylight-saving change, whose real length is `end - start - shift` (a session from 01:30 to
/// 03:55 on the last Sunday of March lasted 2 h 25 min, not 2 h 25 min + 1 h).
pub type ExportRow = (
    u32,
    u32,
    u32,
    bool,
    i64,
    Option<i64>,
    Option<i64>,
    i64,
    i64,
    u32,
    i32,
    i64,
);

/// Why a session is outside its company's policy (the rules: `policies`). Stored as a bit each in
/// `sessions.policy_flags` ([`PolicyReason::bit`]); named in URLs and the CSV by [`PolicyReason::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PolicyReason {
    /// Started on a day or at an hour the rules do not allow.
    OutsideHours,
    /// The member's rules allow only their registered vehicles, and this plate is not one.
    UnregisteredVehicle,
    ParkingNotAllowed,
    ChargingNotAllowed,
    /// Longer than the maximum stay .
    OverMaxStay,
    /// Cost more than the cap per session.
    OverSessionCap,
    /// The member's month, this session included, went past the monthly cap.
    OverMonthlyCap,
    /// At a facility the rules do not list.
    FacilityNotAllowed,
}

impl PolicyReason {
    pub const ALL: [PolicyReason; 8] = [
        PolicyReason::OutsideHours,
        PolicyReason::UnregisteredVehicle,
        PolicyReason::ParkingNotAllowed,
        PolicyReason::ChargingNotAllowed,
        PolicyReason::OverMaxStay,
        PolicyReason::OverSessionCap,
        PolicyReason::OverMonthlyCap,
        PolicyReason::FacilityNotAllowed,
    ];

    /// The reason's bit in `sessions.policy_flags`. Never renumber: stored judgements keep it.
    pub const fn bit(self) -> i64 {
        match self {
            PolicyReason::OutsideHours => 1,
            PolicyReason::UnregisteredVehicle => 2,
            PolicyReason::ParkingNotAllowed => 4,
            PolicyReason::ChargingNotAllowed => 8,
            PolicyReason::OverMaxStay => 16,
            PolicyReason::OverSessionCap => 32,
            PolicyReason::OverMonthlyCap => 64,
            PolicyReason::FacilityNotAllowed => 128,
        }
    }

    /// The name in the history's URL (`?policy=outside_hours`) and the CSV.
    pub fn code(self) -> &'static str {
        match self {
            PolicyReason::OutsideHours => "outside_hours",
            PolicyReason::UnregisteredVehicle => "unregistered_vehicle",
            PolicyReason::ParkingNotAllowed => "parking_not_allowed",
            PolicyReason::ChargingNotAllowed => "charging_not_allowed",
            PolicyReason::OverMaxStay => "over_max_stay",
            PolicyReason::OverSessionCap => "over_session_cap",
            PolicyReason::OverMonthlyCap => "over_monthly_cap",
            PolicyReason::FacilityNotAllowed => "facility_not_allowed",
        }
    }

    pub fn parse(code: &str) -> Option<PolicyReason> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The reason's place in [`PolicyReason::ALL`], which the texts' `reasons` list follows.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The reasons of stored flags, in [`PolicyReason::ALL`]'s order.
    pub fn of(flags: i64) -> impl Iterator<Item = PolicyReason> {
        Self::ALL.into_iter().filter(move |r| flags & r.bit() != 0)
    }
}

/// Every reason's bit: the history filter "outside policy" (any reason).
pub const ANY_POLICY_REASON: i64 = 255;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SessionKind {
    Parking,
    Charging,
}

/// For reading the stored text (`sqlx(try_from)`): an unknown kind is an error, never a guess.
impl TryFrom<String> for SessionKind {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        SessionKind::parse(&s).ok_or_else(|| format!("unknown session kind {s:?}"))
    }
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Parking => "parking",
            SessionKind::Charging => "charging",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [SessionKind::Parking, SessionKind::Charging]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}
