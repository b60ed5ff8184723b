//! The costs domain's server functions: authorise, call the service or store, answer.

use super::model::*;
#[cfg(feature = "ssr")]
use super::{format, service};
use crate::error::AppError;
use leptos::prelude::*;

/// The cost page's figures for a month.
#[server(prefix = "/api", endpoint = "costs", input = server_fn::codec::GetUrl)]
pub async fn cost_report(query: CostsQuery) -> Result<CostsView, AppError> {
    crate::answer::json(async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        let today = service::today(&ctx, crate::db::now_ts());
        let month = service::resolve_month(&query, today)?;
        let members = match query.members.trim() {
            "" => service::Members::Leading,
            "all" => service::Members::All,
            _ => return Err(AppError::invalid("members", crate::error::Reason::Unknown)),
        };
        let lang = crate::i18n::lang_of_request();
        let now = crate::db::now_ts();
        let ctx_ = &ctx;
        // The report and its budgets from one database, so that both are of one moment.
        let mut view = state
            .read(|db| async move {
                let report = service::report(&db, ctx_, month, members).await?;
                let mut view = format::view(&report, &ctx_.company().currency, today, lang);
                super::budget::complete_view(&db, ctx_, &report, &mut view, lang, now).await?;
                Ok::<_, AppError>(view)
            })
            .await?;
        view.sets_up_report = matches!(
            ctx.role(),
            crate::companies::Role::Owner | crate::companies::Role::Admin
        );
        Ok(view)
    })
    .await
}

/// Sets the monthly budget of the company (`cost_center` empty) or of a cost center, or
/// removes it (`amount` empty). Owners and admins.
#[server(prefix = "/api", endpoint = "save_budget", client = crate::csrf_client::CsrfClient)]
pub async fn save_budget(
    cost_center: String,
    amount: String,
    #[server(default)] back: String,
) -> Result<String, AppError> {
    // Back to the month the form was on (a path of /costs only, never elsewhere).
    let back = if back.starts_with("/costs?") || back == "/costs" {
        back
    } else {
        "/costs".to_owned()
    };
    crate::answer::form(&back, async {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        super::budget::save(&state.db, &ctx, &cost_center, &amount, crate::db::now_ts()).await?;
        Ok(crate::answer::go_to(&back))
    })
    .await
}
