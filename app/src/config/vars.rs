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

    pub(super) fn smtp_url(&self) -> Result<Option<String>, ConfigError> {
        match self.get("SMTP_URL") {
            Some(url) if !(url.starts_with("smtp://") || url.starts_with("smtps://")) => {
                Err(err("SMTP_URL", "must start with smtp:// or smtps://"))
            }
            url => Ok(url),
        }
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

/// An origin is scheme, host and optional port, nothing else (`https://www.aimopark.se`).
pub(super) fn origin(var: &'static str, value: &str) -> Result<String, ConfigError> {
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

/// `http://127.0.0.1…` or `http://localhost…`: a public URL only a local run has.
pub(super) fn is_local_origin(origin: &str) -> bool {
    let host = origin
        .strip_prefix("http://")
        .unwrap_or("")
        .split(':')
        .next()
        .unwrap_or("");
    host == "127.0.0.1" || host == "localhost"
}
