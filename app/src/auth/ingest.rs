//! The back office's signed requests: the ingestion API (`/ingest/v1/…`, server-to-server,
//! never a browser), and the guest permits the portal signs the same way for the operator.
//!
//! A request carries three headers: [`KEY_HEADER`] (which key), [`TIMESTAMP_HEADER`] (Unix
//! seconds, accepted within [`REPLAY_WINDOW`] of the server's clock) and [`SIGNATURE_HEADER`]:
//! `v2=` and the lower-case hex of HMAC-SHA256, under that key's secret, of the request's
//! [`canonical`] string — the method, the path with its query exactly as sent, the timestamp
//! and the SHA-256 of the body, one per line. So a signature means one request: it cannot be
//! moved to another method, resource or query, and [`admit`] refuses one it has seen before
//! (a table of the signatures seen within the window, shared by every instance).
//!
//! The check runs in two steps so that nothing of the body is read from an unsigned peer:
//! [`check_headers`] (the key is ours, the timestamp fresh, the signature well-formed) before
//! the body, then [`Pending::verify`] over the body, then [`admit`] (the replay cache).
//!
//! The first scheme (bare hex over `<timestamp>.<body>`) names neither method nor path: a
//! signed `POST /ingest/v1/ping` replayed as `GET /ingest/v1/guest-permits?company=…`. It is
//! accepted only while `PORTAL_INGEST_LEGACY_SIGNATURES=true` says a back office is being
//! moved over (off by default; README, "Ingestion API").
//!
//! The signature takes the place of the browser's session and CSRF token; a good one grants
//! [`OperatorAccess`], the operator's door to every company (`scope.rs`). Keys come from
//! `PORTAL_INGEST_KEYS` (`config::IngestKeys`); two can be live at once, for rotation.
//! Without keys the API answers 503 and says why.

use super::OperatorAccess;
use crate::config::IngestKeys;
use crate::crypto;
use crate::db::Db;

pub const KEY_HEADER: &str = "x-portal-key";
pub const TIMESTAMP_HEADER: &str = "x-portal-timestamp";
pub const SIGNATURE_HEADER: &str = "x-portal-signature";
/// Seconds a signed request stays acceptable either side of the server's clock; a signature
/// is remembered (and refused again) for as long as it could be accepted.
pub const REPLAY_WINDOW: i64 = 300;
/// What a signature of the current scheme starts with in [`SIGNATURE_HEADER`].
pub const SCHEME_PREFIX: &str = "v2=";

/// The string a `v2` signature covers: `v2`, the method (upper case), the path with its query
/// exactly as in the request line (`/ingest/v1/guest-permits?company=5566778899`; no query, no
/// `?`), the timestamp as sent, and the lower-case hex SHA-256 of the body bytes (of nothing,
/// for a request without a body), joined by line feeds, no line feed at the end.
pub fn canonical(method: &str, path_and_query: &str, timestamp: &str, body: &[u8]) -> String {
    format!(
        "v2\n{}\n{path_and_query}\n{timestamp}\n{}",
        method.to_ascii_uppercase(),
        crypto::sha256_hex(body)
    )
}

/// The [`SIGNATURE_HEADER`] value for a request (`v2=<hex>`): how the portal signs its own
/// requests (the guest permits it sends) and how a Rust client or test signs one.
pub fn sign(
    secret: &str,
    method: &str,
    path_and_query: &str,
    timestamp: &str,
    body: &[u8],
) -> String {
    let canonical = canonical(method, path_and_query, timestamp, body);
    format!(
        "{SCHEME_PREFIX}{}",
        crypto::ingest_signature(secret, &canonical)
    )
}

/// Why a request was refused: 503 when the API is not configured or the replay cache cannot be
/// read, 401 otherwise, each with a reason the back office's developer can act on (never
/// which part of a secret was wrong).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotConfigured,
    MissingHeader(&'static str),
    UnknownKey,
    BadTimestamp,
    Stale,
    MalformedSignature,
    LegacyScheme,
    BadSignature,
    Replayed,
    Unavailable,
}

impl Refusal {
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
            Refusal::MalformedSignature => format!(
                "{SIGNATURE_HEADER} must be {SCHEME_PREFIX} and 64 hex digits"
            ),
            Refusal::LegacyScheme => format!(
                "{SIGNATURE_HEADER} must be {SCHEME_PREFIX}<hex>: the old scheme over \"<timestamp>.<body>\" is not accepted by this server (see the signing section of /ingest/v1/openapi.json)"
            ),
            Refusal::BadSignature => format!(
                "{SIGNATURE_HEADER} is not HMAC-SHA256 under that key of \"v2\\n<METHOD>\\n<path?query>\\n<timestamp>\\n<hex SHA-256 of the body>\""
            ),
            Refusal::Replayed => format!(
                "this signature was already used: sign every request afresh (a repeated request in the same second must wait for the next {TIMESTAMP_HEADER})"
            ),
            Refusal::Unavailable => {
                "the database is unavailable; nothing was stored: sign the request again and retry".into()
            }
        }
    }
}

/// What a request says about itself: its request line and the three headers (`None` when
/// missing).
#[derive(Debug, Clone, Copy)]
pub struct Signed<'a> {
    pub method: &'a str,
    pub path_and_query: &'a str,
    pub key: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// The signature's scheme, from its form in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    V2,
    V1,
}

/// A request whose headers are right, waiting for its body.
#[derive(Debug)]
pub struct Pending<'a> {
    signed: Signed<'a>,
    secret: &'a str,
    timestamp: &'a str,
    at: i64,
    scheme: Scheme,
    mac: Vec<u8>,
}

/// A request whose signature matches its body: [`admit`] turns it into access once.
#[derive(Debug)]
pub struct Verified {
    mac: Vec<u8>,
    remember_until: i64,
}

/// The first step, before any of the body is read: the API is configured, the three headers
/// are there, the key is ours, the timestamp is within the window and the signature has the
/// form of one (`legacy`: the old scheme is accepted too).
pub fn check_headers<'a>(
    keys: &'a IngestKeys,
    legacy: bool,
    signed: Signed<'a>,
    now: i64,
) -> Result<Pending<'a>, Refusal> {
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
    if timestamp.is_empty() || !timestamp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Refusal::BadTimestamp);
    }
    let at: i64 = timestamp.parse().map_err(|_| Refusal::BadTimestamp)?;
    if (now - at).abs() > REPLAY_WINDOW {
        return Err(Refusal::Stale);
    }
    let (scheme, hex) = match signature.strip_prefix(SCHEME_PREFIX) {
        Some(hex) => (Scheme::V2, hex),
        None if signature.len() == 64 && !signature.contains('=') => {
            if !legacy {
                return Err(Refusal::LegacyScheme);
            }
            (Scheme::V1, signature)
        }
        None => return Err(Refusal::MalformedSignature),
    };
    let mac = match crypto::parse_hex(hex) {
        Some(mac) if mac.len() == 32 => mac,
        _ => return Err(Refusal::MalformedSignature),
    };
    Ok(Pending {
        signed,
        secret,
        timestamp,
        at,
        scheme,
        mac,
    })
}

impl Pending<'_> {
    /// The second step: the signature is this key's over this request and `body`.
    pub fn verify(self, body: &[u8]) -> Result<Verified, Refusal> {
        let matches = match self.scheme {
            Scheme::V2 => {
                let canonical = canonical(
                    self.signed.method,
                    self.signed.path_and_query,
                    self.timestamp,
                    body,
                );
                crypto::ingest_signature_matches(self.secret, &canonical, &self.mac)
            }
            Scheme::V1 => {
                crypto::ingest_signature_v1_matches(self.secret, self.timestamp, body, &self.mac)
            }
        };
        if !matches {
            return Err(Refusal::BadSignature);
        }
        Ok(Verified {
            mac: self.mac,
            remember_until: self.at + REPLAY_WINDOW,
        })
    }
}

/// The last step: the first use of a verified signature grants the operator's access; a
/// second one, from any instance, within the window, is a replay. Only verified signatures
/// are remembered, so an unsigned peer cannot fill the table.
pub async fn admit(db: &Db, verified: Verified) -> Result<OperatorAccess, Refusal> {
    match super::store::first_use_of_signature(db, &verified.mac, verified.remember_until).await {
        Ok(true) => Ok(OperatorAccess(())),
        Ok(false) => Err(Refusal::Replayed),
        Err(e) => {
            tracing::warn!(error = %e, "the ingestion replay cache could not be written");
            Err(Refusal::Unavailable)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both pure steps at once, for a body already in hand (the HTTP door runs them apart).
    fn verify(
        keys: &IngestKeys,
        legacy: bool,
        signed: Signed<'_>,
        body: &[u8],
        now: i64,
    ) -> Result<Verified, Refusal> {
        check_headers(keys, legacy, signed, now)?.verify(body)
    }

    const SECRET: &str = "the back office's secret of 32+ chars";
    const NOW: i64 = 1_800_000_000;

    fn keys() -> IngestKeys {
        IngestKeys::parse(&format!("k1={SECRET}")).unwrap()
    }

    /// The worked example of the README and the OpenAPI description (computed there with
    /// Python's hmac and hashlib): if this changes, so must they, and every client.
    #[test]
    fn the_documented_test_vector_holds() {
        let secret = "example secret, at least 32 characters";
        let body = br#"{"sessions":[]}"#;
        assert_eq!(
            canonical("post", "/ingest/v1/sessions", "1800000000", body),
            "v2\nPOST\n/ingest/v1/sessions\n1800000000\n\
             a1179f88a4a67a27ff6c7922fd583ba4fc86888f4882350e58bb15d0158adb76"
        );
        assert_eq!(
            sign(secret, "POST", "/ingest/v1/sessions", "1800000000", body),
            "v2=4971168f2100ab59af0aa77f6b8e236e09e21ebbc51747372909efdbd68feefa"
        );
        assert_eq!(
            sign(
                secret,
                "GET",
                "/ingest/v1/guest-permits?company=5566778899&limit=2",
                "1800000000",
                b""
            ),
            "v2=823d6729a9522922a3ce1c573c03277f6ba8ad30f2653e2566c51c87912b108c"
        );
    }

    fn request<'a>(method: &'a str, path: &'a str, ts: &'a str, sig: &'a str) -> Signed<'a> {
        Signed {
            method,
            path_and_query: path,
            key: Some("k1"),
            timestamp: Some(ts),
            signature: Some(sig),
        }
    }

    #[test]
    fn a_signed_request_passes_and_every_change_fails() {
        let body = br#"{"sessions":[]}"#;
        let ts = NOW.to_string();
        let sig = sign(SECRET, "POST", "/ingest/v1/sessions", &ts, body);
        let ok = request("POST", "/ingest/v1/sessions", &ts, &sig);
        assert!(verify(&keys(), false, ok, body, NOW).is_ok());
        assert!(verify(&keys(), false, ok, body, NOW + REPLAY_WINDOW).is_ok());
        let refused = |signed: Signed<'_>, body: &[u8], now: i64| {
            verify(&keys(), false, signed, body, now).unwrap_err()
        };
        assert_eq!(refused(ok, b"{}", NOW), Refusal::BadSignature);
        assert_eq!(refused(ok, body, NOW + REPLAY_WINDOW + 1), Refusal::Stale);
        // The same signature on another method, resource or query is no signature.
        for (method, path) in [
            ("GET", "/ingest/v1/sessions"),
            ("POST", "/ingest/v1/invoices"),
            ("POST", "/ingest/v1/sessions?x=1"),
        ] {
            assert_eq!(
                refused(request(method, path, &ts, &sig), body, NOW),
                Refusal::BadSignature,
                "{method} {path}"
            );
        }
        assert_eq!(
            refused(
                Signed {
                    key: Some("k2"),
                    ..ok
                },
                body,
                NOW
            ),
            Refusal::UnknownKey
        );
        assert_eq!(
            refused(
                Signed {
                    signature: None,
                    ..ok
                },
                body,
                NOW
            ),
            Refusal::MissingHeader(SIGNATURE_HEADER)
        );
        for bad in ["v2=zz", "v2=", "v3=00", "sig"] {
            assert_eq!(
                refused(
                    Signed {
                        signature: Some(bad),
                        ..ok
                    },
                    body,
                    NOW
                ),
                Refusal::MalformedSignature,
                "{bad}"
            );
        }
        for bad in ["-1", "1e9", " 1800000000", ""] {
            assert_eq!(
                refused(
                    Signed {
                        timestamp: Some(bad),
                        ..ok
                    },
                    body,
                    NOW
                ),
                Refusal::BadTimestamp,
                "{bad:?}"
            );
        }
        assert_eq!(
            verify(&IngestKeys::default(), false, ok, body, NOW).unwrap_err(),
            Refusal::NotConfigured
        );
    }

    #[test]
    fn the_old_scheme_passes_only_while_the_setting_says_so() {
        let ts = NOW.to_string();
        // A monitoring system's signed, empty ping: under the old scheme it was also a
        // signed read of every company's guest permits.
        let old = crypto::ingest_signature_v1(SECRET, &ts, b"");
        let ping = request("POST", "/ingest/v1/ping", &ts, &old);
        let permits = request(
            "GET",
            "/ingest/v1/guest-permits?company=5566778899",
            &ts,
            &old,
        );
        assert_eq!(
            verify(&keys(), false, permits, b"", NOW).unwrap_err(),
            Refusal::LegacyScheme
        );
        assert_eq!(
            verify(&keys(), false, ping, b"", NOW).unwrap_err(),
            Refusal::LegacyScheme
        );
        assert!(verify(&keys(), true, ping, b"", NOW).is_ok());
        assert_eq!(
            verify(&keys(), true, ping, b"x", NOW).unwrap_err(),
            Refusal::BadSignature
        );
        // The new one never verifies as the old or the other way round.
        let new = sign(SECRET, "POST", "/ingest/v1/ping", &ts, b"");
        let new_as_old = new.trim_start_matches(SCHEME_PREFIX);
        assert_eq!(
            verify(
                &keys(),
                true,
                request("POST", "/ingest/v1/ping", &ts, new_as_old),
                b"",
                NOW
            )
            .unwrap_err(),
            Refusal::BadSignature
        );
    }
}
