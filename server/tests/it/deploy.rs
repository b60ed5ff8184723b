//! Issue 30: running it as an operator does. The schema check that keeps a deployed instance
//! from starting on a database its release does not match, `portal migrate` as the release
//! step, the SQLite backup taken while writes go on (the restore drill), and the drain that
//! takes an instance out of the load balancer before it stops.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc,
    },
    time::Duration,
};

use app::{
    config::Config,
    db::{Backend, Db},
    testing::TestDb,
    with_pool,
};
use axum::http::StatusCode;
use server::{
    cli::{self, Command},
    demo::{generate, DemoArgs},
};
use uuid::Uuid;

use crate::common::{get, portal_on_db, send};

const KEY: &str = "deploy tests only: a shared key, not a secret";

/// Per company: how many, and how much (öre).
type Totals = (Uuid, i64, i64);

fn deployed(url: &str) -> Config {
    let vars: HashMap<String, String> = [
        ("DATABASE_URL", url),
        ("PORTAL_SECRET_KEY", KEY),
        ("PORTAL_LISTEN", "127.0.0.1:0"),
        ("SMTP_URL", "smtp://127.0.0.1:9"),
        ("PORTAL_OPERATOR_PERMITS_URL", "http://127.0.0.1:9/permits"),
        (
            "PORTAL_OPERATOR_POLICIES_URL",
            "http://127.0.0.1:9/policies",
        ),
        (
            "PORTAL_OPERATOR_PERMITS_KEY",
            "deploy=deploy tests only and not a secret 32+",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let c = Config::from_vars(&vars).unwrap();
    assert!(!c.local_run, "PostgreSQL is never a local run");
    c
}

async fn exec(db: &Db, sql: &str) {
    with_pool!(db, |pool| {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(pool)
            .await
            .map(|_| ())
            .unwrap()
    });
}

/// A deployed `portal serve` neither migrates nor starts on a schema that is not its
/// release's: an empty database (every migration pending) and a database a newer release
/// migrated are both refused with the way out named; `portal migrate` is the release step that
/// makes it right, and running it twice changes nothing.
#[tokio::test]
async fn a_deployed_instance_starts_only_on_its_own_schema() {
    let t = TestDb::fresh(Backend::Postgres).await;
    // An empty database, as a new deployment has it.
    exec(&t.db, "DROP SCHEMA public CASCADE").await;
    exec(&t.db, "CREATE SCHEMA public").await;
    let config = deployed(&t.url());

    let refused = tokio::time::timeout(
        Duration::from_secs(30),
        cli::run(Command::Serve, config.clone()),
    )
    .await
    .expect("a refusal, not a server")
    .unwrap_err()
    .to_string();
    assert!(
        refused.contains("pending") && refused.contains("portal migrate"),
        "{refused}"
    );
    let schema = t.db.schema().await.unwrap();
    assert!(!schema.pending.is_empty(), "serve did not migrate");
    assert_eq!(
        schema.pending.len(),
        app::db::POSTGRES_MIGRATIONS.iter().count()
    );

    let migrate = |rebuild_rollups| Command::Migrate(cli::MigrateArgs { rebuild_rollups });
    cli::run(migrate(false), config.clone()).await.unwrap();
    let schema = t.db.schema().await.unwrap();
    assert_eq!(schema.refusal(), None, "{schema:?}");
    assert!(t.db.is_ready().await);
    // Again: nothing pending, nothing done, no error; and with the rollups built again.
    cli::run(migrate(false), config.clone()).await.unwrap();
    cli::run(migrate(true), config.clone()).await.unwrap();

    // A newer release migrated (a version this binary does not know): this one refuses, and
    // so does its `migrate`, rather than running an old binary's idea of the schema.
    exec(
        &t.db,
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99991231000000, 'from the future', TRUE, '\\x00', 0)",
    )
    .await;
    for command in [Command::Serve, migrate(false)] {
        let refused =
            tokio::time::timeout(Duration::from_secs(30), cli::run(command, config.clone()))
                .await
                .expect("a refusal, not a server")
                .unwrap_err()
                .to_string();
        assert!(
            refused.contains("newer than this binary") && refused.contains("99991231000000"),
            "{refused}"
        );
    }
    // /readyz stays 200 for an instance already running: its own migrations are all there
    // (the expand/contract rule keeps old instances serving while a new release migrates).
    assert!(t.db.is_ready().await);
}

/// The restore drill on SQLite: `portal backup` while a writer keeps ingesting sessions. The
/// copy is one consistent moment: it holds exactly the first m writer batches (no torn batch,
/// no gap), its cost rollups agree with its sessions, and per company the sessions, the month's
/// costs and the invoices equal the original's restricted to those batches. An instance starts
/// on the restored copy.
#[tokio::test]
async fn a_backup_taken_under_write_load_restores_a_consistent_moment() {
    let t = TestDb::fresh(Backend::Sqlite).await;
    generate(
        &t.db,
        &DemoArgs {
            members: 12,
            sessions: 3_000,
            until: chrono::NaiveDate::from_ymd_opt(2026, 11, 20),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // The writer's sessions: batches of 40 alternating between two companies, in October
    // 2026 (fixed; the test never reads today's date), batch k's sessions cost k kronor each.
    let (companies, facility): (Vec<(Uuid, Uuid)>, Uuid) = with_pool!(&t.db, |pool| {
        let c: Vec<(Uuid, Uuid)> = sqlx::query_as(
            "SELECT company_id, user_id FROM memberships ORDER BY company_id, user_id",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        let f: Uuid = sqlx::query_scalar("SELECT id FROM facilities ORDER BY id LIMIT 1")
            .fetch_one(pool)
            .await
            .unwrap();
        (c, f)
    });
    let mut writers: Vec<(Uuid, Uuid)> = Vec::new();
    for (company, user) in companies {
        if writers.iter().all(|(c, _)| *c != company) {
            writers.push((company, user));
        }
    }
    assert!(writers.len() >= 2, "the demo has several companies");
    let written = Arc::new(AtomicI64::new(0));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (db, written, stop) = (t.db.clone(), written.clone(), stop.clone());
        let writers = writers.clone();
        tokio::spawn(async move {
            let october = 1_790_812_800; // 2026-10-01T00:00:00Z
            let mut k = 0i64;
            while !stop.load(Ordering::SeqCst) && k < 400 {
                k += 1;
                let (company, user) = writers[(k as usize) % 2];
                let mut batch: Vec<_> = (0..40)
                    .map(|i| app::history::store::NewSession {
                        id: Uuid::nil(),
                        company_id: company,
                        user_id: Some(user),
                        plate: "DRL 001".into(),
                        facility_id: facility,
                        kind: app::history::SessionKind::Parking,
                        started_at: october + k * 3_600 + i,
                        ended_at: Some(october + k * 3_600 + i + 600),
                        energy_wh: None,
                        amount_ore: 100 * k,
                        vat_ore: 20 * k,
                        cost_center_id: None,
                        source: "drill".into(),
                        external_ref: format!("DRILL-{k}-{i}"),
                        version: 1,
                        policy_flags: 0,
                    })
                    .collect();
                app::testing::insert_sessions(&db, &mut batch)
                    .await
                    .unwrap();
                written.store(k, Ordering::SeqCst);
            }
        })
    };
    while written.load(Ordering::SeqCst) < 5 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let before = written.load(Ordering::SeqCst);
    let path = std::env::temp_dir().join(format!("portal-backup-{}.db", Uuid::new_v4().simple()));
    let bytes = app::db::backup(&t.db, &path).await.unwrap();
    let after = written.load(Ordering::SeqCst);
    // Writes went on after the copy: the drill is under load, not beside it.
    while written.load(Ordering::SeqCst) < after + 3 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    assert!(bytes > 0);
    // A second backup to the same name is refused, the first left whole.
    assert!(app::db::backup(&t.db, &path)
        .await
        .unwrap_err()
        .contains("exists"));

    // Restore: a fresh database from the copy.
    let restored = Db::connect(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    let batches: Vec<i64> = with_pool!(&restored, |pool| {
        sqlx::query_scalar(
        "SELECT DISTINCT CAST(substr(external_ref, 7, instr(substr(external_ref, 7), '-') - 1) AS INTEGER) AS k
         FROM sessions WHERE source = 'drill' ORDER BY k"
    )
    .fetch_all(pool)
    .await
    .unwrap()
    });
    let m = batches.len() as i64;
    assert_eq!(
        batches,
        (1..=m).collect::<Vec<_>>(),
        "a prefix of the batches"
    );
    assert!(
        (before..=after).contains(&m),
        "the copy's moment lies within the backup call: {before} <= {m} <= {after}"
    );
    let torn: i64 = with_pool!(&restored, |pool| {
        sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT substr(external_ref, 1, instr(substr(external_ref, 7), '-') + 5) AS b, COUNT(*) AS n
         FROM sessions WHERE source = 'drill' GROUP BY b HAVING n <> 40)"
    )
    .fetch_one(pool)
    .await
    .unwrap()
    });
    assert_eq!(torn, 0, "no batch is half in the copy");

    // Per company: history totals, a month's costs (the rollups), invoices.
    let totals = |db: Db, upto: i64| async move {
        with_pool!(&db, |pool| {
            let history: Vec<(Uuid, i64, i64)> = sqlx::query_as(
                "SELECT company_id, COUNT(*), SUM(amount_ore) FROM sessions
                 WHERE source <> 'drill' OR CAST(substr(external_ref, 7, instr(substr(external_ref, 7), '-') - 1) AS INTEGER) <= $1
                 GROUP BY company_id ORDER BY company_id",
            )
            .bind(upto)
            .fetch_all(pool)
            .await
            .unwrap();
            let invoices: Vec<(Uuid, i64, i64)> = sqlx::query_as(
                "SELECT company_id, COUNT(*), SUM(amount_ore) FROM invoices GROUP BY company_id ORDER BY company_id",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            (history, invoices)
        })
    };
    let october_costs = |db: Db| async move {
        with_pool!(&db, |pool| {
            sqlx::query_as::<_, (Uuid, i64, i64)>(
                "SELECT company_id, SUM(sessions), SUM(amount_ore) FROM session_months
                 WHERE month = 2026 * 12 + 9 GROUP BY company_id ORDER BY company_id",
            )
            .fetch_all(pool)
            .await
            .unwrap()
        })
    };
    let restored_costs = october_costs(restored.clone()).await;
    let (all_sessions, all_rollups): (Vec<Totals>, Vec<Totals>) = with_pool!(&restored, |pool| {
        let s = sqlx::query_as(
                "SELECT company_id, COUNT(*), SUM(amount_ore) FROM sessions GROUP BY company_id ORDER BY company_id",
            )
            .fetch_all(pool)
            .await
            .unwrap();
        let r = sqlx::query_as(
                "SELECT company_id, SUM(sessions), SUM(amount_ore) FROM session_months GROUP BY company_id ORDER BY company_id",
            )
            .fetch_all(pool)
            .await
            .unwrap();
        (s, r)
    });
    assert_eq!(
        all_rollups, all_sessions,
        "the copy's cost rollups are its sessions"
    );
    assert_eq!(
        totals(restored.clone(), i64::MAX).await,
        totals(t.db.clone(), m).await,
        "per company, the copy is the original as of batch {m}"
    );
    let original_costs = october_costs(t.db.clone()).await;
    let drill_after_m: HashMap<Uuid, (i64, i64)> = with_pool!(&t.db, |pool| sqlx::query_as::<_, (Uuid, i64, i64)>(
        "SELECT company_id, COUNT(*), SUM(amount_ore) FROM sessions
         WHERE source = 'drill' AND CAST(substr(external_ref, 7, instr(substr(external_ref, 7), '-') - 1) AS INTEGER) > $1
         GROUP BY company_id"
    )
    .bind(m)
    .fetch_all(pool)
    .await
    .unwrap())
    .into_iter()
    .map(|(c, n, a)| (c, (n, a)))
    .collect();
    let original_at_m: Vec<(Uuid, i64, i64)> = original_costs
        .into_iter()
        .map(|(c, n, a)| {
            let (dn, da) = drill_after_m.get(&c).copied().unwrap_or((0, 0));
            (c, n - dn, a - da)
        })
        .collect();
    assert_eq!(
        restored_costs, original_at_m,
        "October's costs as of batch {m}"
    );

    // An instance starts on the restored database and is ready.
    let app = portal_on_db(&restored, &[]);
    assert_eq!(
        send(&app, get("/readyz", None)).await.status,
        StatusCode::OK
    );
    restored.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// PostgreSQL is backed up with pg_dump: `portal backup` says so instead of copying nothing.
#[tokio::test]
async fn backup_on_postgres_points_to_pg_dump() {
    let t = TestDb::fresh(Backend::Postgres).await;
    let e = app::db::backup(&t.db, std::path::Path::new("/tmp/never-written.db"))
        .await
        .unwrap_err();
    assert!(e.contains("pg_dump"), "{e}");
}

fn instance(db: &Db, vars: &[(&str, &str)]) -> app::state::AppState {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let config = Arc::new(Config::from_vars(&vars).unwrap());
    let key = app::crypto::SecretKey::new(*b"test key, 32 bytes or more......").unwrap();
    server::http::app_state(db.clone(), config, key, app::mailer::Mailer::dev())
}

/// SIGTERM (here: the test's signal) takes the instance out of the balancer before it stops
/// listening: during the drain `/readyz` answers 503 while every other request is still
/// served; then new connections are refused and the server returns within its bounds.
#[tokio::test]
async fn a_stopping_instance_drains_before_it_stops_listening() {
    let t = TestDb::fresh(Backend::Sqlite).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let state = instance(
        &t.db,
        &[
            ("PORTAL_LISTEN", listen.as_str()),
            ("PORTAL_DRAIN_SECONDS", "2"),
            ("PORTAL_SHUTDOWN_TIMEOUT", "5"),
        ],
    );
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        server::http::serve_until(state, async move {
            let _ = stop_rx.await;
        })
        .await
        .map_err(|e| e.to_string())
    });
    let client = reqwest::Client::new();
    let url = |p: &str| format!("http://{listen}{p}");
    let mut up = false;
    for _ in 0..100 {
        if client
            .get(url("/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the instance became ready");

    let stopped_at = std::time::Instant::now();
    stop_tx.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ready = client.get(url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    assert!(ready.text().await.unwrap().contains("draining"));
    // Still serving what reaches it meanwhile: a page and the liveness check.
    assert_eq!(
        client.get(url("/healthz")).send().await.unwrap().status(),
        200
    );
    assert_eq!(
        client.get(url("/sign-in")).send().await.unwrap().status(),
        200
    );

    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops within drain + timeout")
        .unwrap()
        .unwrap();
    let took = stopped_at.elapsed();
    assert!(took >= Duration::from_secs(2), "it drained first: {took:?}");
    assert!(
        reqwest::Client::new()
            .get(url("/healthz"))
            .send()
            .await
            .is_err(),
        "no longer listening"
    );
}

/// A stopping instance hands back the mail it claimed and never attempted: the rows are due
/// again at once (not after their 60 s lease) for any instance. A claim that already passed
/// to another worker (a different lease) is left alone.
async fn stopping_hands_back_unsent_mail(db: &Db) {
    let now = app::db::now_ts();
    let mut tx = db.begin().await.unwrap();
    for i in 0..3 {
        let m = app::mailer::Message {
            to: format!("p{i}@example.se"),
            subject: "s".into(),
            text: "t".into(),
            html: "h".into(),
        };
        app::mail::store::enqueue(&mut tx, &m, "invitation", None, now - 10)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let state = instance(db, &[]);
    let (raise, stop) = server::jobs::Stop::new();
    raise.send(true).unwrap();
    assert_eq!(server::jobs::mail::send_due_until(&state, &stop).await, 0);
    let statuses = |db: Db| async move {
        with_pool!(&db, |pool| sqlx::query_as::<_, (String, Option<i64>)>(
            "SELECT status, lease_until FROM outbox ORDER BY to_email"
        )
        .fetch_all(pool)
        .await
        .unwrap())
    };
    assert_eq!(
        statuses(db.clone()).await,
        vec![("pending".to_string(), None); 3],
        "handed back"
    );
    let app::mailer::Mailer::Dev(mailbox) = state.mailer.as_ref() else {
        unreachable!("the test instance has the dev mailer")
    };
    assert!(mailbox.messages().is_empty(), "nothing was sent");

    // Claimed by another worker: a release naming a different claim changes nothing.
    let rows = app::mail::store::claim(db, now, 10).await.unwrap();
    assert_eq!(rows.len(), 3);
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    assert_eq!(
        app::mail::store::release(db, &ids, now - 30).await.unwrap(),
        0
    );
    assert!(statuses(db.clone())
        .await
        .iter()
        .all(|(s, l)| s == "sending" && *l == Some(now + app::mail::store::LEASE_SECONDS)));
    // Not stopping: the mail goes out.
    with_pool!(db, |pool| {
        sqlx::query("UPDATE outbox SET status = 'pending', lease_until = NULL")
            .execute(pool)
            .await
            .map(|_| ())
            .unwrap()
    });
    assert_eq!(server::jobs::mail::send_due(&state).await, 3);
    assert_eq!(mailbox.messages().len(), 3);
}

app::on_both_databases!(stopping_hands_back_unsent_mail);
