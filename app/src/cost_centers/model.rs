//! The cost centers domain's types and pure rules, shared by the server and the browser.

use crate::error::Reason;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostCenterView {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub archived: bool,
    /// Active members with it as their default.
    pub members: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostCenterList {
    pub centers: Vec<CostCenterView>,
    pub can_manage: bool,
    /// Where guests' parking is billed when the operator names no cost center.
    pub guest_cost_center: Option<Uuid>,
}

/// One row of a defaults file as the preview shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRowView {
    pub line: usize,
    pub email: String,
    pub code: String,
    /// The member's default before and after (`code name`, empty for none).
    pub from: String,
    pub to: String,
    pub problem: Option<Reason>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportResult {
    pub rows: Vec<ImportRowView>,
    pub good: usize,
    pub bad: usize,
    /// Valid rows that change a default.
    pub changes: usize,
    /// Defaults changed (0 for a preview, or when any row is bad).
    pub applied: usize,
    /// Apply was asked for but the file has bad rows: nothing changed.
    pub refused: bool,
}

pub const PAGE: &str = "/cost-centers";

pub const IMPORT_MAX_BYTES: usize = 1_000_000;

pub const IMPORT_MAX_ROWS: usize = 5_000;

/// A plain form post shows at most this many bad rows (they travel in the redirect's URL).
pub const IMPORT_PLAIN_MAX_LINES: usize = 50;

/// The counterpart of `import_result_url`: the result a plain form post's redirect carries.
pub fn import_result_from_query(counts: &str, lines: &str) -> Option<ImportResult> {
    let mut n = counts.split('.').map(|v| v.parse::<usize>().ok());
    let (good, bad, changes, applied, refused) =
        (n.next()??, n.next()??, n.next()??, n.next()??, n.next()??);
    let rows = lines
        .split(',')
        .filter_map(|item| {
            let (line, problem) = item.split_once(':')?;
            Some(ImportRowView {
                line: line.parse().ok()?,
                email: String::new(),
                code: String::new(),
                from: String::new(),
                to: String::new(),
                problem: Some(Reason::parse(problem)?),
            })
        })
        .collect();
    Some(ImportResult {
        rows,
        good,
        bad,
        changes,
        applied,
        refused: refused == 1,
    })
}

/// The plain-form redirect's query for an import's result (read back by
/// [`import_result_from_query`]): counts and each bad row's line and reason, never an address.
#[cfg(feature = "ssr")]
pub(super) fn import_result_url(r: &ImportResult) -> String {
    let counts = format!(
        "{}.{}.{}.{}.{}",
        r.good, r.bad, r.changes, r.applied, r.refused as u8
    );
    let lines = r
        .rows
        .iter()
        .filter_map(|row| row.problem.map(|p| format!("{}:{p}", row.line)))
        .take(IMPORT_PLAIN_MAX_LINES)
        .collect::<Vec<_>>()
        .join(",");
    crate::url::with_query(PAGE, &[("import", &counts), ("import_lines", &lines)])
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn a_plain_post_result_round_trips_through_the_url_without_addresses() {
        let r = ImportResult {
            rows: vec![ImportRowView {
                line: 3,
                email: "secret@x.se".into(),
                code: "9".into(),
                from: String::new(),
                to: String::new(),
                problem: Some(Reason::UnknownCostCenter),
            }],
            good: 4,
            bad: 1,
            changes: 2,
            applied: 0,
            refused: true,
        };
        let url = import_result_url(&r);
        assert!(!url.contains("secret"), "{url}");
        let (_, query) = url.split_once('?').unwrap();
        let get = |k: &str| {
            query
                .split('&')
                .find_map(|p| p.strip_prefix(&format!("{k}=")))
                .map(|v| v.replace("%3A", ":").replace("%2C", ","))
                .unwrap_or_default()
        };
        let back = import_result_from_query(&get("import"), &get("import_lines")).unwrap();
        assert_eq!(
            (
                back.good,
                back.bad,
                back.changes,
                back.applied,
                back.refused
            ),
            (4, 1, 2, 0, true)
        );
        assert_eq!(back.rows[0].line, 3);
        assert_eq!(back.rows[0].problem, Some(Reason::UnknownCostCenter));
    }
}
