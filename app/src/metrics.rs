//! The portal's metrics: every name and label an operator scrapes, in one place
//! (docs/operations.md, "Metrics", lists them with what to look at). The domains and the
//! server record through these functions, never through the `metrics` macros with a name of
//! their own, so a name cannot drift from the alert rules in `deploy/prometheus/`.
//!
//! Labels are bounded by construction: route templates, status classes, outcomes, job and
//! outbox names, `&'static str` only. Never a company id, an address, a plate or a code.
//!
//! Recording is cheap and does nothing until a recorder is installed (`server::observe`), so
//! tests and commands that do not scrape pay nothing.

use std::time::Duration;

use metrics::{counter, gauge, histogram};

pub const HTTP_REQUESTS: &str = "portal_http_requests_total";
pub const HTTP_DURATION: &str = "portal_http_request_duration_seconds";
pub const SIGNIN_CODES_SENT: &str = "portal_signin_codes_sent_total";
pub const SIGNIN_REFUSED: &str = "portal_signin_refused_total";
pub const RATE_LIMITED: &str = "portal_rate_limited_total";
pub const SESSIONS_STARTED: &str = "portal_sessions_started_total";
pub const SESSIONS_ENDED: &str = "portal_sessions_ended_total";
pub const OUTBOX_DELIVERIES: &str = "portal_outbox_deliveries_total";
pub const OUTBOX_DEPTH: &str = "portal_outbox_depth";
pub const OUTBOX_OLDEST_DUE: &str = "portal_outbox_oldest_due_age_seconds";
pub const INGEST_RECORDS: &str = "portal_ingest_records_total";
pub const INGEST_BATCHES_REFUSED: &str = "portal_ingest_batches_refused_total";
pub const INGEST_BATCH_DURATION: &str = "portal_ingest_batch_duration_seconds";
pub const ROLLUP_UPKEEP_DURATION: &str = "portal_rollup_upkeep_duration_seconds";
pub const REPORTS_QUEUED: &str = "portal_reports_queued_total";
pub const JOB_RUNS: &str = "portal_job_runs_total";
pub const JOB_DURATION: &str = "portal_job_duration_seconds";
pub const JOB_LAST_SUCCESS: &str = "portal_job_last_success_timestamp_seconds";
pub const DB_POOL_CONNECTIONS: &str = "portal_db_pool_connections";
pub const DB_POOL_MAX: &str = "portal_db_pool_max_connections";
pub const DB_BEGIN_DURATION: &str = "portal_db_begin_duration_seconds";
pub const DB_POOL_TIMEOUTS: &str = "portal_db_pool_timeouts_total";
pub const DB_READS: &str = "portal_db_reads_total";
pub const DB_REPLICA_READ_FAILURES: &str = "portal_db_replica_read_failures_total";
pub const DB_REPLICA_USABLE: &str = "portal_db_replica_usable";
pub const DB_REPLICA_LAG: &str = "portal_db_replica_lag_bytes";
pub const READY: &str = "portal_ready";
pub const SEND_BUDGET: &str = "portal_signin_send_budget_per_hour";
pub const BUILD_INFO: &str = "portal_build_info";

/// Every metric with its help text, for `# HELP` lines (`server::observe::install`).
pub const DESCRIPTIONS: &[(&str, &str)] = &[
    (HTTP_REQUESTS, "HTTP requests answered, by route template, method and status class"),
    (HTTP_DURATION, "Time to answer an HTTP request, by route template, method and status class"),
    (SIGNIN_CODES_SENT, "Sign-in codes put in the mail outbox"),
    (SIGNIN_REFUSED, "Sign-in requests refused, by limit (send: per client/address limits; budget: the deployment's hourly send budget; verify: code attempts)"),
    (RATE_LIMITED, "Requests refused with 429 by any limit, by limit"),
    (SESSIONS_STARTED, "Signed-in sessions started"),
    (SESSIONS_ENDED, "Signed-in sessions ended, by reason"),
    (OUTBOX_DELIVERIES, "Outbox deliveries, by outbox, kind (a mail's kind, or permit) and outcome (sent, retried, failed)"),
    (OUTBOX_DEPTH, "Messages waiting in an outbox (due or not), at scrape time"),
    (OUTBOX_OLDEST_DUE, "Age of the oldest message that is due and not yet sent, at scrape time (0 when none)"),
    (INGEST_RECORDS, "Records the ingestion API accepted, by resource and outcome"),
    (INGEST_BATCHES_REFUSED, "Ingestion batches refused whole, by resource and reason"),
    (INGEST_BATCH_DURATION, "Time to store an accepted ingestion batch, by resource"),
    (ROLLUP_UPKEEP_DURATION, "Time spent keeping the cost rollups up to date, per batch of sessions"),
    (REPORTS_QUEUED, "Monthly cost reports put in the mail outbox"),
    (JOB_RUNS, "Background job runs, by task and outcome (ok, failed)"),
    (JOB_DURATION, "Background job run time, by task"),
    (JOB_LAST_SUCCESS, "Unix time of the last successful run of a background job"),
    (DB_POOL_CONNECTIONS, "Database pool connections, by state (in_use, idle), at scrape time"),
    (DB_POOL_MAX, "The database pool's maximum number of connections"),
    (DB_BEGIN_DURATION, "Time to take a pooled connection and open a transaction (every write); grows when the pool is exhausted (on SQLite, also the wait for the write lock)"),
    (DB_POOL_TIMEOUTS, "Requests that found no free database connection within the pool's wait (answered 503)"),
    (DB_READS, "Reads that may be a moment old (history, costs, invoices, facilities, export), by target (replica, primary); counted only with DATABASE_READ_URLS"),
    (DB_REPLICA_READ_FAILURES, "Reads that failed on a replica and ran again on the primary, by replica"),
    (DB_REPLICA_USABLE, "1 while a replica takes reads (reachable, a standby, within PORTAL_READ_MAX_LAG_MS), by replica"),
    (DB_REPLICA_LAG, "WAL bytes the primary has written that a replica had not replayed, at its last check, by replica"),
    (READY, "1 when this instance would answer /readyz with 200 (database reachable, schema current), at scrape time"),
    (SEND_BUDGET, "PORTAL_SEND_BUDGET: sign-in codes the deployment sends per hour at most"),
    (BUILD_INFO, "Always 1; the version and commit of the running binary as labels"),
];

/// `2xx`, `4xx`, … of a status code.
pub fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// One answered HTTP request. `route` is the router's template (`/members`, `/api/invite`,
/// `/lang/{code}`), or `unmatched` for what the fallback answered.
pub fn http_request(route: &str, method: &'static str, status: u16, took: Duration) {
    // On every request: the static labels are not copied, only the route is.
    let labels = [
        metrics::Label::new("route", route.to_owned()),
        metrics::Label::from_static_parts("method", method),
        metrics::Label::from_static_parts("status", status_class(status)),
    ];
    counter!(HTTP_REQUESTS, labels.iter()).increment(1);
    histogram!(HTTP_DURATION, labels.iter()).record(took.as_secs_f64());
}

/// Why a sign-in step was refused.
#[derive(Debug, Clone, Copy)]
pub enum SignInLimit {
    /// The per-client and per-address limits on asking for a code.
    Send,
    /// The deployment's hourly send budget (a code was due but not sent).
    Budget,
    /// The attempts at typing a code.
    Verify,
}

impl SignInLimit {
    fn label(self) -> &'static str {
        match self {
            SignInLimit::Send => "send",
            SignInLimit::Budget => "budget",
            SignInLimit::Verify => "verify",
        }
    }
}

pub fn signin_code_sent() {
    counter!(SIGNIN_CODES_SENT).increment(1);
}

pub fn signin_refused(limit: SignInLimit) {
    counter!(SIGNIN_REFUSED, "limit" => limit.label()).increment(1);
}

/// A request answered 429; `limit` names which (`signin_send`, `signin_verify`, `guests`,
/// `invitations`, …).
pub fn rate_limited(limit: &'static str) {
    counter!(RATE_LIMITED, "limit" => limit).increment(1);
}

pub fn session_started() {
    counter!(SESSIONS_STARTED).increment(1);
}

/// `n` sessions ended: `signed_out`, `expired` (pruned after their idle or absolute
/// limit), `membership_ended` (removed, or a membership brought back by a new invitation).
pub fn sessions_ended(reason: &'static str, n: u64) {
    counter!(SESSIONS_ENDED, "reason" => reason).increment(n);
}

/// An outbox delivery's outcome.
#[derive(Debug, Clone, Copy)]
pub enum Delivery {
    Sent,
    /// Failed this time, tried again later.
    Retried,
    /// Failed for good (permanent error or out of tries).
    Failed,
}

/// One delivery of an outbox message. `kind` is the mail's kind (`sign_in_code`,
/// `invitation`, `monthly_report`, `welcome_owner`; anything else is `other`) or `permit`.
pub fn outbox_delivery(outbox: &'static str, kind: &str, outcome: Delivery) {
    let outcome = match outcome {
        Delivery::Sent => "sent",
        Delivery::Retried => "retried",
        Delivery::Failed => "failed",
    };
    let kind = match kind {
        "sign_in_code" => "sign_in_code",
        "invitation" => "invitation",
        "monthly_report" => "monthly_report",
        "welcome_owner" => "welcome_owner",
        "permit" => "permit",
        _ => "other",
    };
    counter!(OUTBOX_DELIVERIES, "outbox" => outbox, "kind" => kind, "outcome" => outcome)
        .increment(1);
}

/// An outbox's depth and the age of its oldest due message, as read at scrape time.
pub fn outbox_state(outbox: &'static str, depth: i64, oldest_due_age: i64) {
    gauge!(OUTBOX_DEPTH, "outbox" => outbox).set(depth as f64);
    gauge!(OUTBOX_OLDEST_DUE, "outbox" => outbox).set(oldest_due_age.max(0) as f64);
}

/// `n` records of an accepted batch with one outcome (`inserted`, `updated`, `unchanged`,
/// `outdated`).
pub fn ingest_records(resource: &'static str, outcome: &'static str, n: u64) {
    if n > 0 {
        counter!(INGEST_RECORDS, "resource" => resource, "outcome" => outcome).increment(n);
    }
}

/// A batch refused whole: `invalid` (422), `busy` (503), `failed` (500).
pub fn ingest_batch_refused(resource: &'static str, reason: &'static str) {
    counter!(INGEST_BATCHES_REFUSED, "resource" => resource, "reason" => reason).increment(1);
}

pub fn ingest_batch_stored(resource: &'static str, took: Duration) {
    histogram!(INGEST_BATCH_DURATION, "resource" => resource).record(took.as_secs_f64());
}

pub fn rollup_upkeep(took: Duration) {
    histogram!(ROLLUP_UPKEEP_DURATION).record(took.as_secs_f64());
}

pub fn reports_queued(n: u64) {
    counter!(REPORTS_QUEUED).increment(n);
}

/// One run of a background job (an outbox round or a periodic job). `now` is the Unix time
/// the run ended, for the "not run for a while" alert.
pub fn job_run(job: &'static str, ok: bool, took: Duration, now: i64) {
    // `task`, not `job`: Prometheus gives every scraped series its own `job` label.
    counter!(JOB_RUNS, "task" => job, "outcome" => if ok { "ok" } else { "failed" }).increment(1);
    histogram!(JOB_DURATION, "task" => job).record(took.as_secs_f64());
    if ok {
        gauge!(JOB_LAST_SUCCESS, "task" => job).set(now as f64);
    }
}

/// The pool's connections, as read at scrape time.
pub fn db_pool(in_use: u32, idle: u32, max: u32) {
    gauge!(DB_POOL_CONNECTIONS, "state" => "in_use").set(f64::from(in_use));
    gauge!(DB_POOL_CONNECTIONS, "state" => "idle").set(f64::from(idle));
    gauge!(DB_POOL_MAX).set(f64::from(max));
}

/// A transaction opened (`Db::begin`): the wait for a connection plus `BEGIN`. sqlx does not
/// report the wait alone; with a round trip of ~0.1 ms this is the pool's wait.
pub fn db_begin(took: Duration) {
    histogram!(DB_BEGIN_DURATION).record(took.as_secs_f64());
}

/// No connection was free within the pool's wait (`sqlx::Error::PoolTimedOut`).
pub fn db_pool_timeout() {
    counter!(DB_POOL_TIMEOUTS).increment(1);
}

/// A read sent to a replica or to the primary (`crate::replicas`).
pub fn db_read(target: &'static str) {
    counter!(DB_READS, "target" => target).increment(1);
}

pub fn db_replica_read_failed(replica: &'static str) {
    counter!(DB_REPLICA_READ_FAILURES, "replica" => replica).increment(1);
}

pub fn db_replica_usable(replica: &'static str, usable: bool) {
    gauge!(DB_REPLICA_USABLE, "replica" => replica).set(if usable { 1.0 } else { 0.0 });
}

pub fn db_replica_lag(replica: &'static str, bytes: u64) {
    gauge!(DB_REPLICA_LAG, "replica" => replica).set(bytes as f64);
}

/// What `/readyz` would answer, and the configured send budget, as read at scrape time.
pub fn readiness(ready: bool, send_budget_per_hour: i64) {
    gauge!(READY).set(if ready { 1.0 } else { 0.0 });
    gauge!(SEND_BUDGET).set(send_budget_per_hour as f64);
}

pub fn build_info(version: &'static str, commit: &'static str) {
    gauge!(BUILD_INFO, "version" => version, "commit" => commit).set(1.0);
}
