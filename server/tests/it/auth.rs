//! Sign-in, sessions and CSRF through the real router, with real cookies (security.md).

use std::{collections::HashMap, sync::Arc, time::Duration};

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
    http::{header, Request, StatusCode},
    Router,
};
use tower::ServiceExt;

use crate::common::*;
use server::http::{app_state, router};

const OWNER: &str = "anna.lindberg@nordstrombygg.example";
const TWO_COMPANIES: &str = "samir.karlsson@nordstrombygg.example";

async fn portal() -> (TestDb, Router) {
    portal_with_sessions(100).await
}

async fn portal_with_sessions(sessions: usize) -> (TestDb, Router) {
    let t = TestDb::fresh(Backend::Sqlite).await;
    server::demo::generate(
        &t.db,
        &server::demo::DemoArgs {
            members: 8,
            sessions,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let config = Arc::new(Config::from_vars(&HashMap::new()).unwrap());
    let key = SecretKey::new(*b"test key, 32 bytes or more......").unwrap();
    let app = router(app_state(t.db.clone(), config, key, Mailer::dev()));
    (t, app)
}

#[tokio::test]
async fn the_session_cookie_has_every_required_attribute_and_pages_are_not_cached() {
    let (_t, app) = portal().await;
    let res = send(&app, get("/sign-in", None)).await;
    let cookie = res
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(cookie.starts_with("__Host-portal_session="), "{cookie}");
    let token = res.new_session().unwrap();
    assert_eq!(token.len(), 64, "32 random bytes");
    for attr in [
        "Path=/",
        "Secure",
        "HttpOnly",
        "SameSite=None",
        "Partitioned",
    ] {
        assert!(
            cookie.split("; ").any(|a| a == attr),
            "{attr} missing in {cookie}"
        );
    }
    assert!(!cookie.contains("Domain"), "__Host- cookies have no Domain");
    assert_eq!(res.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
}

#[tokio::test]
async fn every_mutating_server_function_refuses_cross_site_and_tokenless_posts() {
    let (t, app) = portal().await;
    let session = sign_in(&app, &t.db, OWNER).await;
    let csrf = session_view(&app, &session).await.csrf;
    let posts: Vec<String> = server_fn::axum::server_fn_paths()
        .filter(|(_, m)| *m == axum::http::Method::POST)
        .map(|(p, _)| p.to_string())
        .collect();
    for expected in [
        "/api/request_code",
        "/api/verify_code",
        "/api/switch_company",
        "/api/sign_out",
    ] {
        assert!(
            posts.iter().any(|p| p == expected),
            "{expected} is not registered"
        );
    }
    for path in &posts {
        let body = || form(&[("csrf_token", &csrf), ("email", OWNER), ("code", "123456")]);
        let cross = Request::post(path.as_str())
            .header(header::COOKIE, format!("{SESSION_COOKIE}={session}"))
            .header("sec-fetch-site", "cross-site")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body())
            .unwrap();
        assert_eq!(
            send(&app, cross).await.status,
            StatusCode::FORBIDDEN,
            "{path}: cross-site"
        );
        let foreign_origin = Request::post(path.as_str())
            .header(header::COOKIE, format!("{SESSION_COOKIE}={session}"))
            .header(header::ORIGIN, "http://evil.example")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body())
            .unwrap();
        assert_eq!(
            send(&app, foreign_origin).await.status,
            StatusCode::FORBIDDEN,
            "{path}: foreign Origin"
        );
        let no_origin = Request::post(path.as_str())
            .header(header::COOKIE, format!("{SESSION_COOKIE}={session}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body())
            .unwrap();
        assert_eq!(
            send(&app, no_origin).await.status,
            StatusCode::FORBIDDEN,
            "{path}: no Origin"
        );
        let tokenless = post(path, &session)
            .body(form(&[("email", OWNER)]))
            .unwrap();
        assert_eq!(
            send(&app, tokenless).await.status,
            StatusCode::FORBIDDEN,
            "{path}: no token"
        );
        let wrong = post(path, &session)
            .header("x-csrf-token", "00".repeat(32))
            .body(form(&[]))
            .unwrap();
        assert_eq!(
            send(&app, wrong).await.status,
            StatusCode::FORBIDDEN,
            "{path}: wrong token"
        );
    }
    // The session survived all of that.
    assert!(session_view(&app, &session).await.user.is_some());
}

#[tokio::test]
async fn known_and_unknown_emails_get_identical_answers_and_only_known_ones_get_mail() {
    let (t, app) = portal().await;
    let (a, csrf_a) = pre_session(&app).await;
    let (b, csrf_b) = pre_session(&app).await;
    let known = request_code(&app, &a, &csrf_a, OWNER).await;
    let unknown = request_code(&app, &b, &csrf_b, "nobody@nordstrombygg.example").await;
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.body, unknown.body);
    wait_for_code(&t.db, OWNER).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mails: i64 = with_pool!(&t.db, |pool| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox WHERE to_email = 'nobody@nordstrombygg.example'",
        )
        .fetch_one(pool)
        .await
        .unwrap()
    });
    assert_eq!(mails, 0);
}

#[tokio::test]
async fn a_second_request_within_the_cooldown_gets_429_with_retry_after() {
    let (_t, app) = portal().await;
    let (s, csrf) = pre_session(&app).await;
    assert_eq!(
        request_code(&app, &s, &csrf, OWNER).await.status,
        StatusCode::OK
    );
    let res = request_code(&app, &s, &csrf, OWNER).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: i64 = res
        .headers
        .get(header::RETRY_AFTER)
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
}

#[tokio::test]
async fn signing_in_rotates_the_session_and_signing_out_ends_it_on_the_server() {
    let (t, app) = portal().await;
    let (pre, csrf) = pre_session(&app).await;
    request_code(&app, &pre, &csrf, OWNER).await;
    let code = wait_for_code(&t.db, OWNER).await;
    let req = post("/api/verify_code", &pre)
        .body(form(&[("code", &code), ("csrf_token", &csrf)]))
        .unwrap();
    let res = send(&app, req).await;
    let session = res.new_session().unwrap();
    // The pre-session's row is gone. Its cookie is still a signed pre-session token (made
    // without a database write, so nothing can revoke it), which is what any visitor gets
    // from the sign-in page: no user, no address, nothing of the sign-in it started.
    let old = session_view(&app, &pre).await;
    assert_eq!(
        (old.user, old.pending_email),
        (None, None),
        "the pre-session is gone"
    );
    let view = session_view(&app, &session).await;
    let user = view.user.clone().unwrap();
    assert_eq!(user.email, OWNER);
    assert_eq!(
        user.current.map(|c| c.name).as_deref(),
        Some("Nordström Bygg AB")
    );
    let (_, page_headers, home) = {
        let r = send(&app, get("/", Some(&session))).await;
        (r.status, r.headers, r.body)
    };
    assert!(home.contains("Nordström Bygg AB"));
    assert_eq!(page_headers.get(header::CACHE_CONTROL).unwrap(), "no-store");

    let req = post("/api/sign_out", &session)
        .body(form(&[("csrf_token", &view.csrf)]))
        .unwrap();
    let res = send(&app, req).await;
    assert_eq!(res.status, StatusCode::OK);
    let cookie = res
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        cookie.contains("Max-Age=0") && cookie.contains("Secure") && cookie.contains("Partitioned")
    );
    assert_eq!(
        session_view(&app, &session).await.user,
        None,
        "the old cookie no longer signs in"
    );
    let rows: i64 = with_pool!(&t.db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM web_sessions WHERE user_id IS NOT NULL")
            .fetch_one(pool)
            .await
            .unwrap()
    });
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn an_expired_session_is_refused() {
    let (t, app) = portal().await;
    let session = sign_in(&app, &t.db, OWNER).await;
    assert!(session_view(&app, &session).await.user.is_some());
    with_pool!(&t.db, |pool| {
        sqlx::query("UPDATE web_sessions SET idle_expires_at = 1 WHERE user_id IS NOT NULL")
            .execute(pool)
            .await
            .unwrap()
            .rows_affected()
    });
    assert_eq!(session_view(&app, &session).await.user, None);
    let res = send(&app, get("/", Some(&session))).await;
    assert!(
        res.status.is_redirection(),
        "the landing page sends an expired session to sign-in: {} {:?}",
        res.status,
        res.headers
    );
    assert_eq!(res.headers.get(header::LOCATION).unwrap(), "/sign-in");
}

#[tokio::test]
async fn a_wrong_code_in_a_plain_form_comes_back_as_one_message_on_the_page() {
    let (t, app) = portal().await;
    let (pre, csrf) = pre_session(&app).await;
    request_code(&app, &pre, &csrf, OWNER).await;
    wait_for_code(&t.db, OWNER).await;
    let req = post("/api/verify_code", &pre)
        .header(header::ACCEPT, "text/html")
        .body(form(&[("code", "000 000"), ("csrf_token", &csrf)]))
        .unwrap();
    let res = send(&app, req).await;
    assert_eq!(res.status, StatusCode::FOUND);
    let location = res
        .headers
        .get(header::LOCATION)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(location, "/sign-in?error=invalid_code");
    let page = send(&app, get(&location, Some(&pre))).await;
    assert!(page.body.contains("Ogiltig eller utgången kod."));
}

#[tokio::test]
async fn a_person_in_two_companies_picks_one_and_switching_gives_a_new_session() {
    let (t, app) = portal().await;
    let session = sign_in(&app, &t.db, TWO_COMPANIES).await;
    let view = session_view(&app, &session).await;
    let user = view.user.unwrap();
    assert_eq!(user.companies.len(), 2);
    assert_eq!(user.current, None);
    let res = send(&app, get("/", Some(&session))).await;
    assert_eq!(res.status, StatusCode::FOUND);
    assert_eq!(res.headers.get(header::LOCATION).unwrap(), "/companies");

    let target = user
        .companies
        .iter()
        .find(|c| c.name == "Lindqvist Konsult AB")
        .unwrap();
    let req = post("/api/switch_company", &session)
        .body(form(&[
            ("company_id", &target.id.to_string()),
            ("csrf_token", &view.csrf),
        ]))
        .unwrap();
    let res = send(&app, req).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let switched = res.new_session().unwrap();
    assert_ne!(switched, session);
    assert_eq!(
        session_view(&app, &session).await.user,
        None,
        "the old id stops working"
    );
    let now_in = session_view(&app, &switched)
        .await
        .user
        .unwrap()
        .current
        .unwrap();
    assert_eq!(now_in.name, "Lindqvist Konsult AB");

    // A company that is not theirs: 404, and the session stays as it was.
    let csrf = session_view(&app, &switched).await.csrf;
    let other: uuid::Uuid = with_pool!(&t.db, |pool| {
        sqlx::query_scalar("SELECT id FROM companies WHERE name = 'Ek & Söner Redovisning AB'")
            .fetch_one(pool)
            .await
            .unwrap()
    });
    let req = post("/api/switch_company", &switched)
        .body(form(&[
            ("company_id", &other.to_string()),
            ("csrf_token", &csrf),
        ]))
        .unwrap();
    assert_eq!(send(&app, req).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        session_view(&app, &switched)
            .await
            .user
            .unwrap()
            .current
            .unwrap()
            .name,
        "Lindqvist Konsult AB"
    );
}

/// Ends every membership of `email` in the store (as a removal does), bypassing the rules.
async fn end_memberships(db: &Db, email: &str) {
    let ended = with_pool!(db, |pool| {
        sqlx::query(
            "UPDATE memberships SET status = 'removed'
             WHERE user_id = (SELECT id FROM users WHERE email = $1)",
        )
        .bind(email)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    });
    assert!(ended.unwrap() > 0);
}

/// The membership is read with the session on every request (one statement in the
/// middleware): a membership that ends stops the very next request of a live session.
#[tokio::test]
async fn a_session_loses_the_company_the_moment_its_membership_ends() {
    let (t, app) = portal().await;
    let session = sign_in(&app, &t.db, OWNER).await;
    let query = app::history::HistoryQuery {
        year: "2026".into(),
        ..Default::default()
    };
    let history = || {
        Request::get(format!("/api/history?{}", query.encoded()))
            .header(header::COOKIE, format!("{SESSION_COOKIE}={session}"))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(send(&app, history()).await.status, StatusCode::OK);
    end_memberships(&t.db, OWNER).await;
    let res = send(&app, history()).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    assert_eq!(
        session_view(&app, &session).await.user.unwrap().current,
        None
    );
}

/// Issue 28, item 3: the owner removes the reception account; the tablet's cookie ends with
/// it. (Before, the session row outlived the membership, so inviting the same address again —
/// even as admin — and accepting on another device turned the tablet's old cookie into an
/// admin session without a new session id.)
#[tokio::test]
async fn removing_a_member_ends_their_sessions_in_that_company() {
    let (t, app) = portal().await;
    let owner = sign_in(&app, &t.db, OWNER).await;
    let (desk_id, desk_email): (uuid::Uuid, String) = with_pool!(&t.db, |pool| {
        sqlx::query_as(
            "SELECT u.id, u.email FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.role = 'front_desk' AND m.status = 'active' AND m.company_id =
                   (SELECT company_id FROM memberships WHERE user_id =
                          (SELECT id FROM users WHERE email = $1))
             ORDER BY u.email LIMIT 1",
        )
        .bind(OWNER)
        .fetch_one(pool)
        .await
        .unwrap()
    });
    let desk = sign_in(&app, &t.db, &desk_email).await;
    assert!(session_view(&app, &desk).await.user.is_some(), "signed in");

    submit(
        &app,
        &owner,
        "/api/remove_member",
        &[("user_id", &desk_id.to_string())],
    )
    .await;
    assert!(
        session_view(&app, &desk).await.user.is_none(),
        "the tablet's cookie names no session any more"
    );
    let left: i64 = with_pool!(&t.db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM web_sessions WHERE user_id = $1")
            .bind(desk_id)
            .fetch_one(pool)
            .await
            .unwrap()
    });
    assert_eq!(left, 0, "no session row is left to revive");
    assert!(
        session_view(&app, &owner).await.user.is_some(),
        "the owner's goes on"
    );
}

/// Issue 28, item 3: a member who left the company (keeping their session, to pick another
/// company) is invited back as admin and accepts on another device. The first device's
/// cookie must not come back to life under the new role: accepting ends every session of
/// theirs in that company, and the accepting device goes on under a new session id.
#[tokio::test]
async fn accepting_an_invitation_back_ends_every_old_session_in_that_company() {
    use app::{
        companies::{Email, Role},
        i18n::Lang,
        members::service as members,
    };
    let (t, app) = portal().await;
    let (company, owner_id, member_id, member_email): (uuid::Uuid, uuid::Uuid, uuid::Uuid, String) = with_pool!(
        &t.db,
        |pool| {
            sqlx::query_as(
                "SELECT o.company_id, o.user_id, u.id, u.email
                 FROM memberships o
                 JOIN memberships m ON m.company_id = o.company_id AND m.role = 'member' AND m.status = 'active'
                 JOIN users u ON u.id = m.user_id
                 WHERE o.user_id = (SELECT id FROM users WHERE email = $1)
                   AND NOT EXISTS (SELECT 1 FROM memberships x WHERE x.user_id = u.id AND x.company_id <> o.company_id)
                 ORDER BY u.email LIMIT 1",
            )
            .bind(OWNER)
            .fetch_one(pool)
            .await
            .unwrap()
        }
    );
    let tablet = sign_in(&app, &t.db, &member_email).await;
    submit(
        &app,
        &tablet,
        "/api/remove_member",
        &[("user_id", &member_id.to_string())],
    )
    .await;
    assert!(
        session_view(&app, &tablet).await.user.is_some(),
        "one who leaves keeps their session (to pick another company)"
    );

    let now = app::db::now_ts();
    let owner = app::auth::TenantCtx::from_database(&t.db, owner_id, company)
        .await
        .unwrap();
    let invitation = members::NewInvitation {
        email: Email::parse(&member_email).unwrap(),
        role: Role::Admin,
        default_cost_center_id: None,
    };
    let id = members::invite(&t.db, &owner, &invitation, "http://x", Lang::Sv, now)
        .await
        .unwrap();
    let token = invitation_token(&t.db, id).await;

    // Signed in on the phone (directly: one address may ask for a code once a minute).
    let phone = app::auth::service::start_session(&t.db, None, member_id, app::db::now_ts())
        .await
        .unwrap();
    let res = submit(&app, &phone, "/api/accept_invitation", &[("token", &token)]).await;
    let phone = res
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(&format!("{SESSION_COOKIE}=")))
        .and_then(|c| c.split(';').next())
        .expect("accepting sets a new session cookie")
        .to_owned();
    let on_phone = session_view(&app, &phone).await;
    assert_eq!(
        on_phone
            .user
            .and_then(|u| u.current)
            .map(|c| (c.id, c.role)),
        Some((company, Role::Admin)),
        "the accepting device goes on as admin"
    );
    let on_tablet = session_view(&app, &tablet).await;
    assert!(
        on_tablet.user.is_none(),
        "the tablet's old cookie is not an admin session: {on_tablet:?}"
    );
}

#[tokio::test]
async fn a_refused_invitation_in_a_plain_form_says_why_on_the_page() {
    let (t, app) = portal().await;
    let session = sign_in(&app, &t.db, OWNER).await;
    let csrf = session_view(&app, &session).await.csrf;
    let req = post("/api/invite_member", &session)
        .header(header::ACCEPT, "text/html")
        .body(form(&[
            ("email", TWO_COMPANIES),
            ("role", "member"),
            ("cost_center", ""),
            ("csrf_token", &csrf),
        ]))
        .unwrap();
    let res = send(&app, req).await;
    assert_eq!(res.status, StatusCode::FOUND);
    let location = res
        .headers
        .get(header::LOCATION)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        location,
        "/members?error=invalid&field=email&reason=already_member"
    );
    let page = send(&app, get(&location, Some(&session))).await;
    assert!(
        page.body.contains("Personen är redan medlem."),
        "the page names the reason"
    );
}

/// The CSV export's chunks through the real router: every row arrives once over several
/// chunks, each next cursor is signed for this session and filter, and a cursor the client
/// made up (which would skip the first chunk and with it the audit entry) is refused.
#[tokio::test]
async fn an_export_walks_signed_cursors_and_refuses_made_up_ones() {
    use server_fn::{codec::PostcardEncoding, Decodes};
    let (t, app) = portal_with_sessions(45_000).await;
    let session = sign_in(&app, &t.db, OWNER).await;
    let csrf = session_view(&app, &session).await.csrf;
    let export = |after: String, kind: &'static str| {
        let q = app::history::HistoryQuery {
            from: "2000-01-01".into(),
            to: "2100-12-31".into(),
            kind: kind.into(),
            after,
            ..Default::default()
        };
        post("/api/history_export", &session)
            .header("x-csrf-token", &csrf)
            .body(Body::from(q.encoded()))
            .unwrap()
    };
    let fetch = |req: Request<Body>| {
        let app = app.clone();
        async move {
            let res = app.oneshot(req).await.unwrap();
            let status = res.status();
            let bytes = to_bytes(res.into_body(), usize::MAX).await.unwrap();
            (status, bytes)
        }
    };

    let (status, bytes) = fetch(export(String::new(), "")).await;
    assert_eq!(status, StatusCode::OK);
    let first: app::history::ExportChunk = PostcardEncoding::decode(bytes).unwrap();
    let total = first.total.expect("the first chunk says how many rows");
    assert!(
        total > 2 * app::history::EXPORT_CHUNK,
        "{total} rows: several chunks"
    );
    let mut rows = first.rows.len() as i64;
    let mut next = first.next.clone();
    let mut chunks = 1;
    while let Some(after) = next {
        let (status, bytes) = fetch(export(after, "")).await;
        assert_eq!(status, StatusCode::OK);
        let chunk: app::history::ExportChunk = PostcardEncoding::decode(bytes).unwrap();
        assert_eq!(
            chunk.total, None,
            "only the first chunk counts (and audits)"
        );
        rows += chunk.rows.len() as i64;
        next = chunk.next;
        chunks += 1;
    }
    assert_eq!(rows, total, "every row once");
    assert!(chunks >= 3);

    // Made up, tampered with, or taken to another filter: refused.
    let signed = first.next.clone().unwrap();
    let (cursor, mac) = signed.split_once('~').unwrap();
    let forged = [
        (
            "9223372036854775807.ffffffff-ffff-ffff-ffff-ffffffffffff".to_owned(),
            "",
        ),
        (cursor.to_owned(), ""),
        (format!("{cursor}~{}", "0".repeat(mac.len())), ""),
        (signed.clone(), "parking"),
    ];
    for (after, kind) in forged {
        let (status, _) = fetch(export(after.clone(), kind)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{after} / {kind}");
    }
    let audited: i64 = with_pool!(&t.db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'history.exported'")
            .fetch_one(pool)
            .await
            .unwrap()
    });
    assert_eq!(audited, 1, "one export, one audit entry");

    // The next chunk is built ahead as soon as a chunk goes out (history/ahead.rs); a session
    // whose membership ends meanwhile still gets nothing more.
    let (status, bytes) = fetch(export(String::new(), "")).await;
    assert_eq!(status, StatusCode::OK);
    let again: app::history::ExportChunk = PostcardEncoding::decode(bytes).unwrap();
    end_memberships(&t.db, OWNER).await;
    let (status, _) = fetch(export(again.next.unwrap(), "")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
