//! The company's rules as the operator's back office gets them: read with the signed
//! `GET /ingest/v1/policies?company=…`, and pushed, the whole list with each change, to
//! `PORTAL_OPERATOR_POLICIES_URL` (`store::enqueue_message`, sent by the server's policies
//! outbox). The OpenAPI document is generated from these types.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    model::{clock, Level},
    service::ForOperator,
};

/// `GET /ingest/v1/policies?company=…`: a company's rules as they stand, so that the
/// operator can refuse an out-of-policy app session at its start where it is able. Of every
/// level, the version in force now and any that take effect later; a rule left out (`null`)
/// is the level above's (member → cost center → company), at the company level no rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PolicyList {
    /// The company's organisation number.
    #[schema(example = "556677-1001")]
    pub company: String,
    /// The company's rules version: one more with every change of its rules or its members'
    /// vehicles. Unchanged since the last read, nothing changed; of two lists, the higher
    /// version is the newer.
    pub version: i64,
    pub levels: Vec<PolicyLevelOut>,
    /// The members' registered vehicles (the rule "only registered vehicles").
    pub vehicles: Vec<VehicleOut>,
}

/// One level's rules in one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PolicyLevelOut {
    /// `company`, `cost_center` or `member`.
    #[schema(example = "cost_center")]
    pub level: String,
    /// The cost center's code (level `cost_center`).
    pub cost_center: Option<String>,
    /// The member's address, as the app user's email (level `member`).
    pub member: Option<String>,
    /// The company's save counter: a later version of the same level replaces this one.
    pub version: i64,
    /// RFC 3339, UTC: sessions that start at or after it are judged by this version.
    #[schema(format = DateTime)]
    pub valid_from: String,
    /// Allowed start days, `mon` … `sun`.
    #[schema(example = json!(["mon", "tue", "wed", "thu", "fri"]))]
    pub weekdays: Option<Vec<String>>,
    /// Allowed start times in the company's time zone, `HH:MM`; `to` at or before `from` is a
    /// span past midnight (it belongs to the day it starts).
    #[schema(example = "06:00")]
    pub hours_from: Option<String>,
    #[schema(example = "20:00")]
    pub hours_to: Option<String>,
    pub parking_allowed: Option<bool>,
    pub charging_allowed: Option<bool>,
    pub max_stay_minutes: Option<i64>,
    /// Minor units (öre, cents), VAT included.
    pub session_cap: Option<i64>,
    /// Minor units per member and calendar month, VAT included.
    pub monthly_cap: Option<i64>,
    pub only_registered: Option<bool>,
    /// The only facilities where sessions may be (the operator's ids); `null`: as the level
    /// above (at the company level, every facility where the account works).
    #[schema(example = json!(["AIMO-SE-0101", "AIMO-SE-0102"]))]
    pub facilities: Option<Vec<String>>,
}

/// A member's registered vehicles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VehicleOut {
    pub member: String,
    /// As shown (`ABC 123`); compare letters and digits only.
    pub plates: Vec<String>,
}

/// The weekdays' names on the wire, Monday first (bit 0).
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl PolicyList {
    /// The list of a company (its organisation number) at its rules `version`.
    pub fn new(company: String, version: i64, listing: ForOperator) -> PolicyList {
        let levels = listing
            .versions
            .iter()
            .map(|(v, code, email)| {
                let r = &v.rules;
                PolicyLevelOut {
                    level: match v.target.level() {
                        Level::Company => "company",
                        Level::CostCenter => "cost_center",
                        Level::Member => "member",
                    }
                    .into(),
                    cost_center: code.clone(),
                    member: email.clone(),
                    version: v.number,
                    valid_from: crate::calendar::rfc3339_utc(v.valid_from),
                    weekdays: r.weekdays.map(|w| {
                        (0..7)
                            .filter(|d| w & (1 << d) != 0)
                            .map(|d| DAYS[d as usize].to_owned())
                            .collect()
                    }),
                    hours_from: r.hours.map(|(f, _)| clock(f)),
                    hours_to: r.hours.map(|(_, t)| clock(t)),
                    parking_allowed: r.parking_allowed,
                    charging_allowed: r.charging_allowed,
                    max_stay_minutes: r.max_stay_minutes,
                    session_cap: r.session_cap,
                    monthly_cap: r.monthly_cap,
                    only_registered: r.only_registered,
                    facilities: r.facilities.as_ref().map(|list| {
                        list.iter()
                            .map(|id| {
                                listing
                                    .facility_refs
                                    .get(id)
                                    .cloned()
                                    .unwrap_or_else(|| id.to_string())
                            })
                            .collect()
                    }),
                }
            })
            .collect();
        let mut vehicles: Vec<VehicleOut> = Vec::new();
        for (member, plate) in listing.vehicles {
            match vehicles.last_mut() {
                Some(v) if v.member == member => v.plates.push(plate),
                _ => vehicles.push(VehicleOut {
                    member,
                    plates: vec![plate],
                }),
            }
        }
        PolicyList {
            company,
            version,
            levels,
            vehicles,
        }
    }
}
