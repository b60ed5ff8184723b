//! Organisation numbers, as companies are known to the operator and the tax authority.

/// A Swedish organisation number: `NNNNNN-NNNN` (the dash optional on input).
pub fn parse(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(|c| *c != '-' && *c != ' ').collect();
    (digits.len() == 10 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("{}-{}", &digits[..6], &digits[6..]))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn organisation_numbers_are_normalised() {
        assert_eq!(parse("5566778899").as_deref(), Some("556677-8899"));
        assert_eq!(parse(" 556677-8899").as_deref(), Some("556677-8899"));
        assert_eq!(parse("556677-889"), None);
        assert_eq!(parse("55667a-8899"), None);
    }
}
