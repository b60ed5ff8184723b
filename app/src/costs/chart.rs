//! The cost chart: thirteen months of cost incl. VAT, parking and charging stacked, as plain
//! SVG written here on the server (no charting library, nothing to run in the browser). It
//! reads without colour: charging is hatched, every bar carries its total as text and a
//! tooltip (`<title>`) with both parts, the chosen month's label is bold, and the page shows
//! the same figures as a table beside it. Each bar links to that month's history.

use std::fmt::Write;

use crate::{history::rollup::Measures, html::escape_html, i18n::Lang};

const WIDTH: i32 = 720;
const HEIGHT: i32 = 260;
const TOP: i32 = 24;
const BOTTOM: i32 = 40;
const LEFT: i32 = 8;

/// Amounts on the bars: whole currency units, `12 345` / `12,345` (the table has the öre).
fn short(lang: Lang, ore: i64) -> String {
    lang.int((ore + 50) / 100)
}

/// The chart of `bars` (month index, parking, charging), oldest first, `chosen` marked.
pub fn svg(bars: &[(i32, Measures, Measures)], chosen: i32, currency: &str, lang: Lang) -> String {
    let t = lang.texts();
    let max = bars
        .iter()
        .map(|(_, p, c)| p.amount_ore + c.amount_ore)
        .max()
        .unwrap_or(0)
        .max(1);
    let n = bars.len().max(1) as i32;
    let slot = (WIDTH - 2 * LEFT) / n;
    let bar_w = slot * 3 / 5;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let scale = |ore: i64| ((ore.max(0) as i128 * plot_h as i128) / max as i128) as i32;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="group" aria-labelledby="costs-chart-title costs-chart-desc" xmlns="http://www.w3.org/2000/svg"><title id="costs-chart-title">{title}</title><desc id="costs-chart-desc">{desc}</desc><defs><pattern id="costs-hatch" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)"><rect width="6" height="6" class="hatch-bg"/><rect width="2" height="6" class="hatch-line"/></pattern></defs>"#,
        title = escape_html(t.costs_chart_title),
        desc = escape_html(t.costs_chart_desc),
    );
    let base = TOP + plot_h;
    let _ = write!(
        s,
        r#"<line class="axis" x1="{LEFT}" y1="{base}" x2="{x2}" y2="{base}"/>"#,
        x2 = WIDTH - LEFT
    );
    for (i, (month, parking, charging)) in bars.iter().enumerate() {
        let x = LEFT + i as i32 * slot + (slot - bar_w) / 2;
        let hp = scale(parking.amount_ore);
        let hc = scale(charging.amount_ore);
        let total = parking.amount_ore + charging.amount_ore;
        let label = super::labels::month_label(*month, lang);
        let tip = format!(
            "{label}: {} ({} {}, {} {})",
            lang.money(total, currency),
            t.kind_parking,
            lang.money(parking.amount_ore, currency),
            t.kind_charging,
            lang.money(charging.amount_ore, currency),
        );
        let href = super::labels::history_link(*month, &[]);
        let chosen_class = if *month == chosen { " chosen" } else { "" };
        let _ = write!(
            s,
            r#"<a href="{href}" class="bar{chosen_class}"><title>{tip}</title><rect class="hit" x="{hx}" y="{TOP}" width="{slot}" height="{plot_h}"/>"#,
            href = escape_html(&href),
            tip = escape_html(&tip),
            hx = LEFT + i as i32 * slot,
        );
        if hp > 0 {
            let _ = write!(
                s,
                r#"<rect class="parking" x="{x}" y="{y}" width="{bar_w}" height="{hp}"/>"#,
                y = base - hp
            );
        }
        if hc > 0 {
            let _ = write!(
                s,
                r#"<rect class="charging" fill="url(#costs-hatch)" x="{x}" y="{y}" width="{bar_w}" height="{hc}"/>"#,
                y = base - hp - hc
            );
        }
        let cx = x + bar_w / 2;
        let _ = write!(
            s,
            r#"<text class="value" x="{cx}" y="{y}" text-anchor="middle">{v}</text>"#,
            y = base - hp - hc - 4,
            v = escape_html(&short(lang, total)),
        );
        let (year, m) = crate::calendar::month_of_index(*month);
        let abbr: String = t.months[(m - 1) as usize].chars().take(3).collect();
        let _ = write!(
            s,
            r#"<text class="month" x="{cx}" y="{y1}" text-anchor="middle">{abbr}</text>"#,
            y1 = base + 16,
            abbr = escape_html(&abbr),
        );
        if m == 1 || i == 0 {
            let _ = write!(
                s,
                r#"<text class="year" x="{cx}" y="{y2}" text-anchor="middle">{year}</text>"#,
                y2 = base + 32,
            );
        }
        s.push_str("</a>");
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::month_index;

    fn m(amount: i64) -> Measures {
        Measures {
            sessions: 1,
            amount_ore: amount,
            ..Default::default()
        }
    }

    #[test]
    fn every_bar_links_to_its_month_and_says_its_total_in_text() {
        let march = month_index(2026, 3);
        let bars = vec![(march - 1, m(10_000), m(0)), (march, m(20_000), m(5_000))];
        let svg = svg(&bars, march, "SEK", Lang::En);
        assert!(
            svg.contains(r#"href="/history?year=2026&amp;month=2""#),
            "{svg}"
        );
        assert!(svg.contains(r#"href="/history?year=2026&amp;month=3""#));
        assert!(svg.contains(">250</text>"), "the total, in text: {svg}");
        assert!(
            svg.contains("fill=\"url(#costs-hatch)\""),
            "charging is hatched"
        );
        assert_eq!(svg.matches("class=\"bar chosen\"").count(), 1);
        // The tallest bar fills the plot.
        let plot_h = HEIGHT - TOP - BOTTOM;
        let tallest = format!("height=\"{}\"", plot_h * 20_000 / 25_000);
        assert!(svg.contains(&tallest), "{svg}");
    }

    #[test]
    fn an_empty_year_draws_no_bars_and_does_not_divide_by_zero() {
        let bars: Vec<_> = (0..13)
            .map(|i| {
                (
                    month_index(2025, 1) + i,
                    Measures::default(),
                    Measures::default(),
                )
            })
            .collect();
        let svg = svg(&bars, month_index(2026, 1), "SEK", Lang::Sv);
        assert!(!svg.contains("class=\"parking\""));
        assert_eq!(svg.matches("<a ").count(), 13);
    }
}
