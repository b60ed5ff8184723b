//! Writing CSV for people's spreadsheets (the history export, the invoice specification),
//! in the browser or natively.
//!
//! Rules from security.md: RFC 4180 (quotes doubled, CRLF line ends), UTF-8 with a BOM so
//! Excel reads å, ä, ö; every user-influenced text cell (names, plates, facilities, cost
//! centers) is quoted and, when it could start a formula, prefixed with `'` (OWASP's CSV
//! injection advice). Numbers are ours and are written bare, with the chosen decimal sign.

pub const BOM: &str = "\u{feff}";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvOptions {
    /// `;` or `,`.
    pub separator: char,
    /// `12,50` instead of `12.50`.
    pub decimal_comma: bool,
}

impl CsvOptions {
    /// What a spreadsheet in that language expects: `;` and `,` where the decimal sign is a
    /// comma (Swedish, Finnish, Norwegian Excel), `,` and `.` in English.
    pub fn for_lang(lang: crate::i18n::Lang) -> Self {
        let decimal_comma = lang.decimal_sign() == ',';
        Self {
            separator: if decimal_comma { ';' } else { ',' },
            decimal_comma,
        }
    }
}

/// Characters that make a spreadsheet read a cell as a formula (OWASP, plus the full-width
/// forms some spreadsheet versions normalise).
fn starts_formula(cell: &str) -> bool {
    const TRIGGERS: [char; 12] = [
        '=', '+', '-', '@', '\t', '\r', '\n', '\0', '＝', '＋', '－', '＠',
    ];
    let mut chars = cell.chars();
    match chars.next() {
        Some(c) if TRIGGERS.contains(&c) => true,
        // " =1+1": some spreadsheets trim before parsing.
        Some(c) if c.is_whitespace() => cell
            .trim_start()
            .chars()
            .next()
            .is_some_and(|c| TRIGGERS.contains(&c)),
        _ => false,
    }
}

/// Appends a text cell: always quoted, inner quotes doubled, `'` in front of a formula.
pub fn push_text(out: &mut String, cell: &str) {
    out.push('"');
    if starts_formula(cell) {
        out.push('\'');
    }
    for c in cell.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
}

/// A text cell as its own string (for dictionary entries, escaped once per chunk).
pub fn text_cell(cell: &str) -> String {
    let mut s = String::with_capacity(cell.len() + 3);
    push_text(&mut s, cell);
    s
}

/// `YYYY-MM-DD HH:MM` of local wall-clock seconds (no time-zone database needed: the
/// server has already added the zone's offset).
pub fn local_datetime(local: i64) -> String {
    let mut s = String::with_capacity(16);
    push_datetime(&mut s, local);
    s
}

/// Year, month, day, hour and minute of a local wall-clock instant (seconds since 1970 as if
/// the zone were UTC), without a zone database (the browser has none).
pub fn local_parts(local: i64) -> (i32, u32, u32, u32, u32) {
    let secs = local.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    (
        y as i32,
        m,
        d,
        (secs / 3600) as u32,
        (secs % 3600 / 60) as u32,
    )
}

pub fn push_datetime(out: &mut String, local: i64) {
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    push_padded(out, y, 4);
    out.push('-');
    push_padded(out, m as i64, 2);
    out.push('-');
    push_padded(out, d as i64, 2);
    out.push(' ');
    push_padded(out, secs / 3600, 2);
    out.push(':');
    push_padded(out, secs % 3600 / 60, 2);
}

pub fn push_padded(out: &mut String, n: i64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    let mut v = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if n < 0 {
        out.push('-');
    }
    for _ in (buf.len() - i)..width {
        out.push('0');
    }
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or_default());
}

/// Howard Hinnant's days-from-civil inverse: days since 1970-01-01 → (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `n` hundredths (öre) as `1234.50` / `1234,50`; `n` thousandths (Wh → kWh) as `12.345`.
/// With `,` as both separator and decimal sign the number is quoted, or it would split.
pub fn push_fixed(out: &mut String, n: i64, decimals: u32, opt: CsvOptions) {
    let quote = opt.decimal_comma && opt.separator == ',';
    if quote {
        out.push('"');
    }
    push_fixed_bare(out, n, decimals, opt.decimal_comma);
    if quote {
        out.push('"');
    }
}

fn push_fixed_bare(out: &mut String, n: i64, decimals: u32, comma: bool) {
    let scale = 10_i64.pow(decimals);
    if n < 0 {
        out.push('-');
    }
    let abs = n.unsigned_abs() as i64;
    push_padded(out, abs / scale, 1);
    out.push(if comma { ',' } else { '.' });
    push_padded(out, abs % scale, decimals as usize);
}

/// An amount in öre as a bare number with the chosen decimal sign (`1234,50`).
pub fn push_amount(out: &mut String, ore: i64, opt: CsvOptions) {
    push_fixed(out, ore, 2, opt);
}

/// A header row whose money columns (`money`, by index) name the company's currency —
/// "Kostnad inkl. moms (EUR)" — as the cells are bare numbers and a file outlives the page
/// that said which currency it was in.
pub fn push_money_titles(
    out: &mut String,
    titles: &[&str],
    money: &[usize],
    currency: &str,
    opt: CsvOptions,
) {
    let named: Vec<String> = titles
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if money.contains(&i) {
                format!("{t} ({currency})")
            } else {
                (*t).to_owned()
            }
        })
        .collect();
    let named: Vec<&str> = named.iter().map(String::as_str).collect();
    push_titles(out, &named, opt);
}

/// A header row of these titles.
pub fn push_titles(out: &mut String, titles: &[&str], opt: CsvOptions) {
    for (i, h) in titles.iter().enumerate() {
        if i > 0 {
            out.push(opt.separator);
        }
        push_text(out, h);
    }
    out.push_str("\r\n");
}

/// Hands a finished file to the browser's download (a Blob URL on a hidden link, revoked a
/// minute later). Returns false when the browser refused.
#[cfg(feature = "hydrate")]
pub fn download(blob: &web_sys::Blob, file: &str) -> bool {
    use leptos::{prelude::*, wasm_bindgen::JsCast};
    let Ok(url) = web_sys::Url::create_object_url_with_blob(blob) else {
        return false;
    };
    let link = document()
        .create_element("a")
        .ok()
        .and_then(|el| el.dyn_into::<web_sys::HtmlAnchorElement>().ok());
    if let Some(a) = link {
        a.set_href(&url);
        a.set_download(file);
        a.set_hidden(true);
        if let Some(body) = document().body() {
            let _ = body.append_child(&a);
            a.click();
            a.remove();
        }
    }
    set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(60),
    );
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(s: &str) -> String {
        text_cell(s)
    }

    #[test]
    fn every_formula_trigger_is_defused() {
        // OWASP's examples and the trigger characters one by one.
        for (raw, want) in [
            ("=1+1", "\"'=1+1\""),
            ("+1+1", "\"'+1+1\""),
            ("-1+1", "\"'-1+1\""),
            ("@SUM(A1:A2)", "\"'@SUM(A1:A2)\""),
            ("\t=1", "\"'\t=1\""),
            ("\r=1", "\"'\r=1\""),
            ("\n=1", "\"'\n=1\""),
            ("\0=1", "\"'\0=1\""),
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
            ),
            ("=cmd|' /C calc'!A0", "\"'=cmd|' /C calc'!A0\""),
            ("＝1+1", "\"'＝1+1\""),
            ("  =1+1", "\"'  =1+1\""),
        ] {
            assert_eq!(cell(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn ordinary_text_is_quoted_but_untouched() {
        assert_eq!(cell("Anna Lindberg"), "\"Anna Lindberg\"");
        assert_eq!(cell("ABC 123"), "\"ABC 123\"");
        assert_eq!(cell("a;b,c"), "\"a;b,c\"");
        assert_eq!(cell("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("Åsa Öberg-Ek"), "\"Åsa Öberg-Ek\"");
        assert_eq!(cell(""), "\"\"");
    }

    #[test]
    fn local_datetimes_format_without_a_zone_database() {
        assert_eq!(local_datetime(0), "1970-01-01 00:00");
        // 2026-03-01 00:30 local, as the server sends it (UTC + offset).
        let t = chrono::NaiveDate::from_ymd_opt(2026, 3, 1)
            .unwrap()
            .and_hms_opt(0, 30, 0)
            .unwrap()
            .and_utc()
            .timestamp();
        assert_eq!(local_datetime(t), "2026-03-01 00:30");
        assert_eq!(local_datetime(t - 86_400 * 366), "2025-02-28 00:30");
        for days in [-1_000_i64, 0, 59, 60, 365, 10_000, 20_000, 30_000] {
            let d = chrono::DateTime::from_timestamp(days * 86_400 + 3_600 * 13, 0).unwrap();
            assert_eq!(
                local_datetime(days * 86_400 + 3_600 * 13),
                d.format("%Y-%m-%d %H:%M").to_string()
            );
        }
    }
}
