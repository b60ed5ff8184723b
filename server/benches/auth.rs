//! Timing of the sign-in endpoints through the real router (not a test: `make bench-auth`).
//! p50/p95 of request-code for known and unknown addresses (they must look alike), of
//! verify-code, and of the per-request session check. Figures go to docs/benchmarks.md.

use std::{collections::HashMap, net::SocketAddr, sync::Arc, time::Instant};

use app::{
    auth::SESSION_COOKIE,
    config::Config,
    crypto::SecretKey,
    db::{Backend, Db},
    mailer::Mailer,
    testing::TestDb,
    with_pool,
};
use axum::{
    body::{to_bytes, Body},
    extract::ConnectInfo,
    http::{header, Request},
    Router,
};
use tower::ServiceExt;

use server::http::{app_state, router};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(name: &str, mut ms: Vec<f64>) -> String {
    ms.sort_by(|a, b| a.total_cmp(b));
    format!(
        "| {name} | {} | {:.2} | {:.2} |",
        ms.len(),
        percentile(&ms, 0.5),
        percentile(&ms, 0.95)
    )
}

async fn call(app: &Router, req: Request<Body>, ip: u32) -> (f64, axum::http::HeaderMap, u16) {
    let mut req = req;
    let addr = SocketAddr::from(([10, (ip >> 16) as u8, (ip >> 8) as u8, ip as u8], 40000));
    req.extensions_mut().insert(ConnectInfo(addr));
    let t = Instant::now();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let _ = to_bytes(res.into_body(), usize::MAX).await.unwrap();
    (t.elapsed().as_secs_f64() * 1000.0, headers, status)
}

fn token_of(h: &axum::http::HeaderMap) -> Option<String> {
    h.get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            Some(
                c.strip_prefix(SESSION_COOKIE)?
                    .strip_prefix('=')?
                    .split(';')
                    .next()?
                    .to_owned(),
            )
        })
}

fn form_post(path: &str, session: &str, csrf: &str, field: (&str, &str)) -> Request<Body> {
    Request::post(path)
        .header(header::COOKIE, format!("{SESSION_COOKIE}={session}"))
        .header("sec-fetch-site", "same-origin")
        .header("x-csrf-token", csrf)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "{}={}",
            field.0,
            app::url::encode_component(field.1)
        )))
        .unwrap()
}

async fn pre_session(app: &Router, ip: u32) -> (String, String) {
    let (_, h, _) = call(
        app,
        Request::get("/sign-in").body(Body::empty()).unwrap(),
        ip,
    )
    .await;
    let token = token_of(&h).unwrap();
    let req =
        Request::get("/api/session").header(header::COOKIE, format!("{SESSION_COOKIE}={token}"));
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let body = to_bytes(res.into_body(), usize::MAX).await.unwrap();
    let view: app::auth::SessionView = serde_json::from_slice(&body).unwrap();
    (token, view.csrf)
}

async fn code_for(db: &Db, email: &str) -> String {
    loop {
        let text: Option<String> = with_pool!(db, |pool| {
            sqlx::query_scalar(
                "SELECT text_body FROM outbox WHERE to_email = $1 AND text_body <> ''",
            )
            .bind(email)
            .fetch_optional(pool)
            .await
            .unwrap()
        });
        if let Some(t) = text {
            return t
                .lines()
                .map(str::trim)
                .find(|l| l.len() == 7 && l.as_bytes()[3] == b' ')
                .unwrap()
                .to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

async fn run(backend: Backend) -> Vec<String> {
    const N: usize = 300;
    let t = TestDb::fresh(backend).await;
    server::demo::generate(
        &t.db,
        &server::demo::DemoArgs {
            members: N + 10,
            sessions: 2_000,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let emails: Vec<String> = with_pool!(&t.db, |pool| {
        sqlx::query_scalar("SELECT email FROM users ORDER BY email LIMIT $1")
            .bind(N as i64)
            .fetch_all(pool)
            .await
            .unwrap()
    });
    let mut vars = HashMap::new();
    vars.insert("PORTAL_SEND_BUDGET".to_string(), "100000".to_string());
    let config = Arc::new(Config::from_vars(&vars).unwrap());
    let key = SecretKey::new(*b"bench key, 32 bytes or more.....").unwrap();
    let app = router(app_state(t.db.clone(), config, key, Mailer::dev()));

    let (mut known, mut unknown, mut verify, mut check) = (vec![], vec![], vec![], vec![]);
    let mut signed_in = None;
    for (i, email) in emails.iter().enumerate() {
        let ip = i as u32;
        // Alternate known and unknown so both see the same load.
        let (s, csrf) = pre_session(&app, ip).await;
        let (ms, _, status) = call(
            &app,
            form_post("/api/request_code", &s, &csrf, ("email", email)),
            ip,
        )
        .await;
        assert_eq!(status, 200);
        known.push(ms);
        let (s2, csrf2) = pre_session(&app, ip + 100_000).await;
        let stranger = format!("stranger{i}@nowhere.example");
        let (ms, _, status) = call(
            &app,
            form_post("/api/request_code", &s2, &csrf2, ("email", &stranger)),
            ip + 100_000,
        )
        .await;
        assert_eq!(status, 200);
        unknown.push(ms);

        let code = code_for(&t.db, email).await;
        let (ms, h, status) = call(
            &app,
            form_post("/api/verify_code", &s, &csrf, ("code", &code)),
            ip,
        )
        .await;
        assert_eq!(status, 200);
        verify.push(ms);
        signed_in = token_of(&h);
    }
    let session = signed_in.unwrap();
    for i in 0..N {
        let req = Request::get("/api/session")
            .header(header::COOKIE, format!("{SESSION_COOKIE}={session}"));
        check.push(
            call(&app, req.body(Body::empty()).unwrap(), i as u32)
                .await
                .0,
        );
    }
    let name = backend.name();
    vec![
        report(&format!("{name}: request code, known address"), known),
        report(&format!("{name}: request code, unknown address"), unknown),
        report(&format!("{name}: verify code (sign-in)"), verify),
        report(&format!("{name}: session check (GET /api/session)"), check),
    ]
}

pub async fn bench_sign_in_endpoints() {
    let mut lines = vec![
        "| Endpoint | n | p50 ms | p95 ms |".to_string(),
        "|---|---|---|---|".to_string(),
    ];
    lines.extend(run(Backend::Sqlite).await);
    lines.extend(run(Backend::Postgres).await);
    println!("\n{}\n", lines.join("\n"));
}
