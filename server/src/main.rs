//! The portal's server binary. `portal` (or `portal serve`) runs the web server; the other
//! subcommands are the operator's tools: run migrations, generate demo data.
//! Configuration comes from environment variables (see the README and `app::config`).

mod demo;
mod http;
mod security;

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
    Ok(db)
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
        Command::Serve => {
            let db = connect(&config).await?;
            if config.demo_data && app::companies::store::count_companies(&db).await? == 0 {
                tracing::info!("empty database: generating demo data (once)");
                let report = demo::generate(&db, &demo::DemoArgs::default()).await?;
                tracing::info!("{report}");
            }
            http::serve(db, Arc::new(config)).await
        }
    }
}
