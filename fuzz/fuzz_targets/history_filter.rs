//! The history URL's period and cursor: whatever the URL says, an answer (a period or a
//! field's error) with `from <= to`, and a cursor that prints as it parses.
#![no_main]
use app::history::{
    filter::{cursor_text, parse_cursor, parse_period, period_bounds},
    HistoryQuery,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|parts: (&str, &str, &str, &str, &str)| {
    let (year, month, from, to, after) = parts;
    let q = HistoryQuery {
        year: year.into(),
        month: month.into(),
        from: from.into(),
        to: to.into(),
        ..HistoryQuery::default()
    };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    if let Ok(period) = parse_period(&q, today) {
        let (a, b) = period_bounds(chrono_tz::Europe::Stockholm, period);
        assert!(a <= b);
    }
    if let Ok(Some((k, id))) = parse_cursor(after) {
        assert_eq!(parse_cursor(&cursor_text(k, id)).unwrap(), Some((k, id)));
    }
});
