//! Reading one variable: trimmed, empty means unset, and every error names its variable.

use std::{collections::HashMap, net::SocketAddr};

use super::{err, ConfigError};

/// The variables a [`super::Config`] is read from.
pub(super) struct Vars<'a>(pub(super) &'a HashMap<String, String>);

impl Vars<'_> {
    /// The trimmed value; unset and empty are the same.
    pub(super) fn get(&self, k: &str) -> Option<String> {
        self.0
            .get(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// `true`/`false` (or `1`/`0`, `yes`/`no`); `default` when unset.
    pub(super) fn flag(&self, var: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.get(var).as_deref() {
            None => Ok(default),
            Some("1" | "true" | "yes") => Ok(true),
            Some("0" | "false" | "no") => Ok(false),
            Some(other) => Err(err(var, format!("{other:?} must be true or false"))),
        }
    }

    /// A positive whole number; `default` when unset.
    pub(super) fn positive(&self, var: &'static str, default: i64) -> Result<i64, ConfigError> {
        match self.get(var) {
            None => Ok(default),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| err(var, format!("{v:?} must be a positive number"))),
        }
    }

    /// A list separated by spaces or commas, each item checked by `item`; empty when unset.
    pub(super) fn list<T>(
        &self,
        var: &'static str,
        item: impl Fn(&str) -> Result<T, ConfigError>,
    ) -> Result<Vec<T>, ConfigError> {
        self.get(var).map_or(Ok(Vec::new()), |v| {
            v.split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(item)
                .collect()
        })
    }

    pub(super) fn database_url(&self) -> Result<String, ConfigError> {
        let url = self
            .get("DATABASE_URL")
            .unwrap_or_else(|| "sqlite:data/portal.db".into());
        if url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://")
        {
            Ok(url)
        } else {
            Err(err(
                "DATABASE_URL",
                "must start with sqlite: or postgres://",
            ))
        }
    }

    /// A PostgreSQL URL (`DATABASE_URL`, `PORTAL_MIGRATION_DATABASE_URL`) to another host must
    /// ask for TLS (`sslmode=require`, `verify-ca` or `verify-full`; `prefer`, libpq's default,
    /// falls back to clear text without a word): otherwise the password and every sign-in code
    /// and session row would cross the network in clear. Loopback and Unix sockets are this
    /// machine; `PORTAL_DATABASE_ALLOW_PLAINTEXT=true` says the network is private.
    pub(super) fn postgres_tls(&self, var: &'static str, url: &str) -> Result<(), ConfigError> {
        let Some(after) = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))
        else {
            return Ok(());
        };
        let (auth, query) = match after.find(['/', '?']) {
            Some(i) => (
                &after[..i],
                after[i..].split_once('?').map_or("", |(_, q)| q),
            ),
            None => (after, ""),
        };
        let param = |name: &str| {
            query
                .split('&')
                .find_map(|kv| kv.split_once('=').filter(|(k, _)| *k == name))
                .map(|(_, v)| v.to_ascii_lowercase())
        };
        let host_part = auth.rsplit_once('@').map_or(auth, |(_, h)| h);
        let host = match host_part.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or("").to_owned(),
            None => host_part
                .split(':')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase(),
        };
        // `?host=/run/postgresql` (or no host at all) is a Unix socket on this machine.
        let host = param("host").unwrap_or(host);
        let local = host.is_empty()
            || host.starts_with('/')
            || host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        let mode = param("sslmode")
            .or_else(|| param("ssl-mode"))
            .or_else(|| self.get("PGSSLMODE").map(|m| m.to_ascii_lowercase()));
        let encrypted = matches!(
            mode.as_deref(),
            Some("require" | "verify-ca" | "verify-full")
        );
        if local || encrypted || self.flag("PORTAL_DATABASE_ALLOW_PLAINTEXT", false)? {
            return Ok(());
        }
        Err(err(
            var,
            format!("would talk to PostgreSQL on {host} without TLS (sslmode is {}): add ?sslmode=verify-full&sslrootcert=/path/to/ca.crt (or sslmode=require), or set PORTAL_DATABASE_ALLOW_PLAINTEXT=true if the network to the database is private", mode.as_deref().unwrap_or("unset")),
        ))
    }

    /// Seconds, 0 to 600; `default` when unset.
    pub(super) fn seconds(
        &self,
        var: &'static str,
        default: u64,
    ) -> Result<std::time::Duration, ConfigError> {
        match self.get(var) {
            None => Ok(std::time::Duration::from_secs(default)),
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| *n <= 600)
                .map(std::time::Duration::from_secs)
                .ok_or_else(|| {
                    err(
                        var,
                        format!("{v:?} must be a number of seconds from 0 to 600"),
                    )
                }),
        }
    }

    /// `smtps://` (TLS from the first byte), `smtp://…?tls=required` (STARTTLS or nothing), or
    /// plain `smtp://` to this machine (the mail catcher, a local relay). Plain SMTP to another
    /// host would send every sign-in code in clear text: refused unless
    /// `PORTAL_SMTP_ALLOW_PLAINTEXT=true` says the network to the relay is private.
    pub(super) fn smtp_url(&self) -> Result<Option<String>, ConfigError> {
        let Some(url) = self.get("SMTP_URL") else {
            return Ok(None);
        };
        let a = authority("SMTP_URL", &url, &["smtp", "smtps"], true)?;
        let tls_required = a.rest.split(['?', '&']).any(|p| p == "tls=required");
        if a.scheme == "smtp"
            && !tls_required
            && !a.is_loopback()
            && !self.flag("PORTAL_SMTP_ALLOW_PLAINTEXT", false)?
        {
            return Err(err(
                "SMTP_URL",
                "would send sign-in codes in clear text to another host: use smtps://, add ?tls=required, or set PORTAL_SMTP_ALLOW_PLAINTEXT=true if the network to the relay is private",
            ));
        }
        Ok(Some(url))
    }

    pub(super) fn listen(&self) -> Result<SocketAddr, ConfigError> {
        let raw = self
            .get("PORTAL_LISTEN")
            .unwrap_or_else(|| "127.0.0.1:3000".into());
        raw.parse().map_err(|_| {
            err(
                "PORTAL_LISTEN",
                format!("{raw:?} is not an address like 127.0.0.1:3000"),
            )
        })
    }

    /// `OTEL_EXPORTER_OTLP_ENDPOINT`: an `http://` or `https://` base URL (the standard
    /// variable; the traces path `/v1/traces` is added to it), without a trailing slash.
    pub(super) fn otlp_endpoint(&self) -> Result<Option<String>, ConfigError> {
        let Some(raw) = self.get("OTEL_EXPORTER_OTLP_ENDPOINT") else {
            return Ok(None);
        };
        let base = raw.trim_end_matches('/');
        let host = base
            .strip_prefix("http://")
            .or_else(|| base.strip_prefix("https://"));
        match host {
            Some(h) if !h.is_empty() => Ok(Some(base.to_string())),
            _ => Err(err(
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                format!("{raw:?} is not a URL like http://collector:4318 (OTLP over HTTP)"),
            )),
        }
    }

    /// `PORTAL_METRICS_LISTEN`: an address like `PORTAL_LISTEN`'s, and not the same one.
    pub(super) fn metrics_listen(
        &self,
        listen: SocketAddr,
    ) -> Result<Option<SocketAddr>, ConfigError> {
        let Some(raw) = self.get("PORTAL_METRICS_LISTEN") else {
            return Ok(None);
        };
        let addr: SocketAddr = raw.parse().map_err(|_| {
            err(
                "PORTAL_METRICS_LISTEN",
                format!("{raw:?} is not an address like 127.0.0.1:9100"),
            )
        })?;
        if addr.port() == listen.port()
            && (addr.ip() == listen.ip()
                || addr.ip().is_unspecified()
                || listen.ip().is_unspecified())
        {
            return Err(err(
                "PORTAL_METRICS_LISTEN",
                format!("{raw:?} is the portal's own address (PORTAL_LISTEN): the metrics need a port of their own, on an internal network"),
            ));
        }
        Ok(Some(addr))
    }

    /// At least 32 characters; required with PostgreSQL, where every instance must share it.
    pub(super) fn secret_key(&self, database_url: &str) -> Result<Option<String>, ConfigError> {
        match self.get("PORTAL_SECRET_KEY") {
            Some(k) if k.len() < 32 => Err(err(
                "PORTAL_SECRET_KEY",
                "must be at least 32 characters (e.g. `openssl rand -hex 32`)",
            )),
            None if !database_url.starts_with("sqlite:") => Err(err(
                "PORTAL_SECRET_KEY",
                "is required with PostgreSQL: every server instance must share one key (e.g. `openssl rand -hex 32`)",
            )),
            key => Ok(key),
        }
    }

    pub(super) fn mail_from(&self) -> Result<String, ConfigError> {
        let from = self
            .get("PORTAL_MAIL_FROM")
            .unwrap_or_else(|| "Aimo Park Företagsportal <noreply@portal.invalid>".into());
        if from.contains('@') {
            Ok(from)
        } else {
            Err(err(
                "PORTAL_MAIL_FROM",
                "must be an address like Name <noreply@example.se>",
            ))
        }
    }
}

/// The parts of a URL the portal's rules look at: scheme, host, port and what follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Authority {
    pub(super) scheme: String,
    /// Lower-cased; an IPv6 address without its brackets.
    pub(super) host: String,
    pub(super) port: Option<u16>,
    /// Path, query and fragment (empty for an origin).
    pub(super) rest: String,
}

impl Authority {
    /// `localhost` or a loopback address (127.0.0.0/8, ::1): this machine.
    pub(super) fn is_loopback(&self) -> bool {
        self.host == "localhost"
            || self
                .host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

/// Splits `scheme://host[:port][/rest]` by the rules of RFC 3986 rather than by prefix, so
/// that a URL can only be what it looks like: a user name or password (`http://localhost:@evil`,
/// `http://localhost:80@portal.example.se`) is refused unless `userinfo` allows it (SMTP's
/// credentials), and so is a host with a wildcard or any character a host cannot have.
pub(super) fn authority(
    var: &'static str,
    value: &str,
    schemes: &[&str],
    userinfo: bool,
) -> Result<Authority, ConfigError> {
    let (scheme, after) = value
        .split_once("://")
        .filter(|(s, _)| schemes.contains(&s.to_ascii_lowercase().as_str()))
        .ok_or_else(|| {
            err(
                var,
                format!(
                    "{value:?} must start with {}",
                    schemes.join("://, ") + "://"
                ),
            )
        })?;
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let (mut auth, rest) = after.split_at(end);
    if let Some((_, host)) = auth.rsplit_once('@') {
        if !userinfo {
            return Err(err(
                var,
                format!("{value:?} must not carry a user name or password (nothing before an @)"),
            ));
        }
        auth = host;
    }
    let (host, port) = match auth.strip_prefix('[') {
        Some(v6) => {
            let (h, p) = v6
                .split_once(']')
                .ok_or_else(|| err(var, format!("{value:?}: an IPv6 host needs its ]")))?;
            h.parse::<std::net::Ipv6Addr>()
                .map_err(|_| err(var, format!("{value:?}: {h:?} is not an IPv6 address")))?;
            (h.to_owned(), p)
        }
        None => match auth.split_once(':') {
            Some((h, _)) => (h.to_ascii_lowercase(), &auth[h.len()..]),
            None => (auth.to_ascii_lowercase(), ""),
        },
    };
    let port = match port {
        "" => None,
        p => Some(
            p.strip_prefix(':')
                .and_then(|p| p.parse::<u16>().ok())
                .ok_or_else(|| err(var, format!("{value:?}: the port must be a number")))?,
        ),
    };
    if host.contains('*') {
        return Err(err(
            var,
            format!("{value:?}: a wildcard host is not allowed; name each host"),
        ));
    }
    let host_ok = !host.is_empty()
        && (host.contains(':') // an IPv6 address, checked above
            || host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'));
    if !host_ok || rest.contains(char::is_whitespace) {
        return Err(err(var, format!("{value:?} does not name a valid host")));
    }
    Ok(Authority {
        scheme: scheme.to_ascii_lowercase(),
        host,
        port,
        rest: rest.to_owned(),
    })
}

/// An origin is scheme, host and optional port, nothing else (`https://www.aimopark.se`).
pub(super) fn origin(var: &'static str, value: &str) -> Result<String, ConfigError> {
    let value = value.trim().trim_end_matches('/');
    let a = authority(var, value, &["https", "http"], false)?;
    if !a.rest.is_empty() {
        return Err(err(
            var,
            format!("{value:?} must be an origin like https://example.se (no path)"),
        ));
    }
    Ok(value.to_owned())
}

/// `http://127.0.0.1…` or `http://localhost…`: a public URL only a local run has. (The
/// origin was checked by [`origin`], so no user name can make a remote host look local.)
pub(super) fn is_local_origin(origin: &str) -> bool {
    authority("", origin, &["http"], false)
        .is_ok_and(|a| a.host == "127.0.0.1" || a.host == "localhost")
}
