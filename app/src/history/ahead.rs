//! Read-ahead for the CSV export. When the server hands out chunk n of an export it starts
//! building chunk n+1 at once, in its own task, so the database works while chunk n is
//! compressed, travels to the browser and is decoded there. The browser's next request (which
//! carries the signed cursor of chunk n+1) picks the finished chunk up instead of starting
//! from nothing.
//!
//! What is kept is bounded: at most [`MAX_AHEAD`] chunks in the whole process, none older than
//! [`KEEP`] (an export that was cancelled leaves one chunk behind until then). An entry is
//! found only under its key — the session's token hash and the signed cursor, whose MAC
//! already binds session and filter — and the request that takes it has passed the session,
//! CSRF and membership checks like any other, and must have resolved exactly the filter the
//! chunk was built for (a role that changed in between changes it: the chunk is dropped). Another server instance simply finds nothing
//! and builds the chunk itself: the read-ahead changes when a chunk is built, never what is in
//! it.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::task::JoinHandle;

use super::{
    filter::Filter,
    store::{self, ExportNames},
    ExportChunk,
};
use crate::db::Db;

/// Chunks built ahead, in the whole process (each holds up to `EXPORT_CHUNK` rows, ~1 MB).
pub const MAX_AHEAD: usize = 16;
/// How long a chunk built ahead waits for its request.
pub const KEEP: Duration = Duration::from_secs(120);

type Built = Result<(ExportChunk, ExportNames), sqlx::Error>;

#[derive(Clone, Debug, Default)]
pub struct ReadAhead(Arc<Mutex<Waiting>>);

#[derive(Debug, Default)]
struct Waiting {
    /// Numbers the entries in the order they were started (the oldest goes first).
    started: u64,
    chunks: HashMap<String, Entry>,
}

#[derive(Debug)]
struct Entry {
    n: u64,
    at: Instant,
    /// The filter the chunk is built for: taken only by a request that resolves the same.
    filter: Filter,
    task: JoinHandle<Built>,
}

impl ReadAhead {
    /// The key of the chunk that starts at `signed_cursor` for this session.
    pub fn key(session_hash: &[u8], signed_cursor: &str) -> String {
        let mut key = crate::crypto::hex(session_hash);
        key.push('/');
        key.push_str(signed_cursor);
        key
    }

    /// Starts building the chunk `f` describes (its `after` is the cursor) under `key`, with
    /// the names the export has looked up so far.
    pub fn start(&self, key: String, db: Db, f: Filter, mut names: ExportNames) {
        let filter = f.clone();
        // In the request's span, so its log lines carry the request's id.
        let work = async move {
            let chunk = store::export_chunk_with(&db, &f, &mut names).await?;
            Ok((chunk, names))
        };
        let task = tokio::spawn(tracing::Instrument::instrument(
            work,
            tracing::Span::current(),
        ));
        let mut w = self.0.lock().unwrap_or_else(|e| e.into_inner());
        w.chunks.retain(|_, e| {
            let keep = e.at.elapsed() < KEEP;
            if !keep {
                e.task.abort();
            }
            keep
        });
        while w.chunks.len() >= MAX_AHEAD {
            let Some(oldest) = w
                .chunks
                .iter()
                .min_by_key(|(_, e)| e.n)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(e) = w.chunks.remove(&oldest) {
                e.task.abort();
            }
        }
        w.started += 1;
        let n = w.started;
        let at = Instant::now();
        if let Some(old) = w.chunks.insert(
            key,
            Entry {
                n,
                at,
                filter,
                task,
            },
        ) {
            old.task.abort();
        }
    }

    /// The chunk built ahead under `key` (and the names known after it), once it is
    /// finished — only if it was built for exactly the filter `f` this request resolved
    /// (a role changed since the chunk was started, say from admin to member, changes the
    /// filter, and the chunk is thrown away). `None` when there is none (or building it
    /// failed: the caller then builds it itself and reports its own error).
    pub async fn take(&self, key: &str, f: &Filter) -> Option<(ExportChunk, ExportNames)> {
        let entry = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .chunks
            .remove(key)?;
        if entry.filter != *f {
            entry.task.abort();
            return None;
        }
        let task = entry.task;
        match task.await {
            Ok(Ok(built)) => Some(built),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "an export chunk built ahead failed; building it again");
                None
            }
            Err(_) => None,
        }
    }

    /// Chunks waiting (for tests).
    pub fn len(&self) -> usize {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .chunks
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
