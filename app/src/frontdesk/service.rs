//! The front desk's rules: what a guest permit may be (a plate in any Nordic or foreign
//! spelling, an optional name of at most 100 characters, an optional host who is an active
//! member, a facility where the company account works, from now until a chosen end at most
//! 14 days ahead), how it is extended and cancelled, what the operator is told (every change,
//! in its transaction, through the operator's outbox), how today's list is read, and the
//! erasure of visitors' names 90 days after the visit.

use chrono::{NaiveDate, NaiveDateTime, Timelike};
use chrono_tz::Tz;
use uuid::Uuid;

use super::{store, Delivery, FacilityChoice, GuestStatus, GuestView, ParkedView, TodayView};
use crate::{
    audit::{store as audit, AuditAction},
    auth::TenantCtx,
    companies::Role,
    db::{Db, Tx},
    error::{AppError, Reason},
};

pub const MAX_NAME: usize = 100;
/// The longest a permit may run.
pub const MAX_DAYS: i64 = 14;
/// How long a visitor's name (and host) is kept after the permit ends.
pub const KEEP_NAMES: i64 = 90 * 86_400;
/// A session that started up to this long before the permit (the visitor parked, then came
/// to the desk) is still the visit.
pub const EARLY_ARRIVAL: i64 = 2 * 3600;
/// Members "parked now": sessions without an end that started within this long.
pub const PARKED_LOOKBACK: i64 = 7 * 86_400;
pub const PARKED_LIMIT: i64 = 200;
pub use super::model::{GUESTS_PER_DAY, GUESTS_PER_HOUR};

/// The form as posted.
pub struct GuestForm<'a> {
    pub plate: &'a str,
    pub visitor_name: &'a str,
    pub host: &'a str,
    pub facility: &'a str,
    pub until: &'a str,
    pub until_at: &'a str,
}

/// UTC seconds of 23:59:59 + 1 s (the next local midnight) of the day `days_ahead` after
/// today in `tz`.
fn end_of_day(tz: Tz, now: i64, days_ahead: i64) -> i64 {
    let today = local(tz, now).date_naive();
    crate::calendar::local_midnight(tz, today + chrono::Duration::days(days_ahead + 1))
}

fn today_bounds(tz: Tz, now: i64) -> (i64, i64, NaiveDate) {
    let today = local(tz, now).date_naive();
    (
        crate::calendar::local_midnight(tz, today),
        end_of_day(tz, now, 0),
        today,
    )
}

/// The end a registration asks for, checked: after now, at most [`MAX_DAYS`] ahead.
pub fn registration_end(tz: Tz, until: &str, until_at: &str, now: i64) -> Result<i64, AppError> {
    let end = match until.trim() {
        "" | "today" => end_of_day(tz, now, 0),
        "2h" => now + 2 * 3600,
        "4h" => now + 4 * 3600,
        "tomorrow" => end_of_day(tz, now, 1),
        "other" => {
            let raw = until_at.trim().replace(' ', "T");
            let local = NaiveDateTime::parse_from_str(&raw, "%Y-%m-%dT%H:%M")
                .map_err(|_| AppError::invalid("until_at", Reason::NotADate))?;
            // 02:30 on the morning the clocks go forward is 03:30 summer time, not an error.
            crate::calendar::local_instant(tz, local)
        }
        _ => return Err(AppError::invalid("until", Reason::Unknown)),
    };
    let field = if until.trim() == "other" {
        "until_at"
    } else {
        "until"
    };
    if end <= now {
        return Err(AppError::invalid(field, Reason::InThePast));
    }
    if end > now + MAX_DAYS * 86_400 {
        return Err(AppError::invalid(field, Reason::TooFar));
    }
    Ok(end)
}

/// The new end an extension asks for: later than the current one, at most [`MAX_DAYS`] from
/// now.
pub fn extended_end(tz: Tz, by: &str, current: i64, now: i64) -> Result<i64, AppError> {
    let end = match by.trim() {
        "1h" => current + 3600,
        "2h" => current + 2 * 3600,
        "today" => end_of_day(tz, now, 0),
        "tomorrow" => end_of_day(tz, now, 1),
        _ => return Err(AppError::invalid("by", Reason::Unknown)),
    };
    if end <= current {
        return Err(AppError::invalid("by", Reason::EndBeforeStart));
    }
    if end > now + MAX_DAYS * 86_400 {
        return Err(AppError::invalid("by", Reason::TooFar));
    }
    Ok(end)
}

/// Registers a guest permit and tells the operator (in the same transaction). Returns its id.
pub async fn register(
    db: &Db,
    ctx: &TenantCtx,
    form: &GuestForm<'_>,
    now: i64,
) -> Result<Uuid, AppError> {
    require_front_desk(ctx)?;
    let plate =
        super::guest_plate(form.plate).ok_or(AppError::invalid("plate", Reason::NotAPlate))?;
    let key = super::plate_key(&plate);
    let name = crate::nordic::composed(form.visitor_name.trim());
    let name = name.as_str();
    if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(AppError::invalid("visitor_name", Reason::TooLong));
    }
    let host = match form.host.trim() {
        "" => None,
        h if h.chars().count() > 254 => return Err(AppError::invalid("host", Reason::TooLong)),
        h => {
            // Composed, as stored names and addresses are (a pasted "Åsa" may be a + ring).
            let h = crate::nordic::composed(h);
            let wanted = h.to_lowercase();
            let candidates = store::host_candidates(db, ctx.scope(), &h).await?;
            // An address names one person; a name may be shared.
            let by_email: Vec<Uuid> = candidates
                .iter()
                .filter(|(_, by_email, _)| *by_email)
                .map(|c| c.0)
                .collect();
            let by_name: Vec<Uuid> = candidates
                .iter()
                .filter(|(_, _, name)| {
                    !name.is_empty() && crate::nordic::composed(name).to_lowercase() == wanted
                })
                .map(|c| c.0)
                .collect();
            match (by_email.as_slice(), by_name.as_slice()) {
                ([one, ..], _) | ([], [one]) => Some(*one),
                ([], []) => return Err(AppError::invalid("host", Reason::NotAMember)),
                ([], _) => return Err(AppError::invalid("host", Reason::Ambiguous)),
            }
        }
    };
    let facility_id = Uuid::parse_str(form.facility.trim())
        .map_err(|_| AppError::invalid("facility", Reason::Unknown))?;
    let (_, country) = store::usable_facility(db, facility_id)
        .await?
        .ok_or(AppError::invalid("facility", Reason::Unknown))?;
    // Written the way the facility's country writes its plates (a Finnish garage `ABC-123`).
    let plate = crate::plate::display_for(country, form.plate).unwrap_or(plate);
    let tz = ctx.company().zone();
    // A typed end wins over the quick choices: a person who types a time means it.
    let choice = if form.until_at.trim().is_empty() {
        form.until
    } else {
        "other"
    };
    let until = registration_end(tz, choice, form.until_at, now)?;
    reserve_guest(db, ctx, now).await?;

    let id = Uuid::new_v4();
    let mut tx = db.begin().await?;
    store::insert_permit(
        &mut tx,
        ctx.scope(),
        &store::NewPermit {
            id,
            plate: &plate,
            plate_key: &key,
            visitor_name: (!name.is_empty()).then_some(name),
            host_user_id: host,
            facility_id,
            valid_from: now,
            valid_until: until,
            created_by: ctx.user_id(),
            now,
        },
    )
    .await?;
    tell_operator(&mut tx, id, now).await?;
    log(&mut tx, ctx, AuditAction::GuestRegistered, &plate, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Takes one permit of the company's hourly and daily quota, atomically (parallel requests
/// cannot overdraw it), after the form was found valid: a mistyped plate costs nothing.
async fn reserve_guest(db: &Db, ctx: &TenantCtx, now: i64) -> Result<(), AppError> {
    use crate::auth::service::{spend_company_budgets, CompanyBudget};
    let quota = [
        CompanyBudget {
            name: "guests:hour",
            window: 3_600,
            max: GUESTS_PER_HOUR,
        },
        CompanyBudget {
            name: "guests:day",
            window: 86_400,
            max: GUESTS_PER_DAY,
        },
    ];
    spend_company_budgets(db, ctx.scope().company_id(), &quota, now).await
}

pub async fn extend(
    db: &Db,
    ctx: &TenantCtx,
    id: Uuid,
    by: &str,
    now: i64,
) -> Result<(), AppError> {
    require_front_desk(ctx)?;
    let permit = live_permit(db, ctx, id, now).await?;
    let until = extended_end(ctx.company().zone(), by, permit.valid_until, now)?;
    change(
        db,
        ctx,
        &permit,
        until,
        false,
        AuditAction::GuestExtended,
        now,
    )
    .await
}

pub async fn cancel(db: &Db, ctx: &TenantCtx, id: Uuid, now: i64) -> Result<(), AppError> {
    require_front_desk(ctx)?;
    let permit = live_permit(db, ctx, id, now).await?;
    change(
        db,
        ctx,
        &permit,
        now,
        true,
        AuditAction::GuestCancelled,
        now,
    )
    .await
}

/// The company's permit `id` while it can still change: 404 when it is not the company's,
/// 400 (`id`, not pending) when it has ended or was cancelled.
async fn live_permit(
    db: &Db,
    ctx: &TenantCtx,
    id: Uuid,
    now: i64,
) -> Result<store::PermitRow, AppError> {
    let permit = store::permit(db, ctx.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if permit.cancelled_at.is_some() || permit.valid_until <= now {
        return Err(AppError::invalid("id", Reason::NotPending));
    }
    Ok(permit)
}

async fn change(
    db: &Db,
    ctx: &TenantCtx,
    permit: &store::PermitRow,
    until: i64,
    cancelled: bool,
    action: AuditAction,
    now: i64,
) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    // The statement checks liveness again: of two desks changing one permit, the second
    // finds it changed (or ended) and nothing of it is written.
    if store::change_permit(&mut tx, ctx.scope(), permit.id, until, cancelled, now)
        .await?
        .is_none()
    {
        return Err(AppError::invalid("id", Reason::NotPending));
    }
    tell_operator(&mut tx, permit.id, now).await?;
    log(&mut tx, ctx, action, &permit.plate, now).await?;
    tx.commit().await?;
    Ok(())
}

fn require_front_desk(ctx: &TenantCtx) -> Result<(), AppError> {
    if ctx.role().uses_front_desk() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

async fn log(
    tx: &mut Tx,
    ctx: &TenantCtx,
    action: AuditAction,
    plate: &str,
    now: i64,
) -> Result<(), AppError> {
    // The plate, never the visitor's name: the log outlives the name's 90 days.
    let entry = audit::NewAuditEntry {
        actor: Some(ctx.user_id()),
        action,
        subject: None,
        details: audit::details(&[("plate", plate)]),
        at: now,
    };
    audit::append(tx, ctx.scope(), &entry).await?;
    Ok(())
}

/// The message the operator gets about a permit: its whole current state, so the latest
/// version wins whatever order messages arrive in. No visitor name, no host.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PermitMessage {
    pub id: Uuid,
    pub version: i64,
    /// The company's organisation number.
    pub company: String,
    /// The facility's code (as in `/ingest/v1/facilities`).
    pub facility: String,
    pub plate: String,
    /// RFC 3339, UTC.
    pub valid_from: String,
    pub valid_until: String,
    /// `active` or `cancelled`.
    pub status: String,
}

async fn tell_operator(tx: &mut Tx, id: Uuid, now: i64) -> Result<(), AppError> {
    let f = store::permit_facts(tx, id).await?;
    let message = PermitMessage {
        id,
        version: f.version,
        company: f.org_number,
        facility: f.facility_ref,
        plate: f.plate,
        valid_from: crate::calendar::rfc3339_utc(f.valid_from),
        valid_until: crate::calendar::rfc3339_utc(f.valid_until),
        status: if f.cancelled_at.is_some() {
            "cancelled"
        } else {
            "active"
        }
        .to_owned(),
    };
    let body = serde_json::to_string(&message).map_err(|_| AppError::internal())?;
    store::enqueue_message(tx, id, f.version, &body, now).await?;
    Ok(())
}

fn local(tz: Tz, t: i64) -> chrono::DateTime<Tz> {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap_or_default()
        .with_timezone(&tz)
}

fn local_time(tz: Tz, t: i64, today: NaiveDate, lang: crate::i18n::Lang) -> String {
    let d = local(tz, t);
    // The end of a day reads 23:59, not 00:00 of the next.
    let shown = if d.time() == chrono::NaiveTime::MIN {
        d - chrono::Duration::minutes(1)
    } else {
        d
    };
    if shown.date_naive() == today {
        lang.time(shown.hour(), shown.minute())
    } else {
        lang.chrono_datetime(shown)
    }
}

/// Today's guests with their status and the members parked now; with `choices`, also the
/// facilities the form offers (read once by the page, not by every poll).
pub async fn today(
    db: &Db,
    ctx: &TenantCtx,
    now: i64,
    choices: bool,
    lang: crate::i18n::Lang,
) -> Result<TodayView, AppError> {
    require_front_desk(ctx)?;
    let tz = ctx.company().zone();
    let (start, end, today) = today_bounds(tz, now);
    let permits = store::permits_between(db, ctx.scope(), start, end).await?;
    let mut keys: Vec<String> = permits.iter().map(|p| p.plate_key.clone()).collect();
    keys.sort();
    keys.dedup();
    let earliest = permits.iter().map(|p| p.valid_from).min().unwrap_or(start);
    let (sessions, parked, facilities) = tokio::try_join!(
        store::sessions_of_plates(db, ctx.scope(), &keys, earliest - EARLY_ARRIVAL, end),
        store::members_parked_now(db, ctx.scope(), now - PARKED_LOOKBACK, PARKED_LIMIT),
        async {
            if choices {
                store::facility_choices(db, ctx.scope()).await
            } else {
                Ok(vec![])
            }
        },
    )?;
    let guests = permits
        .into_iter()
        .map(|p| {
            let visit: Vec<&store::PlateSession> = sessions
                .iter()
                .filter(|s| {
                    s.plate_key == p.plate_key
                        && s.started_at >= p.valid_from - EARLY_ARRIVAL
                        && s.started_at < p.valid_until
                })
                .collect();
            let status = if p.cancelled_at.is_some() {
                GuestStatus::Cancelled
            } else if visit.iter().any(|s| s.ended_at.is_none()) {
                GuestStatus::ParkedNow
            } else if !visit.is_empty() {
                GuestStatus::Left
            } else if p.valid_until <= now {
                GuestStatus::NotArrived
            } else {
                GuestStatus::Expected
            };
            GuestView {
                id: p.id,
                plate: p.plate,
                visitor_name: p.visitor_name,
                host: p.host_name,
                facility: p.facility_name,
                from: local_time(tz, p.valid_from, today, lang),
                until: local_time(tz, p.cancelled_at.unwrap_or(p.valid_until), today, lang),
                status,
                delivery: if p.failed > 0 {
                    Delivery::Failed
                } else if p.unsent > 0 {
                    Delivery::Waiting
                } else {
                    Delivery::Sent
                },
                live: p.cancelled_at.is_none() && p.valid_until > now,
            }
        })
        .collect();
    let now_local = local(tz, now);
    Ok(TodayView {
        date: lang.chrono_date(today),
        at: lang.time(now_local.hour(), now_local.minute()),
        now_local: now_local.format("%Y-%m-%dT%H:%M").to_string(),
        guests,
        parked: parked
            .into_iter()
            .map(|r| ParkedView {
                name: (!r.name.is_empty()).then_some(r.name),
                plate: r.plate,
                facility: r.facility_name,
                charging: r.kind == "charging",
                since: local_time(tz, r.started_at, today, lang),
            })
            .collect(),
        facilities: facilities
            .into_iter()
            .map(|(id, name, city, country)| {
                Ok::<_, sqlx::Error>(FacilityChoice {
                    id,
                    label: if city.is_empty() {
                        name
                    } else {
                        format!("{name}, {city}")
                    },
                    plate_example: crate::plate::example(crate::org_number::Country::stored(
                        &country,
                    )?)
                    .to_owned(),
                })
            })
            .collect::<Result<_, _>>()?,
    })
}

/// Sets (or clears, with an empty `cost_center`) the company's guest cost center: owners and
/// admins, an active cost center of the company.
pub async fn set_guest_cost_center(
    db: &Db,
    ctx: &TenantCtx,
    cost_center: &str,
    now: i64,
) -> Result<(), AppError> {
    if !matches!(ctx.role(), Role::Owner | Role::Admin) {
        return Err(AppError::Forbidden);
    }
    let mut tx = db.begin().await?;
    let chosen = match cost_center.trim() {
        "" => None,
        raw => {
            let id = Uuid::parse_str(raw)
                .map_err(|_| AppError::invalid("cost_center", Reason::UnknownCostCenter))?;
            let entry = crate::companies::store::cost_center_entry(&mut tx, ctx.scope(), id)
                .await?
                .ok_or(AppError::invalid("cost_center", Reason::UnknownCostCenter))?;
            if entry.archived_at.is_some() {
                return Err(AppError::invalid("cost_center", Reason::Archived));
            }
            Some((id, entry.code))
        }
    };
    store::set_guest_cost_center(&mut tx, ctx.scope(), chosen.as_ref().map(|c| c.0), now).await?;
    let code = chosen.as_ref().map(|c| c.1.as_str()).unwrap_or("");
    let entry = audit::NewAuditEntry {
        actor: Some(ctx.user_id()),
        action: AuditAction::GuestCostCenterSet,
        subject: None,
        details: audit::details(&[("cost_center", code)]),
        at: now,
    };
    audit::append(&mut tx, ctx.scope(), &entry).await?;
    tx.commit().await?;
    Ok(())
}

/// The erasure job (the outbox worker, once a minute): visitors' names and hosts of permits
/// that ended more than 90 days ago. Returns how many permits lost them.
pub async fn erase(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    store::erase_old_names(db, now - KEEP_NAMES, now).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const TZ: Tz = chrono_tz::Europe::Stockholm;

    fn at(s: &str) -> i64 {
        TZ.from_local_datetime(&NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap())
            .unwrap()
            .timestamp()
    }

    #[test]
    fn a_permit_runs_to_the_end_of_the_day_by_default() {
        let now = at("2026-11-26 09:15");
        assert_eq!(
            registration_end(TZ, "", "", now),
            Ok(at("2026-11-27 00:00"))
        );
        assert_eq!(
            registration_end(TZ, "tomorrow", "", now),
            Ok(at("2026-11-28 00:00"))
        );
        assert_eq!(registration_end(TZ, "2h", "", now), Ok(now + 7200));
        assert_eq!(
            registration_end(TZ, "other", "2026-11-26T17:30", now),
            Ok(at("2026-11-26 17:30"))
        );
        assert_eq!(
            registration_end(TZ, "other", "2026-11-26 17:30", now),
            Ok(at("2026-11-26 17:30"))
        );
    }

    #[test]
    fn a_bad_end_is_refused_by_field() {
        let now = at("2026-11-26 09:15");
        let field = |r: Result<i64, AppError>| match r {
            Err(AppError::Invalid { field, reason }) => (field, reason),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(registration_end(TZ, "other", "2026-11-26T08:00", now)),
            ("until_at".into(), Reason::InThePast)
        );
        assert_eq!(
            field(registration_end(TZ, "other", "2026-12-26T08:00", now)),
            ("until_at".into(), Reason::TooFar)
        );
        assert_eq!(
            field(registration_end(TZ, "other", "tomorrow-ish", now)),
            ("until_at".into(), Reason::NotADate)
        );
        assert_eq!(
            field(registration_end(TZ, "forever", "", now)),
            ("until".into(), Reason::Unknown)
        );
    }

    #[test]
    fn an_extension_must_move_the_end_later() {
        let now = at("2026-11-26 09:15");
        let current = at("2026-11-26 11:15");
        assert_eq!(extended_end(TZ, "1h", current, now), Ok(current + 3600));
        assert_eq!(
            extended_end(TZ, "today", current, now),
            Ok(at("2026-11-27 00:00"))
        );
        let late = at("2026-11-27 00:00");
        assert!(matches!(
            extended_end(TZ, "today", late, now),
            Err(AppError::Invalid {
                reason: Reason::EndBeforeStart,
                ..
            })
        ));
    }

    #[test]
    fn the_end_of_a_day_reads_23_59() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        assert_eq!(
            local_time(TZ, at("2026-11-27 00:00"), today, crate::i18n::Lang::Sv),
            "23:59"
        );
        assert_eq!(
            local_time(TZ, at("2026-11-26 14:05"), today, crate::i18n::Lang::Sv),
            "14:05"
        );
        assert_eq!(
            local_time(TZ, at("2026-11-28 00:00"), today, crate::i18n::Lang::Sv),
            "2026-11-27 23:59"
        );
    }
}
