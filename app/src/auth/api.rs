//! The auth domain's server functions: authorise, call the service or store, answer.

use super::model::*;
#[cfg(feature = "ssr")]
use super::{service, store, tenant::*};
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

/// What the pages know about the visitor: signed in or not, their companies, the CSRF token.
#[server(prefix = "/api", endpoint = "session", input = server_fn::codec::GetUrl)]
pub async fn current_session() -> Result<SessionView, AppError> {
    let state = crate::state::use_app_state()?;
    let Some(session) = request_session() else {
        return Ok(SessionView::default());
    };
    let user = match session.row.user_id {
        None => None,
        Some(user_id) => {
            let (email, name) = store::user_email(&state.db, user_id)
                .await?
                .ok_or(AppError::Unauthorized)?;
            let companies: Vec<CompanyChoice> =
                crate::companies::store::memberships_of(&state.db, user_id)
                    .await?
                    .into_iter()
                    .map(|m| CompanyChoice {
                        id: m.id,
                        name: m.name,
                        org_number: m.org_number,
                        role: m.role,
                    })
                    .collect();
            let current = session
                .row
                .company_id
                .and_then(|id| companies.iter().find(|c| c.id == id).cloned());
            Some(SignedInUser {
                email,
                name,
                companies,
                current,
            })
        }
    };
    Ok(SessionView {
        csrf: session.csrf,
        user,
        pending_email: session.row.pending_email,
    })
}

/// Step 1: ask for a code. Answers the same for every address ("if this address can sign
/// in, we have sent a code"); the code and the mail are made in the background.
#[server(prefix = "/api", endpoint = "request_code", client = crate::csrf_client::CsrfClient)]
pub async fn request_code(email: String) -> Result<(), AppError> {
    use crate::{companies::Email, error::Reason};
    crate::answer::form("/sign-in", async move {
        let state = crate::state::use_app_state()?;
        let session = request_session().ok_or(AppError::Forbidden)?;
        let email = Email::parse(&email).ok_or(AppError::invalid("email", Reason::NotEmail))?;
        let now = crate::db::now_ts();
        let ip = client_ip();
        service::check_send_limits(&state.db, &email, &ip, state.limits, now).await?;
        let idle = now + service::IDLE_TIMEOUT;
        store::set_pending_email(&state.db, &session.row, email.as_str(), now, idle).await?;
        let lang = crate::i18n::lang_of_request();
        let (db, key, notify, limits) = (
            state.db.clone(),
            state.key.clone(),
            state.mail_notify.clone(),
            state.limits,
        );
        // In the request's span, so its log lines carry the request's id.
        let work = async move {
            match service::issue_code_if_eligible(&db, &key, &email, limits, lang, now).await {
                Ok(true) => notify.notify_one(),
                Ok(false) => {}
                Err(_) => tracing::error!("issuing the sign-in mail failed"),
            }
        };
        tokio::spawn(tracing::Instrument::instrument(
            work,
            tracing::Span::current(),
        ));
        Ok(())
    })
    .await
}

/// Step 2: the code from the mail. On success a new session replaces the pre-session.
/// Returns where to go next.
#[server(prefix = "/api", endpoint = "verify_code", client = crate::csrf_client::CsrfClient)]
pub async fn verify_code(code: String, next: Option<String>) -> Result<String, AppError> {
    use crate::companies::Email;
    crate::answer::form("/sign-in", async move {
        let state = crate::state::use_app_state()?;
        let session = request_session().ok_or(AppError::Forbidden)?;
        let email = session
            .row
            .pending_email
            .as_deref()
            .and_then(Email::parse)
            .ok_or(AppError::InvalidCode)?;
        let now = crate::db::now_ts();
        service::check_verify_limits(&state.db, &session.row.token_hash, &email, now).await?;
        let user_id = service::verify_code(&state.db, &state.key, &email, &code, now).await?;
        let token =
            service::start_session(&state.db, Some(&session.row.token_hash), user_id, now).await?;
        set_cookie(&session_cookie(&token));
        // Back to where the sign-in started (an invitation link); `go_to` keeps it local.
        Ok(crate::answer::go_to(next.as_deref().unwrap_or("/")))
    })
    .await
}

/// Acts in another of the person's companies, under a new session id.
#[server(prefix = "/api", endpoint = "switch_company", client = crate::csrf_client::CsrfClient)]
pub async fn switch_company(company_id: Uuid) -> Result<String, AppError> {
    let page = match request_session().and_then(|s| s.row.user_id) {
        Some(_) => "/companies",
        None => "/sign-in",
    };
    crate::answer::form(page, async move {
        let state = crate::state::use_app_state()?;
        let session = request_session()
            .filter(|s| s.row.user_id.is_some())
            .ok_or(AppError::Unauthorized)?;
        let now = crate::db::now_ts();
        // Not a company of yours: the same answer as one that does not exist.
        let token = service::switch_company(&state.db, &session.row, company_id, now)
            .await?
            .ok_or(AppError::NotFound)?;
        set_cookie(&session_cookie(&token));
        Ok(crate::answer::go_to("/"))
    })
    .await
}

/// Ends the session on the server and expires the cookie.
#[server(prefix = "/api", endpoint = "sign_out", client = crate::csrf_client::CsrfClient)]
pub async fn sign_out() -> Result<String, AppError> {
    let state = crate::state::use_app_state()?;
    if let Some(session) = request_session() {
        store::delete_session(&state.db, &session.row.token_hash).await?;
        if session.row.user_id.is_some() {
            crate::metrics::sessions_ended("signed_out", 1);
        }
    }
    set_cookie(&expired_session_cookie());
    Ok(crate::answer::go_to("/sign-in"))
}
