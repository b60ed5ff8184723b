//! The rules of policies: who may change them (owners and admins; a member keeps their own
//! vehicles), what a rule may be (each field checked, the whole form refused naming the first
//! bad field, nothing stored), that a change is a new version valid from now (past
//! judgements stand), and the judgement of a batch of sessions for the ingestion service
//! ([`Judge`]). Every change goes to the audit log in the same transaction.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, TimeZone, Timelike};
use chrono_tz::Tz;
use uuid::Uuid;

use super::{
    model::{Book, Effective, Facts, Level, Rules, Target, MAX_STAY_HOURS},
    store, EffectiveLine, PolicyView, RulesForm,
};
use crate::{
    audit::{store as audit, AuditAction},
    auth::TenantCtx,
    companies::Role,
    db::{Db, Tx},
    error::{AppError, Reason},
    i18n::Lang,
    scope::CompanyScope,
};

/// Owners and admins set rules and any member's vehicles.
pub fn may_manage(role: Role) -> bool {
    matches!(role, Role::Owner | Role::Admin)
}

/// Who may see a member's rules and vehicles: managers and finance for anyone, a member for
/// themself.
pub fn may_see(ctx: &TenantCtx, user: Uuid) -> bool {
    ctx.role().sees_company_records() || ctx.user_id() == user
}

/// `HH:MM` as minutes after midnight; as an end, `24:00` and `00:00` both mean midnight at the
/// end of the day (1440), so "22:00 to 00:00" is the evening, not an empty span.
fn minutes(field: &str, raw: &str, end: bool) -> Result<u16, AppError> {
    let bad = || AppError::invalid(field, Reason::NotATime);
    let (h, m) = raw.trim().split_once([':', '.']).ok_or_else(bad)?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m > 59 || h > 24 || (h == 24 && (m > 0 || !end)) {
        return Err(AppError::invalid(field, Reason::OutOfRange));
    }
    Ok(match h * 60 + m {
        0 if end => 1440,
        at => at,
    })
}

/// An amount in major units as minor units, 0 to `model::MAX_CAP` (`crate::money::parse`).
fn amount(field: &str, raw: &str) -> Result<Option<i64>, AppError> {
    crate::money::parse(field, raw)
}

/// `yes`, `no` or empty (as the level above).
fn choice(field: &str, raw: &str) -> Result<Option<bool>, AppError> {
    match raw.trim() {
        "" => Ok(None),
        "yes" => Ok(Some(true)),
        "no" => Ok(Some(false)),
        _ => Err(AppError::invalid(field, Reason::Unknown)),
    }
}

/// The form's rules, every field checked in the form's order.
pub fn rules_from(f: &RulesForm) -> Result<Rules, AppError> {
    let weekdays = match f.days.trim() {
        "" => None,
        "every" => Some(0b111_1111),
        "weekdays" => Some(0b001_1111),
        "custom" => {
            let mask = f
                .chosen_days()
                .into_iter()
                .enumerate()
                .fold(0u8, |m, (d, on)| if on { m | 1 << d } else { m });
            if mask == 0 {
                return Err(AppError::invalid("day", Reason::Missing));
            }
            Some(mask)
        }
        _ => return Err(AppError::invalid("days", Reason::Unknown)),
    };
    let hours = match (f.hours_from.trim(), f.hours_to.trim()) {
        ("", "") => None,
        ("", _) => return Err(AppError::invalid("hours_from", Reason::Missing)),
        (_, "") => return Err(AppError::invalid("hours_to", Reason::Missing)),
        (from, to) => {
            let from = minutes("hours_from", from, false)?;
            let to = minutes("hours_to", to, true)?;
            if from == to {
                return Err(AppError::invalid("hours_to", Reason::OutOfRange));
            }
            Some((from, to))
        }
    };
    let max_stay_minutes = match f.max_stay_hours.trim() {
        "" => None,
        raw => {
            let hours: f64 = raw
                .replace(',', ".")
                .parse()
                .map_err(|_| AppError::invalid("max_stay_hours", Reason::NotANumber))?;
            if !hours.is_finite() || hours <= 0.0 || hours > MAX_STAY_HOURS as f64 {
                return Err(AppError::invalid("max_stay_hours", Reason::OutOfRange));
            }
            Some(((hours * 60.0).round() as i64).max(1))
        }
    };
    Ok(Rules {
        weekdays,
        hours,
        parking_allowed: choice("parking", &f.parking)?,
        charging_allowed: choice("charging", &f.charging)?,
        max_stay_minutes,
        session_cap: amount("session_cap", &f.session_cap)?,
        monthly_cap: amount("monthly_cap", &f.monthly_cap)?,
        only_registered: choice("only_registered", &f.only_registered)?,
        facilities: facilities_from(f)?,
    })
}

/// The ticked facilities, sorted (`None`: none ticked, as the level above). Whether each is
/// one where the account works is checked against the database by [`save`].
fn facilities_from(f: &RulesForm) -> Result<Option<Vec<Uuid>>, AppError> {
    if f.facility.is_empty() {
        return Ok(None);
    }
    let mut ids = f
        .facility
        .keys()
        .map(|k| {
            k.trim()
                .strip_prefix("id-")
                .and_then(|id| Uuid::parse_str(id).ok())
        })
        .collect::<Option<Vec<_>>>()
        .ok_or(AppError::invalid("facilities", Reason::Unknown))?;
    ids.sort();
    ids.dedup();
    Ok(Some(ids))
}

/// That a cost center or member named by a form is the company's.
async fn check_target(tx: &mut Tx, scope: CompanyScope, target: Target) -> Result<(), AppError> {
    let known = match target {
        Target::Company => true,
        Target::CostCenter(c) => crate::companies::store::cost_center_entry(tx, scope, c)
            .await?
            .is_some(),
        Target::Member(u) => store::is_member(tx, scope, u).await?,
    };
    if known {
        Ok(())
    } else {
        Err(match target {
            Target::CostCenter(_) => AppError::invalid("cost_center", Reason::UnknownCostCenter),
            _ => AppError::invalid("member", Reason::NotAMember),
        })
    }
}

/// How far ahead a version may take effect.
const VALID_FROM_AHEAD: i64 = 366 * 86_400;
/// The earliest date a version may take effect (a typing mistake's guard; a fixed date, so
/// that a date once accepted stays accepted whatever the day).
const VALID_FROM_EARLIEST: (i32, u32, u32) = (2000, 1, 1);

/// When a version takes effect: `raw` a date in the company's calendar (its midnight), empty
/// for `now`; from 2000 to at most a year ahead.
pub fn valid_from(raw: &str, tz: Tz, now: i64) -> Result<i64, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(now);
    }
    let date = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| AppError::invalid("valid_from", Reason::NotADate))?;
    let at = crate::calendar::local_midnight(tz, date);
    let (y, m, d) = VALID_FROM_EARLIEST;
    let earliest = chrono::NaiveDate::from_ymd_opt(y, m, d).expect("a valid date");
    if date < earliest || at - now > VALID_FROM_AHEAD {
        return Err(AppError::invalid("valid_from", Reason::OutOfRange));
    }
    Ok(at)
}

/// What a save did: the sessions judged again and how many of them changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Saved {
    pub checked: usize,
    pub changed: usize,
}

/// Saves a level's rules as a new version in force from `valid_from` (a date, empty: now).
/// Judgements already stored stand — sessions that arrive or are corrected later are judged by
/// the version in force when they started — unless `recheck` asks to judge every session of
/// the company since `valid_from` again, which is audited with its counts.
pub async fn save(
    db: &Db,
    ctx: &TenantCtx,
    target: Target,
    form: &RulesForm,
    valid_from_raw: &str,
    recheck: bool,
    now: i64,
) -> Result<Saved, AppError> {
    if !may_manage(ctx.role()) {
        return Err(AppError::Forbidden);
    }
    let rules = rules_from(form)?;
    let tz = ctx.company().zone();
    let from = valid_from(valid_from_raw, tz, now)?;
    let mut tx = db.begin().await?;
    // One save at a time per company (the versions' numbering), and no batch judged meanwhile.
    crate::history::rollup::lock_companies(
        &mut tx,
        &[ctx.scope().company_id()].into_iter().collect(),
    )
    .await?;
    check_target(&mut tx, ctx.scope(), target).await?;
    if let Some(list) = &rules.facilities {
        let known: HashSet<Uuid> = crate::facilities::store::account_facilities(&mut tx)
            .await?
            .into_iter()
            .map(|f| f.id)
            .collect();
        if !list.iter().all(|id| known.contains(id)) {
            return Err(AppError::invalid("facilities", Reason::Unknown));
        }
    }
    store::insert_version(
        &mut tx,
        ctx.scope(),
        target,
        &rules,
        from,
        Some(ctx.user_id()),
    )
    .await?;
    let (level, subject) = match target {
        Target::Company => ("company", None),
        Target::CostCenter(c) => ("cost_center", Some(c)),
        Target::Member(u) => ("member", Some(u)),
    };
    let details = serde_json::json!({
        "level": level,
        "cost_center": match target { Target::CostCenter(c) => Some(c), _ => None },
        "valid_from": crate::calendar::format_local(tz, from),
        "rules": rules,
    });
    audit::record(
        &mut tx,
        ctx,
        AuditAction::PolicyChanged,
        subject.filter(|_| matches!(target, Target::Member(_))),
        details,
        now,
    )
    .await?;
    announce(&mut tx, ctx.scope(), now).await?;
    let mut saved = Saved::default();
    if recheck {
        saved = judge_again(&mut tx, ctx.scope(), tz, from, now).await?;
        let details = serde_json::json!({
            "from": crate::calendar::format_local(tz, from),
            "checked": saved.checked,
            "changed": saved.changed,
        });
        audit::record(
            &mut tx,
            ctx,
            AuditAction::PolicyRechecked,
            None,
            details,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(saved)
}

/// Judges every session of the company started since `from` again, by the versions in force
/// when each started; the caller holds the company's lock (so no batch writes meanwhile). The
/// month totals are rebuilt from the start of `from`'s month in start order.
async fn judge_again(
    tx: &mut Tx,
    scope: CompanyScope,
    tz: Tz,
    from: i64,
    now: i64,
) -> Result<Saved, sqlx::Error> {
    let month_start = {
        let l = local(tz, from);
        crate::calendar::month_bounds(tz, l.year(), l.month()).map_or(from, |(start, _)| start)
    };
    let sessions = crate::history::store::sessions_to_judge(tx, scope, month_start).await?;
    let candidates: Vec<Candidate> = sessions
        .iter()
        .map(|s| Candidate {
            company_id: scope.company_id(),
            user_id: s.user_id,
            cost_center_id: s.cost_center_id,
            plate: s.plate.clone(),
            facility_id: s.facility_id,
            charging: s.kind == crate::history::SessionKind::Charging,
            started_at: s.started_at,
            ended_at: s.ended_at,
            amount: s.amount_ore,
            replaces: None,
        })
        .collect();
    let mut judge = Judge::load_with(tx, &[scope], &candidates, false, now).await?;
    let mut saved = Saved::default();
    let mut changes = Vec::new();
    for (s, c) in sessions.iter().zip(&candidates) {
        let flags = judge.judge(c);
        if s.started_at < from {
            continue;
        }
        saved.checked += 1;
        if flags != s.policy_flags {
            changes.push((s, flags));
        }
    }
    saved.changed = changes.len();
    crate::history::store::set_policy_flags(tx, scope, &changes).await?;
    Ok(saved)
}

/// Registers (`add`) or removes a member's vehicle: the member themself or a manager.
pub async fn set_vehicle(
    db: &Db,
    ctx: &TenantCtx,
    user: Uuid,
    raw_plate: &str,
    add: bool,
    now: i64,
) -> Result<(), AppError> {
    if !(may_manage(ctx.role()) || ctx.user_id() == user) {
        return Err(AppError::Forbidden);
    }
    let plate =
        crate::plate::display(raw_plate).ok_or(AppError::invalid("plate", Reason::NotAPlate))?;
    let mut tx = db.begin().await?;
    check_target(&mut tx, ctx.scope(), Target::Member(user)).await?;
    let changed = if add {
        store::add_vehicle(&mut tx, ctx.scope(), user, &plate, now).await?
    } else {
        store::remove_vehicle(&mut tx, ctx.scope(), user, &plate).await?
    };
    if !changed {
        // Adding a plate the member has (in any spelling), removing one they have not: nothing
        // to do, nothing to log.
        return Ok(());
    }
    let action = if add {
        AuditAction::VehicleAdded
    } else {
        AuditAction::VehicleRemoved
    };
    audit::record(
        &mut tx,
        ctx,
        action,
        Some(user),
        serde_json::json!({ "plate": plate }),
        now,
    )
    .await?;
    announce(&mut tx, ctx.scope(), now).await?;
    tx.commit().await?;
    Ok(())
}

/// What `/policies` shows: the level named by `cost_center` or `member` (an id or an email),
/// else the company's; a member (role) always sees their own.
pub async fn view(
    db: &Db,
    ctx: &TenantCtx,
    lang: Lang,
    cost_center: &str,
    member: &str,
    now: i64,
) -> Result<PolicyView, AppError> {
    let pt = lang.policies();
    let scope = ctx.scope();
    let target = if ctx.role() == Role::FrontDesk {
        return Err(AppError::Forbidden);
    } else if !ctx.role().sees_company_records() {
        Target::Member(ctx.user_id())
    } else if !member.trim().is_empty() {
        let id = Uuid::parse_str(member.trim()).ok();
        let found = store::member(db, scope, id, member).await?;
        Target::Member(
            found
                .ok_or(AppError::invalid("member", Reason::NotAMember))?
                .id,
        )
    } else if !cost_center.trim().is_empty() {
        let id = Uuid::parse_str(cost_center.trim())
            .map_err(|_| AppError::invalid("cost_center", Reason::UnknownCostCenter))?;
        Target::CostCenter(id)
    } else {
        Target::Company
    };
    let scopes = [scope];
    let (versions, centers, facilities) = tokio::try_join!(
        store::versions(db, &scopes),
        crate::companies::store::cost_centers(db, scope),
        crate::facilities::store::account_facilities(db),
    )?;
    let facility_names: HashMap<Uuid, String> = facilities
        .iter()
        .map(|f| (f.id, format!("{}, {}", f.name, f.city)))
        .collect();
    let book = Book::new(versions);
    let company = ctx.scope().company_id();
    let currency = ctx.company().currency.clone();
    let center_label = |id: Uuid| {
        centers
            .iter()
            .find(|c| c.id == id)
            .map(|c| format!("{} {}", c.code, c.name))
    };
    let mut effective = Vec::new();
    let mut vehicles = Vec::new();
    let mut member_email = String::new();
    let mut member_name = String::new();
    let heading = match target {
        Target::Company => pt.heading_company.to_owned(),
        Target::CostCenter(id) => pt.heading_cost_center.replace(
            "{name}",
            &center_label(id).ok_or(AppError::invalid("cost_center", Reason::UnknownCostCenter))?,
        ),
        Target::Member(id) => {
            let m = store::member(db, scope, Some(id), "")
                .await?
                .ok_or(AppError::invalid("member", Reason::NotAMember))?;
            let e = book.effective(company, m.default_cost_center_id, Some(m.id), now);
            effective = effective_lines(&e, lang, &currency, &facility_names);
            vehicles = store::vehicles(db, scope, m.id).await?;
            member_email = m.email;
            member_name = m.name.clone();
            pt.heading_member.replace("{name}", &m.name)
        }
    };
    let since = book
        .since(company, target, now)
        .map(|at| crate::calendar::format_local(ctx.company().zone(), at));
    let form = book
        .in_force(company, target, now)
        .map(RulesForm::from_rules)
        .unwrap_or_default();
    Ok(PolicyView {
        level: target.level(),
        target_id: target.id(),
        heading,
        can_manage: may_manage(ctx.role()),
        form,
        since,
        effective,
        member_name,
        member_email,
        vehicles,
        may_edit_vehicles: match target {
            Target::Member(u) => may_manage(ctx.role()) || ctx.user_id() == u,
            _ => false,
        },
        cost_centers: centers
            .iter()
            .map(|c| (c.id, format!("{} {}", c.code, c.name)))
            .collect(),
        facilities: facilities
            .into_iter()
            .map(|f| (f.id, format!("{}, {}", f.name, f.city)))
            .collect(),
        currency,
    })
}

/// A member's rules in force as lines of (rule, value, where it is set), in the viewer's
/// language; `facilities` names the allowed facilities.
pub fn effective_lines(
    e: &Effective,
    lang: Lang,
    currency: &str,
    facilities: &HashMap<Uuid, String>,
) -> Vec<EffectiveLine> {
    let pt = lang.policies();
    let from = |l: Option<Level>| {
        match l {
            None => pt.not_set,
            Some(Level::Company) => pt.from_company,
            Some(Level::CostCenter) => pt.from_cost_center,
            Some(Level::Member) => pt.from_member,
        }
        .to_owned()
    };
    let allowed = |b: Option<bool>| {
        match b {
            None => pt.not_set,
            Some(true) => pt.allowed,
            Some(false) => pt.not_allowed,
        }
        .to_owned()
    };
    let r = &e.rules;
    let days = match r.weekdays {
        None => pt.not_set.to_owned(),
        Some(0b111_1111) => pt.days_every.to_owned(),
        Some(0b001_1111) => pt.days_weekdays.to_owned(),
        Some(w) => (0..7)
            .filter(|d| w & (1 << d) != 0)
            .map(|d| pt.weekdays[d as usize])
            .collect::<Vec<_>>()
            .join(", "),
    };
    let money =
        |a: Option<i64>| a.map_or_else(|| pt.not_set.to_owned(), |a| lang.money(a, currency));
    let cur = |label: &str| label.replace("{currency}", currency);
    vec![
        EffectiveLine {
            rule: pt.days.into(),
            value: days,
            from: from(e.from.weekdays),
        },
        EffectiveLine {
            rule: pt.hours.into(),
            value: r.hours.map_or_else(
                || pt.not_set.to_owned(),
                |(f, t)| {
                    pt.hours_value
                        .replace("{from}", &super::model::clock(f))
                        .replace("{to}", &super::model::clock(t))
                },
            ),
            from: from(e.from.hours),
        },
        EffectiveLine {
            rule: pt.parking.into(),
            value: allowed(r.parking_allowed),
            from: from(e.from.parking_allowed),
        },
        EffectiveLine {
            rule: pt.charging.into(),
            value: allowed(r.charging_allowed),
            from: from(e.from.charging_allowed),
        },
        EffectiveLine {
            rule: pt.max_stay.into(),
            value: r.max_stay_minutes.map_or_else(
                || pt.not_set.to_owned(),
                |m| {
                    pt.minutes_value
                        .replace("{hours}", &super::model::stay_hours(m))
                },
            ),
            from: from(e.from.max_stay_minutes),
        },
        EffectiveLine {
            rule: cur(pt.session_cap),
            value: money(r.session_cap),
            from: from(e.from.session_cap),
        },
        EffectiveLine {
            rule: cur(pt.monthly_cap),
            value: money(r.monthly_cap),
            from: from(e.from.monthly_cap),
        },
        EffectiveLine {
            rule: pt.vehicles_rule.into(),
            value: match r.only_registered {
                None => pt.not_set,
                Some(true) => pt.only_registered,
                Some(false) => pt.any_vehicle,
            }
            .to_owned(),
            from: from(e.from.only_registered),
        },
        EffectiveLine {
            rule: pt.facilities.into(),
            value: r.facilities.as_ref().map_or_else(
                || pt.not_set.to_owned(),
                |list| {
                    // A facility no longer listed by the operator keeps its place by id.
                    let mut names: Vec<String> = list
                        .iter()
                        .map(|id| {
                            facilities
                                .get(id)
                                .cloned()
                                .unwrap_or_else(|| id.to_string())
                        })
                        .collect();
                    names.sort();
                    names.join("; ")
                },
            ),
            from: from(e.from.facilities),
        },
    ]
}

/// Flags the sessions still open (no end) that have been parked longer than the maximum stay
/// in force when they started — a car still in the garage is flagged while it is there, not
/// only when its session ends — and takes the flag off one whose rules no longer say so. Run
/// by the periodic job `overstays`, as the operator (every company with a maximum stay), a
/// company at a time under its lock. Returns the sessions whose flag changed. When the session
/// ends, ingestion judges it again with its real length.
pub async fn flag_overstays(db: &Db, now: i64) -> Result<usize, sqlx::Error> {
    let access = crate::auth::OperatorAccess::command_line();
    let bit = super::model::Reason::OverMaxStay.bit();
    let mut changed = 0;
    for company in store::companies_with_max_stay(db).await? {
        let scope = access.scope(company);
        let mut tx = db.begin().await?;
        crate::history::rollup::lock_companies(&mut tx, &[company].into_iter().collect()).await?;
        let open = crate::history::store::open_sessions(&mut tx, scope).await?;
        if open.is_empty() {
            continue;
        }
        let book = Book::new(store::versions(&mut tx, &[scope]).await?);
        let changes: Vec<(&crate::history::store::JudgedSession, i64)> = open
            .iter()
            .filter_map(|s| {
                let max = book
                    .effective(company, s.cost_center_id, s.user_id, s.started_at)
                    .rules
                    .max_stay_minutes;
                let over = max.is_some_and(|m| now - s.started_at > m * 60);
                let flags = if over {
                    s.policy_flags | bit
                } else {
                    s.policy_flags & !bit
                };
                (flags != s.policy_flags).then_some((s, flags))
            })
            .collect();
        crate::history::store::set_policy_flags(&mut tx, scope, &changes).await?;
        // Newly past their stay: an alert each, once (alerts::store::raise).
        let alerts: Vec<_> = changes
            .iter()
            .filter(|(_, flags)| flags & bit != 0)
            .map(|(s, _)| {
                (
                    scope,
                    crate::alerts::service::for_session(crate::alerts::Kind::Overstay, s.id),
                )
            })
            .collect();
        if !alerts.is_empty() {
            crate::alerts::store::raise(&mut tx, &alerts, now).await?;
        }
        tx.commit().await?;
        changed += changes.len();
    }
    Ok(changed)
}

/// A session about to be written, as the judgement sees it.
pub struct Candidate {
    pub company_id: Uuid,
    pub user_id: Option<Uuid>,
    pub cost_center_id: Option<Uuid>,
    pub plate: String,
    pub facility_id: Uuid,
    pub charging: bool,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub amount: i64,
    /// The stored version this one replaces: its member, start and amount (taken out of the
    /// month's total before this one is added).
    pub replaces: Option<(Option<Uuid>, i64, i64)>,
}

/// The rules, vehicles and month totals a batch's judgement needs, read in the batch's
/// transaction with a handful of queries; companies without rules cost one query in all.
pub struct Judge {
    book: Book,
    zones: HashMap<Uuid, Tz>,
    registered: HashSet<(Uuid, Uuid, String)>,
    /// Running month totals per (company, member, month), this batch's judged sessions added.
    totals: HashMap<(Uuid, Uuid, i32), i64>,
    /// An open session (no end) is judged on its stay so far, as the overstay job does.
    now: i64,
}

fn local(tz: Tz, at: i64) -> chrono::DateTime<Tz> {
    tz.timestamp_opt(at, 0)
        .single()
        .unwrap_or_else(|| tz.timestamp_opt(0, 0).unwrap())
}

fn month_of(tz: Tz, at: i64) -> i32 {
    let l = local(tz, at);
    crate::calendar::month_index(l.year(), l.month())
}

impl Judge {
    /// For a batch about to be written: the month totals start from the cost rollups (the
    /// member's spending recorded so far that month).
    pub async fn load(
        tx: &mut Tx,
        scopes: &[CompanyScope],
        batch: &[Candidate],
        now: i64,
    ) -> Result<Judge, sqlx::Error> {
        Self::load_with(tx, scopes, batch, true, now).await
    }

    /// `stored_totals` false: the month totals start at zero (the caller feeds every session
    /// of the months, in start order).
    async fn load_with(
        tx: &mut Tx,
        scopes: &[CompanyScope],
        batch: &[Candidate],
        stored_totals: bool,
        now: i64,
    ) -> Result<Judge, sqlx::Error> {
        // The rules and the zones in one round trip, then the members' cars and month totals
        // in one more, each read only when some version of these companies asks for it.
        let (versions, zones) = store::versions_and_zones(tx, scopes).await?;
        let book = Book::new(versions);
        let ruled: Vec<CompanyScope> = scopes
            .iter()
            .copied()
            .filter(|s| book.has_rules(s.company_id()))
            .collect();
        let mut judge = Judge {
            book,
            zones: HashMap::new(),
            registered: HashSet::new(),
            totals: HashMap::new(),
            now,
        };
        if ruled.is_empty() {
            return Ok(judge);
        }
        let ids: Vec<Uuid> = ruled.iter().map(|s| s.company_id()).collect();
        judge.zones = zones;
        let ruled_batch = || batch.iter().filter(|c| ids.contains(&c.company_id));
        let users: Vec<Uuid> = ruled_batch()
            .filter_map(|c| c.user_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let cars = ids
            .iter()
            .any(|&c| judge.book.sets(c, |r| r.only_registered == Some(true)));
        let caps = ids
            .iter()
            .any(|&c| judge.book.sets(c, |r| r.monthly_cap.is_some()));
        let months: Vec<i32> = if stored_totals && caps {
            ruled_batch()
                .filter_map(|c| Some(month_of(*judge.zones.get(&c.company_id)?, c.started_at)))
                .collect::<HashSet<_>>()
                .into_iter()
                .collect()
        } else {
            Vec::new()
        };
        let facts = store::member_facts(tx, &ruled, &users, cars, &months).await?;
        judge.registered = facts.registered;
        judge.totals = facts.totals;
        Ok(judge)
    }

    /// The session's reasons as bits (0: within policy, or the company has no rules).
    /// Call in the order the batch is written: each judged session counts towards its
    /// member's month for the ones after it.
    pub fn judge(&mut self, c: &Candidate) -> i64 {
        if !self.book.has_rules(c.company_id) {
            return 0;
        }
        let Some(&tz) = self.zones.get(&c.company_id) else {
            return 0;
        };
        let start = local(tz, c.started_at);
        let month = crate::calendar::month_index(start.year(), start.month());
        let month_total = c.user_id.map(|u| {
            let total = self.totals.entry((c.company_id, u, month)).or_insert(0);
            if let Some((Some(old_user), old_start, old_amount)) = c.replaces {
                if old_user == u && month_of(tz, old_start) == month {
                    *total -= old_amount;
                }
            }
            *total += c.amount;
            *total
        });
        let rules = self
            .book
            .effective(c.company_id, c.cost_center_id, c.user_id, c.started_at)
            .rules;
        let facts = Facts {
            charging: c.charging,
            weekday: start.weekday().num_days_from_monday() as u8,
            minute: (start.hour() * 60 + start.minute()) as u16,
            duration: Some(c.ended_at.unwrap_or(self.now).max(c.started_at) - c.started_at),
            amount: c.amount,
            // The plate's key is built only where the rule asks (it allocates).
            registered: match (c.user_id, rules.only_registered) {
                (Some(u), Some(true)) => Some(self.registered.contains(&(
                    c.company_id,
                    u,
                    crate::plate::key(&c.plate),
                ))),
                (Some(_), _) => Some(true),
                (None, _) => None,
            },
            month_total,
            facility: c.facility_id,
        };
        super::model::judge(&rules, &facts)
    }
}

/// The rules as the operator reads them (`GET /ingest/v1/policies`): of every level of the
/// company, the version in force at `now` and any that take effect later, oldest first, with
/// the cost center's code or the member's address; and the members' registered vehicles.
pub struct ForOperator {
    pub versions: Vec<(super::model::Version, Option<String>, Option<String>)>,
    pub vehicles: Vec<(String, String)>,
    /// The operator's ids of the facilities the rules name.
    pub facility_refs: HashMap<Uuid, String>,
}

async fn for_operator(
    tx: &mut Tx,
    scope: CompanyScope,
    now: i64,
) -> Result<ForOperator, sqlx::Error> {
    let all = store::versions(&mut *tx, &[scope]).await?;
    let centers = crate::companies::store::cost_centers(&mut *tx, scope).await?;
    let vehicles = store::all_vehicles(&mut *tx, scope).await?;
    // Per level: drop the versions a later one in force at `now` replaced.
    let mut latest_in_force: HashMap<Target, i64> = HashMap::new();
    for v in all.iter().filter(|v| v.valid_from <= now) {
        let n = latest_in_force.entry(v.target).or_insert(v.number);
        // `all` is in (valid_from, number) order: the last one seen is the one in force.
        *n = v.number;
    }
    let kept: Vec<super::model::Version> = all
        .into_iter()
        .filter(|v| v.valid_from > now || latest_in_force.get(&v.target) == Some(&v.number))
        .collect();
    let users: Vec<Uuid> = kept
        .iter()
        .filter_map(|v| match v.target {
            Target::Member(u) => Some(u),
            _ => None,
        })
        .collect();
    let emails = store::emails(&mut *tx, &users).await?;
    let facility_refs = if kept.iter().any(|v| v.rules.facilities.is_some()) {
        crate::facilities::store::account_facilities(&mut *tx)
            .await?
            .into_iter()
            .map(|f| (f.id, f.external_ref))
            .collect()
    } else {
        HashMap::new()
    };
    let codes: HashMap<Uuid, String> = centers.into_iter().map(|c| (c.id, c.code)).collect();
    let versions = kept
        .into_iter()
        .map(|v| {
            let (code, email) = match v.target {
                Target::Company => (None, None),
                Target::CostCenter(c) => (Some(codes.get(&c).cloned().unwrap_or_default()), None),
                Target::Member(u) => (None, Some(emails.get(&u).cloned().unwrap_or_default())),
            };
            (v, code, email)
        })
        .collect();
    Ok(ForOperator {
        versions,
        vehicles,
        facility_refs,
    })
}

/// The company's rules as the operator reads them (`GET /ingest/v1/policies`), read in one
/// transaction so that the list and its version agree.
pub async fn operator_list(
    db: &Db,
    scope: CompanyScope,
    org_number: String,
    now: i64,
) -> Result<super::wire::PolicyList, sqlx::Error> {
    let mut tx = db.begin().await?;
    let version = crate::companies::store::policy_version(&mut tx, scope).await?;
    let listing = for_operator(&mut tx, scope, now).await?;
    tx.commit().await?;
    Ok(super::wire::PolicyList::new(org_number, version, listing))
}

/// Tells the operator of a change of the company's rules or vehicles, in the change's
/// transaction: the company's rules version goes one up, and the whole list at that version
/// goes into the outbox (`store::enqueue_message`). The back office keeps the highest version
/// it has seen, so messages that arrive out of order or twice do no harm.
async fn announce(tx: &mut Tx, scope: CompanyScope, now: i64) -> Result<(), sqlx::Error> {
    let (version, org_number) = crate::companies::store::next_policy_version(tx, scope).await?;
    let listing = for_operator(tx, scope, now).await?;
    let body = super::wire::PolicyList::new(org_number, version, listing);
    let body = serde_json::to_string(&body).expect("the rules' list serialises");
    store::enqueue_message(tx, scope, version, &body, now).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> RulesForm {
        RulesForm::default()
    }

    #[test]
    fn an_empty_form_sets_no_rule() {
        assert_eq!(rules_from(&form()).unwrap(), Rules::default());
    }

    #[test]
    fn the_acceptance_rules_parse() {
        let f = RulesForm {
            days: "weekdays".into(),
            hours_from: "06:00".into(),
            hours_to: "20:00".into(),
            parking: "yes".into(),
            charging: "no".into(),
            max_stay_hours: "10".into(),
            monthly_cap: "2 000".into(),
            session_cap: "149,50".into(),
            ..form()
        };
        let r = rules_from(&f).unwrap();
        assert_eq!(r.weekdays, Some(0b001_1111));
        assert_eq!(r.hours, Some((360, 1200)));
        assert_eq!(
            (r.parking_allowed, r.charging_allowed),
            (Some(true), Some(false))
        );
        assert_eq!(r.max_stay_minutes, Some(600));
        assert_eq!(r.monthly_cap, Some(200_000));
        assert_eq!(r.session_cap, Some(14_950));
        let evening = RulesForm {
            hours_from: "22:00".into(),
            hours_to: "00:00".into(),
            ..form()
        };
        assert_eq!(
            rules_from(&evening).unwrap().hours,
            Some((1320, 1440)),
            "00:00 as an end is midnight"
        );
        let night = RulesForm {
            hours_from: "22:00".into(),
            hours_to: "06:00".into(),
            ..form()
        };
        assert_eq!(rules_from(&night).unwrap().hours, Some((1320, 360)));
        let custom = RulesForm {
            days: "custom".into(),
            day5: Some("on".into()),
            day6: Some("on".into()),
            ..form()
        };
        assert_eq!(rules_from(&custom).unwrap().weekdays, Some(0b110_0000));
    }

    #[test]
    fn a_version_takes_effect_from_2000_to_a_year_ahead() {
        let tz = chrono_tz::Europe::Stockholm;
        let now = 1_796_601_600; // 2026-12-07T00:00:00Z, a fixed instant
        assert_eq!(valid_from("", tz, now), Ok(now));
        assert_eq!(valid_from("2026-11-01", tz, now), Ok(1_793_487_600));
        assert!(valid_from("2000-01-01", tz, now).is_ok());
        for (raw, reason) in [
            ("1999-12-31", Reason::OutOfRange),
            ("2028-01-01", Reason::OutOfRange),
            ("2026-13-01", Reason::NotADate),
            ("1 november", Reason::NotADate),
        ] {
            assert_eq!(
                valid_from(raw, tz, now),
                Err(AppError::invalid("valid_from", reason)),
                "{raw}"
            );
        }
    }

    #[test]
    fn bad_input_is_refused_by_field() {
        let cases: [(RulesForm, &str, Reason); 11] = [
            (
                RulesForm {
                    hours_from: "25:00".into(),
                    hours_to: "06:00".into(),
                    ..form()
                },
                "hours_from",
                Reason::OutOfRange,
            ),
            (
                RulesForm {
                    hours_from: "06:00".into(),
                    hours_to: "24:30".into(),
                    ..form()
                },
                "hours_to",
                Reason::OutOfRange,
            ),
            (
                RulesForm {
                    hours_from: "06:00".into(),
                    hours_to: "06:00".into(),
                    ..form()
                },
                "hours_to",
                Reason::OutOfRange,
            ),
            (
                RulesForm {
                    hours_from: "six".into(),
                    hours_to: "20:00".into(),
                    ..form()
                },
                "hours_from",
                Reason::NotATime,
            ),
            (
                RulesForm {
                    hours_to: "20:00".into(),
                    ..form()
                },
                "hours_from",
                Reason::Missing,
            ),
            (
                RulesForm {
                    max_stay_hours: "0".into(),
                    ..form()
                },
                "max_stay_hours",
                Reason::OutOfRange,
            ),
            (
                RulesForm {
                    max_stay_hours: "-3".into(),
                    ..form()
                },
                "max_stay_hours",
                Reason::OutOfRange,
            ),
            (
                RulesForm {
                    monthly_cap: "-100".into(),
                    ..form()
                },
                "monthly_cap",
                Reason::NotANumber,
            ),
            (
                RulesForm {
                    session_cap: "1e9".into(),
                    ..form()
                },
                "session_cap",
                Reason::NotANumber,
            ),
            (
                RulesForm {
                    monthly_cap: "5000000".into(),
                    ..form()
                },
                "monthly_cap",
                Reason::OutOfRange,
            ),
            (
                RulesForm {
                    days: "custom".into(),
                    ..form()
                },
                "day",
                Reason::Missing,
            ),
        ];
        for (f, field, reason) in cases {
            assert_eq!(
                rules_from(&f),
                Err(AppError::invalid(field, reason)),
                "{field}"
            );
        }
        assert_eq!(
            rules_from(&RulesForm {
                charging: "maybe".into(),
                ..form()
            }),
            Err(AppError::invalid("charging", Reason::Unknown))
        );
    }
}
