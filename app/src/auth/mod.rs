//! Passwordless sign-in with emailed one-time codes, browser sessions, CSRF, and the company
//! switcher. The rules are `shared/security.md`; the numbers live in `service.rs`.
//!
//! How a request is authenticated: the server's session middleware (server/src/session.rs)
//! reads the `__Host-portal_session` cookie, loads the session, checks CSRF on every non-GET
//! request, and puts a [`RequestSession`] into the request's extensions. Server functions
//! read it from there ([`request_session`]) and build a [`TenantCtx`] from the database
//! ([`tenant`]) before they touch company data.

#[cfg(feature = "ssr")]
pub mod ingest;
mod pages;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

pub use pages::{use_session, CompanyPicker, SessionContext, SignInPage, UserMenu};

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{companies::Role, error::AppError};

/// The cookie that carries the session token.
pub const SESSION_COOKIE: &str = "__Host-portal_session";
/// Where the CSRF token travels; defined with the client that sends it (no arrow back up).
pub use crate::csrf_client::{CSRF_FIELD, CSRF_HEADER};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyChoice {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInUser {
    pub email: String,
    pub name: String,
    pub companies: Vec<CompanyChoice>,
    /// The company this session acts in, if one is chosen (and still a membership).
    pub current: Option<CompanyChoice>,
}

/// What the pages know about the visitor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// The CSRF token every form of this session carries.
    pub csrf: String,
    pub user: Option<SignedInUser>,
    /// During sign-in: the address a code was asked for.
    pub pending_email: Option<String>,
}

/// The session of the current request, as the middleware found it.
#[cfg(feature = "ssr")]
#[derive(Debug, Clone)]
pub struct RequestSession {
    pub row: store::SessionRow,
    /// The user's active membership in the session's company, read with the session.
    pub membership: Option<store::Membership>,
    pub csrf: String,
}

/// The client's address as the server saw it (for per-IP limits).
#[cfg(feature = "ssr")]
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

/// The client's address as the session middleware decided it (`config::client_ip`).
#[cfg(feature = "ssr")]
pub fn client_ip() -> String {
    crate::state::with_request(|p| p.extensions.get::<ClientIp>().cloned())
        .flatten()
        .map_or_else(|| "unknown".to_owned(), |c| c.0)
}

#[cfg(feature = "ssr")]
pub fn request_session() -> Option<RequestSession> {
    crate::state::with_request(|p| p.extensions.get::<RequestSession>().cloned()).flatten()
}

/// Who is acting, in which company, with which role — read from the database on every
/// request (with the session, by the middleware), never from anything the client sends.
#[cfg(feature = "ssr")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantCtx {
    user_id: Uuid,
    company_id: Uuid,
    role: Role,
    company: CompanyFacts,
}

/// What tenant-scoped pages need to know of the company, read with the role.
#[cfg(feature = "ssr")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyFacts {
    pub name: String,
    /// IANA zone, e.g. `Europe/Stockholm`.
    pub time_zone: String,
    pub currency: String,
}

#[cfg(feature = "ssr")]
impl CompanyFacts {
    /// The company's calendar. A zone the database has but this build does not know (the
    /// operator CLI only stores known ones) falls back to Stockholm, the operator's home:
    /// the one place that decides it.
    pub fn zone(&self) -> chrono_tz::Tz {
        crate::calendar::zone(&self.time_zone).unwrap_or_else(|| {
            tracing::warn!(zone = %self.time_zone, "unknown company time zone; using Europe/Stockholm");
            chrono_tz::Europe::Stockholm
        })
    }
}

#[cfg(feature = "ssr")]
impl TenantCtx {
    pub fn user_id(&self) -> Uuid {
        self.user_id
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn company(&self) -> &CompanyFacts {
        &self.company
    }

    /// The company this request may act in, for the stores (`scope.rs`). Whatever the
    /// role: which rows a role may see or change is the services' rule, on top of this.
    pub fn scope(&self) -> crate::scope::CompanyScope {
        crate::scope::CompanyScope::granted(self.company_id)
    }
}

/// An invitation link whose token belongs to a pending, unexpired invitation: holding the
/// link is the authorisation to join its company (with exactly the invited role; the
/// invitation is used up, by id and token, in the same transaction as the membership).
#[cfg(feature = "ssr")]
#[derive(Debug)]
pub struct InvitationLink {
    token_hash: Vec<u8>,
    scope: crate::scope::CompanyScope,
}

#[cfg(feature = "ssr")]
impl InvitationLink {
    /// `None` for a malformed token or one that no pending invitation has now.
    pub async fn open(
        db: &crate::db::Db,
        token: &str,
        now: i64,
    ) -> Result<Option<InvitationLink>, sqlx::Error> {
        let Some(token_hash) = crate::crypto::parse_token(token) else {
            return Ok(None);
        };
        Ok(store::pending_invitation_company(db, &token_hash, now)
            .await?
            .map(|company_id| InvitationLink {
                token_hash,
                scope: crate::scope::CompanyScope::granted(company_id),
            }))
    }

    pub fn token_hash(&self) -> &[u8] {
        &self.token_hash
    }

    pub fn scope(&self) -> crate::scope::CompanyScope {
        self.scope
    }
}

/// The operator's own door: its tools act for any company they name. Held by the server's
/// command line (`portal company …`, the demo generator) — code that runs with the
/// database's credentials and so is the operator already — never by a request from a
/// browser. The signed ingestion API of the back office will hold one too.
#[cfg(feature = "ssr")]
#[derive(Debug)]
pub struct OperatorAccess(());

#[cfg(feature = "ssr")]
impl OperatorAccess {
    /// For the server's command line and its demo generator.
    pub fn command_line() -> Self {
        OperatorAccess(())
    }

    pub fn scope(&self, company_id: Uuid) -> crate::scope::CompanyScope {
        crate::scope::CompanyScope::granted(company_id)
    }
}

/// The tenant of the current request: 401 without a signed-in session, 403 without a
/// company (or when the membership is gone: a removed member's session stops at once).
/// The membership was read with the session at the start of this request, in the same
/// statement (`store::find_session`), so this costs no further query.
///
/// The front desk is refused here (403): its sessions see only the front desk, which asks
/// for [`front_desk`] instead. So every server function is closed to the role unless it says
/// otherwise.
#[cfg(feature = "ssr")]
pub async fn tenant() -> Result<TenantCtx, AppError> {
    let ctx = any_tenant()?;
    if ctx.role == Role::FrontDesk {
        return Err(AppError::Forbidden);
    }
    Ok(ctx)
}

/// The tenant of a front-desk server function: the front desk, owners and admins
/// ([`Role::uses_front_desk`]); 403 for everyone else.
#[cfg(feature = "ssr")]
pub async fn front_desk() -> Result<TenantCtx, AppError> {
    let ctx = any_tenant()?;
    if !ctx.role.uses_front_desk() {
        return Err(AppError::Forbidden);
    }
    Ok(ctx)
}

#[cfg(feature = "ssr")]
fn any_tenant() -> Result<TenantCtx, AppError> {
    let session = request_session().ok_or(AppError::Unauthorized)?;
    let user_id = session.row.user_id.ok_or(AppError::Unauthorized)?;
    let company_id = session.row.company_id.ok_or(AppError::Forbidden)?;
    TenantCtx::new(
        user_id,
        company_id,
        session.membership.ok_or(AppError::Forbidden)?,
    )
}

#[cfg(feature = "ssr")]
impl TenantCtx {
    /// The context of `user_id` acting in `company_id`, with the role as the database has it
    /// now; 403 without an active membership.
    pub async fn from_database(
        db: &crate::db::Db,
        user_id: Uuid,
        company_id: Uuid,
    ) -> Result<TenantCtx, AppError> {
        let membership = store::role_in(db, user_id, company_id)
            .await?
            .ok_or(AppError::Forbidden)?;
        Self::new(user_id, company_id, membership)
    }

    fn new(user_id: Uuid, company_id: Uuid, m: store::Membership) -> Result<TenantCtx, AppError> {
        Ok(TenantCtx {
            user_id,
            company_id,
            role: Role::parse(&m.role).ok_or(AppError::Forbidden)?,
            company: CompanyFacts {
                name: m.name,
                time_zone: m.time_zone,
                currency: m.currency,
            },
        })
    }
}

#[cfg(feature = "ssr")]
pub fn session_cookie(token: &str) -> String {
    format!("{SESSION_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=None; Partitioned")
}

#[cfg(feature = "ssr")]
pub fn expired_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=None; Partitioned; Max-Age=0")
}

/// Sets the session cookie for a new session token on the current response.
#[cfg(feature = "ssr")]
pub fn set_session_cookie(token: &str) {
    set_cookie(&session_cookie(token));
}

#[cfg(feature = "ssr")]
fn set_cookie(value: &str) {
    if let (Some(opts), Ok(v)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        axum::http::HeaderValue::from_str(value),
    ) {
        opts.append_header(axum::http::header::SET_COOKIE, v);
    }
}

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
                    .map(|(id, name, role)| CompanyChoice { id, name, role })
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
        tokio::spawn(async move {
            match service::issue_code_if_eligible(&db, &key, &email, limits, lang, now).await {
                Ok(true) => notify.notify_one(),
                Ok(false) => {}
                Err(_) => tracing::error!("issuing the sign-in mail failed"),
            }
        });
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
    }
    set_cookie(&expired_session_cookie());
    Ok(crate::answer::go_to("/sign-in"))
}
