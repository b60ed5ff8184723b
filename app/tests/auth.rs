//! Sign-in rules (shared/security.md) on SQLite and on PostgreSQL: every test runs as
//! `sqlite::NAME` and `postgres::NAME` on a fresh database.

use app::scope::CompanyScope;
use app::{
    auth::{
        service::{self, AuthError, Limits, CODE_LIFETIME, PURPOSE_SIGN_IN},
        store,
    },
    companies::{
        store::{self as companies, CompanyRow, NewMembership},
        Email, Role,
    },
    crypto::{self, SecretKey},
    db::Db,
    i18n::Lang,
    mail::store as outbox,
    on_both_databases, with_pool,
};
use uuid::Uuid;

on_both_databases!(
    a_code_is_issued_only_to_people_who_may_sign_in,
    the_mailed_code_signs_in_and_only_once,
    attempts_are_counted_before_comparing,
    the_sixth_try_fails_even_with_the_right_code,
    an_expired_code_fails,
    a_resend_replaces_the_earlier_code,
    two_simultaneous_right_answers_create_exactly_one_sign_in,
    the_email_cooldown_and_hourly_limit_apply_to_every_address,
    the_per_ip_limit_counts_across_addresses,
    twenty_failures_in_a_day_stop_new_codes,
    a_session_expires_when_idle_and_at_its_absolute_limit,
    one_company_goes_straight_in_and_switching_rotates_the_session,
    a_front_desk_session_lasts_a_working_day,
    the_outbox_leases_retries_and_records_failures,
    a_mail_server_outage_loses_no_mail_but_a_code_is_not_sent_stale,
    a_code_mail_goes_before_a_queue_of_invitations,
    pruning_waits_for_another_writer_and_counts_the_signed_in_sessions_it_ends,
);

const NOW: i64 = 1_800_000_000;

fn key() -> SecretKey {
    SecretKey::new(*b"a test key that is long enough!!").unwrap()
}

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

async fn company(db: &Db, name: &str, org: &str) -> Uuid {
    let c = CompanyRow {
        id: Uuid::new_v4(),
        name: name.into(),
        org_number: org.into(),
        time_zone: "Europe/Stockholm".into(),
        currency: "SEK".into(),
    };
    companies::insert_company(db, &c, 0).await.unwrap();
    c.id
}

async fn member(db: &Db, company_id: Uuid, address: &str, role: Role) -> Uuid {
    let user_id = companies::upsert_user(db, Uuid::new_v4(), &email(address), "", 0)
        .await
        .unwrap();
    companies::add_membership(
        db,
        CompanyScope::for_tests(company_id),
        &NewMembership {
            user_id,
            role,
            default_cost_center_id: None,
            invited_email: None,
        },
        0,
    )
    .await
    .unwrap();
    user_id
}

/// Stores a known code, as `issue_code_if_eligible` would with a random one.
async fn put(db: &Db, address: &str, code: &str, now: i64) {
    let mac = crypto::code_mac(&key(), PURPOSE_SIGN_IN, address, code);
    let mut tx = db.begin().await.unwrap();
    store::put_code(
        &mut tx,
        address,
        PURPOSE_SIGN_IN,
        &mac,
        now,
        now + CODE_LIFETIME,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn outbox_for(db: &Db, to: &str) -> Vec<(Uuid, String)> {
    with_pool!(db, |pool| {
        sqlx::query_as("SELECT id, text_body FROM outbox WHERE to_email = $1 ORDER BY created_at")
            .bind(to)
            .fetch_all(pool)
            .await
            .unwrap()
    })
}

fn code_in(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 7 && l.as_bytes()[3] == b' ')
        .unwrap();
    line.replace(' ', "")
}

async fn a_code_is_issued_only_to_people_who_may_sign_in(db: &Db) {
    let acme = company(db, "Acme AB", "556000-0001").await;
    member(db, acme, "anna@acme.se", Role::Owner).await;
    assert!(service::issue_code_if_eligible(
        db,
        &key(),
        &email("anna@acme.se"),
        Limits::default(),
        Lang::Sv,
        NOW
    )
    .await
    .unwrap());
    assert!(!service::issue_code_if_eligible(
        db,
        &key(),
        &email("nobody@acme.se"),
        Limits::default(),
        Lang::Sv,
        NOW
    )
    .await
    .unwrap());
    assert_eq!(outbox_for(db, "anna@acme.se").await.len(), 1);
    assert!(
        outbox_for(db, "nobody@acme.se").await.is_empty(),
        "no mail to an unknown address"
    );
    // The stored code is a MAC, never the code itself.
    let mail = &outbox_for(db, "anna@acme.se").await[0].1;
    let code = code_in(mail);
    let stored: String = with_pool!(db, |pool| {
        sqlx::query_scalar("SELECT code_mac FROM login_codes WHERE email = 'anna@acme.se'")
            .fetch_one(pool)
            .await
            .unwrap()
    });
    assert!(!stored.contains(&code));
    assert_eq!(
        stored,
        crypto::code_mac(&key(), PURPOSE_SIGN_IN, "anna@acme.se", &code)
    );
}

async fn the_mailed_code_signs_in_and_only_once(db: &Db) {
    let acme = company(db, "Acme AB", "556000-0001").await;
    let anna = member(db, acme, "anna@acme.se", Role::Owner).await;
    service::issue_code_if_eligible(
        db,
        &key(),
        &email("Anna@Acme.se "),
        Limits::default(),
        Lang::En,
        NOW,
    )
    .await
    .unwrap();
    let (mail_id, text) = outbox_for(db, "anna@acme.se").await.remove(0);
    let code = code_in(&text);
    let spaced = format!("{} {}", &code[..3], &code[3..]);
    assert_eq!(
        service::verify_code(db, &key(), &email("anna@acme.se"), &spaced, NOW + 5).await,
        Ok(anna)
    );
    // Used: the same code fails, and the unsent mail no longer holds it.
    assert_eq!(
        service::verify_code(db, &key(), &email("anna@acme.se"), &code, NOW + 6).await,
        Err(AuthError::InvalidCode)
    );
    assert_eq!(
        outbox::status(db, mail_id)
            .await
            .unwrap()
            .unwrap()
            .text_body,
        ""
    );
}

async fn attempts_are_counted_before_comparing(db: &Db) {
    put(db, "anna@acme.se", "111111", NOW).await;
    for _ in 0..3 {
        assert!(
            store::take_attempt(db, "anna@acme.se", PURPOSE_SIGN_IN, NOW, 5)
                .await
                .unwrap()
                .is_some()
        );
    }
    let attempts: i32 = with_pool!(db, |pool| {
        sqlx::query_scalar("SELECT attempts FROM login_codes WHERE email = 'anna@acme.se'")
            .fetch_one(pool)
            .await
            .unwrap()
    });
    assert_eq!(
        attempts, 3,
        "each take counts, whatever the comparison will say"
    );
}

async fn the_sixth_try_fails_even_with_the_right_code(db: &Db) {
    let acme = company(db, "Acme AB", "556000-0001").await;
    member(db, acme, "anna@acme.se", Role::Owner).await;
    put(db, "anna@acme.se", "123456", NOW).await;
    for wrong in ["000000", "111111", "222222", "333333", "444444"] {
        assert_eq!(
            service::verify_code(db, &key(), &email("anna@acme.se"), wrong, NOW).await,
            Err(AuthError::InvalidCode)
        );
    }
    assert_eq!(
        service::verify_code(db, &key(), &email("anna@acme.se"), "123456", NOW).await,
        Err(AuthError::InvalidCode)
    );
}

async fn an_expired_code_fails(db: &Db) {
    let acme = company(db, "Acme AB", "556000-0001").await;
    member(db, acme, "anna@acme.se", Role::Owner).await;
    put(db, "anna@acme.se", "123456", NOW).await;
    let at_expiry = NOW + CODE_LIFETIME;
    assert_eq!(
        service::verify_code(db, &key(), &email("anna@acme.se"), "123456", at_expiry).await,
        Err(AuthError::InvalidCode)
    );
    put(db, "anna@acme.se", "123456", NOW).await;
    assert!(
        service::verify_code(db, &key(), &email("anna@acme.se"), "123456", at_expiry - 1)
            .await
            .is_ok()
    );
}

async fn a_resend_replaces_the_earlier_code(db: &Db) {
    let acme = company(db, "Acme AB", "556000-0001").await;
    member(db, acme, "anna@acme.se", Role::Owner).await;
    put(db, "anna@acme.se", "111111", NOW).await;
    put(db, "anna@acme.se", "222222", NOW + 61).await;
    assert_eq!(
        service::verify_code(db, &key(), &email("anna@acme.se"), "111111", NOW + 62).await,
        Err(AuthError::InvalidCode)
    );
    assert!(
        service::verify_code(db, &key(), &email("anna@acme.se"), "222222", NOW + 63)
            .await
            .is_ok()
    );
}

async fn two_simultaneous_right_answers_create_exactly_one_sign_in(db: &Db) {
    let acme = company(db, "Acme AB", "556000-0001").await;
    member(db, acme, "anna@acme.se", Role::Owner).await;
    put(db, "anna@acme.se", "123456", NOW).await;
    let tries: Vec<_> = (0..5)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                let k = key();
                let e = email("anna@acme.se");
                match service::verify_code(&db, &k, &e, "123456", NOW).await {
                    Ok(user) => Some(service::start_session(&db, None, user, NOW).await.unwrap()),
                    Err(_) => None,
                }
            })
        })
        .collect();
    let mut sessions = 0;
    for t in tries {
        sessions += t.await.unwrap().is_some() as usize;
    }
    assert_eq!(sessions, 1);
    let rows: i64 = with_pool!(db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM web_sessions WHERE user_id IS NOT NULL")
            .fetch_one(pool)
            .await
            .unwrap()
    });
    assert_eq!(rows, 1, "exactly one session in the database");
}

async fn the_email_cooldown_and_hourly_limit_apply_to_every_address(db: &Db) {
    let limits = Limits::default();
    for address in ["known@acme.se", "unknown@acme.se"] {
        let e = email(address);
        let ip = format!("10.0.0.{}", address.len());
        assert_eq!(
            service::check_send_limits(db, &e, &ip, limits, NOW).await,
            Ok(())
        );
        assert_eq!(
            service::check_send_limits(db, &e, &ip, limits, NOW + 10).await,
            Err(AuthError::RateLimited { retry_after: 50 }),
            "60 s cooldown"
        );
        for i in 1..5 {
            assert_eq!(
                service::check_send_limits(db, &e, &ip, limits, NOW + 61 * i).await,
                Ok(())
            );
        }
        let sixth = service::check_send_limits(db, &e, &ip, limits, NOW + 61 * 5).await;
        assert_eq!(
            sixth,
            Err(AuthError::RateLimited {
                retry_after: 3600 - 61 * 5
            }),
            "5 sends an hour"
        );
        assert_eq!(
            service::check_send_limits(db, &e, &ip, limits, NOW + 3601).await,
            Ok(())
        );
    }
}

async fn the_per_ip_limit_counts_across_addresses(db: &Db) {
    let limits = Limits::default();
    for i in 0..20 {
        let e = email(&format!("p{i}@acme.se"));
        assert_eq!(
            service::check_send_limits(db, &e, "192.0.2.1", limits, NOW + i).await,
            Ok(())
        );
    }
    let e = email("p20@acme.se");
    assert!(matches!(
        service::check_send_limits(db, &e, "192.0.2.1", limits, NOW + 30).await,
        Err(AuthError::RateLimited { .. })
    ));
    assert_eq!(
        service::check_send_limits(db, &e, "192.0.2.2", limits, NOW + 30).await,
        Ok(()),
        "another client is not limited"
    );
    // The 21 requests above were for addresses that may not sign in: they spent nothing of
    // the global budget (anyone could otherwise stop sign-in for everybody).
    let tight = Limits {
        global_sends_per_hour: 2,
    };
    let e = email("p21@acme.se");
    assert_eq!(
        service::check_send_limits(db, &e, "192.0.2.3", tight, NOW + 31).await,
        Ok(())
    );
    // Codes really issued spend it; once it is spent, everyone waits (a circuit breaker).
    let acme = company(db, "Acme AB", "556000-0001").await;
    for who in ["a@acme.se", "b@acme.se", "c@acme.se"] {
        member(db, acme, who, Role::Member).await;
    }
    let issued = [
        service::issue_code_if_eligible(db, &key(), &email("a@acme.se"), tight, Lang::Sv, NOW + 32)
            .await,
        service::issue_code_if_eligible(db, &key(), &email("b@acme.se"), tight, Lang::Sv, NOW + 33)
            .await,
        service::issue_code_if_eligible(db, &key(), &email("c@acme.se"), tight, Lang::Sv, NOW + 34)
            .await,
    ];
    assert_eq!(issued, [Ok(true), Ok(true), Ok(false)]);
    assert!(
        matches!(
            service::check_send_limits(db, &email("p22@acme.se"), "192.0.2.4", tight, NOW + 35)
                .await,
            Err(AuthError::RateLimited { .. })
        ),
        "the global budget is a circuit breaker"
    );
}

async fn twenty_failures_in_a_day_stop_new_codes(db: &Db) {
    let e = email("anna@acme.se");
    // Failures without a live code count for nothing (nobody can lock out an address they
    // cannot receive mail for)…
    for i in 0..25 {
        assert_eq!(
            service::verify_code(db, &key(), &e, "000000", NOW + i).await,
            Err(AuthError::InvalidCode)
        );
    }
    assert_eq!(
        service::check_send_limits(db, &e, "10.1.1.1", Limits::default(), NOW + 50).await,
        Ok(())
    );
    with_pool!(db, |pool| sqlx::query("DELETE FROM rate_events")
        .execute(pool)
        .await
        .unwrap()
        .rows_affected());
    // …failures against live codes do: four codes, five wrong tries each.
    for i in 0..20 {
        if i % 5 == 0 {
            put(db, "anna@acme.se", "123456", NOW + i).await;
        }
        assert_eq!(
            service::verify_code(db, &key(), &e, "000000", NOW + i).await,
            Err(AuthError::InvalidCode)
        );
    }
    let r = service::check_send_limits(db, &e, "10.1.1.1", Limits::default(), NOW + 100).await;
    assert_eq!(
        r,
        Err(AuthError::RateLimited {
            retry_after: 86_400 - 100
        })
    );
    assert_eq!(
        service::check_send_limits(db, &e, "10.1.1.1", Limits::default(), NOW + 86_401).await,
        Ok(())
    );
}

async fn a_session_expires_when_idle_and_at_its_absolute_limit(db: &Db) {
    let acme = company(db, "Acme AB", "556000-0001").await;
    let anna = member(db, acme, "anna@acme.se", Role::Owner).await;
    let token = service::start_session(db, None, anna, NOW).await.unwrap();
    let hash = crypto::parse_token(&token).unwrap();
    let idle = service::IDLE_TIMEOUT;
    assert!(store::find_session(db, &hash, NOW + idle - 1)
        .await
        .unwrap()
        .is_some());
    assert!(
        store::find_session(db, &hash, NOW + idle)
            .await
            .unwrap()
            .is_none(),
        "idle 30 min"
    );
    // Active use slides the idle expiry, but never past 8 hours.
    let mut t = NOW;
    while t + 20 * 60 < NOW + service::ABSOLUTE_TIMEOUT {
        t += 20 * 60;
        let (row, _) = store::find_session(db, &hash, t)
            .await
            .unwrap()
            .expect("still valid while in use");
        if let Some(next) = service::slide(&row, Some(Role::Owner), t) {
            store::touch_session(db, &hash, t, next).await.unwrap();
        }
    }
    assert!(
        store::find_session(db, &hash, NOW + service::ABSOLUTE_TIMEOUT)
            .await
            .unwrap()
            .is_none(),
        "absolute 8 h"
    );
}

async fn a_front_desk_session_lasts_a_working_day(db: &Db) {
    let acme = company(db, "Acme AB", "556000-0001").await;
    let desk = member(db, acme, "desk@acme.se", Role::FrontDesk).await;
    let token = service::start_session(db, None, desk, NOW).await.unwrap();
    let hash = crypto::parse_token(&token).unwrap();
    // Two hours without a request: still signed in (an owner's session ended after 30 min).
    let (row, m) = store::find_session(db, &hash, NOW + 2 * 3600)
        .await
        .unwrap()
        .expect("a front desk's session survives a quiet morning");
    assert_eq!(m.map(|m| m.role), Some(app::companies::Role::FrontDesk));
    assert_eq!(row.signed_in_at, Some(NOW));
    assert!(!service::outlived(
        &row,
        Some(Role::FrontDesk),
        NOW + 2 * 3600
    ));
    let next = service::slide(&row, Some(Role::FrontDesk), NOW + 2 * 3600).unwrap();
    store::touch_session(db, &hash, NOW + 2 * 3600, next)
        .await
        .unwrap();
    assert!(store::find_session(db, &hash, NOW + 10 * 3600 - 1)
        .await
        .unwrap()
        .is_some());
    assert!(
        store::find_session(db, &hash, NOW + 10 * 3600)
            .await
            .unwrap()
            .is_none(),
        "absolute 10 h"
    );
}

async fn one_company_goes_straight_in_and_switching_rotates_the_session(db: &Db) {
    let acme = company(db, "Acme AB", "556000-0001").await;
    let beta = company(db, "Beta AB", "556000-0002").await;
    let other = company(db, "Other AB", "556000-0003").await;
    let anna = member(db, acme, "anna@acme.se", Role::Owner).await;
    let token = service::start_session(db, None, anna, NOW).await.unwrap();
    let (row, membership) = store::find_session(db, &crypto::parse_token(&token).unwrap(), NOW)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.company_id, Some(acme));
    let membership = membership.expect("the session's membership is read with it");
    assert_eq!(
        (membership.role.as_str(), membership.name.as_str()),
        ("owner", "Acme AB")
    );

    let sam = member(db, acme, "sam@acme.se", Role::Member).await;
    companies::add_membership(
        db,
        CompanyScope::for_tests(beta),
        &NewMembership {
            user_id: sam,
            role: Role::Admin,
            default_cost_center_id: None,
            invited_email: None,
        },
        0,
    )
    .await
    .unwrap();
    let token = service::start_session(db, None, sam, NOW).await.unwrap();
    let old_hash = crypto::parse_token(&token).unwrap();
    let (row, membership) = store::find_session(db, &old_hash, NOW)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.company_id, None, "two companies: the person picks one");
    assert_eq!(membership, None, "no company chosen, no membership");

    assert_eq!(
        service::switch_company(db, &row, other, NOW).await.unwrap(),
        None,
        "not a company of theirs"
    );
    let new_token = service::switch_company(db, &row, beta, NOW + 5)
        .await
        .unwrap()
        .unwrap();
    assert!(
        store::find_session(db, &old_hash, NOW + 5)
            .await
            .unwrap()
            .is_none(),
        "the old id stops working"
    );
    let (new_row, membership) =
        store::find_session(db, &crypto::parse_token(&new_token).unwrap(), NOW + 5)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(new_row.company_id, Some(beta));
    assert_eq!(
        membership.map(|m| m.role),
        Some(app::companies::Role::Admin),
        "the role in the company switched to"
    );
    assert_eq!(
        new_row.absolute_expires_at, row.absolute_expires_at,
        "switching does not extend the 8 hours"
    );
}

async fn the_outbox_leases_retries_and_records_failures(db: &Db) {
    let acme = company(db, "Acme AB", "556000-0001").await;
    member(db, acme, "anna@acme.se", Role::Owner).await;
    member(db, acme, "bo@acme.se", Role::Member).await;
    service::issue_code_if_eligible(
        db,
        &key(),
        &email("anna@acme.se"),
        Limits::default(),
        Lang::Sv,
        NOW,
    )
    .await
    .unwrap();
    service::issue_code_if_eligible(
        db,
        &key(),
        &email("bo@acme.se"),
        Limits::default(),
        Lang::Sv,
        NOW,
    )
    .await
    .unwrap();

    let claimed = outbox::claim(db, NOW, 10).await.unwrap();
    assert_eq!(claimed.len(), 2);
    assert!(
        outbox::claim(db, NOW + 1, 10).await.unwrap().is_empty(),
        "leased to the first worker"
    );
    let retaken = outbox::claim(db, NOW + outbox::LEASE_SECONDS + 1, 10)
        .await
        .unwrap();
    assert_eq!(retaken.len(), 2, "a dead worker's lease runs out");

    let (a, b) = (&retaken[0], &retaken[1]);
    outbox::mark_sent(db, a.id, NOW + 70).await.unwrap();
    let sent = outbox::status(db, a.id).await.unwrap().unwrap();
    assert_eq!(sent.status, "sent");
    assert_eq!(sent.text_body, "", "a sent code mail keeps no code");

    let gave_up = outbox::mark_failed(db, b, false, "421 try later", NOW + 70)
        .await
        .unwrap();
    assert!(!gave_up);
    assert!(
        outbox::claim(db, NOW + 75, 10).await.unwrap().is_empty(),
        "backoff before the retry"
    );
    let again = outbox::claim(db, NOW + 81, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    let gave_up = outbox::mark_failed(db, &again[0], true, "550 no such user", NOW + 82)
        .await
        .unwrap();
    assert!(gave_up);
    let failed = outbox::status(db, b.id).await.unwrap().unwrap();
    assert_eq!(
        (failed.status.as_str(), failed.last_error.as_deref()),
        ("failed", Some("550 no such user"))
    );
    assert!(outbox::claim(db, NOW + 10_000, 10)
        .await
        .unwrap()
        .is_empty());
}

async fn a_code_mail_goes_before_a_queue_of_invitations(db: &Db) {
    let acme = company(db, "Acme AB", "556000-0001").await;
    member(db, acme, "anna@acme.se", Role::Owner).await;
    let msg = app::mailer::Message {
        to: "someone@acme.se".into(),
        subject: "Inbjudan".into(),
        text: "text".into(),
        html: "<p>html</p>".into(),
    };
    for n in 0..20 {
        let mut tx = db.begin().await.unwrap();
        app::mail::store::enqueue(&mut tx, &msg, "invitation", None, NOW - 100 + n)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    service::issue_code_if_eligible(
        db,
        &key(),
        &email("anna@acme.se"),
        Limits::default(),
        Lang::Sv,
        NOW,
    )
    .await
    .unwrap();
    let first = outbox::claim(db, NOW, 5).await.unwrap();
    assert_eq!(first.len(), 5);
    assert_eq!(first[0].kind, "sign_in_code", "the code is claimed first");
    assert_eq!(first[0].to_email, "anna@acme.se");
}

/// The mail server down for an hour: the outbox keeps trying an invitation (at most
/// `MAX_BACKOFF` apart, so it goes out soon after the server is back) and gives up only after
/// `GIVE_UP_AFTER`; a sign-in code is not sent once it has expired.
async fn a_mail_server_outage_loses_no_mail_but_a_code_is_not_sent_stale(db: &Db) {
    let msg = |to: &str| app::mailer::Message {
        to: to.into(),
        subject: "s".into(),
        text: "t".into(),
        html: "h".into(),
    };
    let mut tx = db.begin().await.unwrap();
    outbox::enqueue(&mut tx, &msg("invitee@acme.se"), "invitation", None, NOW)
        .await
        .unwrap();
    outbox::enqueue(&mut tx, &msg("anna@acme.se"), "sign_in_code", None, NOW)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let refused = "connection refused";
    let mut t = NOW;
    let mut code_gave_up_at = None;
    // An hour of failed attempts: every message is due again within the backoff's cap.
    while t < NOW + 3_600 {
        let due = outbox::claim(db, t, 10).await.unwrap();
        for row in &due {
            let gave_up = outbox::mark_failed(db, row, false, refused, t)
                .await
                .unwrap();
            if row.kind == "sign_in_code" && gave_up {
                code_gave_up_at.get_or_insert(t);
            }
            assert!(
                !gave_up || row.kind == "sign_in_code",
                "an invitation given up at {t}"
            );
        }
        t += outbox::MAX_BACKOFF + 1;
    }
    let code_gave_up_at = code_gave_up_at.expect("the code mail was given up");
    assert!(code_gave_up_at >= NOW + outbox::GIVE_UP_CODES_AFTER);
    let waiting = outbox::claim(db, t, 10).await.unwrap();
    assert_eq!(waiting.len(), 1, "the invitation still waits after an hour");
    assert_eq!(waiting[0].kind, "invitation");
    assert_ne!(waiting[0].text_body, "", "and still has its body to send");
    // A day later it is given up, with its reason and without its body.
    let late = NOW + outbox::GIVE_UP_AFTER + 1;
    assert!(outbox::mark_failed(db, &waiting[0], false, refused, late)
        .await
        .unwrap());
    let failed = outbox::status(db, waiting[0].id).await.unwrap().unwrap();
    assert_eq!(
        (failed.status.as_str(), failed.text_body.as_str()),
        ("failed", "")
    );
    assert_eq!(failed.last_error.as_deref(), Some(refused));
}

/// The minute's prune ends expired sessions and says how many were signed in (the
/// `portal_sessions_ended_total{reason="expired"}` metric). While another writer holds the
/// database it waits and succeeds: on SQLite a prune that read before it wrote failed with
/// "database is locked" once the other writer had committed (seen in the API fuzz run, where
/// ingestion batches write all the time).
async fn pruning_waits_for_another_writer_and_counts_the_signed_in_sessions_it_ends(db: &Db) {
    let now = 1_790_000_000;
    let person = companies::upsert_user(
        db,
        Uuid::new_v4(),
        &Email::parse("p@x.se").unwrap(),
        "",
        now,
    )
    .await
    .unwrap();
    for (n, user_id, idle) in [
        (1u8, Some(person), now - 1), // signed in, idle too long: ends, counted
        (2, None, now - 1),           // a pre-session that expired: ends, not counted
        (3, Some(person), now + 600), // signed in and live: stays
    ] {
        let hash = [n; 32];
        let row = store::NewSession {
            token_hash: &hash,
            user_id,
            company_id: None,
            pending_email: None,
            now: now - 3_600,
            signed_in_at: user_id.map(|_| now - 3_600),
            idle_expires_at: idle,
            absolute_expires_at: now + 36_000,
        };
        store::insert_session(db, &row).await.unwrap();
    }
    // Another writer holds the database and changes it while the prune starts.
    let mut other = db.begin().await.unwrap();
    app::with_tx!(&mut other, |conn| {
        sqlx::query("UPDATE users SET display_name = 'Skrivare' WHERE id = $1")
            .bind(person)
            .execute(&mut *conn)
            .await
            .map(drop)
    })
    .unwrap();
    let prune = tokio::spawn({
        let db = db.clone();
        async move { store::prune(&db, now).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    other.commit().await.unwrap();
    assert_eq!(
        prune
            .await
            .unwrap()
            .expect("the prune waited for the writer"),
        1
    );
    let left: Vec<Vec<u8>> = with_pool!(db, |pool| {
        sqlx::query_scalar("SELECT token_hash FROM web_sessions")
            .fetch_all(pool)
            .await
            .unwrap()
    });
    assert_eq!(left, vec![vec![3u8; 32]], "only the live session is left");
}
