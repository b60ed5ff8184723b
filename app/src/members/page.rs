//! The members page (`/members`): the list with its search, sort and pages. Its forms live
//! beside it, one file each: `invite.rs` (one person, a CSV file), `confirm.rs` (remove
//! someone, hand over ownership), `invitations.rs` (the sent invitations, and the invitation
//! link page `/invite/<token>`). Every form works as a plain form post and hydrated.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Form, hooks::use_query_map};
use uuid::Uuid;

use super::{
    confirm::{ConfirmRemove, TransferPanel},
    invitations::InvitationList,
    invite::{BulkForm, InviteForm},
};
use super::{
    list_invitations, list_members, member_info, BulkInvite, CancelInvitation, ChangeMemberRole,
    InviteMember, MemberQuery, MemberView, RemoveMember, RequestTransferCode, ResendInvitation,
    TransferOwnership,
};
use crate::{
    auth::use_session,
    companies::Role,
    error::AppError,
    i18n::use_texts,
    ids,
    ui::{error_text, navigate_fresh, query_error, Csrf, FormError},
};

#[component]
pub fn MembersPage() -> impl IntoView {
    let t = use_texts();
    let ctx = use_session();
    let q = use_query_map();
    let query = Memo::new(move |_| {
        q.with(|m| MemberQuery {
            q: m.get("q").unwrap_or_default(),
            sort: m.get("sort").unwrap_or_default(),
            page: m.get("page").and_then(|p| p.parse().ok()).unwrap_or(1),
        })
    });
    let remove_id =
        Memo::new(move |_| q.with(|m| m.get("remove").and_then(|id| id.parse::<Uuid>().ok())));

    let invite = ServerAction::<InviteMember>::new();
    let bulk = ServerAction::<BulkInvite>::new();
    // Bumped when a large file has been sent part by part (outside `bulk`'s own version).
    let bulk_sent = RwSignal::new(0u32);
    let resend = ServerAction::<ResendInvitation>::new();
    let cancel = ServerAction::<CancelInvitation>::new();
    let change = ServerAction::<ChangeMemberRole>::new();
    let set_default = ServerAction::<crate::cost_centers::SetDefaultCostCenter>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let transfer_id =
        Memo::new(move |_| q.with(|m| m.get("transfer").and_then(|id| id.parse::<Uuid>().ok())));
    let send_transfer_code = ServerAction::<RequestTransferCode>::new();
    let transfer = ServerAction::<TransferOwnership>::new();
    Effect::new(move |_| {
        if let Some(Ok(path)) = transfer.value().get() {
            navigate_fresh(&path);
        }
    });
    let changes = move || {
        (
            invite.version().get(),
            bulk.version().get(),
            bulk_sent.get(),
            resend.version().get(),
            cancel.version().get(),
            change.version().get(),
            remove.version().get(),
            set_default.version().get(),
        )
    };
    let members = Resource::new(move || (query.get(), changes()), |(q, _)| list_members(q));
    // Only people who may invite see the sent invitations; asking for them as a finance
    // viewer would be refused, and during server rendering the refusal would make the whole
    // page answer 403 although it shows the list.
    let session = crate::auth::use_session();
    let invitations = Resource::new(changes, move |_| async move {
        let invites = session
            .current_role()
            .await
            .is_some_and(|r| !super::manageable_roles(r).is_empty());
        if invites {
            list_invitations().await
        } else {
            Ok(Vec::new())
        }
    });
    // The person a confirm step is about, looked up by id: they may be on any page of the
    // list, or found by a search (the list's own page holds only 50).
    let confirm_target = Resource::new(
        move || remove_id.get().or_else(|| transfer_id.get()),
        |id| async move {
            match id {
                Some(id) => member_info(id).await.ok(),
                None => None,
            }
        },
    );
    Effect::new(move |_| {
        if let Some(Ok(())) = remove.value().get() {
            if remove_id.get_untracked().is_some() {
                navigate_fresh(&members_url(&query.get_untracked(), &[]));
            }
        }
    });
    let from_query = query_error();
    let action_error = Signal::derive(move || {
        [
            invite.value().get(),
            resend.value().get(),
            cancel.value().get(),
            change.value().get(),
            remove.value().get(),
            set_default.value().get(),
        ]
        .into_iter()
        .flatten()
        .find_map(|r| r.err())
        .or_else(|| send_transfer_code.value().get().and_then(|r| r.err()))
        .or_else(|| bulk.value().get().and_then(|r| r.err()))
        .or_else(|| transfer.value().get().and_then(|r| r.err()))
        .or_else(|| from_query.get())
    });
    let invite_ok = Signal::derive(move || matches!(invite.value().get(), Some(Ok(()))));

    // The confirm step of a removal or an ownership handover, above the list. Reactive: with
    // JavaScript, following a row's link shows it at once, without a reload.
    let confirm_panel = move || {
        Suspend::new(async move {
            let session = ctx.session.await.unwrap_or_default();
            let viewer = session
                .user
                .as_ref()
                .and_then(|u| u.current.as_ref())
                .map(|c| c.role);
            let m = confirm_target.await?;
            let back = members_url(&query.get_untracked(), &[]);
            let csrf = session.csrf;
            if remove_id.get_untracked() == Some(m.user_id) {
                Some(view! { <ConfirmRemove m csrf remove back /> }.into_any())
            } else if viewer == Some(Role::Owner) && m.role == Role::Admin {
                Some(
                    view! { <TransferPanel m csrf send_code=send_transfer_code transfer back /> }
                        .into_any(),
                )
            } else {
                None
            }
        })
    };

    let body = move || {
        Suspend::new(async move {
            let session = ctx.session.await.unwrap_or_default();
            let csrf = session.csrf;
            let page = match members.await {
                Ok(p) => p,
                Err(AppError::Forbidden) | Err(AppError::Unauthorized) => {
                    return view! { <p class="error" role="alert">{t.members_forbidden}</p> }
                        .into_any()
                }
                Err(e) => {
                    return view! { <p class="error" role="alert">{error_text(&e, t)}</p> }
                        .into_any()
                }
            };
            let viewer = page.viewer_role;
            let viewer_id = page.viewer_id;
            let grantable = page.grantable_roles.clone();
            let no_owner = (!page.has_owner)
                .then(|| view! { <p class="notice warning" role="note">{t.no_owner_banner}</p> });
            let invite_form = (!grantable.is_empty()).then(|| {
                view! { <InviteForm csrf=csrf.clone() invite grantable=grantable.clone() cost_centers=page.cost_centers.clone() invite_ok /> }
            });
            let count = format!("{} {}", page.total, t.members_count);
            let list_query = query.get_untracked();
            let rows = page
                .members
                .into_iter()
                .map(|m| view! { <MemberRow m viewer viewer_id csrf=csrf.clone() change set_default centers=page.cost_centers.clone() query=list_query.clone() /> })
                .collect_view();
            let invitation_list = (!grantable.is_empty()).then(|| {
                let csrf = csrf.clone();
                view! {
                    <h2>{t.invitations_title}</h2>
                    <Transition fallback=|| ()>
                        {move || {
                            let csrf = csrf.clone();
                            Suspend::new(async move {
                                let list = invitations.await.unwrap_or_default();
                                view! { <InvitationList list csrf resend cancel /> }
                            })
                        }}
                    </Transition>
                }
            });
            let pager = (page.pages > 1).then(
                || view! { <Pager page=page.page pages=page.pages query=query.get_untracked() /> },
            );
            view! {
                {no_owner}
                <FormError error=action_error />
                {invite_form}
                {(!grantable.is_empty()).then(|| view! { <BulkForm csrf=csrf.clone() bulk sent=bulk_sent /> })}
                <p class="result-count" id=ids::MEMBER_COUNT>{count}</p>
                <ul class="member-list" id=ids::MEMBER_LIST>{rows}</ul>
                {pager}
                {invitation_list}
            }
            .into_any()
        })
    };

    view! {
        <Title text=t.members_title />
        <section class="page">
            <h1>{t.members_title}</h1>
            <p class="intro">{t.members_intro}</p>
            // First on the page: after following a row's link (from far down the list, on a
            // phone) the question is the first thing in view.
            <Transition fallback=|| ()>{confirm_panel}</Transition>
            <Form method="GET" action="/members" attr:class="filters" attr:role="search">
                <div class="field grow">
                    <label for=ids::MEMBER_SEARCH>{t.search_members_label}</label>
                    <input type="search" id=ids::MEMBER_SEARCH name="q" maxlength="100"
                        value=move || query.with_untracked(|q| q.q.clone()) />
                </div>
                <div class="field">
                    <label for="member-sort">{t.sort_label}</label>
                    <select id="member-sort" name="sort">
                        {[("name", t.sort_name), ("email", t.sort_email), ("role", t.sort_role), ("last_session", t.sort_last_session)]
                            .into_iter()
                            .map(|(v, label)| {
                                let selected = query.with_untracked(|q| q.sort == v || (q.sort.is_empty() && v == "name"));
                                view! { <option value=v selected=selected>{label}</option> }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="actions">
                    <button type="submit" class="button">{t.search_button}</button>
                </div>
            </Form>
            <Transition fallback=move || view! { <p class="loading">{t.loading}</p> }>{body}</Transition>
        </section>
    }
}

/// `/members` with the list's search, sort and page, plus `extra` pairs (`remove=<id>`):
/// every link and return path of the page keeps the person where they were in the list.
pub(super) fn members_url(q: &MemberQuery, extra: &[(&str, &str)]) -> String {
    let page = if q.page > 1 {
        q.page.to_string()
    } else {
        String::new()
    };
    let mut pairs = vec![
        ("q", q.q.as_str()),
        ("sort", q.sort.as_str()),
        ("page", page.as_str()),
    ];
    pairs.extend_from_slice(extra);
    crate::url::with_query("/members", &pairs)
}

#[component]
fn MemberRow(
    m: MemberView,
    viewer: Role,
    viewer_id: Uuid,
    csrf: String,
    change: ServerAction<ChangeMemberRole>,
    set_default: ServerAction<crate::cost_centers::SetDefaultCostCenter>,
    /// The company's active cost centers (what a default may be set to).
    centers: Vec<super::CostCenterChoice>,
    /// The list this row is shown in: its links keep the search, sort and page.
    query: MemberQuery,
) -> impl IntoView {
    let t = use_texts();
    let is_self = m.user_id == viewer_id;
    let id = m.user_id.to_string();
    let manageable = super::may_manage(viewer, m.role);
    let role_control = if viewer == Role::Owner && manageable {
        let options = super::manageable_roles(viewer)
            .iter()
            .copied()
            .map(|r| view! { <option value=r.as_str() selected=r == m.role>{r.label(t)}</option> })
            .collect_view();
        let csrf = csrf.clone();
        view! {
            <ActionForm action=change attr:class="inline-form role-form">
                <Csrf token=csrf />
                <input type="hidden" name="user_id" value=m.user_id.to_string() />
                <label class="visually-hidden" for=format!("role-{}", m.user_id)>{t.sort_role}</label>
                <select name="role" id=format!("role-{}", m.user_id)>{options}</select>
                <button type="submit" class="button secondary small">{t.change_role_button}</button>
            </ActionForm>
        }
        .into_any()
    } else {
        view! { <span class="badge kind">{m.role.label(t)}</span> }.into_any()
    };
    let transfer_link = (viewer == Role::Owner && m.role == Role::Admin).then(|| {
        view! { <a class="button secondary small" href=members_url(&query, &[("transfer", &id)])>{t.transfer}</a> }
    });
    let remove_label = if is_self { t.leave } else { t.remove };
    let remove_link = (manageable || is_self).then(|| {
        view! { <a class="button secondary small danger" href=members_url(&query, &[("remove", &id)])>{remove_label}</a> }
    });
    // Owners and admins set the default here; it applies to sessions that arrive from now on.
    let cost_center = if matches!(viewer, Role::Owner | Role::Admin) {
        let select_id = format!("cc-{}", m.user_id);
        let current = m.cost_center_id;
        let known = current.is_none_or(|c| centers.iter().any(|x| x.id == c));
        let options = centers
            .iter()
            .map(|c| view! { <option value=c.id.to_string() selected=Some(c.id) == current>{c.label.clone()}</option> })
            .collect_view();
        // An archived default is shown, but cannot be chosen again.
        let archived = (!known).then(|| {
            view! { <option value="" disabled=true selected=true>{format!("{} ({})", m.cost_center.clone().unwrap_or_default(), t.cost_center_archived)}</option> }
        });
        view! {
            <ActionForm action=set_default attr:class="inline-form cc-form">
                <Csrf token=csrf.clone() />
                <input type="hidden" name="user_id" value=m.user_id.to_string() />
                <input type="hidden" name="back" value=members_url(&query, &[]) />
                <label class="visually-hidden" for=select_id.clone()>{t.cost_centers_default}</label>
                <select name="cost_center" id=select_id>
                    {archived}
                    <option value="" selected=current.is_none()>{t.cost_centers_none}</option>
                    {options}
                </select>
                <button type="submit" class="button secondary small">{t.cost_centers_save}</button>
            </ActionForm>
        }
        .into_any()
    } else {
        view! { <span>{m.cost_center.clone().unwrap_or_else(|| "–".into())}</span> }.into_any()
    };
    let name = if m.name.is_empty() {
        t.no_name.to_owned()
    } else {
        m.name.clone()
    };
    // The member's rules in force and their vehicles (`/policies?member=…`).
    let rules_link = {
        let pt = crate::i18n::use_lang().policies();
        let label = crate::i18n::Lang::fill(
            pt.heading_member,
            &[("name", if m.name.is_empty() { &m.email } else { &m.name })],
        );
        view! { <a class="button secondary small" href=format!("/policies?member={}", m.user_id) aria-label=label>{pt.nav}</a> }
    };
    let app = if m.app_signed_in {
        ("app-yes", t.app_yes)
    } else {
        ("app-no", t.app_no)
    };
    view! {
        <li class="member-card" data-email=m.email.clone()>
            <div class="member-main">
                <h3 class:muted=m.name.is_empty()>{name}</h3>
                <p class="address">{m.email.clone()}</p>
                <p class=format!("app-status {}", app.0)>{app.1}</p>
            </div>
            <dl class="member-facts">
                <dt>{t.cost_center_label}</dt>
                <dd>{cost_center}</dd>
                <dt>{t.sort_last_session}</dt>
                <dd>{m.last_session.clone().unwrap_or_else(|| "–".into())}</dd>
            </dl>
            <div class="member-actions">{role_control}{rules_link}{transfer_link}{remove_link}</div>
        </li>
    }
}

#[component]
fn Pager(page: i64, pages: i64, query: MemberQuery) -> impl IntoView {
    let t = use_texts();
    let href = move |p: i64| {
        crate::url::with_query(
            "/members",
            &[
                ("q", &query.q),
                ("sort", &query.sort),
                ("page", &p.to_string()),
            ],
        )
    };
    view! {
        <nav class="pager" aria-label=t.page_label>
            {(page > 1).then(|| view! { <a class="button secondary" href=href(page - 1)>{t.prev_page}</a> })}
            <span>{format!("{} {page} / {pages}", t.page_label)}</span>
            {(page < pages).then(|| view! { <a class="button secondary" href=href(page + 1)>{t.next_page}</a> })}
        </nav>
    }
}
