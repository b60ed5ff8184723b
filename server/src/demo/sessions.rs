//! The companies' parking and charging sessions: thirteen months of them, and a few going on
//! now, sent through the ingestion service as the back office would.

use app::calendar::rfc3339_utc as rfc3339;
use app::{
    companies::store::CompanyRow,
    db::Db,
    ingest::{
        service as ingest_service,
        wire::{AppUserRef, SessionIn, SessionKindIn, MAX_BATCH},
    },
};
use chrono::{Datelike, Days, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use rand::{rngs::StdRng, Rng};

use super::{
    catalog::DEMO_ACCOUNTS,
    parts::{ingest, vat_of, DemoFacility, DemoMember, InvoiceLine, DEMO_SOURCE},
};

/// A Saturday charge of 22 hours by the demo member (Maja Svensson, `MAJ 517`), billed to the
/// cost center whose rules allow weekdays 06–20, parking only and 10 hours at most
/// (`generate::seed_policies`): outside policy for three reasons, on the history, on Maja's
/// own page and, as it arrives within the alerts' window, as a notice. The last such weekend
/// that is over by `now`; only on `make run` (as [`park_now`]), so the fixed-date demo stays
/// as it was. Returns how many sessions it added.
pub(super) async fn break_the_rules(
    db: &Db,
    access: &app::auth::OperatorAccess,
    org_number: &str,
    facility_code: &str,
    cost_center: &str,
    tz: Tz,
    now: i64,
) -> Result<u64, Box<dyn std::error::Error>> {
    let today = Utc
        .timestamp_opt(now, 0)
        .single()
        .ok_or("now is not a time")?
        .with_timezone(&tz)
        .date_naive();
    let at = |day: NaiveDate, hour: u32| {
        tz.from_local_datetime(
            &day.and_time(NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or_default()),
        )
        .earliest()
        .map(|t| t.timestamp())
    };
    // The latest Saturday whose Sunday 08:00 has passed.
    let mut saturday = today;
    loop {
        let sunday = saturday + Days::new(1);
        let over = at(sunday, 8).is_some_and(|end| end < now);
        if saturday.weekday() == chrono::Weekday::Sat && over {
            break;
        }
        saturday = saturday.pred_opt().ok_or("no Saturday before today")?;
    }
    let (Some(start), Some(end)) = (at(saturday, 10), at(saturday + Days::new(1), 8)) else {
        return Ok(0);
    };
    let amount = 38_500;
    let record = SessionIn {
        id: format!("DEMO-RULES-{saturday}"),
        version: 1,
        company: org_number.into(),
        app_user: Some(AppUserRef {
            id: None,
            email: Some(DEMO_ACCOUNTS[3].email.into()),
        }),
        plate: "MAJ 517".into(),
        facility: facility_code.into(),
        kind: SessionKindIn::Charging,
        started_at: rfc3339(start),
        ended_at: Some(rfc3339(end)),
        energy_wh: Some(64_000),
        amount_incl_vat: amount,
        vat: vat_of(app::org_number::Country::Se, amount),
        cost_center: Some(cost_center.into()),
    };
    let result = ingest("sessions", vec![record], async |batch| {
        ingest_service::sessions(db, access, DEMO_SOURCE, batch).await
    })
    .await?;
    Ok(result.inserted as u64)
}

/// Sessions going on now at the large company: two demo members and the first registered
/// guest (KLM 482), started within the last three hours, no end yet. Returns how many.
pub(super) async fn park_now(
    db: &Db,
    access: &app::auth::OperatorAccess,
    org_number: &str,
    facility_code: &str,
    now: i64,
) -> Result<u64, Box<dyn std::error::Error>> {
    let who = [
        (Some(DEMO_ACCOUNTS[3].email), "MAJ 517", 2 * 3600),
        (Some(DEMO_ACCOUNTS[1].email), "ERH 208", 3 * 3600 - 600),
        (None, "KLM 482", 20 * 60),
    ];
    let records = who
        .iter()
        .enumerate()
        .map(|(i, (email, plate, ago))| SessionIn {
            id: format!("DEMO-NOW-{i}"),
            version: 1,
            company: org_number.into(),
            app_user: email.map(|e| AppUserRef {
                id: None,
                email: Some(e.into()),
            }),
            plate: (*plate).into(),
            facility: facility_code.into(),
            kind: SessionKindIn::Parking,
            started_at: rfc3339(now - ago),
            ended_at: None,
            energy_wh: None,
            amount_incl_vat: 0,
            vat: 0,
            cost_center: None,
        })
        .collect();
    let result = ingest("sessions", records, async |batch| {
        ingest_service::sessions(db, access, DEMO_SOURCE, batch).await
    })
    .await?;
    Ok(result.inserted as u64)
}

/// 13 months back from `until`, the first day of that month.
pub(super) fn period_start(until: NaiveDate) -> NaiveDate {
    let first = until.with_day(1).unwrap_or(until);
    first
        .checked_sub_months(chrono::Months::new(12))
        .unwrap_or(first)
}

pub(super) fn to_utc(tz: Tz, local: NaiveDateTime) -> i64 {
    // A local time inside the spring-forward gap does not exist: take the hour after.
    tz.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(local + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.timestamp())
        .unwrap_or_else(|| local.and_utc().timestamp())
}

/// Generates the company's sessions and sends them through the ingestion service in batches
/// of the API's size; returns how many were stored and what the invoices need of each.
#[allow(clippy::too_many_arguments)]
pub(super) async fn generate_sessions(
    db: &Db,
    access: &app::auth::OperatorAccess,
    rng: &mut StdRng,
    company: &CompanyRow,
    members: &[DemoMember],
    all_facilities: &[DemoFacility],
    usable: &[usize],
    count: usize,
    until: NaiveDate,
    tz: Tz,
) -> Result<(u64, Vec<InvoiceLine>), Box<dyn std::error::Error>> {
    let first_day = period_start(until);
    let days = (until - first_day).num_days().max(1) as u64;
    let now = Utc::now().timestamp();
    // All of the company's sessions are made first and sent in the order they ended, as the
    // operator's feed delivers them: the tables then lie on disk the way a real portal's do
    // (a month's rows near each other), which is what reads of a period depend on.
    let mut batch: Vec<(i64, SessionIn)> = Vec::with_capacity(count);
    let mut lines = Vec::with_capacity(count);
    for n in 0..count {
        // A few members park a lot, most now and then.
        let m =
            &members[(rng.gen::<f64>().powf(1.6) * members.len() as f64) as usize % members.len()];
        let facility_index = if rng.gen_bool(0.6) {
            m.home_facility
        } else {
            usable[rng.gen_range(0..usable.len())]
        };
        let facility = &all_facilities[facility_index];
        let hourly = facility.hourly;
        let day = first_day + Days::new(rng.gen_range(0..days));
        let weekend = day.weekday().number_from_monday() >= 6;
        let hour = if weekend {
            rng.gen_range(9..20)
        } else if rng.gen_bool(0.7) {
            rng.gen_range(6..10)
        } else {
            rng.gen_range(10..21)
        };
        let start_local = day.and_time(
            NaiveTime::from_hms_opt(hour, rng.gen_range(0..60), rng.gen_range(0..60))
                .unwrap_or_default(),
        );
        let started_at = to_utc(tz, start_local);
        let charging = facility.has_chargers && rng.gen_bool(0.25);
        let (minutes, energy_wh, amount_ore) = if charging {
            let minutes: i64 = rng.gen_range(20..180);
            let energy_wh = minutes * rng.gen_range(90..180); // 5.4–10.8 kW
                                                              // 3.95 kr/kWh incl. VAT plus parking while charging at half price
            let amount = energy_wh * 395 / 1000 + hourly * minutes / 120;
            (minutes, Some(energy_wh), amount)
        } else {
            let minutes: i64 = if hour < 10 && !weekend {
                rng.gen_range(240..600)
            } else {
                rng.gen_range(30..240)
            };
            (minutes, None, hourly * minutes / 60)
        };
        let ended_at = started_at + minutes * 60;
        if ended_at > now {
            continue; // only finished sessions
        }
        let amount_ore = in_currency(&company.currency, amount_ore);
        // Half the sessions name their cost center; the others get the member's default.
        let cost_center = rng.gen_bool(0.5).then(|| m.cost_center.clone());
        let id = format!("{}-{n}", company.org_number);
        let plate = m.plates[rng.gen_range(0..m.plates.len())].clone();
        lines.push(InvoiceLine {
            started_at,
            id: id.clone(),
            description: format!(
                "{} {plate}",
                if charging { "Laddning" } else { "Parkering" }
            ),
            amount: amount_ore,
            vat: vat_of(facility.country, amount_ore),
            cost_center: m.cost_center.clone(),
        });
        batch.push((
            ended_at,
            SessionIn {
                id,
                version: 1,
                company: company.org_number.clone(),
                app_user: Some(AppUserRef {
                    id: m.app_user.clone(),
                    email: Some(m.email.clone()),
                }),
                plate,
                facility: facility.code.clone(),
                kind: if charging {
                    SessionKindIn::Charging
                } else {
                    SessionKindIn::Parking
                },
                started_at: rfc3339(started_at),
                ended_at: Some(rfc3339(ended_at)),
                energy_wh,
                amount_incl_vat: amount_ore,
                vat: vat_of(facility.country, amount_ore),
                cost_center,
            },
        ));
    }
    batch.sort_by_key(|(ended_at, _)| *ended_at);
    let mut inserted = 0;
    let mut records = batch.into_iter().peekable();
    while records.peek().is_some() {
        let part: Vec<SessionIn> = records.by_ref().take(MAX_BATCH).map(|(_, s)| s).collect();
        let result = ingest("sessions", part, async |batch| {
            ingest_service::sessions(db, access, DEMO_SOURCE, batch).await
        })
        .await?;
        inserted += result.inserted as u64;
    }
    Ok((inserted, lines))
}

/// A price made in Swedish öre, in the company's currency: whole kronor (SEK, NOK: about the
/// same price level) like the operator's receipts, or euros to ten cents (about 11.5 kr).
pub(super) fn in_currency(currency: &str, ore_sek: i64) -> i64 {
    match currency {
        "EUR" => ((ore_sek * 10 / 115 + 5) / 10).max(1) * 10,
        _ => (ore_sek / 100).max(1) * 100,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_period_covers_thirteen_calendar_months() {
        let until = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(
            period_start(until),
            NaiveDate::from_ymd_opt(2025, 11, 1).unwrap()
        );
    }
}
