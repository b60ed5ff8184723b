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
        let report = service::report(&state.db, &ctx, month, members).await?;
        let mut view = format::view(
            &report,
            &ctx.company().currency,
            today,
            crate::i18n::lang_of_request(),
        );
        view.sets_up_report = matches!(
            ctx.role(),
            crate::companies::Role::Owner | crate::companies::Role::Admin
        );
        Ok(view)
    })
    .await
}
