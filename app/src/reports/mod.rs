//! The monthly cost report (`/costs/report`): owners and admins choose who gets it (active
//! owners, admins and finance viewers) and its language; on the first day of each month in
//! the company's time zone each recipient gets last month's totals per cost center and kind,
//! the change from the month before, and a link to `/costs`. Sent through the outbox by the
//! server's background job (`service::send_due`), once per company and month whatever the
//! number of instances. Settings and sends are in the audit log.

mod page;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

pub use page::ReportPage;

use std::collections::HashMap;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{companies::Role, error::AppError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientChoice {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub chosen: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSettingsView {
    pub people: Vec<RecipientChoice>,
    /// `sv` or `en`; empty when the report was never set up.
    pub lang: String,
    /// `2026-03`, the last month sent.
    pub last_sent: Option<String>,
}

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
                .filter_map(|p| {
                    Some(RecipientChoice {
                        user_id: p.user_id,
                        name: p.name,
                        email: p.email,
                        role: Role::parse(&p.role)?,
                        chosen: p.chosen,
                    })
                })
                .collect(),
            lang: settings.map(|(l, _)| l).unwrap_or_default(),
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
