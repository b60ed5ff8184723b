//! Organisation numbers, as companies are known to the operator and the tax authorities of
//! the three countries the operator runs garages in. Each country's number has its own shape
//! and check digit, and the shapes do not overlap (10, 8 and 9 digits), so a number names its
//! country: the company's country is its number's ([`Country::of`]).
//!
//! | Country | Written | Check digit |
//! |---|---|---|
//! | Sweden, organisationsnummer | `NNNNNN-NNNN` | Luhn over the ten digits |
//! | Finland, Y-tunnus | `NNNNNNN-N` | weights 7 9 10 5 8 4 2, mod 11 (remainder 1 is never issued) |
//! | Norway, organisasjonsnummer | `NNN NNN NNN` | weights 3 2 7 6 5 4 3 2, mod 11 (a check of 10 is never issued) |
//!
//! Numbers are stored and shown as their country writes them (the first column). Two
//! readings:
//!
//! - [`parse`]: the shape only, normalised. For finding a company that exists: numbers stored
//!   before check digits were enforced keep working unchanged.
//! - [`validate`]: the shape and the check digit. For a new company, and to say why an unknown
//!   number is unknown ([`OrgNumberError::reason`]).

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Country {
    Se,
    Fi,
    No,
}

impl Country {
    /// ISO 3166 alpha-2.
    pub fn code(self) -> &'static str {
        match self {
            Country::Se => "SE",
            Country::Fi => "FI",
            Country::No => "NO",
        }
    }

    /// From its ISO code (`SE`, `FI`, `NO`), as stored.
    pub fn from_code(code: &str) -> Option<Country> {
        match code {
            "SE" => Some(Country::Se),
            "FI" => Some(Country::Fi),
            "NO" => Some(Country::No),
            _ => None,
        }
    }

    /// A stored `country` column (`facilities.country`): an unknown value fails the read, as
    /// every stored enum does, never a guess.
    #[cfg(feature = "ssr")]
    pub fn stored(code: &str) -> Result<Country, sqlx::Error> {
        Country::from_code(code).ok_or_else(|| {
            sqlx::Error::Decode(format!("country: unknown stored value {code:?}").into())
        })
    }

    /// The country of a stored (normalised) organisation number.
    pub fn of(org_number: &str) -> Option<Country> {
        parse(org_number).map(|(country, _)| country)
    }

    /// A new company's time zone and currency unless told otherwise (`portal company create`).
    pub fn defaults(self) -> (&'static str, &'static str) {
        match self {
            Country::Se => ("Europe/Stockholm", "SEK"),
            Country::Fi => ("Europe/Helsinki", "EUR"),
            Country::No => ("Europe/Oslo", "NOK"),
        }
    }
}

/// "No company has this number", with the reason when the number itself cannot be right (its
/// check digit), for the ingestion API's errors.
pub fn unknown(org: &str) -> String {
    match validate(org) {
        Err(e @ OrgNumberError::CheckDigit(_)) => {
            format!(
                "no company has the organisation number {org}; {}",
                e.reason()
            )
        }
        _ => format!("no company has the organisation number {org}"),
    }
}

/// Why a number is not a valid organisation number, said as the rule it breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgNumberError {
    /// Not the shape of any of the three countries' numbers.
    Shape,
    /// The shape of this country's number, but its check digit does not match.
    CheckDigit(Country),
}

impl OrgNumberError {
    pub fn reason(self) -> &'static str {
        match self {
            OrgNumberError::Shape => SHAPES,
            OrgNumberError::CheckDigit(Country::Se) => {
                "the check digit (the last, by the Luhn algorithm) does not match: a Swedish organisation number with a typing error?"
            }
            OrgNumberError::CheckDigit(Country::Fi) => {
                "the check digit (after the dash, weights 7 9 10 5 8 4 2, mod 11) does not match: a Finnish Y-tunnus with a typing error?"
            }
            OrgNumberError::CheckDigit(Country::No) => {
                "the check digit (the ninth, weights 3 2 7 6 5 4 3 2, mod 11) does not match: a Norwegian organisasjonsnummer with a typing error?"
            }
        }
    }
}

/// The accepted shapes, for error messages and the API's documentation.
pub const SHAPES: &str = "must be an organisation number: Swedish NNNNNN-NNNN, Finnish Y-tunnus NNNNNNN-N or Norwegian NNN NNN NNN (dashes and spaces optional)";

/// The number's country and its normalised form, by shape alone: the digit count names the
/// country. A Swedish number may have dashes and spaces anywhere (as always); a Finnish or
/// Norwegian one is digits only or written exactly as its country writes it, so that a
/// Swedish number missing a digit (`556677-889`) is not taken for a Norwegian one. `None`
/// for anything else.
pub fn parse(raw: &str) -> Option<(Country, String)> {
    let raw = raw.trim();
    let digits: String = raw.chars().filter(|c| *c != '-' && *c != ' ').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (country, written) = match digits.len() {
        10 => (Country::Se, format!("{}-{}", &digits[..6], &digits[6..])),
        8 => (Country::Fi, format!("{}-{}", &digits[..7], &digits[7..])),
        9 => (
            Country::No,
            format!("{} {} {}", &digits[..3], &digits[3..6], &digits[6..]),
        ),
        _ => return None,
    };
    (country == Country::Se || raw == digits || raw == written).then_some((country, written))
}

/// The shape and the check digit: the normalised number and its country.
pub fn validate(raw: &str) -> Result<(Country, String), OrgNumberError> {
    let (country, normal) = parse(raw).ok_or(OrgNumberError::Shape)?;
    let d: Vec<u32> = normal.chars().filter_map(|c| c.to_digit(10)).collect();
    let ok = match country {
        Country::Se => luhn(&d),
        Country::Fi => weighted_mod11(&d[..7], &[7, 9, 10, 5, 8, 4, 2], true) == Some(d[7]),
        Country::No => weighted_mod11(&d[..8], &[3, 2, 7, 6, 5, 4, 3, 2], false) == Some(d[8]),
    };
    if ok {
        Ok((country, normal))
    } else {
        Err(OrgNumberError::CheckDigit(country))
    }
}

fn luhn(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            let v = if i % 2 == 0 { d * 2 } else { d };
            if v > 9 {
                v - 9
            } else {
                v
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The check digit of a weighted sum mod 11: Finland's is the remainder's complement (a
/// remainder of 1 is never issued), Norway's is 11 − remainder (11 → 0; 10 is never issued).
fn weighted_mod11(digits: &[u32], weights: &[u32], finnish: bool) -> Option<u32> {
    let r = digits.iter().zip(weights).map(|(d, w)| d * w).sum::<u32>() % 11;
    match (finnish, r) {
        (_, 0) => Some(0),
        (true, 1) => None,
        (_, r) => Some(11 - r).filter(|c| *c < 10),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_countrys_number_is_normalised_to_how_it_is_written() {
        assert_eq!(
            parse("5566778899"),
            Some((Country::Se, "556677-8899".into()))
        );
        assert_eq!(
            parse(" 556677-8899"),
            Some((Country::Se, "556677-8899".into()))
        );
        assert_eq!(parse("01120389"), Some((Country::Fi, "0112038-9".into())));
        assert_eq!(parse("0112038-9"), Some((Country::Fi, "0112038-9".into())));
        assert_eq!(
            parse("923609016"),
            Some((Country::No, "923 609 016".into()))
        );
        assert_eq!(
            parse("923 609 016"),
            Some((Country::No, "923 609 016".into()))
        );
        for bad in [
            "556677-889",
            "55667a-8899",
            "",
            "12345",
            "556677-88990",
            "NO923609016",
            "011-20389",
            "92360-9016",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    /// Real companies' numbers (public registers) pass, and one digit off each fails, naming
    /// its country's rule.
    #[test]
    fn check_digits_follow_each_countrys_rule() {
        for (raw, country, normal) in [
            ("556016-0680", Country::Se, "556016-0680"), // Ericsson
            ("5560125790", Country::Se, "556012-5790"),  // Volvo
            ("0112038-9", Country::Fi, "0112038-9"),     // Nokia
            ("1927400-1", Country::Fi, "1927400-1"),     // Kone
            ("923609016", Country::No, "923 609 016"),   // Equinor
            ("982 463 718", Country::No, "982 463 718"), // Telenor
        ] {
            assert_eq!(validate(raw), Ok((country, normal.into())), "{raw}");
            let mut typo: Vec<char> = raw.chars().collect();
            let last = typo.len() - 1;
            typo[last] = char::from_digit((typo[last].to_digit(10).unwrap() + 1) % 10, 10).unwrap();
            let typo: String = typo.into_iter().collect();
            assert_eq!(
                validate(&typo),
                Err(OrgNumberError::CheckDigit(country)),
                "{typo}"
            );
            assert!(OrgNumberError::CheckDigit(country)
                .reason()
                .contains("check digit"));
        }
        assert_eq!(validate("12-34"), Err(OrgNumberError::Shape));
        assert!(OrgNumberError::Shape.reason().contains("NNNNNNN-N"));
        assert_eq!(Country::of("923 609 016"), Some(Country::No));
        assert_eq!(Country::of("556677-8899").map(Country::code), Some("SE"));
    }
}
