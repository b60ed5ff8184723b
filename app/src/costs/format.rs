//! The report's numbers as the page shows them, with the history links of every row.

use chrono::{Datelike, NaiveDate};
use uuid::Uuid;

use super::{
    chart,
    labels::{history_link, month_label},
    service::{Line, Report},
    ChartRow, CostLine, CostsView, Trend,
};
use crate::{
    calendar::{month_index, month_of_index},
    history::{
        filter::NO_COST_CENTER,
        format::{hours_text, kwh_text},
        rollup::{Measures, NONE},
        SessionKind,
    },
    i18n::Lang,
    url::with_query,
};

fn costs_link(month: i32) -> String {
    let (y, m) = month_of_index(month);
    with_query(
        "/costs",
        &[("year", &y.to_string()), ("month", &m.to_string())],
    )
}

/// The month's page with every member by name, at the members' table.
fn all_members_link(month: i32) -> String {
    let (y, m) = month_of_index(month);
    format!(
        "{}#{}",
        with_query(
            "/costs",
            &[
                ("year", &y.to_string()),
                ("month", &m.to_string()),
                ("members", "all"),
            ],
        ),
        crate::ids::COSTS_MEMBERS
    )
}

/// `+1 234,00 kr (+12 %)` and which way it went.
fn change(now: &Measures, before: &Measures, currency: &str, lang: Lang) -> (String, Trend) {
    let t = lang.texts();
    if before.sessions == 0 && before.amount_ore == 0 {
        return if now.sessions == 0 {
            ("–".into(), Trend::Same)
        } else {
            (t.costs_new.into(), Trend::New)
        };
    }
    let diff = now.amount_ore - before.amount_ore;
    let sign = if diff > 0 { "+" } else { "" };
    let money = format!("{sign}{}", lang.money(diff, currency));
    let trend = match diff.signum() {
        1 => Trend::Up,
        -1 => Trend::Down,
        _ => Trend::Same,
    };
    if before.amount_ore == 0 {
        return (money, trend);
    }
    // Whole per cent, rounded half away from zero.
    let pct = (diff * 200 / before.amount_ore.abs() + diff.signum()) / 2;
    let psign = if pct > 0 { "+" } else { "" };
    (format!("{money} ({psign}{pct}\u{a0}%)"), trend)
}

fn line<K>(
    l: &Line<K>,
    label: String,
    href: Option<String>,
    currency: &str,
    lang: Lang,
) -> CostLine {
    let (change, trend) = change(&l.now, &l.before, currency, lang);
    CostLine {
        label,
        href,
        sessions: lang.int(l.now.sessions),
        hours: hours_text(l.now.parking_seconds, lang),
        kwh: kwh_text(l.now.energy_wh, lang),
        cost: lang.money(l.now.amount_ore, currency),
        cost_excl_vat: lang.money(l.now.amount_ore - l.now.vat_ore, currency),
        change,
        trend,
        outside: String::new(),
        outside_href: None,
    }
}

pub fn view(r: &Report, currency: &str, today: NaiveDate, lang: Lang) -> CostsView {
    let t = lang.texts();
    let month = r.month;
    let id = |u: &Uuid| u.to_string();
    let cost_centers = r
        .cost_centers
        .iter()
        .map(|l| {
            let (label, value) = if l.key == NONE {
                (t.without_cost_center.to_owned(), NO_COST_CENTER.to_owned())
            } else {
                (
                    r.names
                        .cost_centers
                        .get(&l.key)
                        .cloned()
                        .unwrap_or_else(|| t.costs_unknown.to_owned()),
                    id(&l.key),
                )
            };
            let href = history_link(month, &[("cost_center", &value)]);
            line(l, label, Some(href), currency, lang)
        })
        .collect();
    let mut members: Vec<CostLine> = r
        .members
        .iter()
        .map(|l| {
            if l.key == NONE {
                // Guests: the sessions of no member, exactly.
                let href = history_link(month, &[("member", crate::history::filter::GUESTS)]);
                line(l, t.history_guest.to_owned(), Some(href), currency, lang)
            } else {
                let label = r
                    .names
                    .people
                    .get(&l.key)
                    .cloned()
                    .unwrap_or_else(|| t.costs_unknown.to_owned());
                let href = history_link(month, &[("member", &id(&l.key))]);
                line(l, label, Some(href), currency, lang)
            }
        })
        .collect();
    if let Some((count, others)) = &r.others {
        let label = Lang::fill(t.costs_other_members, &[("n", &lang.int(*count))]);
        // The others by name, each row linking to exactly their sessions (not the whole
        // month's history, whose total is not this row's).
        let href = (!r.all_members).then(|| all_members_link(month));
        members.push(line(others, label, href, currency, lang));
    }
    let facilities = r
        .facilities
        .iter()
        .map(|l| {
            let label = r
                .names
                .facilities
                .get(&l.key)
                .cloned()
                .unwrap_or_else(|| t.costs_unknown.to_owned());
            let href = history_link(month, &[("facility", &id(&l.key))]);
            line(l, label, Some(href), currency, lang)
        })
        .collect();
    let kinds = r
        .kinds
        .iter()
        .map(|l| {
            let label = match l.key {
                SessionKind::Parking => t.kind_parking,
                SessionKind::Charging => t.kind_charging,
            };
            let href = history_link(month, &[("kind", l.key.as_str())]);
            line(l, label.to_owned(), Some(href), currency, lang)
        })
        .collect();
    let history_href = history_link(month, &[]);
    let total = line(
        &r.total,
        t.costs_total.to_owned(),
        Some(history_href.clone()),
        currency,
        lang,
    );
    let chart_rows: Vec<ChartRow> = r
        .chart
        .iter()
        .map(|(m, parking, charging)| ChartRow {
            label: month_label(*m, lang),
            parking: lang.money(parking.amount_ore, currency),
            charging: lang.money(charging.amount_ore, currency),
            total: lang.money(parking.amount_ore + charging.amount_ore, currency),
            href: history_link(*m, &[]),
            chosen: *m == month,
        })
        .collect();
    let current = month_index(today.year(), today.month());
    let (y, m) = month_of_index(month);
    CostsView {
        period: month_label(month, lang),
        previous: month_label(month - 1, lang),
        year: y,
        month: m,
        own_only: r.own_only,
        sets_up_report: false,
        chart_svg: chart::svg(&r.chart, month, currency, lang),
        chart_rows,
        cost_centers,
        members,
        facilities,
        kinds,
        total,
        budgets: Vec::new(),
        budget_choices: Vec::new(),
        currency: currency.to_owned(),
        history_href,
        prev_href: costs_link(month - 1),
        next_href: (month < current).then(|| costs_link(month + 1)),
    }
}

/// The monthly report mail's lines: the total, and per cost center and per kind, each as
/// (label, cost incl. VAT, change from the month before).
pub fn mail_lines(
    r: &Report,
    currency: &str,
    lang: Lang,
) -> (
    crate::mail::templates::ReportLine,
    (
        Vec<crate::mail::templates::ReportLine>,
        Vec<crate::mail::templates::ReportLine>,
    ),
) {
    let v = view(r, currency, NaiveDate::default(), lang);
    let of = |l: &CostLine| (l.label.clone(), l.cost.clone(), l.change.clone());
    (
        of(&v.total),
        (
            v.cost_centers.iter().map(of).collect(),
            v.kinds.iter().map(of).collect(),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(sessions: i64, amount: i64) -> Measures {
        Measures {
            sessions,
            amount_ore: amount,
            ..Default::default()
        }
    }

    #[test]
    fn the_change_says_how_much_and_which_way() {
        let (text, trend) = change(&m(2, 15_000), &m(1, 10_000), "SEK", Lang::En);
        assert_eq!(trend, Trend::Up);
        assert!(
            text.starts_with('+') && text.ends_with("(+50\u{a0}%)"),
            "{text}"
        );
        let (text, trend) = change(&m(1, 5_000), &m(1, 10_000), "SEK", Lang::En);
        assert_eq!(trend, Trend::Down);
        assert!(text.ends_with("(-50\u{a0}%)"), "{text}");
        assert_eq!(
            change(&m(1, 5_000), &m(0, 0), "SEK", Lang::En).1,
            Trend::New
        );
        assert_eq!(change(&m(0, 0), &m(0, 0), "SEK", Lang::En).1, Trend::Same);
    }

    #[test]
    fn rows_link_to_the_history_of_their_month() {
        assert_eq!(
            history_link(month_index(2026, 3), &[("cost_center", "none")]),
            "/history?year=2026&month=3&cost_center=none"
        );
    }
}
