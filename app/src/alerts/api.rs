//! The alerts domain's server functions: authorise, call the service, answer.

#[cfg(feature = "ssr")]
use super::service;
use super::NoticesView;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The caller's notices (`before`: a page's end, empty for the newest) and their choices.
#[server(prefix = "/api", endpoint = "notices", input = server_fn::codec::GetUrl)]
pub async fn notices(before: String) -> Result<NoticesView, AppError> {
    crate::answer::json(async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        service::view(&state.db, &ctx, crate::i18n::lang_of_request(), &before).await
    })
    .await
}

/// The header's count of unread notices (0 for a role that gets none).
#[server(prefix = "/api", endpoint = "unread_notices", input = server_fn::codec::GetUrl)]
pub async fn unread_notices() -> Result<i64, AppError> {
    crate::answer::json(async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        service::unread(&state.db, &ctx).await
    })
    .await
}

/// Marks all of the caller's notices read.
#[server(prefix = "/api", endpoint = "mark_notices_read", client = crate::csrf_client::CsrfClient)]
pub async fn mark_notices_read() -> Result<String, AppError> {
    crate::answer::form("/notices", async {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        service::mark_read(&state.db, &ctx, crate::db::now_ts()).await?;
        Ok(crate::answer::go_to("/notices"))
    })
    .await
}

/// Saves the caller's choices: `choices[policy]`, `choices[overstay]`, `choices[budget]`,
/// each `off`, `portal`, `immediate` or `digest`.
#[server(prefix = "/api", endpoint = "save_alert_settings", client = crate::csrf_client::CsrfClient)]
pub async fn save_alert_settings(choices: HashMap<String, String>) -> Result<String, AppError> {
    crate::answer::form("/notices", async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        service::save_settings(&state.db, &ctx, &choices, crate::i18n::lang_of_request()).await?;
        Ok(crate::answer::go_to("/notices?saved=1"))
    })
    .await
}

/// What an unsubscribe link is about, for its page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnsubscribeView {
    pub company: String,
    pub email: String,
    pub kind: super::Kind,
}

/// Checks an unsubscribe link (no sign-in: the link is signed by the server).
#[server(prefix = "/api", endpoint = "unsubscribe_link", input = server_fn::codec::GetUrl)]
pub async fn unsubscribe_link(
    c: String,
    u: String,
    k: String,
    s: String,
) -> Result<UnsubscribeView, AppError> {
    crate::answer::json(async move {
        let state = crate::state::use_app_state()?;
        let link = service::check_unsubscribe(&state.db, &state.key, &c, &u, &k, &s).await?;
        Ok(UnsubscribeView {
            company: link.company,
            email: link.email,
            kind: link.kind,
        })
    })
    .await
}

/// Stops one kind of alert mail for the link's person (the notices stay in the portal).
#[server(prefix = "/api", endpoint = "unsubscribe", client = crate::csrf_client::CsrfClient)]
pub async fn unsubscribe(c: String, u: String, k: String, s: String) -> Result<String, AppError> {
    let back = crate::url::with_query(
        "/notices/unsubscribe",
        &[("c", &c), ("u", &u), ("k", &k), ("s", &s)],
    );
    crate::answer::form(&back, async {
        let state = crate::state::use_app_state()?;
        let link = service::check_unsubscribe(&state.db, &state.key, &c, &u, &k, &s).await?;
        service::unsubscribe(&state.db, &link, crate::i18n::lang_of_request()).await?;
        Ok(crate::answer::go_to(&crate::url::with_query(
            &back,
            &[("done", "1")],
        )))
    })
    .await
}
