//! The back office's signed requests: the ingestion API (`/ingest/v1/…`, server-to-server,
//! never a browser). A request carries three headers — [`KEY_HEADER`] (which key),
//! [`TIMESTAMP_HEADER`] (Unix seconds) and [`SIGNATURE_HEADER`] (lower-case hex of
//! HMAC-SHA256 under that key's secret over `<timestamp>.<body>`) — and is accepted within
//! [`REPLAY_WINDOW`] of the server's clock. The signature takes the place of the browser's
//! session and CSRF token; a good one grants [`OperatorAccess`], the operator's door to every
//! company (`scope.rs`). Keys come from `PORTAL_INGEST_KEYS` (`config::IngestKeys`); two can
//! be live at once, for rotation. Without keys the API answers 503 and says why.

use super::OperatorAccess;
use crate::config::IngestKeys;
use crate::crypto;

pub const KEY_HEADER: &str = "x-portal-key";
pub const TIMESTAMP_HEADER: &str = "x-portal-timestamp";
pub const SIGNATURE_HEADER: &str = "x-portal-signature";
/// Seconds a signed request stays acceptable either side of the server's clock.
pub const REPLAY_WINDOW: i64 = 300;

/// Why a request was refused: 503 when the API is not configured, 401 otherwise, each with a
/// reason the back office's developer can act on (never which part of a secret was wrong).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotConfigured,
    MissingHeader(&'static str),
    UnknownKey,
    BadTimestamp,
    Stale,
    BadSignature,
}

impl Refusal {
    pub fn status(&self) -> u16 {
        match self {
            Refusal::NotConfigured => 503,
            _ => 401,
        }
    }

    pub fn reason(&self) -> String {
        match self {
            Refusal::NotConfigured => {
                "the ingestion API is not configured on this server: PORTAL_INGEST_KEYS is unset".into()
            }
            Refusal::MissingHeader(h) => format!("the {h} header is missing"),
            Refusal::UnknownKey => format!("the {KEY_HEADER} header names no key of this server"),
            Refusal::BadTimestamp => format!("{TIMESTAMP_HEADER} must be Unix seconds"),
            Refusal::Stale => format!(
                "{TIMESTAMP_HEADER} is more than {REPLAY_WINDOW} s from the server's clock (a replay, or a clock that is off)"
            ),
            Refusal::BadSignature => format!(
                "{SIGNATURE_HEADER} is not HMAC-SHA256 of \"<timestamp>.<body>\" under that key (hex)"
            ),
        }
    }
}

/// The three headers as received (`None` when missing).
#[derive(Debug, Clone, Copy, Default)]
pub struct Signed<'a> {
    pub key: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// Checks a request; on success, the operator's access for the handlers.
pub fn verify(
    keys: &IngestKeys,
    signed: Signed<'_>,
    body: &[u8],
    now: i64,
) -> Result<OperatorAccess, Refusal> {
    if keys.is_empty() {
        return Err(Refusal::NotConfigured);
    }
    let key = signed.key.ok_or(Refusal::MissingHeader(KEY_HEADER))?;
    let timestamp = signed
        .timestamp
        .ok_or(Refusal::MissingHeader(TIMESTAMP_HEADER))?;
    let signature = signed
        .signature
        .ok_or(Refusal::MissingHeader(SIGNATURE_HEADER))?;
    let secret = keys.secret(key).ok_or(Refusal::UnknownKey)?;
    let at: i64 = timestamp.parse().map_err(|_| Refusal::BadTimestamp)?;
    if (now - at).abs() > REPLAY_WINDOW {
        return Err(Refusal::Stale);
    }
    if !crypto::ingest_signature_matches(secret, timestamp, body, signature) {
        return Err(Refusal::BadSignature);
    }
    Ok(OperatorAccess(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "the back office's secret of 32+ chars";
    const NOW: i64 = 1_800_000_000;

    fn keys() -> IngestKeys {
        IngestKeys::parse(&format!("k1={SECRET}")).unwrap()
    }

    #[test]
    fn a_signed_request_passes_and_every_change_fails() {
        let body = br#"{"sessions":[]}"#;
        let ts = NOW.to_string();
        let sig = crypto::ingest_signature(SECRET, &ts, body);
        let ok = Signed {
            key: Some("k1"),
            timestamp: Some(&ts),
            signature: Some(&sig),
        };
        assert!(verify(&keys(), ok, body, NOW).is_ok());
        assert!(verify(&keys(), ok, body, NOW + REPLAY_WINDOW).is_ok());
        assert_eq!(
            verify(&keys(), ok, b"{}", NOW).unwrap_err(),
            Refusal::BadSignature
        );
        assert_eq!(
            verify(&keys(), ok, body, NOW + REPLAY_WINDOW + 1).unwrap_err(),
            Refusal::Stale
        );
        let other = Signed {
            key: Some("k2"),
            ..ok
        };
        assert_eq!(
            verify(&keys(), other, body, NOW).unwrap_err(),
            Refusal::UnknownKey
        );
        let unsigned = Signed {
            signature: None,
            ..ok
        };
        assert_eq!(
            verify(&keys(), unsigned, body, NOW).unwrap_err(),
            Refusal::MissingHeader(SIGNATURE_HEADER)
        );
        assert_eq!(
            verify(&IngestKeys::default(), ok, body, NOW).unwrap_err(),
            Refusal::NotConfigured
        );
    }
}
