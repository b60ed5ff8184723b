//! The checks of one record that need no database: shapes, ranges, formats. Every problem is
//! collected (not only the first), named by the record's index and the field's path, so the
//! back office's developer can mend a whole batch from one answer.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate};
use serde::de::DeserializeOwned;

use super::wire::{RecordError, MAX_BATCH};

/// A record as it came in: decoded, or the problems that stopped its decoding.
pub type Incoming<T> = Result<T, Vec<RecordError>>;

/// A request body that is not a batch at all (not JSON, not `{"<resource>": [...]}`, no
/// records or too many): answered 400 with this reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadBody(pub String);

/// Splits `{"<resource>": [ … ]}` into its records, each decoded on its own so that one
/// malformed record does not hide the others' problems.
pub fn parse_batch<T: DeserializeOwned>(
    body: &[u8],
    resource: &str,
) -> Result<Vec<Incoming<T>>, BadBody> {
    // The common case first: a batch whose every record decodes is read straight into the
    // records (without going through `serde_json::Value` and a decode per record). Anything
    // else takes the path below, which names each problem.
    if let Ok(mut whole) = serde_json::from_slice::<std::collections::HashMap<String, Vec<T>>>(body)
    {
        if whole.len() == 1 {
            if let Some(records) = whole.remove(resource) {
                if (1..=MAX_BATCH).contains(&records.len()) {
                    return Ok(records.into_iter().map(Ok).collect());
                }
            }
        }
    }
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| BadBody(format!("the body is not JSON: {e}")))?;
    let shape = || {
        BadBody(format!(
            "the body must be {{\"{resource}\": [ … ]}} and nothing else"
        ))
    };
    let serde_json::Value::Object(mut map) = value else {
        return Err(shape());
    };
    let Some(serde_json::Value::Array(records)) = map.remove(resource) else {
        return Err(shape());
    };
    if !map.is_empty() {
        return Err(shape());
    }
    if records.is_empty() || records.len() > MAX_BATCH {
        return Err(BadBody(format!(
            "\"{resource}\" must hold 1 to {MAX_BATCH} records; it holds {}",
            records.len()
        )));
    }
    Ok(records
        .into_iter()
        .enumerate()
        .map(|(i, v)| decode(i, v))
        .collect())
}

/// Decodes one record, naming the field that failed (`app_user.email`, `lines[2].vat`).
pub fn decode<T: DeserializeOwned>(index: usize, value: serde_json::Value) -> Incoming<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let reason = e.into_inner().to_string();
        let path = if path == "." { String::new() } else { path };
        // "missing field `plate`" is reported at the record, not at the field: name it.
        let field = match reason
            .strip_prefix("missing field `")
            .and_then(|r| r.strip_suffix('`'))
        {
            Some(name) if path.is_empty() => name.to_owned(),
            Some(name) => format!("{path}.{name}"),
            None => path,
        };
        vec![RecordError {
            index,
            field,
            reason,
        }]
    })
}

/// The problems found so far in a batch.
#[derive(Debug, Default)]
pub struct Errors(Vec<RecordError>);

impl Errors {
    pub fn add(&mut self, index: usize, field: impl Into<String>, reason: impl Into<String>) {
        self.0.push(RecordError {
            index,
            field: field.into(),
            reason: reason.into(),
        });
    }

    pub fn extend(&mut self, errors: Vec<RecordError>) {
        self.0.extend(errors);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// By record, then as found.
    pub fn into_sorted(mut self) -> Vec<RecordError> {
        self.0.sort_by_key(|e| e.index);
        self.0
    }

    /// An operator id (a record's key, or a reference to one): 1–100 characters, no control
    /// characters, no spaces at either end.
    pub fn key(&mut self, index: usize, field: &str, value: &str) -> bool {
        let ok = !value.is_empty()
            && value.chars().count() <= 100
            && value.trim() == value
            && !value.chars().any(char::is_control);
        if !ok {
            self.add(
                index,
                field,
                "must be 1–100 characters without control characters or spaces at either end",
            );
        }
        ok
    }

    /// A text shown to people: at most `max` characters, no control characters; `required`
    /// ones not blank.
    pub fn text(&mut self, index: usize, field: &str, value: &str, max: usize, required: bool) {
        if required && value.trim().is_empty() {
            self.add(index, field, "must not be empty");
        } else if value.chars().count() > max {
            self.add(index, field, format!("must be at most {max} characters"));
        } else if value.chars().any(char::is_control) {
            self.add(index, field, "must not hold control characters");
        }
    }

    pub fn version(&mut self, index: usize, version: i64) {
        if version < 0 {
            self.add(index, "version", "must be 0 or more");
        }
    }

    /// An RFC 3339 instant with an offset, as Unix seconds.
    pub fn instant(&mut self, index: usize, field: &str, value: &str) -> Option<i64> {
        match DateTime::parse_from_rfc3339(value) {
            Ok(t) => Some(t.timestamp()),
            Err(_) => {
                self.add(
                    index,
                    field,
                    "must be an RFC 3339 instant with an offset, e.g. 2026-11-20T08:15:00+01:00",
                );
                None
            }
        }
    }

    pub fn date(&mut self, index: usize, field: &str, value: &str) -> Option<NaiveDate> {
        match NaiveDate::parse_from_str(value, "%Y-%m-%d") {
            Ok(d) if value.len() == 10 => Some(d),
            _ => {
                self.add(index, field, "must be a date, YYYY-MM-DD");
                None
            }
        }
    }

    /// An organisation number of any of the three countries, normalised to how its country
    /// writes it (`crate::org_number`). The shape only: whether a company has it is the
    /// batch's next question.
    pub fn org_number(&mut self, index: usize, field: &str, value: &str) -> Option<String> {
        let parsed = crate::org_number::parse(value).map(|(_, n)| n);
        if parsed.is_none() {
            self.add(index, field, crate::org_number::SHAPES);
        }
        parsed
    }

    /// Names every record whose key another record of the batch already has: a batch may
    /// hold one version of each record (send the newest).
    pub fn duplicates<'a>(
        &mut self,
        field: &str,
        keys: impl IntoIterator<Item = (usize, &'a str)>,
    ) {
        let mut first: HashMap<&str, usize> = HashMap::new();
        for (index, key) in keys {
            if let Some(earlier) = first.get(key) {
                self.add(
                    index,
                    field,
                    format!("{key:?} is also record {earlier} of this batch; send each record once (its newest version)"),
                );
            } else {
                first.insert(key, index);
            }
        }
    }
}

/// Each distinct value once, in first-seen order (the lookups' IN lists).
pub fn distinct<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = std::collections::HashSet::new();
    values.into_iter().filter(|v| seen.insert(*v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::wire::SessionIn;

    #[test]
    fn a_batch_body_is_an_object_with_one_array_of_1_to_1000_records() {
        for body in [
            &b"not json"[..],
            b"[]",
            br#"{"sessions": {}}"#,
            br#"{"sessions": [], "x": 1}"#,
            br#"{"facilities": [{}]}"#,
            br#"{"sessions": []}"#,
        ] {
            assert!(
                parse_batch::<SessionIn>(body, "sessions").is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let many = format!(
            r#"{{"sessions": [{}]}}"#,
            vec!["{}"; MAX_BATCH + 1].join(",")
        );
        assert!(parse_batch::<SessionIn>(many.as_bytes(), "sessions")
            .unwrap_err()
            .0
            .contains("1001"));
    }

    #[test]
    fn a_good_batch_decodes_whole() {
        let body = br#"{"sessions": [{"id": "S-1", "version": 1, "company": "556677-8899",
            "plate": "ABC123", "facility": "F", "kind": "parking",
            "started_at": "2026-01-01T00:00:00Z", "amount_incl_vat": 0, "vat": 0}]}"#;
        let records = parse_batch::<SessionIn>(body, "sessions").unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].as_ref().unwrap().id, "S-1");
        // The same record under another resource's name is not a batch of sessions.
        let other = String::from_utf8_lossy(body).replace("sessions", "invoices");
        assert!(parse_batch::<SessionIn>(other.as_bytes(), "sessions").is_err());
    }

    #[test]
    fn a_record_that_does_not_decode_names_its_field() {
        let body = br#"{"sessions": [
            {"id": "S-1", "version": 1},
            {"id": "S-2", "version": "one"},
            {"id": "S-3", "version": 1, "company": "556677-8899", "plate": "ABC123",
             "facility": "F", "kind": "boat", "started_at": "2026-01-01T00:00:00Z",
             "amount_incl_vat": 0, "vat": 0},
            {"id": "S-4", "version": 1, "company": "556677-8899", "plate": "ABC123",
             "facility": "F", "kind": "parking", "started_at": "2026-01-01T00:00:00Z",
             "amount_incl_vat": 0, "vat": 0, "app_user": {"email": 5}},
            {"id": "S-5", "version": 1, "company": "556677-8899", "plate": "ABC123",
             "facility": "F", "kind": "parking", "started_at": "2026-01-01T00:00:00Z",
             "amount_incl_vat": 0, "vat": 0, "colour": "red"}
        ]}"#;
        let records = parse_batch::<SessionIn>(body, "sessions").unwrap();
        let fields: Vec<String> = records
            .iter()
            .map(|r| r.as_ref().unwrap_err()[0].field.clone())
            .collect();
        assert_eq!(fields[0], "company");
        assert_eq!(fields[1], "version");
        assert_eq!(fields[2], "kind");
        assert_eq!(fields[3], "app_user.email");
        assert!(
            records[4].as_ref().unwrap_err()[0]
                .reason
                .contains("colour"),
            "{:?}",
            records[4]
        );
    }

    #[test]
    fn keys_texts_and_times_are_checked() {
        let mut e = Errors::default();
        assert!(e.key(0, "id", "S-1"));
        assert!(!e.key(1, "id", ""));
        assert!(!e.key(2, "id", " S-1"));
        assert!(!e.key(3, "id", &"x".repeat(101)));
        assert_eq!(
            e.instant(4, "t", "2026-11-20T08:15:00+01:00"),
            Some(1_795_158_900)
        );
        assert_eq!(e.instant(5, "t", "2026-11-20 08:15"), None);
        assert_eq!(e.date(6, "d", "2026-02-30"), None);
        assert_eq!(
            e.org_number(7, "company", "5566778899").as_deref(),
            Some("556677-8899")
        );
        e.duplicates("id", [(8, "a"), (9, "b"), (10, "a")]);
        let indexes: Vec<usize> = e.into_sorted().iter().map(|e| e.index).collect();
        assert_eq!(indexes, vec![1, 2, 3, 5, 6, 10]);
    }
}
