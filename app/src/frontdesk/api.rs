//! The front desk domain's server functions: authorise, call the service or store, answer.

use super::model::*;
#[cfg(feature = "ssr")]
use super::service;
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

/// Today's guests and the members parked now (polled by the page); with `choices`, also the
/// facilities the registration form offers (the page asks for them once).
#[server(prefix = "/api", endpoint = "front_desk", input = server_fn::codec::GetUrl)]
pub async fn front_desk_today(choices: bool) -> Result<TodayView, AppError> {
    crate::answer::json(async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::front_desk().await?;
        service::today(
            &state.db,
            &ctx,
            crate::db::now_ts(),
            choices,
            crate::i18n::lang_of_request(),
        )
        .await
    })
    .await
}

/// Registers a guest. `until` is `today` (default), `2h`, `4h`, `tomorrow` or `other` (then
/// `until_at`, `YYYY-MM-DDTHH:MM` in the company's time zone). Returns the page to show: the
/// confirmation of this permit (`/frontdesk?registered=<id>`).
#[server(prefix = "/api", endpoint = "register_guest", client = crate::csrf_client::CsrfClient)]
pub async fn register_guest(
    plate: String,
    visitor_name: String,
    host: String,
    facility: String,
    until: String,
    until_at: Option<String>,
) -> Result<String, AppError> {
    crate::answer::form(PAGE, async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::front_desk().await?;
        let form = service::GuestForm {
            plate: &plate,
            visitor_name: &visitor_name,
            host: &host,
            facility: &facility,
            until: &until,
            until_at: until_at.as_deref().unwrap_or(""),
        };
        let id = service::register(&state.db, &ctx, &form, crate::db::now_ts()).await?;
        state.permits_notify.notify_one();
        Ok(crate::answer::go_to(&format!("{PAGE}?registered={id}")))
    })
    .await
}

/// Extends a live permit: `by` is `1h`, `2h` (from its current end), `today` or `tomorrow`
/// (to 23:59 of that day).
#[server(prefix = "/api", endpoint = "extend_guest", client = crate::csrf_client::CsrfClient)]
pub async fn extend_guest(id: Uuid, by: String) -> Result<(), AppError> {
    crate::answer::form(PAGE, async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::front_desk().await?;
        service::extend(&state.db, &ctx, id, &by, crate::db::now_ts()).await?;
        state.permits_notify.notify_one();
        crate::answer::go_to(PAGE);
        Ok(())
    })
    .await
}

/// Ends a live permit now.
#[server(prefix = "/api", endpoint = "cancel_guest", client = crate::csrf_client::CsrfClient)]
pub async fn cancel_guest(id: Uuid) -> Result<(), AppError> {
    crate::answer::form(PAGE, async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::front_desk().await?;
        service::cancel(&state.db, &ctx, id, crate::db::now_ts()).await?;
        state.permits_notify.notify_one();
        crate::answer::go_to(PAGE);
        Ok(())
    })
    .await
}
