//! The bulk-invitation CSV: `email`, `role`, `cost_center` columns (Swedish headers
//! `e-post`, `roll`, `kostnadsställe` too), separated by `,` or `;` (whichever the header
//! line uses), UTF-8 with or without BOM, RFC 4180 quoting. Parsing only splits and names the
//! fields; whether a row may be imported is decided on the server against the database.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRow {
    /// 1-based line number in the file, for messages.
    pub line: usize,
    pub email: String,
    pub role: String,
    pub cost_center: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsvError {
    Empty,
    /// The header has no email column.
    NoEmailColumn,
    /// A quote was opened and never closed, on this line.
    UnclosedQuote(usize),
}

/// The template offered for download: a header and one example row, `;`-separated with a BOM
/// so that Swedish Excel opens it in columns.
pub const TEMPLATE: &str =
    "\u{feff}email;role;cost_center\r\nanna.andersson@example.se;member;2010\r\n";

/// Splits one line into fields (RFC 4180: `"…"` quotes, `""` inside them is a quote).
fn fields(line: &str, sep: char, line_no: usize) -> Result<Vec<String>, CsvError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if cur.trim().is_empty() => {
                cur.clear();
                quoted = true;
            }
            (c, false) if c == sep => out.push(std::mem::take(&mut cur).trim().to_owned()),
            (c, _) => cur.push(c),
        }
    }
    if quoted {
        return Err(CsvError::UnclosedQuote(line_no));
    }
    out.push(cur.trim().to_owned());
    Ok(out)
}

pub fn parse(text: &str) -> Result<Vec<CsvRow>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty());
    let (header_no, header) = lines.next().ok_or(CsvError::Empty)?;
    let sep = if header.matches(';').count() >= header.matches(',').count() {
        ';'
    } else {
        ','
    };
    let names: Vec<String> = fields(header, sep, header_no)?
        .into_iter()
        .map(|h| h.to_lowercase())
        .collect();
    let find = |alts: &[&str]| names.iter().position(|n| alts.contains(&n.as_str()));
    let email_col = find(&["email", "e-post", "epost", "e-mail"]).ok_or(CsvError::NoEmailColumn)?;
    let role_col = find(&["role", "roll"]);
    let cc_col = find(&[
        "cost_center",
        "cost center",
        "kostnadsställe",
        "kostnadsstalle",
    ]);
    let mut rows = Vec::new();
    for (line, text) in lines {
        let f = fields(text, sep, line)?;
        let get = |col: Option<usize>| col.and_then(|c| f.get(c)).cloned().unwrap_or_default();
        rows.push(CsvRow {
            line,
            email: get(Some(email_col)),
            role: get(role_col),
            cost_center: get(cc_col),
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semicolons_with_a_bom_and_swedish_headers_parse() {
        let rows = parse(
            "\u{feff}E-post;Roll;Kostnadsställe\r\nanna@x.se;member;2010\r\n\r\nbo@x.se;admin;\r\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0],
            CsvRow {
                line: 2,
                email: "anna@x.se".into(),
                role: "member".into(),
                cost_center: "2010".into()
            }
        );
        assert_eq!(
            (
                rows[1].line,
                rows[1].role.as_str(),
                rows[1].cost_center.as_str()
            ),
            (4, "admin", "")
        );
    }

    #[test]
    fn commas_and_quotes_follow_rfc_4180() {
        let rows = parse("email,role,cost_center\n\"anna@x.se\",member,\"Ekonomi, HR\"\n\"bo\"\"@x.se\",member,1\n").unwrap();
        assert_eq!(rows[0].cost_center, "Ekonomi, HR");
        assert_eq!(rows[1].email, "bo\"@x.se");
    }

    #[test]
    fn missing_columns_default_and_broken_files_say_why() {
        let rows = parse("email\nanna@x.se\n").unwrap();
        assert_eq!(
            (rows[0].role.as_str(), rows[0].cost_center.as_str()),
            ("", "")
        );
        assert_eq!(parse("  \n"), Err(CsvError::Empty));
        assert_eq!(parse("name;phone\nx;y"), Err(CsvError::NoEmailColumn));
        assert_eq!(
            parse("email\n\"anna@x.se\n"),
            Err(CsvError::UnclosedQuote(2))
        );
    }

    #[test]
    fn the_template_parses_as_one_row() {
        assert_eq!(parse(TEMPLATE).unwrap().len(), 1);
    }
}
