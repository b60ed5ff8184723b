//! The policies domain's types and pure rules, shared by the server and the browser: the
//! rules of one level, how the levels combine ([`effective`]), and the judgement of one
//! session ([`judge`]).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A session's judgement is stored with it, so its reasons are the history domain's type
/// (`history::PolicyReason`); here under the name the rules use.
pub use crate::history::{PolicyReason as Reason, ANY_POLICY_REASON as ANY_REASON};

/// The rules one level sets. `None` leaves a rule to the level above (member → cost center →
/// company); at the company level `None` means no such rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    /// Allowed weekdays: bit 0 Monday … bit 6 Sunday.
    pub weekdays: Option<u8>,
    /// Allowed start times, minutes after local midnight: from (0–1439) to (1–1440); a `to`
    /// at or below `from` is a span past midnight (22:00–06:00).
    pub hours: Option<(u16, u16)>,
    pub parking_allowed: Option<bool>,
    pub charging_allowed: Option<bool>,
    pub max_stay_minutes: Option<i64>,
    /// Minor units (öre, cents), VAT included, like every amount.
    pub session_cap: Option<i64>,
    pub monthly_cap: Option<i64>,
    pub only_registered: Option<bool>,
    /// The only facilities where sessions may be (sorted, at least one); `None`: every
    /// facility where the account works, as far as this level says.
    pub facilities: Option<Vec<Uuid>>,
}

impl Rules {
    pub fn is_empty(&self) -> bool {
        *self == Rules::default()
    }
}

/// The level a rule is set at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Level {
    Company,
    CostCenter,
    Member,
}

/// Which level's rules a page shows or a form saves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Target {
    Company,
    CostCenter(Uuid),
    Member(Uuid),
}

impl Target {
    pub fn level(self) -> Level {
        match self {
            Target::Company => Level::Company,
            Target::CostCenter(_) => Level::CostCenter,
            Target::Member(_) => Level::Member,
        }
    }

    /// The cost center's or member's id.
    pub fn id(self) -> Option<Uuid> {
        match self {
            Target::Company => None,
            Target::CostCenter(id) | Target::Member(id) => Some(id),
        }
    }
}

/// A member's rules with each rule's level: the most specific level that sets a rule wins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effective {
    pub rules: Rules,
    pub from: Sources,
}

/// Where each rule of an [`Effective`] comes from (`None`: no level sets it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sources {
    pub weekdays: Option<Level>,
    pub hours: Option<Level>,
    pub parking_allowed: Option<Level>,
    pub charging_allowed: Option<Level>,
    pub max_stay_minutes: Option<Level>,
    pub session_cap: Option<Level>,
    pub monthly_cap: Option<Level>,
    pub only_registered: Option<Level>,
    pub facilities: Option<Level>,
}

/// Combines the levels, most specific first wins, rule by rule.
pub fn effective(
    company: Option<&Rules>,
    center: Option<&Rules>,
    member: Option<&Rules>,
) -> Effective {
    let levels = [
        (Level::Member, member),
        (Level::CostCenter, center),
        (Level::Company, company),
    ];
    let mut e = Effective::default();
    macro_rules! pick {
        ($($field:ident),*) => {$(
            for (level, rules) in levels {
                if let Some(v) = rules.and_then(|r| r.$field) {
                    e.rules.$field = Some(v);
                    e.from.$field = Some(level);
                    break;
                }
            }
        )*};
    }
    pick!(
        weekdays,
        hours,
        parking_allowed,
        charging_allowed,
        max_stay_minutes,
        session_cap,
        monthly_cap,
        only_registered
    );
    for (level, rules) in levels {
        if let Some(list) = rules.and_then(|r| r.facilities.as_ref()) {
            e.rules.facilities = Some(list.clone());
            e.from.facilities = Some(level);
            break;
        }
    }
    e
}

/// One version of one level's rules, in force from `valid_from` until the level's next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    pub company_id: Uuid,
    pub target: Target,
    pub valid_from: i64,
    /// The company's save counter (1, 2, …): what the operator keeps as the highest seen.
    pub number: i64,
    pub rules: Rules,
}

/// Companies' rule versions, looked up by level and instant: which rules were in force when a
/// session started.
#[derive(Debug, Clone, Default)]
pub struct Book {
    levels: std::collections::HashMap<(Uuid, Target), Vec<(i64, Rules)>>,
}

impl Book {
    /// From versions in any order.
    pub fn new(versions: impl IntoIterator<Item = Version>) -> Book {
        let mut levels: std::collections::HashMap<(Uuid, Target), Vec<(i64, Rules)>> =
            Default::default();
        for v in versions {
            levels
                .entry((v.company_id, v.target))
                .or_default()
                .push((v.valid_from, v.rules));
        }
        for list in levels.values_mut() {
            list.sort_by_key(|(from, _)| *from);
        }
        Book { levels }
    }

    /// Whether the company has ever set a rule (no rules: nothing to judge).
    pub fn has_rules(&self, company: Uuid) -> bool {
        self.levels.keys().any(|(c, _)| *c == company)
    }

    /// Whether any version of any level of the company's rules passes `test` (what the
    /// judgement needs to read: registered cars only if some level asks for them).
    pub fn sets(&self, company: Uuid, test: impl Fn(&Rules) -> bool) -> bool {
        self.levels
            .iter()
            .filter(|((c, _), _)| *c == company)
            .any(|(_, list)| list.iter().any(|(_, r)| test(r)))
    }

    /// The level's rules in force at `at`, if it had any then.
    pub fn in_force(&self, company: Uuid, target: Target, at: i64) -> Option<&Rules> {
        let list = self.levels.get(&(company, target))?;
        let i = list.partition_point(|(from, _)| *from <= at);
        i.checked_sub(1).map(|i| &list[i].1)
    }

    /// When the level's version in force at `at` took effect.
    pub fn since(&self, company: Uuid, target: Target, at: i64) -> Option<i64> {
        let list = self.levels.get(&(company, target))?;
        let i = list.partition_point(|(from, _)| *from <= at);
        i.checked_sub(1).map(|i| list[i].0)
    }

    /// A person's (or a guest's: `user` `None`) rules in force at `at`.
    pub fn effective(
        &self,
        company: Uuid,
        center: Option<Uuid>,
        user: Option<Uuid>,
        at: i64,
    ) -> Effective {
        effective(
            self.in_force(company, Target::Company, at),
            center.and_then(|c| self.in_force(company, Target::CostCenter(c), at)),
            user.and_then(|u| self.in_force(company, Target::Member(u), at)),
        )
    }
}

/// What the judgement needs of one session, in the company's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub charging: bool,
    /// The start's local weekday, 0 Monday … 6 Sunday, and minute of the day.
    pub weekday: u8,
    pub minute: u16,
    /// Seconds parked so far or in all; `None` for a session without an end (the periodic
    /// job judges those with the time so far).
    pub duration: Option<i64>,
    pub amount: i64,
    /// Whether the plate is one of the member's registered vehicles; `None` for a guest
    /// (no member: the front desk's permits are the rule for guests).
    pub registered: Option<bool>,
    /// The member's spending this local month with this session; `None` for a guest.
    pub month_total: Option<i64>,
    /// Where the session was.
    pub facility: Uuid,
}

/// Whether a start at (`weekday`, `minute`) falls in the allowed days and hours. A span past
/// midnight belongs to the day it starts on: Friday 22:00–06:00 allows Saturday 02:00.
pub fn within_hours(
    weekdays: Option<u8>,
    hours: Option<(u16, u16)>,
    weekday: u8,
    minute: u16,
) -> bool {
    let day_ok = |d: u8| weekdays.is_none_or(|w| w & (1 << d) != 0);
    match hours {
        None => day_ok(weekday),
        Some((from, to)) if from < to => day_ok(weekday) && (from..to).contains(&minute),
        Some((from, to)) => {
            (day_ok(weekday) && minute >= from) || (day_ok((weekday + 6) % 7) && minute < to)
        }
    }
}

/// The session's reasons as bits (0: within policy) under a member's effective rules.
pub fn judge(r: &Rules, f: &Facts) -> i64 {
    let mut flags = 0;
    let mut flag = |reason: Reason, broken: bool| {
        if broken {
            flags |= reason.bit();
        }
    };
    flag(
        Reason::OutsideHours,
        (r.weekdays.is_some() || r.hours.is_some())
            && !within_hours(r.weekdays, r.hours, f.weekday, f.minute),
    );
    flag(
        Reason::UnregisteredVehicle,
        r.only_registered == Some(true) && f.registered == Some(false),
    );
    flag(
        Reason::ParkingNotAllowed,
        !f.charging && r.parking_allowed == Some(false),
    );
    flag(
        Reason::ChargingNotAllowed,
        f.charging && r.charging_allowed == Some(false),
    );
    flag(
        Reason::OverMaxStay,
        matches!((r.max_stay_minutes, f.duration), (Some(max), Some(d)) if d > max * 60),
    );
    flag(
        Reason::OverSessionCap,
        r.session_cap.is_some_and(|cap| f.amount > cap),
    );
    flag(
        Reason::OverMonthlyCap,
        matches!((r.monthly_cap, f.month_total), (Some(cap), Some(t)) if t > cap),
    );
    flag(
        Reason::FacilityNotAllowed,
        r.facilities
            .as_ref()
            .is_some_and(|list| list.binary_search(&f.facility).is_err()),
    );
    flags
}

/// `HH:MM` of minutes after midnight (1440 is `24:00`), as the form and the page write them.
pub fn clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A maximum stay in hours as the form and the page write it: `10`, `1.50`.
pub fn stay_hours(minutes: i64) -> String {
    if minutes % 60 == 0 {
        (minutes / 60).to_string()
    } else {
        format!("{:.2}", minutes as f64 / 60.0)
    }
}

/// Limits of a rule's value, for the form's checks and the inputs' `max`.
pub const MAX_STAY_HOURS: i64 = 24 * 31;
/// 1,000,000 kr/€ in minor units: anything larger is a typing mistake.
pub const MAX_CAP: i64 = crate::money::MAX_AMOUNT;

#[cfg(test)]
mod tests {
    use super::*;

    const MON: u8 = 0;
    const FRI: u8 = 4;
    const SAT: u8 = 5;
    const WEEKDAYS: u8 = 0b0011111;

    fn facts() -> Facts {
        Facts {
            charging: false,
            weekday: MON,
            minute: 9 * 60,
            duration: Some(3600),
            amount: 5_000,
            registered: Some(true),
            month_total: Some(5_000),
            facility: Uuid::from_u128(7),
        }
    }

    #[test]
    fn the_most_specific_level_wins_rule_by_rule() {
        let company = Rules {
            weekdays: Some(WEEKDAYS),
            max_stay_minutes: Some(600),
            charging_allowed: Some(true),
            ..Rules::default()
        };
        let center = Rules {
            charging_allowed: Some(false),
            monthly_cap: Some(200_000),
            ..Rules::default()
        };
        let member = Rules {
            monthly_cap: Some(300_000),
            ..Rules::default()
        };
        let e = effective(Some(&company), Some(&center), Some(&member));
        assert_eq!(
            (e.rules.facilities.clone(), e.from.facilities),
            (None, None)
        );
        let only = Rules {
            facilities: Some(vec![Uuid::from_u128(5)]),
            ..Rules::default()
        };
        let narrower = Rules {
            facilities: Some(vec![Uuid::from_u128(6)]),
            ..member.clone()
        };
        let e2 = effective(Some(&only), Some(&center), Some(&member));
        assert_eq!(e2.rules.facilities, Some(vec![Uuid::from_u128(5)]));
        assert_eq!(e2.from.facilities, Some(Level::Company));
        let e3 = effective(Some(&only), Some(&center), Some(&narrower));
        assert_eq!(e3.rules.facilities, Some(vec![Uuid::from_u128(6)]));
        assert_eq!(e3.from.facilities, Some(Level::Member));
        assert_eq!(e.rules.weekdays, Some(WEEKDAYS));
        assert_eq!(e.from.weekdays, Some(Level::Company));
        assert_eq!(e.rules.charging_allowed, Some(false));
        assert_eq!(e.from.charging_allowed, Some(Level::CostCenter));
        assert_eq!(e.rules.monthly_cap, Some(300_000));
        assert_eq!(e.from.monthly_cap, Some(Level::Member));
        assert_eq!(e.rules.session_cap, None);
        assert_eq!(e.from.session_cap, None);
    }

    #[test]
    fn hours_span_midnight_from_the_day_they_start() {
        let night = Some((22 * 60, 6 * 60));
        let fridays = Some(1 << FRI);
        assert!(within_hours(fridays, night, FRI, 23 * 60));
        assert!(within_hours(fridays, night, SAT, 2 * 60));
        assert!(!within_hours(fridays, night, SAT, 23 * 60));
        assert!(!within_hours(fridays, night, FRI, 2 * 60));
        assert!(!within_hours(fridays, night, SAT, 6 * 60));
        let day = Some((6 * 60, 20 * 60));
        assert!(within_hours(Some(WEEKDAYS), day, MON, 6 * 60));
        assert!(!within_hours(Some(WEEKDAYS), day, MON, 20 * 60));
        assert!(!within_hours(Some(WEEKDAYS), day, SAT, 9 * 60));
        assert!(within_hours(None, Some((0, 1440)), SAT, 1439));
    }

    #[test]
    fn a_saturday_charge_of_22_hours_breaks_three_rules() {
        let rules = Rules {
            weekdays: Some(WEEKDAYS),
            hours: Some((6 * 60, 20 * 60)),
            parking_allowed: Some(true),
            charging_allowed: Some(false),
            max_stay_minutes: Some(600),
            monthly_cap: Some(200_000),
            ..Rules::default()
        };
        let f = Facts {
            charging: true,
            weekday: SAT,
            minute: 10 * 60,
            duration: Some(22 * 3600),
            ..facts()
        };
        let reasons: Vec<Reason> = Reason::of(judge(&rules, &f)).collect();
        assert_eq!(
            reasons,
            [
                Reason::OutsideHours,
                Reason::ChargingNotAllowed,
                Reason::OverMaxStay
            ]
        );
        assert_eq!(judge(&rules, &facts()), 0);
    }

    #[test]
    fn each_rule_flags_only_its_own_breach() {
        let f = facts();
        let cases = [
            (
                Rules {
                    only_registered: Some(true),
                    ..Rules::default()
                },
                Facts {
                    registered: Some(false),
                    ..f
                },
                Reason::UnregisteredVehicle,
            ),
            (
                Rules {
                    parking_allowed: Some(false),
                    ..Rules::default()
                },
                f,
                Reason::ParkingNotAllowed,
            ),
            (
                Rules {
                    session_cap: Some(4_999),
                    ..Rules::default()
                },
                f,
                Reason::OverSessionCap,
            ),
            (
                Rules {
                    monthly_cap: Some(4_999),
                    ..Rules::default()
                },
                f,
                Reason::OverMonthlyCap,
            ),
            (
                Rules {
                    max_stay_minutes: Some(59),
                    ..Rules::default()
                },
                f,
                Reason::OverMaxStay,
            ),
            (
                Rules {
                    facilities: Some(vec![Uuid::from_u128(3), Uuid::from_u128(9)]),
                    ..Rules::default()
                },
                f,
                Reason::FacilityNotAllowed,
            ),
        ];
        for (rules, facts, reason) in cases {
            assert_eq!(judge(&rules, &facts), reason.bit(), "{reason:?}");
        }
        // At the limit is within it, a listed facility is allowed; a guest is judged by
        // neither vehicle nor month.
        assert_eq!(
            judge(
                &Rules {
                    session_cap: Some(5_000),
                    max_stay_minutes: Some(60),
                    monthly_cap: Some(5_000),
                    facilities: Some(vec![Uuid::from_u128(3), Uuid::from_u128(7)]),
                    ..Rules::default()
                },
                &f
            ),
            0
        );
        let guest = Facts {
            registered: None,
            month_total: None,
            ..f
        };
        assert_eq!(
            judge(
                &Rules {
                    only_registered: Some(true),
                    monthly_cap: Some(0),
                    ..Rules::default()
                },
                &guest
            ),
            0
        );
        // A session still parked is not judged on its stay here.
        assert_eq!(
            judge(
                &Rules {
                    max_stay_minutes: Some(1),
                    ..Rules::default()
                },
                &Facts {
                    duration: None,
                    ..f
                }
            ),
            0
        );
    }

    #[test]
    fn a_session_is_judged_by_the_version_in_force_when_it_started() {
        let company = Uuid::from_u128(1);
        let member = Uuid::from_u128(2);
        let v = |target, valid_from, cap| Version {
            company_id: company,
            target,
            valid_from,
            number: valid_from,
            rules: Rules {
                session_cap: cap,
                ..Rules::default()
            },
        };
        let book = Book::new([
            v(Target::Company, 2_000, Some(300)),
            v(Target::Company, 1_000, Some(100)),
            v(Target::Member(member), 1_500, Some(200)),
            v(Target::Member(member), 2_500, None),
        ]);
        assert!(book.has_rules(company));
        assert!(!book.has_rules(member));
        let cap = |user, at| book.effective(company, None, user, at).rules.session_cap;
        assert_eq!(cap(None, 999), None);
        assert_eq!(cap(None, 1_000), Some(100));
        assert_eq!(cap(Some(member), 1_600), Some(200));
        assert_eq!(cap(Some(member), 2_100), Some(200));
        // The member's later version clears their own cap: the company's applies again.
        assert_eq!(cap(Some(member), 2_600), Some(300));
    }

    #[test]
    fn reasons_round_trip_through_their_bits_and_codes() {
        let all = Reason::ALL.iter().fold(0, |acc, r| acc | r.bit());
        assert_eq!(all, ANY_REASON);
        for r in Reason::ALL {
            assert_eq!(Reason::parse(r.code()), Some(r));
            assert_eq!(Reason::of(r.bit()).collect::<Vec<_>>(), [r]);
        }
    }
}
