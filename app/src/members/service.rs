//! Who may do what to whom (the role table of shared/security.md), as plain functions on a
//! [`TenantCtx`]. Each change and its audit entry (and its mail) commit together.

use uuid::Uuid;

use super::store;
use crate::{
    auth::{crypto, TenantCtx},
    companies::{Email, Role},
    db::Db,
    enqueue_mail,
    error::AppError,
    i18n::Lang,
    mail::templates,
    with_pool,
};

pub const INVITATION_LIFETIME: i64 = 7 * 86_400;
/// Invitations one company may send per 24 hours (a resend counts).
pub const INVITATIONS_PER_COMPANY_PER_DAY: i64 = 500;

pub use super::{manageable_roles, may_manage};

/// Owners, admins and finance viewers see the member list; members do not.
pub fn may_view_members(role: Role) -> bool {
    role != Role::Member
}

/// Appends an audit entry inside the transaction `$tx` of either engine, so the entry
/// commits (or not) with the change it describes.
macro_rules! audit {
    ($tx:expr, $company:expr, $actor:expr, $action:expr, $subject:expr, $details:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO audit_log (id, company_id, actor_user_id, action, subject_user_id, details, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(Uuid::new_v4())
        .bind($company)
        .bind($actor)
        .bind($action)
        .bind($subject)
        .bind($details)
        .bind($now)
        .execute(&mut *$tx)
        .await?
    };
}

fn details(pairs: &[(&str, &str)]) -> String {
    let map: serde_json::Map<String, serde_json::Value> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string())))
        .collect();
    serde_json::Value::Object(map).to_string()
}

/// The actor's company (for the invitation mail).
async fn own_company(
    db: &Db,
    ctx: &TenantCtx,
) -> Result<crate::companies::store::CompanyRow, AppError> {
    crate::companies::store::company(db, ctx.company_id())
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
    let company = own_company(db, ctx).await?;
    if let Some(cc) = inv.default_cost_center_id {
        let ok = crate::companies::store::cost_centers(db, ctx.company_id())
            .await?
            .iter()
            .any(|c| c.id == cc);
        if !ok {
            return Err(AppError::invalid("cost_center", "unknown_cost_center"));
        }
    }
    let email = inv.email.as_str();
    let (already_member, already_invited): (bool, bool) = with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
                            WHERE m.company_id = $1 AND u.email = $2 AND m.status = 'active'),
                    EXISTS (SELECT 1 FROM invitations WHERE company_id = $1 AND email = $2
                            AND status = 'pending' AND expires_at > $3)",
        )
        .bind(ctx.company_id())
        .bind(email)
        .bind(now)
        .fetch_one(pool)
        .await
    })?;
    if already_member {
        return Err(AppError::invalid("email", "already_member"));
    }
    if already_invited {
        return Err(AppError::invalid("email", "already_invited"));
    }
    check_invite_budget(db, ctx, now).await?;
    let inviter = inviter_name(db, ctx).await?;
    let id = Uuid::new_v4();
    let (token, hash) = crypto::new_token();
    let link = format!("{public_url}/invite/{token}");
    let mail = templates::invitation(lang, email, &company.name, &inviter, inv.role, &link);
    let inserted = with_pool!(db, |pool| {
        async {
        let mut tx = pool.begin().await?;
        // An expired invitation of this address gives way to the new one; a live one stays,
        // and the unique index (one pending invitation per company and address) refuses the
        // insert of whoever comes second in a race.
        sqlx::query(
            "UPDATE invitations SET status = 'replaced'
             WHERE company_id = $1 AND email = $2 AND status = 'pending' AND expires_at <= $3",
        )
        .bind(ctx.company_id())
        .bind(email)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let insert = sqlx::query(
            "INSERT INTO invitations (id, company_id, email, role, inviter_user_id, default_cost_center_id, token_hash,
                                      status, expires_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9)",
        )
        .bind(id)
        .bind(ctx.company_id())
        .bind(email)
        .bind(inv.role.as_str())
        .bind(ctx.user_id())
        .bind(inv.default_cost_center_id)
        .bind(&hash)
        .bind(now + INVITATION_LIFETIME)
        .bind(now)
        .execute(&mut *tx)
        .await;
        match insert {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                tx.rollback().await?;
                return Ok::<bool, sqlx::Error>(false);
            }
            Err(e) => return Err(e),
        }
        enqueue_mail!(&mut *tx, mail, "invitation", Some(id), now)?;
        audit!(
            tx,
            ctx.company_id(),
            ctx.user_id(),
            "invitation.sent",
            None::<Uuid>,
            details(&[("email", email), ("role", inv.role.as_str())]),
            now
        );
        tx.commit().await?;
        Ok(true)
    }
    .await
    })?;
    if !inserted {
        return Err(AppError::invalid("email", "already_invited"));
    }
    Ok(id)
}

/// Reserves one invitation of the company's daily budget, atomically (`auth::store::reserve`):
/// parallel requests cannot overdraw it.
async fn check_invite_budget(db: &Db, ctx: &TenantCtx, now: i64) -> Result<(), AppError> {
    use crate::auth::store::{reserve, Check};
    let bucket = format!("invite:company:{}", ctx.company_id());
    let budget = [Check::AtMost {
        bucket: &bucket,
        window: 86_400,
        max: INVITATIONS_PER_COMPANY_PER_DAY,
    }];
    match reserve(db, &budget, &[&bucket], now).await? {
        None => Ok(()),
        Some(retry_after) => Err(AppError::RateLimited { retry_after }),
    }
}

/// The invitation of this company, if it is one the actor may manage.
async fn manageable_invitation(
    db: &Db,
    ctx: &TenantCtx,
    id: Uuid,
) -> Result<(String, Role, String), AppError> {
    let row: Option<(String, String, String)> = with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT email, role, status FROM invitations WHERE id = $1 AND company_id = $2",
        )
        .bind(id)
        .bind(ctx.company_id())
        .fetch_optional(pool)
        .await
    })?;
    let (email, role, status) = row.ok_or(AppError::NotFound)?;
    let role = Role::parse(&role).ok_or(AppError::Internal)?;
    if !may_manage(ctx.role(), role) {
        return Err(AppError::Forbidden);
    }
    Ok((email, role, status))
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
        return Err(AppError::invalid("invitation", "not_pending"));
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
    with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        // Whoever sends it again vouches for it now: accepting re-checks this inviter.
        sqlx::query("UPDATE invitations SET token_hash = $3, expires_at = $4, inviter_user_id = $5 WHERE id = $1 AND company_id = $2")
            .bind(id)
            .bind(ctx.company_id())
            .bind(&hash)
            .bind(now + INVITATION_LIFETIME)
            .bind(ctx.user_id())
            .execute(&mut *tx)
            .await?;
        enqueue_mail!(&mut *tx, mail, "invitation", Some(id), now)?;
        audit!(
            tx,
            ctx.company_id(),
            ctx.user_id(),
            "invitation.resent",
            None::<Uuid>,
            details(&[("email", &email)]),
            now
        );
        tx.commit().await
    })?;
    Ok(())
}

pub async fn cancel(db: &Db, ctx: &TenantCtx, id: Uuid, now: i64) -> Result<(), AppError> {
    let (email, _, status) = manageable_invitation(db, ctx, id).await?;
    if status != "pending" {
        return Err(AppError::invalid("invitation", "not_pending"));
    }
    with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query("UPDATE invitations SET status = 'cancelled' WHERE id = $1 AND company_id = $2 AND status = 'pending'")
            .bind(id)
            .bind(ctx.company_id())
            .execute(&mut *tx)
            .await?;
        audit!(
            tx,
            ctx.company_id(),
            ctx.user_id(),
            "invitation.cancelled",
            None::<Uuid>,
            details(&[("email", &email)]),
            now
        );
        tx.commit().await
    })?;
    Ok(())
}

/// Why an invitation link cannot be accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcceptError {
    /// No such link, or it was resent (rotated), cancelled, used or has expired.
    NotValid,
    /// Signed in as someone else: the invitation is for this address.
    WrongAccount {
        invited: String,
    },
    /// Already an active member of the company: accepting would replace (perhaps lower) the
    /// membership, so nothing changes (shared/security.md, "Invariants").
    AlreadyMember,
    Db,
}

impl From<sqlx::Error> for AcceptError {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!(error = %e, "database error accepting an invitation");
        AcceptError::Db
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
    let hash = crypto::parse_token(token).ok_or(AcceptError::NotValid)?;
    let inv = store::invitation_by_token(db, &hash)
        .await?
        .ok_or(AcceptError::NotValid)?;
    if inv.status != "pending" || inv.expires_at <= now {
        return Err(AcceptError::NotValid);
    }
    let (email, _) = crate::auth::store::user_email(db, user_id)
        .await?
        .ok_or(AcceptError::NotValid)?;
    if email != inv.email {
        return Err(AcceptError::WrongAccount { invited: inv.email });
    }
    let accepted = with_pool!(db, |pool| {
        async {
        let mut tx = pool.begin().await?;
        let used = sqlx::query(
            "UPDATE invitations SET status = 'accepted', accepted_at = $2
             WHERE id = $1 AND token_hash = $3 AND status = 'pending' AND expires_at > $2",
        )
        .bind(inv.id)
        .bind(now)
        .bind(&hash)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if used != 1 {
            tx.rollback().await?;
            return Ok::<Accepted, sqlx::Error>(Accepted::NotValid);
        }
        // No inviter on record (older rows): nobody vouches for it, so it is not valid.
        let inviter_role: Option<String> = sqlx::query_scalar(
            "SELECT role FROM memberships WHERE company_id = $1 AND user_id = $2 AND status = 'active'",
        )
        .bind(inv.company_id)
        .bind(inv.inviter_user_id)
        .fetch_optional(&mut *tx)
        .await?;
        let may_grant = matches!(
            (inviter_role.as_deref().and_then(Role::parse), Role::parse(&inv.role)),
            (Some(by), Some(role)) if may_manage(by, role)
        );
        if !may_grant {
            tx.rollback().await?;
            return Ok(Accepted::NotValid);
        }
        // Insert, or reactivate a removed membership; an active one is left as it is (the
        // WHERE makes the upsert a no-op, seen as 0 rows).
        let joined = sqlx::query(
            "INSERT INTO memberships (company_id, user_id, role, status, default_cost_center_id, invited_email, created_at)
             VALUES ($1, $2, $3, 'active', $4, $5, $6)
             ON CONFLICT (company_id, user_id) DO UPDATE SET role = excluded.role, status = 'active',
                 default_cost_center_id = excluded.default_cost_center_id, invited_email = excluded.invited_email
             WHERE memberships.status <> 'active'",
        )
        .bind(inv.company_id)
        .bind(user_id)
        .bind(&inv.role)
        .bind(inv.default_cost_center_id)
        .bind(&inv.email)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if joined != 1 {
            tx.rollback().await?;
            return Ok(Accepted::AlreadyMember);
        }
        audit!(tx, inv.company_id, user_id, "invitation.accepted", Some(user_id), details(&[("email", &inv.email), ("role", &inv.role)]), now);
        tx.commit().await?;
        Ok(Accepted::Joined)
    }
    .await
    })?;
    match accepted {
        Accepted::Joined => Ok(inv.company_id),
        Accepted::AlreadyMember => Err(AcceptError::AlreadyMember),
        Accepted::NotValid => Err(AcceptError::NotValid),
    }
}

enum Accepted {
    Joined,
    AlreadyMember,
    NotValid,
}

/// The target's active role in the actor's company, or 404.
async fn target_role(db: &Db, ctx: &TenantCtx, user_id: Uuid) -> Result<Role, AppError> {
    crate::auth::store::role_in(db, user_id, ctx.company_id())
        .await?
        .and_then(|m| Role::parse(&m.role))
        .ok_or(AppError::NotFound)
}

/// Ends a person's sessions acting in one company. Parameters: company, user.
const END_SESSIONS_IN_COMPANY: &str =
    "DELETE FROM web_sessions WHERE company_id = $1 AND user_id = $2";

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
    with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query("UPDATE memberships SET role = $3 WHERE company_id = $1 AND user_id = $2 AND status = 'active'")
            .bind(ctx.company_id())
            .bind(user_id)
            .bind(role.as_str())
            .execute(&mut *tx)
            .await?;
        // A role change ends the member's sessions in this company: the next request signs in
        // afresh under a new session id (security.md: a new id on every role change; their
        // cookie cannot be rotated from someone else's request).
        sqlx::query(END_SESSIONS_IN_COMPANY)
            .bind(ctx.company_id())
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let change = details(&[("from", current.as_str()), ("to", role.as_str())]);
        audit!(
            tx,
            ctx.company_id(),
            ctx.user_id(),
            "member.role_changed",
            Some(user_id),
            change,
            now
        );
        tx.commit().await
    })?;
    Ok(())
}

/// Removes someone from the company (or, when `user_id` is the actor, leaves it). The last
/// owner can never go. Their sessions in this company stop at once: every request reads the
/// role from the database.
pub async fn remove(db: &Db, ctx: &TenantCtx, user_id: Uuid, now: i64) -> Result<(), AppError> {
    let target = target_role(db, ctx, user_id).await?;
    let leaving = user_id == ctx.user_id();
    if !leaving && !may_manage(ctx.role(), target) {
        return Err(AppError::Forbidden);
    }
    let removed = with_pool!(db, |pool| {
        async {
        let mut tx = pool.begin().await?;
        // The owner check and the removal in one statement: two owners removing each other
        // at the same moment cannot leave the company without one.
        let n = sqlx::query(
            "UPDATE memberships SET status = 'removed'
             WHERE company_id = $1 AND user_id = $2 AND status = 'active'
               AND (role <> 'owner' OR (SELECT COUNT(*) FROM memberships o
                                        WHERE o.company_id = $1 AND o.role = 'owner' AND o.status = 'active') > 1)",
        )
        .bind(ctx.company_id())
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n != 1 {
            tx.rollback().await?;
            return Ok::<bool, sqlx::Error>(false);
        }
        audit!(tx, ctx.company_id(), ctx.user_id(), if leaving { "member.left" } else { "member.removed" }, Some(user_id), details(&[("role", target.as_str())]), now);
        tx.commit().await?;
        Ok(true)
    }
    .await
    })?;
    if removed {
        Ok(())
    } else {
        Err(AppError::invalid("member", "last_owner"))
    }
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
        return Err(AppError::invalid("member", "transfer_to_admin_only"));
    }
    with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        // Both roles change, so both people's sessions in the company end (the new owner signs
        // in again; the old owner's session on this device is then rotated by the server
        // function, which holds its cookie, and any other device signs in again).
        for (user, role) in [(to, Role::Owner), (ctx.user_id(), Role::Admin)] {
            sqlx::query(END_SESSIONS_IN_COMPANY)
                .bind(ctx.company_id())
                .bind(user)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE memberships SET role = $3 WHERE company_id = $1 AND user_id = $2 AND status = 'active'")
                .bind(ctx.company_id())
                .bind(user)
                .bind(role.as_str())
                .execute(&mut *tx)
                .await?;
        }
        audit!(
            tx,
            ctx.company_id(),
            ctx.user_id(),
            "ownership.transferred",
            Some(to),
            "{}",
            now
        );
        tx.commit().await
    })?;
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
    rows: &[super::csv::CsvRow],
    mode: BulkMode,
    public_url: &str,
    lang: Lang,
    now: i64,
) -> Result<super::BulkResult, AppError> {
    use std::collections::HashSet;
    let cost_centers = crate::companies::store::cost_centers(db, ctx.company_id()).await?;
    let (members, invited): (Vec<String>, Vec<String>) = with_pool!(db, |pool| {
        async {
        let members = sqlx::query_scalar(
            "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.company_id = $1 AND m.status = 'active'",
        )
        .bind(ctx.company_id())
        .fetch_all(pool)
        .await?;
        let invited = sqlx::query_scalar(
            "SELECT email FROM invitations WHERE company_id = $1 AND status = 'pending' AND expires_at > $2",
        )
        .bind(ctx.company_id())
        .bind(now)
        .fetch_all(pool)
        .await?;
        Ok::<_, sqlx::Error>((members, invited))
    }
    .await
    })?;
    let members: HashSet<String> = members.into_iter().collect();
    let invited: HashSet<String> = invited.into_iter().collect();
    let mut seen = HashSet::new();
    let mut out = super::BulkResult::default();
    let mut stopped = false;
    for (index, row) in rows.iter().enumerate() {
        let email = Email::parse(&row.email);
        let role = match row.role.trim().to_lowercase().as_str() {
            "" | "medlem" => Some(Role::Member),
            "administratör" | "administrator" => Some(Role::Admin),
            "ekonomi" => Some(Role::Finance),
            other => Role::parse(other),
        };
        let cc_text = row.cost_center.trim().to_lowercase();
        let cost_center = (!cc_text.is_empty()).then(|| {
            cost_centers
                .iter()
                .find(|c| c.code.to_lowercase() == cc_text || c.name.to_lowercase() == cc_text)
        });
        let problem = match (&email, role) {
            (None, _) => Some("not_email"),
            (_, None) => Some("role_not_allowed"),
            (_, Some(r)) if !may_manage(ctx.role(), r) => Some("role_not_allowed"),
            _ if matches!(cost_center, Some(None)) => Some("unknown_cost_center"),
            (Some(e), _) if !seen.insert(e.as_str().to_owned()) => Some("duplicate"),
            (Some(e), _) if members.contains(e.as_str()) => Some("already_member"),
            (Some(e), _) if invited.contains(e.as_str()) => Some("already_invited"),
            _ => None,
        };
        // Rows outside the part are still checked above (so a duplicate of an earlier part
        // is caught) but neither sent nor reported.
        let import = match &mode {
            BulkMode::Preview => false,
            BulkMode::Import { rows } if rows.contains(&index) => true,
            BulkMode::Import { .. } => continue,
        };
        let mut problem = problem.map(str::to_owned);
        if problem.is_none() && import && !stopped {
            if let (Some(email), Some(role)) = (email.clone(), role) {
                let inv = NewInvitation {
                    email,
                    role,
                    default_cost_center_id: cost_center.flatten().map(|c| c.id),
                };
                match invite(db, ctx, &inv, public_url, lang, now).await {
                    Ok(_) => out.imported += 1,
                    Err(AppError::Invalid { reason, .. }) => problem = Some(reason),
                    Err(AppError::RateLimited { .. }) => problem = Some("rate_limited".into()),
                    Err(AppError::Forbidden) => problem = Some("role_not_allowed".into()),
                    // Some rows may already have gone out: never answer with a bare error
                    // then. This row and every later one are reported as not sent, so the
                    // person sees exactly which got an invitation.
                    Err(e) => {
                        tracing::error!(error = ?e, "bulk invitation stopped");
                        stopped = true;
                        problem = Some("not_sent".into());
                    }
                }
            }
        } else if problem.is_none() && stopped {
            problem = Some("not_sent".into());
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
