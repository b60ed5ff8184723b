//! Reading the people file: `email`, `role`, `cost_center` columns (Swedish headers `e-post`,
//! `roll`, `kostnadsställe` too), separated by `,` or `;` (whichever the header line uses),
//! UTF-8 with or without BOM, RFC 4180 quoting. The members' bulk invitations and the cost
//! centers' bulk assignments read the same file. Parsing only splits and names the fields;
//! whether a row may be imported is decided on the server against the database.

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

/// The 1-based line of byte `at` in `text`.
fn line_at(text: &str, at: usize) -> usize {
    1 + text.as_bytes()[..at.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// Reads the file with the `csv` crate (RFC 4180 in full: quoted separators, quotes and line
/// breaks, as Excel and LibreOffice write them). The separator is whichever of `;` and `,` the
/// header line uses more; a BOM is dropped; blank lines are skipped; fields are trimmed.
pub fn parse(text: &str) -> Result<Vec<CsvRow>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let header_line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .ok_or(CsvError::Empty)?;
    let sep = if header_line.matches(';').count() >= header_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sep)
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records = Vec::new();
    for record in reader.records() {
        // Invalid UTF-8 cannot happen in a `&str`; any other error is the reader's own.
        let record = record.map_err(|e| {
            CsvError::UnclosedQuote(line_at(text, e.position().map_or(0, |p| p.byte() as usize)))
        })?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        // The line the record starts on, for messages (the reader's own count skips the line
        // breaks inside quoted fields).
        // (It may point at the `\n` of the previous record's CRLF: skip line ends first.)
        let start = record.position().map_or(0, |p| p.byte() as usize);
        let rest = &text[start.min(text.len())..];
        let start = start + rest.len() - rest.trim_start_matches(['\r', '\n']).len();
        let line = line_at(text, start);
        records.push((line, start, record));
    }
    // The reader is lenient about a quote that is never closed: the field takes the rest of
    // the file. That can only be the last record, and its text then holds an odd number of
    // quote characters (every closed field has an even number, `""` included).
    if let Some((line, start, _)) = records.last() {
        if text[*start..].matches('"').count() % 2 == 1 {
            return Err(CsvError::UnclosedQuote(*line));
        }
    }
    let mut records = records.into_iter();
    let (_, _, header) = records.next().ok_or(CsvError::Empty)?;
    let names: Vec<String> = header.iter().map(str::to_lowercase).collect();
    let find = |alts: &[&str]| names.iter().position(|n| alts.contains(&n.as_str()));
    let email_col = find(&["email", "e-post", "epost", "e-mail"]).ok_or(CsvError::NoEmailColumn)?;
    let role_col = find(&["role", "roll"]);
    let cc_col = find(&[
        "cost_center",
        "cost_center_code",
        "cost center",
        "kostnadsställe",
        "kostnadsstalle",
    ]);
    Ok(records
        .map(|(line, _, f)| {
            let get = |col: Option<usize>| col.and_then(|c| f.get(c)).unwrap_or("").to_owned();
            CsvRow {
                line,
                email: get(Some(email_col)),
                role: get(role_col),
                cost_center: get(cc_col),
            }
        })
        .collect())
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

    /// Excel and LibreOffice quote a cell with a line break or a quote in it and keep the
    /// break inside the quotes (RFC 4180); the line-by-line reader before this one failed here.
    #[test]
    fn quoted_line_breaks_and_quotes_stay_in_their_field() {
        let rows = parse(
            "\u{feff}email;role;cost_center\r\n\"anna@x.se\";member;\"Ekonomi\r\nHR\"\r\nbo@x.se;\"admin\";\"Bygg \"\"Nord\"\"\"\r\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].cost_center, "Ekonomi\r\nHR");
        assert_eq!((rows[1].line, rows[1].email.as_str()), (4, "bo@x.se"));
        assert_eq!(rows[1].cost_center, "Bygg \"Nord\"");
    }

    /// Files written by real spreadsheet programs, kept in `app/tests/fixtures/`.
    #[test]
    fn files_from_spreadsheet_programs_parse() {
        for (name, text) in [
            (
                "excel-style.csv",
                include_str!("../../tests/fixtures/excel-style.csv"),
            ),
            (
                "libreoffice.csv",
                include_str!("../../tests/fixtures/libreoffice.csv"),
            ),
        ] {
            let rows = parse(text).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            let emails: Vec<&str> = rows.iter().map(|r| r.email.as_str()).collect();
            assert_eq!(
                emails,
                [
                    "anna.andersson@example.se",
                    "bo.berg@example.se",
                    "cecilia@example.se"
                ],
                "{name}"
            );
            // Line breaks inside a cell are LF or CRLF, as the program wrote them.
            assert_eq!(
                rows[0].cost_center.replace("\r\n", "\n"),
                "Ekonomi\nHR",
                "{name}"
            );
            assert_eq!(rows[1].cost_center, "Bygg \"Nord\"; Väst", "{name}");
            assert_eq!(rows[2].role, "admin", "{name}");
        }
    }

    #[test]
    fn the_template_parses_as_one_row() {
        assert_eq!(parse(TEMPLATE).unwrap().len(), 1);
    }
}
