//! Read replicas (`app::replicas`) against a real streaming-replication hot standby: a
//! throwaway primary and a `pg_basebackup -R` copy of it on their own ports
//! (`scripts/replica-pg.sh`; never the shared server on 5432).
//!
//! One test, in the order a deployment meets them: reads go to the replica; a person's read
//! right after their own write sees it; a replica further behind than the bound is skipped; a
//! replica that crashes under load costs no failed request; and it takes reads again once it
//! is back. The replica's staleness is made on purpose (`pg_wal_replay_pause()`), so what the
//! answers contain says which database served them.

use std::{process::Command, sync::Arc, time::Duration};

use app::{auth::SESSION_COOKIE, companies::Role, db::Db, replicas::COOKIE};
use axum::{
    body::Body,
    http::{header, Request, StatusCode},
    Router,
};
use uuid::Uuid;

use crate::common::{self, send};

const PORT: u16 = 55436;
/// A replica this far behind is still used: long enough that the steps which rely on a paused
/// replica being used finish well inside it, short enough to wait out once.
const MAX_LAG_MS: u64 = 4_000;

struct Pair;

impl Pair {
    fn script(arg: &str) {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let out = Command::new(format!("{root}/scripts/replica-pg.sh"))
            .arg(arg)
            .current_dir(root)
            .env("REPLICA_PG_PORT", PORT.to_string())
            .output()
            .expect("run scripts/replica-pg.sh");
        assert!(
            out.status.success(),
            "scripts/replica-pg.sh {arg}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn start() -> Pair {
        Pair::script("start");
        Pair
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        Pair::script("stop");
    }
}

fn url(port: u16, db: &str) -> String {
    format!("postgres://postgres@127.0.0.1:{port}/{db}")
}

async fn sql(db: &Db, text: &str) {
    let Db::Postgres(pool) = db else {
        unreachable!()
    };
    sqlx::raw_sql(sqlx::AssertSqlSafe(text.to_owned()))
        .execute(pool)
        .await
        .unwrap_or_else(|e| panic!("{text}: {e}"));
}

/// A GET of the JSON API as the page's script sends it, with the replica cookie when given.
fn api_get(path: &str, session: &str, wal: Option<&str>) -> Request<Body> {
    let mut cookie = format!("{SESSION_COOKIE}={session}");
    if let Some(w) = wal {
        cookie.push_str(&format!("; {COOKIE}={w}"));
    }
    Request::get(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

/// The filter choices of the history (cost centers and facilities), as JSON text.
async fn choices(app: &Router, session: &str, wal: Option<&str>) -> String {
    let res = send(app, api_get("/api/history_options?member=", session, wal)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.body
}

/// Runs `read` (one request) and checks that the replica, not the primary, served its read.
async fn on_replica<T>(state: &app::state::AppState, read: impl AsyncFnOnce() -> T) -> T {
    let (replica, primary) = state.reads.served();
    let out = read().await;
    assert_eq!(
        state.reads.served(),
        (replica + 1, primary),
        "served by the replica"
    );
    out
}

/// Waits (bounded) until `done` holds, checking the replicas before each look.
async fn eventually(state: &app::state::AppState, what: &str, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..200 {
        state.reads.check_now().await;
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not within 20 s: {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_go_to_the_replica_and_a_person_sees_their_own_writes() {
    let _pair = Pair::start();
    let admin = Db::connect(&url(PORT, "postgres")).await.unwrap();
    sql(&admin, "CREATE DATABASE portal").await;
    let db = Db::connect(&url(PORT, "portal")).await.unwrap();
    db.migrate().await.unwrap();
    let standby = Db::connect(&url(PORT + 1, "portal")).await.unwrap();

    let now = app::db::now_ts();
    let company = Uuid::new_v4();
    common::insert_company(&db, company, "Replikbolaget AB", "556016-0680", now).await;
    common::add_member(&db, company, "agnes@replik.example", Role::Owner, now).await;
    let state = server::http::with_replicas(common::state_on_db(
        &db,
        &[
            ("DATABASE_URL", &url(PORT, "portal")),
            ("DATABASE_READ_URLS", &url(PORT + 1, "portal")),
            ("PORTAL_READ_MAX_LAG_MS", &MAX_LAG_MS.to_string()),
            (
                "PORTAL_SECRET_KEY",
                "replica test key, 32 characters or more",
            ),
            ("PORTAL_PUBLIC_URL", "https://portal.example"),
        ],
    ))
    .unwrap();
    let app = server::http::router(state.clone());
    let session = common::sign_in(&app, &db, "agnes@replik.example").await;
    eventually(&state, "the standby takes reads", async || {
        state.reads.usable_replicas() == 1
    })
    .await;

    // 1. Reads go to the replica. With its replay paused, a facility added on the primary is
    // not in the answer while the replica is within the lag bound — so the replica answered.
    sql(&standby, "SELECT pg_wal_replay_pause()").await;
    sql(
        &db,
        "INSERT INTO facilities (id, external_ref, name, address, city, kind, company_account, search_text) \
         VALUES (gen_random_uuid(), 'REPL-1', 'Replikgaraget', 'Väntvägen 1', 'Stockholm', 'surface', 'yes', 'replikgaraget')",
    )
    .await;
    let answer = on_replica(&state, async || choices(&app, &session, None).await).await;
    assert!(!answer.contains("Replikgaraget"));

    // 2. The same person's write, then their read: the answer has the write (the paused
    // replica has not replayed it, so the primary answered), and the cookie says so.
    let res = common::submit(
        &app,
        &session,
        "/api/create_cost_center",
        &[("code", "77"), ("name", "Replikering")],
    )
    .await;
    let wal = res
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(COOKIE)?.strip_prefix('='))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .expect("a write hands back the primary's WAL position");
    let (replica, primary) = state.reads.served();
    let after_write = choices(&app, &session, Some(&wal)).await;
    assert!(after_write.contains("Replikering"), "{after_write}");
    assert_eq!(
        state.reads.served(),
        (replica, primary + 1),
        "served by the primary"
    );
    // Without the cookie (another person), the replica still answers, a moment behind.
    assert!(!choices(&app, &session, None).await.contains("Replikering"));

    // 3. Behind by more than the bound: skipped, the primary answers.
    eventually(
        &state,
        "a replica past the lag bound is skipped",
        async || {
            choices(&app, &session, None)
                .await
                .contains("Replikgaraget")
        },
    )
    .await;
    assert_eq!(state.reads.usable_replicas(), 0);

    // Replay again: the replica catches up and takes reads, the cookie's write included.
    sql(&standby, "SELECT pg_wal_replay_resume()").await;
    eventually(
        &state,
        "the caught-up standby takes reads again",
        async || state.reads.usable_replicas() == 1,
    )
    .await;
    let caught_up = on_replica(&state, async || choices(&app, &session, Some(&wal)).await).await;
    assert!(caught_up.contains("Replikering") && caught_up.contains("Replikgaraget"));

    // 4. The standby crashes in the middle of a load of reads: not one request fails.
    let app = Arc::new(app);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut readers = Vec::new();
    for _ in 0..4 {
        let (app, session, stop) = (app.clone(), session.clone(), stop.clone());
        readers.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            let totals = format!(
                "/api/history_totals?{}",
                app::history::HistoryQuery::default().encoded()
            );
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for path in [
                    "/api/history_options?member=",
                    totals.as_str(),
                    "/api/costs?query[year]=&query[month]=",
                    "/api/facilities?query[q]=garage&query[city]=&query[kind]=",
                ] {
                    let res = send(&app, api_get(path, &session, None)).await;
                    answers.push((path.to_owned(), res.status, res.body));
                }
            }
            answers
        }));
    }
    let before = state.reads.served();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mid = state.reads.served();
    assert!(
        mid.0 > before.0,
        "the load reached the replica before the crash"
    );
    tokio::task::spawn_blocking(|| Pair::script("stop-standby"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut total = 0;
    for r in readers {
        for (path, status, body) in r.await.unwrap() {
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            total += 1;
        }
    }
    let after = state.reads.served();
    assert!(after.1 > mid.1, "the primary took over");
    assert_eq!(state.reads.usable_replicas(), 0);
    eprintln!(
        "{total} reads under load, none failed; replica {before:?} -> {after:?} (replica, primary)"
    );

    // 5. Back: the standby takes reads again without a restart of the portal.
    tokio::task::spawn_blocking(|| Pair::script("start-standby"))
        .await
        .unwrap();
    eventually(
        &state,
        "the restarted standby takes reads again",
        async || state.reads.usable_replicas() == 1,
    )
    .await;
    let res = on_replica(&state, async || {
        let path = "/api/facilities?query[q]=replik&query[city]=&query[kind]=";
        send(&app, api_get(path, &session, None)).await
    })
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("Replikgaraget"), "{}", res.body);
    standby.close().await;
    db.close().await;
    admin.close().await;
}
