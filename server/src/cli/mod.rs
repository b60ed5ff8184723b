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
    /// Run the web server (the default).
    Serve,
    /// Apply the database migrations and exit.
    Migrate,
    /// Fill the database with deterministic demo data.
    Demo(crate::demo::DemoArgs),
    /// The operator's backfill: send a JSON Lines file of records through the ingestion
    /// service (resumable; see `portal ingest --help`).
    Ingest(backfill::IngestArgs),
    /// Customer service: companies and their owners.
    #[command(subcommand)]
    Company(company::CompanyCommand),
}

async fn connect(config: &Config) -> Result<Db, Box<dyn std::error::Error>> {
    let db = Db::connect(&config.database_url)
        .await
        .map_err(|e| format!("DATABASE_URL: cannot connect: {e}"))?;
    db.migrate()
        .await
        .map_err(|e| format!("migrations failed: {e}"))?;
    // The cost rollups of a database that had sessions before they existed (migration 0006).
    let filled = app::history::rollup::fill_missing(&db)
        .await
        .map_err(|e| format!("building the cost rollups failed: {e}"))?;
    if filled > 0 {
        tracing::info!(
            companies = filled,
            "built the cost rollups from the stored sessions"
        );
    }
    Ok(db)
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
        Command::Migrate => {
            connect(&config).await?;
            println!("migrations applied");
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
            crate::http::serve(crate::http::app_state(db, Arc::new(config), key, mailer)).await
        }
    }
}
