//! `/frontdesk`: the registration form (or, right after a registration, its confirmation with
//! one big way back to an empty form), today's guests with their status, each live permit's
//! extend and cancel steps (`?extend=<id>`, `?cancel=<id>`: a tap opens big choices, no small
//! menus), and the members parked now. Every form is a plain form post without JavaScript and
//! a server action with it; with JavaScript the lists refresh every [`POLL_SECONDS`] while the
//! page is visible, and a signed-out session (the idle time ran out) goes to the sign-in page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::Redirect,
    hooks::{use_navigate, use_query_map},
};
use uuid::Uuid;

#[cfg(feature = "hydrate")]
use super::POLL_SECONDS;
use super::{
    front_desk_today, texts::texts, CancelGuest, Delivery, ExtendGuest, GuestStatus, GuestView,
    RegisterGuest, TodayView, GUESTS_PER_DAY, GUESTS_PER_HOUR, PAGE,
};
use crate::{
    auth::use_session,
    error::{AppError, Reason},
    i18n::{use_lang, use_texts},
    ids,
    ui::{error_text, query_error, Csrf},
};

/// The message for a front-desk error: by field, in the desk's own words.
fn fd_error_text(err: &AppError, lang: crate::i18n::Lang) -> String {
    let t = texts(lang);
    // The only limit on the desk's actions is the company's guest quota (`service::reserve_guest`).
    if let AppError::RateLimited { retry_after } = err {
        let minutes = ((retry_after + 59) / 60).max(1);
        return t
            .err_guest_quota
            .replace("{per_hour}", &lang.int(GUESTS_PER_HOUR))
            .replace("{per_day}", &lang.int(GUESTS_PER_DAY))
            .replace("{minutes}", &minutes.to_string());
    }
    if let AppError::Invalid { field, reason } = err {
        let text = match (field.as_str(), reason) {
            ("plate", _) => Some(t.err_plate),
            ("visitor_name", _) => Some(t.err_name),
            ("host", Reason::Ambiguous) => Some(t.err_host_many),
            ("host", _) => Some(t.err_host_none),
            ("facility", _) => Some(t.err_facility),
            (_, Reason::InThePast) => Some(t.err_until_past),
            (_, Reason::TooFar) => Some(t.err_until_far),
            ("until_at", _) => Some(t.err_until_bad),
            ("id", Reason::NotPending) | ("by", Reason::EndBeforeStart) => Some(t.err_not_live),
            _ => None,
        };
        if let Some(text) = text {
            return text.to_owned();
        }
    }
    error_text(err, lang.texts())
}

#[component]
pub fn FrontDeskPage() -> impl IntoView {
    let lang = use_lang();
    let t = texts(lang);
    let session = use_session();
    let register = ServerAction::<RegisterGuest>::new();
    let extend = ServerAction::<ExtendGuest>::new();
    let cancel = ServerAction::<CancelGuest>::new();
    let tick = RwSignal::new(0u32);
    let today = Resource::new(
        move || {
            (
                tick.get(),
                register.version().get(),
                extend.version().get(),
                cancel.version().get(),
            )
        },
        |_| front_desk_today(false),
    );
    let q = use_query_map();
    let registered =
        Memo::new(move |_| q.with(|q| q.get("registered").and_then(|v| Uuid::parse_str(&v).ok())));
    let extending =
        Memo::new(move |_| q.with(|q| q.get("extend").and_then(|v| Uuid::parse_str(&v).ok())));
    let cancelling =
        Memo::new(move |_| q.with(|q| q.get("cancel").and_then(|v| Uuid::parse_str(&v).ok())));

    // With JavaScript: after a registration, the confirmation; after a change, the plain list.
    let navigate = use_navigate();
    Effect::new({
        let navigate = navigate.clone();
        move |_| {
            if let Some(Ok(path)) = register.value().get() {
                navigate(&path, Default::default());
            }
        }
    });
    Effect::new(move |_| {
        let changed = matches!(extend.value().get(), Some(Ok(())))
            || matches!(cancel.value().get(), Some(Ok(())));
        if changed {
            navigate(PAGE, Default::default());
        }
    });

    // Polling: a fresh list every POLL_SECONDS while the tab is visible. Server-sent events
    // would need every instance to learn of every session the ingestion API stores (on any
    // instance); a 20-second poll of one cheap GET works through any proxy or iframe.
    #[cfg(feature = "hydrate")]
    {
        let handle = leptos::prelude::set_interval_with_handle(
            move || {
                let visible = !document().hidden();
                if visible {
                    tick.update(|n| *n = n.wrapping_add(1));
                }
            },
            std::time::Duration::from_secs(u64::from(POLL_SECONDS)),
        );
        if let Ok(handle) = handle {
            on_cleanup(move || handle.clear());
        }
    }

    let from_query = query_error();
    let error = Signal::derive(move || {
        let action_error = register
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| extend.value().get().and_then(|r| r.err()))
            .or_else(|| cancel.value().get().and_then(|r| r.err()));
        action_error.or_else(|| from_query.get())
    });

    // A registration's error shows above its button (where the person is looking); the
    // others at the top, beside the step they came from.
    let form_error = Signal::derive(move || error.get().filter(is_registration_error));
    let top_error = Signal::derive(move || error.get().filter(|e| !is_registration_error(e)));

    // The form's choices (facilities, the earliest end), read once: the polled list below must
    // never re-render a form someone is typing in.
    let choices = Resource::new(|| (), |_| front_desk_today(true));
    let form = move || {
        Suspend::new(async move {
            let view = choices.await.ok()?;
            let csrf = session.session.await.map(|s| s.csrf).unwrap_or_default();
            Some(view! { <RegisterForm view csrf register error=form_error /> })
        })
    };
    // The confirmation of a registration and the extend and cancel steps, from the polled list.
    let main = move || {
        Suspend::new(async move {
            let view = today.await.ok()?;
            let csrf = session.session.await.map(|s| s.csrf).unwrap_or_default();
            let find = |id: Option<Uuid>, live: bool| {
                id.and_then(|id| {
                    view.guests
                        .iter()
                        .find(|g| g.id == id && (g.live || !live))
                        .cloned()
                })
            };
            let done = registered.get().map(|id| match find(Some(id), false) {
                Some(g) => view! { <Registered g /> }.into_any(),
                // Not one of today's (an old link): the empty form.
                None => view! { <Redirect path=PAGE /> }.into_any(),
            });
            let step = find(extending.get(), true)
                .map(|g| view! { <ExtendStep g csrf=csrf.clone() extend /> }.into_any())
                .or_else(|| {
                    find(cancelling.get(), true)
                        .map(|g| view! { <CancelStep g csrf=csrf.clone() cancel /> }.into_any())
                });
            Some(view! { {step}{done} })
        })
    };
    // Today's guests and who is parked, refreshed by the poll.
    let side = move || {
        Suspend::new(async move {
            let view = match today.await {
                Ok(v) => v,
                // Signed out (a bookmarked tablet in the morning, or the idle time ran out):
                // to the sign-in page, and back here after it.
                Err(AppError::Unauthorized) => {
                    return view! { <Redirect path=format!("/sign-in?next={PAGE}") /> }.into_any();
                }
                Err(e) => {
                    let text = match e {
                        AppError::Forbidden => t.forbidden.to_owned(),
                        e => fd_error_text(&e, lang),
                    };
                    return view! { <p class="error" role="alert">{text}</p> }.into_any();
                }
            };
            view! {
                <GuestList view=view.clone() />
                <ParkedList view=view.clone() />
                <p class="hint" id=ids::FD_UPDATED>
                    {format!("{} {}", t.updated, view.at)}" · "
                    <a href=PAGE rel="external">{t.refresh}</a>
                </p>
            }
            .into_any()
        })
    };
    let loading = move || view! { <p class="loading">{use_texts().loading}</p> };
    view! {
        <Title text=t.title />
        <section class="page frontdesk">
            <h1>{t.title}</h1>
            <p class="intro">{t.intro}</p>
            {move || top_error.get().map(|e| view! {
                <p class="error" role="alert" id=ids::FORM_ERROR>{fd_error_text(&e, lang)}</p>
            })}
            <div class="fd-grid">
                <div class="fd-main">
                    <Transition fallback=|| ()>{main}</Transition>
                    {move || registered.get().is_none().then(|| view! {
                        <Suspense fallback=loading>{form}</Suspense>
                    })}
                </div>
                <div class="fd-side">
                    <Transition fallback=loading>{side}</Transition>
                </div>
            </div>
        </section>
    }
}

/// An error about one of the registration form's fields.
fn is_registration_error(e: &AppError) -> bool {
    matches!(e, AppError::Invalid { field, .. }
        if matches!(field.as_str(), "plate" | "visitor_name" | "host" | "facility" | "until" | "until_at"))
}

#[component]
fn RegisterForm(
    view: TodayView,
    csrf: String,
    register: ServerAction<RegisterGuest>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let lang = use_lang();
    let t = texts(lang);
    // The plate hint shows how the chosen facility's country writes a plate (a Finnish garage
    // `ABC-123`); the plate is stored that way whatever the spelling typed.
    let examples: std::collections::HashMap<String, String> = view
        .facilities
        .iter()
        .map(|f| (f.id.to_string(), f.plate_example.clone()))
        .collect();
    let first_example = view.facilities.first().map_or_else(
        || crate::plate::example(crate::org_number::Country::Se).to_owned(),
        |f| f.plate_example.clone(),
    );
    let example = RwSignal::new(first_example);
    let on_facility = move |ev| {
        if let Some(e) = examples.get(&event_target_value(&ev)) {
            example.set(e.clone());
        }
    };
    let plate_hint = move || crate::i18n::Lang::fill(t.plate_hint, &[("example", &example.get())]);
    let facilities = view
        .facilities
        .into_iter()
        .enumerate()
        .map(|(i, f)| view! { <option value=f.id.to_string() selected=i == 0>{f.label}</option> })
        .collect_view();
    let choices = [
        ("today", t.until_today),
        ("2h", t.until_2h),
        ("4h", t.until_4h),
        ("tomorrow", t.until_tomorrow),
    ]
    .into_iter()
    .map(|(value, label)| {
        view! {
            <label class="choice">
                <input type="radio" name="until" value=value checked=value == "today" />
                <span>{label}</span>
            </label>
        }
    })
    .collect_view();
    view! {
        <section class="panel fd-register">
            <h2>{t.register_title}</h2>
            <ActionForm action=register attr:id=ids::FD_FORM attr:class="fd-form">
                <Csrf token=csrf />
                <div class="field">
                    <label for=ids::FD_PLATE>{t.plate}</label>
                    <input type="text" id=ids::FD_PLATE name="plate" required maxlength="20"
                        class="plate-input" autocomplete="off" autocapitalize="characters"
                        spellcheck="false" enterkeyhint="next"
                        placeholder=move || example.get() aria-describedby="fd-plate-hint" />
                    <span class="hint" id="fd-plate-hint">{plate_hint}</span>
                </div>
                <div class="field">
                    <label for=ids::FD_FACILITY>{t.facility}</label>
                    <select id=ids::FD_FACILITY name="facility" required on:change=on_facility>{facilities}</select>
                </div>
                <fieldset class="field choices">
                    <legend>{t.until}</legend>
                    {choices}
                    <label for=ids::FD_UNTIL_AT class="choice-other">{t.until_other_label}</label>
                    <input type="datetime-local" id=ids::FD_UNTIL_AT name="until_at" min=view.now_local step="60" />
                </fieldset>
                <div class="field">
                    <label for=ids::FD_NAME>{t.visitor_name}</label>
                    <input type="text" id=ids::FD_NAME name="visitor_name" maxlength="100"
                        autocomplete="off" autocapitalize="words" aria-describedby="fd-name-hint" />
                    <span class="hint" id="fd-name-hint">{t.visitor_name_hint}</span>
                </div>
                <div class="field">
                    <label for=ids::FD_HOST>{t.host}</label>
                    <input type="text" id=ids::FD_HOST name="host" maxlength="254" autocomplete="off"
                        aria-describedby="fd-host-hint" />
                    <span class="hint" id="fd-host-hint">{t.host_hint}</span>
                </div>
                {move || error.get().map(|e| view! {
                    <p class="error" role="alert" id=ids::FORM_ERROR>{fd_error_text(&e, lang)}</p>
                })}
                <button type="submit" class="button big" id=ids::FD_REGISTER>{t.register_button}</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn Registered(g: GuestView) -> impl IntoView {
    let t = texts(use_lang());
    crate::ui::focus_on_mount(ids::FD_NEXT);
    view! {
        <section class="panel fd-done" id=ids::FD_REGISTERED role="status">
            <h2>{t.registered_title}</h2>
            <p class="fd-plate">{g.plate.clone()}</p>
            <p>{g.facility.clone()}</p>
            <p>{format!("{} {}–{}", t.valid, g.from, g.until)}</p>
            <p class="hint">{t.registered_body}</p>
            <DeliveryBadge d=g.delivery />
            <p><a class="button big" href=PAGE id=ids::FD_NEXT autofocus>{t.next_guest}</a></p>
        </section>
    }
}

#[component]
fn DeliveryBadge(d: Delivery) -> impl IntoView {
    let t = texts(use_lang());
    let (class, text) = match d {
        Delivery::Sent => ("badge ok", t.sent_ok),
        Delivery::Waiting => ("badge waiting", t.sent_waiting),
        Delivery::Failed => ("badge failed", t.sent_failed),
    };
    view! { <span class=class data-delivery=format!("{d:?}").to_lowercase()>{text}</span> }
}

#[component]
fn GuestList(view: TodayView) -> impl IntoView {
    let t = texts(use_lang());
    let empty = view.guests.is_empty();
    let cards = view
        .guests
        .into_iter()
        .rev()
        .map(|g| {
            let id = g.id.to_string();
            let actions = g.live.then(|| view! {
                <div class="fd-actions">
                    <a class="button secondary" href=format!("{PAGE}?extend={id}")
                        aria-label=format!("{} {}", t.extend, g.plate)>{t.extend}</a>
                    <a class="button secondary" href=format!("{PAGE}?cancel={id}")
                        aria-label=format!("{} {}", t.cancel, g.plate)>{t.cancel_short}</a>
                </div>
            });
            view! {
                <li class="fd-guest" data-plate=g.plate.clone() data-status=g.status.as_str()>
                    <div class="fd-guest-head">
                        <span class="fd-plate">{g.plate.clone()}</span>
                        <span class=format!("badge status-{}", g.status.as_str())>{g.status.label(t)}</span>
                    </div>
                    <p>
                        {g.visitor_name.clone().map(|n| view! { <strong>{n}</strong>" · " })}
                        {g.facility.clone()}
                    </p>
                    <p class="hint">
                        {format!("{} {}–{}", t.valid, g.from, g.until)}
                        {g.host.clone().map(|h| format!(" · {h}"))}
                    </p>
                    {(g.status != GuestStatus::Cancelled).then(|| view! { <DeliveryBadge d=g.delivery /> })}
                    {actions}
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="panel">
            <h2>{t.today_title}</h2>
            <ul class="fd-guests" id=ids::FD_GUESTS aria-live="polite">
                {cards}
            </ul>
            {empty.then(|| view! { <p class="hint">{t.today_empty}</p> })}
        </section>
    }
}

#[component]
fn ParkedList(view: TodayView) -> impl IntoView {
    let t = texts(use_lang());
    let rows = view
        .parked
        .iter()
        .map(|p| {
            view! {
                <li data-plate=p.plate.clone()>
                    <span class="fd-plate">{p.plate.clone()}</span>
                    <span>{p.name.clone().unwrap_or_else(|| t.unnamed_member.to_owned())}</span>
                    <span class="hint">
                        {format!("{} · {} {}", p.facility, t.since, p.since)}
                        {p.charging.then(|| format!(" · {}", t.charging))}
                    </span>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="panel">
            <h2>{t.parked_title}</h2>
            <ul class="fd-parked" id=ids::FD_PARKED>{rows}</ul>
            {view.parked.is_empty().then(|| view! { <p class="hint">{t.parked_empty}</p> })}
        </section>
    }
}

#[component]
fn ExtendStep(g: GuestView, csrf: String, extend: ServerAction<ExtendGuest>) -> impl IntoView {
    let t = texts(use_lang());
    let id = g.id.to_string();
    let options = [
        ("1h", t.extend_1h),
        ("2h", t.extend_2h),
        ("today", t.extend_today),
        ("tomorrow", t.extend_tomorrow),
    ]
    .into_iter()
    .map(|(by, label)| {
        let (csrf, id) = (csrf.clone(), id.clone());
        view! {
            <ActionForm action=extend attr:class="inline-form">
                <Csrf token=csrf.clone() />
                <input type="hidden" name="id" value=id.clone() />
                <input type="hidden" name="by" value=by />
                <button type="submit" class="button big" data-by=by>{label}</button>
            </ActionForm>
        }
    })
    .collect_view();
    crate::ui::focus_on_mount(ids::FD_EXTEND_PANEL);
    view! {
        <section class="panel confirm" id=ids::FD_EXTEND_PANEL role="dialog" aria-labelledby="fd-extend-title" tabindex="-1" autofocus>
            <h2 id="fd-extend-title">{format!("{} {}", t.extend, g.plate)}</h2>
            <p>{format!("{} {}–{}", t.valid, g.from, g.until)}</p>
            <div class="fd-choices">{options}</div>
            <p><a class="button secondary big" href=PAGE>{t.keep}</a></p>
        </section>
    }
}

#[component]
fn CancelStep(g: GuestView, csrf: String, cancel: ServerAction<CancelGuest>) -> impl IntoView {
    let t = texts(use_lang());
    crate::ui::focus_on_mount(ids::FD_CANCEL_PANEL);
    view! {
        <section class="panel confirm" id=ids::FD_CANCEL_PANEL role="alertdialog" aria-labelledby="fd-cancel-title" tabindex="-1" autofocus>
            <h2 id="fd-cancel-title">{format!("{} {}?", t.cancel, g.plate)}</h2>
            <p>{format!("{} {}–{}", t.valid, g.from, g.until)}</p>
            <ActionForm action=cancel attr:class="inline-form">
                <Csrf token=csrf />
                <input type="hidden" name="id" value=g.id.to_string() />
                <button type="submit" class="button danger big" id=ids::FD_CANCEL_YES>{t.cancel_confirm}</button>
                <a class="button secondary big" href=PAGE>{t.keep}</a>
            </ActionForm>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    /// A spent guest quota (429) names the limits and when the next guest can be registered,
    /// in every language, instead of the sign-in's "too many attempts".
    #[test]
    fn a_spent_guest_quota_says_which_limit_and_when() {
        let err = AppError::RateLimited { retry_after: 2_941 };
        assert_eq!(
            fd_error_text(&err, Lang::En),
            "The company has registered as many guests as it may for now (200 an hour, 1,000 a day). \
             The next guest can be registered in 50 min."
        );
        for lang in Lang::ALL {
            let text = fd_error_text(&err, lang);
            assert!(
                text.contains("50 min") && text.contains("200"),
                "{lang:?}: {text}"
            );
            assert!(
                !text.contains('{'),
                "{lang:?}: a placeholder left in {text}"
            );
            assert!(
                !text.starts_with(lang.texts().rate_limited),
                "{lang:?}: {text}"
            );
        }
        // Under a minute left still says a minute, not zero.
        let soon = fd_error_text(&AppError::RateLimited { retry_after: 5 }, Lang::En);
        assert!(soon.ends_with("in 1 min."), "{soon}");
    }
}
