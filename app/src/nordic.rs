//! People's names as the three countries sort and search them. Both engines must agree:
//!
//! - **Searching** lower-cases both sides. PostgreSQL's `lower()` follows Unicode (a UTF-8
//!   database); SQLite's built-in one changes ASCII only, so "åsa" would not find "Åsa". The
//!   portal replaces SQLite's `lower()` on each of its connections with [`lower`] (Rust's
//!   Unicode lower case; `db::Db::connect`), so one SQL text searches alike on both.
//! - **Sorting** uses the collations `nordic_sv` (Swedish and Finnish: … z, å, ä, ö) and
//!   `nordic_no` (Norwegian and Danish: … z, æ, ø, å). On PostgreSQL they are ICU collations
//!   made by a migration (`sv-SE`, `nb-NO`); on SQLite they are [`compare`], registered on each
//!   connection. [`collation`] picks one by the company's country.
//!
//! Letters outside the Nordic alphabets sort with their base letter (é with e, ü with y, as
//! both countries' dictionaries do); case and accents only break ties. Norwegian reads "aa"
//! as å (Aasen after Øyen), as ICU's `nb` does.

use std::cmp::Ordering;

use crate::org_number::Country;

/// Which alphabet's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Swedish and Finnish: å < ä (= æ) < ö (= ø) after z.
    Swedish,
    /// Norwegian: æ (= ä) < ø (= ö) < å after z.
    Norwegian,
}

/// The SQL collation that sorts names the way a company of this country expects.
pub fn collation(country: Country) -> &'static str {
    match order_of(country) {
        Order::Swedish => "nordic_sv",
        Order::Norwegian => "nordic_no",
    }
}

pub fn order_of(country: Country) -> Order {
    match country {
        Country::Se | Country::Fi => Order::Swedish,
        Country::No => Order::Norwegian,
    }
}

/// A text in Unicode's composed form (NFC): "å" is one character whether it was typed or
/// pasted from a file that spells it "a" + combining ring (macOS writes file names and some
/// exports that way). Names and addresses are stored so and searched so, or "Åsa" from such a
/// file would neither be found by "åsa" nor be seen as the same address as "åsa@…".
pub fn composed(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfc().collect()
}

/// Unicode lower case (what PostgreSQL's `lower()` does in a UTF-8 database).
pub fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// One character's place: (primary: the letter, secondary: the accent, tertiary: the case).
fn weight(c: char, order: Order) -> (u32, u8, u8) {
    let lower = c.to_lowercase().next().unwrap_or(c);
    let case = u8::from(lower != c);
    // After z: the three Nordic letters in each order; ä/æ and ö/ø are one letter each.
    let z = 'z' as u32;
    let nordic = match (order, lower) {
        (Order::Swedish, 'å') => Some((z + 1, 0)),
        (Order::Swedish, 'ä') => Some((z + 2, 0)),
        (Order::Swedish, 'æ') => Some((z + 2, 1)),
        (Order::Swedish, 'ö') => Some((z + 3, 0)),
        (Order::Swedish, 'ø') => Some((z + 3, 1)),
        (Order::Norwegian, 'æ') => Some((z + 1, 0)),
        (Order::Norwegian, 'ä') => Some((z + 1, 1)),
        (Order::Norwegian, 'ø') => Some((z + 2, 0)),
        (Order::Norwegian, 'ö') => Some((z + 2, 1)),
        (Order::Norwegian, 'å') => Some((z + 3, 0)),
        _ => None,
    };
    if let Some((primary, accent)) = nordic {
        return (primary, accent, case);
    }
    let (base, accent) = match lower {
        'á' | 'à' | 'â' | 'ã' => ('a', 1),
        'é' | 'è' | 'ê' | 'ë' => ('e', 1),
        'í' | 'ì' | 'î' | 'ï' => ('i', 1),
        'ó' | 'ò' | 'ô' | 'õ' => ('o', 1),
        'ú' | 'ù' | 'û' => ('u', 1),
        'ü' | 'ý' | 'ÿ' => ('y', 1),
        'ç' => ('c', 1),
        'ñ' => ('n', 1),
        'š' => ('s', 1),
        'ž' => ('z', 1),
        'ð' => ('d', 1),
        other => (other, 0),
    };
    (base as u32, accent, case)
}

/// A text's weights in `order`. Norwegian (as ICU's `nb` and Norwegian dictionaries) reads
/// the old spelling "aa" as the letter å — Aasen sorts with Åsen, after ø — telling the two
/// apart only after case (å < Å < aa < Aa < AA).
fn weights(s: &str, order: Order) -> Vec<(u32, u8, u8)> {
    let mut out = Vec::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if order == Order::Norwegian && matches!(c, 'a' | 'A') {
            if let Some(&next) = chars.peek().filter(|n| matches!(n, 'a' | 'A')) {
                chars.next();
                let (primary, accent, _) = weight('å', order);
                out.push((
                    primary,
                    accent,
                    2 + u8::from(c == 'A') + u8::from(next == 'A'),
                ));
                continue;
            }
        }
        out.push(weight(c, order));
    }
    out
}

/// Compares two names in `order`: by letters first, then accents, then case (lower first),
/// then the text itself so that only equal texts compare equal.
pub fn compare(a: &str, b: &str, order: Order) -> Ordering {
    let key = |s: &str, level: usize| -> Vec<u32> {
        weights(s, order)
            .into_iter()
            .map(|w| [w.0, u32::from(w.1), u32::from(w.2)][level])
            .collect()
    };
    (0..3)
        .map(|level| key(a, level).cmp(&key(b, level)))
        .find(|o| o.is_ne())
        .unwrap_or_else(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(names: &[&str], order: Order) -> Vec<String> {
        let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        v.sort_by(|a, b| compare(a, b, order));
        v
    }

    #[test]
    fn swedish_and_finnish_names_end_with_a_ring_a_umlaut_o_umlaut() {
        let names = [
            "Örjan Ek",
            "Åsa Lind",
            "Ängla Berg",
            "Zara Zetterlund",
            "Anna Ahl",
            "Émile Ek",
            "eva Ek",
        ];
        assert_eq!(
            sorted(&names, Order::Swedish),
            [
                "Anna Ahl",
                "Émile Ek",
                "eva Ek",
                "Zara Zetterlund",
                "Åsa Lind",
                "Ängla Berg",
                "Örjan Ek"
            ]
        );
        // Finnish names, Finnish order (the same as Swedish).
        let names = [
            "Äijälä Aki",
            "Öhman Olli",
            "Virtanen Aino",
            "Åberg Anu",
            "Mäkinen Matti",
            "Makkonen Mari",
        ];
        assert_eq!(
            sorted(&names, Order::Swedish),
            [
                "Makkonen Mari",
                "Mäkinen Matti",
                "Virtanen Aino",
                "Åberg Anu",
                "Äijälä Aki",
                "Öhman Olli"
            ]
        );
    }

    #[test]
    fn norwegian_names_end_with_ae_o_slash_a_ring() {
        let names = [
            "Ågot Aas",
            "Øyvind Berg",
            "Ærlend Dahl",
            "Zeno Zahl",
            "Oda Olsen",
        ];
        assert_eq!(
            sorted(&names, Order::Norwegian),
            [
                "Oda Olsen",
                "Zeno Zahl",
                "Ærlend Dahl",
                "Øyvind Berg",
                "Ågot Aas"
            ]
        );
        // The old spelling "aa" is å in Norwegian (Aasen with Åsen), an a twice in Swedish.
        let names = ["Aasmund Aasen", "Åsa Berg", "Aino Dahl", "Øyvind Berg"];
        assert_eq!(
            sorted(&names, Order::Norwegian),
            ["Aino Dahl", "Øyvind Berg", "Åsa Berg", "Aasmund Aasen"]
        );
        assert_eq!(
            sorted(&names, Order::Swedish),
            ["Aasmund Aasen", "Aino Dahl", "Åsa Berg", "Øyvind Berg"]
        );
        assert_eq!(collation(Country::No), "nordic_no");
        assert_eq!(collation(Country::Fi), "nordic_sv");
    }

    #[test]
    fn a_ring_written_as_a_and_a_combining_ring_is_one_letter() {
        assert_eq!(composed("A\u{30a}sa \u{d8}yvind"), "Åsa Øyvind");
        assert_eq!(composed("Åsa"), "Åsa");
    }

    #[test]
    fn lower_case_is_unicodes() {
        assert_eq!(
            lower("ÅSA ÄNGEL ØYVIND ÆRLEND ÖRJAN"),
            "åsa ängel øyvind ærlend örjan"
        );
    }
}
