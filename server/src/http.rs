//! The HTTP side: the router (Leptos pages and server functions, static files, health
//! checks, the language switch), its layers, and graceful shutdown.

use std::sync::Arc;

use app::{
    auth::crypto::SecretKey,
    config::{Config, Limits},
    db::Db,
    i18n::Lang,
    mail::{escape_html, Mailer},
    shell,
    state::AppState,
    App,
};
use axum::{
    extract::{Path, Query, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::get,
    Router,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::{compression::CompressionLayer, trace::TraceLayer};

/// Name of the WASM crate: Trunk writes `/pkg/frontend-<hash>.js` and
/// `/pkg/frontend-<hash>_bg.wasm`; the shell links the names `pkg/assets.json` gives
/// (`app::assets`).
const OUTPUT_NAME: &str = "frontend";

pub fn app_state(db: Db, config: Arc<Config>, key: SecretKey, mailer: Mailer) -> AppState {
    let leptos_options = LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .site_root(config.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(config.listen)
        .build();
    let limits = Limits {
        global_sends_per_hour: config.send_budget_per_hour,
    };
    AppState {
        leptos_options,
        assets: Arc::new(app::assets::Assets::load(&config.site_root)),
        db,
        config,
        key,
        limits,
        mailer: Arc::new(mailer),
        outbox_notify: Arc::new(tokio::sync::Notify::new()),
    }
}

/// Gives every server-function error the HTTP status of its `AppError` (`AppError::status`).
/// The functions' own errors already carry it (`answer`), but an error the server-function
/// machinery raises before the body runs — arguments that do not decode — leaves leptos
/// answering 500. Only `/api/` 500s are read (their bodies are small JSON).
async fn status_of_app_errors(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if !api || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
    };
    if let Ok(err) = serde_json::from_slice::<app::error::AppError>(&bytes) {
        parts.status = StatusCode::from_u16(err.status()).unwrap_or(parts.status);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let ctx_state = state.clone();
    // Export chunks built ahead of their request (`history::ahead`): one store per router,
    // its own context so that `AppState` names no domain type.
    let read_ahead = app::history::ahead::ReadAhead::default();
    let provide_state = move || {
        provide_context(ctx_state.clone());
        provide_context(read_ahead.clone());
    };
    let mut router = Router::new();
    if state.mailer.is_dev() {
        router = router.route("/dev/mailbox", get(dev_mailbox));
    }
    router
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        // The back office's signed API: outside the session layer (see session::layer).
        .nest("/ingest/v1", crate::ingest::router())
        .route("/lang/{code}", get(switch_language))
        .route(
            "/members/template.csv",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                        (
                            header::CONTENT_DISPOSITION,
                            "attachment; filename=\"inbjudningar.csv\"",
                        ),
                    ],
                    app::members::csv::TEMPLATE,
                )
            }),
        )
        .leptos_routes_with_context(&state, routes, provide_state.clone(), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        // The bundle: the brotli or gzip copy made at build time when the browser takes it
        // (scripts/site-assets.mjs), never compressed again per request.
        .nest_service(
            "/pkg",
            tower_http::services::ServeDir::new(state.config.site_root.join(app::assets::PKG_DIR))
                .precompressed_br()
                .precompressed_gzip(),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(provide_state, shell))
        .layer(axum::middleware::from_fn(status_of_app_errors))
        .layer(axum::middleware::from_fn_with_state(
            state.assets.clone(),
            cache_control,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::session::layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.config.clone(),
            crate::security::headers,
        ))
        // The fastest level: most of what is compressed is JSON made on the fly (pages are
        // small), where a higher level costs more server time than it saves on the wire.
        .layer(CompressionLayer::new().quality(tower_http::CompressionLevel::Fastest))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// How long a browser may keep a response, where the handler did not say: the bundle's
/// hashed files a year (`immutable`), other static files and every page `no-cache` (stored,
/// but asked again each time: a page is made per request and per person). Pages with personal
/// data say `no-store` themselves (session layer), which is kept.
async fn cache_control(
    State(assets): State<Arc<app::assets::Assets>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    // Decided before the request moves on, from the path alone (no copy of it is kept).
    let path = req.uri().path();
    let pkg = path
        .starts_with("/pkg/")
        .then(|| assets.cache_control(path));
    let favicon = path == "/favicon.ico";
    let mut res = next.run(req).await;
    let ok = res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED;
    if !ok || res.headers().contains_key(header::CACHE_CONTROL) {
        return res;
    }
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"));
    let value = if let Some(value) = pkg {
        value
    } else if is_html || favicon {
        app::assets::REVALIDATE
    } else {
        return res;
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    res
}

async fn readyz(State(state): State<AppState>) -> Response {
    if state.db.is_ready().await {
        "ready".into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "database unreachable or migrations pending",
        )
            .into_response()
    }
}

/// The dev mailer's mailbox: the last messages it "sent", newest first. Only routed when the
/// dev mailer runs, which the configuration allows only for a local run or with
/// `PORTAL_DEV_MAILER=true` (`config::Config::local_run`), so it never shows real mail.
async fn dev_mailbox(State(state): State<AppState>, req: axum::extract::Request) -> Response {
    let Mailer::Dev(mailbox) = state.mailer.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // Belt and braces for a "local run" that is really a proxy on the same host in front of
    // the portal: the page is for a browser on this machine, never for a forwarded request.
    let forwarded = req.headers().contains_key("x-forwarded-for")
        || req.headers().contains_key(header::FORWARDED);
    let remote = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .is_some_and(|c| !c.0.ip().is_loopback());
    if forwarded || remote {
        tracing::warn!("refused a forwarded or remote request for the dev mailbox");
        return StatusCode::NOT_FOUND.into_response();
    }
    let items: String = mailbox
        .messages()
        .iter()
        .map(|m| {
            format!(
                "<li class=\"facility-card\"><h2>{}</h2><p class=\"address\">{}</p><pre>{}</pre></li>",
                escape_html(&m.subject),
                escape_html(&m.to),
                escape_html(&m.text)
            )
        })
        .collect();
    let empty = if items.is_empty() {
        "<p class=\"empty\">No mail yet. Ask for a sign-in code, then reload.</p>"
    } else {
        ""
    };
    let css = state.assets.css_href();
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>Dev mailbox</title><link rel=\"stylesheet\" \
         href=\"{css}\"></head><body><main><h1>Dev mailbox</h1><p class=\"intro\">Mail the portal \
         would have sent. Shown only on a local run (or with PORTAL_DEV_MAILER=true), never in a deployment.</p>{empty}<ul class=\"facility-list\" \
         id=\"dev-mailbox\">{items}</ul></main></body></html>"
    );
    (
        [(header::CACHE_CONTROL, "no-store")],
        axum::response::Html(html),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
struct Next {
    next: Option<String>,
}

/// `GET /lang/en?next=/facilities?q=x`: remembers the language in a cookie and goes back.
/// `next` must be a local path, so this is no open redirect.
async fn switch_language(Path(code): Path<String>, Query(q): Query<Next>) -> Response {
    let Some(lang) = Lang::from_code(&code) else {
        return (StatusCode::NOT_FOUND, "unknown language").into_response();
    };
    let next = q
        .next
        .as_deref()
        .and_then(app::url::local_path)
        .unwrap_or("/");
    // SameSite=None + Partitioned: the portal is embedded cross-site, and the choice must
    // stick inside the host page's iframe too.
    let cookie = format!(
        "{}={}; Path=/; Max-Age=31536000; Secure; SameSite=None; Partitioned",
        app::i18n::LANG_COOKIE,
        lang.code()
    );
    let mut res = Redirect::to(&app::url::encode_unsafe(next)).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

pub async fn serve(state: AppState) -> Result<(), Box<dyn std::error::Error>> {
    let listen = state.config.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("PORTAL_LISTEN: cannot listen on {listen}: {e}"))?;
    let stop_worker = Arc::new(tokio::sync::Notify::new());
    let worker = crate::outbox::spawn(state.clone(), stop_worker.clone());
    tracing::info!("portal listening on http://{listen}");
    println!("\n  Portal: http://{listen}/\n");
    if state.mailer.is_dev() {
        println!("  Dev mailer: read sign-in codes at http://{listen}/dev/mailbox (never printed here)\n");
    }
    let db = state.db.clone();
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    stop_worker.notify_one();
    let _ = worker.await;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use app::{db::Backend, testing::TestDb};
    use axum::body::{to_bytes, Body};
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    async fn portal(vars: &[(&str, &str)]) -> (TestDb, Router) {
        let t = TestDb::fresh(Backend::Sqlite).await;
        crate::demo::generate(
            &t.db,
            &crate::demo::DemoArgs {
                members: 8,
                sessions: 300,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let config = Arc::new(Config::from_vars(&vars).unwrap());
        let key = SecretKey::new(*b"test key, 32 bytes or more......").unwrap();
        let app = router(app_state(t.db.clone(), config, key, Mailer::dev()));
        (t, app)
    }

    async fn get(app: &Router, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        let res = app
            .clone()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = to_bytes(res.into_body(), usize::MAX).await.unwrap();
        (status, headers, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn the_facility_page_is_server_rendered_with_the_security_headers() {
        let (_t, app) = portal(&[("PORTAL_FRAME_ANCESTORS", "https://www.aimopark.se")]).await;
        let (status, h, body) = get(&app, "/facilities").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("P-hus Klara"), "the list is in the HTML");
        let csp = h
            .get(header::CONTENT_SECURITY_POLICY)
            .unwrap()
            .to_str()
            .unwrap();
        assert!(
            csp.ends_with("frame-ancestors 'self' https://www.aimopark.se"),
            "{csp}"
        );
        assert!(csp.contains("'wasm-unsafe-eval'"));
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|s| s.split('\'').next())
            .unwrap();
        assert!(
            body.contains(&format!("<script type=\"module\" nonce=\"{nonce}\">")),
            "hydration script carries the nonce"
        );
        assert_eq!(h.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
        assert_eq!(
            h.get(header::REFERRER_POLICY).unwrap(),
            "strict-origin-when-cross-origin"
        );
        assert!(h.get("permissions-policy").is_some());
        assert!(
            h.get(header::X_FRAME_OPTIONS).is_none(),
            "frame-ancestors, never X-Frame-Options"
        );
        assert!(
            h.get(header::STRICT_TRANSPORT_SECURITY).is_none(),
            "no HSTS over plain http"
        );
    }

    #[tokio::test]
    async fn every_page_gets_a_fresh_nonce_and_https_gets_hsts() {
        let (_t, app) = portal(&[("PORTAL_PUBLIC_URL", "https://portal.example.se")]).await;
        let (_, h1, _) = get(&app, "/facilities").await;
        let (_, h2, _) = get(&app, "/facilities").await;
        assert_ne!(
            h1.get(header::CONTENT_SECURITY_POLICY),
            h2.get(header::CONTENT_SECURITY_POLICY)
        );
        assert!(h1.get(header::STRICT_TRANSPORT_SECURITY).is_some());
    }

    #[tokio::test]
    async fn health_and_readiness_answer() {
        let (_t, app) = portal(&[]).await;
        assert_eq!(get(&app, "/healthz").await.0, StatusCode::OK);
        let (status, _, body) = get(&app, "/readyz").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "ready"));
    }

    #[tokio::test]
    async fn the_server_function_filters_and_refuses_bad_input_with_400() {
        let (_t, app) = portal(&[]).await;
        let (status, _, body) = get(
            &app,
            "/api/facilities?query[q]=klara&query[city]=&query[kind]=",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let list: app::facilities::FacilityList = serde_json::from_str(&body).unwrap();
        assert_eq!(list.facilities.len(), 1);
        assert_eq!(list.facilities[0].name, "P-hus Klara");
        assert!(list.cities.contains(&"Göteborg".to_string()));

        let (status, _, body) = get(
            &app,
            "/api/facilities?query[q]=&query[city]=&query[kind]=helipad",
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body.contains("kind"), "{body}");

        // A query the function cannot even decode (a field missing) is also the client's
        // mistake: 400, not 500 (found by the fault tests' first history requests).
        let (status, _, body) = get(&app, "/api/facilities?query[q]=klara").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body.contains("Args"), "{body}");
    }

    #[tokio::test]
    async fn the_language_switch_sets_its_cookie_and_only_redirects_locally() {
        let (_t, app) = portal(&[]).await;
        let (status, h, _) = get(&app, "/lang/en?next=/facilities%3Fcity%3DMalm%C3%B6").await;
        assert!(status.is_redirection());
        assert_eq!(
            h.get(header::LOCATION).unwrap(),
            "/facilities?city=Malm%C3%B6"
        );
        let cookie = h.get(header::SET_COOKIE).unwrap().to_str().unwrap();
        assert!(cookie.starts_with("portal_lang=en;"));
        assert!(
            cookie.contains("Secure")
                && cookie.contains("SameSite=None")
                && cookie.contains("Partitioned")
        );
        for evil in ["//evil.example", "https://evil.example", "/\\evil.example"] {
            let (_, h, _) = get(
                &app,
                &format!("/lang/en?next={}", app::url::encode_component(evil)),
            )
            .await;
            assert_eq!(h.get(header::LOCATION).unwrap(), "/", "{evil}");
        }
        assert_eq!(get(&app, "/lang/xx").await.0, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn the_language_cookie_renders_english() {
        let (_t, app) = portal(&[]).await;
        let req = Request::get("/facilities")
            .header(header::COOKIE, "portal_lang=en")
            .body(Body::empty())
            .unwrap();
        let res = app.oneshot(req).await.unwrap();
        let body = String::from_utf8_lossy(&to_bytes(res.into_body(), usize::MAX).await.unwrap())
            .into_owned();
        assert!(body.contains("<html lang=\"en\""));
        assert!(body.contains("Where does the business account work?"));
    }

    #[tokio::test]
    async fn an_unknown_page_is_a_404_in_the_portal_layout() {
        let (_t, app) = portal(&[]).await;
        let (status, _, body) = get(&app, "/no-such-page").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("Sidan finns inte"));
    }

    #[tokio::test]
    async fn inside_an_iframe_the_page_drops_its_header() {
        let (_t, app) = portal(&[]).await;
        let req = Request::get("/facilities")
            .header("sec-fetch-dest", "iframe")
            .body(Body::empty())
            .unwrap();
        let res = app.oneshot(req).await.unwrap();
        let body = String::from_utf8_lossy(&to_bytes(res.into_body(), usize::MAX).await.unwrap())
            .into_owned();
        assert!(body.contains("data-embed=\"true\""));
    }
}
