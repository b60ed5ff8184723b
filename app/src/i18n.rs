//! The one i18n layer. Every string the user sees comes from a [`Texts`] table, generated
//! from `app/locales/<lang>.toml` by `app/build.rs`: translators edit those files, and a key
//! missing from one language (or a changed `{placeholder}`) fails the build. Swedish is the
//! default and the source language; English, Finnish and Norwegian bokmål follow it. Numbers,
//! money and dates are formatted per language here too (the currency is the company's, never
//! the language's).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Name of the cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "portal_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    Sv,
    En,
    Fi,
    Nb,
}

impl Lang {
    pub const ALL: [Lang; 4] = [Lang::Sv, Lang::En, Lang::Fi, Lang::Nb];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::En => "en",
            Lang::Fi => "fi",
            Lang::Nb => "nb",
        }
    }

    /// Parses a language code or tag (`sv`, `en-GB`, `fi-FI`); Norwegian `nb`, `no` and `nn`
    /// all read bokmål (the one Norwegian written here). Unknown codes give `None`.
    pub fn from_code(code: &str) -> Option<Self> {
        let code = code.trim();
        let primary = code.split(['-', '_']).next().unwrap_or("");
        match primary.to_ascii_lowercase().as_str() {
            "sv" => Some(Lang::Sv),
            "en" => Some(Lang::En),
            "fi" => Some(Lang::Fi),
            "nb" | "no" | "nn" => Some(Lang::Nb),
            _ => None,
        }
    }

    /// The language's own name, for the language switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::Sv => "Svenska",
            Lang::En => "English",
            Lang::Fi => "Suomi",
            Lang::Nb => "Norsk",
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Sv => &TEXTS_SV,
            Lang::En => &TEXTS_EN,
            Lang::Fi => &TEXTS_FI,
            Lang::Nb => &TEXTS_NB,
        }
    }

    pub fn frontdesk(self) -> &'static FrontDeskTexts {
        match self {
            Lang::Sv => &FRONTDESK_SV,
            Lang::En => &FRONTDESK_EN,
            Lang::Fi => &FRONTDESK_FI,
            Lang::Nb => &FRONTDESK_NB,
        }
    }

    pub fn policies(self) -> &'static PolicyTexts {
        match self {
            Lang::Sv => &POLICIES_SV,
            Lang::En => &POLICIES_EN,
            Lang::Fi => &POLICIES_FI,
            Lang::Nb => &POLICIES_NB,
        }
    }

    pub fn alerts(self) -> &'static AlertTexts {
        match self {
            Lang::Sv => &ALERTS_SV,
            Lang::En => &ALERTS_EN,
            Lang::Fi => &ALERTS_FI,
            Lang::Nb => &ALERTS_NB,
        }
    }

    pub fn mail(self) -> &'static MailTexts {
        match self {
            Lang::Sv => &MAIL_SV,
            Lang::En => &MAIL_EN,
            Lang::Fi => &MAIL_FI,
            Lang::Nb => &MAIL_NB,
        }
    }

    /// The decimal sign: a comma in the Nordic languages (CLDR sv, fi, nb), a point in English.
    pub fn decimal_sign(self) -> char {
        match self {
            Lang::En => '.',
            Lang::Sv | Lang::Fi | Lang::Nb => ',',
        }
    }

    /// Formats an integer with the language's digit grouping: `1 234` (sv, fi, nb, a no-break
    /// space), `1,234` (en).
    pub fn int(self, n: i64) -> String {
        let sep = match self {
            Lang::En => ',',
            Lang::Sv | Lang::Fi | Lang::Nb => '\u{a0}',
        };
        let digits = n.unsigned_abs().to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        if n < 0 {
            out.push('-');
        }
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(ch);
        }
        out
    }

    /// Formats minor units (öre, cents) of the company's currency as money, in the language's
    /// form (CLDR): `1 234,50 kr` (sv with SEK, nb with NOK), `1 234,50 €` (sv, fi, nb with
    /// EUR), `1 234,50 NOK` (sv with NOK: "kr" would be taken for Swedish kronor),
    /// `SEK 1,234.50` (en).
    pub fn money(self, minor: i64, currency: &str) -> String {
        let sign = if minor < 0 { "-" } else { "" };
        let abs = minor.unsigned_abs();
        let whole = self.int((abs / 100) as i64);
        let cents = abs % 100;
        match self {
            Lang::En => format!("{sign}{currency}\u{a0}{whole}.{cents:02}"),
            Lang::Sv | Lang::Fi | Lang::Nb => {
                let unit = match (self, currency) {
                    (_, "EUR") => "€",
                    (Lang::Sv, "SEK") | (Lang::Nb, "NOK") => "kr",
                    (_, other) => other,
                };
                format!("{sign}{whole},{cents:02}\u{a0}{unit}")
            }
        }
    }

    /// A calendar date in the language's short form: `2026-11-05` (sv, en: ISO 8601, as
    /// Swedes write it), `5.11.2026` (fi), `05.11.2026` (nb).
    pub fn date(self, year: i32, month: u32, day: u32) -> String {
        match self {
            Lang::Sv | Lang::En => format!("{year:04}-{month:02}-{day:02}"),
            Lang::Fi => format!("{day}.{month}.{year}"),
            Lang::Nb => format!("{day:02}.{month:02}.{year}"),
        }
    }

    /// A time of day: `14:05`, in Finnish `14.05` (CLDR fi).
    pub fn time(self, hour: u32, minute: u32) -> String {
        match self {
            Lang::Fi => format!("{hour}.{minute:02}"),
            _ => format!("{hour:02}:{minute:02}"),
        }
    }

    /// A date and a time: `2026-11-05 14:05`, `5.11.2026 klo 14.05`, `05.11.2026 kl. 14:05`.
    pub fn datetime(self, year: i32, month: u32, day: u32, hour: u32, minute: u32) -> String {
        let (date, time) = (self.date(year, month, day), self.time(hour, minute));
        match self {
            Lang::Sv | Lang::En => format!("{date} {time}"),
            Lang::Fi => format!("{date} klo {time}"),
            Lang::Nb => format!("{date} kl. {time}"),
        }
    }

    /// [`Lang::date`] of a chrono date.
    #[cfg(feature = "ssr")]
    pub fn chrono_date(self, d: impl chrono::Datelike) -> String {
        self.date(d.year(), d.month(), d.day())
    }

    /// [`Lang::datetime`] of a chrono date and time.
    #[cfg(feature = "ssr")]
    pub fn chrono_datetime(self, d: impl chrono::Datelike + chrono::Timelike) -> String {
        self.datetime(d.year(), d.month(), d.day(), d.hour(), d.minute())
    }

    /// Fills the `{name}` placeholders of a text from `values` in one pass over the text, so a
    /// value that itself reads `{company}` (a name someone typed) stays as typed. `build.rs`
    /// checks that every language has the placeholders Swedish has.
    pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
        let mut out = String::with_capacity(text.len() + 32);
        let mut rest = text;
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            let value = after.find('}').and_then(|end| {
                let name = &after[..end];
                values
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v, end))
            });
            match value {
                Some((v, end)) => {
                    out.push_str(v);
                    rest = &after[end + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// The language a request asks for: the language cookie if set (the user's choice, which
/// wins), else the first language of the browser's `Accept-Language` the portal has (by
/// quality), else Swedish.
#[cfg(feature = "ssr")]
pub fn request_lang(headers: &axum::http::HeaderMap) -> Lang {
    cookie_lang(headers)
        .or_else(|| {
            headers
                .get(axum::http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(accept_language)
        })
        .unwrap_or_default()
}

/// The language the cookie remembers, if any.
#[cfg(feature = "ssr")]
pub fn cookie_lang(headers: &axum::http::HeaderMap) -> Option<Lang> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == LANG_COOKIE).then(|| Lang::from_code(v)).flatten()
        })
}

/// The best language of an `Accept-Language` header (RFC 9110: tags with `q` weights, in
/// order of preference when weights tie), or `None` when it names none of ours.
pub fn accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(u16, Lang)> = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let weight = (q.clamp(0.0, 1.0) * 1000.0) as u16;
        if weight == 0 {
            continue;
        }
        if let Some(lang) = Lang::from_code(tag) {
            if best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, lang));
            }
        }
    }
    best.map(|(_, lang)| lang)
}

/// The language of the request being served (server functions, mails).
#[cfg(feature = "ssr")]
pub fn lang_of_request() -> Lang {
    crate::state::with_request(|p| request_lang(&p.headers)).unwrap_or_default()
}

/// The language of the current request (server) or page (browser).
pub fn use_lang() -> Lang {
    use_context::<Lang>().unwrap_or_default()
}

/// The text table of the current language.
pub fn use_texts() -> &'static Texts {
    use_lang().texts()
}

// `Texts` (and `FrontDeskTexts`, `MailTexts`) with one static per language, generated by
// build.rs from app/locales/*.toml: a key missing from one language is a compile error.
include!(concat!(env!("OUT_DIR"), "/texts.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_groups_thousands_with_a_non_breaking_space() {
        assert_eq!(Lang::Sv.int(1234567), "1\u{a0}234\u{a0}567");
        assert_eq!(Lang::Sv.int(999), "999");
        assert_eq!(Lang::En.int(-1234), "-1,234");
    }

    #[test]
    fn money_uses_the_language_decimal_sign() {
        assert_eq!(Lang::Sv.money(123450, "SEK"), "1\u{a0}234,50\u{a0}kr");
        assert_eq!(Lang::En.money(123450, "SEK"), "SEK\u{a0}1,234.50");
        assert_eq!(Lang::Sv.money(-5, "SEK"), "-0,05\u{a0}kr");
    }

    #[test]
    fn language_codes_parse_leniently() {
        assert_eq!(Lang::from_code("en-GB"), Some(Lang::En));
        assert_eq!(Lang::from_code("SV"), Some(Lang::Sv));
        assert_eq!(Lang::from_code("fi-FI"), Some(Lang::Fi));
        assert_eq!(Lang::from_code("no"), Some(Lang::Nb));
        assert_eq!(Lang::from_code("nn_NO"), Some(Lang::Nb));
        assert_eq!(Lang::from_code("de"), None);
        assert_eq!(Lang::from_code(""), None);
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
    }

    #[test]
    fn the_browser_language_is_chosen_by_weight_then_order() {
        assert_eq!(accept_language("fi-FI,fi;q=0.9,en;q=0.8"), Some(Lang::Fi));
        assert_eq!(accept_language("nb-NO,nb;q=0.9"), Some(Lang::Nb));
        assert_eq!(accept_language("de-DE,de;q=0.9,en;q=0.5"), Some(Lang::En));
        assert_eq!(accept_language("en;q=0.4, sv;q=0.8"), Some(Lang::Sv));
        assert_eq!(accept_language("fi;q=0, en"), Some(Lang::En));
        assert_eq!(accept_language("de, fr"), None);
        assert_eq!(accept_language(""), None);
        assert_eq!(accept_language("*"), None);
    }

    #[test]
    fn money_is_in_the_company_currency_in_the_language_form() {
        assert_eq!(Lang::Fi.money(123450, "EUR"), "1\u{a0}234,50\u{a0}€");
        assert_eq!(Lang::Nb.money(123450, "NOK"), "1\u{a0}234,50\u{a0}kr");
        assert_eq!(Lang::Sv.money(123450, "NOK"), "1\u{a0}234,50\u{a0}NOK");
        assert_eq!(Lang::Sv.money(123450, "EUR"), "1\u{a0}234,50\u{a0}€");
        assert_eq!(Lang::Fi.money(-5, "SEK"), "-0,05\u{a0}SEK");
        assert_eq!(Lang::En.money(123450, "EUR"), "EUR\u{a0}1,234.50");
    }

    #[test]
    fn dates_and_times_follow_each_locale() {
        assert_eq!(Lang::Sv.datetime(2026, 11, 5, 9, 5), "2026-11-05 09:05");
        assert_eq!(Lang::En.date(2026, 1, 31), "2026-01-31");
        assert_eq!(Lang::Fi.datetime(2026, 11, 5, 9, 5), "5.11.2026 klo 9.05");
        assert_eq!(Lang::Nb.datetime(2026, 11, 5, 9, 5), "05.11.2026 kl. 09:05");
        assert_eq!(Lang::Fi.time(14, 30), "14.30");
    }

    #[test]
    fn placeholders_are_filled_by_name() {
        assert_eq!(
            Lang::fill("{a} och {b}, {a}", &[("a", "1"), ("b", "2")]),
            "1 och 2, 1"
        );
        assert_eq!(
            Lang::fill("{a} {b}", &[("a", "{b}"), ("b", "x")]),
            "{b} x",
            "a value is never filled again"
        );
        assert_eq!(Lang::fill("{unknown} {", &[]), "{unknown} {");
        assert!(Lang::fill(Lang::Fi.texts().costs_other_members, &[("n", "3")]).contains('3'));
    }

    #[test]
    fn every_language_has_every_month() {
        for lang in Lang::ALL {
            assert!(
                lang.texts().months.iter().all(|m| !m.is_empty()),
                "{lang:?}"
            );
        }
    }
}
