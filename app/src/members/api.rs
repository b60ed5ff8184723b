//! The members domain's server functions: authorise, call the service or store, answer.

use leptos::prelude::*;
use uuid::Uuid;

use super::model::*;
#[cfg(feature = "ssr")]
use super::{service, store};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{companies::Role, error::Reason};

#[cfg(feature = "ssr")]
fn local_date(tz: chrono_tz::Tz, ts: i64) -> String {
    use chrono::TimeZone;
    let lang = crate::i18n::lang_of_request();
    tz.timestamp_opt(ts, 0)
        .single()
        .map(|d| lang.chrono_date(d))
        .unwrap_or_default()
}

#[cfg(feature = "ssr")]
fn member_view(r: store::MemberRecord, tz: chrono_tz::Tz) -> Result<MemberView, AppError> {
    Ok(MemberView {
        user_id: r.user_id,
        name: r.display_name,
        email: r.invited_email.unwrap_or(r.email),
        role: r.role,
        cost_center: r.cost_center,
        cost_center_id: r.cost_center_id,
        app_signed_in: r.app_signed_in_at.is_some(),
        last_session: r.last_session_at.map(|t| local_date(tz, t)),
    })
}

/// One member of the company by id, for the confirm steps (remove, hand over ownership):
/// they find the person wherever the list was paged, sorted or searched. 404 for anyone who
/// is not an active member of the caller's company.
#[server(prefix = "/api", endpoint = "member", input = server_fn::codec::GetUrl)]
pub async fn member_info(user_id: Uuid) -> Result<MemberView, AppError> {
    crate::answer::json(async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        if !service::may_view_members(ctx.role()) {
            return Err(AppError::Forbidden);
        }
        let record = store::member(&state.db, ctx.scope(), user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        member_view(record, ctx.company().zone())
    })
    .await
}

#[server(prefix = "/api", endpoint = "members", input = server_fn::codec::GetUrl)]
pub async fn list_members(query: MemberQuery) -> Result<MemberPage, AppError> {
    crate::answer::json(members_page(query)).await
}

#[cfg(feature = "ssr")]
async fn members_page(query: MemberQuery) -> Result<MemberPage, AppError> {
    use store::MemberSort;
    let state = crate::state::use_app_state()?;
    let ctx = crate::auth::tenant().await?;
    if !service::may_view_members(ctx.role()) {
        return Err(AppError::Forbidden);
    }
    let q = query.q.trim();
    if q.chars().count() > 100 {
        return Err(AppError::invalid("q", Reason::TooLong));
    }
    let sort = match query.sort.as_str() {
        "" | "name" => MemberSort::Name,
        "email" => MemberSort::Email,
        "role" => MemberSort::Role,
        "last_session" => MemberSort::LastSession,
        _ => return Err(AppError::invalid("sort", Reason::Unknown)),
    };
    // Clamped: `(page - 1) * PAGE_SIZE` must not overflow on a made-up `page`.
    let page = query.page.clamp(1, i64::MAX / PAGE_SIZE);
    // The company's calendar, once for the whole list.
    let tz = ctx.company().zone();
    let (rows, total) = store::list(
        &state.db,
        ctx.scope(),
        (!q.is_empty()).then_some(q),
        sort,
        ctx.company().country(),
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
    let members = rows
        .into_iter()
        .map(|r| member_view(r, tz))
        .collect::<Result<_, _>>()?;
    let cost_centers = crate::companies::store::cost_centers(&state.db, ctx.scope())
        .await?
        .into_iter()
        .map(|c| CostCenterChoice {
            id: c.id,
            label: format!("{} {}", c.code, c.name),
        })
        .collect();
    Ok(MemberPage {
        members,
        total,
        page,
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        viewer_role: ctx.role(),
        viewer_id: ctx.user_id(),
        grantable_roles: service::manageable_roles(ctx.role()).to_vec(),
        cost_centers,
        has_owner: store::owner_count(&state.db, ctx.scope()).await? > 0,
    })
}

#[server(prefix = "/api", endpoint = "invitations", input = server_fn::codec::GetUrl)]
pub async fn list_invitations() -> Result<Vec<InvitationView>, AppError> {
    crate::answer::json(invitations_view()).await
}

#[cfg(feature = "ssr")]
async fn invitations_view() -> Result<Vec<InvitationView>, AppError> {
    let state = crate::state::use_app_state()?;
    let ctx = crate::auth::tenant().await?;
    if service::manageable_roles(ctx.role()).is_empty() {
        return Err(AppError::Forbidden);
    }
    // The company's calendar, once for the whole list.
    let tz = ctx.company().zone();
    let now = crate::db::now_ts();
    store::invitations(&state.db, ctx.scope())
        .await?
        .into_iter()
        .map(|i| {
            let status = match (i.status.as_str(), i.mail_status.as_deref()) {
                ("accepted", _) => InvitationStatus::Accepted,
                ("cancelled", _) => InvitationStatus::Cancelled,
                ("replaced", _) => InvitationStatus::Expired,
                (_, Some("failed")) => InvitationStatus::DeliveryFailed,
                _ if i.expires_at <= now => InvitationStatus::Expired,
                (_, Some("pending" | "sending")) if i.mail_error.is_some() => {
                    InvitationStatus::NotDelivered
                }
                _ => InvitationStatus::Pending,
            };
            Ok(InvitationView {
                id: i.id,
                email: i.email,
                role: i.role,
                status,
                delivery_error: matches!(
                    status,
                    InvitationStatus::DeliveryFailed | InvitationStatus::NotDelivered
                )
                .then_some(i.mail_error)
                .flatten(),
                sent_on: local_date(tz, i.created_at),
            })
        })
        .collect()
}

#[cfg(feature = "ssr")]
const MEMBERS_PAGE: &str = "/members";

#[server(prefix = "/api", endpoint = "invite_member", client = crate::csrf_client::CsrfClient)]
pub async fn invite_member(
    email: String,
    role: String,
    cost_center: String,
) -> Result<(), AppError> {
    use crate::companies::Email;
    crate::answer::form(MEMBERS_PAGE, async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        let email = Email::parse(&email).ok_or(AppError::invalid("email", Reason::NotEmail))?;
        let role = Role::parse(&role).ok_or(AppError::invalid("role", Reason::RoleNotAllowed))?;
        let default_cost_center_id = match cost_center.trim() {
            "" => None,
            id => Some(
                id.parse::<Uuid>()
                    .map_err(|_| AppError::invalid("cost_center", Reason::UnknownCostCenter))?,
            ),
        };
        let inv = service::NewInvitation {
            email,
            role,
            default_cost_center_id,
        };
        let lang = crate::i18n::lang_of_request();
        let now = crate::db::now_ts();
        service::invite(&state.db, &ctx, &inv, &state.config.public_url, lang, now).await?;
        state.mail_notify.notify_one();
        Ok(())
    })
    .await
}

#[server(prefix = "/api", endpoint = "resend_invitation", client = crate::csrf_client::CsrfClient)]
pub async fn resend_invitation(id: Uuid) -> Result<(), AppError> {
    crate::answer::form(MEMBERS_PAGE, async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        let lang = crate::i18n::lang_of_request();
        let now = crate::db::now_ts();
        service::resend(&state.db, &ctx, id, &state.config.public_url, lang, now).await?;
        state.mail_notify.notify_one();
        Ok(())
    })
    .await
}

#[server(prefix = "/api", endpoint = "cancel_invitation", client = crate::csrf_client::CsrfClient)]
pub async fn cancel_invitation(id: Uuid) -> Result<(), AppError> {
    crate::answer::form(MEMBERS_PAGE, async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        service::cancel(&state.db, &ctx, id, crate::db::now_ts()).await
    })
    .await
}

#[server(prefix = "/api", endpoint = "change_member_role", client = crate::csrf_client::CsrfClient)]
pub async fn change_member_role(user_id: Uuid, role: String) -> Result<(), AppError> {
    crate::answer::form(MEMBERS_PAGE, async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        let role = Role::parse(&role).ok_or(AppError::invalid("role", Reason::RoleNotAllowed))?;
        service::change_role(&state.db, &ctx, user_id, role, crate::db::now_ts()).await
    })
    .await
}

/// Removes a member (the page asks for confirmation first). Leaving the company is removing
/// yourself.
#[server(prefix = "/api", endpoint = "remove_member", client = crate::csrf_client::CsrfClient)]
///
/// `back` is the list the person was on (its search, sort and page), where a plain form post
/// returns to; anything but a members list path is ignored.
pub async fn remove_member(user_id: Uuid, back: Option<String>) -> Result<(), AppError> {
    let state = crate::state::use_app_state()?;
    let back = back
        .as_deref()
        .and_then(crate::url::local_path)
        .filter(|b| *b == MEMBERS_PAGE || b.starts_with("/members?"))
        .unwrap_or(MEMBERS_PAGE)
        .to_owned();
    crate::answer::form(&back, async {
        let ctx = crate::auth::tenant().await?;
        service::remove(&state.db, &ctx, user_id, crate::db::now_ts()).await?;
        crate::answer::go_to(&back);
        Ok(())
    })
    .await
}

#[server(prefix = "/api", endpoint = "invitation_info", input = server_fn::codec::GetUrl)]
pub async fn invitation_info(token: String) -> Result<InvitationSummary, AppError> {
    crate::answer::json(async move {
        let state = crate::state::use_app_state()?;
        let hash = crate::crypto::parse_token(&token).ok_or(AppError::NotFound)?;
        let inv = store::invitation_by_token(&state.db, &hash)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(InvitationSummary {
            valid: inv.status == "pending" && inv.expires_at > crate::db::now_ts(),
            company: inv.company_name,
            email: inv.email,
            role: inv.role,
        })
    })
    .await
}

/// Accepts the invitation as the signed-in person (who must have signed in as the invited
/// address) and continues in that company under a new session id.
#[server(prefix = "/api", endpoint = "accept_invitation", client = crate::csrf_client::CsrfClient)]
pub async fn accept_invitation(token: String) -> Result<String, AppError> {
    let page = format!("/invite/{token}");
    crate::answer::form(&page, async {
        let state = crate::state::use_app_state()?;
        let session = crate::auth::request_session().ok_or(AppError::Unauthorized)?;
        let user_id = session.row.user_id.ok_or(AppError::Unauthorized)?;
        let now = crate::db::now_ts();
        let company_id = service::accept(&state.db, &token, user_id, now).await?;
        let row = crate::auth::store::SessionRow {
            company_id: Some(company_id),
            ..session.row
        };
        let token = crate::auth::service::switch_company(&state.db, &row, company_id, now)
            .await?
            .ok_or_else(AppError::internal)?;
        crate::auth::set_session_cookie(&token);
        Ok(crate::answer::go_to("/"))
    })
    .await
}

/// The signed-in owner's context and address (403 for anyone else).
#[cfg(feature = "ssr")]
async fn owner_and_email(
    db: &crate::db::Db,
) -> Result<(crate::auth::TenantCtx, crate::companies::Email), AppError> {
    let ctx = crate::auth::tenant().await?;
    if ctx.role() != Role::Owner {
        return Err(AppError::Forbidden);
    }
    let (email, _) = crate::auth::store::user_email(db, ctx.user_id())
        .await?
        .ok_or(AppError::Unauthorized)?;
    let email = crate::companies::Email::parse(&email).ok_or_else(AppError::internal)?;
    Ok((ctx, email))
}

/// Step 1 of handing over ownership: a fresh code to the owner's own address.
#[server(prefix = "/api", endpoint = "request_transfer_code", client = crate::csrf_client::CsrfClient)]
pub async fn request_transfer_code() -> Result<(), AppError> {
    use crate::auth::service as auth;
    crate::answer::form(MEMBERS_PAGE, async {
        let state = crate::state::use_app_state()?;
        let (_, email) = owner_and_email(&state.db).await?;
        let now = crate::db::now_ts();
        // The same limits as a sign-in code, against the caller's own address (a constant
        // here put every company's owners into one bucket).
        let ip = crate::auth::client_ip();
        auth::check_send_limits(&state.db, &email, &ip, state.limits, now).await?;
        auth::issue_code(
            &state.db,
            &state.key,
            &email,
            service::PURPOSE_TRANSFER,
            crate::i18n::lang_of_request(),
            now,
        )
        .await?;
        state.mail_notify.notify_one();
        Ok(())
    })
    .await
}

/// Step 2: with the code, `user_id` (an admin) becomes owner and the owner becomes admin. The
/// session continues under a new id (a role change).
#[server(prefix = "/api", endpoint = "transfer_ownership", client = crate::csrf_client::CsrfClient)]
pub async fn transfer_ownership(user_id: Uuid, code: String) -> Result<String, AppError> {
    crate::answer::form(MEMBERS_PAGE, async {
        let state = crate::state::use_app_state()?;
        let (ctx, email) = owner_and_email(&state.db).await?;
        let now = crate::db::now_ts();
        crate::auth::service::check_code(
            &state.db,
            &state.key,
            &email,
            service::PURPOSE_TRANSFER,
            &code,
            now,
        )
        .await?;
        service::transfer_ownership(&state.db, &ctx, user_id, now).await?;
        let session = crate::auth::request_session().ok_or(AppError::Unauthorized)?;
        let company_id = ctx.scope().company_id();
        let token = crate::auth::service::switch_company(&state.db, &session.row, company_id, now)
            .await?
            .ok_or_else(AppError::internal)?;
        crate::auth::set_session_cookie(&token);
        Ok(crate::answer::go_to(MEMBERS_PAGE))
    })
    .await
}

/// Previews a CSV of invitations (`import` empty), or sends the rows that pass (`import` =
/// `good`). Bad rows are never imported and are listed with their reason; a preview changes
/// nothing. With `part` = p, the whole file is checked but only rows
/// `p * BULK_PART_ROWS ..` of the next `BULK_PART_ROWS` are sent and reported, so the page can
/// show progress on a large file while duplicates across parts are still caught.
#[server(prefix = "/api", endpoint = "bulk_invite", client = crate::csrf_client::CsrfClient)]
pub async fn bulk_invite(
    csv: String,
    import: Option<String>,
    part: Option<usize>,
) -> Result<BulkResult, AppError> {
    crate::answer::form(MEMBERS_PAGE, async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        if manageable_roles(ctx.role()).is_empty() {
            return Err(AppError::Forbidden);
        }
        if csv.len() > BULK_MAX_BYTES {
            return Err(AppError::invalid("csv", Reason::TooLarge));
        }
        let rows = crate::csv_io::read::parse(&csv).map_err(|e| {
            AppError::invalid(
                "csv",
                match e {
                    crate::csv_io::read::CsvError::Empty => Reason::Empty,
                    crate::csv_io::read::CsvError::NoEmailColumn => Reason::NoEmailColumn,
                    crate::csv_io::read::CsvError::UnclosedQuote(_) => Reason::UnclosedQuote,
                },
            )
        })?;
        if rows.len() > BULK_MAX_ROWS {
            return Err(AppError::invalid("csv", Reason::TooManyRows));
        }
        let now = crate::db::now_ts();
        if part.is_some_and(|p| p >= BULK_MAX_ROWS.div_ceil(BULK_PART_ROWS)) {
            return Err(AppError::invalid("part", Reason::BeyondLastPart));
        }
        let mode = match (import.as_deref(), part) {
            (Some("good"), Some(p)) => service::BulkMode::Import {
                rows: p * BULK_PART_ROWS..(p + 1) * BULK_PART_ROWS,
            },
            (Some("good"), None) => service::BulkMode::import_all(),
            _ => service::BulkMode::Preview,
        };
        let lang = crate::i18n::lang_of_request();
        let url = &state.config.public_url;
        let r = service::bulk(&state.db, &ctx, &rows, mode, url, lang, now).await?;
        if r.imported > 0 {
            state.mail_notify.notify_one();
        }
        // Without JavaScript the result travels in the redirect's query (counts and bad lines).
        if crate::answer::is_plain_form_post() {
            crate::answer::redirect_locally(&bulk_result_url(&r));
        }
        Ok(r)
    })
    .await
}

/// Where a plain (no JavaScript) bulk form post lands: the members page with the counts and
/// the first bad rows' line numbers and reasons in the query — never the addresses, which
/// do not belong in URLs and logs.
#[cfg(feature = "ssr")]
fn bulk_result_url(r: &BulkResult) -> String {
    let counts = format!("{}.{}.{}", r.good, r.bad, r.imported);
    let lines = r
        .rows
        .iter()
        .filter_map(|row| row.problem.as_ref().map(|p| format!("{}:{p}", row.line)))
        .take(BULK_PLAIN_MAX_LINES)
        .collect::<Vec<_>>()
        .join(",");
    crate::url::with_query(MEMBERS_PAGE, &[("bulk", &counts), ("bulk_lines", &lines)])
}
