//! Configuration from environment variables, validated once at start. An error names the
//! variable and says what is wrong with it. The defaults serve the embedded case: SQLite
//! under `data/`, the dev mailer, demo data, 127.0.0.1:3000.

use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    path::PathBuf,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite:…` or `postgres://…`.
    pub database_url: String,
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
    /// `PORTAL_OPERATOR_PERMITS_URL` and `PORTAL_OPERATOR_PERMITS_KEY`: where guest permits go
    /// (the operator's back office) and the key they are signed with. Unset on a local run:
    /// permits wait in the outbox; a deployment refuses to start without them.
    pub operator_permits: Option<OperatorPermits>,
}

/// The operator's endpoint for guest permits and the key that signs each message (the
/// ingestion API's scheme: `x-portal-key`, `x-portal-timestamp`, `x-portal-signature`).
#[derive(Clone, PartialEq, Eq)]
pub struct OperatorPermits {
    pub url: String,
    pub key_id: String,
    pub secret: String,
}

impl std::fmt::Debug for OperatorPermits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorPermits")
            .field("url", &self.url)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl OperatorPermits {
    /// Both variables or neither; an `https://` URL (plain `http://` only to this machine, for
    /// tests); the key as one `id=secret` pair of `PORTAL_INGEST_KEYS`'s form.
    fn parse(url: Option<String>, key: Option<String>) -> Result<Option<Self>, ConfigError> {
        const URL: &str = "PORTAL_OPERATOR_PERMITS_URL";
        const KEY: &str = "PORTAL_OPERATOR_PERMITS_KEY";
        let (url, key) = match (url, key) {
            (None, None) => return Ok(None),
            (Some(_), None) => return Err(err(KEY, format!("is required with {URL}"))),
            (None, Some(_)) => return Err(err(URL, format!("is required with {KEY}"))),
            (Some(u), Some(k)) => (u, k),
        };
        let loopback = [
            "http://127.0.0.1:",
            "http://127.0.0.1/",
            "http://localhost:",
            "http://localhost/",
        ]
        .iter()
        .any(|p| url.starts_with(p));
        if !(url.starts_with("https://") || loopback) || url.contains(char::is_whitespace) {
            return Err(err(
                URL,
                "must be an https:// URL (http:// only to 127.0.0.1 or localhost)",
            ));
        }
        let keys = IngestKeys::parse(&key).map_err(|reason| err(KEY, reason))?;
        match keys.0.as_slice() {
            [(id, secret)] => Ok(Some(OperatorPermits {
                url,
                key_id: id.clone(),
                secret: secret.clone(),
            })),
            _ => Err(err(KEY, "must be one id=secret pair")),
        }
    }
}

/// The ingestion API's keys: `id=secret` pairs separated by commas, so that two can be live
/// while one is rotated out (`PORTAL_INGEST_KEYS="2026a=…,2026b=…"`; a secret holds no comma,
/// e.g. `openssl rand -hex 32`). Ids are 1–64 of
/// `A–Z a–z 0–9 _ -`; secrets at least 32 characters. Debug output shows the ids only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct IngestKeys(Vec<(String, String)>);

impl IngestKeys {
    pub fn parse(raw: &str) -> Result<IngestKeys, String> {
        let mut keys: Vec<(String, String)> = Vec::new();
        for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (id, secret) = pair
                .split_once('=')
                .ok_or_else(|| "each key must be id=secret".to_owned())?;
            let (id, secret) = (id.trim(), secret.trim());
            let id_ok = (1..=64).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !id_ok {
                return Err(format!("key id {id:?} must be 1-64 of A-Z a-z 0-9 _ -"));
            }
            if secret.chars().count() < 32 {
                return Err(format!(
                    "the secret of key {id:?} must be at least 32 characters"
                ));
            }
            if keys.iter().any(|(k, _)| k == id) {
                return Err(format!("key id {id:?} appears twice"));
            }
            keys.push((id.to_owned(), secret.to_owned()));
        }
        Ok(IngestKeys(keys))
    }

    /// The secret of key `id`, if it is one of ours.
    pub fn secret(&self, id: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, s)| s.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for IngestKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(id, _)| id))
            .finish()
    }
}

/// An address block such as `10.0.0.0/8` or `fd00::/8` (a bare address is a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (s.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Cidr { net: addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        // An IPv4 peer may arrive as an IPv4-mapped IPv6 address on a dual-stack socket.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// The client address for limits: the TCP peer, unless the peer is a trusted proxy; then the
/// right-most `X-Forwarded-For` entry that is not a trusted proxy (the left part of the
/// header is whatever the client wrote and proves nothing). Rule: shared/security.md, "Web
/// sessions".
pub fn client_ip(peer: IpAddr, forwarded_for: &[&str], trusted: &[Cidr]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let mut last = peer;
    for entry in forwarded_for
        .iter()
        .rev()
        .flat_map(|h| h.rsplit(','))
        .map(str::trim)
    {
        // A malformed entry ends the walk: what is left of it came from the client.
        let Some(ip) = parse_forwarded_ip(entry) else {
            tracing::warn!("an X-Forwarded-For entry from a trusted proxy is not an address");
            return last;
        };
        if !is_trusted(ip) {
            return ip;
        }
        last = ip;
    }
    last
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

/// One `X-Forwarded-For` entry: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or
/// `[2001:db8::1]:443` (some proxies add the port).
fn parse_forwarded_ip(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    entry
        .parse::<SocketAddr>()
        .ok()
        .map(|a| a.ip())
        .or_else(|| {
            entry
                .strip_prefix('[')
                .and_then(|e| e.strip_suffix(']'))
                .and_then(|e| e.parse().ok())
        })
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{var}: {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub reason: String,
}

fn err(var: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        reason: reason.into(),
    }
}

/// An origin is scheme, host and optional port, nothing else (`https://www.aimopark.se`).
fn validate_origin(var: &'static str, value: &str) -> Result<String, ConfigError> {
    let value = value.trim().trim_end_matches('/');
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or_else(|| {
            err(
                var,
                format!("{value:?} must start with http:// or https://"),
            )
        })?;
    if rest.is_empty() || rest.contains(['/', '?', '#', ' ', '\'', ';', ',']) {
        return Err(err(
            var,
            format!("{value:?} must be an origin like https://example.se (no path)"),
        ));
    }
    Ok(value.to_owned())
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
        if self.operator_permits.is_none() && !self.local_run {
            return Err(err(
                "PORTAL_OPERATOR_PERMITS_URL",
                format!("is required outside a local run ({WHY_LOCAL}): without it guest permits never reach the operator (set PORTAL_OPERATOR_PERMITS_KEY too)"),
            ));
        }
        Ok(())
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&std::env::vars().collect())
    }

    /// Parses a set of variables (the process environment, or a test's map).
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |k: &str| {
            vars.get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let database_url = get("DATABASE_URL").unwrap_or_else(|| "sqlite:data/portal.db".into());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(err(
                "DATABASE_URL",
                "must start with sqlite: or postgres://",
            ));
        }

        let smtp_url = get("SMTP_URL");
        if let Some(url) = &smtp_url {
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                return Err(err("SMTP_URL", "must start with smtp:// or smtps://"));
            }
        }

        let listen_raw = get("PORTAL_LISTEN").unwrap_or_else(|| "127.0.0.1:3000".into());
        let listen: SocketAddr = listen_raw.parse().map_err(|_| {
            err(
                "PORTAL_LISTEN",
                format!("{listen_raw:?} is not an address like 127.0.0.1:3000"),
            )
        })?;

        let public_url = match get("PORTAL_PUBLIC_URL") {
            Some(url) => validate_origin("PORTAL_PUBLIC_URL", &url)?,
            None => format!("http://{listen}"),
        };

        let frame_ancestors = get("PORTAL_FRAME_ANCESTORS")
            .map(|v| {
                v.split([' ', ','])
                    .filter(|s| !s.is_empty())
                    .map(|o| validate_origin("PORTAL_FRAME_ANCESTORS", o))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();

        let log_format = match get("PORTAL_LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(err(
                    "PORTAL_LOG_FORMAT",
                    format!("{other:?} must be pretty or json"),
                ))
            }
        };

        let site_root =
            PathBuf::from(get("PORTAL_SITE_ROOT").unwrap_or_else(|| "target/site".into()));

        let local_host = |origin: &str| {
            let host = origin
                .strip_prefix("http://")
                .unwrap_or("")
                .split(':')
                .next()
                .unwrap_or("");
            host == "127.0.0.1" || host == "localhost"
        };
        let local_run = listen.ip().is_loopback()
            && local_host(&public_url)
            && database_url.starts_with("sqlite:");

        let demo_data = match get("PORTAL_DEMO_DATA").as_deref() {
            // Demo accounts in a deployment would be a convenience leaking out: by default
            // only a local run (which is always SQLite) fills an empty database.
            None => local_run,
            Some("1" | "true" | "yes") => true,
            Some("0" | "false" | "no") => false,
            Some(other) => {
                return Err(err(
                    "PORTAL_DEMO_DATA",
                    format!("{other:?} must be true or false"),
                ))
            }
        };

        let secret_key = get("PORTAL_SECRET_KEY");
        if let Some(k) = &secret_key {
            if k.len() < 32 {
                return Err(err(
                    "PORTAL_SECRET_KEY",
                    "must be at least 32 characters (e.g. `openssl rand -hex 32`)",
                ));
            }
        } else if !database_url.starts_with("sqlite:") {
            return Err(err(
                "PORTAL_SECRET_KEY",
                "is required with PostgreSQL: every server instance must share one key (e.g. `openssl rand -hex 32`)",
            ));
        }

        let dev_mailer = match get("PORTAL_DEV_MAILER").as_deref() {
            None => local_run,
            Some("1" | "true" | "yes") => true,
            Some("0" | "false" | "no") => false,
            Some(other) => {
                return Err(err(
                    "PORTAL_DEV_MAILER",
                    format!("{other:?} must be true or false"),
                ))
            }
        };

        let trusted_proxies = get("PORTAL_TRUSTED_PROXIES")
            .map(|v| {
                v.split([' ', ','])
                    .filter(|s| !s.is_empty())
                    .map(|c| {
                        Cidr::parse(c).ok_or_else(|| {
                            err(
                                "PORTAL_TRUSTED_PROXIES",
                                format!("{c:?} is not an address block like 10.0.0.0/8"),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        let mail_from = get("PORTAL_MAIL_FROM")
            .unwrap_or_else(|| "Aimo Park Företagsportal <noreply@portal.invalid>".into());
        if !mail_from.contains('@') {
            return Err(err(
                "PORTAL_MAIL_FROM",
                "must be an address like Name <noreply@example.se>",
            ));
        }
        let send_budget_per_hour = match get("PORTAL_SEND_BUDGET") {
            None => 1_000,
            Some(v) => v.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                err(
                    "PORTAL_SEND_BUDGET",
                    format!("{v:?} must be a positive number"),
                )
            })?,
        };

        let ingest_keys = IngestKeys::parse(&get("PORTAL_INGEST_KEYS").unwrap_or_default())
            .map_err(|reason| err("PORTAL_INGEST_KEYS", reason))?;

        let operator_permits = OperatorPermits::parse(
            get("PORTAL_OPERATOR_PERMITS_URL"),
            get("PORTAL_OPERATOR_PERMITS_KEY"),
        )?;

        Ok(Config {
            operator_permits,
            ingest_keys,
            local_run,
            dev_mailer,
            trusted_proxies,
            secret_key,
            mail_from,
            send_budget_per_hour,
            database_url,
            smtp_url,
            public_url,
            listen,
            frame_ancestors,
            log_format,
            site_root,
            demo_data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
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
        let c = Config::from_vars(&vars(&production)).unwrap();
        assert_eq!(c.check_for_serving(), Ok(()));
        let p = c.operator_permits.unwrap();
        assert_eq!(
            (p.url.as_str(), p.key_id.as_str()),
            ("https://bo.example/permits", "desk1")
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
        assert!(local.operator_permits.is_some());
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
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let trusted = [
            Cidr::parse("10.0.0.0/8").unwrap(),
            Cidr::parse("fd00::/8").unwrap(),
        ];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // Straight from the internet: the header is the client's own words.
        assert_eq!(
            client_ip(ip("203.0.113.9"), &["198.51.100.1"], &trusted),
            ip("203.0.113.9")
        );
        // Through the load balancer: the right-most entry it did not add.
        assert_eq!(
            client_ip(
                ip("10.1.2.3"),
                &["1.2.3.4, 198.51.100.7, 10.9.9.9"],
                &trusted
            ),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_ip(ip("10.1.2.3"), &["1.2.3.4", "198.51.100.7"], &trusted),
            ip("198.51.100.7"),
            "several headers read as one list"
        );
        assert_eq!(
            client_ip(ip("10.1.2.3"), &[], &trusted),
            ip("10.1.2.3"),
            "no header: the proxy itself"
        );
        assert_eq!(
            client_ip(ip("10.1.2.3"), &["garbage, 10.0.0.5"], &trusted),
            ip("10.0.0.5")
        );
        assert_eq!(
            client_ip(ip("::ffff:10.1.2.3"), &["198.51.100.7"], &trusted),
            ip("198.51.100.7"),
            "an IPv4-mapped peer"
        );
        for with_port in ["198.51.100.7:5678", "[2001:db8::7]:443", "[2001:db8::7]"] {
            assert_ne!(
                client_ip(ip("10.1.2.3"), &[with_port], &trusted),
                ip("10.1.2.3"),
                "{with_port}: a port does not put everyone into the proxy's bucket"
            );
        }
        assert!(Cidr::parse("fd00::1").unwrap().contains(ip("fd00::1")));
        assert!(!Cidr::parse("10.0.0.0/8").unwrap().contains(ip("11.0.0.1")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("11.0.0.1")));
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

    #[test]
    fn ingest_keys_are_checked_and_never_printed() {
        let secret = "a".repeat(32);
        let keys = IngestKeys::parse(&format!(" 2026a={secret} , 2026b={secret}x ")).unwrap();
        assert_eq!(keys.secret("2026a"), Some(secret.as_str()));
        assert_eq!(keys.secret("2026c"), None);
        assert_eq!(format!("{keys:?}"), r#"["2026a", "2026b"]"#);
        for bad in [
            "k",
            "k=short",
            "bad id=x",
            &format!("k={secret},k={secret}"),
        ] {
            assert!(IngestKeys::parse(bad).is_err(), "{bad}");
        }
        let e = Config::from_vars(&vars(&[("PORTAL_INGEST_KEYS", "k=short")])).unwrap_err();
        assert_eq!(e.var, "PORTAL_INGEST_KEYS");
        assert!(IngestKeys::parse("").unwrap().is_empty());
    }
}
