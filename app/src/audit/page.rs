//! `/audit?action=…&person=…&month=YYYY-MM`: the audit log, newest first.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Form, hooks::use_query_map};

use super::{list_audit, AuditAction, AuditQuery};
use crate::{error::AppError, i18n::use_texts, ids, ui::error_text};

#[component]
pub fn AuditPage() -> impl IntoView {
    let t = use_texts();
    let q = use_query_map();
    let query = Memo::new(move |_| {
        q.with(|m| AuditQuery {
            action: m.get("action").unwrap_or_default(),
            person: m.get("person").unwrap_or_default(),
            month: m.get("month").unwrap_or_default(),
        })
    });
    let entries = Resource::new(move || query.get(), list_audit);
    let body = move || {
        Suspend::new(async move {
            match entries.await {
                Ok(list) if list.is_empty() => view! { <p class="empty">{t.audit_empty}</p> }.into_any(),
                Ok(list) => view! {
                    <ul class="invitation-list" id=ids::AUDIT_LIST>
                        {list
                            .into_iter()
                            .map(|e| {
                                let who = e.actor.clone().unwrap_or_else(|| t.audit_customer_service.to_owned());
                                let action = e.action.clone();
                                view! {
                                    <li class="invitation" data-action=action>
                                        <div>
                                            <strong>{e.action}</strong>" · "{e.at}
                                            <p>{format!("{}: {who}", t.audit_by)}</p>
                                            {e.subject.map(|s| view! { <p>{format!("{}: {s}", t.audit_subject)}</p> })}
                                            <p class="hint">{e.details}</p>
                                        </div>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any(),
                Err(AppError::Forbidden) | Err(AppError::Unauthorized) => {
                    view! { <p class="error" role="alert">{t.members_forbidden}</p> }.into_any()
                }
                Err(e) => view! { <p class="error" role="alert">{error_text(&e, t)}</p> }.into_any(),
            }
        })
    };
    view! {
        <Title text=t.audit_title />
        <section class="page">
            <h1>{t.audit_title}</h1>
            <p class="intro">{t.audit_intro}</p>
            <Form method="GET" action="/audit" attr:class="filters" attr:role="search">
                <div class="field">
                    <label for="audit-action">{t.audit_action}</label>
                    <select id="audit-action" name="action">
                        <option value="">{t.audit_all_actions}</option>
                        {AuditAction::ALL
                            .into_iter()
                            .map(|a| {
                                let a = a.as_str();
                                let selected = query.with_untracked(|q| q.action == a);
                                view! { <option value=a selected=selected>{a}</option> }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="audit-person">{t.audit_person}</label>
                    <input id="audit-person" name="person" type="search" maxlength="100"
                        value=move || query.with_untracked(|q| q.person.clone()) />
                </div>
                <div class="field">
                    <label for="audit-month">{t.audit_month}</label>
                    <input id="audit-month" name="month" type="month"
                        value=move || query.with_untracked(|q| q.month.clone()) />
                </div>
                <div class="actions">
                    <button type="submit" class="button">{t.search_button}</button>
                </div>
            </Form>
            <Transition fallback=move || view! { <p class="loading">{t.loading}</p> }>{body}</Transition>
        </section>
    }
}
