//! The server's benchmarks: one binary (`harness = false`), one module per subject, each a
//! function that prints a Markdown table for docs/benchmarks.md. Run through make:
//!
//! | make | here |
//! |---|---|
//! | `make bench-auth` | `cargo bench -p server --bench portal -- auth` |
//! | `make bench-history` | `… -- history` (after `make bench-demo`) |
//! | `make bench-export` | `… -- export-server` (its server-side half) |
//! | `make bench-ingest` | `… -- ingest` |
//! | `make bench-members-import` | `… -- members-import` |
//! | `make bench-frontdesk` | `… -- frontdesk` |

mod auth;
mod frontdesk;
mod history;
mod ingest;
mod members;

/// The server's allocator (server/src/main.rs), so that a benchmark measures what runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // `cargo bench` passes `--bench`; the first other argument names the benchmark.
    let name = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    match name.as_deref() {
        Some("auth") => runtime.block_on(auth::bench_sign_in_endpoints()),
        Some("history") => runtime.block_on(history::bench_history()),
        Some("export-server") => runtime.block_on(history::bench_export_server()),
        Some("ingest") => runtime.block_on(ingest::bench_ingest()),
        Some("members-import") => runtime.block_on(members::bench_bulk_import()),
        Some("frontdesk") => runtime.block_on(frontdesk::bench_front_desk()),
        _ => {
            eprintln!("usage: cargo bench -p server --bench portal -- auth|history|export-server|ingest|members-import|frontdesk");
            std::process::exit(2);
        }
    }
}
