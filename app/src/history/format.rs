//! How sessions and totals read on the page: durations, kWh, money and local times in the
//! chosen language. Split from `filter.rs` (which decides what a caller may see) so that the
//! store's records flow one way: store → format, never back.

use super::{
    filter::Filter,
    store::{FilterTotals, SessionRecord},
    TotalsView,
};
use crate::i18n::Lang;

/// `2 h 05 min`, `45 min`.
pub fn duration_text(seconds: i64) -> String {
    let minutes = seconds.max(0) / 60;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, m) => format!("{h} h {m:02} min"),
    }
}

/// Watt-hours as kWh with one decimal in the language's style: `12,3 kWh` / `12.3 kWh`.
pub fn kwh_text(wh: i64, lang: Lang) -> String {
    let tenths = (wh + 50) / 100;
    let sep = lang.decimal_sign();
    format!("{}{sep}{}\u{a0}kWh", lang.int(tenths / 10), tenths % 10)
}

/// Seconds as hours with one decimal in the language's style: `12,5 h` / `12.5 h`.
pub fn hours_text(seconds: i64, lang: Lang) -> String {
    let tenths_of_hours = (seconds + 180) / 360;
    let sep = lang.decimal_sign();
    format!(
        "{}{sep}{}\u{a0}h",
        lang.int(tenths_of_hours / 10),
        tenths_of_hours % 10
    )
}

pub fn format_row(f: &Filter, r: SessionRecord, lang: Lang) -> super::HistoryRow {
    let t = lang.texts();
    super::HistoryRow {
        id: r.id,
        member_id: r.user_id,
        member: if r.member.is_empty() {
            t.history_guest.to_owned()
        } else {
            r.member
        },
        plate: r.plate,
        facility: r.facility,
        city: r.city,
        charging: r.kind == super::SessionKind::Charging,
        start: f.local(r.started_at, lang),
        end: r
            .ended_at
            .map(|e| f.local(e, lang))
            .unwrap_or_else(|| t.history_ongoing.to_owned()),
        duration: r
            .ended_at
            .map(|e| duration_text(e - r.started_at))
            .unwrap_or_default(),
        kwh: r.energy_wh.map(|wh| kwh_text(wh, lang)).unwrap_or_default(),
        cost: lang.money(r.amount_ore, &f.currency),
        cost_excl_vat: lang.money(r.amount_ore - r.vat_ore, &f.currency),
        cost_center: r.cost_center,
        policy: crate::history::PolicyReason::of(r.policy_flags)
            .map(|reason| lang.policies().reasons[reason.index()].to_owned())
            .collect(),
    }
}

pub fn format_totals(f: &Filter, t: FilterTotals, lang: Lang) -> TotalsView {
    TotalsView {
        sessions: t.sessions,
        sessions_text: lang.int(t.sessions),
        parking_hours: hours_text(t.parking_seconds, lang),
        kwh: kwh_text(t.energy_wh, lang),
        cost: lang.money(t.amount_ore, &f.currency),
        cost_excl_vat: lang.money(t.amount_ore - t.vat_ore, &f.currency),
        period: f.period_label(lang),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_energy_read_naturally() {
        assert_eq!(duration_text(45 * 60 + 59), "45 min");
        assert_eq!(duration_text(2 * 3600 + 5 * 60), "2 h 05 min");
        assert_eq!(kwh_text(12_345, Lang::Sv), "12,3\u{a0}kWh");
        assert_eq!(kwh_text(1_234_567, Lang::En), "1,234.6\u{a0}kWh");
    }
}
