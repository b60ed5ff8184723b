//! The router as a whole: headers, caching, the language switch, health and readiness.

use app::{db::Backend, testing::TestDb};
use axum::body::{to_bytes, Body};
use axum::http::Request;
use tower::ServiceExt;

use axum::{
    http::{header, StatusCode},
    Router,
};

async fn portal(vars: &[(&str, &str)]) -> (TestDb, Router) {
    let t = TestDb::fresh(Backend::Sqlite).await;
    server::demo::generate(
        &t.db,
        &server::demo::DemoArgs {
            members: 8,
            sessions: 300,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let app = crate::common::portal_on_db(&t.db, vars);
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
    let body =
        String::from_utf8_lossy(&to_bytes(res.into_body(), usize::MAX).await.unwrap()).into_owned();
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
    let body =
        String::from_utf8_lossy(&to_bytes(res.into_body(), usize::MAX).await.unwrap()).into_owned();
    assert!(body.contains("data-embed=\"true\""));
}
