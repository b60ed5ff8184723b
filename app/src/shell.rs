//! The HTML document, the app shell (header, language switch) and the routes.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, Title};
use leptos_router::{
    components::{Route, Router, Routes, A},
    hooks::use_location,
    path, SsrMode,
};

use crate::{
    alerts::{unread_notices, NoticesPage, UnsubscribePage},
    audit::AuditPage,
    auth::{CompanyPicker, SessionContext, SignInPage, UserMenu},
    companies::Role,
    cost_centers::CostCentersPage,
    costs::CostsPage,
    facilities::FacilitiesPage,
    frontdesk::FrontDeskPage,
    history::HistoryPage,
    home::HomePage,
    i18n::{use_lang, use_texts, Lang},
    ids,
    invoices::{InvoicePage, InvoicesPage},
    members::{InvitePage, MembersPage},
    policies::PoliciesPage,
    reports::ReportPage,
};

/// Rendered by the server only: the `<html>` around the app. The language and embed mode
/// are decided here from the request, so the first paint is already right.
#[cfg(feature = "ssr")]
pub fn shell(_options: LeptosOptions) -> impl IntoView {
    let lang = crate::i18n::lang_of_request();
    provide_context(lang);
    if let Some(nonce) =
        crate::state::with_request(|p| p.extensions.get::<crate::state::CspNonce>().cloned())
            .flatten()
    {
        provide_context(leptos::nonce::Nonce::from_value(nonce.0));
    }
    // Inside an iframe the browser says so (`Sec-Fetch-Dest: iframe`): drop our own chrome.
    let embedded = request_header("sec-fetch-dest").as_deref() == Some("iframe");
    // The bundle's hashed names (`assets::Assets`); the fixed names when no state is given.
    let assets =
        with_context::<crate::state::AppState, _>(|s| s.assets.clone()).unwrap_or_default();
    view! {
        <!DOCTYPE html>
        <html lang=lang.code() data-embed=embedded.then_some("true")>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="stylesheet" href=assets.css_href() />
                {bundle_scripts(&assets)}
                <leptos_meta::MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// What Leptos' `<HydrationScripts defer=true>` writes, with the bundle's hashed names (it
/// only knows cargo-leptos' naming, `hash.txt` beside the executable). The bundle is asked for
/// once the page is painted and the browser idle, not preloaded from `<head>`: on a slow link
/// a megabyte of WASM fetched alongside the stylesheet delays the first paint by seconds
/// (Lighthouse, docs/benchmarks.md "First load"). Until it has hydrated, the page works as it
/// does without JavaScript (every form posts, every link loads). `timeout` keeps a page that
/// is never idle from staying unhydrated.
#[cfg(feature = "ssr")]
fn bundle_scripts(assets: &crate::assets::Assets) -> impl IntoView {
    let nonce = leptos::nonce::use_nonce();
    let (js, wasm) = (assets.js_href(), assets.wasm_href());
    let script = format!(
        "const h=()=>import({js:?}).then(m=>m.default({{module_or_path:{wasm:?}}}).then(()=>m.hydrate()));\
         'requestIdleCallback'in window?requestIdleCallback(h,{{timeout:2000}}):setTimeout(h,0);"
    );
    view! { <script type="module" nonce=nonce>{script}</script> }
}

#[cfg(feature = "ssr")]
fn request_header(name: &str) -> Option<String> {
    crate::state::with_request(|parts| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    })
    .flatten()
}

/// The browser takes the language the server rendered into `<html lang>`, so hydration
/// sees the same texts.
#[cfg(not(feature = "ssr"))]
fn page_lang() -> Lang {
    #[cfg(feature = "hydrate")]
    {
        document()
            .document_element()
            .and_then(|el| el.get_attribute("lang"))
            .and_then(|code| Lang::from_code(&code))
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    Lang::default()
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    #[cfg(not(feature = "ssr"))]
    provide_context(page_lang());
    SessionContext::provide();
    let t = use_texts();

    #[cfg(feature = "hydrate")]
    Effect::new(|_| {
        if let Some(el) = document().document_element() {
            let _ = el.set_attribute(ids::HYDRATED_ATTR, "true");
        }
    });

    view! {
        <Link rel="icon" href="/favicon.ico" />
        <Meta name="theme-color" content="#00365c" />
        <Title formatter=move |page: String| {
            if page.is_empty() { format!("{} · {}", t.brand, t.portal_name) } else { format!("{page} · {}", t.brand) }
        } />
        <Router>
            <a class="skip-link" href=format!("#{}", ids::MAIN)>{t.skip_to_content}</a>
            <Header />
            <main id=ids::MAIN tabindex="-1">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/sign-in") view=SignInPage ssr=SsrMode::Async />
                    <Route path=path!("/companies") view=CompanyPicker ssr=SsrMode::Async />
                    <Route path=path!("/members") view=MembersPage ssr=SsrMode::Async />
                    <Route path=path!("/audit") view=AuditPage ssr=SsrMode::Async />
                    <Route path=path!("/invite/:token") view=InvitePage ssr=SsrMode::Async />
                    <Route path=path!("/facilities") view=FacilitiesPage ssr=SsrMode::Async />
                    <Route path=path!("/history") view=HistoryPage ssr=SsrMode::Async />
                    <Route path=path!("/costs") view=CostsPage ssr=SsrMode::Async />
                    <Route path=path!("/costs/report") view=ReportPage ssr=SsrMode::Async />
                    <Route path=path!("/invoices") view=InvoicesPage ssr=SsrMode::Async />
                    <Route path=path!("/cost-centers") view=CostCentersPage ssr=SsrMode::Async />
                    <Route path=path!("/policies") view=PoliciesPage ssr=SsrMode::Async />
                    <Route path=path!("/notices") view=NoticesPage ssr=SsrMode::Async />
                    <Route path=path!("/notices/unsubscribe") view=UnsubscribePage ssr=SsrMode::Async />
                    <Route path=path!("/invoices/:id") view=InvoicePage ssr=SsrMode::Async />
                    <Route path=path!("/frontdesk") view=FrontDeskPage ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}

/// The sections a role may open, in the navigation's order, as (path, label). Signed out (or
/// before a company is chosen) only the public list of facilities. The home page's cards
/// show the same sections with a line each; the server functions enforce the same rules.
pub fn sections(role: Option<Role>, lang: crate::i18n::Lang) -> Vec<(&'static str, &'static str)> {
    let t = lang.texts();
    let records = role.is_some_and(Role::sees_company_records);
    let own = role.is_some_and(|r| r != Role::FrontDesk);
    let desk = role.is_some_and(Role::uses_front_desk);
    let policy_texts = lang.policies();
    [
        (desk, "/frontdesk", t.nav_front_desk),
        (own, "/history", t.nav_history_short),
        (own, "/costs", t.costs_title),
        (records, "/invoices", t.invoices_title),
        (records, "/members", t.members_title),
        (records, "/cost-centers", t.cost_centers_title),
        (own, "/policies", policy_texts.nav),
        (records, "/notices", lang.alerts().nav),
        (records, "/audit", t.audit_title),
        (
            role != Some(Role::FrontDesk),
            "/facilities",
            t.nav_facilities,
        ),
    ]
    .into_iter()
    .filter(|(shown, _, _)| *shown)
    .map(|(_, href, label)| (href, label))
    .collect()
}

#[component]
fn Header() -> impl IntoView {
    let lang = use_lang();
    let t = lang.texts();
    let location = use_location();
    // Where the language switch comes back to: this page with its filters.
    let here = move || {
        let search = location.search.get();
        let search = search.trim_start_matches('?');
        let sep = if search.is_empty() { "" } else { "?" };
        format!("{}{sep}{search}", location.pathname.get())
    };
    // One navigation: the sections the role may open (`sections`), the same for every page.
    let session = crate::auth::use_session();
    // The unread notices, counted again on every navigation (one indexed count).
    // Asked only for a role that gets notices (anyone else's answer would be a refusal).
    let unread = Resource::new(
        move || location.pathname.get(),
        move |_| async move {
            if session
                .current_role()
                .await
                .is_some_and(Role::sees_company_records)
            {
                unread_notices().await.unwrap_or(0)
            } else {
                0
            }
        },
    );
    let nav_links = move || {
        Suspend::new(async move {
            let role = session.current_role().await;
            let count = unread.await;
            sections(role, lang)
                .into_iter()
                .map(|(href, label)| {
                    if href == "/notices" && count > 0 {
                        let full = Lang::fill(lang.alerts().header_unread, &[("n", &count.to_string())]);
                        view! {
                            <A href=href attr:id=ids::HEADER_NOTICES attr:aria-label=full>
                                {label}" "<span class="badge count" aria-hidden="true">{count}</span>
                            </A>
                        }
                        .into_any()
                    } else {
                        view! { <A href=href>{label}</A> }.into_any()
                    }
                })
                .collect_view()
        })
    };
    // On a phone the sections scroll sideways: bring the current one into view.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let _ = location.pathname.get();
        request_animation_frame(|| {
            use leptos::wasm_bindgen::JsCast;
            let current = document()
                .query_selector(".main-nav a[aria-current=\"page\"]")
                .ok()
                .flatten()
                .and_then(|a| a.dyn_into::<web_sys::HtmlElement>().ok());
            let nav = current.as_ref().and_then(|a| {
                a.parent_element()
                    .and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
            });
            if let (Some(a), Some(nav)) = (current, nav) {
                // Both offsets are from the same positioned ancestor.
                let x = a.offset_left() - nav.offset_left();
                nav.set_scroll_left(x - nav.client_width() / 3);
            }
        });
    });
    view! {
        <header class="site-header">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"P"</span>
                <span class="brand-name">{t.brand}</span>
                <span class="brand-sub">{t.portal_name}</span>
            </a>
            <nav class="main-nav" aria-label=t.portal_name>
                <Transition fallback=|| ()>{nav_links}</Transition>
            </nav>
            <UserMenu />
            <nav id=ids::LANG_SWITCH class="lang-switch" aria-label=t.language>
                {Lang::ALL
                    .into_iter()
                    .map(|l| {
                        let href = move || crate::url::with_query(&format!("/lang/{}", l.code()), &[("next", &here())]);
                        view! {
                            <a href=href rel="external" hreflang=l.code() lang=l.code()
                                aria-current=(l == lang).then_some("true")>
                                <span class="lang-long">{l.native_name()}</span>
                                <span class="lang-short">{l.code().to_uppercase()}</span>
                            </a>
                        }
                    })
                    .collect_view()}
            </nav>
        </header>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    let t = use_texts();
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text=t.not_found_title />
        <section class="page">
            <h1>{t.not_found_title}</h1>
            <p>{t.not_found_body}</p>
            <p><a class="button" href="/">{t.back_to_start}</a></p>
        </section>
    }
}
