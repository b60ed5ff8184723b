//! Months and years in the company's local calendar. Instants are stored in UTC; "March"
//! means from local midnight on 1 March to local midnight on 1 April in the company's time
//! zone, which across a daylight-saving change is not a whole number of 24-hour days.

use chrono::{NaiveDate, Offset, TimeZone};
use chrono_tz::Tz;

/// Parses an IANA zone name such as `Europe/Stockholm`.
pub fn zone(name: &str) -> Option<Tz> {
    name.parse().ok()
}

/// UTC seconds of local midnight at the start of `date` in `tz`. If midnight does not exist
/// that day (a DST gap at 00:00, as in some zones), the first instant after the gap.
pub fn local_midnight(tz: Tz, date: NaiveDate) -> i64 {
    local_instant(
        tz,
        date.and_hms_opt(0, 0, 0).expect("midnight is a valid time"),
    )
}

/// UTC seconds of a wall-clock time in `tz`, as a person means it: in the hour that happens
/// twice (the last Sunday of October) the first; in the hour that never happens (the last
/// Sunday of March, 02:00–03:00 in the Nordic zones) the same clock time after the clocks
/// moved on, as watches and JavaScript's `Date` read it (02:30 is 03:30 summer time).
pub fn local_instant(tz: Tz, wall: chrono::NaiveDateTime) -> i64 {
    if let Some(dt) = tz.from_local_datetime(&wall).earliest() {
        return dt.timestamp();
    }
    // In a gap: the offset before it, applied to the wall time, lands past the gap.
    let before = tz
        .from_local_datetime(&(wall - chrono::Duration::hours(3)))
        .earliest()
        .map(|d| d.offset().fix().local_minus_utc() as i64)
        .unwrap_or(0);
    wall.and_utc().timestamp() - before
}

/// `[start, end)` of a calendar month as UTC seconds; `None` for a month outside 1–12.
pub fn month_bounds(tz: Tz, year: i32, month: u32) -> Option<(i64, i64)> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    Some((local_midnight(tz, first), local_midnight(tz, next)))
}

/// The last day of a month.
pub fn last_day(year: i32, month: u32) -> Option<NaiveDate> {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    next.pred_opt()
}

/// A year from a URL field (empty: none): 2000–2100, else refused naming `year`.
pub fn parse_year(raw: &str) -> Result<Option<i32>, crate::error::AppError> {
    match raw.trim() {
        "" => Ok(None),
        y => y
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .map(Some)
            .ok_or_else(|| crate::error::AppError::invalid("year", crate::error::Reason::NotAYear)),
    }
}

/// A month from a URL field (empty or `all`: none): 1–12, else refused naming `month`.
pub fn parse_month(raw: &str) -> Result<Option<u32>, crate::error::AppError> {
    match raw.trim() {
        "" | "all" => Ok(None),
        m => m
            .parse::<u32>()
            .ok()
            .filter(|m| (1..=12).contains(m))
            .map(Some)
            .ok_or_else(|| {
                crate::error::AppError::invalid("month", crate::error::Reason::NotAMonth)
            }),
    }
}

/// A local date as a day number (days since 1970-01-01), the key of the per-day rollup.
pub fn day_number(date: NaiveDate) -> i32 {
    (date - NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid")).num_days() as i32
}

/// `YYYY-MM-DD HH:MM` of an instant in a time zone.
pub fn format_local(tz: Tz, t: i64) -> String {
    tz.timestamp_opt(t, 0)
        .single()
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// An instant as RFC 3339 in UTC to the second (`2026-11-20T07:55:00Z`): what the portal
/// writes for other systems (the operator's permit messages, the demo's records).
pub fn rfc3339_utc(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The date of a day number.
pub fn day_date(day: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid") + chrono::Duration::days(day as i64)
}

/// The local date of a UTC instant in `tz`, as a day number.
pub fn local_day(tz: Tz, utc: i64) -> i32 {
    day_number(local_date(tz, utc))
}

/// The date in `tz` at the UTC instant `utc`: "today" in a company's own calendar. At 00:30
/// on 1 January in Stockholm it is already the new year, though UTC is still in the old one.
pub fn local_date(tz: Tz, utc: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp(utc, 0)
        .unwrap_or_default()
        .with_timezone(&tz)
        .date_naive()
}

/// The month index of the last complete month on `today` (a company's [`local_date`]): the
/// monthly report's month and the cost page's default. From the first day of a month, the
/// month before.
pub fn last_complete_month(today: NaiveDate) -> i32 {
    use chrono::Datelike;
    month_index(today.year(), today.month()) - 1
}

/// A month as one number (`year * 12 + month - 1`), the key of the per-month rollup.
pub fn month_index(year: i32, month: u32) -> i32 {
    year * 12 + month as i32 - 1
}

/// The year and month of a month index.
pub fn month_of_index(index: i32) -> (i32, u32) {
    (index.div_euclid(12), index.rem_euclid(12) as u32 + 1)
}

/// The month index of a day number.
pub fn month_of_day(day: i32) -> i32 {
    use chrono::Datelike;
    let d = day_date(day);
    month_index(d.year(), d.month())
}

/// The day number of the first day of a month index.
pub fn first_day_of_month(index: i32) -> i32 {
    let (y, m) = month_of_index(index);
    day_number(NaiveDate::from_ymd_opt(y, m, 1).expect("valid month"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .timestamp()
    }

    #[test]
    fn march_in_stockholm_starts_at_local_midnight_and_spans_the_spring_change() {
        let tz = zone("Europe/Stockholm").unwrap();
        let (start, end) = month_bounds(tz, 2026, 3).unwrap();
        assert_eq!(start, utc(2026, 2, 28, 23, 0)); // 00:00 CET
        assert_eq!(end, utc(2026, 3, 31, 22, 0)); // 00:00 CEST on 1 April
        assert_eq!(
            end - start,
            31 * 86_400 - 3_600,
            "March 2026 is one hour short"
        );
    }

    #[test]
    fn a_session_at_0030_on_1_march_local_belongs_to_march() {
        let tz = zone("Europe/Stockholm").unwrap();
        let at = utc(2026, 2, 28, 23, 30); // 00:30 local on 1 March
        let (feb_start, feb_end) = month_bounds(tz, 2026, 2).unwrap();
        let (mar_start, mar_end) = month_bounds(tz, 2026, 3).unwrap();
        assert!(!(feb_start..feb_end).contains(&at));
        assert!((mar_start..mar_end).contains(&at));
    }

    #[test]
    fn october_spans_the_autumn_change_with_an_extra_hour() {
        let tz = zone("Europe/Stockholm").unwrap();
        let (start, end) = month_bounds(tz, 2026, 10).unwrap();
        assert_eq!(start, utc(2026, 9, 30, 22, 0));
        assert_eq!(end, utc(2026, 10, 31, 23, 0));
        assert_eq!(end - start, 31 * 86_400 + 3_600);
    }

    #[test]
    fn december_rolls_into_the_next_year_and_bad_months_are_refused() {
        let tz = zone("Europe/Stockholm").unwrap();
        let (_, end) = month_bounds(tz, 2025, 12).unwrap();
        assert_eq!(end, utc(2025, 12, 31, 23, 0));
        assert!(month_bounds(tz, 2025, 13).is_none());
        assert_eq!(last_day(2028, 2), NaiveDate::from_ymd_opt(2028, 2, 29));
    }
}
