//! The cryptography of sign-in: one-time codes, their MACs, session tokens and CSRF tokens.
//! Randomness comes from the operating system's CSPRNG; comparisons of secrets are
//! constant-time.

use hmac::{Hmac, Mac};
use rand::{rngs::OsRng, Rng, RngCore};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The server's HMAC key (`PORTAL_SECRET_KEY`, or generated into `data/` for the embedded
/// default). Debug output never shows it.
#[derive(Clone)]
pub struct SecretKey(Vec<u8>);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

pub const MIN_KEY_LEN: usize = 32;

impl SecretKey {
    /// A key from configuration: at least 32 bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Option<Self> {
        let bytes = bytes.into();
        (bytes.len() >= MIN_KEY_LEN).then_some(SecretKey(bytes))
    }

    /// 32 random bytes as 64 hex characters, for a generated key file.
    pub fn generate_hex() -> String {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        hex(&bytes)
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.0).expect("HMAC takes a key of any length")
    }

    /// A MAC of `message` for one `purpose` (a link's signature: a mail's unsubscribe link),
    /// as hex. The purpose is part of the MAC, so a signature made for one use is worth
    /// nothing for another.
    pub fn sign(&self, purpose: &str, message: &str) -> String {
        let mut mac = self.mac();
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(message.as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    /// Whether `signature` is [`SecretKey::sign`]'s for this purpose and message
    /// (constant-time).
    pub fn verify(&self, purpose: &str, message: &str, signature: &str) -> bool {
        let mut mac = self.mac();
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(message.as_bytes());
        verify_hex(mac, signature)
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A uniform 6-digit code (`gen_range` has no modulo bias), as `"042917"`.
pub fn generate_code() -> String {
    format!("{:06}", OsRng.gen_range(0..1_000_000u32))
}

/// `123456` or `123 456` (or with other spaces/dashes) to `"123456"`; anything else is `None`.
pub fn normalize_code(input: &str) -> Option<String> {
    let digits: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\u{a0}'))
        .collect();
    (digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// `HMAC-SHA256(key, purpose ‖ 0 ‖ email ‖ 0 ‖ code)` as hex: what is stored instead of the code.
pub fn code_mac(key: &SecretKey, purpose: &str, email: &str, code: &str) -> String {
    hex(&code_hmac(key, purpose, email, code).finalize().into_bytes())
}

fn code_hmac(key: &SecretKey, purpose: &str, email: &str, code: &str) -> HmacSha256 {
    let mut mac = key.mac();
    mac.update(purpose.as_bytes());
    mac.update(&[0]);
    mac.update(email.as_bytes());
    mac.update(&[0]);
    mac.update(code.as_bytes());
    mac
}

/// Whether `code` matches the stored MAC, compared in constant time.
pub fn code_matches(
    key: &SecretKey,
    purpose: &str,
    email: &str,
    code: &str,
    stored_hex: &str,
) -> bool {
    verify_hex(code_hmac(key, purpose, email, code), stored_hex)
}

/// The back office's request signature (the ingestion API, `auth::ingest`), scheme `v2`:
/// HMAC-SHA256 under the key's secret over the canonical string of a request
/// (`auth::ingest::canonical`: method, path and query, timestamp, the body's SHA-256).
fn ingest_hmac(secret: &str, canonical: &str) -> HmacSha256 {
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(canonical.as_bytes());
    mac
}

/// [`ingest_hmac`] as lower-case hex, as a client sends it (after `v2=`).
pub fn ingest_signature(secret: &str, canonical: &str) -> String {
    hex(&ingest_hmac(secret, canonical).finalize().into_bytes())
}

/// Whether `signature` (raw bytes) is [`ingest_signature`] of this canonical string,
/// compared in constant time.
pub fn ingest_signature_matches(secret: &str, canonical: &str, signature: &[u8]) -> bool {
    ingest_hmac(secret, canonical)
        .verify_slice(signature)
        .is_ok()
}

/// The first scheme, `v1`, kept for a documented transition only
/// (`PORTAL_INGEST_LEGACY_SIGNATURES`): HMAC-SHA256 over `<timestamp>.<body>`. It names
/// neither the method nor the path, so a signed request could be replayed to another resource.
fn ingest_hmac_v1(secret: &str, timestamp: &str, body: &[u8]) -> HmacSha256 {
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// [`ingest_hmac_v1`] as lower-case hex (tests of the transition, and old clients).
pub fn ingest_signature_v1(secret: &str, timestamp: &str, body: &[u8]) -> String {
    hex(&ingest_hmac_v1(secret, timestamp, body)
        .finalize()
        .into_bytes())
}

/// Whether `signature` (raw bytes) is [`ingest_signature_v1`] of these, in constant time.
pub fn ingest_signature_v1_matches(
    secret: &str,
    timestamp: &str,
    body: &[u8],
    signature: &[u8],
) -> bool {
    ingest_hmac_v1(secret, timestamp, body)
        .verify_slice(signature)
        .is_ok()
}

/// SHA-256 of some bytes as lower-case hex (a signed request's body, in its canonical string).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Hex (either case) to bytes; `None` for anything else.
pub fn parse_hex(s: &str) -> Option<Vec<u8>> {
    unhex(s)
}

fn verify_hex(mac: HmacSha256, expected_hex: &str) -> bool {
    unhex(expected_hex).is_some_and(|bytes| mac.verify_slice(&bytes).is_ok())
}

/// A new session (or invitation) token: 32 random bytes, as the hex the cookie or link
/// carries, and the SHA-256 the database keeps.
pub fn new_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = hex(&bytes);
    let hash = token_hash(&token);
    (token, hash)
}

/// A pre-session token for a visitor on the sign-in page, made without a database write: 12
/// random bytes, the issue time (4 bytes, seconds) and the first 16 bytes of
/// `HMAC(key, "pre" ‖ 0 ‖ random ‖ time)`, as 64 hex digits like every other token. The server
/// recognises it by its MAC ([`pre_session_issued_at`]); a row is written only when the
/// visitor asks for a code (shared/security.md, "Web sessions": anonymous traffic cannot
/// grow a table).
pub fn new_pre_session_token(key: &SecretKey, now: i64) -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes[..12]);
    bytes[12..16].copy_from_slice(&(now.clamp(0, i64::from(u32::MAX)) as u32).to_be_bytes());
    let tag = pre_session_mac(key, &bytes[..16]).finalize().into_bytes();
    bytes[16..].copy_from_slice(&tag[..16]);
    let token = hex(&bytes);
    let hash = token_hash(&token);
    (token, hash)
}

/// When this pre-session token was issued, if the server made it (its MAC holds).
pub fn pre_session_issued_at(key: &SecretKey, token: &str) -> Option<i64> {
    let bytes = unhex(token).filter(|b| b.len() == 32)?;
    pre_session_mac(key, &bytes[..16])
        .verify_truncated_left(&bytes[16..])
        .ok()?;
    Some(i64::from(u32::from_be_bytes(
        bytes[12..16].try_into().ok()?,
    )))
}

fn pre_session_mac(key: &SecretKey, body: &[u8]) -> HmacSha256 {
    let mut mac = key.mac();
    mac.update(b"pre\0");
    mac.update(body);
    mac
}

/// SHA-256 of a token as received (the hex string), or `None` if it is not a well-formed token.
pub fn parse_token(token: &str) -> Option<Vec<u8>> {
    (token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())).then(|| token_hash(token))
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The CSRF token of a session: `HMAC(key, "csrf" ‖ 0 ‖ session token hash)`, hex.
pub fn csrf_token(key: &SecretKey, session_hash: &[u8]) -> String {
    let mut mac = key.mac();
    mac.update(b"csrf\0");
    mac.update(session_hash);
    hex(&mac.finalize().into_bytes())
}

/// Whether a submitted CSRF token is the session's, in constant time.
pub fn csrf_matches(key: &SecretKey, session_hash: &[u8], submitted: &str) -> bool {
    let mut mac = key.mac();
    mac.update(b"csrf\0");
    mac.update(session_hash);
    verify_hex(mac, submitted)
}

/// Binds an export's keyset cursor to the session and the filter:
/// `HMAC(key, "export" ‖ 0 ‖ session hash ‖ 0 ‖ filter ‖ 0 ‖ cursor)`, hex. Only the first
/// chunk of an export (no cursor) is served without one, and that chunk writes the audit
/// entry, so an export cannot skip the audit log by starting from a made-up cursor.
pub fn export_cursor_mac(
    key: &SecretKey,
    session_hash: &[u8],
    filter: &str,
    cursor: &str,
) -> String {
    hex(&export_mac(key, session_hash, filter, cursor)
        .finalize()
        .into_bytes())
}

pub fn export_cursor_matches(
    key: &SecretKey,
    session_hash: &[u8],
    filter: &str,
    cursor: &str,
    submitted: &str,
) -> bool {
    verify_hex(export_mac(key, session_hash, filter, cursor), submitted)
}

fn export_mac(key: &SecretKey, session_hash: &[u8], filter: &str, cursor: &str) -> HmacSha256 {
    let mut mac = key.mac();
    for part in [
        b"export".as_slice(),
        session_hash,
        filter.as_bytes(),
        cursor.as_bytes(),
    ] {
        // Each part with its length first: no byte inside one part can move the boundary
        // to the next (with a bare separator, `a\0b` + `c` and `a` + `b\0c` agreed).
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_cursors_are_bound_to_session_filter_and_position() {
        let key = SecretKey::new(*b"0123456789abcdef0123456789abcdef").unwrap();
        let mac = export_cursor_mac(&key, b"s1", "year=2026", "100.abc");
        assert!(export_cursor_matches(
            &key,
            b"s1",
            "year=2026",
            "100.abc",
            &mac
        ));
        assert!(!export_cursor_matches(
            &key,
            b"s2",
            "year=2026",
            "100.abc",
            &mac
        ));
        assert!(!export_cursor_matches(
            &key,
            b"s1",
            "year=2025",
            "100.abc",
            &mac
        ));
        assert!(!export_cursor_matches(
            &key,
            b"s1",
            "year=2026",
            "101.abc",
            &mac
        ));
        assert!(!export_cursor_matches(
            &key,
            b"s1",
            "year=2026",
            "100.abc",
            "zz"
        ));
    }

    fn key() -> SecretKey {
        SecretKey::new(*b"0123456789abcdef0123456789abcdef").unwrap()
    }

    #[test]
    fn codes_are_six_digits_and_cover_the_whole_range_uniformly() {
        let mut buckets = [0u32; 10];
        let n = 100_000;
        for _ in 0..n {
            let c = generate_code();
            assert_eq!(c.len(), 6);
            assert!(c.bytes().all(|b| b.is_ascii_digit()));
            buckets[(c.as_bytes()[0] - b'0') as usize] += 1;
        }
        // Each leading digit ~10 %: a chi-squared test with 9 degrees of freedom; 27.88 is
        // the 0.1 % critical value, so an honest generator fails this once in a thousand runs.
        let expected = n as f64 / 10.0;
        let chi2: f64 = buckets
            .iter()
            .map(|&o| (o as f64 - expected).powi(2) / expected)
            .sum();
        assert!(
            chi2 < 27.88,
            "leading digits are not uniform: {buckets:?} (chi² {chi2:.1})"
        );
    }

    #[test]
    fn codes_are_accepted_with_or_without_the_space() {
        assert_eq!(normalize_code("123456").as_deref(), Some("123456"));
        assert_eq!(normalize_code(" 123 456 ").as_deref(), Some("123456"));
        assert_eq!(normalize_code("123-456").as_deref(), Some("123456"));
        for bad in ["12345", "1234567", "12a456", "", "１２３４５６"] {
            assert_eq!(normalize_code(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_mac_binds_purpose_email_and_code() {
        let k = key();
        let mac = code_mac(&k, "sign_in", "anna@example.se", "123456");
        assert_eq!(mac.len(), 64);
        assert!(!mac.contains("123456"));
        assert!(code_matches(
            &k,
            "sign_in",
            "anna@example.se",
            "123456",
            &mac
        ));
        assert!(!code_matches(
            &k,
            "sign_in",
            "anna@example.se",
            "123457",
            &mac
        ));
        assert!(!code_matches(
            &k,
            "transfer_ownership",
            "anna@example.se",
            "123456",
            &mac
        ));
        assert!(!code_matches(
            &k,
            "sign_in",
            "bo@example.se",
            "123456",
            &mac
        ));
        // The separator keeps ("ab", "c") and ("a", "bc") apart.
        assert_ne!(
            code_mac(&k, "sign_in", "ab", "c12345"),
            code_mac(&k, "sign_in", "abc", "12345")
        );
        let other = SecretKey::new(*b"another key that is long enough!").unwrap();
        assert!(!code_matches(
            &other,
            "sign_in",
            "anna@example.se",
            "123456",
            &mac
        ));
        assert!(!code_matches(
            &k,
            "sign_in",
            "anna@example.se",
            "123456",
            "not hex"
        ));
    }

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let (a, ha) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(parse_token(&a), Some(ha.clone()));
        assert_ne!(hex(&ha), a);
        assert_eq!(parse_token("short"), None);
        assert_eq!(parse_token(&"z".repeat(64)), None);
    }

    #[test]
    fn pre_session_tokens_are_recognised_by_their_mac_only() {
        let (token, hash) = new_pre_session_token(&key(), 1_700_000_000);
        assert_eq!(
            parse_token(&token),
            Some(hash),
            "a well-formed token like any other"
        );
        assert_eq!(pre_session_issued_at(&key(), &token), Some(1_700_000_000));
        let other = SecretKey::new(*b"another key, also 32 bytes long.").unwrap();
        assert_eq!(pre_session_issued_at(&other, &token), None, "another key");
        let mut forged = token.clone().into_bytes();
        forged[30] = if forged[30] == b'0' { b'1' } else { b'0' };
        let forged = String::from_utf8(forged).unwrap();
        assert_eq!(
            pre_session_issued_at(&key(), &forged),
            None,
            "a changed time"
        );
        let (random, _) = new_token();
        assert_eq!(pre_session_issued_at(&key(), &random), None);
    }

    #[test]
    fn csrf_tokens_belong_to_one_session() {
        let k = key();
        let (_, s1) = new_token();
        let (_, s2) = new_token();
        let t = csrf_token(&k, &s1);
        assert!(csrf_matches(&k, &s1, &t));
        assert!(!csrf_matches(&k, &s2, &t));
        assert!(!csrf_matches(&k, &s1, ""));
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(SecretKey::new(b"short".to_vec()).is_none());
        assert_eq!(SecretKey::generate_hex().len(), 64);
    }
}
