//! The policies domain's server functions: authorise, call the service or store, answer.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::Level;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::error::Reason;
use leptos::prelude::*;

/// The rules form as posted: every field the raw text, so a bad value is refused by name.
/// Empty means "as the level above" (at the company level: no rule).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulesForm {
    /// ``, `every`, `weekdays` or `custom` (the ticked `day0`…`day6`, Monday first).
    #[serde(default)]
    pub days: String,
    #[serde(default)]
    pub day0: Option<String>,
    #[serde(default)]
    pub day1: Option<String>,
    #[serde(default)]
    pub day2: Option<String>,
    #[serde(default)]
    pub day3: Option<String>,
    #[serde(default)]
    pub day4: Option<String>,
    #[serde(default)]
    pub day5: Option<String>,
    #[serde(default)]
    pub day6: Option<String>,
    /// `HH:MM`, both or neither.
    #[serde(default)]
    pub hours_from: String,
    #[serde(default)]
    pub hours_to: String,
    /// ``, `yes` or `no`.
    #[serde(default)]
    pub parking: String,
    #[serde(default)]
    pub charging: String,
    #[serde(default)]
    pub max_stay_hours: String,
    /// Major units (`2000`, `149,50`).
    #[serde(default)]
    pub session_cap: String,
    #[serde(default)]
    pub monthly_cap: String,
    #[serde(default)]
    pub only_registered: String,
    /// The ticked facilities, `facility[id-<id>]=on` (a key that starts with a digit would
    /// read as a list index): the only ones where sessions may be. None ticked: as the level
    /// above.
    #[serde(default)]
    pub facility: std::collections::BTreeMap<String, String>,
}

impl RulesForm {
    pub fn chosen_days(&self) -> [bool; 7] {
        [
            &self.day0, &self.day1, &self.day2, &self.day3, &self.day4, &self.day5, &self.day6,
        ]
        .map(Option::is_some)
    }

    /// The form filled with a level's stored rules.
    pub fn from_rules(r: &super::model::Rules) -> RulesForm {
        let yes_no = |b: Option<bool>| match b {
            None => String::new(),
            Some(true) => "yes".into(),
            Some(false) => "no".into(),
        };
        let amount = |a: Option<i64>| a.map(crate::money::form_value).unwrap_or_default();
        let day = |d: u8| {
            r.weekdays
                .filter(|w| w & (1 << d) != 0)
                .map(|_| "on".to_owned())
        };
        RulesForm {
            days: match r.weekdays {
                None => String::new(),
                Some(0b111_1111) => "every".into(),
                Some(0b001_1111) => "weekdays".into(),
                Some(_) => "custom".into(),
            },
            day0: day(0),
            day1: day(1),
            day2: day(2),
            day3: day(3),
            day4: day(4),
            day5: day(5),
            day6: day(6),
            hours_from: r
                .hours
                .map(|(f, _)| super::model::clock(f))
                .unwrap_or_default(),
            hours_to: r
                .hours
                .map(|(_, t)| super::model::clock(t))
                .unwrap_or_default(),
            parking: yes_no(r.parking_allowed),
            charging: yes_no(r.charging_allowed),
            max_stay_hours: r
                .max_stay_minutes
                .map(super::model::stay_hours)
                .unwrap_or_default(),
            session_cap: amount(r.session_cap),
            monthly_cap: amount(r.monthly_cap),
            only_registered: yes_no(r.only_registered),
            facility: r
                .facilities
                .iter()
                .flatten()
                .map(|id| (Self::facility_key(*id), "on".to_owned()))
                .collect(),
        }
    }

    /// Whether the facility is ticked.
    pub fn has_facility(&self, id: Uuid) -> bool {
        self.facility.contains_key(&Self::facility_key(id))
    }

    /// The key of a facility's box in `facility`.
    pub fn facility_key(id: Uuid) -> String {
        format!("id-{id}")
    }
}

/// One line of a member's rules in force: the rule, its value and the level that set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectiveLine {
    pub rule: String,
    pub value: String,
    pub from: String,
}

/// Everything `/policies` shows for one level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyView {
    pub level: Level,
    /// The cost center's or member's id (none for the company).
    pub target_id: Option<Uuid>,
    pub heading: String,
    pub can_manage: bool,
    /// The level's rules in force now.
    pub form: RulesForm,
    /// When they took effect, in the company's calendar (none: never set).
    pub since: Option<String>,
    /// A member's rules in force with their sources.
    pub effective: Vec<EffectiveLine>,
    /// The member's name (else email), email (the lookup field's value) and vehicles.
    pub member_name: String,
    pub member_email: String,
    pub vehicles: Vec<String>,
    pub may_edit_vehicles: bool,
    pub cost_centers: Vec<(Uuid, String)>,
    /// The facilities where the company account works, as (id, "name, city"): the choices of
    /// the rule "only these facilities".
    pub facilities: Vec<(Uuid, String)>,
    pub currency: String,
}

/// Where a level's page is: `/policies`, `/policies?cost_center=…`, `/policies?member=…`.
pub fn level_path(level: Level, id: Option<Uuid>) -> String {
    match (level, id) {
        (Level::CostCenter, Some(id)) => format!("/policies?cost_center={id}"),
        (Level::Member, Some(id)) => format!("/policies?member={id}"),
        _ => "/policies".to_owned(),
    }
}

#[cfg(feature = "ssr")]
fn parse_id(field: &str, raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw.trim()).map_err(|_| {
        AppError::invalid(
            field,
            if field == "cost_center" {
                Reason::UnknownCostCenter
            } else {
                Reason::NotAMember
            },
        )
    })
}

/// A level's rules (`cost_center` or `member` given, else the company's). `member` is an id
/// or an email. A member (role) sees only their own.
#[server(prefix = "/api", endpoint = "policies", input = server_fn::codec::GetUrl)]
pub async fn policies(cost_center: String, member: String) -> Result<PolicyView, AppError> {
    crate::answer::json(async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        let lang = crate::i18n::lang_of_request();
        super::service::view(
            &state.db,
            &ctx,
            lang,
            &cost_center,
            &member,
            crate::db::now_ts(),
        )
        .await
    })
    .await
}

/// Saves a level's rules (`level` `company`, `cost_center` or `member`, with its `id`), in
/// force from `valid_from` (a date; empty: now); `recheck` (`on`) judges the company's
/// sessions since then again.
#[server(prefix = "/api", endpoint = "save_policy", client = crate::csrf_client::CsrfClient)]
pub async fn save_policy(
    level: String,
    id: String,
    form: RulesForm,
    #[server(default)] valid_from: String,
    recheck: Option<String>,
) -> Result<String, AppError> {
    let target = match level.as_str() {
        "cost_center" => parse_id("cost_center", &id).map(super::model::Target::CostCenter),
        "member" => parse_id("member", &id).map(super::model::Target::Member),
        "company" => Ok(super::model::Target::Company),
        _ => Err(AppError::invalid("level", Reason::Unknown)),
    };
    let back = match target {
        Ok(t) => level_path(t.level(), t.id()),
        Err(_) => "/policies".to_owned(),
    };
    crate::answer::form(&back, async {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        super::service::save(
            &state.db,
            &ctx,
            target?,
            &form,
            &valid_from,
            recheck.is_some(),
            crate::db::now_ts(),
        )
        .await?;
        Ok(crate::answer::go_to(&back))
    })
    .await
}

/// Registers (`add` = `yes`) or removes (`add` = `no`) one of a member's vehicles.
#[server(prefix = "/api", endpoint = "set_vehicle", client = crate::csrf_client::CsrfClient)]
pub async fn set_vehicle(user_id: Uuid, plate: String, add: String) -> Result<String, AppError> {
    let back = level_path(Level::Member, Some(user_id));
    crate::answer::form(&back, async {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        let add = match add.as_str() {
            "yes" => true,
            "no" => false,
            _ => return Err(AppError::invalid("add", Reason::Unknown)),
        };
        super::service::set_vehicle(&state.db, &ctx, user_id, &plate, add, crate::db::now_ts())
            .await?;
        Ok(crate::answer::go_to(&back))
    })
    .await
}
