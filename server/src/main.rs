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
