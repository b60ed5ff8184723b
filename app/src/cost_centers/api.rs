//! The cost centers domain's server functions: authorise, call the service or store, answer.

use super::model::*;
#[cfg(feature = "ssr")]
use super::service;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::error::Reason;
use leptos::prelude::*;
use uuid::Uuid;

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
