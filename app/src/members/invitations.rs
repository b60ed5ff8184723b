//! The company's invitations on `/members`, and the page an invitation link opens
//! (`/invite/<token>`): who invites whom to what; sign in as the invited address, then join.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::{
    invitation_info, AcceptInvitation, CancelInvitation, InvitationStatus, ResendInvitation,
};
use crate::{
    auth::use_session,
    i18n::use_texts,
    ids,
    ui::{navigate_fresh, query_error, Csrf, FormError},
};

#[component]
pub(super) fn InvitationList(
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
                InvitationStatus::NotDelivered => ("inv-not-delivered", t.inv_not_delivered),
                InvitationStatus::Accepted => ("inv-accepted", t.inv_accepted),
                InvitationStatus::Expired => ("inv-expired", t.inv_expired),
                InvitationStatus::Cancelled => ("inv-cancelled", t.inv_cancelled),
                InvitationStatus::DeliveryFailed => ("inv-failed", t.inv_failed),
            };
            let open = matches!(
                i.status,
                InvitationStatus::Pending
                    | InvitationStatus::NotDelivered
                    | InvitationStatus::DeliveryFailed
                    | InvitationStatus::Expired
            );
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
