//! The words and links of a month, shared by the chart and the page's text.

use crate::{calendar::month_of_index, i18n::Lang, url::with_query};

/// `mars 2026`.
pub fn month_label(month: i32, lang: Lang) -> String {
    let (y, m) = month_of_index(month);
    format!("{} {y}", lang.texts().months[(m - 1) as usize])
}

/// `/history?year=2026&month=3&…`: the history of one month, narrowed by `extra`.
pub fn history_link(month: i32, extra: &[(&str, &str)]) -> String {
    let (y, m) = month_of_index(month);
    let (y, m) = (y.to_string(), m.to_string());
    let mut pairs = vec![("year", y.as_str()), ("month", m.as_str())];
    pairs.extend_from_slice(extra);
    with_query("/history", &pairs)
}
