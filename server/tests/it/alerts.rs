//! Alerts end to end, on both databases: an admin's rules and budget saved with the page's
//! forms, a signed batch with a Saturday charging session of 22 hours, the alert delivered by
//! two instances at once (two pools to one database) to the people who chose it — a mail at
//! once for one, a notice and the 07:00 digest for another, a notice only for the third —
//! real SMTP into a real mail catcher, read back over its API, each exactly once; the mail's
//! signed unsubscribe link used without signing in; the notices, the header's unread count
//! and "mark all as read"; and the budget's 80 % alert raised and delivered once with both
//! instances running.
//!
//! Time: the policy alert's session is placed relative to the moment the test runs (the
//! last Saturday that is over), because ingestion alerts only about recent sessions; the
//! budget's month and the digest's morning are fixed dates passed to the jobs as "now".

use std::time::Duration;

use app::{
    alerts::service as alerts,
    companies::Role,
    crypto::SecretKey,
    db::{Backend, Db},
    with_pool,
};
use axum::http::StatusCode;
use chrono::{Datelike, Duration as Span, TimeZone, Weekday};
use chrono_tz::Europe::Stockholm;

use crate::{
    common::{add_member, get, send, sign_in},
    policies::{acceptance_rules, fields, session, world, ANNA, OWNER},
    reports::{instance, MailCatcher},
};

const ADMIN: &str = "admin@acme.example";
const FINANCE: &str = "finance@acme.example";
const URL: &str = "http://portal.example";

fn key() -> SecretKey {
    SecretKey::new(*crate::common::TEST_KEY).unwrap()
}

/// The last Saturday 08:00 in Stockholm whose 22 hours are over by `now`.
fn last_saturday_morning(now: i64) -> chrono::DateTime<chrono_tz::Tz> {
    let local = Stockholm.timestamp_opt(now, 0).unwrap();
    let mut day = local.date_naive();
    loop {
        if day.weekday() == Weekday::Sat {
            let start = Stockholm
                .from_local_datetime(&day.and_hms_opt(8, 0, 0).unwrap())
                .earliest()
                .unwrap();
            if (start + Span::hours(22)).timestamp() <= now {
                return start;
            }
        }
        day = day.pred_opt().unwrap();
    }
}

/// Mails caught for `to` whose subject starts with `prefix`, with their text.
async fn caught(catcher: &MailCatcher, to: &str, prefix: &str) -> Vec<String> {
    let list = catcher.get("/api/email").await.expect("maildev answers");
    list.as_array()
        .unwrap()
        .iter()
        .filter(|m| {
            m["to"][0]["address"].as_str() == Some(to)
                && m["subject"].as_str().is_some_and(|s| s.starts_with(prefix))
        })
        .map(|m| m["text"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// Sends what the outbox holds through both instances' workers, then waits (at most 5 s)
/// until `to` has `n` mails whose subject starts with `prefix`, and a moment more (a second
/// copy, if one were sent, would arrive then): those mails' texts.
async fn flush(
    (a, b): (&app::state::AppState, &app::state::AppState),
    catcher: &MailCatcher,
    (to, prefix, n): (&str, &str, usize),
) -> Vec<String> {
    for _ in 0..5 {
        tokio::join!(
            server::jobs::mail::send_due(a),
            server::jobs::mail::send_due(b)
        );
    }
    for _ in 0..50 {
        if caught(catcher, to, prefix).await.len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    caught(catcher, to, prefix).await
}

async fn count(db: &Db, sql: &'static str) -> i64 {
    with_pool!(db, |pool| {
        sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
    })
}

async fn alerts_arrive_once(backend: Backend) {
    let catcher = MailCatcher::start().await;
    let w = world(backend).await;
    let now = app::db::now_ts();
    let company: uuid::Uuid = with_pool!(&w.t.db, |pool| {
        sqlx::query_scalar("SELECT id FROM companies")
            .fetch_one(pool)
            .await
            .unwrap()
    });
    add_member(&w.t.db, company, ADMIN, Role::Admin, now).await;
    add_member(&w.t.db, company, FINANCE, Role::Finance, now).await;
    let owner = sign_in(&w.app, &w.t.db, OWNER).await;
    let admin = sign_in(&w.app, &w.t.db, ADMIN).await;
    let cc = w.cc200.to_string();

    // Who gets what: the owner a mail at once, the admin the digest, finance the default
    // (a notice only). A bad choice is refused by field and changes nothing.
    let bad = w
        .submit(
            &owner,
            "/api/save_alert_settings",
            &[
                ("choices[policy]", "sometimes"),
                ("choices[overstay]", "portal"),
                ("choices[budget]", "portal"),
            ],
            false,
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert!(bad.body.contains("policy"), "{}", bad.body);
    assert_eq!(w.count("alert_settings").await, 0);
    for (who, policy, budget) in [
        (&owner, "immediate", "immediate"),
        (&admin, "digest", "digest"),
    ] {
        let res = w
            .submit(
                who,
                "/api/save_alert_settings",
                &[
                    ("choices[policy]", policy),
                    ("choices[overstay]", "portal"),
                    ("choices[budget]", budget),
                ],
                true,
            )
            .await;
        assert!(res.status.is_redirection(), "{} {}", res.status, res.body);
    }

    // The rules of the acceptance flow, and a budget for the cost center (bad amounts first).
    let res = w
        .submit(
            &owner,
            "/api/save_policy",
            &fields(&acceptance_rules(&cc)),
            false,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    for (amount, reason) in [
        ("two thousand", "not_a_number"),
        ("-5", "not_a_number"),
        ("0", "out_of_range"),
    ] {
        let res = w
            .submit(
                &owner,
                "/api/save_budget",
                &[("cost_center", &cc), ("amount", amount)],
                false,
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::BAD_REQUEST,
            "{amount}: {}",
            res.body
        );
        assert!(res.body.contains(reason), "{amount}: {}", res.body);
    }
    assert_eq!(w.count("budgets").await, 0);
    let res = w
        .submit(
            &owner,
            "/api/save_budget",
            &[("cost_center", &cc), ("amount", "2 000")],
            true,
        )
        .await;
    assert!(res.status.is_redirection(), "{} {}", res.status, res.body);

    // A Saturday charging session of 22 hours, over the last weekend that is over.
    let start = last_saturday_morning(now);
    let end = start + Span::hours(22);
    let at = |t: chrono::DateTime<chrono_tz::Tz>| t.format("%Y-%m-%dT%H:%M:%S%:z").to_string();
    let mut s = session("S-SAT", 1, "ABC123", "charging", "", "", 45_000);
    s["started_at"] = at(start).into();
    s["ended_at"] = at(end).into();
    let (status, body) = w
        .ingest("sessions", serde_json::json!({ "sessions": [s.clone()] }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Sent again (a retry) and corrected (a higher version): still one alert.
    w.ingest("sessions", serde_json::json!({ "sessions": [s.clone()] }))
        .await;
    s["version"] = 2.into();
    s["amount_incl_vat"] = 46_000.into();
    let (status, body) = w
        .ingest("sessions", serde_json::json!({ "sessions": [s] }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        count(&w.t.db, "SELECT COUNT(*) FROM alerts WHERE kind = 'policy'").await,
        1
    );

    // Two instances deliver at once: one delivers, the other finds it taken.
    let other = Db::connect(&w.t.url()).await.unwrap();
    let k = key();
    let (qa, qb) = tokio::join!(
        alerts::deliver(&w.t.db, &k, URL, now),
        alerts::deliver(&other, &k, URL, now)
    );
    assert_eq!(
        qa.unwrap() + qb.unwrap(),
        1,
        "one mail: the owner's, at once"
    );
    assert_eq!(
        alerts::deliver(&w.t.db, &k, URL, now + 60).await.unwrap(),
        0
    );
    assert_eq!(
        count(&w.t.db, "SELECT COUNT(*) FROM notices").await,
        3,
        "a notice each"
    );
    let (a, b) = (
        instance(w.t.db.clone(), &catcher),
        instance(other.clone(), &catcher),
    );
    let mails = flush(
        (&a, &b),
        &catcher,
        (OWNER, "Utanför reglerna: ABC 123 – Acme AB", 1),
    )
    .await;
    assert_eq!(mails.len(), 1, "{:?}", catcher.mails().await);
    let text = &mails[0];
    assert!(text.contains("Laddning på Garage Ett"), "{text}");
    assert!(
        text.contains("Utanför tillåten tid, Laddning inte tillåten, Över maxtid."),
        "the three reasons: {text}"
    );
    let day = start.date_naive().to_string();
    assert!(
        text.contains(&format!(
            "{URL}/history?from={day}&to={day}&plate=ABC%20123&member={}&policy=outside",
            w.anna
        )),
        "a link to exactly that session: {text}"
    );
    // (The outbox also held the sign-in codes: only the alerts' subjects count.)
    assert!(
        caught(&catcher, ADMIN, "Utanför").await.is_empty(),
        "the admin's comes in the digest"
    );
    assert!(
        caught(&catcher, FINANCE, "Utanför").await.is_empty(),
        "finance chose no mail"
    );

    // The notices and the header's count; "mark all as read".
    let page = w.get(&owner, "/notices").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("1 olästa") && page.body.contains("ABC 123"),
        "{}",
        page.body
    );
    let home = w.get(&owner, "/").await;
    assert!(
        home.body.contains("Aviseringar, 1 olästa"),
        "the header counts the unread"
    );
    let res = w.submit(&owner, "/api/mark_notices_read", &[], true).await;
    assert!(res.status.is_redirection(), "{} {}", res.status, res.body);
    let page = w.get(&owner, "/notices").await;
    assert!(page.body.contains("0 olästa"), "{}", page.body);
    let anna = sign_in(&w.app, &w.t.db, ANNA).await;
    assert_eq!(w.get(&anna, "/notices").await.status, StatusCode::FORBIDDEN);

    // The digest: the first 07:00 after the notice was delivered (`now`), not an hour before
    // it, then once, with both instances.
    let morning_of = |day: chrono::NaiveDate, h| {
        Stockholm
            .from_local_datetime(&day.and_hms_opt(h, 5, 0).unwrap())
            .earliest()
            .unwrap()
            .timestamp()
    };
    let mut day = Stockholm.timestamp_opt(now, 0).unwrap().date_naive();
    if morning_of(day, 7) - 300 <= now {
        day = day.succ_opt().unwrap();
    }
    let (digest_early, digest_at) = (morning_of(day, 6), morning_of(day, 7));
    if digest_early > now {
        assert_eq!(
            alerts::send_digests(&w.t.db, &k, URL, digest_early)
                .await
                .unwrap(),
            0
        );
    }
    let (da, db) = tokio::join!(
        alerts::send_digests(&w.t.db, &k, URL, digest_at),
        alerts::send_digests(&other, &k, URL, digest_at)
    );
    assert_eq!(da.unwrap() + db.unwrap(), 1, "one digest, the admin's");
    assert_eq!(
        alerts::send_digests(&w.t.db, &k, URL, digest_at + 3600)
            .await
            .unwrap(),
        0
    );
    // The digest was queued at that morning's time, which may still be ahead of the clock
    // the mail workers read: move the test's clock there for the outbox.
    with_pool!(&w.t.db, |pool| {
        sqlx::query("UPDATE outbox SET next_attempt_at = 0 WHERE kind = 'alert_digest'")
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
            .unwrap()
    });
    let digests = flush(
        (&a, &b),
        &catcher,
        (ADMIN, "Aviseringar för Acme AB: 1 nya", 1),
    )
    .await;
    assert_eq!(digests.len(), 1, "{:?}", catcher.mails().await);

    // The owner's unsubscribe link, used without signing in: the question (GET changes
    // nothing), the button, then no more mails of that kind; the notices go on.
    let link = text
        .lines()
        .find_map(|l| {
            l.split_whitespace()
                .find(|w| w.contains("/notices/unsubscribe?"))
        })
        .expect("an unsubscribe link")
        .trim_start_matches(URL)
        .to_owned();
    let page = send(&w.app, get(&link, None)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(OWNER), "the page says whose mails stop");
    let visitor = page
        .new_session()
        .expect("the page gives a visitor a CSRF token");
    // The owner's two kinds by mail at once: policy and budget.
    assert_eq!(
        count(
            &w.t.db,
            "SELECT COUNT(*) FROM alert_settings WHERE mode = 'immediate'"
        )
        .await,
        2
    );
    let query: std::collections::HashMap<String, String> =
        url_pairs(link.split_once('?').unwrap().1);
    let pairs: Vec<(&str, &str)> = ["c", "u", "k", "s"]
        .iter()
        .map(|k| (*k, query[*k].as_str()))
        .collect();
    let mut tampered = pairs.clone();
    tampered[2].1 = "budget";
    let res = w
        .submit(&visitor, "/api/unsubscribe", &tampered, false)
        .await;
    assert_eq!(
        res.status,
        StatusCode::BAD_REQUEST,
        "another kind with this signature"
    );
    let res = w.submit(&visitor, "/api/unsubscribe", &pairs, true).await;
    assert!(res.status.is_redirection(), "{} {}", res.status, res.body);
    assert_eq!(
        count(
            &w.t.db,
            "SELECT COUNT(*) FROM alert_settings WHERE mode = 'immediate'"
        )
        .await,
        1,
        "budget mails stay"
    );
    let mut s2 = session("S-FRI", 1, "ABC123", "charging", "", "", 10_000);
    // The Friday before, charging (not allowed): outside policy too.
    s2["started_at"] = at(start - Span::hours(24)).into();
    s2["ended_at"] = at(start - Span::hours(23)).into();
    w.ingest("sessions", serde_json::json!({ "sessions": [s2] }))
        .await;
    assert_eq!(
        alerts::deliver(&w.t.db, &k, URL, now + 180).await.unwrap(),
        0,
        "no mail"
    );
    assert_eq!(
        count(&w.t.db, "SELECT COUNT(*) FROM notices").await,
        6,
        "but a notice each"
    );
}

fn url_pairs(q: &str) -> std::collections::HashMap<String, String> {
    q.split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.replace("%7C", "|")))
        .collect()
}

#[tokio::test]
async fn alerts_arrive_once_on_sqlite() {
    alerts_arrive_once(Backend::Sqlite).await;
}

#[tokio::test]
async fn alerts_arrive_once_on_postgres() {
    alerts_arrive_once(Backend::Postgres).await;
}

/// A cost center's budget of 2,000 kr and 1,700 kr spent in November 2026 (85 %): the 80 %
/// alert is raised and delivered once with two instances checking at once, and again later;
/// 100 % comes when the month passes it. Fixed dates throughout.
async fn the_budget_alert_arrives_once_at_80_per_cent(backend: Backend) {
    let catcher = MailCatcher::start().await;
    let w = world(backend).await;
    let owner = sign_in(&w.app, &w.t.db, OWNER).await;
    let cc = w.cc200.to_string();
    for (path, form) in [
        (
            "/api/save_alert_settings",
            vec![
                ("choices[policy]", "portal"),
                ("choices[overstay]", "portal"),
                ("choices[budget]", "immediate"),
            ],
        ),
        (
            "/api/save_budget",
            vec![("cost_center", cc.as_str()), ("amount", "2000")],
        ),
    ] {
        let res = w.submit(&owner, path, &form, false).await;
        assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.body);
    }
    let s = session(
        "S-NOV",
        1,
        "ABC123",
        "parking",
        "2026-11-10T08:00:00",
        "2026-11-10T16:00:00",
        170_000,
    );
    let (status, body) = w
        .ingest("sessions", serde_json::json!({ "sessions": [s] }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let nov = Stockholm
        .with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
        .unwrap()
        .timestamp();
    let other = Db::connect(&w.t.url()).await.unwrap();
    let (ra, rb) = tokio::join!(
        app::costs::budget::check(&w.t.db, nov),
        app::costs::budget::check(&other, nov)
    );
    assert_eq!(ra.unwrap() + rb.unwrap(), 1, "80 % once; not 100 %");
    assert_eq!(
        app::costs::budget::check(&w.t.db, nov + 60).await.unwrap(),
        0
    );
    let k = key();
    let (qa, qb) = tokio::join!(
        alerts::deliver(&w.t.db, &k, URL, nov),
        alerts::deliver(&other, &k, URL, nov)
    );
    assert_eq!(qa.unwrap() + qb.unwrap(), 1);
    let (a, b) = (
        instance(w.t.db.clone(), &catcher),
        instance(other.clone(), &catcher),
    );
    let mails = flush(
        (&a, &b),
        &catcher,
        (OWNER, "80 % av budgeten: 200 Sälj – Acme AB", 1),
    )
    .await;
    assert_eq!(mails.len(), 1, "{:?}", catcher.mails().await);
    assert!(
        mails[0].contains("1 700,00 kr av 2 000,00 kr")
            || mails[0].contains("1\u{a0}700,00\u{a0}kr av 2\u{a0}000,00\u{a0}kr"),
        "{}",
        mails[0]
    );
    assert!(
        mails[0].contains(&format!("{URL}/costs?year=2026&month=11")),
        "{}",
        mails[0]
    );

    // The page shows the budget against the month, what remains and the state.
    let page = w.get(&owner, "/costs?year=2026&month=11").await;
    assert!(page.body.contains("budget near"), "85 % is near the budget");

    // A December "now": November's 80 % is not raised again.
    let december = |day| {
        Stockholm
            .with_ymd_and_hms(2026, 12, day, 12, 0, 0)
            .unwrap()
            .timestamp()
    };
    assert_eq!(
        app::costs::budget::check(&w.t.db, december(2))
            .await
            .unwrap(),
        0
    );
    // A late November session, sent in December, passes 100 %: its own alert, once, while
    // November is still looked at (its first week), and not after.
    let s = session(
        "S-NOV2",
        1,
        "ABC123",
        "parking",
        "2026-11-12T08:00:00",
        "2026-11-12T10:00:00",
        40_000,
    );
    w.ingest("sessions", serde_json::json!({ "sessions": [s] }))
        .await;
    assert_eq!(
        app::costs::budget::check(&w.t.db, december(20))
            .await
            .unwrap(),
        0,
        "November is no longer looked at on 20 December"
    );
    assert_eq!(
        app::costs::budget::check(&w.t.db, december(7))
            .await
            .unwrap(),
        1
    );
    assert_eq!(app::costs::budget::check(&other, nov).await.unwrap(), 0);
}

#[tokio::test]
async fn the_budget_alert_arrives_once_at_80_per_cent_on_sqlite() {
    the_budget_alert_arrives_once_at_80_per_cent(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_budget_alert_arrives_once_at_80_per_cent_on_postgres() {
    the_budget_alert_arrives_once_at_80_per_cent(Backend::Postgres).await;
}

/// 120 notices delivered in one run (one timestamp): the list pages through every one of
/// them once, "older notices" after "older notices", as a person clicks.
async fn the_notices_page_through_every_notice_once(backend: Backend) {
    let w = world(backend).await;
    let owner = sign_in(&w.app, &w.t.db, OWNER).await;
    let company: uuid::Uuid = with_pool!(&w.t.db, |pool| {
        sqlx::query_scalar("SELECT id FROM companies")
            .fetch_one(pool)
            .await
            .unwrap()
    });
    let scope = app::scope::CompanyScope::for_tests(company);
    let raised: Vec<_> = (0..120)
        .map(|i| {
            let d = alerts::BudgetDetails {
                cost_center: None,
                month: 24_000 + i,
                threshold: 80,
                spent: 8_000,
                budget: 10_000,
            };
            (scope, alerts::for_budget(&d))
        })
        .collect();
    let mut tx = w.t.db.begin().await.unwrap();
    assert_eq!(
        app::alerts::store::raise(&mut tx, &raised, 1_800_000_000)
            .await
            .unwrap(),
        120
    );
    tx.commit().await.unwrap();
    alerts::deliver(&w.t.db, &key(), URL, 1_800_000_000)
        .await
        .unwrap();
    let mut seen = std::collections::BTreeSet::new();
    let mut path = "/api/notices?before=".to_owned();
    let mut pages = 0;
    loop {
        let res = w.get(&owner, &path).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let v: serde_json::Value = serde_json::from_str(&res.body).unwrap();
        assert_eq!(v["unread"], 120);
        for n in v["notices"].as_array().unwrap() {
            assert!(
                seen.insert(n["text"].as_str().unwrap().to_owned()),
                "shown twice: {n}"
            );
        }
        pages += 1;
        match v["older_href"].as_str() {
            Some(h) => path = h.replace("/notices?", "/api/notices?"),
            None => break,
        }
    }
    assert_eq!((seen.len(), pages), (120, 3));
}

#[tokio::test]
async fn the_notices_page_through_every_notice_once_on_sqlite() {
    the_notices_page_through_every_notice_once(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_notices_page_through_every_notice_once_on_postgres() {
    the_notices_page_through_every_notice_once(Backend::Postgres).await;
}
