//! The front desk domain's types and pure rules, shared by the server and the browser.

use super::texts;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const PAGE: &str = "/frontdesk";

/// Guest permits one company may register per hour and per day: generous for a real
/// reception, a wall against a script (issue 28: one company's thousands of permits would
/// crowd every other company's out of the operator's channel). The page names them when the
/// quota is spent.
pub const GUESTS_PER_HOUR: i64 = 200;
pub const GUESTS_PER_DAY: i64 = 1_000;

/// How often the page asks for today's list again (JavaScript on).
pub const POLL_SECONDS: u32 = 20;

/// Where a guest is, from the sessions that arrived for the plate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GuestStatus {
    Expected,
    ParkedNow,
    Left,
    Cancelled,
    /// The permit ended and no session came.
    NotArrived,
}

impl GuestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GuestStatus::Expected => "expected",
            GuestStatus::ParkedNow => "parked",
            GuestStatus::Left => "left",
            GuestStatus::Cancelled => "cancelled",
            GuestStatus::NotArrived => "not_arrived",
        }
    }

    pub fn label(self, t: &texts::FrontDeskTexts) -> &'static str {
        match self {
            GuestStatus::Expected => t.status_expected,
            GuestStatus::ParkedNow => t.status_parked,
            GuestStatus::Left => t.status_left,
            GuestStatus::Cancelled => t.status_cancelled,
            GuestStatus::NotArrived => t.status_not_arrived,
        }
    }
}

/// Whether the operator has the permit's latest state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Delivery {
    Sent,
    Waiting,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestView {
    pub id: Uuid,
    pub plate: String,
    pub visitor_name: Option<String>,
    pub host: Option<String>,
    pub facility: String,
    /// `HH:MM`, or `YYYY-MM-DD HH:MM` when not today, in the company's time zone.
    pub from: String,
    pub until: String,
    pub status: GuestStatus,
    pub delivery: Delivery,
    /// Still live: may be extended or cancelled.
    pub live: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParkedView {
    /// The name the member gave in the app; `None` when they gave none (shown as such, never
    /// replaced by their email address).
    pub name: Option<String>,
    pub plate: String,
    pub facility: String,
    pub charging: bool,
    /// `HH:MM`, or `YYYY-MM-DD HH:MM` before today.
    pub since: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacilityChoice {
    pub id: Uuid,
    pub label: String,
    /// How the facility's country writes a plate (`ABC 123`, `ABC-123`, `AB 12345`): the
    /// plate field's hint while this facility is chosen.
    pub plate_example: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TodayView {
    /// `YYYY-MM-DD`, the company's today.
    pub date: String,
    /// `HH:MM` of this answer, for "updated 10:42".
    pub at: String,
    /// `YYYY-MM-DDTHH:MM`, now in the company's time zone (the custom end's minimum).
    pub now_local: String,
    pub guests: Vec<GuestView>,
    pub parked: Vec<ParkedView>,
    pub facilities: Vec<FacilityChoice>,
}

pub use crate::plate::{display as guest_plate, key as plate_key};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_plates_are_written_the_nordic_way() {
        assert_eq!(guest_plate("abc123").as_deref(), Some("ABC 123"));
        assert_eq!(guest_plate("ab12345").as_deref(), Some("AB 12345"));
        assert_eq!(guest_plate("abc-1").as_deref(), Some("ABC 1"));
        assert_eq!(guest_plate("äbc12").as_deref(), Some("ÄBC 12"));
        assert_eq!(guest_plate("M AB 1234").as_deref(), Some("M AB 1234"));
        assert_eq!(guest_plate("B123ABC").as_deref(), Some("B123ABC"));
        assert_eq!(guest_plate("ABC;123"), None);
    }

    #[test]
    fn plate_keys_ignore_spaces_dashes_and_case() {
        assert_eq!(plate_key("abc-123"), "ABC123");
        assert_eq!(plate_key("AB 12345"), "AB12345");
        assert_eq!(plate_key("ÅBC 12"), "ÅBC12");
    }
}
