//! Sessions per second into the portal through the ingestion API (not a test:
//! `make bench-ingest`). On SQLite and PostgreSQL each: 100,000 sessions of 20 companies,
//! 4,000 members and 40 facilities, sent in batches of 1,000 as the back office would —
//! JSON over a real loopback HTTP connection, each request signed — and, in the same run, the
//! same rows written by a plain multi-row `INSERT` (batches of 1,000, one transaction each)
//! into an identical fresh database: the floor any ingestion costs. Prints both rates and
//! their ratio; the figures go to docs/benchmarks.md. With one connection the API run is
//! repeated into worlds where every company has rules at every level (company, cost center,
//! every tenth member: `policies`), so that every session is judged: the judgement's cost is
//! the difference. `Typical` rules leave most sessions within them (about one in six outside);
//! `Strict` ones put four in five outside, each of which also goes into the partial index of
//! sessions outside policy.

use std::{collections::HashMap, sync::Arc, time::Instant};

use app::{
    auth::{ingest, OperatorAccess},
    companies::{
        store::{self as companies, CompanyRow, CostCenterRow, NewMembership},
        Email, Role,
    },
    config::Config,
    crypto::SecretKey,
    db::{Backend, Db},
    ingest::wire::{AppUserRef, SessionIn, SessionKindIn},
    mailer::Mailer,
    testing::TestDb,
    with_pool,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use uuid::Uuid;

use server::http::{app_state, router};

const SESSIONS: usize = 100_000;
const BATCH: usize = 1_000;
const COMPANIES: usize = 20;
const MEMBERS_EACH: usize = 200;
const FACILITIES: usize = 40;
const SECRET: &str = "the benchmark's back-office secret of 32+";

struct World {
    orgs: Vec<String>,
    /// (company index, email) of every member.
    members: Vec<(usize, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RuleSet {
    None,
    Typical,
    Strict,
}

/// Companies with cost centers and members, through the stores (as customer service and
/// the companies' administrators make them); facilities through the API's service. With
/// rules, every company has them at each level (valid since 2025, before every session).
async fn world(db: &Db, rules: RuleSet) -> World {
    let access = OperatorAccess::command_line();
    let now = app::db::now_ts();
    let mut orgs = vec![];
    let mut members = vec![];
    for c in 0..COMPANIES {
        let company = CompanyRow {
            id: Uuid::new_v4(),
            name: format!("Bolag {c} AB"),
            org_number: format!("556{c:03}-0000"),
            time_zone: "Europe/Stockholm".into(),
            currency: "SEK".into(),
        };
        companies::insert_company(db, &company, now).await.unwrap();
        let scope = access.scope(company.id);
        let cc = CostCenterRow {
            id: Uuid::new_v4(),
            company_id: company.id,
            code: "100".into(),
            name: "Kontoret".into(),
        };
        companies::insert_cost_center(db, scope, &cc, now)
            .await
            .unwrap();
        let mut levels = vec![];
        {
            use app::policies::model::{Rules, Target};
            match rules {
                RuleSet::None => {}
                // Every day 05–24, at most 10 hours and 200 kr a session; the cost center
                // allows both kinds up to 20,000 kr a month.
                RuleSet::Typical => {
                    levels.push((
                        Target::Company,
                        Rules {
                            weekdays: Some(0b111_1111),
                            hours: Some((5 * 60, 24 * 60)),
                            max_stay_minutes: Some(600),
                            session_cap: Some(20_000),
                            ..Rules::default()
                        },
                    ));
                    levels.push((
                        Target::CostCenter(cc.id),
                        Rules {
                            parking_allowed: Some(true),
                            charging_allowed: Some(true),
                            monthly_cap: Some(2_000_000),
                            ..Rules::default()
                        },
                    ));
                }
                RuleSet::Strict => {
                    levels.push((
                        Target::Company,
                        Rules {
                            weekdays: Some(0b001_1111),
                            hours: Some((6 * 60, 20 * 60)),
                            max_stay_minutes: Some(600),
                            session_cap: Some(15_000),
                            ..Rules::default()
                        },
                    ));
                    levels.push((
                        Target::CostCenter(cc.id),
                        Rules {
                            charging_allowed: Some(false),
                            monthly_cap: Some(200_000),
                            ..Rules::default()
                        },
                    ));
                }
            }
        }
        for m in 0..MEMBERS_EACH {
            let email = Email::parse(&format!("p{m}@bolag{c}.example")).unwrap();
            let user = companies::upsert_user(db, Uuid::new_v4(), &email, "", now)
                .await
                .unwrap();
            if rules != RuleSet::None && m % 10 == 0 {
                use app::policies::model::{Rules, Target};
                levels.push((
                    Target::Member(user),
                    Rules {
                        only_registered: Some(rules == RuleSet::Strict),
                        monthly_cap: Some(500_000),
                        ..Rules::default()
                    },
                ));
                let mut tx = db.begin().await.unwrap();
                for plate in [format!("ABC {:03}", m), format!("XYZ {:03}", m)] {
                    app::policies::store::add_vehicle(&mut tx, scope, user, &plate, now)
                        .await
                        .unwrap();
                }
                tx.commit().await.unwrap();
            }
            companies::add_membership(
                db,
                scope,
                &NewMembership {
                    user_id: user,
                    role: Role::Member,
                    default_cost_center_id: Some(cc.id),
                    invited_email: Some(email.clone()),
                },
                now,
            )
            .await
            .unwrap();
            members.push((c, email.as_str().to_owned()));
        }
        let since_2025 = 1_735_686_000;
        let mut tx = db.begin().await.unwrap();
        for (target, r) in &levels {
            app::policies::store::insert_version(&mut tx, scope, *target, r, since_2025, None)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        orgs.push(company.org_number);
    }
    let facilities: Vec<_> = (0..FACILITIES)
        .map(|f| {
            Ok(app::ingest::wire::FacilityIn {
                id: format!("B-{f:03}"),
                version: 1,
                name: format!("Garage {f}"),
                address: format!("Gatan {f}"),
                city: "Stockholm".into(),
                kind: app::ingest::wire::FacilityKindIn::BarrierGarage,
                company_account: app::ingest::wire::AcceptanceIn::Yes,
                company_account_note: String::new(),
                has_chargers: true,
                country: app::ingest::wire::CountryIn::Se,
            })
        })
        .collect();
    app::ingest::service::facilities(db, &access, facilities)
        .await
        .unwrap();
    World { orgs, members }
}

/// The same sessions every run: a year of parking and charging, spread over the members.
fn sessions(w: &World) -> Vec<SessionIn> {
    let start = 1_767_225_600; // 2026-01-01T00:00:00Z
    (0..SESSIONS)
        .map(|n| {
            let (company, email) = &w.members[(n * 7919) % w.members.len()];
            let started = start + (n as i64 * 311) % (300 * 86_400);
            let charging = n % 4 == 0;
            let amount = 1_000 + (n as i64 * 37) % 20_000;
            SessionIn {
                id: format!("BENCH-{n:07}"),
                version: 1,
                company: w.orgs[*company].clone(),
                app_user: Some(AppUserRef {
                    id: None,
                    email: Some(email.clone()),
                }),
                plate: format!("ABC {:03}", n % 1000),
                facility: format!("B-{:03}", n % FACILITIES),
                kind: if charging {
                    SessionKindIn::Charging
                } else {
                    SessionKindIn::Parking
                },
                started_at: chrono::DateTime::from_timestamp(started, 0)
                    .unwrap()
                    .to_rfc3339(),
                ended_at: Some(
                    chrono::DateTime::from_timestamp(started + 3_600, 0)
                        .unwrap()
                        .to_rfc3339(),
                ),
                energy_wh: charging.then_some(12_000),
                amount_incl_vat: amount,
                vat: amount / 5,
                cost_center: (n % 2 == 0).then(|| "100".into()),
            }
        })
        .collect()
}

/// One HTTP/1.1 request on a kept-alive connection; returns the status and body.
async fn post(conn: &mut TcpStream, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let ts = app::db::now_ts().to_string();
    let sig = ingest::sign(SECRET, "POST", path, &ts, body);
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n{}: bench\r\n{}: {ts}\r\n{}: {sig}\r\n\r\n",
        body.len(),
        ingest::KEY_HEADER,
        ingest::TIMESTAMP_HEADER,
        ingest::SIGNATURE_HEADER,
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(body).await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = conn.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the server closed the connection");
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
        let status: u16 = head[9..12].parse().unwrap();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map(|v| v.trim().parse().unwrap())
            .expect("a content-length");
        while buf.len() < end + 4 + length {
            let n = conn.read(&mut chunk).await.unwrap();
            assert!(n > 0);
            buf.extend_from_slice(&chunk[..n]);
        }
        return (status, buf[end + 4..end + 4 + length].to_vec());
    }
}

/// Sessions per second through the API, the batches shared among `connections` kept-alive
/// connections sending at once (a back office syncing several garages).
async fn through_the_api(db: &Db, batches: &[Vec<u8>], connections: usize) -> f64 {
    let mut vars = HashMap::new();
    vars.insert("PORTAL_INGEST_KEYS".to_owned(), format!("bench={SECRET}"));
    let config = Arc::new(Config::from_vars(&vars).unwrap());
    let key = SecretKey::new(*b"bench key, 32 bytes or more.....").unwrap();
    let app = router(app_state(db.clone(), config, key, Mailer::dev()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let t = Instant::now();
    let per = batches.len().div_ceil(connections);
    let mut senders = vec![];
    for part in batches.chunks(per) {
        let part = part.to_vec();
        senders.push(tokio::spawn(async move {
            let mut conn = TcpStream::connect(addr).await.unwrap();
            for body in &part {
                let (status, answer) = post(&mut conn, "/ingest/v1/sessions", body).await;
                assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
            }
        }));
    }
    for s in senders {
        s.await.unwrap();
    }
    let rate = SESSIONS as f64 / t.elapsed().as_secs_f64();
    server.abort();
    rate
}

/// The floor: the same rows, already resolved to ids, by a plain multi-row INSERT.
async fn plain_insert(db: &Db, all: &[SessionIn], connections: usize) -> f64 {
    type Ids = HashMap<String, Uuid>;
    let (companies, facilities, users, center): (Ids, Ids, Ids, HashMap<Uuid, Uuid>) =
        with_pool!(db, |pool| {
            let c: Vec<(String, Uuid)> = sqlx::query_as("SELECT org_number, id FROM companies")
                .fetch_all(pool)
                .await
                .unwrap();
            let f: Vec<(String, Uuid)> = sqlx::query_as("SELECT external_ref, id FROM facilities")
                .fetch_all(pool)
                .await
                .unwrap();
            let u: Vec<(String, Uuid)> = sqlx::query_as("SELECT email, id FROM users")
                .fetch_all(pool)
                .await
                .unwrap();
            let cc: Vec<(Uuid, Uuid)> = sqlx::query_as("SELECT company_id, id FROM cost_centers")
                .fetch_all(pool)
                .await
                .unwrap();
            (
                c.into_iter().collect(),
                f.into_iter().collect(),
                u.into_iter().collect(),
                cc.into_iter().collect(),
            )
        });
    let (companies, facilities, users, center) = (
        Arc::new(companies),
        Arc::new(facilities),
        Arc::new(users),
        Arc::new(center),
    );
    let t = Instant::now();
    let per = all.len().div_ceil(connections);
    let mut writers = vec![];
    for rows in all.chunks(per) {
        let rows = rows.to_vec();
        let (db, companies, facilities, users, center) = (
            db.clone(),
            companies.clone(),
            facilities.clone(),
            users.clone(),
            center.clone(),
        );
        writers.push(tokio::spawn(async move {
            for part in rows.chunks(BATCH) {
                with_pool!(&db, |pool| {
                    let mut tx = pool.begin().await.unwrap();
                    let mut qb = sqlx::QueryBuilder::new(
                        "INSERT INTO sessions (id, company_id, user_id, plate, facility_id, kind, started_at, ended_at,
                                               energy_wh, amount_ore, vat_ore, cost_center_id, source, external_ref, version) ",
                    );
                    qb.push_values(part, |mut b, s| {
                        let company = companies[&s.company];
                        let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap().timestamp();
                        b.push_bind(Uuid::new_v4())
                            .push_bind(company)
                            .push_bind(users[s.app_user.as_ref().unwrap().email.as_ref().unwrap()])
                            .push_bind(s.plate.clone())
                            .push_bind(facilities[&s.facility])
                            .push_bind(if s.kind == SessionKindIn::Charging {
                                "charging"
                            } else {
                                "parking"
                            })
                            .push_bind(at(&s.started_at))
                            .push_bind(s.ended_at.as_deref().map(at))
                            .push_bind(s.energy_wh)
                            .push_bind(s.amount_incl_vat)
                            .push_bind(s.vat)
                            .push_bind(center[&company])
                            .push_bind("operator")
                            .push_bind(s.id.clone())
                            .push_bind(s.version);
                    });
                    qb.build().execute(&mut *tx).await.unwrap();
                    tx.commit().await.unwrap();
                });
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    SESSIONS as f64 / t.elapsed().as_secs_f64()
}

async fn count(db: &Db) -> i64 {
    with_pool!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM sessions"
    )
    .fetch_one(pool)
    .await
    .unwrap())
}

pub async fn bench_ingest() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        // The world's names are the same in every fresh database built by `world`.
        let names = TestDb::fresh(backend).await;
        let w = world(&names.db, RuleSet::None).await;
        let all = sessions(&w);
        let bodies: Vec<Vec<u8>> = all
            .chunks(BATCH)
            .map(|part| serde_json::to_vec(&serde_json::json!({ "sessions": part })).unwrap())
            .collect();
        let mb = bodies.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
        for connections in [1, 2] {
            let api_db = TestDb::fresh(backend).await;
            let plain_db = TestDb::fresh(backend).await;
            world(&api_db.db, RuleSet::None).await;
            world(&plain_db.db, RuleSet::None).await;
            let api = through_the_api(&api_db.db, &bodies, connections).await;
            let plain = plain_insert(&plain_db.db, &all, connections).await;
            assert_eq!(count(&api_db.db).await, SESSIONS as i64);
            assert_eq!(count(&plain_db.db).await, SESSIONS as i64);
            // The same batches again: every record "unchanged", nothing written. Each is
            // signed afresh; a second's pause so no resend shares its original's timestamp
            // (a signature is accepted once).
            tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
            let again = through_the_api(&api_db.db, &bodies, connections).await;
            println!(
                "{:<8} {SESSIONS} sessions in batches of {BATCH} ({mb:.1} MB of JSON), {connections} connection(s): \
                 API {api:>8.0}/s · plain INSERT {plain:>8.0}/s · ratio {:.2}× · resent (unchanged) {again:>8.0}/s",
                backend.name(),
                plain / api
            );
            for rules in [RuleSet::Typical, RuleSet::Strict]
                .into_iter()
                .filter(|_| connections == 1)
            {
                let judged_db = TestDb::fresh(backend).await;
                world(&judged_db.db, rules).await;
                let judged = through_the_api(&judged_db.db, &bodies, connections).await;
                let flagged: i64 = with_pool!(&judged_db.db, |pool| sqlx::query_scalar(
                    "SELECT COUNT(*) FROM sessions WHERE policy_flags <> 0"
                )
                .fetch_one(pool)
                .await
                .unwrap());
                println!(
                    "{:<8} the same into companies with {rules:?} rules (every session judged, {flagged} outside policy): \
                     API {judged:>8.0}/s · judging costs {:+.1} % of the time",
                    backend.name(),
                    (api / judged - 1.0) * 100.0
                );
            }
        }
    }
}
