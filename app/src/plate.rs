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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plates_normalise_to_the_swedish_display_form() {
        assert_eq!(Plate::parse("abc123").unwrap().as_str(), "ABC 123");
        assert_eq!(Plate::parse(" ABC-12a ").unwrap().as_str(), "ABC 12A");
    }

    #[test]
    fn malformed_plates_are_refused() {
        for bad in ["", "AB 123", "ABC 1234", "123 ABC", "ABC 1A3", "ÅBC 123"] {
            assert!(Plate::parse(bad).is_none(), "{bad:?}");
        }
    }
}
