//! Who is asking (server only): the request's session as the middleware found it, the
//! tenant context a server function builds from the database ([`tenant`], [`front_desk`]),
//! the three grants of a [`crate::scope::CompanyScope`] (`TenantCtx::scope`,
//! [`InvitationLink`], [`OperatorAccess`]) and the session cookie.

use leptos::prelude::*;
use uuid::Uuid;

use super::{store, SESSION_COOKIE};
use crate::{companies::Role, error::AppError};

/// The session of the current request, as the middleware found it.
#[derive(Debug, Clone)]
pub struct RequestSession {
    pub row: store::SessionRow,
    /// The user's active membership in the session's company, read with the session.
    pub membership: Option<store::Membership>,
    pub csrf: String,
}

/// The client's address as the server saw it (for per-IP limits).
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

/// The client's address as the session middleware decided it (`config::client_ip`).
pub fn client_ip() -> String {
    crate::state::with_request(|p| p.extensions.get::<ClientIp>().cloned())
        .flatten()
        .map_or_else(|| "unknown".to_owned(), |c| c.0)
}

pub fn request_session() -> Option<RequestSession> {
    crate::state::with_request(|p| p.extensions.get::<RequestSession>().cloned()).flatten()
}

/// Who is acting, in which company, with which role — read from the database on every
/// request (with the session, by the middleware), never from anything the client sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantCtx {
    user_id: Uuid,
    company_id: Uuid,
    role: Role,
    company: CompanyFacts,
}

/// What tenant-scoped pages need to know of the company, read with the role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyFacts {
    pub name: String,
    /// As its country writes it (`crate::org_number`).
    pub org_number: String,
    /// IANA zone, e.g. `Europe/Stockholm`.
    pub time_zone: String,
    pub currency: String,
}

impl CompanyFacts {
    /// The company's country, from its organisation number's shape (Sweden for a number of
    /// no known shape, which only data from before the shapes were checked can hold).
    pub fn country(&self) -> crate::org_number::Country {
        crate::org_number::Country::of(&self.org_number).unwrap_or(crate::org_number::Country::Se)
    }

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
#[derive(Debug)]
pub struct InvitationLink {
    token_hash: Vec<u8>,
    scope: crate::scope::CompanyScope,
}

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
#[derive(Debug)]
pub struct OperatorAccess(pub(super) ());

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
pub async fn tenant() -> Result<TenantCtx, AppError> {
    let ctx = any_tenant()?;
    if ctx.role == Role::FrontDesk {
        return Err(AppError::Forbidden);
    }
    Ok(ctx)
}

/// The tenant of a front-desk server function: the front desk, owners and admins
/// ([`Role::uses_front_desk`]); 403 for everyone else.
pub async fn front_desk() -> Result<TenantCtx, AppError> {
    let ctx = any_tenant()?;
    if !ctx.role.uses_front_desk() {
        return Err(AppError::Forbidden);
    }
    Ok(ctx)
}

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
            role: m.role,
            company: CompanyFacts {
                name: m.name,
                org_number: m.org_number,
                time_zone: m.time_zone,
                currency: m.currency,
            },
        })
    }
}

pub fn session_cookie(token: &str) -> String {
    format!("{SESSION_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=None; Partitioned")
}

pub fn expired_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=None; Partitioned; Max-Age=0")
}

/// Sets the session cookie for a new session token on the current response.
pub fn set_session_cookie(token: &str) {
    set_cookie(&session_cookie(token));
}

pub(super) fn set_cookie(value: &str) {
    if let (Some(opts), Ok(v)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        axum::http::HeaderValue::from_str(value),
    ) {
        opts.append_header(axum::http::header::SET_COOKIE, v);
    }
}
