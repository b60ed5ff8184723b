//! The specification's CSV, built in the browser (and testable natively) by the history
//! export's module and rules: RFC 4180, a BOM, text cells quoted and defused against
//! formulas, numbers bare with the chosen decimal sign (`csv_io/write.rs`).

use super::SpecCsvRow;
use crate::{
    csv_io::write::{push_amount, push_money_titles, push_text, CsvOptions, BOM},
    i18n::Texts,
};

/// The whole file: header and one row per line.
/// The three amounts' titles name the company's `currency`.
pub fn build(rows: &[SpecCsvRow], t: &Texts, currency: &str, opt: CsvOptions) -> String {
    let mut out = String::with_capacity(64 + rows.len() * 120);
    out.push_str(BOM);
    push_money_titles(&mut out, &t.invoice_csv_headers, &[5, 6, 7], currency, opt);
    let sep = opt.separator;
    for (member, plate, start, description, center, amount, vat) in rows {
        push_text(&mut out, member);
        out.push(sep);
        push_text(&mut out, plate);
        out.push(sep);
        push_text(&mut out, start);
        out.push(sep);
        push_text(&mut out, description);
        out.push(sep);
        push_text(&mut out, center);
        out.push(sep);
        push_amount(&mut out, *amount, opt);
        out.push(sep);
        push_amount(&mut out, amount - vat, opt);
        out.push(sep);
        push_amount(&mut out, *vat, opt);
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn lines_are_quoted_defused_and_add_up_in_the_chosen_decimal_sign() {
        let rows = vec![
            (
                "=cmd|' /C calc'!A0".to_owned(),
                "ABC 123".to_owned(),
                "2026-03-02 08:15".to_owned(),
                "Parkering ABC 123".to_owned(),
                "100 Konsulter".to_owned(),
                12_550,
                2_510,
            ),
            (
                String::new(),
                String::new(),
                String::new(),
                "Avgift".to_owned(),
                String::new(),
                3_900,
                780,
            ),
        ];
        let csv = build(
            &rows,
            Lang::Sv.texts(),
            "EUR",
            CsvOptions::for_lang(Lang::Sv),
        );
        let lines: Vec<&str> = csv.trim_start_matches(BOM).split("\r\n").collect();
        assert_eq!(lines.len(), 4, "header, two rows, the empty rest: {csv:?}");
        assert!(
            lines[0].ends_with(
                "\"Belopp inkl. moms (EUR)\";\"Belopp exkl. moms (EUR)\";\"Moms (EUR)\""
            ),
            "the amounts name the currency: {}",
            lines[0]
        );
        assert!(
            lines[1].starts_with("\"'=cmd"),
            "a formula is defused: {}",
            lines[1]
        );
        assert!(lines[1].ends_with(";125,50;100,40;25,10"), "{}", lines[1]);
        assert!(lines[2].ends_with(";39,00;31,20;7,80"), "{}", lines[2]);
        let cells = |l: &str| l.matches(';').count();
        assert!(lines[..3].iter().all(|l| cells(l) == 7));
    }
}
