//! The one i18n layer. Every string the user sees comes from a [`Texts`] table; a string
//! missing from one language is a compile error, because both tables fill the same struct.
//! Swedish is the default, English the second language. Numbers and money are formatted
//! per language here too.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Name of the cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "portal_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    Sv,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Sv, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }

    /// Parses a language code (`sv`, `en`, also `en-GB`); unknown codes give `None`.
    pub fn from_code(code: &str) -> Option<Self> {
        match code.trim().get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("sv") => Some(Lang::Sv),
            Some("en") => Some(Lang::En),
            _ => None,
        }
    }

    /// The language's own name, for the language switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::Sv => "Svenska",
            Lang::En => "English",
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Sv => &SV,
            Lang::En => &EN,
        }
    }

    /// Formats an integer with the language's digit grouping: `1 234` (sv), `1,234` (en).
    pub fn int(self, n: i64) -> String {
        let sep = match self {
            Lang::Sv => '\u{a0}',
            Lang::En => ',',
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

    /// Formats minor units (öre) as money: `1 234,50 kr` (sv), `SEK 1,234.50` (en).
    pub fn money(self, minor: i64, currency: &str) -> String {
        let sign = if minor < 0 { "-" } else { "" };
        let abs = minor.unsigned_abs();
        let whole = self.int((abs / 100) as i64);
        let cents = abs % 100;
        match self {
            Lang::Sv => {
                let unit = match currency {
                    "SEK" => "kr",
                    "NOK" => "kr",
                    "EUR" => "€",
                    other => other,
                };
                format!("{sign}{whole},{cents:02}\u{a0}{unit}")
            }
            Lang::En => format!("{sign}{currency}\u{a0}{whole}.{cents:02}"),
        }
    }
}

/// The language of the current request (server) or page (browser).
pub fn use_lang() -> Lang {
    use_context::<Lang>().unwrap_or_default()
}

/// The text table of the current language.
pub fn use_texts() -> &'static Texts {
    use_lang().texts()
}

/// Every user-visible string. Add a field here, and both tables below must fill it.
pub struct Texts {
    pub brand: &'static str,
    pub portal_name: &'static str,
    pub skip_to_content: &'static str,
    pub nav_facilities: &'static str,
    pub language: &'static str,
    pub facilities_title: &'static str,
    pub facilities_intro: &'static str,
    pub search_label: &'static str,
    pub search_placeholder: &'static str,
    pub city_label: &'static str,
    pub all_cities: &'static str,
    pub kind_label: &'static str,
    pub all_kinds: &'static str,
    pub search_button: &'static str,
    pub clear_filters: &'static str,
    pub kind_street: &'static str,
    pub kind_camera_garage: &'static str,
    pub kind_barrier_garage: &'static str,
    pub kind_surface: &'static str,
    pub accepts_yes: &'static str,
    pub accepts_some: &'static str,
    pub accepts_no: &'static str,
    pub has_chargers: &'static str,
    pub facilities_count_one: &'static str,
    pub facilities_count_many: &'static str,
    pub no_facilities: &'static str,
    pub loading: &'static str,
    pub error_generic: &'static str,
    pub error_invalid: &'static str,
    pub not_found_title: &'static str,
    pub not_found_body: &'static str,
    pub back_to_start: &'static str,
}

pub static SV: Texts = Texts {
    brand: "Aimo Park",
    portal_name: "Företagsportal",
    skip_to_content: "Hoppa till innehållet",
    nav_facilities: "Anläggningar",
    language: "Språk",
    facilities_title: "Var fungerar företagskontot?",
    facilities_intro: "Se vilka av våra anläggningar som tar emot betalning med företagskonto. \
        Kameragarage fungerar oftast, bomgarage inte än.",
    search_label: "Sök anläggning",
    search_placeholder: "Namn, adress eller stad",
    city_label: "Stad",
    all_cities: "Alla städer",
    kind_label: "Typ",
    all_kinds: "Alla typer",
    search_button: "Sök",
    clear_filters: "Rensa filter",
    kind_street: "Gatuparkering",
    kind_camera_garage: "Kameragarage",
    kind_barrier_garage: "Bomgarage",
    kind_surface: "Markparkering",
    accepts_yes: "Företagskonto fungerar",
    accepts_some: "Fungerar delvis",
    accepts_no: "Fungerar inte",
    has_chargers: "Laddplatser",
    facilities_count_one: "anläggning",
    facilities_count_many: "anläggningar",
    no_facilities: "Inga anläggningar matchar din sökning.",
    loading: "Laddar…",
    error_generic: "Något gick fel. Försök igen om en stund.",
    error_invalid: "Ogiltigt värde i fältet",
    not_found_title: "Sidan finns inte",
    not_found_body: "Adressen kan vara fel, eller så har sidan flyttats.",
    back_to_start: "Till startsidan",
};

pub static EN: Texts = Texts {
    brand: "Aimo Park",
    portal_name: "Business portal",
    skip_to_content: "Skip to content",
    nav_facilities: "Facilities",
    language: "Language",
    facilities_title: "Where does the business account work?",
    facilities_intro: "See which of our facilities accept payment with a business account. \
        Camera garages mostly do, barrier garages not yet.",
    search_label: "Search facilities",
    search_placeholder: "Name, address or city",
    city_label: "City",
    all_cities: "All cities",
    kind_label: "Type",
    all_kinds: "All types",
    search_button: "Search",
    clear_filters: "Clear filters",
    kind_street: "Street parking",
    kind_camera_garage: "Camera garage",
    kind_barrier_garage: "Barrier garage",
    kind_surface: "Surface lot",
    accepts_yes: "Business account works",
    accepts_some: "Works in part",
    accepts_no: "Does not work",
    has_chargers: "EV chargers",
    facilities_count_one: "facility",
    facilities_count_many: "facilities",
    no_facilities: "No facilities match your search.",
    loading: "Loading…",
    error_generic: "Something went wrong. Please try again in a moment.",
    error_invalid: "Invalid value in the field",
    not_found_title: "Page not found",
    not_found_body: "The address may be wrong, or the page has moved.",
    back_to_start: "Back to the start page",
};

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
        assert_eq!(Lang::from_code("fi"), None);
        assert_eq!(Lang::from_code(""), None);
    }
}
