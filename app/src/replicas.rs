//! Read replicas: PostgreSQL hot standbys (`DATABASE_READ_URLS`) that take the reads which may
//! be a moment old — the history, the costs, the invoices, the facilities, the export's
//! chunks — off the primary. Everything else (sessions, sign-in, every write, the audit log,
//! the reads that decide a write) stays on `DATABASE_URL`.
//!
//! Three rules keep a replica invisible to the person using the portal:
//!
//! 1. **Never behind by more than a bound.** A watcher ([`Reads::connect`] starts it) asks the
//!    primary for its WAL position and every replica for the position it has replayed, every
//!    [`CHECK_EVERY`]. A replica is *usable* while it has replayed everything the primary had
//!    written `PORTAL_READ_MAX_LAG_MS` ago (default 1 s) and its last check is recent; an
//!    unreachable, promoted or lagging replica is skipped until a check finds it well again.
//! 2. **A person sees their own writes.** After a request that may have written (any method but
//!    GET and HEAD), the server reads the primary's WAL position and hands it back in the
//!    `__Host-portal_wal` cookie ([`COOKIE`], `server::http::replicas`). A read that carries it
//!    ([`ReadAfter`]) goes only to a replica that has replayed that far, else to the primary. The
//!    cookie lives for the lag bound plus a margin ([`Reads::cookie_max_age`]): by then every
//!    usable replica has the write anyway. A forged value can only send its own reads to
//!    the primary or to a replica a second behind; it opens nothing.
//! 3. **A failing replica costs no request.** A read that fails on a replica for a reason of the
//!    database (down, shutting down, a query cancelled by a recovery conflict) is run again on
//!    the primary at once, and the replica is skipped until its next good check.
//!
//! Without replicas (SQLite, or none configured) [`Reads::run`] is the primary and nothing
//! else happens: no watcher, no cookie, no extra query.

use std::{
    collections::VecDeque,
    future::Future,
    str::FromStr,
    sync::{
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
        Arc, Mutex, Weak,
    },
    time::{Duration, Instant},
};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::{db::Db, error::AppError};

/// The cookie that carries the primary's WAL position after a person's write.
pub const COOKIE: &str = "__Host-portal_wal";
/// How often the watcher checks the replicas.
pub const CHECK_EVERY: Duration = Duration::from_millis(100);
/// A check that takes longer than this counts as failed (the replica is skipped).
const CHECK_TIMEOUT: Duration = Duration::from_millis(500);
/// A replica whose last good check is older than this is skipped (the watcher is stuck).
const STALE_AFTER: Duration = Duration::from_secs(2);

/// The primary's WAL position (bytes since the start of the WAL) after a person's last write,
/// from the request's [`COOKIE`]. Reads of that request see at least that write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadAfter(pub u64);

/// Where reads go: the primary and the replicas, with what the watcher last saw of them.
/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct Reads(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    primary: Db,
    replicas: Vec<Replica>,
    max_lag: Duration,
    /// Round robin among the usable replicas.
    next: AtomicUsize,
    /// The primary's WAL positions at the last checks, oldest first, kept for a little over
    /// `max_lag`: the position a usable replica must have replayed is the one of `max_lag` ago.
    written: Mutex<VecDeque<(Instant, u64)>>,
    /// Reads served so far: by a replica, by the primary (tests and benchmarks read them;
    /// operators have `portal_db_reads_total`).
    served: [AtomicU64; 2],
}

#[derive(Debug)]
struct Replica {
    /// `replica1`, `replica2`, … in the order of `DATABASE_READ_URLS`: metrics and logs (never
    /// the URL, which may hold a password).
    name: &'static str,
    /// The URL without its password, for the log lines.
    shown: String,
    db: Db,
    usable: AtomicBool,
    /// The WAL position it had replayed at its last good check.
    replayed: AtomicU64,
    /// When that check was, as milliseconds since the watcher started.
    checked_ms: AtomicU64,
}

/// A read's error that may be the replica's fault rather than the request's: the read is
/// then run again on the primary.
pub trait ReplicaFault {
    fn replica_fault(&self) -> bool;
}

impl ReplicaFault for sqlx::Error {
    /// Anything but what the same query would meet on the primary: a connection lost halfway
    /// shows up as I/O, protocol or pool errors, a standby cancels queries that conflict with
    /// the WAL it replays (40001), and so on — only a row that is not there, a value that does
    /// not decode and the query's own mistakes (SQLSTATE classes 22 and 42) are the request's.
    fn replica_fault(&self) -> bool {
        match self {
            sqlx::Error::RowNotFound
            | sqlx::Error::ColumnNotFound(_)
            | sqlx::Error::ColumnIndexOutOfBounds { .. }
            | sqlx::Error::ColumnDecode { .. }
            | sqlx::Error::Decode(_)
            | sqlx::Error::TypeNotFound { .. }
            | sqlx::Error::InvalidArgument(_) => false,
            sqlx::Error::Database(e) => !e
                .code()
                .is_some_and(|c| c.starts_with("22") || c.starts_with("42")),
            _ => true,
        }
    }
}

impl ReplicaFault for AppError {
    fn replica_fault(&self) -> bool {
        // A database error has been classified already: unavailable, or internal (logged with
        // its cause). Refusals (invalid, not found, …) would be the same on the primary.
        matches!(self, AppError::Unavailable | AppError::Internal { .. })
    }
}

/// `postgres://user:secret@host/db` without the secret, for messages.
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let auth = &url[scheme + 3..at];
            let user = auth.split(':').next().unwrap_or("");
            format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

impl Reads {
    /// Every read on the primary (SQLite, or no replicas configured).
    pub fn primary_only(primary: Db) -> Self {
        Reads(Arc::new(Inner {
            primary,
            replicas: Vec::new(),
            max_lag: Duration::ZERO,
            next: AtomicUsize::new(0),
            written: Mutex::default(),
            served: Default::default(),
        }))
    }

    /// The primary and the replicas `urls` names, and the watcher that checks them (a task that
    /// ends when the last clone of the returned value is dropped). Connections are opened on
    /// first use: a replica that is down at start is skipped, never an error.
    pub fn connect(primary: Db, urls: &[String], max_lag: Duration) -> Result<Self, sqlx::Error> {
        let mut replicas = Vec::with_capacity(urls.len());
        for (i, url) in urls.iter().enumerate() {
            let opts = PgConnectOptions::from_str(url)?
                .extra_float_digits(None)
                .application_name("portal-reads");
            // A replica that cannot give a connection quickly is not waited for: the read
            // goes to the primary. No ping before each use either (sqlx's default): a dead
            // connection fails the read, which then runs on the primary.
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(CHECK_TIMEOUT)
                .test_before_acquire(false)
                .connect_lazy_with(opts);
            replicas.push(Replica {
                name: Box::leak(format!("replica{}", i + 1).into_boxed_str()),
                shown: redacted(url),
                db: Db::Postgres(pool),
                usable: AtomicBool::new(false),
                replayed: AtomicU64::new(0),
                checked_ms: AtomicU64::new(0),
            });
        }
        let reads = Reads(Arc::new(Inner {
            primary,
            replicas,
            max_lag,
            next: AtomicUsize::new(0),
            written: Mutex::default(),
            served: Default::default(),
        }));
        if !reads.0.replicas.is_empty() {
            tokio::spawn(watch(Arc::downgrade(&reads.0)));
        }
        Ok(reads)
    }

    pub fn has_replicas(&self) -> bool {
        !self.0.replicas.is_empty()
    }

    /// How long the [`COOKIE`] is kept: the lag bound, the watcher's check and a margin.
    /// After that any usable replica has replayed the write it marks.
    pub fn cookie_max_age(&self) -> Duration {
        self.0.max_lag + STALE_AFTER + Duration::from_secs(1)
    }

    /// The database a read after `after` may go to now: a usable replica that has replayed
    /// that far (round robin), else the primary. For work that cannot be run again, such as
    /// a chunk built ahead, whose failure only means building it later.
    pub fn pick(&self, after: Option<ReadAfter>) -> Db {
        self.replica_for(after)
            .map_or_else(|| self.0.primary.clone(), |r| r.db.clone())
    }

    fn replica_for(&self, after: Option<ReadAfter>) -> Option<&Replica> {
        let inner = &*self.0;
        if inner.replicas.is_empty() {
            return None;
        }
        let need = after.map_or(0, |a| a.0);
        let now_ms = watcher_ms();
        let n = inner.replicas.len();
        let start = inner.next.fetch_add(1, Ordering::Relaxed);
        (0..n).map(|k| &inner.replicas[(start + k) % n]).find(|r| {
            r.usable.load(Ordering::Acquire)
                && r.replayed.load(Ordering::Acquire) >= need
                && now_ms.saturating_sub(r.checked_ms.load(Ordering::Acquire))
                    < STALE_AFTER.as_millis() as u64
        })
    }

    /// Runs `read` on a usable replica that has replayed `after`, or on the primary; a read
    /// that fails on a replica for the database's sake ([`ReplicaFault`]) runs again on the
    /// primary, and that replica is skipped until its next good check.
    pub async fn run<T, E, F, Fut>(&self, after: Option<ReadAfter>, read: F) -> Result<T, E>
    where
        F: Fn(Db) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: ReplicaFault,
    {
        if let Some(replica) = self.replica_for(after) {
            crate::metrics::db_read("replica");
            self.0.served[0].fetch_add(1, Ordering::Relaxed);
            match read(replica.db.clone()).await {
                Err(e) if e.replica_fault() => {
                    replica.usable.store(false, Ordering::Release);
                    crate::metrics::db_replica_read_failed(replica.name);
                    tracing::warn!(
                        replica = replica.name,
                        "a read failed on the replica: read again on the primary, replica skipped until its next good check"
                    );
                }
                done => return done,
            }
        }
        if self.has_replicas() {
            crate::metrics::db_read("primary");
            self.0.served[1].fetch_add(1, Ordering::Relaxed);
        }
        read(self.0.primary.clone()).await
    }

    /// The primary's WAL position now, for the [`COOKIE`] after a write.
    pub async fn wal_position(&self) -> Result<u64, sqlx::Error> {
        wal_position(&self.0.primary).await
    }

    /// Reads run so far on a replica and on the primary (a replica's failed attempt counts
    /// on both).
    pub fn served(&self) -> (u64, u64) {
        (
            self.0.served[0].load(Ordering::Relaxed),
            self.0.served[1].load(Ordering::Relaxed),
        )
    }

    /// How many replicas take reads now.
    pub fn usable_replicas(&self) -> usize {
        self.0
            .replicas
            .iter()
            .filter(|r| r.usable.load(Ordering::Acquire))
            .count()
    }

    /// One round of checks now (the watcher's; tests call it to not wait for the next).
    pub async fn check_now(&self) {
        check(&self.0, Instant::now()).await;
    }
}

/// Milliseconds since the process's first call: the clock of `checked_ms`.
fn watcher_ms() -> u64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}

async fn wal_position(db: &Db) -> Result<u64, sqlx::Error> {
    match db {
        Db::Postgres(pool) => {
            let (lsn,): (i64,) =
                sqlx::query_as("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint")
                    .fetch_one(pool)
                    .await?;
            Ok(lsn.max(0) as u64)
        }
        // SQLite has no replicas; nothing asks.
        Db::Sqlite(_) => Ok(0),
    }
}

/// What a replica says of itself: whether it is a standby, and how far it has replayed.
async fn replay_position(db: &Db) -> Result<Option<u64>, sqlx::Error> {
    let Db::Postgres(pool) = db else {
        return Ok(None);
    };
    let (standby, replayed): (bool, Option<i64>) = sqlx::query_as(
        "SELECT pg_is_in_recovery(), (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint",
    )
    .fetch_one(pool)
    .await?;
    Ok(replayed.filter(|_| standby).map(|r| r.max(0) as u64))
}

async fn watch(inner: Weak<Inner>) {
    let mut tick = tokio::time::interval(CHECK_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        check(&inner, Instant::now()).await;
    }
}

/// One round: the primary's position, then every replica's, each bounded by
/// [`CHECK_TIMEOUT`]. A replica is usable when it is a standby that has replayed at least
/// what the primary had written `max_lag` ago.
async fn check(inner: &Inner, now: Instant) {
    let primary_now = tokio::time::timeout(CHECK_TIMEOUT, wal_position(&inner.primary)).await;
    let must_have = {
        let mut written = inner.written.lock().unwrap_or_else(|e| e.into_inner());
        if let Ok(Ok(lsn)) = primary_now {
            written.push_back((now, lsn));
        }
        // Keep one entry at least `max_lag` old (the bound) and nothing older than it.
        while written.len() > 1
            && written
                .get(1)
                .is_some_and(|(t, _)| now.duration_since(*t) >= inner.max_lag)
        {
            written.pop_front();
        }
        match written.front() {
            // The newest position at least `max_lag` old; before the watcher has that much
            // history, its oldest, which is stricter.
            Some(&(_, lsn)) => lsn,
            // The primary has not answered yet: nothing to measure a replica against.
            None => u64::MAX,
        }
    };
    let newest = match primary_now {
        Ok(Ok(lsn)) => Some(lsn),
        _ => None,
    };
    let checks = inner.replicas.iter().map(|r| async move {
        let seen = tokio::time::timeout(CHECK_TIMEOUT, replay_position(&r.db)).await;
        (r, seen)
    });
    for (r, seen) in futures::future::join_all(checks).await {
        let was = r.usable.load(Ordering::Acquire);
        let (usable, why) = match seen {
            Ok(Ok(Some(replayed))) => {
                r.replayed.store(replayed, Ordering::Release);
                r.checked_ms.store(watcher_ms(), Ordering::Release);
                if let Some(newest) = newest {
                    crate::metrics::db_replica_lag(r.name, newest.saturating_sub(replayed));
                }
                if replayed >= must_have {
                    (true, "")
                } else {
                    (false, "behind by more than PORTAL_READ_MAX_LAG_MS")
                }
            }
            Ok(Ok(None)) => (false, "not a standby (promoted?)"),
            Ok(Err(_)) => (false, "unreachable"),
            Err(_) => (false, "no answer in time"),
        };
        r.usable.store(usable, Ordering::Release);
        crate::metrics::db_replica_usable(r.name, usable);
        if usable != was {
            if usable {
                tracing::info!(replica = r.name, url = %r.shown, "replica usable: reads go to it");
            } else {
                tracing::warn!(replica = r.name, url = %r.shown, why, "replica skipped: reads go elsewhere");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_their_password() {
        assert_eq!(
            redacted("postgres://portal:s3cret@db2:5432/portal?sslmode=require"),
            "postgres://portal@db2:5432/portal?sslmode=require"
        );
        assert_eq!(redacted("postgres://db2/portal"), "postgres://db2/portal");
    }

    #[test]
    fn replica_faults_are_the_databases_not_the_requests() {
        assert!(sqlx::Error::PoolTimedOut.replica_fault());
        assert!(AppError::Unavailable.replica_fault());
        assert!(AppError::internal().replica_fault());
        assert!(!AppError::NotFound.replica_fault());
        assert!(!sqlx::Error::RowNotFound.replica_fault());
    }
}
