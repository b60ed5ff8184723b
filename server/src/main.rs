//! `portal`: the business-account portal's one binary. `portal` (or `portal serve`) runs the
//! web server; the other subcommands are the operator's tools (migrations, demo data, the
//! backfill, companies). Everything lives in the `server` library (`lib.rs`); this file only
//! picks the allocator, reads the command line and the configuration, and starts the logs.

use std::process::ExitCode;

use app::config::Config;
use clap::Parser;
use server::cli::{Cli, Command};

/// mimalloc instead of glibc's malloc: a page render is thousands of small allocations, and
/// glibc's malloc/free were ~40 % of a sign-in page's instructions (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Healthcheck(args)) = &cli.command {
        // Needs only the listen address: a health check must not fail on a setting it does
        // not use. 0 healthy, 1 not (what a container runtime expects).
        let listen = match Config::listen_from_env() {
            Ok(l) => l,
            Err(e) => {
                eprintln!("unhealthy: {e}");
                return ExitCode::from(1);
            }
        };
        return match server::cli::healthcheck(args, listen).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("unhealthy: {e}");
                ExitCode::from(1)
            }
        };
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let _traces = server::init_tracing(&config);
    match server::cli::run(cli.command.unwrap_or(Command::Serve), config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
