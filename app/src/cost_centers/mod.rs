//! Cost centers (Swedish *kostnadsställen*) at `/cost-centers`: create (a code unique in the
//! company, a name), rename, archive and restore; each member's default, set from the member
//! list or in bulk from a CSV file (`email;cost_center_code`, preview, then apply all or
//! nothing). Owners and admins manage; finance viewers read. Every change is in the audit log.
//!
//! The table and the memberships' defaults live in `companies` (its store holds their SQL);
//! this folder is the page, the server functions and the rules (`service.rs`).

mod page;
#[cfg(feature = "ssr")]
pub mod service;

pub use page::CostCentersPage;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{AppError, Reason};

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

#[server(prefix = "/api", endpoint = "cost_centers", input = server_fn::codec::GetUrl)]
pub async fn list_cost_centers() -> Result<CostCenterList, AppError> {
    crate::answer::json(async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        if !ctx.role().sees_company_records() {
            return Err(AppError::Forbidden);
        }
        let (entries, guest_cost_center) = tokio::try_join!(
            crate::companies::store::cost_center_entries(&state.db, ctx.scope()),
            crate::frontdesk::store::guest_cost_center(&state.db, ctx.scope()),
        )?;
        Ok(CostCenterList {
            centers: entries
                .into_iter()
                .map(|e| CostCenterView {
                    id: e.id,
                    code: e.code,
                    name: e.name,
                    archived: e.archived_at.is_some(),
                    members: e.members,
                })
                .collect(),
            can_manage: service::may_manage(ctx.role()),
            guest_cost_center,
        })
    })
    .await
}

#[server(prefix = "/api", endpoint = "create_cost_center", client = crate::csrf_client::CsrfClient)]
pub async fn create_cost_center(code: String, name: String) -> Result<(), AppError> {
    crate::answer::form(PAGE, async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        service::create(&state.db, &ctx, &code, &name, crate::db::now_ts()).await?;
        Ok(())
    })
    .await
}

#[server(prefix = "/api", endpoint = "rename_cost_center", client = crate::csrf_client::CsrfClient)]
pub async fn rename_cost_center(id: Uuid, name: String) -> Result<(), AppError> {
    crate::answer::form(PAGE, async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        service::rename(&state.db, &ctx, id, &name, crate::db::now_ts()).await
    })
    .await
}

/// Archives (`archive` = `true`) or restores (`false`) a cost center.
#[server(prefix = "/api", endpoint = "archive_cost_center", client = crate::csrf_client::CsrfClient)]
pub async fn archive_cost_center(id: Uuid, archive: String) -> Result<(), AppError> {
    crate::answer::form(PAGE, async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        let archive = match archive.as_str() {
            "true" => true,
            "false" => false,
            _ => return Err(AppError::invalid("archive", Reason::Unknown)),
        };
        service::set_archived(&state.db, &ctx, id, archive, crate::db::now_ts()).await
    })
    .await
}

/// Sets a member's default cost center (`cost_center` empty: none), from the member list.
/// `back` is the list the person was on, where a plain form post returns to.
#[server(prefix = "/api", endpoint = "set_default_cost_center", client = crate::csrf_client::CsrfClient)]
pub async fn set_default_cost_center(
    user_id: Uuid,
    cost_center: String,
    back: Option<String>,
) -> Result<(), AppError> {
    let back = back
        .as_deref()
        .and_then(crate::url::local_path)
        .filter(|b| *b == "/members" || b.starts_with("/members?"))
        .unwrap_or("/members")
        .to_owned();
    crate::answer::form(&back, async {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        let cc = match cost_center.trim() {
            "" => None,
            id => Some(
                Uuid::parse_str(id)
                    .map_err(|_| AppError::invalid("cost_center", Reason::UnknownCostCenter))?,
            ),
        };
        service::set_default(&state.db, &ctx, user_id, cc, crate::db::now_ts()).await?;
        crate::answer::go_to(&back);
        Ok(())
    })
    .await
}

/// Previews a defaults file (`apply` empty), or applies it (`apply` = `yes`) when every row
/// is valid. Without JavaScript the result travels in the redirect's query (counts and the
/// bad lines' numbers and reasons, never the addresses).
#[server(prefix = "/api", endpoint = "import_cost_center_defaults", client = crate::csrf_client::CsrfClient)]
pub async fn import_defaults(csv: String, apply: Option<String>) -> Result<ImportResult, AppError> {
    crate::answer::form(PAGE, async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        if csv.len() > IMPORT_MAX_BYTES {
            return Err(AppError::invalid("csv", Reason::TooLarge));
        }
        let rows = crate::csv_io::read::parse(&csv).map_err(|e| {
            use crate::csv_io::read::CsvError;
            AppError::invalid(
                "csv",
                match e {
                    CsvError::Empty => Reason::Empty,
                    CsvError::NoEmailColumn => Reason::NoEmailColumn,
                    CsvError::UnclosedQuote(_) => Reason::UnclosedQuote,
                },
            )
        })?;
        if rows.len() > IMPORT_MAX_ROWS {
            return Err(AppError::invalid("csv", Reason::TooManyRows));
        }
        let apply = apply.as_deref() == Some("yes");
        let r =
            service::import_defaults(&state.db, &ctx, &rows, apply, crate::db::now_ts()).await?;
        if crate::answer::is_plain_form_post() {
            crate::answer::redirect_locally(&import_result_url(&r));
        }
        Ok(r)
    })
    .await
}

#[cfg(feature = "ssr")]
fn import_result_url(r: &ImportResult) -> String {
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

/// The cost center guests' sessions are billed to (`cost_center` empty: none), set by owners
/// and admins here; the rules are the front desk's (`frontdesk::service`).
#[server(prefix = "/api", endpoint = "set_guest_cost_center", client = crate::csrf_client::CsrfClient)]
pub async fn set_guest_cost_center(cost_center: String) -> Result<(), AppError> {
    crate::answer::form(PAGE, async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        crate::frontdesk::service::set_guest_cost_center(
            &state.db,
            &ctx,
            &cost_center,
            crate::db::now_ts(),
        )
        .await
    })
    .await
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
