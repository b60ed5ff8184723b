//! Vehicle plates as the portal stores and searches them. Shared by every domain that meets
//! a plate (sessions, the member search, the front desk's guests), so it lives on the ground
//! floor rather than in one of them.

use serde::{Deserialize, Serialize};

/// A Swedish plate, normalised to upper case with one space: `ABC 123`, `ABC 12A`.
/// Accepts `abc123`, `ABC-123`, ` abc 12a `.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Plate(String);

impl Plate {
    pub fn parse(raw: &str) -> Option<Self> {
        let compact: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .flat_map(char::to_uppercase)
            .collect();
        let b = compact.as_bytes();
        let ok = b.len() == 6
            && b[..3].iter().all(u8::is_ascii_uppercase)
            && b[3..5].iter().all(u8::is_ascii_digit)
            && (b[5].is_ascii_digit() || b[5].is_ascii_uppercase());
        ok.then(|| Plate(format!("{} {}", &compact[..3], &compact[3..])))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A plate as the operator's feed sends it, which may be foreign: a Swedish plate in its
/// display form ([`Plate::parse`]), any other upper-cased with each run of spaces and dashes
/// made one space, when it holds 2–12 letters and digits and nothing else.
pub fn normalise_any(raw: &str) -> Option<String> {
    if let Some(p) = Plate::parse(raw) {
        return Some(p.0);
    }
    let mut out = String::new();
    let mut alnum = 0;
    for part in raw.split([' ', '-']).filter(|p| !p.is_empty()) {
        if !part.chars().all(char::is_alphanumeric) {
            return None;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        alnum += part.chars().count();
        out.extend(part.chars().flat_map(char::to_uppercase));
    }
    (2..=12).contains(&alnum).then_some(out)
}

/// A plate as a person typed it (a guest's at the front desk, a member's registered vehicle),
/// normalised for display: the feed's form
/// (`plate::normalise_any`: Swedish `ABC 123`, others upper case with single spaces), and a
/// run of letters followed by digits typed without a space split the way Nordic plates are
/// written (`ab12345` → `AB 12345`, `abc1` → `ABC 1`). Matching never depends on it
/// ([`key`]).
pub fn display(raw: &str) -> Option<String> {
    let plate = normalise_any(raw)?;
    if plate.contains(' ') {
        return Some(plate);
    }
    let letters = plate.chars().take_while(|c| c.is_alphabetic()).count();
    let rest = &plate[plate
        .char_indices()
        .nth(letters)
        .map_or(plate.len(), |(i, _)| i)..];
    if (1..=3).contains(&letters) && !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()) {
        let head = &plate[..plate.len() - rest.len()];
        Some(format!("{head} {rest}"))
    } else {
        Some(plate)
    }
}

/// Letters and digits of a plate, upper-cased: how a typed plate meets the feed's spelling
/// of it (`ABC-123`, `abc 123` and `ABC123` are one car).
pub fn key(plate: &str) -> String {
    plate
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plates_normalise_to_the_swedish_display_form() {
        assert_eq!(Plate::parse("abc123").unwrap().as_str(), "ABC 123");
        assert_eq!(Plate::parse(" ABC-12a ").unwrap().as_str(), "ABC 12A");
        assert_eq!(normalise_any("abc-123").as_deref(), Some("ABC 123"));
        assert_eq!(normalise_any("ab  12345").as_deref(), Some("AB 12345"));
        assert_eq!(normalise_any("m-ab 1234").as_deref(), Some("M AB 1234"));
        assert_eq!(normalise_any("x"), None);
        assert_eq!(normalise_any("ABC;123"), None);
        assert_eq!(normalise_any("  "), None);
    }

    #[test]
    fn malformed_plates_are_refused() {
        for bad in ["", "AB 123", "ABC 1234", "123 ABC", "ABC 1A3", "ÅBC 123"] {
            assert!(Plate::parse(bad).is_none(), "{bad:?}");
        }
    }
}
