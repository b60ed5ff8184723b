//! The command line: `portal serve` (the default), `migrate`, `demo`, `ingest` (the backfill)
//! and `company` (customer service). Each subcommand connects, migrates and hands over to its
//! room: the web server to [`crate::http`], the demo data to [`crate::demo`].

pub mod backfill;
pub mod company;

use std::sync::Arc;

use app::{config::Config, db::Db};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "portal", about = "Aimo Park business-account portal")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the web server (the default). A local run migrates the database first; a
    /// deployment checks that the schema is this release's and refuses to start otherwise.
    Serve,
    /// Apply the database migrations and exit: a release's first step, run once, before its
    /// instances start (over PORTAL_MIGRATION_DATABASE_URL when DATABASE_URL is a pooler).
    Migrate(MigrateArgs),
    /// Ask the local instance's /readyz and exit 0 (ready) or 1: a container's health check
    /// with no curl in the image. Reads only PORTAL_LISTEN.
    Healthcheck(HealthcheckArgs),
    /// Copy the SQLite database to PATH while the portal serves (a consistent snapshot,
    /// `VACUUM INTO`). PostgreSQL is backed up with pg_dump (docs/operations.md).
    Backup(BackupArgs),
    /// Fill the database with deterministic demo data.
    Demo(crate::demo::DemoArgs),
    /// The operator's backfill: send a JSON Lines file of records through the ingestion
    /// service (resumable; see `portal ingest --help`).
    Ingest(backfill::IngestArgs),
    /// Customer service: companies and their owners.
    #[command(subcommand)]
    Company(company::CompanyCommand),
}

#[derive(clap::Args)]
pub struct HealthcheckArgs {
    /// The URL to ask (default: /readyz on PORTAL_LISTEN, 127.0.0.1 when it listens on all
    /// addresses).
    #[arg(long)]
    pub url: Option<String>,
    /// Seconds to wait for the answer.
    #[arg(long, default_value_t = 3)]
    pub timeout: u64,
}

#[derive(clap::Args)]
pub struct MigrateArgs {
    /// Also build every company's cost rollups again from its sessions, a company at a time
    /// while the portal serves: after a rolling upgrade whose migration added a rollup, once
    /// no instance of the previous release writes sessions any more.
    #[arg(long)]
    pub rebuild_rollups: bool,
}

#[derive(clap::Args)]
pub struct BackupArgs {
    /// Where to write the copy (must not exist yet).
    pub path: std::path::PathBuf,
}

async fn connect_to(url: &str, var: &str) -> Result<Db, Box<dyn std::error::Error>> {
    Ok(Db::connect(url)
        .await
        .map_err(|e| format!("{var}: cannot connect: {e}"))?)
}

/// Applies the migrations (over `PORTAL_MIGRATION_DATABASE_URL` when set) and builds the cost
/// rollups of a database that had sessions before they existed (migration 0006).
async fn migrate(config: &Config, rebuild_rollups: bool) -> Result<(), Box<dyn std::error::Error>> {
    let (url, var) = match &config.migration_database_url {
        Some(url) => (url.as_str(), "PORTAL_MIGRATION_DATABASE_URL"),
        None => (config.database_url.as_str(), "DATABASE_URL"),
    };
    let db = connect_to(url, var).await?;
    // Only a newer database stops `migrate`: pending migrations are what it is for.
    let before = db.schema().await?;
    if !before.unknown.is_empty() {
        return Err(before.refusal().unwrap_or_default().into());
    }
    db.migrate()
        .await
        .map_err(|e| format!("migrations failed: {e}"))?;
    if rebuild_rollups {
        app::history::rollup::forget_filled(&db)
            .await
            .map_err(|e| format!("building the cost rollups failed: {e}"))?;
    }
    let filled = app::history::rollup::fill_missing(&db)
        .await
        .map_err(|e| format!("building the cost rollups failed: {e}"))?;
    if filled > 0 {
        tracing::info!(
            companies = filled,
            "built the cost rollups from the stored sessions"
        );
    }
    for v in &before.pending {
        tracing::info!(migration = v, "applied");
    }
    db.close().await;
    Ok(())
}

/// The database, ready for this binary: a local run migrates it (the newcomer's one command);
/// a deployment only checks that its schema is exactly this release's, because migrating is a
/// release step (`portal migrate`) that must not race between instances or versions.
async fn connect(config: &Config) -> Result<Db, Box<dyn std::error::Error>> {
    if config.local_run {
        migrate(config, false).await?;
    }
    let db = connect_to(&config.database_url, "DATABASE_URL").await?;
    let schema = db.schema().await.map_err(|e| pooler_hint(&e))?;
    if let Some(reason) = schema.refusal() {
        return Err(reason.into());
    }
    Ok(db)
}

/// A database error, with the likely cause named when it is the symptom of a transaction
/// pooler: sqlx's named prepared statements (`sqlx_s_N`) found taken or missing on the server
/// connection, which only happens when connections are shared between clients.
fn pooler_hint(e: &sqlx::Error) -> String {
    let text = e.to_string();
    if text.contains("prepared statement \"sqlx_s_") {
        format!("DATABASE_URL: {text}. This is what a pooler in transaction mode does to the portal's prepared statements: use PgBouncer in session mode (docs/operations.md, \"A pooler\")")
    } else {
        format!("DATABASE_URL: {text}")
    }
}

/// The HMAC key: `PORTAL_SECRET_KEY`, or for the embedded SQLite default a key generated
/// once into `secret.key` beside the database file (so restarts keep sessions valid).
fn load_key(config: &Config) -> Result<app::crypto::SecretKey, Box<dyn std::error::Error>> {
    use app::crypto::SecretKey;
    if let Some(k) = &config.secret_key {
        return SecretKey::new(k.as_bytes().to_vec())
            .ok_or_else(|| "PORTAL_SECRET_KEY: too short".into());
    }
    let path = config
        .generated_key_path()
        .ok_or("PORTAL_SECRET_KEY: is required unless the database is a SQLite file")?;
    let key = match std::fs::read_to_string(&path) {
        Ok(k) => k.trim().to_owned(),
        Err(_) => {
            let k = SecretKey::generate_hex();
            write_private(&path, &k)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            tracing::info!(path = %path.display(), "generated a secret key for the embedded default");
            k
        }
    };
    SecretKey::new(key.into_bytes())
        .ok_or_else(|| format!("{}: key too short; delete the file", path.display()).into())
}

fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)?.write_all(contents.as_bytes())
}

pub async fn run(command: Command, config: Config) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        Command::Migrate(args) => {
            migrate(&config, args.rebuild_rollups).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Healthcheck(args) => healthcheck(&args, config.listen).await,
        Command::Backup(args) => {
            let db = connect_to(&config.database_url, "DATABASE_URL").await?;
            let bytes = app::db::backup(&db, &args.path).await?;
            println!("{}: {bytes} bytes", args.path.display());
            Ok(())
        }
        Command::Demo(args) => {
            let db = connect(&config).await?;
            let report = crate::demo::generate(&db, &args).await?;
            println!("{report}");
            Ok(())
        }
        Command::Ingest(args) => {
            let db = connect(&config).await?;
            let s = backfill::run(&db, &args).await?;
            println!(
                "{}: {} inserted, {} updated, {} unchanged, {} outdated{}",
                args.file.display(),
                s.result.inserted,
                s.result.updated,
                s.result.unchanged,
                s.result.outdated,
                if s.skipped_lines > 0 {
                    format!(" (resumed after line {})", s.skipped_lines)
                } else {
                    String::new()
                }
            );
            Ok(())
        }
        Command::Company(cmd) => {
            let db = connect(&config).await?;
            company::run(&db, &config, cmd).await
        }
        Command::Serve => {
            if let Err(e) = config.check_for_serving() {
                return Err(format!("configuration error: {e}").into());
            }
            let db = connect(&config).await?;
            if config.demo_data && app::companies::store::count_companies(&db).await? == 0 {
                tracing::info!("empty database: generating demo data (once)");
                let report = crate::demo::generate(&db, &crate::demo::DemoArgs::default()).await?;
                tracing::info!("{report}");
            }
            let key = load_key(&config)?;
            let mailer = match &config.smtp_url {
                Some(url) => app::mailer::Mailer::smtp(url, &config.mail_from)?,
                // `check_for_serving` allowed it: a local run or PORTAL_DEV_MAILER=true.
                None => app::mailer::Mailer::dev(),
            };
            let state = crate::http::app_state(db, Arc::new(config), key, mailer);
            crate::http::serve(crate::http::with_replicas(state)?).await
        }
    }
}

/// `portal healthcheck`: GET the instance's `/readyz`; Ok only for a 200.
pub async fn healthcheck(
    args: &HealthcheckArgs,
    listen: std::net::SocketAddr,
) -> Result<(), Box<dyn std::error::Error>> {
    let url = args.url.clone().unwrap_or_else(|| {
        let mut addr = listen;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        format!("http://{addr}/readyz")
    });
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(args.timeout))
        .build()?;
    let res = client
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("{url}: no answer: {e}"))?;
    let status = res.status();
    let body = res.text().await.unwrap_or_default();
    if status == reqwest::StatusCode::OK {
        println!("{url}: {status} {}", body.trim());
        Ok(())
    } else {
        Err(format!("{url}: {status} {}", body.trim()).into())
    }
}
