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

/// A plate as met at a facility in `country`: that country's own plates the way it writes
/// them — Swedish `ABC 123` / `ABC 12A`, Finnish `ABC-123` (2–3 letters, 1–3 digits),
/// Norwegian `AB 12345` (2 letters, 4–5 digits) — and any other (a foreign car: German,
/// Danish, Baltic, or a neighbour's) as [`normalise_any`] has it. `None` when it is not a
/// plate at all. Matching never depends on the form ([`key`], [`spellings`]).
pub fn normalise_for(country: crate::org_number::Country, raw: &str) -> Option<String> {
    let any = normalise_any(raw)?;
    Some(own(country, raw).unwrap_or(any))
}

/// A plate a person typed at a facility in `country` (the front desk's guest): that
/// country's own plates as [`normalise_for`] writes them, any other as [`display`] does.
pub fn display_for(country: crate::org_number::Country, raw: &str) -> Option<String> {
    normalise_any(raw)?;
    own(country, raw).or_else(|| display(raw))
}

/// How `country` writes its plates, as an example for a plate field's hint and placeholder.
pub fn example(country: crate::org_number::Country) -> &'static str {
    use crate::org_number::Country;
    match country {
        Country::Se => "ABC 123",
        Country::Fi => "ABC-123",
        Country::No => "AB 12345",
    }
}

/// `raw` written as `country` writes its own plates, if it is one of them.
fn own(country: crate::org_number::Country, raw: &str) -> Option<String> {
    use crate::org_number::Country;
    normalise_any(raw)?;
    let compact = key(raw);
    let letters = compact.chars().take_while(|c| c.is_alphabetic()).count();
    let (head, tail) = compact.split_at(
        compact
            .char_indices()
            .nth(letters)
            .map_or(compact.len(), |(i, _)| i),
    );
    let digits = tail.len();
    let tail_digits = !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit());
    match country {
        Country::Se => Plate::parse(raw).map(|p| p.0),
        Country::Fi
            if (2..=3).contains(&letters)
                && (1..=3).contains(&digits)
                && tail_digits
                && head
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || "ÅÄÖ".contains(c)) =>
        {
            Some(format!("{head}-{tail}"))
        }
        Country::No
            if letters == 2
                && (4..=5).contains(&digits)
                && tail_digits
                && head.chars().all(|c| c.is_ascii_uppercase()) =>
        {
            Some(format!("{head} {tail}"))
        }
        _ => None,
    }
}

/// Every form a typed plate may be stored in (each country's, the foreign form, the typed
/// display form), for finding its sessions by an exact match that the (company, plate) index
/// answers: `abc123` finds `ABC 123` from a Swedish garage and `ABC-123` from a Finnish one.
/// `None` when it is not a plate at all, or holds no digit: every country's plates have one
/// (personalised plates aside, which were never searchable), and a name typed into a search
/// box ("Anna") is not a plate.
pub fn spellings(raw: &str) -> Option<Vec<String>> {
    use crate::org_number::Country;
    if !raw.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut all = vec![normalise_any(raw)?];
    for country in [Country::Se, Country::Fi, Country::No] {
        all.extend(normalise_for(country, raw));
    }
    all.extend(display(raw));
    let mut seen = std::collections::HashSet::new();
    all.retain(|p| seen.insert(p.clone()));
    Some(all)
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

    /// Issue 33: each country's plates as it writes them, by the facility's country; foreign
    /// plates as they come; one typed plate finds every stored form.
    #[test]
    fn plates_are_written_as_the_facilitys_country_writes_them() {
        use crate::org_number::Country::{Fi, No, Se};
        for (country, raw, shown) in [
            (Se, "abc123", "ABC 123"),
            (Se, "ABC-12a", "ABC 12A"),
            (Fi, "abc123", "ABC-123"),
            (Fi, "ABC 1", "ABC-1"),
            (Fi, "zz-12", "ZZ-12"),
            (Fi, "äöå-1", "ÄÖÅ-1"),
            (No, "ab12345", "AB 12345"),
            (No, "EL-1234", "EL 1234"),
            // Foreign cars: German, Danish, Estonian plates as they come.
            (Fi, "M-AB 1234", "M AB 1234"),
            (Fi, "ab 12 345", "AB 12 345"),
            (Se, "123 ABC", "123 ABC"),
            // A Norwegian plate in a Swedish garage, a Swedish one in a Norwegian garage.
            (Se, "AB12345", "AB12345"),
            (No, "abc123", "ABC 123"),
        ] {
            assert_eq!(
                normalise_for(country, raw).as_deref(),
                Some(shown),
                "{country:?} {raw}"
            );
        }
        assert_eq!(normalise_for(Fi, "AB;123"), None);
        // The front desk: the facility's own plates its way, a foreign one split as typed.
        assert_eq!(display_for(Fi, "abc123").as_deref(), Some("ABC-123"));
        assert_eq!(display_for(Se, "ab12345").as_deref(), Some("AB 12345"));
        assert_eq!(display_for(No, "ab12345").as_deref(), Some("AB 12345"));
        let all = spellings("abc123").unwrap();
        for form in ["ABC 123", "ABC-123"] {
            assert!(all.contains(&form.to_owned()), "{all:?}");
        }
        assert!(spellings("ab 12345")
            .unwrap()
            .contains(&"AB 12345".to_owned()));
        assert_eq!(spellings("!"), None);
        assert_eq!(spellings("not a plate"), None);
        assert_eq!(spellings("Anna"), None);
    }

    #[test]
    fn malformed_plates_are_refused() {
        for bad in ["", "AB 123", "ABC 1234", "123 ABC", "ABC 1A3", "ÅBC 123"] {
            assert!(Plate::parse(bad).is_none(), "{bad:?}");
        }
    }
}
