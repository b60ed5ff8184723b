//! Sign-in rules from `shared/security.md`, as plain functions the server functions and the
//! tests call. Every number below is a requirement from there.

use uuid::Uuid;

use super::store;
use crate::crypto;
use crate::{
    companies::{store as companies, Email},
    db::Db,
    i18n::Lang,
    mail::templates,
    metrics,
};

/// A company's allowance for one kind of action: at most `max` of them in any `window`
/// seconds (the guest quota, the invitation budget).
pub struct CompanyBudget {
    /// The bucket's name before the company id: `"guests:hour"` counts in `guests:hour:<id>`.
    pub name: &'static str,
    pub window: i64,
    pub max: i64,
}

/// Spends one of each of the company's budgets, atomically (`store::reserve`): parallel
/// requests cannot overdraw them, and when one is spent none is charged and the answer is
/// `RateLimited` with the seconds until all of them allow one more.
pub async fn spend_company_budgets(
    db: &Db,
    company: Uuid,
    budgets: &[CompanyBudget],
    now: i64,
) -> Result<(), crate::error::AppError> {
    let buckets: Vec<String> = budgets
        .iter()
        .map(|b| format!("{}:{company}", b.name))
        .collect();
    let checks: Vec<store::Check<'_>> = budgets
        .iter()
        .zip(&buckets)
        .map(|(b, bucket)| store::Check::AtMost {
            bucket,
            window: b.window,
            max: b.max,
        })
        .collect();
    let add: Vec<&str> = buckets.iter().map(String::as_str).collect();
    match store::reserve(db, &checks, &add, now).await? {
        None => Ok(()),
        Some(retry_after) => {
            // The kind of budget (`guests`, `invitations`): the part of the name before ':'.
            if let Some(b) = budgets.first() {
                metrics::rate_limited(b.name.split(':').next().unwrap_or(b.name));
            }
            Err(crate::error::AppError::RateLimited { retry_after })
        }
    }
}

pub const CODE_LIFETIME: i64 = 10 * 60;
pub const MAX_ATTEMPTS: i32 = 5;
pub const SEND_COOLDOWN: i64 = 60;
pub const SENDS_PER_EMAIL_PER_HOUR: i64 = 5;
pub const SENDS_PER_IP_PER_HOUR: i64 = 20;
pub const FAILURES_PER_EMAIL_PER_DAY: i64 = 20;
pub const IDLE_TIMEOUT: i64 = 30 * 60;
pub const ABSOLUTE_TIMEOUT: i64 = 8 * 3600;
/// The front desk's working day on a shared tablet: the role can only register guests and see
/// who is parked, so its sessions may last as long as a reception is open (security.md).
pub const FRONT_DESK_IDLE_TIMEOUT: i64 = 10 * 3600;
pub const FRONT_DESK_ABSOLUTE_TIMEOUT: i64 = 10 * 3600;
/// The idle expiry slides at most once a minute (one write a minute, not one per request).
pub const SLIDE_EVERY: i64 = 60;
pub const PURPOSE_SIGN_IN: &str = "sign_in";

/// How long a session may last: idle (since the last request) and absolute (since sign-in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    pub idle: i64,
    pub absolute: i64,
}

/// The limits of a session acting with `role` (`None`: no company chosen yet). Only the front
/// desk gets the long day; every other role keeps 30 minutes / 8 hours.
pub fn session_limits(role: Option<crate::companies::Role>) -> SessionLimits {
    match role {
        Some(crate::companies::Role::FrontDesk) => SessionLimits {
            idle: FRONT_DESK_IDLE_TIMEOUT,
            absolute: FRONT_DESK_ABSOLUTE_TIMEOUT,
        },
        _ => SessionLimits {
            idle: IDLE_TIMEOUT,
            absolute: ABSOLUTE_TIMEOUT,
        },
    }
}

/// The deployment-sized limits (`PORTAL_SEND_BUDGET`); configuration, so it lives there.
pub use crate::config::Limits;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// Too many requests; try again after this many seconds.
    RateLimited { retry_after: i64 },
    /// "Invalid or expired code": one answer for every verification failure.
    InvalidCode,
    /// The database failed: `Internal`, or `Unavailable` while it cannot be reached.
    Db(crate::error::AppError),
}

impl From<AuthError> for crate::error::AppError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::RateLimited { retry_after } => Self::RateLimited { retry_after },
            AuthError::InvalidCode => Self::InvalidCode,
            AuthError::Db(e) => e,
        }
    }
}

impl From<sqlx::Error> for AuthError {
    fn from(e: sqlx::Error) -> Self {
        AuthError::Db(crate::error::AppError::from(e))
    }
}

/// Reserves a code request against the send limits: the per-client and per-address hourly
/// limits, the address's cooldown and its 24-hour failure cap, and a read of the global
/// budget. Applies the same to every address, known or not, so a 429 tells nothing about who
/// may sign in; the global budget is only *spent* when a code is really issued
/// ([`issue_code_if_eligible`]), so requests for unknown addresses cannot trip it and stop
/// sign-in for everybody. Atomic (`store::reserve`): 15 parallel requests for one address
/// pass once.
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
    let checks = [
        store::Check::AtMost {
            bucket: &ip_bucket,
            window: 3600,
            max: SENDS_PER_IP_PER_HOUR,
        },
        store::Check::AtMost {
            bucket: GLOBAL_BUCKET,
            window: 3600,
            max: limits.global_sends_per_hour,
        },
        store::Check::Quiet {
            bucket: &email_bucket,
            secs: SEND_COOLDOWN,
        },
        store::Check::AtMost {
            bucket: &email_bucket,
            window: 3600,
            max: SENDS_PER_EMAIL_PER_HOUR,
        },
        store::Check::AtMost {
            bucket: &fail_bucket,
            window: 86_400,
            max: FAILURES_PER_EMAIL_PER_DAY,
        },
    ];
    match store::reserve(db, &checks, &[&ip_bucket, &email_bucket], now).await? {
        None => Ok(()),
        Some(retry_after) => {
            metrics::signin_refused(metrics::SignInLimit::Send);
            metrics::rate_limited("signin_send");
            Err(AuthError::RateLimited { retry_after })
        }
    }
}

/// The bucket of the deployment-wide hourly send budget (a circuit breaker).
const GLOBAL_BUCKET: &str = "send:global";

/// Verification attempts one pre-session may make per [`VERIFY_WINDOW`]: a few typos are
/// fine, a guessing run is stopped (429) long before a code could be found.
pub const VERIFY_PER_SESSION: i64 = 10;
pub const VERIFY_WINDOW: i64 = 15 * 60;

/// Throttles a verification before it is checked: per pre-session (every attempt counts),
/// and per address (its 24-hour failure cap, which only failures against a *live* code
/// fill: nobody can lock out an address they cannot receive mail for).
pub async fn check_verify_limits(
    db: &Db,
    session_hash: &[u8],
    email: &Email,
    now: i64,
) -> Result<(), AuthError> {
    let session_bucket = format!("verify:session:{}", crypto::hex(session_hash));
    let fail_bucket = format!("fail:email:{email}");
    let checks = [
        store::Check::AtMost {
            bucket: &session_bucket,
            window: VERIFY_WINDOW,
            max: VERIFY_PER_SESSION,
        },
        store::Check::AtMost {
            bucket: &fail_bucket,
            window: 86_400,
            max: FAILURES_PER_EMAIL_PER_DAY,
        },
    ];
    match store::reserve(db, &checks, &[&session_bucket], now).await? {
        None => Ok(()),
        Some(retry_after) => {
            metrics::signin_refused(metrics::SignInLimit::Verify);
            metrics::rate_limited("signin_verify");
            Err(AuthError::RateLimited { retry_after })
        }
    }
}

/// If the address may sign in, stores a fresh code (replacing any earlier one) and puts the
/// mail in the outbox, in one transaction. Returns whether a code was issued. Runs in the
/// background of the request, so its timing never reaches the answer.
pub async fn issue_code_if_eligible(
    db: &Db,
    key: &crypto::SecretKey,
    email: &Email,
    limits: Limits,
    lang: Lang,
    now: i64,
) -> Result<bool, AuthError> {
    if !store::may_sign_in(db, email.as_str(), now).await? {
        return Ok(false);
    }
    // Only a code that is really sent spends the global budget.
    let budget = [store::Check::AtMost {
        bucket: GLOBAL_BUCKET,
        window: 3600,
        max: limits.global_sends_per_hour,
    }];
    if store::reserve(db, &budget, &[GLOBAL_BUCKET], now)
        .await?
        .is_some()
    {
        tracing::warn!("the hourly send budget is spent: a sign-in code was not sent");
        metrics::signin_refused(metrics::SignInLimit::Budget);
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
    let mut tx = db.begin().await?;
    store::put_code(
        &mut tx,
        email.as_str(),
        purpose,
        &mac,
        now,
        now + CODE_LIFETIME,
    )
    .await?;
    // Every code mail is a 'sign_in_code' to the outbox: its body is emptied once sent.
    crate::mail::store::enqueue(&mut tx, &mail, "sign_in_code", None, now).await?;
    tx.commit().await?;
    if purpose == PURPOSE_SIGN_IN {
        metrics::signin_code_sent();
    }
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
/// counted before comparing, 5 attempts, 10 minutes, single use; a failure against a live
/// code counts toward the address's 24-hour cap (one without a live code does not: anyone
/// could otherwise lock out any address).
pub async fn check_code(
    db: &Db,
    key: &crypto::SecretKey,
    email: &Email,
    purpose: &str,
    input: &str,
    now: i64,
) -> Result<(), AuthError> {
    let Some(stored_mac) =
        store::take_attempt(db, email.as_str(), purpose, now, MAX_ATTEMPTS).await?
    else {
        return Err(AuthError::InvalidCode);
    };
    let ok = crypto::normalize_code(input)
        .is_some_and(|code| crypto::code_matches(key, purpose, email.as_str(), &code, &stored_mac))
        && store::consume_code(db, email.as_str(), purpose, now).await?;
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
    let (company_id, role) = match memberships.as_slice() {
        [only] => (Some(only.id), Some(only.role)),
        _ => (None, None),
    };
    let limits = session_limits(role);
    let token = new_session(
        db,
        old_hash,
        user_id,
        company_id,
        now,
        now,
        now + limits.absolute,
        limits,
    )
    .await?;
    metrics::session_started();
    Ok(token)
}

#[allow(clippy::too_many_arguments)]
async fn new_session(
    db: &Db,
    old_hash: Option<&[u8]>,
    user_id: Uuid,
    company_id: Option<Uuid>,
    now: i64,
    signed_in_at: i64,
    absolute_expires_at: i64,
    limits: SessionLimits,
) -> Result<String, AuthError> {
    let (token, hash) = crypto::new_token();
    let row = store::NewSession {
        token_hash: &hash,
        user_id: Some(user_id),
        company_id,
        pending_email: None,
        now,
        signed_in_at: Some(signed_in_at),
        idle_expires_at: (now + limits.idle).min(absolute_expires_at),
        absolute_expires_at,
    };
    match old_hash {
        Some(old) => store::rotate_session(db, old, &row).await?,
        None => store::insert_session(db, &row).await?,
    }
    Ok(token)
}

/// Switches the session to another of the user's companies (checked in the database) under
/// a new session id. The absolute expiry counts from the sign-in, with the limits of the role
/// in the new company (a session from before `signed_in_at` existed keeps its expiry).
pub async fn switch_company(
    db: &Db,
    session: &store::SessionRow,
    company_id: Uuid,
    now: i64,
) -> Result<Option<String>, AuthError> {
    let Some(user_id) = session.user_id else {
        return Ok(None);
    };
    let Some(membership) = store::role_in(db, user_id, company_id).await? else {
        return Ok(None);
    };
    let limits = session_limits(Some(membership.role));
    let (signed_in_at, absolute) = match session.signed_in_at {
        Some(at) => (at, at + limits.absolute),
        None => (now, session.absolute_expires_at),
    };
    new_session(
        db,
        Some(&session.token_hash),
        user_id,
        Some(company_id),
        now,
        signed_in_at,
        absolute,
        limits,
    )
    .await
    .map(Some)
}

/// The row of a pre-session that lives only in its signed cookie (`crypto::
/// new_pre_session_token`): no user, no address yet, valid until `expires_at`.
pub fn pre_session_row(token_hash: Vec<u8>, expires_at: i64, now: i64) -> store::SessionRow {
    store::SessionRow {
        token_hash,
        user_id: None,
        company_id: None,
        pending_email: None,
        signed_in_at: None,
        last_seen_at: now,
        idle_expires_at: expires_at,
        absolute_expires_at: expires_at,
    }
}

/// The idle expiry a request at `now` gives a session acting with `role`, or `None` when the
/// last slide was less than a minute ago (no write needed).
pub fn slide(
    session: &store::SessionRow,
    role: Option<crate::companies::Role>,
    now: i64,
) -> Option<i64> {
    (now - session.last_seen_at >= SLIDE_EVERY)
        .then(|| (now + session_limits(role).idle).min(session.absolute_expires_at))
}

/// Whether a session has outlived the limits of the role it acts with *now*: a front desk
/// made an admin during its 10-hour day ends at the admin's 8 hours from sign-in, and does
/// not keep the front desk's idle time either.
pub fn outlived(
    session: &store::SessionRow,
    role: Option<crate::companies::Role>,
    now: i64,
) -> bool {
    let limits = session_limits(role);
    session
        .signed_in_at
        .is_some_and(|at| now >= at + limits.absolute)
        || now >= session.last_seen_at + limits.idle
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
            signed_in_at: Some(last_seen_at),
            last_seen_at,
            idle_expires_at: last_seen_at + IDLE_TIMEOUT,
            absolute_expires_at,
        }
    }

    use crate::companies::Role;

    #[test]
    fn the_idle_expiry_slides_at_most_once_a_minute() {
        let s = row(1_000, 1_000 + ABSOLUTE_TIMEOUT);
        assert_eq!(slide(&s, Some(Role::Admin), 1_059), None);
        assert_eq!(
            slide(&s, Some(Role::Admin), 1_060),
            Some(1_060 + IDLE_TIMEOUT)
        );
    }

    #[test]
    fn the_idle_expiry_never_passes_the_absolute_one() {
        let s = row(1_000, 1_000 + 600);
        assert_eq!(slide(&s, Some(Role::Owner), 1_500), Some(1_600));
    }

    #[test]
    fn only_the_front_desk_gets_a_working_day() {
        for role in Role::ALL {
            let l = session_limits(Some(role));
            if role == Role::FrontDesk {
                assert_eq!((l.idle, l.absolute), (10 * 3600, 10 * 3600));
            } else {
                assert_eq!((l.idle, l.absolute), (30 * 60, 8 * 3600), "{role:?}");
            }
        }
        assert_eq!(session_limits(None).absolute, ABSOLUTE_TIMEOUT);
        let s = row(1_000, 1_000 + 2 * FRONT_DESK_ABSOLUTE_TIMEOUT);
        assert_eq!(
            slide(&s, Some(Role::FrontDesk), 1_060),
            Some(1_060 + FRONT_DESK_IDLE_TIMEOUT)
        );
        // Idle for two hours: fine for the front desk, over for anyone else.
        assert!(!outlived(&s, Some(Role::FrontDesk), 1_000 + 7_200));
        assert!(outlived(&s, Some(Role::Admin), 1_000 + 7_200));
        // Nine hours after sign-in (and active): only the front desk's day goes on.
        let mut active = s.clone();
        active.last_seen_at = 1_000 + 9 * 3600 - 60;
        assert!(!outlived(&active, Some(Role::FrontDesk), 1_000 + 9 * 3600));
        assert!(outlived(&active, Some(Role::Admin), 1_000 + 9 * 3600));
    }
}
