//! The calendar's hard moments (issue 26), in each company's own zone: the first and last
//! minutes of a month and of a year, 29 February, and the two days a year with 23 and 25 hours
//! (the last Sundays of March and October). Every rule that reads "now" takes it as an input,
//! so each moment is a plain argument here; `make test-calendar` runs the browser suite with
//! the server's and the browser's clocks set to the same moments.
//!
//! Store-backed properties at these moments (a month is the sum of its days and its rollup, in
//! every zone, on both databases) are in `history.rs`.

use app::{
    calendar::{last_complete_month, local_date, local_instant, month_bounds, month_index},
    companies::Role,
    costs::{service::resolve_month, CostsQuery},
    frontdesk::service::{extended_end, registration_end},
    history::{
        filter::{parse_period, period_bounds, Period},
        HistoryQuery,
    },
    invoices::InvoiceStatus,
};
use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;

const ZONES: [&str; 3] = ["Europe/Stockholm", "Europe/Helsinki", "Europe/Oslo"];

fn zone(name: &str) -> Tz {
    name.parse().unwrap()
}

/// UTC seconds of a wall-clock time in `tz` (the first, in October's repeated hour).
fn at(tz: Tz, y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> i64 {
    tz.with_ymd_and_hms(y, m, d, h, min, s)
        .earliest()
        .unwrap()
        .timestamp()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn in_the_first_minute_of_a_year_it_is_the_new_year_in_every_zone_though_utc_is_not() {
    for name in ZONES {
        let tz = zone(name);
        let now = at(tz, 2027, 1, 1, 0, 0, 30);
        // UTC is still on 31 December (one or two hours behind).
        assert_eq!(
            chrono::DateTime::from_timestamp(now, 0)
                .unwrap()
                .date_naive(),
            date(2026, 12, 31),
            "{name}"
        );
        assert_eq!(local_date(tz, now), date(2027, 1, 1), "{name}");
        // The monthly report's month and the cost page's default: December, the year before.
        assert_eq!(
            last_complete_month(local_date(tz, now)),
            month_index(2026, 12),
            "{name}"
        );
        let default = CostsQuery::default();
        assert_eq!(
            resolve_month(&default, local_date(tz, now)).unwrap(),
            month_index(2026, 12),
            "{name}"
        );
        // The history's default: this month, January, which has only just begun.
        let today = local_date(tz, now);
        assert_eq!(
            parse_period(&HistoryQuery::default(), today).unwrap(),
            Period::Month(2027, 1),
            "{name}"
        );
        // A minute before: still the old year, and November is the last complete month.
        let before = now - 60;
        assert_eq!(local_date(tz, before), date(2026, 12, 31), "{name}");
        assert_eq!(
            last_complete_month(local_date(tz, before)),
            month_index(2026, 11),
            "{name}"
        );
    }
}

#[test]
fn the_last_minutes_of_a_month_belong_to_it_and_the_first_of_the_next_do_not() {
    for name in ZONES {
        let tz = zone(name);
        for (y, m, last) in [(2027, 1, 31), (2027, 4, 30), (2028, 2, 29), (2026, 12, 31)] {
            let (start, end) = month_bounds(tz, y, m).unwrap();
            let last_minute = at(tz, y, m, last, 23, 59, 0);
            assert!((start..end).contains(&last_minute), "{name} {y}-{m}");
            assert_eq!(
                end,
                last_minute + 60,
                "{name} {y}-{m}: the next month starts"
            );
            assert_eq!(
                last_complete_month(local_date(tz, last_minute)),
                month_index(y, m) - 1,
                "{name} {y}-{m}"
            );
            assert_eq!(
                last_complete_month(local_date(tz, end)),
                month_index(y, m),
                "{name} {y}-{m}"
            );
        }
    }
}

#[test]
fn an_invoice_due_on_the_last_day_of_the_year_is_overdue_from_local_midnight() {
    for name in ZONES {
        let tz = zone(name);
        let due = date(2026, 12, 31);
        let last_minute = at(tz, 2026, 12, 31, 23, 59, 30);
        let first_minute = at(tz, 2027, 1, 1, 0, 0, 30);
        assert_eq!(
            InvoiceStatus::shown(InvoiceStatus::Unpaid, due, local_date(tz, last_minute)),
            InvoiceStatus::Unpaid,
            "{name}"
        );
        // In UTC it is still the due date; in the company's calendar it has passed.
        assert_eq!(
            InvoiceStatus::shown(InvoiceStatus::Unpaid, due, local_date(tz, first_minute)),
            InvoiceStatus::Overdue,
            "{name}"
        );
        assert_eq!(
            InvoiceStatus::shown(InvoiceStatus::Paid, due, local_date(tz, first_minute)),
            InvoiceStatus::Paid,
            "{name}"
        );
    }
}

#[test]
fn the_29th_of_february_is_a_day_of_its_own_in_a_29_day_month() {
    for name in ZONES {
        let tz = zone(name);
        let (start, end) = month_bounds(tz, 2028, 2).unwrap();
        assert_eq!(end - start, 29 * 86_400, "{name}");
        let q = HistoryQuery {
            from: "2028-02-29".into(),
            to: "2028-02-29".into(),
            ..Default::default()
        };
        let period = parse_period(&q, date(2028, 3, 1)).unwrap();
        let (from, to) = period_bounds(tz, period);
        assert_eq!(from, at(tz, 2028, 2, 29, 0, 0, 0), "{name}");
        assert_eq!(to, at(tz, 2028, 3, 1, 0, 0, 0), "{name}");
        // A non-leap year has no such day: the filter says which field is wrong.
        let bad = HistoryQuery {
            from: "2027-02-29".into(),
            to: "2027-02-29".into(),
            ..Default::default()
        };
        assert!(parse_period(&bad, date(2027, 3, 1)).is_err(), "{name}");
    }
}

/// The day filter on the last Sundays of March and October: 23 and 25 hours, local midnight to
/// local midnight.
#[test]
fn a_day_filter_on_the_change_days_spans_23_and_25_hours() {
    for name in ZONES {
        let tz = zone(name);
        for (day, hours) in [("2027-03-28", 23), ("2027-10-31", 25), ("2027-06-01", 24)] {
            let q = HistoryQuery {
                from: day.into(),
                to: day.into(),
                ..Default::default()
            };
            let period = parse_period(&q, date(2027, 12, 1)).unwrap();
            let (from, to) = period_bounds(tz, period);
            assert_eq!(to - from, hours * 3600, "{name} {day}");
        }
        // The months holding them: an hour short and an hour long.
        let (s, e) = month_bounds(tz, 2027, 3).unwrap();
        assert_eq!(e - s, 31 * 86_400 - 3600, "{name}");
        let (s, e) = month_bounds(tz, 2027, 10).unwrap();
        assert_eq!(e - s, 31 * 86_400 + 3600, "{name}");
    }
}

/// The local hour the clocks change at (01:00 UTC everywhere in the EU): 02:00 in Stockholm
/// and Oslo, 03:00 in Helsinki.
fn change_hour(name: &str) -> u32 {
    if name == "Europe/Helsinki" {
        3
    } else {
        2
    }
}

/// A guest permit "until the end of the day" on a change day ends at the next local midnight,
/// after 23 or 25 hours of the day; the time a person types in the hour that never happens is
/// the same clock time after the change (it was refused as "not a date and time").
#[test]
fn a_guest_permit_until_the_end_of_the_day_follows_the_local_clock_on_the_change_days() {
    for name in ZONES {
        let tz = zone(name);
        let g = change_hour(name);
        // Registered half an hour before the spring change.
        let now = at(tz, 2027, 3, 28, g - 1, 30, 0);
        let end = registration_end(tz, "today", "", now).unwrap();
        assert_eq!(end, at(tz, 2027, 3, 29, 0, 0, 0), "{name}");
        assert_eq!(
            end - at(tz, 2027, 3, 28, 0, 0, 0),
            23 * 3600,
            "{name}: a 23-hour day"
        );
        // g:30 that morning does not exist: it is (g+1):30 summer time, an hour after (g-1):30.
        let typed = registration_end(tz, "other", &format!("2027-03-28 {g:02}:30"), now).unwrap();
        assert_eq!(typed, now + 3600, "{name}");
        assert_eq!(
            typed,
            local_instant(tz, date(2027, 3, 28).and_hms_opt(g + 1, 30, 0).unwrap()),
            "{name}"
        );
        // Autumn: "today" lasts the 25-hour day; g:30 typed is the first of the two.
        let now = at(tz, 2027, 10, 31, g - 1, 30, 0);
        let end = registration_end(tz, "today", "", now).unwrap();
        assert_eq!(end - at(tz, 2027, 10, 31, 0, 0, 0), 25 * 3600, "{name}");
        let typed = registration_end(tz, "other", &format!("2027-10-31 {g:02}:30"), now).unwrap();
        assert_eq!(typed, now + 3600, "{name}: the first {g}:30");
        // Extended "to tomorrow" at 23:30 on the change day: the end of 1 November.
        let late = at(tz, 2027, 10, 31, 23, 30, 0);
        assert_eq!(
            extended_end(tz, "tomorrow", late + 600, late).unwrap(),
            at(tz, 2027, 11, 2, 0, 0, 0),
            "{name}"
        );
    }
}

/// The front desk's 10-hour session counts real hours, not the wall clock: across the autumn
/// change it ends at 08:00, not 09:00, after a 23:00 sign-in; across the spring change at 10:00.
#[test]
fn a_front_desk_session_of_ten_hours_across_the_change_counts_real_hours() {
    use app::auth::{service::outlived, store::SessionRow};
    for name in ZONES {
        let tz = zone(name);
        for ((y, m, d), (ey, em, ed, eh)) in [
            ((2027, 10, 30), (2027, 10, 31, 8)),
            ((2027, 3, 27), (2027, 3, 28, 10)),
        ] {
            let signed_in = at(tz, y, m, d, 23, 0, 0);
            let ends = at(tz, ey, em, ed, eh, 0, 0);
            assert_eq!(ends - signed_in, 10 * 3600, "{name}");
            // Seen a minute ago each time: only the 10-hour limit from sign-in can end it.
            let row = |now: i64| SessionRow {
                token_hash: vec![],
                user_id: None,
                company_id: None,
                pending_email: None,
                signed_in_at: Some(signed_in),
                last_seen_at: now - 60,
                idle_expires_at: now + 3600,
                absolute_expires_at: signed_in + 10 * 3600,
            };
            let role = Some(Role::FrontDesk);
            assert!(
                !outlived(&row(ends - 60), role, ends - 60),
                "{name} {y}-{m}"
            );
            assert!(outlived(&row(ends), role, ends), "{name} {y}-{m}");
        }
    }
}
