//! Sign-in, the company picker and the header's user menu. (The home page is `home.rs`; the
//! form pieces every page shares are in `ui.rs`.)
//!
//! Every form is an `ActionForm` with the session's CSRF token as a hidden field, so it
//! works as a plain form post before (or without) hydration. Errors come back either as the
//! action's value (JavaScript) or in the page's query (`?error=…`, plain form posts).

use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::{
    components::{Redirect, A},
    hooks::use_query_map,
};

use super::{
    current_session, CompanyChoice, RequestCode, SessionView, SignOut, SwitchCompany, VerifyCode,
};
use crate::{
    error::AppError,
    i18n::use_texts,
    ids,
    ui::{navigate_fresh, query_error, Csrf, FormError},
};

/// The visitor's session, shared by the header and the pages. `refresh` refetches it
/// (after a code request, the sign-in page moves on to the code step).
#[derive(Clone, Copy)]
pub struct SessionContext {
    pub session: Resource<Result<SessionView, AppError>>,
    version: RwSignal<u32>,
}

impl SessionContext {
    pub fn provide() -> Self {
        let version = RwSignal::new(0u32);
        let session = Resource::new(move || version.get(), |_| current_session());
        // Mutating server functions send the token as a header (crate::csrf_client).
        Effect::new(move |_| {
            if let Some(Ok(view)) = session.get() {
                crate::csrf_client::set_token(&view.csrf);
            }
        });
        let ctx = SessionContext { session, version };
        provide_context(ctx);
        ctx
    }

    pub fn refresh(&self) {
        self.version.update(|v| *v += 1);
    }

    /// The role the session acts with in its chosen company (`None` signed out or before a
    /// company is chosen): what the navigation and the pages decide what to show by.
    pub async fn current_role(self) -> Option<crate::companies::Role> {
        self.session
            .await
            .ok()
            .and_then(|s| s.user)
            .and_then(|u| u.current)
            .map(|c| c.role)
    }
}

pub fn use_session() -> SessionContext {
    use_context::<SessionContext>().expect("SessionContext is provided by App")
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let t = use_texts();
    let ctx = use_session();
    let request = ServerAction::<RequestCode>::new();
    let verify = ServerAction::<VerifyCode>::new();
    let from_query = query_error();
    let q = use_query_map();
    let change_email = Memo::new(move |_| q.with(|q| q.get("change").is_some()));
    // From an invitation link: the address to use and where to continue afterwards.
    let suggested_email = Memo::new(move |_| q.with(|q| q.get("email")));
    let next = Memo::new(move |_| q.with(|q| q.get("next")).unwrap_or_default());

    // A code was requested: fetch the session again, it now names the pending address.
    Effect::new(move |_| {
        if let Some(Ok(())) = request.value().get() {
            ctx.refresh();
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(path)) = verify.value().get() {
            navigate_fresh(&path);
        }
    });

    let request_error = Signal::derive(move || match request.value().get() {
        Some(Err(e)) => Some(e),
        Some(Ok(())) => None,
        None => from_query.get(),
    });
    let verify_error = Signal::derive(move || match verify.value().get() {
        Some(Err(e)) => Some(e),
        _ => from_query.get(),
    });

    let body = move || {
        Suspend::new(async move {
            let session = ctx.session.await.unwrap_or_default();
            if session.user.is_some() {
                return Either::Left(view! { <Redirect path="/" /> });
            }
            let csrf = session.csrf.clone();
            let step = match session
                .pending_email
                .clone()
                .filter(|_| !change_email.get_untracked())
            {
                None => Either::Left(view! {
                    <ActionForm action=request attr:id=ids::SIGN_IN_EMAIL_FORM attr:class="stack">
                        <Csrf token=csrf />
                        <FormError error=request_error />
                        <div class="field">
                            <label for=ids::SIGN_IN_EMAIL>{t.email_label}</label>
                            <input
                                type="email"
                                id=ids::SIGN_IN_EMAIL
                                name="email"
                                required
                                autocomplete="email"
                                inputmode="email"
                                autocapitalize="none"
                                spellcheck="false"
                                value=session.pending_email.clone().or_else(|| suggested_email.get_untracked()).unwrap_or_default()
                            />
                        </div>
                        <button type="submit" class="button" id=ids::SIGN_IN_SEND>{t.send_code_button}</button>
                    </ActionForm>
                }),
                Some(email) => Either::Right(
                    view! { <CodeStep email csrf next=next.get_untracked() request verify request_error verify_error /> },
                ),
            };
            Either::Right(step)
        })
    };

    view! {
        <Title text=t.sign_in_title />
        <section class="page narrow">
            <h1>{t.sign_in_title}</h1>
            <p class="intro">{t.sign_in_intro}</p>
            <FramedCookieCheck />
            <Transition fallback=move || view! { <p class="loading">{t.loading}</p> }>{body}</Transition>
        </section>
    }
}

#[component]
fn CodeStep(
    email: String,
    csrf: String,
    next: String,
    request: ServerAction<RequestCode>,
    verify: ServerAction<VerifyCode>,
    request_error: Signal<Option<AppError>>,
    verify_error: Signal<Option<AppError>>,
) -> impl IntoView {
    let t = use_texts();
    // The resend cooldown as a countdown. The server enforces it; the page only shows it.
    // It starts after hydration, so without JavaScript the button is simply there.
    let remaining = RwSignal::new(0i64);
    #[cfg(not(feature = "hydrate"))]
    let _ = (RESEND_COOLDOWN, request);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let _ = request.version().get();
        remaining.set(RESEND_COOLDOWN);
        let handle = set_interval_with_handle(
            move || remaining.update(|r| *r = (*r - 1).max(0)),
            std::time::Duration::from_secs(1),
        );
        if let Ok(handle) = handle {
            on_cleanup(move || handle.clear());
        }
    });
    let error = Signal::derive(move || verify_error.get().or_else(|| request_error.get()));
    crate::ui::focus_on_mount(ids::SIGN_IN_CODE);
    let email_for_resend = email.clone();
    let csrf_for_resend = csrf.clone();
    view! {
        <div class="stack">
            <p id=ids::SIGN_IN_SENT class="notice" role="status">
                {t.code_sent}" "<strong>{email}</strong>"."
            </p>
            <p class="hint">{t.code_hint}</p>
            <ActionForm action=verify attr:id=ids::SIGN_IN_CODE_FORM attr:class="stack">
                <Csrf token=csrf />
                <input type="hidden" name="next" value=next />
                <FormError error=error />
                <div class="field">
                    <label for=ids::SIGN_IN_CODE>{t.code_label}</label>
                    <input
                        type="text"
                        id=ids::SIGN_IN_CODE
                        name="code"
                        required
                        class="code-input"
                        inputmode="numeric"
                        autocomplete="one-time-code"
                        pattern="[0-9 ]{6,7}"
                        maxlength="7"
                        placeholder="123 456"
                        autofocus
                    />
                </div>
                <button type="submit" class="button" id=ids::SIGN_IN_VERIFY>{t.verify_button}</button>
            </ActionForm>
            <ActionForm action=request attr:id=ids::SIGN_IN_RESEND_FORM attr:class="inline-form">
                <Csrf token=csrf_for_resend />
                <input type="hidden" name="email" value=email_for_resend />
                <button
                    type="submit"
                    class="button secondary"
                    id=ids::SIGN_IN_RESEND
                    disabled=move || { remaining.get() > 0 }
                >
                    {t.resend_button}
                </button>
                <span class="hint" aria-live="polite">
                    {move || {
                        let r = remaining.get();
                        (r > 0).then(|| format!("{} {r} {}", t.resend_wait, t.seconds))
                    }}
                </span>
            </ActionForm>
            <p><a href="/sign-in?change=1" rel="external">{t.use_other_email}</a></p>
        </div>
    }
}

/// Seconds between two code mails to one address (`service::SEND_COOLDOWN` on the server).
pub const RESEND_COOLDOWN: i64 = 60;

#[component]
pub fn CompanyPicker() -> impl IntoView {
    let t = use_texts();
    let ctx = use_session();
    let switch = ServerAction::<SwitchCompany>::new();
    let from_query = query_error();
    Effect::new(move |_| {
        if let Some(Ok(path)) = switch.value().get() {
            navigate_fresh(&path);
        }
    });
    let error = Signal::derive(move || match switch.value().get() {
        Some(Err(e)) => Some(e),
        _ => from_query.get(),
    });
    let body = move || {
        Suspend::new(async move {
            let session = ctx.session.await.unwrap_or_default();
            let Some(user) = session.user else {
                return view! { <Redirect path="/sign-in" /> }.into_any();
            };
            let csrf = session.csrf;
            view! {
                <FormError error=error />
                <ul class="company-choices" id=ids::COMPANY_CHOICES>
                    {user
                        .companies
                        .into_iter()
                        .map(|c| view! { <CompanyChoiceForm c csrf=csrf.clone() switch /> })
                        .collect_view()}
                </ul>
            }
            .into_any()
        })
    };
    view! {
        <Title text=t.choose_company_title />
        <section class="page narrow">
            <h1>{t.choose_company_title}</h1>
            <p class="intro">{t.choose_company_intro}</p>
            <Transition fallback=move || view! { <p class="loading">{t.loading}</p> }>{body}</Transition>
        </section>
    }
}

#[component]
fn CompanyChoiceForm(
    c: CompanyChoice,
    csrf: String,
    switch: ServerAction<SwitchCompany>,
) -> impl IntoView {
    let t = use_texts();
    view! {
        <li>
            <ActionForm action=switch attr:class="company-choice">
                <Csrf token=csrf />
                <input type="hidden" name="company_id" value=c.id.to_string() />
                <button type="submit" class="choice-button">
                    <span class="choice-name">{c.name}</span>
                    <span class="choice-org">{c.org_number}</span>
                    <span class="choice-role">{c.role.label(t)}</span>
                </button>
            </ActionForm>
        </li>
    }
}

/// The header's right side: company switcher, who is signed in, sign-out; or a sign-in link.
#[component]
pub fn UserMenu() -> impl IntoView {
    let t = use_texts();
    let ctx = use_session();
    let switch = ServerAction::<SwitchCompany>::new();
    let sign_out = ServerAction::<SignOut>::new();
    Effect::new(move |_| {
        if let Some(Ok(path)) = switch.value().get().or_else(|| sign_out.value().get()) {
            navigate_fresh(&path);
        }
    });
    let body = move || {
        Suspend::new(async move {
            let session = ctx.session.await.unwrap_or_default();
            let Some(user) = session.user else {
                return view! { <A href="/sign-in" attr:class="header-link">{t.sign_in_nav}</A> }
                    .into_any();
            };
            let csrf = session.csrf;
            let current_id = user.current.as_ref().map(|c| c.id);
            let switch_csrf = csrf.clone();
            let companies = user.companies.clone();
            let switcher = (companies.len() > 1).then(move || {
                let options = companies
                    .iter()
                    .map(|c| {
                        let selected = Some(c.id) == current_id;
                        view! { <option value=c.id.to_string() selected=selected title=c.org_number.clone()>{c.name.clone()}</option> }
                    })
                    .collect_view();
                view! {
                    <ActionForm action=switch attr:id=ids::COMPANY_SWITCH attr:class="switcher">
                        <Csrf token=switch_csrf />
                        <label for=ids::COMPANY_SELECT class="visually-hidden">{t.company_label}</label>
                        <select id=ids::COMPANY_SELECT name="company_id">{options}</select>
                        <button type="submit" class="header-button">{t.switch_button}</button>
                    </ActionForm>
                }
            });
            let single = (user.companies.len() == 1).then(|| {
                user.current
                    .as_ref()
                    .map(|c| view! { <span class="header-company" title=c.org_number.clone()>{c.name.clone()}</span> })
            });
            view! {
                {switcher}
                {single}
                <span class="header-user" id=ids::HEADER_USER>{user.email.clone()}</span>
                <ActionForm action=sign_out attr:id=ids::SIGN_OUT_FORM attr:class="inline-form">
                    <Csrf token=csrf />
                    <button type="submit" class="header-button" id=ids::SIGN_OUT>{t.sign_out}</button>
                </ActionForm>
            }
            .into_any()
        })
    };
    view! { <div class="user-menu"><Transition fallback=|| ()>{body}</Transition></div> }
}

/// Inside the operator's site the portal is a third-party frame. Safari (and any browser set
/// to block third-party cookies without partitioning) keeps no cookie there, so a sign-in
/// could never stick. Where a test cookie cannot be set, the page says so before the person
/// asks for a code, and offers the two ways that work: the Storage Access API on a click
/// (Safari grants it to a site the person has used before), and the portal in a tab of its
/// own. Browsers that partition third-party cookies (Firefox, Chrome's CHIPS) keep the
/// session's `Partitioned` cookie and never see this.
#[component]
fn FramedCookieCheck() -> impl IntoView {
    let t = use_texts();
    let blocked = RwSignal::new(false);
    let denied = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if framed() && !cookie_sticks() {
            blocked.set(true);
        }
    });
    let allow = move |_| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            if request_storage_access().await && cookie_sticks() {
                blocked.set(false);
            } else {
                denied.set(true);
            }
        });
    };
    // The same page, on its own (the `Sec-Fetch-Dest` header no longer says iframe there).
    let location = leptos_router::hooks::use_location();
    let own_tab = move || {
        let search = location.search.get();
        if search.is_empty() {
            location.pathname.get()
        } else {
            format!(
                "{}?{}",
                location.pathname.get(),
                search.trim_start_matches('?')
            )
        }
    };
    view! {
        <Show when=move || blocked.get()>
            <div class="notice warning" role="alert" id=ids::FRAME_COOKIES_BLOCKED>
                <p>{t.frame_cookies_blocked}</p>
                <p class="actions">
                    <button type="button" class="button" id=ids::FRAME_ALLOW on:click=allow>{t.frame_allow}</button>
                    <a class="button secondary" href=own_tab target="_blank" rel="noopener" id=ids::FRAME_OWN_TAB>{t.frame_own_tab}</a>
                </p>
                <Show when=move || denied.get()>
                    <p class="hint">{t.frame_denied}</p>
                </Show>
            </div>
        </Show>
    }
}

#[cfg(feature = "hydrate")]
fn framed() -> bool {
    window()
        .parent()
        .ok()
        .flatten()
        .is_some_and(|parent| !js_sys::Object::is(&parent, &window()))
}

/// Whether a cookie set from this page is kept: a short-lived, partitioned test cookie.
#[cfg(feature = "hydrate")]
fn cookie_sticks() -> bool {
    use leptos::wasm_bindgen::JsCast;
    let Ok(doc) = document().dyn_into::<web_sys::HtmlDocument>() else {
        return true;
    };
    let _ = doc.set_cookie(
        "portal_cookie_check=1; Path=/; Max-Age=30; Secure; SameSite=None; Partitioned",
    );
    let kept = doc
        .cookie()
        .is_ok_and(|c| c.contains("portal_cookie_check=1"));
    let _ = doc
        .set_cookie("portal_cookie_check=; Path=/; Max-Age=0; Secure; SameSite=None; Partitioned");
    kept
}

/// `document.requestStorageAccess()`, called from the click; false when the browser has no
/// such API or says no.
#[cfg(feature = "hydrate")]
async fn request_storage_access() -> bool {
    use leptos::wasm_bindgen::JsCast;
    let doc: leptos::wasm_bindgen::JsValue = document().into();
    let Ok(f) = js_sys::Reflect::get(&doc, &"requestStorageAccess".into()) else {
        return false;
    };
    let Some(f) = f.dyn_ref::<js_sys::Function>() else {
        return false;
    };
    let Ok(promise) = f.call0(&doc) else {
        return false;
    };
    wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(promise))
        .await
        .is_ok()
}
