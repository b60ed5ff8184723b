//! Who may do what to whom (the role table of shared/security.md), as plain functions on a
//! [`TenantCtx`]. No SQL here: the stores hold it. Each change, its audit entry and its mail
//! go into one transaction ([`crate::db::Tx`]) that commits them together.

use uuid::Uuid;

use super::store;
use crate::{
    audit::{
        store::{self as audit, details, NewAuditEntry},
        AuditAction,
    },
    auth::TenantCtx,
    companies::{
        store::{self as companies, IfActive, NewMembership},
        Email, Role,
    },
    crypto,
    db::{Db, Tx},
    error::{AppError, Reason},
    i18n::Lang,
    mail::{store as outbox, templates},
};

pub const INVITATION_LIFETIME: i64 = 7 * 86_400;
/// Invitations one company may send per 24 hours (a resend counts).
pub const INVITATIONS_PER_COMPANY_PER_DAY: i64 = 500;

pub use super::{manageable_roles, may_manage};

/// Owners, admins and finance viewers see the member list; members do not.
pub fn may_view_members(role: Role) -> bool {
    role.sees_company_records()
}

/// Appends the actor's audit entry to the change's transaction.
async fn audit(
    tx: &mut Tx,
    ctx: &TenantCtx,
    action: AuditAction,
    subject: Option<Uuid>,
    details: String,
    now: i64,
) -> Result<(), sqlx::Error> {
    let entry = NewAuditEntry {
        actor: Some(ctx.user_id()),
        action,
        subject,
        details,
        at: now,
    };
    audit::append(tx, ctx.scope(), &entry).await
}

/// The actor's company (for the invitation mail).
async fn own_company(
    db: &Db,
    ctx: &TenantCtx,
) -> Result<crate::companies::store::CompanyRow, AppError> {
    companies::company(db, ctx.scope())
        .await?
        .ok_or(AppError::NotFound)
}

/// How the invitation mail names the inviter: their name as set in the app, else their address.
async fn inviter_name(db: &Db, ctx: &TenantCtx) -> Result<String, AppError> {
    let (email, name) = crate::auth::store::user_email(db, ctx.user_id())
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(if name.is_empty() { email } else { name })
}

pub struct NewInvitation {
    pub email: Email,
    pub role: Role,
    pub default_cost_center_id: Option<Uuid>,
}

/// Invites one person. Returns the invitation id. The link's token exists only in the mail.
pub async fn invite(
    db: &Db,
    ctx: &TenantCtx,
    inv: &NewInvitation,
    public_url: &str,
    lang: Lang,
    now: i64,
) -> Result<Uuid, AppError> {
    if manageable_roles(ctx.role()).is_empty() {
        return Err(AppError::Forbidden);
    }
    if !may_manage(ctx.role(), inv.role) {
        // Yours, but not allowed: 403 (shared/security.md, "Tenants and roles").
        return Err(AppError::Forbidden);
    }
    if let Some(cc) = inv.default_cost_center_id {
        let ok = companies::cost_centers(db, ctx.scope())
            .await?
            .iter()
            .any(|c| c.id == cc);
        if !ok {
            return Err(AppError::invalid("cost_center", Reason::UnknownCostCenter));
        }
    }
    let (already_member, already_invited) =
        store::member_or_invited(db, ctx.scope(), inv.email.as_str(), now).await?;
    if already_member {
        return Err(AppError::invalid("email", Reason::AlreadyMember));
    }
    if already_invited {
        return Err(AppError::invalid("email", Reason::AlreadyInvited));
    }
    let facts = InviteFacts::load(db, ctx).await?;
    send_invitation(db, ctx, &facts, inv, public_url, lang, now).await
}

/// What every invitation mail of one actor needs, loaded once per call (a bulk import of
/// 5,000 rows loads it once, not 5,000 times).
struct InviteFacts {
    company_name: String,
    inviter: String,
}

impl InviteFacts {
    async fn load(db: &Db, ctx: &TenantCtx) -> Result<InviteFacts, AppError> {
        Ok(InviteFacts {
            company_name: own_company(db, ctx).await?.name,
            inviter: inviter_name(db, ctx).await?,
        })
    }
}

/// Writes one checked invitation with its mail and audit entry, within the daily budget.
async fn send_invitation(
    db: &Db,
    ctx: &TenantCtx,
    facts: &InviteFacts,
    inv: &NewInvitation,
    public_url: &str,
    lang: Lang,
    now: i64,
) -> Result<Uuid, AppError> {
    check_invite_budget(db, ctx, now).await?;
    let email = inv.email.as_str();
    let id = Uuid::new_v4();
    let (token, hash) = crypto::new_token();
    let link = format!("{public_url}/invite/{token}");
    let mail = templates::invitation(
        lang,
        email,
        &facts.company_name,
        &facts.inviter,
        inv.role,
        &link,
    );
    let row = store::NewInvitationRow {
        id,
        email,
        role: inv.role,
        inviter: ctx.user_id(),
        default_cost_center_id: inv.default_cost_center_id,
        token_hash: &hash,
        expires_at: now + INVITATION_LIFETIME,
    };
    let mut tx = db.begin().await?;
    // A live invitation of this address stays, and the unique index refuses whoever comes
    // second in a race (the transaction is dropped, so nothing of it remains).
    if !store::insert_invitation(&mut tx, ctx.scope(), &row, now).await? {
        return Err(AppError::invalid("email", Reason::AlreadyInvited));
    }
    outbox::enqueue(&mut tx, &mail, "invitation", Some(id), now).await?;
    let what = details(&[("email", email), ("role", inv.role.as_str())]);
    audit(&mut tx, ctx, AuditAction::InvitationSent, None, what, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Reserves one invitation of the company's daily budget, atomically (`auth::store::reserve`):
/// parallel requests cannot overdraw it.
async fn check_invite_budget(db: &Db, ctx: &TenantCtx, now: i64) -> Result<(), AppError> {
    use crate::auth::service::{spend_company_budgets, CompanyBudget};
    let budget = CompanyBudget {
        name: "invite:company",
        window: 86_400,
        max: INVITATIONS_PER_COMPANY_PER_DAY,
    };
    spend_company_budgets(db, ctx.scope().company_id(), &[budget], now).await
}

/// The invitation of this company, if it is one the actor may manage.
async fn manageable_invitation(
    db: &Db,
    ctx: &TenantCtx,
    id: Uuid,
) -> Result<(String, Role, String), AppError> {
    let inv = store::invitation(db, ctx.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let role = inv.role;
    if !may_manage(ctx.role(), role) {
        return Err(AppError::Forbidden);
    }
    Ok((inv.email, role, inv.status))
}

/// Sends the invitation again with a new link (the old one stops working) and 7 more days.
pub async fn resend(
    db: &Db,
    ctx: &TenantCtx,
    id: Uuid,
    public_url: &str,
    lang: Lang,
    now: i64,
) -> Result<(), AppError> {
    let (email, role, status) = manageable_invitation(db, ctx, id).await?;
    if status != "pending" {
        return Err(AppError::invalid("invitation", Reason::NotPending));
    }
    check_invite_budget(db, ctx, now).await?;
    let company = own_company(db, ctx).await?;
    let inviter = inviter_name(db, ctx).await?;
    let (token, hash) = crypto::new_token();
    let mail = templates::invitation(
        lang,
        &email,
        &company.name,
        &inviter,
        role,
        &format!("{public_url}/invite/{token}"),
    );
    let expires_at = now + INVITATION_LIFETIME;
    let mut tx = db.begin().await?;
    // Whoever sends it again vouches for it now: accepting re-checks this inviter.
    store::renew_invitation(&mut tx, ctx.scope(), id, &hash, expires_at, ctx.user_id()).await?;
    outbox::enqueue(&mut tx, &mail, "invitation", Some(id), now).await?;
    let what = details(&[("email", &email)]);
    audit(&mut tx, ctx, AuditAction::InvitationResent, None, what, now).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn cancel(db: &Db, ctx: &TenantCtx, id: Uuid, now: i64) -> Result<(), AppError> {
    let (email, _, status) = manageable_invitation(db, ctx, id).await?;
    if status != "pending" {
        return Err(AppError::invalid("invitation", Reason::NotPending));
    }
    let mut tx = db.begin().await?;
    store::cancel_invitation(&mut tx, ctx.scope(), id).await?;
    let what = details(&[("email", &email)]);
    audit(
        &mut tx,
        ctx,
        AuditAction::InvitationCancelled,
        None,
        what,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Why an invitation link cannot be accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcceptError {
    /// No such link, or it was resent (rotated), cancelled, used or has expired.
    NotValid,
    /// Signed in as someone else: the invitation is for this address.
    WrongAccount { invited: String },
    /// Already an active member of the company: accepting would replace (perhaps lower) the
    /// membership, so nothing changes (shared/security.md, "Invariants").
    AlreadyMember,
    /// The database failed (`Internal`, or `Unavailable` while it cannot be reached).
    Db(AppError),
}

/// How the pages hear of it: a link that is not (or no longer) valid is "not found"; the
/// invited address, not yours, is "not allowed"; nothing else is said.
impl From<AcceptError> for AppError {
    fn from(e: AcceptError) -> Self {
        match e {
            AcceptError::NotValid => AppError::NotFound,
            AcceptError::WrongAccount { .. } => AppError::Forbidden,
            AcceptError::AlreadyMember => AppError::invalid("invitation", Reason::AlreadyMember),
            AcceptError::Db(e) => e,
        }
    }
}

impl From<sqlx::Error> for AcceptError {
    fn from(e: sqlx::Error) -> Self {
        AcceptError::Db(AppError::from(e))
    }
}

/// Accepts an invitation as `user_id`, whose address must be the invited one. In one
/// transaction the invitation is used up (exactly once, however many try) and the membership
/// gets exactly the invited role in exactly the inviting company. Returns that company.
/// Never lowers or replaces an active membership (an owner clicking an old "join as member"
/// link stays owner, and the company never loses its last owner this way), and re-checks
/// that the inviter is still an active member who may grant the role: a removed or demoted
/// admin's invitations stop working.
pub async fn accept(db: &Db, token: &str, user_id: Uuid, now: i64) -> Result<Uuid, AcceptError> {
    let link = crate::auth::InvitationLink::open(db, token, now)
        .await?
        .ok_or(AcceptError::NotValid)?;
    let inv = store::invitation_by_token(db, link.token_hash())
        .await?
        .ok_or(AcceptError::NotValid)?;
    let (email, _) = crate::auth::store::user_email(db, user_id)
        .await?
        .ok_or(AcceptError::NotValid)?;
    if email != inv.email {
        return Err(AcceptError::WrongAccount { invited: inv.email });
    }
    let scope = link.scope();
    let mut tx = db.begin().await?;
    if !store::use_invitation(&mut tx, scope, inv.id, link.token_hash(), now).await? {
        return Err(AcceptError::NotValid);
    }
    // No inviter on record (older rows): nobody vouches for it, so it is not valid.
    let inviter_role = match inv.inviter_user_id {
        Some(inviter) => store::active_role(&mut tx, scope, inviter).await?,
        None => None,
    };
    let role = inv.role;
    let may_grant = matches!(inviter_role, Some(by) if may_manage(by, role));
    if !may_grant {
        return Err(AcceptError::NotValid);
    }
    let membership = NewMembership {
        user_id,
        role,
        default_cost_center_id: inv.default_cost_center_id,
        invited_email: Email::parse(&inv.email),
    };
    // An active membership is left exactly as it is (and the invitation stays unused: the
    // transaction is dropped).
    if !companies::upsert_membership(&mut tx, scope, &membership, IfActive::Keep, now).await? {
        return Err(AcceptError::AlreadyMember);
    }
    // A membership that comes back (they were removed, or left and kept their session to pick
    // another company) comes back under the invited role: no old session of theirs in this
    // company may carry on under it (a reception tablet's cookie must not become an admin's).
    // The accepting device goes on under a new session id (`api::accept_invitation`).
    crate::auth::store::end_sessions_in(&mut tx, scope, user_id).await?;
    let entry = NewAuditEntry {
        actor: Some(user_id),
        action: AuditAction::InvitationAccepted,
        subject: Some(user_id),
        details: details(&[("email", &inv.email), ("role", inv.role.as_str())]),
        at: now,
    };
    audit::append(&mut tx, scope, &entry).await?;
    tx.commit().await?;
    Ok(scope.company_id())
}

/// The target's active role in the actor's company, or 404.
async fn target_role(db: &Db, ctx: &TenantCtx, user_id: Uuid) -> Result<Role, AppError> {
    match store::active_role(db, ctx.scope(), user_id).await? {
        Some(role) => Ok(role),
        None => Err(AppError::NotFound),
    }
}

/// Changes a member's role (owner only; ownership itself moves by transfer, not here).
pub async fn change_role(
    db: &Db,
    ctx: &TenantCtx,
    user_id: Uuid,
    role: Role,
    now: i64,
) -> Result<(), AppError> {
    let current = target_role(db, ctx, user_id).await?;
    if ctx.role() != Role::Owner {
        return Err(AppError::Forbidden);
    }
    if !may_manage(ctx.role(), current) || !may_manage(ctx.role(), role) {
        return Err(AppError::Forbidden);
    }
    let mut tx = db.begin().await?;
    store::set_role(&mut tx, ctx.scope(), user_id, role).await?;
    // A role change ends the member's sessions in this company: the next request signs in
    // afresh under a new session id (security.md: a new id on every role change; their
    // cookie cannot be rotated from someone else's request).
    crate::auth::store::end_sessions_in(&mut tx, ctx.scope(), user_id).await?;
    let change = details(&[("from", current.as_str()), ("to", role.as_str())]);
    audit(
        &mut tx,
        ctx,
        AuditAction::MemberRoleChanged,
        Some(user_id),
        change,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes someone from the company (or, when `user_id` is the actor, leaves it). The last
/// owner can never go. Their sessions in this company end at once.
pub async fn remove(db: &Db, ctx: &TenantCtx, user_id: Uuid, now: i64) -> Result<(), AppError> {
    let target = target_role(db, ctx, user_id).await?;
    let leaving = user_id == ctx.user_id();
    if !leaving && !may_manage(ctx.role(), target) {
        return Err(AppError::Forbidden);
    }
    let mut tx = db.begin().await?;
    if !store::remove_member(&mut tx, ctx.scope(), user_id).await? {
        return Err(AppError::invalid("member", Reason::LastOwner));
    }
    if !leaving {
        // Their sessions in this company end now, rows and all: a later invitation of the
        // same address must never revive an old cookie (a reception tablet's, say) under a
        // new role. (One who leaves keeps their session to pick another company.)
        crate::auth::store::end_sessions_in(&mut tx, ctx.scope(), user_id).await?;
    }
    let action = if leaving {
        AuditAction::MemberLeft
    } else {
        AuditAction::MemberRemoved
    };
    let what = details(&[("role", target.as_str())]);
    audit(&mut tx, ctx, action, Some(user_id), what, now).await?;
    tx.commit().await?;
    Ok(())
}

pub const PURPOSE_TRANSFER: &str = "transfer_ownership";

/// Hands ownership to an admin: they become owner and the current owner becomes admin, in one
/// transaction. The caller has checked a fresh code (`auth::service::check_code` with
/// [`PURPOSE_TRANSFER`]) first.
pub async fn transfer_ownership(
    db: &Db,
    ctx: &TenantCtx,
    to: Uuid,
    now: i64,
) -> Result<(), AppError> {
    if ctx.role() != Role::Owner {
        return Err(AppError::Forbidden);
    }
    if target_role(db, ctx, to).await? != Role::Admin {
        return Err(AppError::invalid("member", Reason::TransferToAdminOnly));
    }
    let mut tx = db.begin().await?;
    // Both roles change, so both people's sessions in the company end (the new owner signs
    // in again; the old owner's session on this device is then rotated by the server
    // function, which holds its cookie, and any other device signs in again).
    for (user, role) in [(to, Role::Owner), (ctx.user_id(), Role::Admin)] {
        crate::auth::store::end_sessions_in(&mut tx, ctx.scope(), user).await?;
        store::set_role(&mut tx, ctx.scope(), user, role).await?;
    }
    let what = "{}".to_owned();
    audit(
        &mut tx,
        ctx,
        AuditAction::OwnershipTransferred,
        Some(to),
        what,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Checks every CSV row against the role table and the company's data; with `import`, sends
/// the rows that pass (each its own invitation, as one by one). Bad rows are never sent.
/// What `bulk` does with the rows once they are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkMode {
    /// Check and report every row; change nothing.
    Preview,
    /// Send the good rows among these row indexes (0-based) and report only them; the rows
    /// outside are still checked, so a duplicate of an earlier part is caught.
    Import { rows: std::ops::Range<usize> },
}

impl BulkMode {
    pub fn import_all() -> Self {
        BulkMode::Import {
            rows: 0..usize::MAX,
        }
    }
}

pub async fn bulk(
    db: &Db,
    ctx: &TenantCtx,
    rows: &[crate::csv_io::read::CsvRow],
    mode: BulkMode,
    public_url: &str,
    lang: Lang,
    now: i64,
) -> Result<super::BulkResult, AppError> {
    use std::collections::HashSet;
    if manageable_roles(ctx.role()).is_empty() {
        return Err(AppError::Forbidden);
    }
    // Everything the rows are checked against, loaded once for the whole file: a few queries
    // per file, then per good row only its budget and its own transaction.
    let cost_centers = companies::cost_centers(db, ctx.scope()).await?;
    let (members, invited) = store::members_and_invited(db, ctx.scope(), now).await?;
    let facts = InviteFacts::load(db, ctx).await?;
    let members: HashSet<String> = members.into_iter().collect();
    let invited: HashSet<String> = invited.into_iter().collect();
    let mut seen = HashSet::new();
    let mut out = super::BulkResult::default();
    let mut stopped = false;
    // Once the company's daily budget refuses a row it refuses every later one of this call
    // (it does not refill within a request): those rows are reported without asking again.
    let mut budget_spent = false;
    for (index, row) in rows.iter().enumerate() {
        let email = Email::parse(&row.email);
        let role = match row.role.trim().to_lowercase().as_str() {
            "" | "medlem" => Some(Role::Member),
            "administratör" | "administrator" => Some(Role::Admin),
            "ekonomi" => Some(Role::Finance),
            "reception" | "front desk" | "front-desk" => Some(Role::FrontDesk),
            other => Role::parse(other),
        };
        let cc_text = row.cost_center.trim().to_lowercase();
        let cost_center = (!cc_text.is_empty()).then(|| {
            cost_centers
                .iter()
                .find(|c| c.code.to_lowercase() == cc_text || c.name.to_lowercase() == cc_text)
        });
        let problem = match (&email, role) {
            (None, _) => Some(Reason::NotEmail),
            (_, None) => Some(Reason::RoleNotAllowed),
            (_, Some(r)) if !may_manage(ctx.role(), r) => Some(Reason::RoleNotAllowed),
            _ if matches!(cost_center, Some(None)) => Some(Reason::UnknownCostCenter),
            (Some(e), _) if !seen.insert(e.as_str().to_owned()) => Some(Reason::Duplicate),
            (Some(e), _) if members.contains(e.as_str()) => Some(Reason::AlreadyMember),
            (Some(e), _) if invited.contains(e.as_str()) => Some(Reason::AlreadyInvited),
            _ => None,
        };
        // Rows outside the part are still checked above (so a duplicate of an earlier part
        // is caught) but neither sent nor reported.
        let import = match &mode {
            BulkMode::Preview => false,
            BulkMode::Import { rows } if rows.contains(&index) => true,
            BulkMode::Import { .. } => continue,
        };
        let mut problem = problem;
        if problem.is_none() && import && budget_spent {
            problem = Some(Reason::RateLimited);
        }
        if problem.is_none() && import && !stopped {
            if let (Some(email), Some(role)) = (email.clone(), role) {
                let inv = NewInvitation {
                    email,
                    role,
                    default_cost_center_id: cost_center.flatten().map(|c| c.id),
                };
                match send_invitation(db, ctx, &facts, &inv, public_url, lang, now).await {
                    Ok(_) => out.imported += 1,
                    Err(AppError::Invalid { reason, .. }) => problem = Some(reason),
                    Err(AppError::RateLimited { .. }) => {
                        budget_spent = true;
                        problem = Some(Reason::RateLimited);
                    }
                    Err(AppError::Forbidden) => problem = Some(Reason::RoleNotAllowed),
                    // Some rows may already have gone out: never answer with a bare error
                    // then. This row and every later one are reported as not sent, so the
                    // person sees exactly which got an invitation.
                    Err(e) => {
                        tracing::error!(error = ?e, "bulk invitation stopped");
                        stopped = true;
                        problem = Some(Reason::NotSent);
                    }
                }
            }
        } else if problem.is_none() && stopped {
            problem = Some(Reason::NotSent);
        }
        if problem.is_some() {
            out.bad += 1;
        } else {
            out.good += 1;
        }
        out.rows.push(super::BulkRowView {
            line: row.line as i64,
            email: row.email.clone(),
            role: row.role.clone(),
            cost_center: row.cost_center.clone(),
            problem,
        });
    }
    Ok(out)
}
