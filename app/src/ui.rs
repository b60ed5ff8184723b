//! UI pieces every domain's pages share: the error message of a form, the CSRF field, a
//! full page load. They know no domain; a domain's own components stay in its folder.
//!
//! Every form is an `ActionForm` with the session's CSRF token as a hidden field, so it
//! works as a plain form post before (or without) hydration. Errors come back either as the
//! action's value (JavaScript) or in the page's query (`?error=…`, plain form posts; see
//! `answer.rs`).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    csrf_client::CSRF_FIELD,
    error::{AppError, Reason},
    i18n::{use_texts, Texts},
    ids,
};

/// The message for an error, in the user's language.
pub fn error_text(err: &AppError, t: &Texts) -> String {
    match err {
        AppError::InvalidCode => t.invalid_code.to_owned(),
        AppError::Invalid { field, reason } => match reason {
            Reason::AlreadyMember => t.err_already_member,
            Reason::AlreadyInvited => t.err_already_invited,
            Reason::RoleNotAllowed => t.err_role_not_allowed,
            Reason::UnknownCostCenter => t.err_unknown_cost_center,
            Reason::LastOwner => t.err_last_owner,
            Reason::Duplicate => t.err_duplicate,
            Reason::Taken => t.err_code_taken,
            Reason::NotSent => t.err_not_sent,
            Reason::RateLimited => t.err_invite_budget,
            Reason::NotEmail => t.invalid_email,
            Reason::TransferToAdminOnly => t.err_transfer_to_admin_only,
            Reason::NotAMember => t.err_not_a_member,
            Reason::Archived => t.err_archived,
            Reason::Missing => t.err_missing,
            Reason::TooLong => t.err_too_long,
            Reason::TooLarge => t.err_file_too_large,
            _ if field == "csv" => t.err_bad_csv,
            _ if field == "email" => t.invalid_email,
            _ => t.error_generic,
        }
        .to_owned(),
        AppError::NotFound => t.err_not_found.to_owned(),
        AppError::RateLimited { retry_after } => {
            format!("{} {retry_after} {}.", t.rate_limited, t.seconds)
        }
        AppError::Forbidden => t.forbidden.to_owned(),
        AppError::Unavailable => t.err_unavailable.to_owned(),
        AppError::Internal { reference: Some(r) } => {
            format!("{} {} {r}.", t.error_generic, t.err_reference)
        }
        _ => t.error_generic.to_owned(),
    }
}

/// What a page shows when its data would not load: `forbidden` for a caller without the role
/// (or signed out), else the error in the user's language.
pub fn load_failure(e: AppError, t: &'static Texts, forbidden: &'static str) -> AnyView {
    match e {
        AppError::Forbidden | AppError::Unauthorized => {
            view! { <p class="error" role="alert">{forbidden}</p> }.into_any()
        }
        e => view! { <p class="error" role="alert">{error_text(&e, t)}</p> }.into_any(),
    }
}

/// An error from a plain form post's redirect (`?error=…`).
pub fn query_error() -> Memo<Option<AppError>> {
    let q = use_query_map();
    Memo::new(move |_| {
        q.with(|q| {
            let kind = q.get("error")?;
            AppError::from_query(
                &kind,
                q.get("field"),
                q.get("reason"),
                q.get("retry_after").and_then(|r| r.parse().ok()),
                q.get("reference"),
            )
        })
    })
}

#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    let t = use_texts();
    move || {
        error.get().map(|e| {
            view! { <p class="error" role="alert" id=ids::FORM_ERROR>{error_text(&e, t)}</p> }
        })
    }
}

#[component]
pub fn Csrf(token: String) -> impl IntoView {
    view! { <input type="hidden" name=CSRF_FIELD value=token /> }
}

/// A full page load of `path` (the session changed under us).
pub fn navigate_fresh(path: &str) {
    #[cfg(feature = "hydrate")]
    {
        // The server already checked it; a second check costs nothing here.
        let path = crate::url::local_path(path).unwrap_or("/");
        let _ = window().location().assign(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// Moves keyboard focus to the element `id` when the calling component is shown: a step that
/// replaces what the person was acting on (a confirm step, the code field after "send code",
/// a confirmation) takes the focus, so a keyboard or screen-reader user goes on from there
/// instead of from the top of the page. Server-rendered steps also carry `autofocus` for
/// plain page loads without JavaScript.
pub fn focus_on_mount(id: &'static str) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        request_animation_frame(move || {
            use leptos::wasm_bindgen::JsCast;
            if let Some(el) = document()
                .get_element_by_id(id)
                .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = el.focus();
            }
        });
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

/// The file control of a CSV form (bulk invitations, cost centers' defaults). Hidden until the
/// WASM runs: without it the form takes pasted text and posts as a plain form. A chosen file is
/// read into the form's textarea `target` and its text handed to `loaded` (which shows the
/// preview at once: what the user wants to see next). A file over `max_bytes` is not read;
/// `refused` gets the error the server would give.
#[component]
pub fn CsvFilePicker(
    id: &'static str,
    label: &'static str,
    target: NodeRef<leptos::html::Textarea>,
    max_bytes: usize,
    loaded: Callback<String>,
    refused: Callback<AppError>,
) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let on_file = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use leptos::wasm_bindgen::JsCast;
            let input: web_sys::HtmlInputElement = ev.target().unwrap().unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            if file.size() > max_bytes as f64 {
                refused.run(AppError::invalid("csv", Reason::TooLarge));
                return;
            }
            leptos::task::spawn_local(async move {
                let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
                if let (Ok(text), Some(area)) = (text, target.get_untracked()) {
                    area.set_value(&text.as_string().unwrap_or_default());
                    loaded.run(area.value());
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, max_bytes, target, loaded, refused);
    };
    view! {
        <div class="field" hidden=move || !hydrated.get()>
            <label for=id>{label}</label>
            <input type="file" id=id accept=".csv,text/csv,text/plain" on:change=on_file />
        </div>
    }
}
