//! Fresh databases for tests, on either engine. Every store test runs against both:
//! SQLite in a temporary file, PostgreSQL in a database of its own created on the server at
//! `PG_TEST_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`) and dropped when the
//! test ends, even when it fails. A PostgreSQL that cannot be reached fails the test: it is
//! never skipped.

use std::path::PathBuf;

use crate::db::{Backend, Db};

pub fn pg_admin_url() -> String {
    std::env::var("PG_TEST_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A migrated, empty database that removes itself on drop.
pub struct TestDb {
    pub db: Db,
    sqlite_file: Option<PathBuf>,
    pg_database: Option<String>,
}

impl TestDb {
    /// The database's URL, for a second connection pool to it (a second server instance).
    pub fn url(&self) -> String {
        match (&self.sqlite_file, &self.pg_database) {
            (Some(path), _) => format!("sqlite:{}", path.display()),
            (_, Some(name)) => with_database(&pg_admin_url(), name),
            _ => unreachable!("a test database is one or the other"),
        }
    }

    pub async fn fresh(backend: Backend) -> TestDb {
        let name = format!("portal_t_{}", uuid::Uuid::new_v4().simple());
        let test_db = match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                let db = Db::connect(&format!("sqlite:{}", path.display()))
                    .await
                    .expect("open a SQLite test database");
                TestDb {
                    db,
                    sqlite_file: Some(path),
                    pg_database: None,
                }
            }
            Backend::Postgres => {
                let admin = pg_admin_url();
                let db = Db::connect(&admin).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL for tests at {admin} is unreachable: {e}")
                });
                let Db::Postgres(pool) = &db else {
                    unreachable!("a postgres URL gives a Postgres pool")
                };
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(pool)
                    .await
                    .expect("create a PostgreSQL test database");
                db.close().await;
                let db = Db::connect(&with_database(&admin, &name))
                    .await
                    .expect("connect to the PostgreSQL test database");
                TestDb {
                    db,
                    sqlite_file: None,
                    pg_database: Some(name),
                }
            }
        };
        test_db
            .db
            .migrate()
            .await
            .expect("migrations apply to a fresh database");
        crate::history::rollup::fill_missing(&test_db.db)
            .await
            .expect("an empty database's rollups fill");
        test_db
    }
}

/// `postgres://u@h:p/old?x` -> `postgres://u@h:p/name?x`
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(path) = self.sqlite_file.take() {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        if let Some(name) = self.pg_database.take() {
            // Drop runs outside any async context we could await in: use a thread with its
            // own small runtime. FORCE closes the test's still-open connections.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async {
                    if let Ok(Db::Postgres(pool)) = Db::connect(&pg_admin_url()).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .execute(&pool)
                        .await;
                        pool.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// Defines each listed async test function (taking `&Db`) twice: as `sqlite::NAME` and as
/// `postgres::NAME`, each on a fresh database of that engine.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let t = $crate::testing::TestDb::fresh($crate::db::Backend::Sqlite).await;
                    super::$name(&t.db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let t = $crate::testing::TestDb::fresh($crate::db::Backend::Postgres).await;
                    super::$name(&t.db).await;
                }
            )*
        }
    };
}

/// Stores a test's sessions the way a running portal gets them: through the ingestion
/// service (`crate::ingest`), as the back office's records (the company by organisation
/// number, the facility by code, the person by email, the cost center by code), in batches
/// of the API's size, grouped by `source`. Afterwards each session holds what was stored:
/// its id, and its cost center (a session without one gets the member's default). Returns
/// how many were new.
pub async fn insert_sessions(
    db: &Db,
    sessions: &mut [crate::history::store::NewSession],
) -> Result<u64, String> {
    use std::collections::HashMap;

    use uuid::Uuid;

    use crate::ingest::{service, wire::*};

    let err = |e: sqlx::Error| e.to_string();
    let (orgs, facilities, emails, centers) = crate::with_pool!(db, |pool| {
        let orgs: Vec<(Uuid, String)> = sqlx::query_as("SELECT id, org_number FROM companies")
            .fetch_all(pool)
            .await
            .map_err(err)?;
        let facilities: Vec<(Uuid, String)> =
            sqlx::query_as("SELECT id, external_ref FROM facilities")
                .fetch_all(pool)
                .await
                .map_err(err)?;
        let emails: Vec<(Uuid, String)> = sqlx::query_as("SELECT id, email FROM users")
            .fetch_all(pool)
            .await
            .map_err(err)?;
        let centers: Vec<(Uuid, String)> = sqlx::query_as("SELECT id, code FROM cost_centers")
            .fetch_all(pool)
            .await
            .map_err(err)?;
        Ok::<_, String>((orgs, facilities, emails, centers))
    })?;
    let by_id = |rows: Vec<(Uuid, String)>| rows.into_iter().collect::<HashMap<_, _>>();
    let (orgs, facilities, emails, centers) = (
        by_id(orgs),
        by_id(facilities),
        by_id(emails),
        by_id(centers),
    );
    let at = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .unwrap_or_default()
            .to_rfc3339()
    };
    let access = crate::auth::OperatorAccess::command_line();
    let mut inserted = 0;
    for group in sessions.chunk_by_mut(|a, b| a.source == b.source) {
        let source = group[0].source.clone();
        for part in group.chunks_mut(MAX_BATCH) {
            let records = part
                .iter()
                .map(|s| {
                    Ok(SessionIn {
                        id: s.external_ref.clone(),
                        version: s.version,
                        company: orgs[&s.company_id].clone(),
                        app_user: s.user_id.map(|u| AppUserRef {
                            id: None,
                            email: Some(emails[&u].clone()),
                        }),
                        plate: s.plate.clone(),
                        facility: facilities[&s.facility_id].clone(),
                        kind: match s.kind {
                            crate::history::SessionKind::Parking => SessionKindIn::Parking,
                            crate::history::SessionKind::Charging => SessionKindIn::Charging,
                        },
                        started_at: at(s.started_at),
                        ended_at: s.ended_at.map(at),
                        energy_wh: s.energy_wh,
                        amount_incl_vat: s.amount_ore,
                        vat: s.vat_ore,
                        cost_center: s.cost_center_id.map(|c| centers[&c].clone()),
                    })
                })
                .collect();
            let result = service::sessions(db, &access, &source, records)
                .await
                .map_err(|e| format!("the ingestion service refused a test's sessions: {e:?}"))?;
            inserted += result.inserted as u64;
            let refs: Vec<&str> = part.iter().map(|s| s.external_ref.as_str()).collect();
            let stored: HashMap<String, (Uuid, Option<Uuid>)> = crate::with_pool!(db, |pool| {
                let mut qb = sqlx::QueryBuilder::new(
                    "SELECT external_ref, id, cost_center_id FROM sessions WHERE source = ",
                );
                qb.push_bind(source.as_str()).push(" AND external_ref IN ");
                crate::push_in_list!(qb, refs.iter().copied());
                let rows: Vec<(String, Uuid, Option<Uuid>)> =
                    qb.build_query_as().fetch_all(pool).await.map_err(err)?;
                Ok::<_, String>(rows.into_iter().map(|(r, id, cc)| (r, (id, cc))).collect())
            })?;
            for s in part.iter_mut() {
                let (id, cost_center) = stored[&s.external_ref];
                s.id = id;
                s.cost_center_id = cost_center;
            }
        }
    }
    Ok(inserted)
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_test_database_replaces_the_admin_database_in_the_url() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "t1"),
            "postgres://u@h:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u@h/postgres?sslmode=disable", "t1"),
            "postgres://u@h/t1?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "t1"), "postgres://u@h/t1");
    }
}
