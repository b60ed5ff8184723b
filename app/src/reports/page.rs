//! `/costs/report`: the monthly report's recipients and language.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{report_settings, SaveReportSettings};
use crate::{
    auth::use_session,
    i18n::{use_texts, Lang},
    ids,
    ui::{load_failure, query_error, Csrf, FormError},
};

#[component]
pub fn ReportPage() -> impl IntoView {
    let t = use_texts();
    let session = use_session();
    let save = ServerAction::<SaveReportSettings>::new();
    let settings = Resource::new(move || save.version().get(), |_| report_settings());
    let from_query = query_error();
    let error = Signal::derive(move || {
        save.value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| from_query.get())
    });
    let saved = move || matches!(save.value().get(), Some(Ok(())));
    let body = move || {
        Suspend::new(async move {
            let s = match settings.await {
                Ok(s) => s,
                Err(e) => return load_failure(e, t, t.report_forbidden),
            };
            let csrf = session.session.await.map(|s| s.csrf).unwrap_or_default();
            let langs = Lang::ALL
                .into_iter()
                .map(|l| {
                    let selected = s.lang == l.code() || (s.lang.is_empty() && l == Lang::Sv);
                    view! { <option value=l.code() selected=selected>{l.native_name()}</option> }
                })
                .collect_view();
            let people = s
                .people
                .into_iter()
                .map(|p| {
                    let id = format!("report-{}", p.user_id);
                    let label = if p.name.is_empty() {
                        p.email.clone()
                    } else {
                        format!("{} ({})", p.name, p.email)
                    };
                    view! {
                        <label class="check" for=id.clone()>
                            <input type="checkbox" id=id.clone() name=format!("settings[r-{}]", p.user_id) value="on" checked=p.chosen />
                            " "{label}" · "<span class="muted">{p.role.label(t)}</span>
                        </label>
                    }
                })
                .collect_view();
            let last = s
                .last_sent
                .map(|m| format!("{}: {m}", t.report_last_sent))
                .unwrap_or_else(|| t.report_none_yet.to_owned());
            view! {
                <ActionForm action=save attr:class="stack panel" attr:id=ids::REPORT_FORM>
                    <Csrf token=csrf />
                    <fieldset class="choices stack">
                        <legend>{t.report_recipients}</legend>
                        {people}
                    </fieldset>
                    <div class="field">
                        <label for=ids::REPORT_LANG>{t.report_lang}</label>
                        <select id=ids::REPORT_LANG name="settings[lang]">{langs}</select>
                    </div>
                    <button type="submit" class="button" id=ids::REPORT_SAVE>{t.cost_centers_save}</button>
                </ActionForm>
                <p class="hint" id=ids::REPORT_LAST>{last}</p>
            }
            .into_any()
        })
    };
    view! {
        <Title text=t.report_title />
        <section class="page report">
            <p><a href="/costs">{format!("← {}", t.costs_title)}</a></p>
            <h1>{t.report_title}</h1>
            <p class="intro">{t.report_intro}</p>
            <FormError error=error />
            {move || saved().then(|| view! { <p class="notice" role="status" id=ids::REPORT_SAVED>{t.report_saved}</p> })}
            <Transition fallback=move || view! { <p class="loading">{t.loading}</p> }>{body}</Transition>
        </section>
    }
}
