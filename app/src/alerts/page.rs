//! `/notices`: a person's notices with the unread ones marked, "mark all as read", and their
//! choices of what they are told and how. `/notices/unsubscribe`: a mail's signed link to
//! stop one kind of mail, without signing in. Everything works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use super::{
    notices, unsubscribe_link, MarkNoticesRead, Mode, NoticesView, SaveAlertSettings, Unsubscribe,
};
use crate::{
    auth::use_session,
    i18n::{use_lang, use_texts, Lang},
    ids,
    ui::{error_text, load_failure, query_error, Csrf},
};

#[component]
pub fn NoticesPage() -> impl IntoView {
    let lang = use_lang();
    let t = use_texts();
    let a = lang.alerts();
    let session = use_session();
    let q = use_query_map();
    let mark = ServerAction::<MarkNoticesRead>::new();
    let save = ServerAction::<SaveAlertSettings>::new();
    let data = Resource::new(
        move || {
            (
                q.with(|m| m.get("before").unwrap_or_default()),
                mark.version().get(),
                save.version().get(),
            )
        },
        |(before, _, _)| notices(before),
    );
    let from_query = query_error();
    let error = Signal::derive(move || {
        [
            mark.value().get().map(|r| r.map(|_| ())),
            save.value().get().map(|r| r.map(|_| ())),
        ]
        .into_iter()
        .flatten()
        .find_map(|r| r.err())
        .or_else(|| from_query.get())
    });
    let saved = move || {
        q.with(|m| m.get("saved").is_some()) || save.value().get().is_some_and(|r| r.is_ok())
    };
    let body = move || {
        Suspend::new(async move {
            let v = match data.await {
                Ok(v) => v,
                Err(e) => return load_failure(e, t, t.forbidden),
            };
            let csrf = session.session.await.map(|s| s.csrf).unwrap_or_default();
            view! {
                {move || error.get().map(|e| view! {
                    <p class="error" role="alert" id=ids::FORM_ERROR>{error_text(&e, t)}</p>
                })}
                <NoticeList v=v.clone() csrf=csrf.clone() mark />
                <Settings v csrf save saved=Signal::derive(saved) />
            }
            .into_any()
        })
    };
    view! {
        <Title text=a.title />
        <section class="page notices">
            <h1>{a.title}</h1>
            <p class="intro">{a.intro}</p>
            <Transition fallback=move || view! { <p class="loading">{t.loading}</p> }>{body}</Transition>
        </section>
    }
}

#[component]
fn NoticeList(v: NoticesView, csrf: String, mark: ServerAction<MarkNoticesRead>) -> impl IntoView {
    let a = use_lang().alerts();
    let unread = v.unread;
    let list = if v.notices.is_empty() {
        view! { <p class="empty">{a.none}</p> }.into_any()
    } else {
        view! {
            <ul class="notice-list" id=ids::NOTICES_LIST>
                {v.notices
                    .into_iter()
                    .map(|n| view! {
                        <li class:unread=n.unread data-kind=n.kind.as_str()>
                            {n.unread.then(|| view! { <span class="badge">{a.new_label}</span>" " })}
                            <a href=n.href>{n.text}</a>
                            <span class="when">{n.when}</span>
                        </li>
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <section class="panel" aria-labelledby="notices-h">
            <h2 id="notices-h">{Lang::fill(a.unread, &[("n", &unread.to_string())])}</h2>
            {(unread > 0).then(|| view! {
                <ActionForm action=mark attr:class="inline-form" attr:id=ids::NOTICES_MARK_READ>
                    <Csrf token=csrf.clone() />
                    <button type="submit" class="button secondary">{a.mark_read}</button>
                </ActionForm>
            })}
            {list}
            {v.older_href.map(|h| view! { <p><A href=h>{a.older}</A></p> })}
        </section>
    }
}

#[component]
fn Settings(
    v: NoticesView,
    csrf: String,
    save: ServerAction<SaveAlertSettings>,
    saved: Signal<bool>,
) -> impl IntoView {
    let a = use_lang().alerts();
    let rows = v
        .settings
        .into_iter()
        .map(|(kind, mode)| {
            let id = format!("alert-{}", kind.as_str());
            let options = Mode::ALL
                .into_iter()
                .map(|m| view! { <option value=m.as_str() selected=m == mode>{a.modes[m.index()]}</option> })
                .collect_view();
            view! {
                <div class="field">
                    <label for=id.clone()>{a.kinds[kind.index()]}</label>
                    <select id=id name=format!("choices[{}]", kind.as_str())>{options}</select>
                </div>
            }
        })
        .collect_view();
    view! {
        <section class="panel" aria-labelledby="alert-settings-h">
            <h2 id="alert-settings-h">{a.settings_title}</h2>
            <p class="hint">{a.settings_intro}</p>
            {move || saved.get().then(|| view! { <p class="notice" role="status">{a.saved}</p> })}
            <ActionForm action=save attr:class="filters alert-settings" attr:id=ids::NOTICES_SETTINGS>
                <Csrf token=csrf />
                {rows}
                <div class="actions">
                    <button type="submit" class="button">{a.save_settings}</button>
                </div>
            </ActionForm>
        </section>
    }
}

/// `/notices/unsubscribe?c=…&u=…&k=…&s=…`: the question, then the answer. A GET never changes
/// anything (mail scanners open links); the button does.
#[component]
pub fn UnsubscribePage() -> impl IntoView {
    let lang = use_lang();
    let t = use_texts();
    let a = lang.alerts();
    let session = use_session();
    let q = use_query_map();
    let action = ServerAction::<Unsubscribe>::new();
    let params = move || {
        q.with(|m| {
            (
                m.get("c").unwrap_or_default(),
                m.get("u").unwrap_or_default(),
                m.get("k").unwrap_or_default(),
                m.get("s").unwrap_or_default(),
            )
        })
    };
    let link = Resource::new(params, |(c, u, k, s)| unsubscribe_link(c, u, k, s));
    let done = move || {
        q.with(|m| m.get("done").is_some()) || action.value().get().is_some_and(|r| r.is_ok())
    };
    let body = move || {
        Suspend::new(async move {
            let v = match link.await {
                Ok(v) => v,
                Err(_) => {
                    return view! { <p class="error" role="alert">{a.unsubscribe_bad}</p> }
                        .into_any()
                }
            };
            let kind = a.kinds[v.kind.index()];
            let csrf = session.session.await.map(|s| s.csrf).unwrap_or_default();
            let (c, u, k, s) = params();
            if done() {
                return view! { <p class="notice" role="status">{Lang::fill(a.unsubscribed, &[("kind", kind)])}</p> }.into_any();
            }
            view! {
                <p>{Lang::fill(a.unsubscribe_question, &[("kind", kind), ("email", &v.email), ("company", &v.company)])}</p>
                <ActionForm action attr:id=ids::UNSUBSCRIBE_FORM>
                    <Csrf token=csrf />
                    <input type="hidden" name="c" value=c />
                    <input type="hidden" name="u" value=u />
                    <input type="hidden" name="k" value=k />
                    <input type="hidden" name="s" value=s />
                    <button type="submit" class="button">{a.unsubscribe_button}</button>
                </ActionForm>
            }
            .into_any()
        })
    };
    view! {
        <Title text=a.unsubscribe_title />
        <section class="page">
            <h1>{a.unsubscribe_title}</h1>
            <Transition fallback=move || view! { <p class="loading">{t.loading}</p> }>{body}</Transition>
        </section>
    }
}
