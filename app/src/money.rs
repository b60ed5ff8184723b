//! Amounts typed into forms: major units as people write them (`2000`, `2 000`, `1500,50`,
//! `149.50`) to minor units (öre, cents), refused by field when they are not an amount.

use crate::error::{AppError, Reason};

/// The largest amount a form takes: 1,000,000 in major units.
pub const MAX_AMOUNT: i64 = 100_000_000;

/// `raw` in minor units, 0 to [`MAX_AMOUNT`]; empty is `None`. Spaces (also no-break) are
/// thousands separators; `,` or `.` starts at most two decimals.
pub fn parse(field: &str, raw: &str) -> Result<Option<i64>, AppError> {
    let text: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .collect();
    if text.is_empty() {
        return Ok(None);
    }
    let bad = || AppError::invalid(field, Reason::NotANumber);
    let (whole, cents) = match text.split_once([',', '.']) {
        None => (text.as_str(), ""),
        Some((w, c)) => (w, c),
    };
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || cents.len() > 2
        || !cents.bytes().all(|b| b.is_ascii_digit())
        || whole.len() > 12
    {
        return Err(bad());
    }
    let minor = whole.parse::<i64>().map_err(|_| bad())? * 100
        + format!("{cents:0<2}").parse::<i64>().map_err(|_| bad())?;
    if minor > MAX_AMOUNT {
        return Err(AppError::invalid(field, Reason::OutOfRange));
    }
    Ok(Some(minor))
}

/// Minor units as a form's field shows them: `2000`, `149.50`.
pub fn form_value(minor: i64) -> String {
    if minor % 100 == 0 {
        (minor / 100).to_string()
    } else {
        format!("{}.{:02}", minor / 100, minor % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_as_people_type_them() {
        assert_eq!(parse("a", ""), Ok(None));
        assert_eq!(parse("a", "2 000"), Ok(Some(200_000)));
        assert_eq!(parse("a", "1500,5"), Ok(Some(150_050)));
        assert_eq!(parse("a", "149.50"), Ok(Some(14_950)));
        assert_eq!(form_value(14_950), "149.50");
        assert_eq!(form_value(200_000), "2000");
        for bad in ["-5", "1,234,5", "12.345", "abc", ",5"] {
            assert_eq!(
                parse("a", bad),
                Err(AppError::invalid("a", Reason::NotANumber)),
                "{bad}"
            );
        }
        assert_eq!(
            parse("a", "1000001"),
            Err(AppError::invalid("a", Reason::OutOfRange))
        );
    }
}
