//! Sign-in rules from `shared/security.md`, as plain functions the server functions and the
//! tests call. Every number below is a requirement from there.

use uuid::Uuid;

use super::{crypto, store};
use crate::{
    companies::{store as companies, Email},
    db::Db,
    enqueue_mail,
    i18n::Lang,
    mail::templates,
    with_pool,
};

pub const CODE_LIFETIME: i64 = 10 * 60;
pub const MAX_ATTEMPTS: i32 = 5;
pub const SEND_COOLDOWN: i64 = 60;
pub const SENDS_PER_EMAIL_PER_HOUR: i64 = 5;
pub const SENDS_PER_IP_PER_HOUR: i64 = 20;
pub const FAILURES_PER_EMAIL_PER_DAY: i64 = 20;
pub const IDLE_TIMEOUT: i64 = 30 * 60;
pub const ABSOLUTE_TIMEOUT: i64 = 8 * 3600;
/// The idle expiry slides at most once a minute (one write a minute, not one per request).
pub const SLIDE_EVERY: i64 = 60;
pub const PURPOSE_SIGN_IN: &str = "sign_in";

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// Too many requests; try again after this many seconds.
    RateLimited {
        retry_after: i64,
    },
    /// "Invalid or expired code": one answer for every verification failure.
    InvalidCode,
    Db,
}

impl From<sqlx::Error> for AuthError {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!(error = %e, "database error in sign-in");
        AuthError::Db
    }
}

fn window_retry(oldest: Option<i64>, window: i64, now: i64) -> i64 {
    oldest.map_or(window, |t| (t + window - now).max(1))
}

/// Checks and counts the send limits for a code request. Applies the same to every address,
/// known or not, so a 429 tells nothing about who may sign in.
pub async fn check_send_limits(
    db: &Db,
    email: &Email,
    client_ip: &str,
    limits: Limits,
    now: i64,
) -> Result<(), AuthError> {
    let ip_bucket = format!("send:ip:{client_ip}");
    let email_bucket = format!("send:email:{email}");
    let fail_bucket = format!("fail:email:{email}");

    let (n, oldest, _) = store::count_events(db, &ip_bucket, now - 3600).await?;
    if n >= SENDS_PER_IP_PER_HOUR {
        return Err(AuthError::RateLimited {
            retry_after: window_retry(oldest, 3600, now),
        });
    }
    let (n, oldest, _) = store::count_events(db, "send:global", now - 3600).await?;
    if n >= limits.global_sends_per_hour {
        return Err(AuthError::RateLimited {
            retry_after: window_retry(oldest, 3600, now),
        });
    }
    let (n, oldest, newest) = store::count_events(db, &email_bucket, now - 3600).await?;
    if let Some(last) = newest.filter(|&t| t > now - SEND_COOLDOWN) {
        return Err(AuthError::RateLimited {
            retry_after: (last + SEND_COOLDOWN - now).max(1),
        });
    }
    if n >= SENDS_PER_EMAIL_PER_HOUR {
        return Err(AuthError::RateLimited {
            retry_after: window_retry(oldest, 3600, now),
        });
    }
    let (n, oldest, _) = store::count_events(db, &fail_bucket, now - 86_400).await?;
    if n >= FAILURES_PER_EMAIL_PER_DAY {
        return Err(AuthError::RateLimited {
            retry_after: window_retry(oldest, 86_400, now),
        });
    }
    store::add_events(db, &[&ip_bucket, "send:global", &email_bucket], now).await?;
    Ok(())
}

/// If the address may sign in, stores a fresh code (replacing any earlier one) and puts the
/// mail in the outbox, in one transaction. Returns whether a code was issued. Runs in the
/// background of the request, so its timing never reaches the answer.
pub async fn issue_code_if_eligible(
    db: &Db,
    key: &crypto::SecretKey,
    email: &Email,
    lang: Lang,
    now: i64,
) -> Result<bool, AuthError> {
    if !store::may_sign_in(db, email.as_str(), now).await? {
        return Ok(false);
    }
    issue_code(db, key, email, PURPOSE_SIGN_IN, lang, now).await?;
    Ok(true)
}

/// Stores a fresh code for (email, purpose), replacing any earlier one, and puts its mail in
/// the outbox, in one transaction.
pub async fn issue_code(
    db: &Db,
    key: &crypto::SecretKey,
    email: &Email,
    purpose: &str,
    lang: Lang,
    now: i64,
) -> Result<(), AuthError> {
    let code = crypto::generate_code();
    let mac = crypto::code_mac(key, purpose, email.as_str(), &code);
    let mail = if purpose == PURPOSE_SIGN_IN {
        templates::sign_in_code(lang, email.as_str(), &code, CODE_LIFETIME / 60)
    } else {
        templates::confirm_code(lang, email.as_str(), &code, CODE_LIFETIME / 60)
    };
    with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query(store::PUT_CODE_SQL)
            .bind(email.as_str())
            .bind(purpose)
            .bind(&mac)
            .bind(now + CODE_LIFETIME)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        // Every code mail is a 'sign_in_code' to the outbox: its body is emptied once sent.
        enqueue_mail!(&mut *tx, mail, "sign_in_code", None::<Uuid>, now)?;
        tx.commit().await
    })?;
    Ok(())
}

/// Checks a code. The attempt is counted before the comparison; the 6th attempt fails even
/// with the right code; a used or expired code fails; of two simultaneous right answers
/// exactly one wins. On success returns the user id (created on a first sign-in by
/// invitation) and forgets the email's outstanding codes.
pub async fn verify_code(
    db: &Db,
    key: &crypto::SecretKey,
    email: &Email,
    input: &str,
    now: i64,
) -> Result<Uuid, AuthError> {
    check_code(db, key, email, PURPOSE_SIGN_IN, input, now).await?;
    store::forget_codes(db, email.as_str()).await?;
    let user_id = match store::user_by_email(db, email.as_str()).await? {
        Some((id, _)) => id,
        None => companies::upsert_user(db, Uuid::new_v4(), email, "", now).await?,
    };
    Ok(user_id)
}

/// Checks and uses up the code for (email, purpose), by the same rules for every purpose:
/// counted before comparing, 5 attempts, 10 minutes, single use; failures count toward the
/// address's 24-hour cap.
pub async fn check_code(
    db: &Db,
    key: &crypto::SecretKey,
    email: &Email,
    purpose: &str,
    input: &str,
    now: i64,
) -> Result<(), AuthError> {
    let ok = match store::take_attempt(db, email.as_str(), purpose, now, MAX_ATTEMPTS).await? {
        None => false,
        Some(stored_mac) => {
            crypto::normalize_code(input).is_some_and(|code| {
                crypto::code_matches(key, purpose, email.as_str(), &code, &stored_mac)
            }) && store::consume_code(db, email.as_str(), purpose, now).await?
        }
    };
    if ok {
        Ok(())
    } else {
        store::add_events(db, &[&format!("fail:email:{email}")], now).await?;
        Err(AuthError::InvalidCode)
    }
}

/// A new signed-in session for `user_id`, replacing the pre-session `old_hash`. A person in
/// exactly one company goes straight into it. Returns the new cookie token.
pub async fn start_session(
    db: &Db,
    old_hash: Option<&[u8]>,
    user_id: Uuid,
    now: i64,
) -> Result<String, AuthError> {
    let memberships = companies::memberships_of(db, user_id).await?;
    let company_id = match memberships.as_slice() {
        [(id, _, _)] => Some(*id),
        _ => None,
    };
    new_session(
        db,
        old_hash,
        user_id,
        company_id,
        now,
        now + ABSOLUTE_TIMEOUT,
    )
    .await
}

async fn new_session(
    db: &Db,
    old_hash: Option<&[u8]>,
    user_id: Uuid,
    company_id: Option<Uuid>,
    now: i64,
    absolute_expires_at: i64,
) -> Result<String, AuthError> {
    let (token, hash) = crypto::new_token();
    let row = store::NewSession {
        token_hash: &hash,
        user_id: Some(user_id),
        company_id,
        pending_email: None,
        now,
        idle_expires_at: (now + IDLE_TIMEOUT).min(absolute_expires_at),
        absolute_expires_at,
    };
    match old_hash {
        Some(old) => store::rotate_session(db, old, &row).await?,
        None => store::insert_session(db, &row).await?,
    }
    Ok(token)
}

/// Switches the session to another of the user's companies (checked in the database) under
/// a new session id. The absolute expiry stays that of the sign-in.
pub async fn switch_company(
    db: &Db,
    session: &store::SessionRow,
    company_id: Uuid,
    now: i64,
) -> Result<Option<String>, AuthError> {
    let Some(user_id) = session.user_id else {
        return Ok(None);
    };
    if store::role_in(db, user_id, company_id).await?.is_none() {
        return Ok(None);
    }
    new_session(
        db,
        Some(&session.token_hash),
        user_id,
        Some(company_id),
        now,
        session.absolute_expires_at,
    )
    .await
    .map(Some)
}

/// A pre-session for a visitor who is about to sign in: its cookie token and its row.
pub async fn start_pre_session(
    db: &Db,
    now: i64,
) -> Result<(String, store::SessionRow), AuthError> {
    let (token, hash) = crypto::new_token();
    let row = store::SessionRow {
        token_hash: hash,
        user_id: None,
        company_id: None,
        pending_email: None,
        last_seen_at: now,
        idle_expires_at: now + IDLE_TIMEOUT,
        absolute_expires_at: now + ABSOLUTE_TIMEOUT,
    };
    store::insert_session(
        db,
        &store::NewSession {
            token_hash: &row.token_hash,
            user_id: None,
            company_id: None,
            pending_email: None,
            now,
            idle_expires_at: row.idle_expires_at,
            absolute_expires_at: row.absolute_expires_at,
        },
    )
    .await?;
    Ok((token, row))
}

/// The idle expiry a request at `now` gives the session, or `None` when the last slide was
/// less than a minute ago (no write needed).
pub fn slide(session: &store::SessionRow, now: i64) -> Option<i64> {
    (now - session.last_seen_at >= SLIDE_EVERY)
        .then(|| (now + IDLE_TIMEOUT).min(session.absolute_expires_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(last_seen_at: i64, absolute_expires_at: i64) -> store::SessionRow {
        store::SessionRow {
            token_hash: vec![],
            user_id: None,
            company_id: None,
            pending_email: None,
            last_seen_at,
            idle_expires_at: last_seen_at + IDLE_TIMEOUT,
            absolute_expires_at,
        }
    }

    #[test]
    fn the_idle_expiry_slides_at_most_once_a_minute() {
        let s = row(1_000, 1_000 + ABSOLUTE_TIMEOUT);
        assert_eq!(slide(&s, 1_059), None);
        assert_eq!(slide(&s, 1_060), Some(1_060 + IDLE_TIMEOUT));
    }

    #[test]
    fn the_idle_expiry_never_passes_the_absolute_one() {
        let s = row(1_000, 1_000 + 600);
        assert_eq!(slide(&s, 1_500), Some(1_600));
    }

    #[test]
    fn a_window_retry_counts_from_the_oldest_event() {
        assert_eq!(window_retry(Some(100), 3600, 200), 3500);
        assert_eq!(window_retry(None, 3600, 200), 3600);
        assert_eq!(window_retry(Some(0), 10, 100), 1);
    }
}
