//! The facility list page: `/facilities?q=…&city=…&kind=…`.
//!
//! The filter lives in the URL. Without JavaScript the form is a plain GET form and the
//! server renders the filtered list; after hydration the list follows every keystroke and
//! select change by rewriting the URL (typing replaces the history entry, a select pushes one,
//! so back and forward walk through real choices).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::Form,
    hooks::{use_navigate, use_query_map},
    NavigateOptions,
};

use super::{list_facilities, Acceptance, Facility, FacilityKind, FacilityQuery};
use crate::{error::AppError, i18n::use_lang, ids};

pub const PATH: &str = "/facilities";

fn href_for(q: &FacilityQuery) -> String {
    crate::url::with_query(PATH, &[("q", &q.q), ("city", &q.city), ("kind", &q.kind)])
}

#[component]
pub fn FacilitiesPage() -> impl IntoView {
    let lang = use_lang();
    let t = lang.texts();
    let query_map = use_query_map();
    let query = Memo::new(move |_| {
        query_map.with(|m| FacilityQuery {
            q: m.get("q").unwrap_or_default(),
            city: m.get("city").unwrap_or_default(),
            kind: m.get("kind").unwrap_or_default(),
        })
    });
    let list = Resource::new(move || query.get(), list_facilities);

    // The controls follow the URL when it changes under them (back/forward), but not at
    // hydration: whatever the user typed or chose before the WASM arrived stays.
    let search_ref = NodeRef::<leptos::html::Input>::new();
    let city_ref = NodeRef::<leptos::html::Select>::new();
    let kind_ref = NodeRef::<leptos::html::Select>::new();
    Effect::new(move |prev: Option<FacilityQuery>| {
        let q = query.get();
        if prev.is_some() {
            if let Some(el) = search_ref.get() {
                if el.value() != q.q {
                    el.set_value(&q.q);
                }
            }
            if let Some(el) = city_ref.get() {
                el.set_value(&q.city);
            }
            if let Some(el) = kind_ref.get() {
                el.set_value(&q.kind);
            }
        }
        q
    });

    let navigate = use_navigate();
    // The next URL starts from what the form shows, not from the current URL: a user may
    // have typed before hydration, and that text must not be lost by the next change.
    let go = move |change: &dyn Fn(&mut FacilityQuery), replace: bool| {
        let url = query.get_untracked();
        let mut next = FacilityQuery {
            q: search_ref.get_untracked().map_or(url.q, |el| el.value()),
            city: city_ref.get_untracked().map_or(url.city, |el| el.value()),
            kind: kind_ref.get_untracked().map_or(url.kind, |el| el.value()),
        };
        change(&mut next);
        navigate(
            &href_for(&next),
            NavigateOptions {
                replace,
                scroll: false,
                ..Default::default()
            },
        );
    };
    let on_search = {
        let go = go.clone();
        move |ev| go(&|q| q.q = event_target_value(&ev), true)
    };
    let on_city = {
        let go = go.clone();
        move |ev| go(&|q| q.city = event_target_value(&ev), false)
    };
    let on_kind = move |ev| go(&|q| q.kind = event_target_value(&ev), false);

    let city_options = move || {
        Suspend::new(async move {
            let selected = query.get_untracked().city;
            let cities = list.await.map(|l| l.cities).unwrap_or_default();
            cities
                .into_iter()
                .map(|c| {
                    let is_selected = c == selected;
                    let label = c.clone();
                    view! { <option value=c selected=is_selected>{label}</option> }
                })
                .collect_view()
        })
    };

    let results = move || {
        Suspend::new(async move {
            match list.await {
                Ok(l) => {
                    let n = l.facilities.len() as i64;
                    let noun = if n == 1 { t.facilities_count_one } else { t.facilities_count_many };
                    let cards = l.facilities.into_iter().map(|f| view! { <FacilityCard f/> }).collect_view();
                    view! {
                        <p id=ids::FACILITY_COUNT class="result-count" aria-live="polite">
                            {format!("{} {noun}", lang.int(n))}
                        </p>
                        <Show when=move || n == 0>
                            <p class="empty">{t.no_facilities}</p>
                        </Show>
                        <ul id=ids::FACILITY_LIST class="facility-list">{cards}</ul>
                    }
                    .into_any()
                }
                Err(AppError::Invalid { field, .. }) => {
                    let label = match field.as_str() {
                        "q" => t.search_label,
                        "city" => t.city_label,
                        "kind" => t.kind_label,
                        other => other,
                    };
                    view! { <p class="error" role="alert">{format!("{} ”{label}”.", t.error_invalid)}</p> }
                }
                .into_any(),
                Err(_) => view! { <p class="error" role="alert">{t.error_generic}</p> }.into_any(),
            }
        })
    };

    view! {
        <Title text=t.facilities_title />
        <section class="page facilities">
            <h1>{t.facilities_title}</h1>
            <p class="intro">{t.facilities_intro}</p>
            <Form method="GET" action=PATH attr:id=ids::FACILITY_FORM attr:class="filters" attr:role="search">
                <div class="field grow">
                    <label for=ids::FACILITY_SEARCH>{t.search_label}</label>
                    <input
                        type="search"
                        id=ids::FACILITY_SEARCH
                        name="q"
                        maxlength=super::MAX_SEARCH_LEN
                        placeholder=t.search_placeholder
                        autocomplete="off"
                        value=move || query.with_untracked(|q| q.q.clone())
                        node_ref=search_ref
                        on:input=on_search
                    />
                </div>
                <div class="field">
                    <label for=ids::FACILITY_CITY>{t.city_label}</label>
                    <select
                        id=ids::FACILITY_CITY
                        name="city"
                        on:change=on_city
                        node_ref=city_ref
                    >
                        <option value="">{t.all_cities}</option>
                        <Transition fallback=|| ()>{city_options}</Transition>
                    </select>
                </div>
                <div class="field">
                    <label for=ids::FACILITY_KIND>{t.kind_label}</label>
                    <select
                        id=ids::FACILITY_KIND
                        name="kind"
                        on:change=on_kind
                        node_ref=kind_ref
                    >
                        <option value="">{t.all_kinds}</option>
                        {FacilityKind::ALL
                            .into_iter()
                            .map(|k| {
                                let selected = move || query.with(|q| q.kind == k.as_str());
                                view! { <option value=k.as_str() selected=selected>{k.label(t)}</option> }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="actions">
                    <button type="submit" id=ids::FACILITY_SUBMIT class="button">{t.search_button}</button>
                    <a class="button secondary" href=PATH>{t.clear_filters}</a>
                </div>
            </Form>
            <div class="results">
                <Transition fallback=move || view! { <p class="loading">{t.loading}</p> }>{results}</Transition>
            </div>
        </section>
    }
}

#[component]
fn FacilityCard(f: Facility) -> impl IntoView {
    let t = use_lang().texts();
    let acceptance_class = format!("badge accept-{}", f.company_account.as_str());
    let icon = match f.company_account {
        Acceptance::Yes => "✓",
        Acceptance::Some => "◐",
        Acceptance::No => "✕",
    };
    view! {
        <li class="facility-card" data-kind=f.kind.as_str()>
            <div class="facility-head">
                <h2>{f.name}</h2>
                <span class="badge kind">{f.kind.label(t)}</span>
            </div>
            <p class="address">{format!("{}, {}", f.address, f.city)}</p>
            <p class=acceptance_class>
                <span aria-hidden="true">{icon}</span>
                " "
                {f.company_account.label(t)}
            </p>
            {(!f.company_account_note.is_empty()).then(|| view! { <p class="note">{f.company_account_note}</p> })}
            {f.has_chargers.then(|| view! { <p class="chargers"><span aria-hidden="true">"⚡"</span>" "{t.has_chargers}</p> })}
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_carries_only_the_filters_that_are_set() {
        let q = FacilityQuery {
            q: "södra vägen".into(),
            kind: "camera_garage".into(),
            ..Default::default()
        };
        let href = href_for(&q);
        assert!(href.starts_with("/facilities?q=s%C3%B6dra%20v"), "{href}");
        assert!(href.contains("kind=camera_garage"));
        assert!(!href.contains("city="));
        assert_eq!(href_for(&FacilityQuery::default()), "/facilities");
    }
}
