#![recursion_limit = "256"]
//! The portal's server binary. `portal` (or `portal serve`) runs the web server; the other
//! subcommands are the operator's tools: run migrations, generate demo data.
//! Configuration comes from environment variables (see the README and `app::config`).

#[cfg(test)]
mod abuse_tests;
#[cfg(test)]
mod assets_tests;
#[cfg(test)]
mod auth_bench;
#[cfg(test)]
mod auth_tests;
#[cfg(test)]
mod authz_tests;
mod backfill;
mod demo;
#[cfg(test)]
mod history_bench;
mod http;
mod ingest;
#[cfg(test)]
mod ingest_bench;
#[cfg(test)]
mod members_bench;
mod outbox;
mod permits;
#[cfg(test)]
mod permits_tests;
#[cfg(test)]
mod reports_tests;
mod security;
mod session;

use std::{process::ExitCode, sync::Arc};

use app::{config::Config, db::Db};
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "portal", about = "Aimo Park business-account portal")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (the default).
    Serve,
    /// Apply the database migrations and exit.
    Migrate,
    /// Fill the database with deterministic demo data.
    Demo(demo::DemoArgs),
    /// The operator's backfill: send a JSON Lines file of records through the ingestion
    /// service (resumable; see `portal ingest --help`).
    Ingest(backfill::IngestArgs),
    /// Customer service: companies and their owners.
    #[command(subcommand)]
    Company(CompanyCommand),
}

#[derive(Subcommand)]
enum CompanyCommand {
    /// Create a company from an order; the order's contact email becomes the owner and gets a
    /// welcome mail with sign-in instructions.
    Create {
        #[arg(long)]
        name: String,
        /// Organisation number, 556677-8899.
        #[arg(long)]
        org_number: String,
        #[arg(long)]
        owner_email: String,
        #[arg(long, default_value = "Europe/Stockholm")]
        time_zone: String,
        #[arg(long, default_value = "SEK")]
        currency: String,
        /// Language of the welcome mail: sv or en.
        #[arg(long, default_value = "sv")]
        lang: String,
    },
    /// Give a company without an owner (older accounts) its owner.
    SetOwner {
        #[arg(long)]
        org_number: String,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "sv")]
        lang: String,
    },
    /// List every company with its member count and owner.
    List,
}

fn init_tracing(config: &Config) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match config.log_format {
        app::config::LogFormat::Json => builder.json().init(),
        app::config::LogFormat::Pretty => builder.init(),
    }
}

/// mimalloc instead of glibc's malloc: a page render is thousands of small allocations, and
/// glibc's malloc/free were ~40 % of a sign-in page's instructions (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    init_tracing(&config);
    match run(cli.command.unwrap_or(Command::Serve), config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
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
fn load_key(config: &Config) -> Result<app::auth::crypto::SecretKey, Box<dyn std::error::Error>> {
    use app::auth::crypto::SecretKey;
    if let Some(k) = &config.secret_key {
        return SecretKey::new(k.as_bytes().to_vec())
            .ok_or_else(|| "PORTAL_SECRET_KEY: too short".into());
    }
    let db_path = config
        .database_url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//");
    let db_path = db_path.split('?').next().unwrap_or(db_path);
    let dir = std::path::Path::new(db_path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty());
    let path = dir
        .unwrap_or_else(|| std::path::Path::new("."))
        .join("secret.key");
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

async fn run(command: Command, config: Config) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        Command::Migrate => {
            connect(&config).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Demo(args) => {
            let db = connect(&config).await?;
            let report = demo::generate(&db, &args).await?;
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
            use app::operator;
            let db = connect(&config).await?;
            let now = app::db::now_ts();
            let lang_of = |l: &str| {
                app::i18n::Lang::from_code(l)
                    .ok_or_else(|| format!("--lang: {l:?} must be sv or en"))
            };
            match cmd {
                CompanyCommand::Create {
                    name,
                    org_number,
                    owner_email,
                    time_zone,
                    currency,
                    lang,
                } => {
                    let c = operator::NewCompany {
                        name: &name,
                        org_number: &org_number,
                        owner_email: &owner_email,
                        time_zone: &time_zone,
                        currency: &currency,
                    };
                    let access = app::auth::OperatorAccess::command_line();
                    let lang = lang_of(&lang)?;
                    let id =
                        operator::create_company(&db, &access, &c, &config.public_url, lang, now)
                            .await?;
                    println!(
                        "created {name} ({id}); {owner_email} is its owner and gets a welcome mail"
                    );
                }
                CompanyCommand::SetOwner {
                    org_number,
                    email,
                    lang,
                } => {
                    operator::set_owner(
                        &db,
                        &app::auth::OperatorAccess::command_line(),
                        &org_number,
                        &email,
                        &config.public_url,
                        lang_of(&lang)?,
                        now,
                    )
                    .await?;
                    println!("{email} is now the owner of {org_number} and gets a welcome mail");
                }
                CompanyCommand::List => {
                    for c in operator::list_companies(&db).await? {
                        let owner = c.owner_email.as_deref().unwrap_or("(no owner)");
                        println!(
                            "{}  {:<32} {:>6} members  owner: {owner}",
                            c.org_number, c.name, c.active_members
                        );
                    }
                }
            }
            Ok(())
        }
        Command::Serve => {
            if let Err(e) = config.check_for_serving() {
                return Err(format!("configuration error: {e}").into());
            }
            let db = connect(&config).await?;
            if config.demo_data && app::companies::store::count_companies(&db).await? == 0 {
                tracing::info!("empty database: generating demo data (once)");
                let report = demo::generate(&db, &demo::DemoArgs::default()).await?;
                tracing::info!("{report}");
            }
            let key = load_key(&config)?;
            let mailer = match &config.smtp_url {
                Some(url) => app::mail::Mailer::smtp(url, &config.mail_from)?,
                // `check_for_serving` allowed it: a local run or PORTAL_DEV_MAILER=true.
                None => app::mail::Mailer::dev(),
            };
            http::serve(http::app_state(db, Arc::new(config), key, mailer)).await
        }
    }
}
