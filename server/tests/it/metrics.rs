//! The metrics add up (issue 29): a known number of requests and events moves each counter by
//! exactly that much, the mail outbox's depth rises while SMTP is down and returns to zero
//! after, `/metrics` is served on its own listener only, and every request carries an id.
//!
//! The Prometheus recorder is global to the process. nextest (what `make test` runs) gives
//! every test a process of its own; the checks are still deltas, read before and after.

use std::{net::SocketAddr, sync::Arc};

use app::{companies::Role, db::Db};
use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{header, Request, StatusCode},
    Router,
};
use uuid::Uuid;

use crate::common::{self, send};

const INGEST_SECRET: &str = "the metrics test's ingestion secret 32+";

/// The value of a series in Prometheus' text format: the sum over every series of `name`
/// whose labels include all of `labels` (0 when there is none).
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, v) = l.rsplit_once(' ')?;
            let (n, rest) = match series.split_once('{') {
                Some((n, rest)) => (n, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            (n == name
                && labels
                    .iter()
                    .all(|(k, val)| rest.split(',').any(|p| p == format!("{k}=\"{val}\""))))
            .then(|| v.parse::<f64>().ok())
            .flatten()
        })
        .sum()
}

/// What the metrics endpoint answers now, fetched over a real socket.
async fn scrape(addr: SocketAddr) -> String {
    let res = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    res.text().await.unwrap()
}

/// The metrics listener on a free loopback port, as `portal serve` starts it.
async fn metrics_endpoint(db: &Db) -> SocketAddr {
    let handle = server::observe::install();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server::observe::endpoint::serve(
        listener,
        handle,
        db.clone(),
        1_000,
        std::future::pending(),
    ));
    addr
}

/// The company "Mätbar AB" with its owner owner@matbar.se.
async fn company_with_owner(db: &Db, now: i64) -> Uuid {
    let company = Uuid::new_v4();
    common::insert_company(db, company, "Mätbar AB", "556000-4243", now).await;
    common::add_member(db, company, "owner@matbar.se", Role::Owner, now).await;
    company
}

/// Deltas of the counters a scrape shows, between two scrapes.
struct Delta<'a> {
    before: &'a str,
    after: &'a str,
}

impl Delta<'_> {
    fn of(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        value(self.after, name, labels) - value(self.before, name, labels)
    }
}

async fn counters_move_by_exactly_what_happened(db: &Db) {
    let addr = metrics_endpoint(db).await;
    let now = app::db::now_ts();
    let company = company_with_owner(db, now).await;
    let app = common::portal_on_db(db, &[("PORTAL_INGEST_KEYS", &format!("m={INGEST_SECRET}"))]);
    let before = scrape(addr).await;

    // Three health checks and one path nobody routes.
    for _ in 0..3 {
        assert_eq!(
            send(&app, common::get("/healthz", None)).await.status,
            StatusCode::OK
        );
    }
    let missing = send(&app, common::get("/no/such/page", None)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // One sign-in (a code sent, a session started), then the same address asks again at
    // once: refused by its cooldown (a send limit), 429.
    let session = common::sign_in(&app, db, "owner@matbar.se").await;
    let (pre, csrf) = common::pre_session(&app).await;
    let again = common::request_code(&app, &pre, &csrf, "owner@matbar.se").await;
    assert_eq!(
        again.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        again.body
    );
    // Signing out ends one signed-in session.
    common::submit(&app, &session, "/api/sign_out", &[]).await;

    // Ingestion: two new facilities; then one unchanged and one newer; then a batch refused
    // whole (a facility without a name) and one unsigned.
    let signer = common::Signer::new("m", INGEST_SECRET);
    let facility = |id: &str, version: i64, name: &str| {
        serde_json::json!({
            "id": id, "version": version, "name": name, "address": "Gatan 1", "city": "Stockholm",
            "kind": "camera_garage", "company_account": "yes", "has_chargers": false
        })
    };
    let batch = |records: Vec<serde_json::Value>| {
        serde_json::to_vec(&serde_json::json!({ "facilities": records })).unwrap()
    };
    for (records, expected) in [
        (
            vec![facility("M-1", 1, "Ett"), facility("M-2", 1, "Två")],
            StatusCode::OK,
        ),
        (
            vec![facility("M-1", 1, "Ett"), facility("M-2", 2, "Två nya")],
            StatusCode::OK,
        ),
        (
            vec![facility("M-3", 1, "")],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let req = signer.request("POST", "/ingest/v1/facilities", &batch(records));
        let res = send(&app, req).await;
        assert_eq!(res.status, expected, "{}", res.body);
    }
    let unsigned = Request::post("/ingest/v1/facilities")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(batch(vec![facility("M-4", 1, "Fyra")])))
        .unwrap();
    assert_eq!(send(&app, unsigned).await.status, StatusCode::UNAUTHORIZED);

    let after = scrape(addr).await;
    let d = Delta {
        before: &before,
        after: &after,
    };
    let http = app::metrics::HTTP_REQUESTS;
    assert_eq!(
        d.of(
            http,
            &[("route", "/healthz"), ("method", "GET"), ("status", "2xx")]
        ),
        3.0
    );
    assert_eq!(
        d.of(http, &[("route", "unmatched"), ("status", "4xx")]),
        1.0
    );
    assert_eq!(
        d.of(http, &[("route", "/api/request_code"), ("status", "4xx")]),
        1.0,
        "the refused code request"
    );
    assert_eq!(
        d.of(http, &[("route", "/ingest/v1/facilities")]),
        4.0,
        "four batches"
    );
    assert_eq!(d.of(app::metrics::SIGNIN_CODES_SENT, &[]), 1.0);
    assert_eq!(
        d.of(app::metrics::SIGNIN_REFUSED, &[("limit", "send")]),
        1.0
    );
    assert_eq!(
        d.of(app::metrics::RATE_LIMITED, &[("limit", "signin_send")]),
        1.0
    );
    assert_eq!(d.of(app::metrics::SESSIONS_STARTED, &[]), 1.0);
    assert_eq!(
        d.of(app::metrics::SESSIONS_ENDED, &[("reason", "signed_out")]),
        1.0
    );
    let records = app::metrics::INGEST_RECORDS;
    let fac = ("resource", "facilities");
    assert_eq!(d.of(records, &[fac, ("outcome", "inserted")]), 2.0);
    assert_eq!(d.of(records, &[fac, ("outcome", "unchanged")]), 1.0);
    assert_eq!(d.of(records, &[fac, ("outcome", "updated")]), 1.0);
    assert_eq!(d.of(records, &[fac, ("outcome", "outdated")]), 0.0);
    let refused = app::metrics::INGEST_BATCHES_REFUSED;
    assert_eq!(d.of(refused, &[fac, ("reason", "invalid")]), 1.0);
    assert_eq!(d.of(refused, &[fac, ("reason", "unsigned")]), 1.0);
    assert_eq!(
        d.of(
            &format!("{}_count", app::metrics::INGEST_BATCH_DURATION),
            &[fac]
        ),
        2.0,
        "two batches stored"
    );
    // What is the same in every scrape.
    assert_eq!(
        value(
            &after,
            app::metrics::BUILD_INFO,
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );
    assert!(value(&after, app::metrics::DB_POOL_MAX, &[]) >= 1.0);
    // Every write above opened a transaction, and its wait was timed.
    let begun = |text: &str| value(text, "portal_db_begin_duration_seconds_count", &[]);
    assert!(begun(&after) > begun(&before), "transactions timed");
    assert_eq!(value(&after, app::metrics::READY, &[]), 1.0);
    assert_eq!(value(&after, app::metrics::SEND_BUDGET, &[]), 1_000.0);
    assert!(after.contains("# HELP portal_http_requests_total"));
    // No label carries who: the address, the company or a plate.
    for secret in ["owner@matbar.se", &company.to_string(), "Mätbar"] {
        assert!(!after.contains(secret), "{secret} in the metrics");
    }
}

/// SMTP goes down with a sign-in code queued: the outbox's depth says 1 and its delivery is
/// counted as retried; once a mailer works again the code goes out, counted as sent, and the
/// depth is back to 0.
async fn the_mail_outbox_depth_rises_while_smtp_is_down_and_falls_after(db: &Db) {
    let addr = metrics_endpoint(db).await;
    let now = app::db::now_ts();
    company_with_owner(db, now).await;
    let config = Arc::new(app::config::Config::from_vars(&Default::default()).unwrap());
    let key = app::crypto::SecretKey::new(*b"test key, 32 bytes or more......").unwrap();
    // Nothing listens on port 9 of loopback: every connection is refused, as with SMTP down.
    let down = app::mailer::Mailer::smtp("smtp://127.0.0.1:9", "portal@example.se").unwrap();
    let broken = server::http::app_state(db.clone(), config.clone(), key.clone(), down);
    let working = server::http::app_state(db.clone(), config, key, app::mailer::Mailer::dev());

    let before = scrape(addr).await;
    let depth = |text: &str| value(text, app::metrics::OUTBOX_DEPTH, &[("outbox", "mail")]);
    assert_eq!(depth(&before), 0.0);
    let email = app::companies::Email::parse("owner@matbar.se").unwrap();
    assert!(app::auth::service::issue_code_if_eligible(
        db,
        &broken.key,
        &email,
        broken.limits,
        app::i18n::Lang::Sv,
        now
    )
    .await
    .unwrap());
    assert_eq!(depth(&scrape(addr).await), 1.0, "queued");
    assert_eq!(server::jobs::mail::send_due(&broken).await, 1);
    let down_scrape = scrape(addr).await;
    assert_eq!(depth(&down_scrape), 1.0, "still waiting while SMTP is down");
    let d = Delta {
        before: &before,
        after: &down_scrape,
    };
    let deliveries = app::metrics::OUTBOX_DELIVERIES;
    assert_eq!(
        d.of(deliveries, &[("outbox", "mail"), ("outcome", "retried")]),
        1.0
    );
    assert_eq!(
        d.of(deliveries, &[("outbox", "mail"), ("outcome", "sent")]),
        0.0
    );

    // SMTP is back and the retry's time has come (its backoff passed: moved to now here
    // rather than waited for): the next round of a working instance sends it.
    app::with_pool!(db, |pool| {
        sqlx::query("UPDATE outbox SET next_attempt_at = $1 WHERE status = 'pending'")
            .bind(app::db::now_ts())
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
            .unwrap()
    });
    assert_eq!(server::jobs::mail::send_due(&working).await, 1);
    match working.mailer.as_ref() {
        app::mailer::Mailer::Dev(mailbox) => {
            assert_eq!(mailbox.messages().len(), 1, "the code went out");
        }
        other => panic!("{other:?}"),
    }
    let after = scrape(addr).await;
    assert_eq!(depth(&after), 0.0, "delivered");
    let d = Delta {
        before: &down_scrape,
        after: &after,
    };
    assert_eq!(
        d.of(deliveries, &[("outbox", "mail"), ("outcome", "sent")]),
        1.0
    );
    assert_eq!(
        value(
            &after,
            app::metrics::OUTBOX_OLDEST_DUE,
            &[("outbox", "mail")]
        ),
        0.0
    );
}

/// `/metrics` is not on the public port: its router answers it like any unknown path.
#[tokio::test]
async fn the_public_port_has_no_metrics() {
    let t = app::testing::TestDb::fresh(app::db::Backend::Sqlite).await;
    server::observe::install();
    let app = common::portal_on_db(&t.db, &[]);
    let res = send(&app, common::get("/metrics", None)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(!res.body.contains("portal_"), "{}", res.body);
}

/// Every answer carries an `x-request-id`: a new one for each request, and the one a trusted
/// proxy sent only when the peer is that proxy.
#[tokio::test]
async fn every_request_has_an_id_and_only_a_trusted_proxy_may_give_it() {
    let t = app::testing::TestDb::fresh(app::db::Backend::Sqlite).await;
    // A request from `peer`, as `into_make_service_with_connect_info` hands it on.
    let id_of = |app: Router, peer: &'static str, given: Option<&'static str>| async move {
        let mut req = Request::get("/healthz");
        if let Some(id) = given {
            req = req.header("x-request-id", id);
        }
        let mut req = req.body(Body::empty()).unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        let res = send(&app, req).await;
        res.headers
            .get("x-request-id")
            .expect("an id on every answer")
            .to_str()
            .unwrap()
            .to_owned()
    };
    // From a client: its id is ignored; each request gets its own.
    let client = common::portal_on_db(&t.db, &[]);
    let peer = "198.51.100.7:4000";
    let a = id_of(client.clone(), peer, Some("abc-123")).await;
    let b = id_of(client.clone(), peer, None).await;
    assert_ne!(a, "abc-123");
    assert_ne!(a, b);
    assert_eq!(a.len(), 32);
    // From the load balancer: its id is kept, unless it is not a plain token.
    let proxied = common::portal_on_db(&t.db, &[("PORTAL_TRUSTED_PROXIES", "10.0.0.0/8")]);
    let lb = "10.0.0.2:4000";
    assert_eq!(
        id_of(proxied.clone(), lb, Some("lb-7f3a.42")).await,
        "lb-7f3a.42"
    );
    let planted = id_of(proxied.clone(), lb, Some("x\" injected=\"1")).await;
    assert_eq!(planted.len(), 32, "{planted}");
    // The same id from a client that is not the proxy is not kept.
    assert_ne!(id_of(proxied, peer, Some("lb-7f3a.42")).await, "lb-7f3a.42");
}

app::on_both_databases!(
    counters_move_by_exactly_what_happened,
    the_mail_outbox_depth_rises_while_smtp_is_down_and_falls_after,
);

/// Everything the log shows, at every level of every crate, kept for the test to read.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// No log line at any level holds a one-time code, a session or CSRF token, an invitation's
/// token, an ingestion secret or signature, or a visitor's name, while a sign-in, an
/// invitation (sent and opened), an ingestion batch and a guest registration run through the
/// real router and the mail job — with every crate logging at TRACE, in the JSON format a
/// deployment uses.
#[tokio::test]
async fn no_log_line_holds_a_secret_or_a_visitors_name() {
    let log = Captured::default();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(log.clone())
            .json()
            .finish(),
    )
    .unwrap();
    let t = app::testing::TestDb::fresh(app::db::Backend::Sqlite).await;
    let db = &t.db;
    let now = app::db::now_ts();
    let company = Uuid::new_v4();
    common::insert_company(db, company, "Loggfri AB", "556000-4243", now).await;
    common::add_member(db, company, "owner@loggfri.se", Role::Owner, now).await;
    let vars: std::collections::HashMap<String, String> = [(
        "PORTAL_INGEST_KEYS".to_string(),
        format!("logkey={INGEST_SECRET}"),
    )]
    .into();
    let config = Arc::new(app::config::Config::from_vars(&vars).unwrap());
    let key = app::crypto::SecretKey::new(*b"test key, 32 bytes or more......").unwrap();
    let state = server::http::app_state(db.clone(), config, key, app::mailer::Mailer::dev());
    let app = server::http::router(state.clone());
    let mut secrets: Vec<(&str, String)> = vec![("the ingestion secret", INGEST_SECRET.into())];

    // Sign-in, the way a person does it; the code mail goes out through the mail job.
    let (pre, csrf) = common::pre_session(&app).await;
    let res = common::request_code(&app, &pre, &csrf, "owner@loggfri.se").await;
    assert_eq!(res.status, StatusCode::OK);
    let code = common::wait_for_code(db, "owner@loggfri.se").await;
    server::jobs::mail::send_due(&state).await;
    let req = common::post("/api/verify_code", &pre)
        .body(common::form(&[("code", &code), ("csrf_token", &csrf)]))
        .unwrap();
    let res = send(&app, req).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let session = res.new_session().unwrap();
    let owner_csrf = common::session_view(&app, &session).await.csrf;
    secrets.extend([
        ("the code", code.clone()),
        ("the code without its space", code.replace(' ', "")),
        ("the pre-session token", pre),
        ("the pre-session's CSRF token", csrf),
        ("the session token", session.clone()),
        ("the session's CSRF token", owner_csrf),
    ]);

    // An invitation: sent, and its link opened by the invitee.
    common::submit(
        &app,
        &session,
        "/api/invite_member",
        &[
            ("email", "ny@loggfri.se"),
            ("role", "member"),
            ("cost_center", ""),
        ],
    )
    .await;
    let text: String = app::with_pool!(db, |pool| {
        sqlx::query_scalar("SELECT text_body FROM outbox WHERE to_email = 'ny@loggfri.se'")
            .fetch_one(pool)
            .await
            .unwrap()
    });
    let at = text.find("/invite/").unwrap() + 8;
    let token = text[at..at + 64].to_owned();
    server::jobs::mail::send_due(&state).await;
    let opened = send(&app, common::get(&format!("/invite/{token}"), None)).await;
    assert_eq!(opened.status, StatusCode::OK);
    secrets.push(("the invitation's token", token));

    // An ingestion batch: a facility where the account works.
    let signer = common::Signer::new("logkey", INGEST_SECRET);
    let body = serde_json::to_vec(&serde_json::json!({"facilities": [{
        "id": "LOG-1", "version": 1, "name": "P-hus Logg", "address": "Gatan 1", "city": "Stockholm",
        "kind": "camera_garage", "company_account": "yes", "has_chargers": false
    }]}))
    .unwrap();
    let req = signer.request("POST", "/ingest/v1/facilities", &body);
    let signature = req.headers()[app::auth::ingest::SIGNATURE_HEADER]
        .to_str()
        .unwrap()
        .to_owned();
    let res = send(&app, req).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    secrets.push(("the batch's signature", signature));

    // A guest registered at the front desk, by name.
    let facility: Uuid = app::with_pool!(db, |pool| {
        sqlx::query_scalar("SELECT id FROM facilities")
            .fetch_one(pool)
            .await
            .unwrap()
    });
    let visitor = "Veronika Besöksdotter";
    common::submit(
        &app,
        &session,
        "/api/register_guest",
        &[
            ("plate", "LOG 123"),
            ("visitor_name", visitor),
            ("host", ""),
            ("facility", &facility.to_string()),
            ("until", "today"),
        ],
    )
    .await;
    let today = send(&app, common::get("/frontdesk", Some(&session))).await;
    assert!(today.body.contains(visitor), "the page shows the visitor");
    secrets.push(("the visitor's name", visitor.into()));
    secrets.push(("the visitor's name in JSON", "Bes\\u00f6ksdotter".into()));

    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    // The capture works: the requests above logged at every level down to TRACE, inside
    // their request spans.
    assert!(text.lines().count() > 50, "{text}");
    assert!(text.contains("\"route\":\"/api/register_guest\""), "{text}");
    assert!(text.contains("\"route\":\"/invite/{token}\""), "{text}");
    // The work a request hands to a task of its own (the code mail, issued after the answer)
    // logs in the request's span: its statements carry the request's id and route.
    let queued = text
        .lines()
        .find(|l| l.contains("INSERT INTO login_codes"))
        .expect("the code's statement is logged");
    assert!(
        queued.contains("\"route\":\"/api/request_code\""),
        "{queued}"
    );
    for (what, secret) in &secrets {
        if let Some(line) = text.lines().find(|l| l.contains(secret.as_str())) {
            panic!("{what} is in the log: {line}");
        }
    }
}

/// A failure customer service can trace: the page that could not load says "quote reference
/// <id>", the id is the answer's `x-request-id`, and the error's log line carries it.
#[tokio::test]
async fn an_internal_error_shows_the_reference_its_log_line_carries() {
    let log = Captured::default();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::WARN)
            .with_writer(log.clone())
            .json()
            .finish(),
    )
    .unwrap();
    let t = app::testing::TestDb::fresh(app::db::Backend::Sqlite).await;
    let db = &t.db;
    company_with_owner(db, app::db::now_ts()).await;
    let app = common::portal_on_db(db, &[]);
    let session = common::sign_in(&app, db, "owner@matbar.se").await;
    // The invoices' table is gone (a migration gone wrong): the page's query fails.
    app::with_pool!(db, |pool| {
        sqlx::query("ALTER TABLE invoices RENAME TO invoices_gone")
            .execute(pool)
            .await
            .unwrap();
    });
    let res = send(&app, common::get("/invoices", Some(&session))).await;
    let id = res.headers["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 32);
    assert!(
        res.body.contains(&format!("uppge referens {id}.")),
        "the page quotes the request id {id}: {}",
        res.body
    );
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("database error"))
        .unwrap_or_else(|| panic!("the failure is logged: {text}"));
    assert!(
        line.contains(&id),
        "the log line carries the reference: {line}"
    );
}
