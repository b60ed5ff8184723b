//! Configuration from environment variables, validated once at start. An error names the
//! variable and says what is wrong with it. The defaults serve the embedded case: SQLite
//! under `data/`, the dev mailer, demo data, 127.0.0.1:3000.
//!
//! - [`vars`]: reading one variable and checking it (each error names its variable);
//! - [`keys`]: the ingestion API's keys and the operator's permit endpoint (never printed);
//! - [`proxy`]: which `X-Forwarded-For` entries are believed (trusted proxies).

mod keys;
mod proxy;
mod vars;

use std::{
    collections::HashMap,
    net::SocketAddr,
    path::{Path, PathBuf},
};

pub use keys::{IngestKeys, OperatorBackOffice};
pub use proxy::{client_ip, Cidr};
use vars::{is_local_origin, origin, Vars};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite:…` or `postgres://…`.
    pub database_url: String,
    /// `PORTAL_MIGRATION_DATABASE_URL`: where `portal migrate` applies the migrations, when it
    /// must not go through the pooler `DATABASE_URL` names (sqlx's migrator holds a
    /// session-level advisory lock). PostgreSQL only; unset, `DATABASE_URL`.
    pub migration_database_url: Option<String>,
    /// `DATABASE_READ_URLS`: hot standbys of the PostgreSQL primary (streaming replicas),
    /// separated by commas or spaces. The reads that may be a moment old (history, costs,
    /// invoices, facilities, export chunks) go to one of them (`crate::replicas`). PostgreSQL
    /// only; empty, every read goes to `DATABASE_URL`.
    pub database_read_urls: Vec<String>,
    /// `PORTAL_READ_MAX_LAG_MS`: a replica further behind the primary than this is skipped
    /// until it catches up (default 1000 ms).
    pub read_max_lag: std::time::Duration,
    /// `PORTAL_DRAIN_SECONDS`: after SIGTERM, how long `/readyz` answers 503 while requests are
    /// still served, so the load balancer takes the instance out before it stops listening
    /// (default 5; 0 on a local run, where Ctrl-C should be instant).
    pub drain: std::time::Duration,
    /// `PORTAL_SHUTDOWN_TIMEOUT`: after the drain, how long requests in flight may take to
    /// finish before the instance exits anyway (default 20 s).
    pub shutdown_timeout: std::time::Duration,
    /// `smtp://…` / `smtps://…`; `None` means the dev mailer (the dev mailbox page), which
    /// [`Config::from_vars`] allows only for a local run or with `PORTAL_DEV_MAILER=true`.
    pub smtp_url: Option<String>,
    /// The configuration proves a run on the developer's own machine: listening on loopback,
    /// a public URL of `http://127.0.0.1…` or `http://localhost…`, and SQLite. Only then may
    /// the conveniences of the embedded default (dev mailer, generated key) switch themselves
    /// on (shared/security.md, "Local conveniences").
    pub local_run: bool,
    /// `PORTAL_DEV_MAILER`: whether the dev mailer may stand in for SMTP (default: on a local
    /// run only). See [`Config::check_for_serving`].
    pub dev_mailer: bool,
    /// `PORTAL_TRUSTED_PROXIES`: the load balancers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<Cidr>,
    /// Origin links in mails are built from (never from the `Host` header), and the origin
    /// a cross-site POST must come from.
    pub public_url: String,
    pub listen: SocketAddr,
    /// `PORTAL_METRICS_LISTEN`: where `GET /metrics` (Prometheus) is served, on a listener
    /// of its own; unset, nowhere. An internal address: never the public port.
    pub metrics_listen: Option<SocketAddr>,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`: the OpenTelemetry collector's base URL (traces go to
    /// `<it>/v1/traces` over OTLP/HTTP); unset, no exporter runs and nothing is buffered.
    pub otlp_endpoint: Option<String>,
    /// `OTEL_SERVICE_NAME`: the name the traces carry (default `portal`).
    pub otel_service_name: String,
    /// Origins allowed to embed the portal in an iframe (`frame-ancestors`).
    pub frame_ancestors: Vec<String>,
    pub log_format: LogFormat,
    /// Where the built site (`pkg/` from Trunk) is served from.
    pub site_root: PathBuf,
    /// Fill an empty database with demo data at start (default: on a local run only).
    pub demo_data: bool,
    /// `PORTAL_SECRET_KEY`: the HMAC key (at least 32 characters). When unset with SQLite,
    /// the server generates one into `data/secret.key`; PostgreSQL deployments must set it,
    /// so that every instance shares it.
    pub secret_key: Option<String>,
    /// `PORTAL_MAIL_FROM`: the sender of the portal's mail.
    pub mail_from: String,
    /// `PORTAL_SEND_BUDGET`: sign-in codes the whole deployment sends per hour at most (a
    /// circuit breaker against abuse).
    pub send_budget_per_hour: i64,
    /// `PORTAL_INGEST_KEYS`: the back office's keys for the ingestion API (`/ingest/v1/…`).
    /// Unset: the API answers 503 and says why.
    pub ingest_keys: IngestKeys,
    /// `PORTAL_INGEST_LEGACY_SIGNATURES=true`: the ingestion API also accepts the first
    /// signature scheme (over `<timestamp>.<body>` only), while a back office is moved to the
    /// current one. Off by default: such a signature can be replayed to another resource.
    pub ingest_legacy_signatures: bool,
    /// `PORTAL_OPERATOR_PERMITS_URL`, `PORTAL_OPERATOR_POLICIES_URL` and
    /// `PORTAL_OPERATOR_PERMITS_KEY`: where guest permits and the companies' rule changes go
    /// (the operator's back office) and the key they are signed with. Unset on a local run:
    /// the messages wait in their outboxes; a deployment refuses to start without them.
    pub operator: Option<OperatorBackOffice>,
}

/// Limits that are not in security.md as numbers: the global hourly send budget is a circuit
/// breaker sized per deployment.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub global_sends_per_hour: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            global_sends_per_hour: 1_000,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{var}: {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub reason: String,
}

pub(crate) fn err(var: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        reason: reason.into(),
    }
}

const WHY_LOCAL: &str = "a local run listens on loopback, has a public URL of http://127.0.0.1 or http://localhost and uses SQLite";

impl Config {
    /// The settings a web server needs beyond those every command needs: a server that is
    /// not a local run must have real mail (`SMTP_URL`; the dev mailer's page would show every
    /// sign-in code to anyone) and its own key (`PORTAL_SECRET_KEY`; a generated one is for a
    /// newcomer's laptop). `portal serve` refuses to start without them, naming the variable.
    pub fn check_for_serving(&self) -> Result<(), ConfigError> {
        if self.smtp_url.is_none() && !self.dev_mailer {
            return Err(err(
                "SMTP_URL",
                format!("is required: without it the dev mailer would show sign-in codes to anyone, and it runs only on a local run ({WHY_LOCAL}) or with PORTAL_DEV_MAILER=true"),
            ));
        }
        if self.secret_key.is_none() && !self.local_run {
            return Err(err(
                "PORTAL_SECRET_KEY",
                format!(
                    "is required outside a local run ({WHY_LOCAL}); e.g. `openssl rand -hex 32`"
                ),
            ));
        }
        if let Some(reason) = self.site_root_exposes() {
            return Err(err("PORTAL_SITE_ROOT", reason));
        }
        if self.operator.is_none() && !self.local_run {
            return Err(err(
                "PORTAL_OPERATOR_PERMITS_URL",
                format!("is required outside a local run ({WHY_LOCAL}): without it guest permits never reach the operator (set PORTAL_OPERATOR_PERMITS_KEY too)"),
            ));
        }
        if self
            .operator
            .as_ref()
            .is_some_and(|o| o.policies_url.is_none())
            && !self.local_run
        {
            return Err(err(
                "PORTAL_OPERATOR_POLICIES_URL",
                format!("is required outside a local run ({WHY_LOCAL}): without it the companies' rule changes never reach the operator"),
            ));
        }
        Ok(())
    }

    /// The SQLite database file, when the database is SQLite (not in memory).
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let p = self
            .database_url
            .strip_prefix("sqlite:")?
            .trim_start_matches("//");
        let p = p.split('?').next().unwrap_or(p);
        (!p.is_empty() && p != ":memory:").then(|| PathBuf::from(p))
    }

    /// Where the embedded default keeps the key it generates: `secret.key` beside the
    /// SQLite database file.
    pub fn generated_key_path(&self) -> Option<PathBuf> {
        let db = self.sqlite_path()?;
        let dir = db
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Some(dir.join("secret.key"))
    }

    /// Why the static files' root would serve something private (the database, the key file,
    /// `data/`), if it would: `PORTAL_SITE_ROOT=.` would hand out `data/secret.key`.
    fn site_root_exposes(&self) -> Option<String> {
        let root = full_path(&self.site_root);
        let mut private = vec![("data/", PathBuf::from("data"))];
        private.extend(self.sqlite_path().map(|p| ("the database file", p)));
        private.extend(
            self.generated_key_path()
                .map(|p| ("the secret key file", p)),
        );
        private.into_iter().find_map(|(what, path)| {
            full_path(&path).starts_with(&root).then(|| {
                format!(
                    "{} holds {what} ({}), which it would serve to anyone: point it at the built site (target/site)",
                    self.site_root.display(),
                    path.display()
                )
            })
        })
    }

    /// `PORTAL_LISTEN` alone, for `portal healthcheck`, which must not fail on a setting it
    /// does not use.
    pub fn listen_from_env() -> Result<SocketAddr, ConfigError> {
        Vars(&std::env::vars().collect()).listen()
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&std::env::vars().collect())
    }

    /// Parses a set of variables (the process environment, or a test's map). Each setting is
    /// read and checked on its own; the ones that depend on another (a local run, the secret
    /// key with PostgreSQL) come after what they depend on.
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let vars = Vars(vars);

        let database_url = vars.database_url()?;
        vars.postgres_tls("DATABASE_URL", &database_url)?;
        let migration_database_url = match vars.get("PORTAL_MIGRATION_DATABASE_URL") {
            None => None,
            Some(url) if database_url.starts_with("sqlite:") => {
                return Err(err(
                    "PORTAL_MIGRATION_DATABASE_URL",
                    format!("{url:?} is for PostgreSQL behind a pooler; with SQLite, DATABASE_URL is migrated directly"),
                ))
            }
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                vars.postgres_tls("PORTAL_MIGRATION_DATABASE_URL", &url)?;
                Some(url)
            }
            Some(_) => {
                return Err(err(
                    "PORTAL_MIGRATION_DATABASE_URL",
                    "must start with postgres:// (a direct connection to the database DATABASE_URL names)",
                ))
            }
        };
        let database_read_urls = vars.list("DATABASE_READ_URLS", |url| {
            if database_url.starts_with("sqlite:") {
                return Err(err(
                    "DATABASE_READ_URLS",
                    "read replicas are PostgreSQL hot standbys; with SQLite, leave it unset",
                ));
            }
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                return Err(err(
                    "DATABASE_READ_URLS",
                    format!("{} must start with postgres:// (a hot standby of the database DATABASE_URL names)", crate::replicas::redacted(url)),
                ));
            }
            vars.postgres_tls("DATABASE_READ_URLS", url)?;
            Ok(url.to_owned())
        })?;
        let read_max_lag = std::time::Duration::from_millis(
            vars.positive("PORTAL_READ_MAX_LAG_MS", 1_000)?
                .unsigned_abs(),
        );
        let smtp_url = vars.smtp_url()?;
        let listen = vars.listen()?;
        let metrics_listen = vars.metrics_listen(listen)?;
        let otlp_endpoint = vars.otlp_endpoint()?;
        let otel_service_name = vars
            .get("OTEL_SERVICE_NAME")
            .unwrap_or_else(|| "portal".to_string());
        let public_url = match vars.get("PORTAL_PUBLIC_URL") {
            Some(url) => origin("PORTAL_PUBLIC_URL", &url)?,
            None => format!("http://{listen}"),
        };
        let frame_ancestors = vars.list("PORTAL_FRAME_ANCESTORS", |o| {
            origin("PORTAL_FRAME_ANCESTORS", o)
        })?;
        let log_format = match vars.get("PORTAL_LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(err(
                    "PORTAL_LOG_FORMAT",
                    format!("{other:?} must be pretty or json"),
                ))
            }
        };
        let site_root = PathBuf::from(
            vars.get("PORTAL_SITE_ROOT")
                .unwrap_or_else(|| "target/site".into()),
        );

        let local_run = listen.ip().is_loopback()
            && is_local_origin(&public_url)
            && database_url.starts_with("sqlite:");
        // Demo accounts or the dev mailer in a deployment would be a convenience leaking out:
        // by default only a local run (which is always SQLite) has them.
        let demo_data = vars.flag("PORTAL_DEMO_DATA", local_run)?;
        let dev_mailer = vars.flag("PORTAL_DEV_MAILER", local_run)?;
        let drain = vars.seconds("PORTAL_DRAIN_SECONDS", if local_run { 0 } else { 5 })?;
        let shutdown_timeout = vars.seconds("PORTAL_SHUTDOWN_TIMEOUT", 20)?;
        let secret_key = vars.secret_key(&database_url)?;

        let trusted_proxies = vars.list("PORTAL_TRUSTED_PROXIES", |c| {
            match Cidr::parse(c) {
                None => Err(format!("{c:?} is not an address block like 10.0.0.0/8")),
                Some(b) if b.is_everyone() => Err(format!(
                    "{c:?} would believe X-Forwarded-For from anyone: name the load balancers' own addresses"
                )),
                Some(b) => Ok(b),
            }
            .map_err(|reason| err("PORTAL_TRUSTED_PROXIES", reason))
        })?;
        let mail_from = vars.mail_from()?;
        let send_budget_per_hour = vars.positive("PORTAL_SEND_BUDGET", 1_000)?;
        let ingest_keys = IngestKeys::parse(&vars.get("PORTAL_INGEST_KEYS").unwrap_or_default())
            .map_err(|reason| err("PORTAL_INGEST_KEYS", reason))?;
        let ingest_legacy_signatures = vars.flag("PORTAL_INGEST_LEGACY_SIGNATURES", false)?;
        let operator = OperatorBackOffice::parse(
            vars.get("PORTAL_OPERATOR_PERMITS_URL"),
            vars.get("PORTAL_OPERATOR_PERMITS_KEY"),
            vars.get("PORTAL_OPERATOR_POLICIES_URL"),
        )?;
        if operator
            .as_ref()
            .is_some_and(|p| ingest_keys.holds_secret(&p.secret))
        {
            // One leaked secret must not both forge the back office's batches and the
            // portal's permits.
            return Err(err(
                "PORTAL_OPERATOR_PERMITS_KEY",
                "must not reuse a secret of PORTAL_INGEST_KEYS: give each direction its own",
            ));
        }

        Ok(Config {
            operator,
            ingest_keys,
            ingest_legacy_signatures,
            local_run,
            dev_mailer,
            trusted_proxies,
            secret_key,
            mail_from,
            send_budget_per_hour,
            database_url,
            migration_database_url,
            database_read_urls,
            read_max_lag,
            drain,
            shutdown_timeout,
            smtp_url,
            public_url,
            listen,
            metrics_listen,
            otlp_endpoint,
            otel_service_name,
            frame_ancestors,
            log_format,
            site_root,
            demo_data,
        })
    }
}

/// `path` made absolute with symbolic links resolved, as far as it exists (a file not yet
/// created is resolved through its folder), so that `starts_with` compares real places.
fn full_path(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    if let (Some(dir), Some(name)) = (path.parent(), path.file_name()) {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = std::fs::canonicalize(dir) {
            return d.join(name);
        }
    }
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A test's variables (shared with the other files' tests of `config`).
    pub(super) fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_serve_the_embedded_case() {
        let c = Config::from_vars(&HashMap::new()).unwrap();
        assert_eq!(c.database_url, "sqlite:data/portal.db");
        assert_eq!(c.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(c.public_url, "http://127.0.0.1:3000");
        assert!(c.smtp_url.is_none());
        assert!(
            c.local_run,
            "the defaults are a local run: the dev mailer may run"
        );
        assert!(c.demo_data);
        assert!(c.frame_ancestors.is_empty());
    }

    #[test]
    fn traces_go_to_an_http_collector_only_when_one_is_named() {
        assert_eq!(
            Config::from_vars(&HashMap::new()).unwrap().otlp_endpoint,
            None
        );
        let c = Config::from_vars(&vars(&[(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://127.0.0.1:4318/",
        )]))
        .unwrap();
        assert_eq!(c.otlp_endpoint.as_deref(), Some("http://127.0.0.1:4318"));
        assert_eq!(c.otel_service_name, "portal");
        for bad in ["127.0.0.1:4318", "grpc://collector:4317", "http://"] {
            let e = Config::from_vars(&vars(&[("OTEL_EXPORTER_OTLP_ENDPOINT", bad)]))
                .unwrap_err()
                .to_string();
            assert!(e.contains("OTEL_EXPORTER_OTLP_ENDPOINT"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_metrics_listen_on_an_address_of_their_own() {
        assert_eq!(
            Config::from_vars(&HashMap::new()).unwrap().metrics_listen,
            None
        );
        let c = Config::from_vars(&vars(&[("PORTAL_METRICS_LISTEN", "127.0.0.1:9100")])).unwrap();
        assert_eq!(c.metrics_listen, Some("127.0.0.1:9100".parse().unwrap()));
        for (listen, metrics) in [
            ("127.0.0.1:3000", "127.0.0.1:3000"),
            ("0.0.0.0:3000", "10.0.0.5:3000"),
            ("10.0.0.5:3000", "0.0.0.0:3000"),
        ] {
            let e = Config::from_vars(&vars(&[
                ("PORTAL_LISTEN", listen),
                ("PORTAL_METRICS_LISTEN", metrics),
            ]))
            .unwrap_err();
            assert_eq!(e.var, "PORTAL_METRICS_LISTEN", "{listen} / {metrics}");
            assert!(e.reason.contains("port of their own"), "{}", e.reason);
        }
        let e = Config::from_vars(&vars(&[("PORTAL_METRICS_LISTEN", "9100")])).unwrap_err();
        assert_eq!(e.var, "PORTAL_METRICS_LISTEN");
    }

    #[test]
    fn a_bad_variable_is_named_in_the_error() {
        for (var, value) in [
            ("DATABASE_URL", "mysql://x"),
            ("PORTAL_LISTEN", "port 80"),
            ("PORTAL_PUBLIC_URL", "portal.example.se"),
            ("PORTAL_PUBLIC_URL", "https://portal.example.se/app"),
            ("PORTAL_FRAME_ANCESTORS", "https://ok.se 'unsafe-inline'"),
            ("SMTP_URL", "mail.example.se"),
            ("PORTAL_LOG_FORMAT", "xml"),
            ("PORTAL_DEMO_DATA", "maybe"),
            ("PORTAL_SECRET_KEY", "too short"),
            ("PORTAL_MAIL_FROM", "nobody"),
            ("PORTAL_SEND_BUDGET", "-1"),
            ("PORTAL_DEV_MAILER", "perhaps"),
            ("PORTAL_TRUSTED_PROXIES", "10.0.0.0/33"),
            ("PORTAL_TRUSTED_PROXIES", "load-balancer"),
        ] {
            let e = Config::from_vars(&vars(&[(var, value)])).unwrap_err();
            assert_eq!(e.var, var, "{value:?}");
        }
    }

    /// Issue 32: read replicas are PostgreSQL standbys, named by URLs that follow
    /// `DATABASE_URL`'s TLS rule; an error never shows a password.
    #[test]
    fn read_replicas_are_postgres_standbys_over_tls() {
        let pg = |pairs: &[(&str, &str)]| {
            let mut v = vars(pairs);
            v.insert("PORTAL_SECRET_KEY".into(), "k".repeat(32));
            v.entry("DATABASE_URL".into())
                .or_insert_with(|| "postgres://p@127.0.0.1/portal".into());
            Config::from_vars(&v)
        };
        let c = pg(&[(
            "DATABASE_READ_URLS",
            "postgres://p@127.0.0.1:5433/portal, postgres://p:pw@db2.internal/portal?sslmode=verify-full",
        )])
        .unwrap();
        assert_eq!(c.database_read_urls.len(), 2);
        assert_eq!(c.read_max_lag, std::time::Duration::from_millis(1000));
        assert!(pg(&[]).unwrap().database_read_urls.is_empty());
        for (pairs, why) in [
            (
                vec![
                    ("DATABASE_URL", "sqlite:data/portal.db"),
                    ("DATABASE_READ_URLS", "postgres://p@127.0.0.1/x"),
                ],
                "with SQLite",
            ),
            (
                vec![("DATABASE_READ_URLS", "mysql://p:hunter2@127.0.0.1/x")],
                "postgres://",
            ),
            (
                vec![(
                    "DATABASE_READ_URLS",
                    "postgres://p:hunter2@db2.internal/portal",
                )],
                "TLS",
            ),
        ] {
            let e = pg(&pairs).unwrap_err();
            assert_eq!(e.var, "DATABASE_READ_URLS", "{pairs:?}");
            assert!(e.to_string().contains(why), "{e}");
            assert!(!e.to_string().contains("hunter2"), "{e}");
        }
        let e = pg(&[("PORTAL_READ_MAX_LAG_MS", "0")]).unwrap_err();
        assert_eq!(e.var, "PORTAL_READ_MAX_LAG_MS");
    }

    /// Issue 30: PostgreSQL on another host only over TLS, unless the network is said to be
    /// private; the migration URL follows the same rule and exists only for PostgreSQL.
    #[test]
    fn postgres_on_another_host_needs_tls() {
        let key = "k".repeat(32);
        let with = |pairs: &[(&str, &str)]| {
            let mut v = vars(pairs);
            v.insert("PORTAL_SECRET_KEY".into(), key.clone());
            Config::from_vars(&v)
        };
        for ok in [
            "postgres://p@127.0.0.1/portal",
            "postgres://p@localhost:5432/portal",
            "postgres://p@[::1]:5432/portal",
            "postgres:///portal?host=/run/postgresql",
            "postgres://p@db.internal/portal?sslmode=require",
            "postgresql://p:pw@db.internal:5432/portal?sslmode=verify-full&sslrootcert=/etc/portal/ca.crt",
            "postgres://p@10.0.0.7/portal?application_name=x&sslmode=verify-ca",
        ] {
            with(&[("DATABASE_URL", ok)]).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for refused in [
            "postgres://p@db.internal/portal",
            "postgres://p@10.0.0.7/portal?sslmode=prefer",
            "postgres://p@db.internal/portal?sslmode=disable",
            // A user name that looks like a host does not make the host local.
            "postgres://localhost@db.internal/portal",
        ] {
            let e = with(&[("DATABASE_URL", refused)]).unwrap_err();
            assert_eq!(e.var, "DATABASE_URL", "{refused}");
            assert!(e.reason.contains("without TLS"), "{refused}: {e}");
        }
        with(&[
            ("DATABASE_URL", "postgres://p@db.internal/portal"),
            ("PORTAL_DATABASE_ALLOW_PLAINTEXT", "true"),
        ])
        .unwrap();
        with(&[
            ("DATABASE_URL", "postgres://p@db.internal/portal"),
            ("PGSSLMODE", "verify-full"),
        ])
        .unwrap();
        // The migration URL: checked the same way, PostgreSQL only.
        let e = with(&[
            (
                "DATABASE_URL",
                "postgres://p@pooler.internal/portal?sslmode=require",
            ),
            (
                "PORTAL_MIGRATION_DATABASE_URL",
                "postgres://p@db.internal/portal",
            ),
        ])
        .unwrap_err();
        assert_eq!(e.var, "PORTAL_MIGRATION_DATABASE_URL");
        let c = with(&[
            ("DATABASE_URL", "postgres://p@127.0.0.1:6432/portal"),
            (
                "PORTAL_MIGRATION_DATABASE_URL",
                "postgres://p@127.0.0.1:5432/portal",
            ),
        ])
        .unwrap();
        assert_eq!(
            c.migration_database_url.as_deref(),
            Some("postgres://p@127.0.0.1:5432/portal")
        );
        let e = Config::from_vars(&vars(&[(
            "PORTAL_MIGRATION_DATABASE_URL",
            "postgres://p@127.0.0.1/portal",
        )]))
        .unwrap_err();
        assert_eq!(e.var, "PORTAL_MIGRATION_DATABASE_URL");
    }

    /// A local run stops at once; a deployment drains for 5 s unless told otherwise.
    #[test]
    fn a_deployment_drains_before_it_stops() {
        let local = Config::from_vars(&HashMap::new()).unwrap();
        assert_eq!(local.drain, std::time::Duration::ZERO);
        let key = "k".repeat(32);
        let deployed = Config::from_vars(&vars(&[
            ("DATABASE_URL", "postgres://p@127.0.0.1/portal"),
            ("PORTAL_SECRET_KEY", &key),
        ]))
        .unwrap();
        assert_eq!(deployed.drain, std::time::Duration::from_secs(5));
        assert_eq!(
            deployed.shutdown_timeout,
            std::time::Duration::from_secs(20)
        );
        for bad in ["-1", "601", "soon"] {
            let e = Config::from_vars(&vars(&[("PORTAL_DRAIN_SECONDS", bad)])).unwrap_err();
            assert_eq!(e.var, "PORTAL_DRAIN_SECONDS", "{bad}");
        }
    }

    #[test]
    fn postgres_needs_a_shared_secret_key() {
        let e = Config::from_vars(&vars(&[("DATABASE_URL", "postgres://p@127.0.0.1/portal")]))
            .unwrap_err();
        assert_eq!(e.var, "PORTAL_SECRET_KEY");
        let key = "k".repeat(32);
        let c = Config::from_vars(&vars(&[
            ("DATABASE_URL", "postgres://p@127.0.0.1/portal"),
            ("PORTAL_SECRET_KEY", &key),
            ("SMTP_URL", "smtp://127.0.0.1:25"),
        ]))
        .unwrap();
        assert!(!c.demo_data);
        assert!(!c.local_run);
    }

    /// Issue 10, item 1: the dev mailer (and its page, which lists every code) runs only when
    /// the configuration proves a local run, or when PORTAL_DEV_MAILER=true says so.
    #[test]
    fn without_smtp_only_a_local_run_may_start() {
        let key = "k".repeat(32);
        for production in [
            vec![
                ("DATABASE_URL", "postgres://p@127.0.0.1/portal"),
                ("PORTAL_SECRET_KEY", key.as_str()),
            ],
            vec![
                ("PORTAL_LISTEN", "0.0.0.0:3000"),
                ("PORTAL_SECRET_KEY", &key),
            ],
            vec![
                ("PORTAL_PUBLIC_URL", "https://portal.aimopark.se"),
                ("PORTAL_SECRET_KEY", &key),
            ],
            vec![
                ("PORTAL_PUBLIC_URL", "http://127.0.0.1.evil.example"),
                ("PORTAL_SECRET_KEY", &key),
            ],
            vec![("PORTAL_DEV_MAILER", "false")],
        ] {
            let e = Config::from_vars(&vars(&production))
                .and_then(|c| c.check_for_serving())
                .unwrap_err();
            assert_eq!(e.var, "SMTP_URL", "{production:?}");
        }
        let c = Config::from_vars(&vars(&[
            ("DATABASE_URL", "postgres://p@127.0.0.1/portal"),
            ("PORTAL_SECRET_KEY", &key),
            ("PORTAL_DEV_MAILER", "true"),
            (
                "PORTAL_OPERATOR_PERMITS_URL",
                "https://backoffice.example/permits",
            ),
            (
                "PORTAL_OPERATOR_POLICIES_URL",
                "https://backoffice.example/policies",
            ),
            ("PORTAL_OPERATOR_PERMITS_KEY", &format!("k1={key}")),
        ]))
        .unwrap();
        assert!(c.smtp_url.is_none() && !c.local_run);
        assert_eq!(c.check_for_serving(), Ok(()));
        let c =
            Config::from_vars(&vars(&[("PORTAL_PUBLIC_URL", "http://localhost:3000")])).unwrap();
        assert!(c.local_run);
    }

    #[test]
    fn demo_data_is_only_for_a_local_run_unless_asked_for() {
        let key = "k".repeat(32);
        let deployed = Config::from_vars(&vars(&[
            ("PORTAL_LISTEN", "0.0.0.0:3000"),
            ("PORTAL_SECRET_KEY", &key),
            ("SMTP_URL", "smtp://127.0.0.1:25"),
        ]))
        .unwrap();
        assert!(
            !deployed.demo_data,
            "a SQLite deployment gets no demo accounts"
        );
        let asked = Config::from_vars(&vars(&[
            ("PORTAL_LISTEN", "0.0.0.0:3000"),
            ("PORTAL_DEMO_DATA", "true"),
        ]))
        .unwrap();
        assert!(asked.demo_data);
    }

    #[test]
    fn a_deployment_needs_the_operators_permit_endpoint() {
        let key = "k".repeat(32);
        let mut production = vec![
            ("PORTAL_LISTEN", "0.0.0.0:3000"),
            ("SMTP_URL", "smtp://127.0.0.1:25"),
            ("PORTAL_SECRET_KEY", key.as_str()),
        ];
        let e = Config::from_vars(&vars(&production))
            .and_then(|c| c.check_for_serving())
            .unwrap_err();
        assert_eq!(e.var, "PORTAL_OPERATOR_PERMITS_URL");
        let pair = format!("desk1={key}");
        production.push(("PORTAL_OPERATOR_PERMITS_URL", "https://bo.example/permits"));
        let e = Config::from_vars(&vars(&production)).unwrap_err();
        assert_eq!(
            e.var, "PORTAL_OPERATOR_PERMITS_KEY",
            "a URL without its key"
        );
        production.push(("PORTAL_OPERATOR_PERMITS_KEY", &pair));
        let e = Config::from_vars(&vars(&production))
            .and_then(|c| c.check_for_serving())
            .unwrap_err();
        assert_eq!(
            e.var, "PORTAL_OPERATOR_POLICIES_URL",
            "the rules' endpoint too"
        );
        production.push((
            "PORTAL_OPERATOR_POLICIES_URL",
            "https://bo.example/policies",
        ));
        let c = Config::from_vars(&vars(&production)).unwrap();
        assert_eq!(c.check_for_serving(), Ok(()));
        let p = c.operator.unwrap();
        assert_eq!(
            (
                p.permits_url.as_str(),
                p.policies_url.as_deref(),
                p.key_id.as_str()
            ),
            (
                "https://bo.example/permits",
                Some("https://bo.example/policies"),
                "desk1"
            )
        );
        assert!(
            !format!("{p:?}").contains(&key),
            "the secret is never printed"
        );
        // Plain http only to this machine; a short secret is refused.
        for (url, k) in [
            ("http://bo.example/permits", pair.as_str()),
            ("https://bo.example/permits", "desk1=short"),
        ] {
            let e = Config::from_vars(&vars(&[
                ("PORTAL_OPERATOR_PERMITS_URL", url),
                ("PORTAL_OPERATOR_PERMITS_KEY", k),
            ]))
            .unwrap_err();
            assert!(e.var.starts_with("PORTAL_OPERATOR_PERMITS_"), "{url} {k}");
        }
        let local = Config::from_vars(&vars(&[
            (
                "PORTAL_OPERATOR_PERMITS_URL",
                "http://127.0.0.1:9999/permits",
            ),
            ("PORTAL_OPERATOR_PERMITS_KEY", &pair),
        ]))
        .unwrap();
        assert!(local.operator.is_some());
        let e = Config::from_vars(&vars(&[(
            "PORTAL_OPERATOR_POLICIES_URL",
            "https://bo.example/policies",
        )]))
        .unwrap_err();
        assert_eq!(
            e.var, "PORTAL_OPERATOR_POLICIES_URL",
            "the rules' endpoint without the key that signs for it"
        );
    }

    #[test]
    fn a_generated_key_is_only_for_a_local_run() {
        let e = Config::from_vars(&vars(&[
            ("PORTAL_LISTEN", "0.0.0.0:3000"),
            ("SMTP_URL", "smtp://127.0.0.1:25"),
        ]))
        .and_then(|c| c.check_for_serving())
        .unwrap_err();
        assert_eq!(e.var, "PORTAL_SECRET_KEY");
        let defaults = Config::from_vars(&HashMap::new()).unwrap();
        assert_eq!(
            defaults.check_for_serving(),
            Ok(()),
            "the embedded default serves"
        );
    }

    #[test]
    fn frame_ancestors_take_spaces_or_commas() {
        let c = Config::from_vars(&vars(&[(
            "PORTAL_FRAME_ANCESTORS",
            "https://www.aimopark.se, https://www.aimopark.fi/",
        )]))
        .unwrap();
        assert_eq!(
            c.frame_ancestors,
            ["https://www.aimopark.se", "https://www.aimopark.fi"]
        );
    }

    /// A deployment's settings that pass, and one typo at a time that must not: each refused
    /// configuration names its variable and says why (issue 28, item 4).
    #[test]
    fn a_deployment_cannot_start_unsafe_by_a_typo() {
        let ingest_secret = "i".repeat(32);
        let permit_secret = "p".repeat(32);
        let ingest_keys = format!("bo={ingest_secret}");
        let permit_key = format!("portal={permit_secret}");
        let base: Vec<(&str, &str)> = vec![
            ("PORTAL_LISTEN", "0.0.0.0:3000"),
            ("PORTAL_PUBLIC_URL", "https://portal.example.se"),
            ("SMTP_URL", "smtps://portal:pw@relay.example.se"),
            ("PORTAL_SECRET_KEY", "0123456789abcdef0123456789abcdef"),
            ("PORTAL_INGEST_KEYS", &ingest_keys),
            (
                "PORTAL_OPERATOR_PERMITS_URL",
                "https://bo.example.se/permits",
            ),
            (
                "PORTAL_OPERATOR_POLICIES_URL",
                "https://bo.example.se/policies",
            ),
            ("PORTAL_OPERATOR_PERMITS_KEY", &permit_key),
            ("PORTAL_FRAME_ANCESTORS", "https://www.aimopark.se"),
            ("PORTAL_TRUSTED_PROXIES", "10.0.0.0/8"),
        ];
        let with = |changes: &[(&str, &str)]| {
            let mut v = vars(&base);
            for (k, val) in changes {
                v.insert(k.to_string(), val.to_string());
            }
            Config::from_vars(&v).and_then(|c| c.check_for_serving().map(|()| c))
        };
        let c = with(&[]).expect("the deployment's own settings start");
        assert!(!c.local_run);
        for fine in [
            ("SMTP_URL", "smtp://relay.example.se:587?tls=required"),
            ("SMTP_URL", "smtp://127.0.0.1:1025"),
            (
                "PORTAL_OPERATOR_PERMITS_URL",
                "http://127.0.0.1:9000/permits",
            ),
            ("PORTAL_TRUSTED_PROXIES", "10.0.0.0/8 fd00::/8"),
        ] {
            assert!(with(&[fine]).is_ok(), "{fine:?} is a safe setting");
        }
        assert!(with(&[
            ("SMTP_URL", "smtp://relay.internal:25"),
            ("PORTAL_SMTP_ALLOW_PLAINTEXT", "true"),
        ])
        .is_ok());

        // (what changes, the variable named, a word of the reason)
        type Refused<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
        let refused: &[Refused] = &[
            (
                &[("PORTAL_PUBLIC_URL", "http://localhost:80@portal.example.se")],
                "PORTAL_PUBLIC_URL",
                "user name or password",
            ),
            (
                &[(
                    "PORTAL_OPERATOR_PERMITS_URL",
                    "http://localhost:@evil.example/",
                )],
                "PORTAL_OPERATOR_PERMITS_URL",
                "user name or password",
            ),
            (
                &[(
                    "PORTAL_OPERATOR_PERMITS_URL",
                    "http://bo.example.se/permits",
                )],
                "PORTAL_OPERATOR_PERMITS_URL",
                "https://",
            ),
            (
                &[(
                    "PORTAL_OPERATOR_PERMITS_URL",
                    "http://localhost.evil.example/",
                )],
                "PORTAL_OPERATOR_PERMITS_URL",
                "https://",
            ),
            (
                &[(
                    "PORTAL_OPERATOR_POLICIES_URL",
                    "http://bo.example.se/policies",
                )],
                "PORTAL_OPERATOR_POLICIES_URL",
                "https://",
            ),
            (
                &[("SMTP_URL", "smtp://relay.example.se:25")],
                "SMTP_URL",
                "clear text",
            ),
            (
                &[("SMTP_URL", "smtp://relay.example.se:587?tls=opportunistic")],
                "SMTP_URL",
                "clear text",
            ),
            (
                &[(
                    "PORTAL_FRAME_ANCESTORS",
                    "https://www.aimopark.se https://*.example.se",
                )],
                "PORTAL_FRAME_ANCESTORS",
                "wildcard",
            ),
            (
                &[("PORTAL_TRUSTED_PROXIES", "0.0.0.0/0")],
                "PORTAL_TRUSTED_PROXIES",
                "from anyone",
            ),
            (
                &[("PORTAL_TRUSTED_PROXIES", "10.0.0.0/8, ::/0")],
                "PORTAL_TRUSTED_PROXIES",
                "from anyone",
            ),
            (
                &[("PORTAL_OPERATOR_PERMITS_KEY", &ingest_keys)],
                "PORTAL_OPERATOR_PERMITS_KEY",
                "reuse",
            ),
            (&[("PORTAL_SITE_ROOT", ".")], "PORTAL_SITE_ROOT", "data/"),
        ];
        for (changes, var, why) in refused {
            let e = with(changes).expect_err(&format!("{changes:?} must be refused"));
            assert_eq!(e.var, *var, "{changes:?}: {e}");
            assert!(e.reason.contains(why), "{changes:?}: {e}");
        }
    }

    #[test]
    fn a_user_name_cannot_make_a_remote_host_a_local_run() {
        // Before: `http://localhost:80@portal.example.se` counted as a local run, switching
        // on the dev mailer, a generated key and demo data.
        let e = Config::from_vars(&vars(&[(
            "PORTAL_PUBLIC_URL",
            "http://localhost:80@portal.example.se",
        )]))
        .unwrap_err();
        assert_eq!(e.var, "PORTAL_PUBLIC_URL");
        let c =
            Config::from_vars(&vars(&[("PORTAL_PUBLIC_URL", "http://localhost:3000")])).unwrap();
        assert!(c.local_run);
    }

    #[test]
    fn the_site_root_never_holds_the_database_or_the_key() {
        let dir = std::env::temp_dir().join(format!("portal-site-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("site")).unwrap();
        let site = dir.join("site");
        let inside = Config::from_vars(&vars(&[
            (
                "DATABASE_URL",
                &format!("sqlite:{}/portal.db", site.display()),
            ),
            ("PORTAL_SITE_ROOT", &site.display().to_string()),
        ]))
        .unwrap();
        let e = inside.check_for_serving().unwrap_err();
        assert_eq!(e.var, "PORTAL_SITE_ROOT");
        assert!(e.reason.contains("the database file"), "{e}");
        let beside = Config::from_vars(&vars(&[
            (
                "DATABASE_URL",
                &format!("sqlite:{}/portal.db", dir.display()),
            ),
            ("PORTAL_SITE_ROOT", &site.display().to_string()),
        ]))
        .unwrap();
        beside.check_for_serving().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
