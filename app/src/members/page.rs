//! The members page (`/members`): the list, the invite form, the invitations, and the
//! confirm step for removing someone (`/members?remove=<id>`); and the invitation link page
//! (`/invite/<token>`). Every form works as a plain form post and hydrated.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::Form,
    hooks::{use_params_map, use_query_map},
};
use uuid::Uuid;

use super::{
    invitation_info, list_invitations, list_members, member_info, AcceptInvitation, BulkInvite,
    CancelInvitation, ChangeMemberRole, InvitationStatus, InviteMember, MemberQuery, MemberView,
    RemoveMember, RequestTransferCode, ResendInvitation, TransferOwnership,
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
        )
    };
    let members = Resource::new(move || (query.get(), changes()), |(q, _)| list_members(q));
    let invitations = Resource::new(changes, |_| list_invitations());
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
                .map(|m| view! { <MemberRow m viewer viewer_id csrf=csrf.clone() change query=list_query.clone() /> })
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
fn members_url(q: &MemberQuery, extra: &[(&str, &str)]) -> String {
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
fn InviteForm(
    csrf: String,
    invite: ServerAction<InviteMember>,
    grantable: Vec<Role>,
    cost_centers: Vec<super::CostCenterChoice>,
    invite_ok: Signal<bool>,
) -> impl IntoView {
    let t = use_texts();
    view! {
        <details class="panel" open=true>
            <summary><h2>{t.invite_title}</h2></summary>
            <p class="hint">{t.invite_intro}</p>
            <ActionForm action=invite attr:id=ids::INVITE_FORM attr:class="filters">
                <Csrf token=csrf />
                <div class="field grow">
                    <label for=ids::INVITE_EMAIL>{t.email_label}</label>
                    <input type="email" id=ids::INVITE_EMAIL name="email" required autocomplete="off" />
                </div>
                <div class="field">
                    <label for=ids::INVITE_ROLE>{t.sort_role}</label>
                    <select id=ids::INVITE_ROLE name="role">
                        {grantable
                            .into_iter()
                            .rev()
                            .map(|r| view! { <option value=r.as_str()>{r.label(t)}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="invite-cost-center">{t.cost_center_label}</label>
                    <select id="invite-cost-center" name="cost_center">
                        <option value="">{t.no_cost_center}</option>
                        {cost_centers
                            .into_iter()
                            .map(|c| view! { <option value=c.id.to_string()>{c.label}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="actions">
                    <button type="submit" class="button" id=ids::INVITE_SUBMIT>{t.invite_button}</button>
                    <span class="hint" role="status">{move || invite_ok.get().then_some(t.invite_sent)}</span>
                </div>
            </ActionForm>
        </details>
    }
}

#[component]
fn BulkForm(csrf: String, bulk: ServerAction<BulkInvite>, sent: RwSignal<u32>) -> impl IntoView {
    let t = use_texts();
    let q = use_query_map();
    // A plain form post (no JavaScript) comes back with its result in the query.
    let from_query = move || {
        q.with(|m| {
            m.get("bulk").and_then(|counts| {
                super::bulk_result_from_query(&counts, &m.get("bulk_lines").unwrap_or_default())
            })
        })
    };
    let csv_ref = NodeRef::<leptos::html::Textarea>::new();
    let import_ref = NodeRef::<leptos::html::Input>::new();
    // The file picker and the part-by-part import need the WASM; without it the form posts
    // the pasted text as a plain form.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let progress = RwSignal::new(None::<(usize, usize)>);
    let stopped = RwSignal::new(None::<AppError>);
    let on_file = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use leptos::wasm_bindgen::JsCast;
            let input: web_sys::HtmlInputElement = ev.target().unwrap().unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            if file.size() > super::BULK_MAX_BYTES as f64 {
                stopped.set(Some(AppError::invalid(
                    "csv",
                    crate::error::Reason::TooLarge,
                )));
                return;
            }
            leptos::task::spawn_local(async move {
                let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
                if let (Ok(text), Some(area)) = (text, csv_ref.get_untracked()) {
                    area.set_value(&text.as_string().unwrap_or_default());
                    stopped.set(None);
                    // Show the preview at once: it is what the user wants to see next.
                    bulk.dispatch(BulkInvite {
                        csv: area.value(),
                        import: None,
                        part: None,
                    });
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let csv = csv_ref
            .get_untracked()
            .map(|el| el.value())
            .unwrap_or_default();
        let import = import_ref.get_untracked().is_some_and(|el| el.checked());
        stopped.set(None);
        let rows = super::csv::parse(&csv).map(|r| r.len()).unwrap_or(0);
        if !import || rows <= super::BULK_PART_ROWS {
            let import = import.then(|| "good".to_owned());
            bulk.dispatch(BulkInvite {
                csv,
                import,
                part: None,
            });
            return;
        }
        // A large file goes part by part, so the bar shows how far it has come. The server
        // checks the whole file each time, so what is sent is what one request would send.
        leptos::task::spawn_local(async move {
            let mut total = super::BulkResult::default();
            progress.set(Some((0, rows)));
            for part in 0..rows.div_ceil(super::BULK_PART_ROWS) {
                match super::bulk_invite(csv.clone(), Some("good".into()), Some(part)).await {
                    Ok(r) => {
                        total.good += r.good;
                        total.bad += r.bad;
                        total.imported += r.imported;
                        total.rows.extend(r.rows);
                        progress.set(Some((total.rows.len(), rows)));
                    }
                    Err(e) => {
                        stopped.set(Some(e));
                        break;
                    }
                }
            }
            progress.set(None);
            bulk.value().set(Some(Ok(total)));
            sent.update(|n| *n += 1);
        });
    };
    let result = move || {
        bulk.value().get().and_then(|r| r.ok()).or_else(from_query).map(|r| {
            let rows = r
                .rows
                .into_iter()
                .map(|row| {
                    let problem = row.problem.map(|reason| {
                        error_text(&AppError::Invalid { field: "row".into(), reason }, t)
                    });
                    let class = if problem.is_some() { "bulk-row bad" } else { "bulk-row good" };
                    view! {
                        <tr class=class>
                            <td>{row.line}</td>
                            <td>{row.email}</td>
                            <td>{row.role}</td>
                            <td>{row.cost_center}</td>
                            <td>{problem.unwrap_or_else(|| t.bulk_ok.to_owned())}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <p class="notice" role="status" id=ids::BULK_SUMMARY>
                    {format!("{} {}, {} {}", r.good, if r.good == 1 { t.bulk_summary_good_one } else { t.bulk_summary_good }, r.bad, t.bulk_summary_bad)}
                    {(r.imported > 0).then(|| format!(" · {} {}", r.imported, t.bulk_imported))}
                </p>
                <div class="table-scroll">
                    <table class="bulk-table" id=ids::BULK_TABLE>
                        <thead><tr>
                            <th>{t.bulk_line}</th><th>{t.email_label}</th><th>{t.sort_role}</th>
                            <th>{t.cost_center_label}</th><th></th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            }
        })
    };
    let progress_bar = move || {
        progress.get().map(|(done, total)| {
            view! {
                <div class="progress" role="status" id=ids::BULK_PROGRESS>
                    <progress max=total value=done></progress>
                    <span>{format!("{done} / {total} {}", t.bulk_rows_sent)}</span>
                </div>
            }
        })
    };
    let stopped_note = move || {
        stopped.get().map(|e| {
            view! { <p class="error" role="alert">{format!("{} {}", error_text(&e, t), t.bulk_stopped)}</p> }
        })
    };
    let open = move || from_query().is_some() || bulk.value().with(Option::is_some);
    let bulk_path = <BulkInvite as server_fn::ServerFn>::PATH;
    view! {
        <details class="panel" open=open>
            <summary><h2>{t.bulk_title}</h2></summary>
            <p class="hint">{t.bulk_intro}" "<a href="/members/template.csv" download="inbjudningar.csv">{t.bulk_template}</a></p>
            <form method="post" action=bulk_path id=ids::BULK_FORM class="stack" on:submit=on_submit>
                <Csrf token=csrf />
                <div class="field" hidden=move || !hydrated.get()>
                    <label for=ids::BULK_FILE>{t.bulk_file_label}</label>
                    <input type="file" id=ids::BULK_FILE accept=".csv,text/csv,text/plain" on:change=on_file />
                </div>
                <label for=ids::BULK_CSV>{t.bulk_csv_label}</label>
                <textarea id=ids::BULK_CSV name="csv" rows="6" required spellcheck="false" node_ref=csv_ref></textarea>
                <fieldset class="choices">
                    <label><input type="radio" name="import" value="" checked=true />" "{t.bulk_mode_preview}</label>
                    <label><input type="radio" name="import" value="good" id=ids::BULK_IMPORT_GOOD node_ref=import_ref />" "{t.bulk_mode_import}</label>
                </fieldset>
                <button type="submit" class="button" id=ids::BULK_SUBMIT disabled=move || progress.with(Option::is_some)>{t.bulk_submit}</button>
            </form>
            {progress_bar}
            {stopped_note}
            {result}
        </details>
    }
}

#[component]
fn MemberRow(
    m: MemberView,
    viewer: Role,
    viewer_id: Uuid,
    csrf: String,
    change: ServerAction<ChangeMemberRole>,
    /// The list this row is shown in: its links keep the search, sort and page.
    query: MemberQuery,
) -> impl IntoView {
    let t = use_texts();
    let is_self = m.user_id == viewer_id;
    let id = m.user_id.to_string();
    let manageable = super::may_manage(viewer, m.role);
    let role_control = if viewer == Role::Owner && manageable {
        let options = [Role::Admin, Role::Finance, Role::Member]
            .into_iter()
            .map(|r| view! { <option value=r.as_str() selected=r == m.role>{r.label(t)}</option> })
            .collect_view();
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
    let name = if m.name.is_empty() {
        t.no_name.to_owned()
    } else {
        m.name.clone()
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
                <dd>{m.cost_center.clone().unwrap_or_else(|| "–".into())}</dd>
                <dt>{t.sort_last_session}</dt>
                <dd>{m.last_session.clone().unwrap_or_else(|| "–".into())}</dd>
            </dl>
            <div class="member-actions">{role_control}{transfer_link}{remove_link}</div>
        </li>
    }
}

#[component]
fn ConfirmRemove(
    m: MemberView,
    csrf: String,
    remove: ServerAction<RemoveMember>,
    /// The list to return to (its search, sort and page).
    back: String,
) -> impl IntoView {
    let t = use_texts();
    let who = if m.name.is_empty() {
        m.email.clone()
    } else {
        format!("{} ({})", m.name, m.email)
    };
    view! {
        <div class="panel confirm" role="alertdialog" aria-labelledby="confirm-title" id=ids::CONFIRM_REMOVE>
            <h2 id="confirm-title">{format!("{} {who}?", t.confirm_remove)}</h2>
            <p>{t.confirm_remove_body}</p>
            <ActionForm action=remove attr:class="inline-form">
                <Csrf token=csrf />
                <input type="hidden" name="user_id" value=m.user_id.to_string() />
                <input type="hidden" name="back" value=back.clone() />
                <button type="submit" class="button danger" id=ids::CONFIRM_REMOVE_YES>{t.confirm_yes}</button>
                <a class="button secondary" href=back>{t.confirm_no}</a>
            </ActionForm>
        </div>
    }
}

#[component]
fn TransferPanel(
    m: MemberView,
    csrf: String,
    send_code: ServerAction<RequestTransferCode>,
    transfer: ServerAction<TransferOwnership>,
    back: String,
) -> impl IntoView {
    let t = use_texts();
    let who = if m.name.is_empty() {
        m.email.clone()
    } else {
        format!("{} ({})", m.name, m.email)
    };
    let csrf2 = csrf.clone();
    view! {
        <div class="panel confirm" role="alertdialog" aria-labelledby="transfer-title" id=ids::TRANSFER_PANEL>
            <h2 id="transfer-title">{format!("{} {who}?", t.transfer_title)}</h2>
            <p>{t.transfer_body}</p>
            <ActionForm action=send_code attr:class="inline-form">
                <Csrf token=csrf />
                <button type="submit" class="button secondary" id=ids::TRANSFER_SEND_CODE>{t.transfer_send_code}</button>
                <span class="hint" role="status">
                    {move || matches!(send_code.value().get(), Some(Ok(()))).then_some(t.transfer_code_sent)}
                </span>
            </ActionForm>
            <ActionForm action=transfer attr:class="inline-form">
                <Csrf token=csrf2 />
                <input type="hidden" name="user_id" value=m.user_id.to_string() />
                <label for=ids::TRANSFER_CODE>{t.code_label}</label>
                <input type="text" id=ids::TRANSFER_CODE name="code" required class="code-input"
                    inputmode="numeric" autocomplete="one-time-code" maxlength="7" placeholder="123 456" />
                <button type="submit" class="button danger" id=ids::TRANSFER_CONFIRM>{t.transfer_confirm}</button>
                <a class="button secondary" href=back>{t.confirm_no}</a>
            </ActionForm>
        </div>
    }
}

#[component]
fn InvitationList(
    list: Vec<super::InvitationView>,
    csrf: String,
    resend: ServerAction<ResendInvitation>,
    cancel: ServerAction<CancelInvitation>,
) -> impl IntoView {
    let t = use_texts();
    let rows = list
        .into_iter()
        .map(|i| {
            let csrf = csrf.clone();
            let email = i.email.clone();
            let (class, label) = match i.status {
                InvitationStatus::Pending => ("inv-pending", t.inv_pending),
                InvitationStatus::Accepted => ("inv-accepted", t.inv_accepted),
                InvitationStatus::Expired => ("inv-expired", t.inv_expired),
                InvitationStatus::Cancelled => ("inv-cancelled", t.inv_cancelled),
                InvitationStatus::DeliveryFailed => ("inv-failed", t.inv_failed),
            };
            let open = matches!(i.status, InvitationStatus::Pending | InvitationStatus::DeliveryFailed | InvitationStatus::Expired);
            let actions = open.then(|| {
                let id = i.id.to_string();
                let csrf2 = csrf.clone();
                let id2 = id.clone();
                view! {
                    <ActionForm action=resend attr:class="inline-form">
                        <Csrf token=csrf.clone() />
                        <input type="hidden" name="id" value=id />
                        <button type="submit" class="button secondary small">{t.resend}</button>
                    </ActionForm>
                    <ActionForm action=cancel attr:class="inline-form">
                        <Csrf token=csrf2 />
                        <input type="hidden" name="id" value=id2 />
                        <button type="submit" class="button secondary small">{t.cancel_invite}</button>
                    </ActionForm>
                }
            });
            view! {
                <li class="invitation" data-email=email data-status=class>
                    <div>
                        <strong>{i.email}</strong>
                        " · "{i.role.label(t)}" · "{i.sent_on}
                        <p class=format!("badge {class}")>{label}</p>
                        {i.delivery_error.map(|e| view! { <p class="hint">{e}</p> })}
                    </div>
                    <div class="member-actions">{actions}</div>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="invitation-list" id=ids::INVITATION_LIST>{rows}</ul> }
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

/// `/invite/<token>`: who invites whom to what; sign in as the invited address, then join.
#[component]
pub fn InvitePage() -> impl IntoView {
    let t = use_texts();
    let ctx = use_session();
    let params = use_params_map();
    let token = Memo::new(move |_| params.with(|p| p.get("token").unwrap_or_default()));
    let info = Resource::new(move || token.get(), invitation_info);
    let accept = ServerAction::<AcceptInvitation>::new();
    Effect::new(move |_| {
        if let Some(Ok(path)) = accept.value().get() {
            navigate_fresh(&path);
        }
    });
    let from_query = query_error();
    let error = Signal::derive(move || match accept.value().get() {
        Some(Err(e)) => Some(e),
        _ => from_query.get(),
    });
    let body = move || {
        Suspend::new(async move {
            let session = ctx.session.await.unwrap_or_default();
            let Ok(info) = info.await else {
                return view! { <p class="error" role="alert" id=ids::INVITE_STATE>{t.invite_invalid}</p> }.into_any();
            };
            if !info.valid {
                return view! { <p class="error" role="alert" id=ids::INVITE_STATE>{t.invite_invalid}</p> }.into_any();
            }
            let heading = format!(
                "{} {} {} {}",
                t.invite_for,
                info.company,
                t.invite_as,
                info.role.label(t).to_lowercase()
            );
            let token = token.get_untracked();
            let action = match session.user {
                None => {
                    let href = crate::url::with_query(
                        "/sign-in",
                        &[("email", &info.email), ("next", &format!("/invite/{token}"))],
                    );
                    view! {
                        <p><a class="button" href=href rel="external" id=ids::INVITE_SIGN_IN>
                            {format!("{} {}", t.invite_sign_in_as, info.email)}
                        </a></p>
                    }
                    .into_any()
                }
                Some(user) if user.email != info.email => view! {
                    <p class="error" role="alert" id=ids::INVITE_STATE>
                        {format!("{} {}.", t.invite_wrong_account, info.email)}
                    </p>
                }
                .into_any(),
                Some(_) => view! {
                    <FormError error=error />
                    <ActionForm action=accept attr:class="inline-form">
                        <Csrf token=session.csrf.clone() />
                        <input type="hidden" name="token" value=token />
                        <button type="submit" class="button" id=ids::INVITE_ACCEPT>{t.invite_accept_button}</button>
                    </ActionForm>
                }
                .into_any(),
            };
            view! {
                <h1 id=ids::INVITE_HEADING>{heading}</h1>
                <p class="notice">{format!("{}: {}", t.email_label, info.email)}</p>
                {action}
            }
            .into_any()
        })
    };
    view! {
        <Title text=t.invite_page_title />
        <section class="page narrow">
            <Transition fallback=move || view! { <p class="loading">{t.loading}</p> }>{body}</Transition>
        </section>
    }
}
