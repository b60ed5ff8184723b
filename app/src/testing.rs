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

/// Inserts sessions of several companies (a test's world), each company's in one call of
/// `history::store::insert_sessions`, in the order given.
pub async fn insert_sessions(
    db: &Db,
    sessions: &[crate::history::store::NewSession],
) -> Result<u64, sqlx::Error> {
    let mut inserted = 0;
    for group in sessions.chunk_by(|a, b| a.company_id == b.company_id) {
        let scope = crate::scope::CompanyScope::for_tests(group[0].company_id);
        inserted += crate::history::store::insert_sessions(db, scope, group).await?;
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
