//! The landing page: the signed-in person's sections of the portal.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

use crate::{
    auth::use_session,
    i18n::{use_lang, use_texts},
    ids,
};

#[component]
pub fn HomePage() -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    let ctx = use_session();
    let body = move || {
        Suspend::new(async move {
            let session = ctx.session.await.unwrap_or_default();
            let Some(user) = session.user else {
                return view! { <Redirect path="/sign-in" /> }.into_any();
            };
            let Some(current) = user.current.clone() else {
                if user.companies.is_empty() {
                    return view! {
                        <Title text=t.no_company_title />
                        <h1>{t.no_company_title}</h1>
                        <p class="intro">{t.no_company_body}</p>
                    }
                    .into_any();
                }
                return view! { <Redirect path="/companies" /> }.into_any();
            };
            // The front desk has one page: it starts there.
            if current.role.home() != "/" {
                return view! { <Redirect path=current.role.home() /> }.into_any();
            }
            let greeting = if user.name.is_empty() {
                user.email.clone()
            } else {
                user.name.clone()
            };
            let _ = lang;
            view! {
                <Title text=current.name.clone() />
                <p class="eyebrow">{format!("{}, {greeting}", t.welcome)}</p>
                <h1 id=ids::HOME_COMPANY>{current.name.clone()}</h1>
                <p class="intro">
                    {t.your_role}": "<strong id=ids::HOME_ROLE>{current.role.label(t)}</strong>
                </p>
                <ul class="section-cards">
                    {current.role.sees_company_records().then(|| view! {
                        <li><a class="section-card" href="/members" id=ids::HOME_MEMBERS_LINK>
                            <h2>{t.nav_members}</h2>
                            <p>{t.members_blurb}</p>
                        </a></li>
                    })}
                    {current.role.sees_company_records().then(|| view! {
                        <li><a class="section-card" href="/audit" id=ids::HOME_AUDIT_LINK>
                            <h2>{t.audit_title}</h2>
                            <p>{t.audit_intro}</p>
                        </a></li>
                    })}
                    <li><a class="section-card" href="/history" id=ids::HOME_HISTORY_LINK>
                        <h2>{t.nav_history}</h2>
                        <p>{t.history_blurb}</p>
                    </a></li>
                    {current.role.sees_company_records().then(|| view! {
                        <li><a class="section-card" href="/invoices" id=ids::HOME_INVOICES_LINK>
                            <h2>{t.invoices_title}</h2>
                            <p>{t.invoices_blurb}</p>
                        </a></li>
                    })}
                    {current.role.sees_company_records().then(|| view! {
                        <li><a class="section-card" href="/cost-centers" id=ids::HOME_COST_CENTERS_LINK>
                            <h2>{t.cost_centers_title}</h2>
                            <p>{t.cost_centers_blurb}</p>
                        </a></li>
                    })}
                    {current.role.uses_front_desk().then(|| view! {
                        <li><a class="section-card" href="/frontdesk" id=ids::HOME_FRONT_DESK_LINK>
                            <h2>{t.nav_front_desk}</h2>
                            <p>{t.front_desk_blurb}</p>
                        </a></li>
                    })}
                    <li><a class="section-card" href="/costs" id=ids::HOME_COSTS_LINK>
                        <h2>{t.nav_costs}</h2>
                        <p>{t.costs_blurb}</p>
                    </a></li>
                </ul>
            }
            .into_any()
        })
    };
    view! {
        <section class="page">
            <Transition fallback=move || view! { <p class="loading">{t.loading}</p> }>{body}</Transition>
        </section>
    }
}
