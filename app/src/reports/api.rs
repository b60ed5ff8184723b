//! The reports domain's server functions: authorise, call the service or store, answer.

use super::model::*;
#[cfg(feature = "ssr")]
use super::{service, store};
use crate::error::AppError;
use leptos::prelude::*;
use std::collections::HashMap;

#[server(prefix = "/api", endpoint = "report_settings", input = server_fn::codec::GetUrl)]
pub async fn report_settings() -> Result<ReportSettingsView, AppError> {
    crate::answer::json(async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        if !service::may_manage(ctx.role()) {
            return Err(AppError::Forbidden);
        }
        let scope = ctx.scope();
        let (people, settings, last) = tokio::try_join!(
            store::eligible(&state.db, scope),
            store::settings(&state.db, scope),
            store::last_sent(&state.db, scope),
        )?;
        Ok(ReportSettingsView {
            people: people
                .into_iter()
                .map(|p| RecipientChoice {
                    user_id: p.user_id,
                    name: p.name,
                    email: p.email,
                    role: p.role,
                    chosen: p.chosen,
                })
                .collect(),
            // Until it is set: the language of the company's country.
            lang: settings.map(|(l, _)| l).unwrap_or_else(|| {
                use crate::{i18n::Lang, org_number::Country};
                match ctx.company().country() {
                    Country::Se => Lang::Sv,
                    Country::Fi => Lang::Fi,
                    Country::No => Lang::Nb,
                }
                .code()
                .to_owned()
            }),
            last_sent: last.map(|(m, _)| {
                let (y, m) = crate::calendar::month_of_index(m);
                format!("{y}-{m:02}")
            }),
        })
    })
    .await
}

/// Saves the report's settings: `settings[lang]` and one `settings[r-<user id>]` per chosen
/// recipient (a checkbox each, so the form works without JavaScript).
#[server(prefix = "/api", endpoint = "save_report_settings", client = crate::csrf_client::CsrfClient)]
pub async fn save_report_settings(settings: HashMap<String, String>) -> Result<(), AppError> {
    crate::answer::form("/costs/report", async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        service::save(&state.db, &ctx, &settings, crate::db::now_ts()).await
    })
    .await
}
