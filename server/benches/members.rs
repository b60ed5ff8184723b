//! Timing of a 5,000-row bulk invitation file (not a test: `make bench-members-import`):
//! the preview (every row checked, nothing sent) and the import (the good rows sent, each in
//! its own transaction with its mail and audit entry; the company's daily budget of 500
//! invitations stops the rest, as it would in production). On SQLite and PostgreSQL, through
//! the members service. Figures go to docs/benchmarks.md.

use std::time::Instant;

use app::{
    auth::TenantCtx,
    db::{Backend, Db},
    i18n::Lang,
    members::service::{bulk, BulkMode},
    testing::TestDb,
    with_pool,
};
use uuid::Uuid;

const ROWS: usize = 5_000;
const NOW: i64 = 1_780_000_000;

/// A company with an owner, set up with plain SQL (so that this file also runs on older
/// trees, for a before/after figure).
async fn owner_of_a_company(db: &Db) -> TenantCtx {
    let (company, owner) = (Uuid::new_v4(), Uuid::new_v4());
    with_pool!(db, |pool| {
        async {
            sqlx::query(
                "INSERT INTO companies (id, name, org_number, time_zone, currency, created_at)
                 VALUES ($1, 'Bulk AB', '556000-4242', 'Europe/Stockholm', 'SEK', 0)",
            )
            .bind(company)
            .execute(pool)
            .await?;
            sqlx::query(
                "INSERT INTO users (id, email, display_name, created_at) VALUES ($1, 'owner@bulk.se', 'Owner', 0)",
            )
            .bind(owner)
            .execute(pool)
            .await?;
            sqlx::query(
                "INSERT INTO memberships (company_id, user_id, role, status, created_at)
                 VALUES ($1, $2, 'owner', 'active', 0)",
            )
            .bind(company)
            .bind(owner)
            .execute(pool)
            .await?;
            Ok::<_, sqlx::Error>(())
        }
        .await
    })
    .unwrap();
    TenantCtx::from_database(db, owner, company).await.unwrap()
}

fn csv_file() -> String {
    let mut text = String::from("email;role\r\n");
    for n in 0..ROWS {
        text.push_str(&format!("person{n:04}@bulk.se;member\r\n"));
    }
    text
}

pub async fn bench_bulk_import() {
    let rows = app::csv_io::read::parse(&csv_file()).unwrap();
    println!("| Bulk file of {ROWS} rows | engine | ms | rows sent | rows refused |");
    println!("|---|---|---|---|---|");
    for backend in [Backend::Sqlite, Backend::Postgres] {
        for import in [false, true] {
            let t = TestDb::fresh(backend).await;
            let ctx = owner_of_a_company(&t.db).await;
            let mode = if import {
                BulkMode::import_all()
            } else {
                BulkMode::Preview
            };
            let start = Instant::now();
            let r = bulk(&t.db, &ctx, &rows, mode, "http://p", Lang::Sv, NOW)
                .await
                .unwrap();
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            println!(
                "| {} | {} | {ms:.0} | {} | {} |",
                if import { "import" } else { "preview" },
                backend.name(),
                r.imported,
                r.bad
            );
        }
    }
}
