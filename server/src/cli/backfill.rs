//! `portal ingest RESOURCE FILE.jsonl`: the operator's backfill. One record per line, in the
//! ingestion API's JSON (`app::ingest::wire`), sent through the same service as the API in
//! batches of up to 1,000, each all or nothing. The number of lines stored so far is kept
//! in `FILE.jsonl.position` after every batch, so a run that stops (a bad record, a
//! database that went away, Ctrl-C) starts again where it stopped; sending a stored record
//! again is harmless anyway (it is answered "unchanged").

use std::{
    io::{BufRead, Write},
    path::{Path, PathBuf},
    time::Instant,
};

use app::{
    auth::OperatorAccess,
    db::Db,
    ingest::{
        check::decode,
        service,
        wire::{BatchResult, RecordError, MAX_BATCH},
        Incoming, Rejected, OPERATOR_SOURCE,
    },
};
use serde::de::DeserializeOwned;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    Sessions,
    Facilities,
    AppUsers,
    Invoices,
}

#[derive(clap::Args, Debug, Clone)]
pub struct IngestArgs {
    /// What the file holds, one record per line.
    #[arg(value_enum)]
    pub resource: Resource,
    /// The JSON Lines file.
    pub file: PathBuf,
    /// Records per batch (at most 1,000).
    #[arg(long, default_value_t = MAX_BATCH)]
    pub batch: usize,
    /// Start from the first line, ignoring the saved position.
    #[arg(long)]
    pub restart: bool,
    /// No progress line (for logs).
    #[arg(long)]
    pub quiet: bool,
}

/// What a run did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub skipped_lines: usize,
    pub result: BatchResult,
}

fn position_file(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".position");
    PathBuf::from(name)
}

fn decode_line<T: DeserializeOwned>(index: usize, line: &str) -> Incoming<T> {
    match serde_json::from_str::<serde_json::Value>(line) {
        Ok(value) => decode(index, value),
        Err(e) => Err(vec![RecordError {
            index,
            field: String::new(),
            reason: format!("not JSON: {e}"),
        }]),
    }
}

async fn send(
    db: &Db,
    access: &OperatorAccess,
    resource: Resource,
    lines: &[String],
) -> Result<BatchResult, Rejected> {
    fn all<T: DeserializeOwned>(lines: &[String]) -> Vec<Incoming<T>> {
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| decode_line(i, l))
            .collect()
    }
    match resource {
        Resource::Sessions => service::sessions(db, access, OPERATOR_SOURCE, all(lines)).await,
        Resource::Facilities => service::facilities(db, access, all(lines)).await,
        Resource::AppUsers => service::app_users(db, access, all(lines)).await,
        Resource::Invoices => service::invoices(db, access, OPERATOR_SOURCE, all(lines)).await,
    }
}

/// Runs a backfill; a refused batch stops it with every problem named by its line number.
pub async fn run(db: &Db, args: &IngestArgs) -> Result<Summary, Box<dyn std::error::Error>> {
    if args.batch == 0 || args.batch > MAX_BATCH {
        return Err(format!("--batch must be 1 to {MAX_BATCH}").into());
    }
    let open = || {
        std::fs::File::open(&args.file)
            .map(std::io::BufReader::new)
            .map_err(|e| format!("{}: {e}", args.file.display()))
    };
    let total = open()?.lines().count();
    let position_path = position_file(&args.file);
    let start = if args.restart {
        0
    } else {
        std::fs::read_to_string(&position_path)
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
            .unwrap_or(0)
    };
    let access = OperatorAccess::command_line();
    let began = Instant::now();
    let mut summary = Summary {
        skipped_lines: start.min(total),
        ..Default::default()
    };
    let mut done = start;
    let mut lines = open()?.lines().skip(start);
    loop {
        // Blank lines count (so line numbers stay the file's) but are not records.
        let mut batch = Vec::with_capacity(args.batch);
        let mut numbers = Vec::with_capacity(args.batch);
        let mut read = 0;
        while batch.len() < args.batch {
            let Some(line) = lines.next() else { break };
            let line = line.map_err(|e| format!("{}: {e}", args.file.display()))?;
            read += 1;
            if !line.trim().is_empty() {
                numbers.push(done + read);
                batch.push(line);
            }
        }
        if read == 0 {
            break;
        }
        if !batch.is_empty() {
            match send(db, &access, args.resource, &batch).await {
                Ok(r) => {
                    summary.result.inserted += r.inserted;
                    summary.result.updated += r.updated;
                    summary.result.unchanged += r.unchanged;
                    summary.result.outdated += r.outdated;
                }
                Err(Rejected::Invalid(errors)) => {
                    let list = errors
                        .iter()
                        .map(|e| {
                            let field = if e.field.is_empty() {
                                "record"
                            } else {
                                &e.field
                            };
                            format!("  line {}: {field}: {}", numbers[e.index], e.reason)
                        })
                        .collect::<Vec<_>>()
                        .join("\n");
                    return Err(format!(
                        "lines {}–{} were refused, nothing of them stored; {} lines stored before them (run again to resume there):\n{list}",
                        done + 1,
                        done + read,
                        done
                    )
                    .into());
                }
                Err(Rejected::Db(e)) => {
                    return Err(format!(
                        "the database failed after {done} lines (run again to resume there): {e}"
                    )
                    .into())
                }
            }
        }
        done += read;
        std::fs::write(&position_path, format!("{done}\n"))
            .map_err(|e| format!("{}: {e}", position_path.display()))?;
        if !args.quiet {
            let rate = (done - start) as f64 / began.elapsed().as_secs_f64().max(0.001);
            let mut err = std::io::stderr();
            let _ = write!(
                err,
                "\r{done}/{total} lines ({:.0} %), {rate:.0} records/s   ",
                done as f64 * 100.0 / total.max(1) as f64
            );
            let _ = err.flush();
        }
    }
    if !args.quiet {
        eprintln!();
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use app::{db::Backend, testing::TestDb};

    use super::*;

    fn facility(n: usize, version: i64) -> String {
        format!(
            r#"{{"id": "F-{n}", "version": {version}, "name": "Garage {n}", "address": "Gatan {n}", "city": "Uppsala", "kind": "surface", "company_account": "yes"}}"#
        )
    }

    #[tokio::test]
    async fn a_backfill_resumes_where_a_bad_line_stopped_it() {
        let t = TestDb::fresh(Backend::Sqlite).await;
        let dir = std::env::temp_dir().join(format!("portal-backfill-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("facilities.jsonl");
        // 7 records in batches of 3; line 5 (the second batch) is bad.
        let mut lines: Vec<String> = (1..=7).map(|n| facility(n, 1)).collect();
        lines[4] = r#"{"id": "F-5", "version": 1, "name": "", "address": "x", "city": "y", "kind": "surface", "company_account": "no"}"#.into();
        std::fs::write(&file, lines.join("\n")).unwrap();
        let args = IngestArgs {
            resource: Resource::Facilities,
            file: file.clone(),
            batch: 3,
            restart: false,
            quiet: true,
        };
        let err = run(&t.db, &args).await.unwrap_err().to_string();
        assert!(err.contains("line 5: name: must not be empty"), "{err}");
        assert!(err.contains("line 5: company_account_note"), "{err}");
        assert_eq!(
            std::fs::read_to_string(position_file(&file))
                .unwrap()
                .trim(),
            "3",
            "the first batch is stored and remembered"
        );

        // Mended, the run resumes at line 4 and the first three are not sent again.
        lines[4] = facility(5, 1);
        std::fs::write(&file, lines.join("\n")).unwrap();
        let summary = run(&t.db, &args).await.unwrap();
        assert_eq!(summary.skipped_lines, 3);
        assert_eq!(summary.result.inserted, 4);

        // From the start again: everything is answered unchanged.
        let again = run(
            &t.db,
            &IngestArgs {
                restart: true,
                ..args
            },
        )
        .await
        .unwrap();
        assert_eq!(again.result.unchanged, 7);
        assert_eq!(again.result.inserted + again.result.updated, 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
