//! The history CSV, built in the browser from export chunks (and testable natively), with the
//! shared writer's rules (`crate::csv_io::write`).

use super::ExportChunk;
use crate::{
    csv_io::write::{
        push_datetime, push_fixed, push_money_titles, push_padded, text_cell, CsvOptions,
    },
    i18n::{Lang, Texts},
};

/// The header row, in the page's language; the three amounts name the company's currency.
pub fn push_header(out: &mut String, t: &Texts, currency: &str, opt: CsvOptions) {
    push_money_titles(out, &t.csv_headers, &[9, 10, 11], currency, opt);
}

/// Appends every row of a chunk. Dictionary entries are escaped once here, not per row.
pub fn push_chunk(out: &mut String, chunk: &ExportChunk, lang: Lang, opt: CsvOptions) {
    let t = lang.texts();
    let reasons = &lang.policies().reasons;
    // A policy cell per distinct set of reasons (a company has a handful), escaped once.
    let mut policy_cells: std::collections::HashMap<i64, String> = Default::default();
    let members: Vec<String> = chunk.members.iter().map(|m| text_cell(m)).collect();
    let plates: Vec<String> = chunk.plates.iter().map(|p| text_cell(p)).collect();
    let facilities: Vec<(String, String)> = chunk
        .facilities
        .iter()
        .map(|(n, c)| (text_cell(n), text_cell(c)))
        .collect();
    let centers: Vec<String> = chunk.cost_centers.iter().map(|c| text_cell(c)).collect();
    let parking = text_cell(t.kind_parking);
    let charging = text_cell(t.kind_charging);
    let empty = String::new();
    let sep = opt.separator;
    out.reserve(chunk.rows.len() * 160);
    for &(
        member,
        plate,
        facility,
        is_charging,
        start,
        end,
        wh,
        amount,
        vat,
        center,
        shift,
        flags,
    ) in &chunk.rows
    {
        fn get<'a>(v: &'a [String], i: u32, empty: &'a String) -> &'a str {
            v.get(i as usize).unwrap_or(empty).as_str()
        }
        out.push_str(get(&members, member, &empty));
        out.push(sep);
        out.push_str(get(&plates, plate, &empty));
        out.push(sep);
        let (fname, city) = facilities
            .get(facility as usize)
            .map(|(n, c)| (n.as_str(), c.as_str()))
            .unwrap_or(("", ""));
        out.push_str(fname);
        out.push(sep);
        out.push_str(city);
        out.push(sep);
        out.push_str(if is_charging { &charging } else { &parking });
        out.push(sep);
        push_datetime(out, start);
        out.push(sep);
        if let Some(end) = end {
            push_datetime(out, end);
        }
        out.push(sep);
        if let Some(end) = end {
            // Real minutes: the wall clock jumps an hour across a daylight-saving change.
            push_padded(out, (end - start - shift as i64).max(0) / 60, 1);
        }
        out.push(sep);
        if let Some(wh) = wh {
            push_fixed(out, wh, 3, opt);
        }
        out.push(sep);
        push_fixed(out, amount, 2, opt);
        out.push(sep);
        push_fixed(out, amount - vat, 2, opt);
        out.push(sep);
        push_fixed(out, vat, 2, opt);
        out.push(sep);
        out.push_str(get(&centers, center, &empty));
        out.push(sep);
        if flags != 0 {
            let cell = policy_cells.entry(flags).or_insert_with(|| {
                let labels: Vec<&str> = crate::history::PolicyReason::of(flags)
                    .map(|r| reasons[r.index()])
                    .collect();
                text_cell(&labels.join(", "))
            });
            out.push_str(cell);
        }
        out.push_str("\r\n");
    }
}

/// `sessions-nordstrom-bygg-ab-2026-03.csv`
pub fn file_name(company_slug: &str, period_slug: &str) -> String {
    format!("sessions-{company_slug}-{period_slug}.csv")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv_io::write::{CsvOptions, BOM};
    use crate::i18n::Lang;

    fn chunk() -> ExportChunk {
        ExportChunk {
            members: vec!["=Evil".into(), "Anna \"A\" Lindberg".into()],
            plates: vec!["ABC 123".into()],
            facilities: vec![("Garage Ö".into(), "Malmö".into())],
            cost_centers: vec!["".into(), "2010 Projekt; Norr".into()],
            rows: vec![
                (
                    0,
                    0,
                    0,
                    false,
                    1_772_325_000,
                    Some(1_772_332_500),
                    None,
                    12_345,
                    2_469,
                    0,
                    0,
                    0,
                ),
                (
                    1,
                    0,
                    0,
                    true,
                    1_772_325_000,
                    None,
                    Some(12_345),
                    -500,
                    -100,
                    1,
                    0,
                    9,
                ),
            ],
            next: None,
            total: Some(2),
        }
    }

    #[test]
    fn rows_use_the_chosen_separator_and_decimal_sign_with_crlf() {
        let mut out = String::new();
        push_chunk(
            &mut out,
            &chunk(),
            Lang::Sv,
            CsvOptions {
                separator: ';',
                decimal_comma: true,
            },
        );
        assert_eq!(
            out,
            "\"'=Evil\";\"ABC 123\";\"Garage Ö\";\"Malmö\";\"Parkering\";2026-03-01 00:30;2026-03-01 02:35;125;;123,45;98,76;24,69;\"\";\r\n\
             \"Anna \"\"A\"\" Lindberg\";\"ABC 123\";\"Garage Ö\";\"Malmö\";\"Laddning\";2026-03-01 00:30;;;12,345;-5,00;-4,00;-1,00;\"2010 Projekt; Norr\";\"Utanför tillåten tid, Laddning inte tillåten\"\r\n"
        );
        let mut en = String::new();
        push_chunk(
            &mut en,
            &chunk(),
            Lang::En,
            CsvOptions {
                separator: ',',
                decimal_comma: false,
            },
        );
        assert!(en.starts_with("\"'=Evil\",\"ABC 123\",\"Garage Ö\",\"Malmö\",\"Parking\",2026-03-01 00:30,2026-03-01 02:35,125,,123.45,98.76,24.69,\"\",\r\n"), "{en}");
        assert!(
            en.contains(",12.345,-5.00,-4.00,-1.00,\"2010 Projekt; Norr\",\"Outside allowed hours, Charging not allowed\"\r\n"),
            "{en}"
        );
    }

    /// Found at the spring change (issue 26): 01:30 to 04:55 on the wall clock on the last
    /// Sunday of March is 2 h 25 min, and the file said 205 minutes.
    #[test]
    fn minutes_are_real_minutes_across_a_daylight_saving_change() {
        let mut c = chunk();
        c.rows.truncate(1);
        // 2027-03-28 01:30 and 04:55 as wall-clock seconds; the offset grew by an hour.
        let start = 1_806_197_400;
        c.rows[0].4 = start;
        c.rows[0].5 = Some(start + 205 * 60);
        c.rows[0].10 = 3600;
        let opt = CsvOptions {
            separator: ';',
            decimal_comma: true,
        };
        let mut out = String::new();
        push_chunk(&mut out, &c, Lang::Sv, opt);
        assert!(
            out.contains(";2027-03-28 01:30;2027-03-28 04:55;145;"),
            "{out}"
        );
        // Autumn: 01:30 to 02:55 on the wall clock, through the repeated hour, is 145 minutes.
        c.rows[0].5 = Some(start + 85 * 60);
        c.rows[0].10 = -3600;
        let mut out = String::new();
        push_chunk(&mut out, &c, Lang::Sv, opt);
        assert!(out.contains(";145;"), "{out}");
    }

    #[test]
    fn a_comma_separator_with_decimal_comma_quotes_the_numbers() {
        let mut out = String::new();
        let opt = CsvOptions {
            separator: ',',
            decimal_comma: true,
        };
        push_chunk(&mut out, &chunk(), Lang::Sv, opt);
        assert!(out.contains(",\"123,45\",\"98,76\",\"24,69\","), "{out}");
        assert!(out.contains(",\"12,345\",\"-5,00\","), "{out}");
    }

    #[test]
    fn the_header_is_in_the_language_and_every_line_has_the_same_cell_count() {
        for lang in [Lang::Sv, Lang::En] {
            let opt = CsvOptions::for_lang(lang);
            let mut out = String::from(BOM);
            push_header(&mut out, lang.texts(), "SEK", opt);
            push_chunk(&mut out, &chunk(), lang, opt);
            assert!(out.starts_with("\u{feff}\""));
            let lines: Vec<&str> = out.trim_end_matches("\r\n").split("\r\n").collect();
            assert_eq!(lines.len(), 3);
            for line in lines {
                // Count separators outside quotes.
                let mut quoted = false;
                let cells = 1 + line
                    .chars()
                    .filter(|c| {
                        if *c == '"' {
                            quoted = !quoted;
                        }
                        !quoted && *c == opt.separator
                    })
                    .count();
                assert_eq!(cells, lang.texts().csv_headers.len(), "{line}");
            }
        }
        assert!(Lang::Sv.texts().csv_headers[0].starts_with("Medlem"));
        assert_eq!(file_name("acme", "2026-03"), "sessions-acme-2026-03.csv");
    }
}
