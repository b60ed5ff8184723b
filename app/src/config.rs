//! Configuration from environment variables, validated once at start. An error names the
//! variable and says what is wrong with it. The defaults serve the embedded case: SQLite
//! under `data/`, the dev mailer, demo data, 127.0.0.1:3000.

use std::{collections::HashMap, net::SocketAddr, path::PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite:…` or `postgres://…`.
    pub database_url: String,
    /// `smtp://…` / `smtps://…`; `None` means the dev mailer (console + dev mailbox page).
    pub smtp_url: Option<String>,
    /// Origin links in mails are built from (never from the `Host` header), and the origin
    /// a cross-site POST must come from.
    pub public_url: String,
    pub listen: SocketAddr,
    /// Origins allowed to embed the portal in an iframe (`frame-ancestors`).
    pub frame_ancestors: Vec<String>,
    pub log_format: LogFormat,
    /// Where the built site (`pkg/` from Trunk) is served from.
    pub site_root: PathBuf,
    /// Fill an empty database with demo data at start.
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

impl Config {
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

        let demo_data = match get("PORTAL_DEMO_DATA").as_deref() {
            None => database_url.starts_with("sqlite:"),
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

        Ok(Config {
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
        ]))
        .unwrap();
        assert!(!c.demo_data);
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
}
