//! The front desk (`/frontdesk`, Swedish *receptionen*): a shared tablet at a company's
//! reception registers visitors' cars as guest permits, which the outbox worker sends to the
//! operator's back office (signed, retried, idempotent: `server/src/permits.rs`), and shows
//! today's guests (expected, parked now, left — from the sessions that arrive for their
//! plates) and the members parked now, refreshed every 20 seconds by polling.
//!
//! Who: the `front_desk` role (which sees nothing else: `auth::tenant` refuses it), owners
//! and admins (`auth::front_desk`). Visitors' names stay in the portal, never in a URL, a log
//! or a message to the operator, and are erased 90 days after the visit (`service::erase`).

mod page;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
pub mod texts;

pub use page::FrontDeskPage;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;

pub const PAGE: &str = "/frontdesk";
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
    pub name: String,
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

/// Today's guests and the members parked now (polled by the page); with `choices`, also the
/// facilities the registration form offers (the page asks for them once).
#[server(prefix = "/api", endpoint = "front_desk", input = server_fn::codec::GetUrl)]
pub async fn front_desk_today(choices: bool) -> Result<TodayView, AppError> {
    crate::answer::json(async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::front_desk().await?;
        service::today(
            &state.db,
            &ctx,
            crate::db::now_ts(),
            choices,
            crate::i18n::lang_of_request(),
        )
        .await
    })
    .await
}

/// Registers a guest. `until` is `today` (default), `2h`, `4h`, `tomorrow` or `other` (then
/// `until_at`, `YYYY-MM-DDTHH:MM` in the company's time zone). Returns the page to show: the
/// confirmation of this permit (`/frontdesk?registered=<id>`).
#[server(prefix = "/api", endpoint = "register_guest", client = crate::csrf_client::CsrfClient)]
pub async fn register_guest(
    plate: String,
    visitor_name: String,
    host: String,
    facility: String,
    until: String,
    until_at: Option<String>,
) -> Result<String, AppError> {
    crate::answer::form(PAGE, async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::front_desk().await?;
        let form = service::GuestForm {
            plate: &plate,
            visitor_name: &visitor_name,
            host: &host,
            facility: &facility,
            until: &until,
            until_at: until_at.as_deref().unwrap_or(""),
        };
        let id = service::register(&state.db, &ctx, &form, crate::db::now_ts()).await?;
        state.permits_notify.notify_one();
        Ok(crate::answer::go_to(&format!("{PAGE}?registered={id}")))
    })
    .await
}

/// Extends a live permit: `by` is `1h`, `2h` (from its current end), `today` or `tomorrow`
/// (to 23:59 of that day).
#[server(prefix = "/api", endpoint = "extend_guest", client = crate::csrf_client::CsrfClient)]
pub async fn extend_guest(id: Uuid, by: String) -> Result<(), AppError> {
    crate::answer::form(PAGE, async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::front_desk().await?;
        service::extend(&state.db, &ctx, id, &by, crate::db::now_ts()).await?;
        state.permits_notify.notify_one();
        crate::answer::go_to(PAGE);
        Ok(())
    })
    .await
}

/// Ends a live permit now.
#[server(prefix = "/api", endpoint = "cancel_guest", client = crate::csrf_client::CsrfClient)]
pub async fn cancel_guest(id: Uuid) -> Result<(), AppError> {
    crate::answer::form(PAGE, async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::front_desk().await?;
        service::cancel(&state.db, &ctx, id, crate::db::now_ts()).await?;
        state.permits_notify.notify_one();
        crate::answer::go_to(PAGE);
        Ok(())
    })
    .await
}

/// A guest's plate as the desk typed it, normalised for display: the feed's form
/// (`plate::normalise_any`: Swedish `ABC 123`, others upper case with single spaces), and a
/// run of letters followed by digits typed without a space split the way Nordic plates are
/// written (`ab12345` → `AB 12345`, `abc1` → `ABC 1`). Matching never depends on it
/// ([`plate_key`]).
pub fn guest_plate(raw: &str) -> Option<String> {
    let plate = crate::plate::normalise_any(raw)?;
    if plate.contains(' ') {
        return Some(plate);
    }
    let letters = plate.chars().take_while(|c| c.is_alphabetic()).count();
    let rest = &plate[plate
        .char_indices()
        .nth(letters)
        .map_or(plate.len(), |(i, _)| i)..];
    if (1..=3).contains(&letters) && !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()) {
        let head = &plate[..plate.len() - rest.len()];
        Some(format!("{head} {rest}"))
    } else {
        Some(plate)
    }
}

/// Letters and digits of a plate, upper-cased: how a guest's plate meets the feed's spelling
/// of it (`ABC-123`, `abc 123` and `ABC123` are one car).
pub fn plate_key(plate: &str) -> String {
    plate
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

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
