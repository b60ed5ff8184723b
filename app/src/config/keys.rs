//! Secrets from the environment: the ingestion API's keys and the operator's back office
//! endpoints (guest permits, company rules).
//! Their `Debug` output shows ids and URLs only, never a secret.

use super::{err, ConfigError};

/// The operator's back office: its endpoint for guest permits, its endpoint for the
/// companies' rules, and the key that signs each message to either (the ingestion API's
/// scheme: `x-portal-key`, `x-portal-timestamp`, `x-portal-signature`).
#[derive(Clone, PartialEq, Eq)]
pub struct OperatorBackOffice {
    /// `PORTAL_OPERATOR_PERMITS_URL`.
    pub permits_url: String,
    /// `PORTAL_OPERATOR_POLICIES_URL`: unset, rule changes wait in their outbox (a local run
    /// or a test; `Config::check_for_serving` refuses a deployment without it).
    pub policies_url: Option<String>,
    pub key_id: String,
    pub secret: String,
}

impl std::fmt::Debug for OperatorBackOffice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorBackOffice")
            .field("permits_url", &self.permits_url)
            .field("policies_url", &self.policies_url)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl OperatorBackOffice {
    /// The permits URL and the key both or neither (the rules' URL only with them); each URL
    /// `https://` (plain `http://` only to this machine, for tests); the key as one
    /// `id=secret` pair of `PORTAL_INGEST_KEYS`'s form.
    pub(super) fn parse(
        url: Option<String>,
        key: Option<String>,
        policies_url: Option<String>,
    ) -> Result<Option<Self>, ConfigError> {
        const URL: &str = "PORTAL_OPERATOR_PERMITS_URL";
        const KEY: &str = "PORTAL_OPERATOR_PERMITS_KEY";
        const POLICIES: &str = "PORTAL_OPERATOR_POLICIES_URL";
        let (url, key) = match (url, key) {
            (None, None) if policies_url.is_some() => {
                return Err(err(
                    POLICIES,
                    format!("needs {URL} and {KEY} (its messages are signed with that key)"),
                ))
            }
            (None, None) => return Ok(None),
            (Some(_), None) => return Err(err(KEY, format!("is required with {URL}"))),
            (None, Some(_)) => return Err(err(URL, format!("is required with {KEY}"))),
            (Some(u), Some(k)) => (u, k),
        };
        let checked = |var: &'static str, url: &str| {
            let a = super::vars::authority(var, url, &["https", "http"], false)?;
            if a.scheme == "http" && !a.is_loopback() {
                return Err(err(
                    var,
                    "must be an https:// URL (http:// only to 127.0.0.1 or localhost)",
                ));
            }
            Ok(())
        };
        checked(URL, &url)?;
        if let Some(p) = &policies_url {
            checked(POLICIES, p)?;
        }
        let keys = IngestKeys::parse(&key).map_err(|reason| err(KEY, reason))?;
        match keys.0.as_slice() {
            [(id, secret)] => Ok(Some(OperatorBackOffice {
                permits_url: url,
                policies_url,
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

    /// Whether `secret` is the secret of one of these keys.
    pub fn holds_secret(&self, secret: &str) -> bool {
        self.0.iter().any(|(_, s)| s == secret)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::vars;
    use crate::config::Config;

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
