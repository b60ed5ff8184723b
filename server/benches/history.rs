//! Timing of the history server functions on the benchmark databases (not a test:
//! `make bench-history`, after `make bench-demo`). For a month of the large demo company
//! (5,000 members, 2,000,000 sessions): the first page with its totals, and a page deep into
//! the month through the keyset, each through the real router with a real session cookie,
//! and the same SQL run directly against the database in the same run. Prints p50/p95 and
//! the ratio; the figures go to docs/benchmarks.md.

use std::{collections::HashMap, sync::Arc, time::Instant};

use app::{
    auth::{TenantCtx, SESSION_COOKIE},
    config::Config,
    crypto::SecretKey,
    db::Db,
    history::{filter, store, HistoryQuery},
    mailer::Mailer,
    with_pool,
};
use axum::{
    body::{to_bytes, Body},
    http::{header, Request},
    Router,
};
use tower::ServiceExt;
use uuid::Uuid;

use server::http::{app_state, router};

const RUNS: usize = 60;

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn p50_p95(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(|a, b| a.total_cmp(b));
    (pct(&ms, 0.5), pct(&ms, 0.95))
}

async fn get(app: &Router, path: &str, token: &str) -> f64 {
    let req = Request::get(path)
        .header(header::COOKIE, format!("{SESSION_COOKIE}={token}"))
        .body(Body::empty())
        .unwrap();
    let t = Instant::now();
    let res = app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    let _ = to_bytes(res.into_body(), usize::MAX).await.unwrap();
    t.elapsed().as_secs_f64() * 1000.0
}

fn url(endpoint: &str, q: &HistoryQuery) -> String {
    format!("/api/{endpoint}?{}", q.encoded())
}

/// The benchmark database, the demo owner's session on it and the real router.
struct Bench {
    db: Db,
    ctx: TenantCtx,
    token: String,
    csrf: String,
    app: Router,
    now: i64,
}

const BENCH_KEY: &[u8; 32] = b"bench key, 32 bytes or more.....";
const INGEST_SECRET: &str = "the history benchmark's ingest secret";
/// Sessions a second the back office sends while `bench_history` measures the loaded case.
const INGEST_RATE: usize = 5_000;

async fn bench(url_env: &str, default: &str) -> Result<Bench, String> {
    let db_url = std::env::var(url_env).unwrap_or_else(|_| default.to_owned());
    let db = Db::connect(&db_url).await.map_err(|e| e.to_string())?;
    db.migrate().await.unwrap();
    app::history::rollup::fill_missing(&db).await.unwrap();
    if let Db::Postgres(pool) = &db {
        // What autovacuum does soon after a bulk load; index-only scans need it.
        sqlx::query("VACUUM ANALYZE sessions")
            .execute(pool)
            .await
            .unwrap();
    }
    let (owner, company): (Uuid, Uuid) = with_pool!(&db, |pool| {
        sqlx::query_as(
            "SELECT u.id, m.company_id FROM users u JOIN memberships m ON m.user_id = u.id
             WHERE u.email = 'anna.lindberg@nordstrombygg.example'",
        )
        .fetch_one(pool)
        .await
        .unwrap()
    });
    let now = app::db::now_ts();
    let token = app::auth::service::start_session(&db, None, owner, now)
        .await
        .unwrap();
    let key = || SecretKey::new(*BENCH_KEY).unwrap();
    let csrf = app::crypto::csrf_token(&key(), &app::crypto::parse_token(&token).unwrap());
    let mut vars = HashMap::new();
    vars.insert("DATABASE_URL".to_string(), db_url.clone());
    vars.insert(
        "PORTAL_SECRET_KEY".to_string(),
        String::from_utf8_lossy(BENCH_KEY).into_owned(),
    );
    vars.insert(
        "PORTAL_INGEST_KEYS".to_string(),
        format!("bench={INGEST_SECRET}"),
    );
    let config = Arc::new(Config::from_vars(&vars).unwrap());
    let app = router(app_state(db.clone(), config, key(), Mailer::dev()));
    let ctx = TenantCtx::from_database(&db, owner, company).await.unwrap();
    Ok(Bench {
        db,
        ctx,
        token,
        csrf,
        app,
        now,
    })
}

/// A back office sending INGEST_RATE sessions a second through the signed ingestion API
/// (through the same router, in batches of 1,000 every 1000/INGEST_RATE s), for as long as
/// it runs. Each batch is new sessions of the large demo company's members that started
/// today, so the month being measured does not change.
struct IngestLoad {
    stop: Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<usize>,
    started: Instant,
}

impl IngestLoad {
    async fn start(db: &Db, app: &Router) -> IngestLoad {
        let emails: Vec<String> = with_pool!(db, |pool| {
            sqlx::query_scalar(
                "SELECT u.email FROM users u JOIN memberships m ON m.user_id = u.id
                 JOIN companies c ON c.id = m.company_id
                 WHERE c.org_number = '556677-1001' ORDER BY u.email LIMIT 1000",
            )
            .fetch_all(pool)
            .await
            .unwrap()
        });
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (app, flag) = (app.clone(), stop.clone());
        let run = Uuid::new_v4().simple().to_string();
        let task = tokio::spawn(async move {
            let period = std::time::Duration::from_millis((1_000_000 / INGEST_RATE) as u64);
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let (mut sent, mut n) = (0, 0usize);
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                tick.tick().await;
                let now = app::db::now_ts();
                let batch: Vec<serde_json::Value> = (0..1_000)
                    .map(|_| {
                        n += 1;
                        let start = now - 3_600 - (n as i64 % 600) * 60;
                        let at =
                            |t: i64| chrono::DateTime::from_timestamp(t, 0).unwrap().to_rfc3339();
                        serde_json::json!({
                            "id": format!("LOAD-{run}-{n}"), "version": 1,
                            "company": "556677-1001",
                            "app_user": {"email": emails[n % emails.len()]},
                            "plate": "ABC 123", "facility": "AIMO-SE-0101", "kind": "parking",
                            "started_at": at(start), "ended_at": at(start + 1_800),
                            "amount_incl_vat": 2_500, "vat": 500
                        })
                    })
                    .collect();
                let body = serde_json::json!({ "sessions": batch }).to_string();
                let ts = now.to_string();
                let req = Request::post("/ingest/v1/sessions")
                    .header(app::auth::ingest::KEY_HEADER, "bench")
                    .header(app::auth::ingest::TIMESTAMP_HEADER, &ts)
                    .header(
                        app::auth::ingest::SIGNATURE_HEADER,
                        app::auth::ingest::sign(
                            INGEST_SECRET,
                            "POST",
                            "/ingest/v1/sessions",
                            &ts,
                            body.as_bytes(),
                        ),
                    )
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(body))
                    .unwrap();
                let res = app.clone().oneshot(req).await.unwrap();
                assert_eq!(res.status(), 200, "the load's batch was refused");
                let _ = to_bytes(res.into_body(), usize::MAX).await.unwrap();
                sent += 1_000;
            }
            sent
        });
        // Let it reach its pace before the measuring starts.
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        IngestLoad {
            stop,
            task,
            started: Instant::now(),
        }
    }

    /// Stops the load; what it sent and over how long (the 2 s warm-up included).
    async fn stop(self) -> (usize, f64) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let sent = self.task.await.unwrap();
        (sent, self.started.elapsed().as_secs_f64() + 2.0)
    }
}

async fn run(name: &str, url_env: &str, default: &str) -> Vec<String> {
    let Bench {
        db,
        ctx,
        token,
        app,
        now,
        ..
    } = match bench(url_env, default).await {
        Ok(b) => b,
        Err(e) => return vec![format!("| {name} | not run: {e} |")],
    };
    let month = HistoryQuery {
        year: "2026".into(),
        month: "10".into(),
        ..Default::default()
    };
    let f = filter::resolve(&ctx, &month, now).await.unwrap();
    let totals = store::filter_totals(&db, &f).await.unwrap();
    // A cursor in the middle of the month (found once, with OFFSET, for the benchmark only).
    let (key_at, id_at): (i64, Uuid) = with_pool!(&db, |pool| {
        sqlx::query_as(
            "SELECT started_at, id FROM sessions WHERE company_id = $1 AND started_at >= $2
             AND started_at < $3 ORDER BY started_at DESC, id DESC LIMIT 1 OFFSET $4",
        )
        .bind(ctx.scope().company_id())
        .bind(f.from)
        .bind(f.to)
        .bind(totals.sessions / 2)
        .fetch_one(pool)
        .await
        .unwrap()
    });
    let deep = HistoryQuery {
        after: filter::cursor_text(key_at, id_at),
        ..month.clone()
    };
    let f_deep = filter::resolve(&ctx, &deep, now).await.unwrap();

    // Warm both paths once.
    get(&app, &url("history", &month), &token).await;
    get(&app, &url("history_totals", &month), &token).await;
    store::page_raw(&db, &f).await.unwrap();

    // The cost page's figures for the same month (the chart's 13 months, the breakdowns, the
    // leading members), from the rollups; and the report computed directly, in the same run.
    let costs_url = "/api/costs?query%5Byear%5D=2026&query%5Bmonth%5D=10";
    get(&app, costs_url, &token).await;
    let october = app::calendar::month_index(2026, 10);
    let (mut costs_fn, mut costs_raw) = (vec![], vec![]);
    for _ in 0..RUNS {
        costs_fn.push(get(&app, costs_url, &token).await);
        let t = Instant::now();
        app::costs::service::report(&db, &ctx, october, app::costs::service::Members::Leading)
            .await
            .unwrap();
        costs_raw.push(t.elapsed().as_secs_f64() * 1000.0);
    }

    let (mut first, mut first_raw, mut deep_fn, mut deep_raw) = (vec![], vec![], vec![], vec![]);
    for _ in 0..RUNS {
        first.push(
            get(&app, &url("history", &month), &token).await
                + get(&app, &url("history_totals", &month), &token).await,
        );
        let t = Instant::now();
        store::page_raw(&db, &f).await.unwrap();
        store::filter_totals(&db, &f).await.unwrap();
        first_raw.push(t.elapsed().as_secs_f64() * 1000.0);
        deep_fn.push(get(&app, &url("history", &deep), &token).await);
        let t = Instant::now();
        store::page_raw(&db, &f_deep).await.unwrap();
        deep_raw.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let row = |case: &str, fun: Vec<f64>, raw: Vec<f64>| {
        let (a50, a95) = p50_p95(fun);
        let (r50, r95) = p50_p95(raw);
        format!(
            "| {case} | {name} | {RUNS} | {a50:.2} | {a95:.2} | {r50:.2} | {r95:.2} | {:.2}× | {:.2}× |",
            a50 / r50,
            a95 / r95
        )
    };
    // The same first page + totals again while the back office sends INGEST_RATE sessions a
    // second to the same company (today's sessions, batches of 1,000 through the signed API).
    let quiet_p95 = p50_p95(first.clone()).1;
    let load = IngestLoad::start(&db, &app).await;
    let mut loaded = vec![];
    for _ in 0..RUNS {
        loaded.push(
            get(&app, &url("history", &month), &token).await
                + get(&app, &url("history_totals", &month), &token).await,
        );
    }
    let (sent, seconds) = load.stop().await;
    let (l50, l95) = p50_p95(loaded);
    let under_load = format!(
        "| {name} | {:.0} sessions/s ({sent} in {seconds:.1} s) | {quiet_p95:.2} | {l50:.2} | {l95:.2} | {:+.0} % |",
        sent as f64 / seconds,
        (l95 / quiet_p95 - 1.0) * 100.0
    );
    vec![
        format!(
            "<!-- {name}: October 2026 holds {} sessions -->",
            totals.sessions
        ),
        format!("<!-- under load --> {under_load}"),
        row("month, first page + totals", first, first_raw),
        row(
            "/costs, a month (report computed directly)",
            costs_fn,
            costs_raw,
        ),
        row(
            "month, deep page (keyset, middle of the month)",
            deep_fn,
            deep_raw,
        ),
    ]
}

/// The server's side of the CSV export alone, for the export benchmark's period: every chunk
/// of the filter walked three ways, one after the other — the row query only
/// (`store::export_rows_raw`), whole chunks as the server function builds them
/// (`store::export_chunk`: rows + names), and through the router (session, CSRF, cursor
/// signing, postcard, gzip as the browser asks for it). Rows per second of each: the ceiling
/// the browser's end-to-end figure lives under.
async fn export_server(name: &str, url_env: &str, default: &str) -> Vec<String> {
    let Bench {
        db,
        ctx,
        token,
        csrf,
        app,
        now,
    } = match bench(url_env, default).await {
        Ok(b) => b,
        Err(e) => return vec![format!("| {name} | not run: {e} |")],
    };
    let query = HistoryQuery {
        from: std::env::var("BENCH_FROM").unwrap_or_else(|_| "2026-05-01".into()),
        to: std::env::var("BENCH_TO").unwrap_or_else(|_| "2026-11-20".into()),
        ..Default::default()
    };
    let mut f = filter::resolve(&ctx, &query, now).await.unwrap();
    f.limit = app::history::EXPORT_CHUNK;

    let t = Instant::now();
    let (mut raw_rows, mut g) = (0, f.clone());
    loop {
        let (n, next) = store::export_rows_raw(&db, &g).await.unwrap();
        raw_rows += n;
        match next.and_then(|c| filter::parse_cursor(&c).ok().flatten()) {
            Some(after) => g.after = Some(after),
            None => break,
        }
    }
    let raw_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let (mut chunk_rows, mut g) = (0, f.clone());
    let mut names = store::ExportNames::default();
    loop {
        let chunk = store::export_chunk_with(&db, &g, &mut names).await.unwrap();
        chunk_rows += chunk.rows.len();
        match chunk
            .next
            .as_deref()
            .and_then(|c| filter::parse_cursor(c).ok().flatten())
        {
            Some(after) => g.after = Some(after),
            None => break,
        }
    }
    let chunk_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let (mut http_rows, mut bytes, mut after) = (0, 0, String::new());
    loop {
        use server_fn::{codec::PostcardEncoding, Decodes};
        let body = HistoryQuery {
            after: after.clone(),
            ..query.clone()
        }
        .encoded();
        let req = Request::post("/api/history_export")
            .header(header::COOKIE, format!("{SESSION_COOKIE}={token}"))
            .header("sec-fetch-site", "same-origin")
            .header("x-csrf-token", &csrf)
            .header(header::ACCEPT_ENCODING, "gzip")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), 200);
        let gz = to_bytes(res.into_body(), usize::MAX).await.unwrap();
        bytes += gz.len();
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut plain).unwrap();
        let chunk: app::history::ExportChunk = PostcardEncoding::decode(plain.into()).unwrap();
        http_rows += chunk.rows.len();
        match chunk.next {
            Some(next) => after = next,
            None => break,
        }
    }
    let http_s = t.elapsed().as_secs_f64();
    assert_eq!(
        (raw_rows, chunk_rows),
        (http_rows, http_rows),
        "every walk sees every row"
    );
    let rate = |s: f64| format!("{:.0}k", http_rows as f64 / s / 1000.0);
    vec![format!(
        "| {name} | {http_rows} | {raw_s:.2} s ({}) | {chunk_s:.2} s ({}) | {http_s:.2} s ({}) | {:.1} MB |",
        rate(raw_s),
        rate(chunk_s),
        rate(http_s),
        bytes as f64 / 1e6
    )]
}

pub async fn bench_export_server() {
    let mut lines = vec![
        "| Export, server side | rows | row query only | whole chunks | through the router (gzip) | bytes sent |".to_string(),
        "|---|---|---|---|---|---|".to_string(),
    ];
    lines.extend(
        export_server(
            "SQLite",
            "BENCH_SQLITE_URL",
            "sqlite:../target/bench/demo.db",
        )
        .await,
    );
    lines.extend(
        export_server(
            "PostgreSQL",
            "BENCH_PG_URL",
            "postgres://postgres@127.0.0.1:5432/portal_bench_demo",
        )
        .await,
    );
    println!("\n{}\n", lines.join("\n"));
}

pub async fn bench_history() {
    let mut lines = vec![
        "| History request | engine | n | p50 ms | p95 ms | raw SQL p50 | raw SQL p95 | ratio p50 | ratio p95 |".to_string(),
        "|---|---|---|---|---|---|---|---|---|".to_string(),
    ];
    lines.extend(
        run(
            "SQLite",
            "BENCH_SQLITE_URL",
            "sqlite:../target/bench/demo.db",
        )
        .await,
    );
    lines.extend(
        run(
            "PostgreSQL",
            "BENCH_PG_URL",
            "postgres://postgres@127.0.0.1:5432/portal_bench_demo",
        )
        .await,
    );
    let (load, quiet): (Vec<String>, Vec<String>) = lines
        .into_iter()
        .partition(|l| l.starts_with("<!-- under load -->"));
    println!("\n{}\n", quiet.join("\n"));
    println!(
        "| Month, first page + totals | ingestion running | p95 quiet ms | p50 loaded ms | p95 loaded ms | p95 change |\n|---|---|---|---|---|---|\n{}\n",
        load.iter()
            .map(|l| l.trim_start_matches("<!-- under load --> "))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
