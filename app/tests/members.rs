//! Member and invitation invariants (shared/security.md) on SQLite and PostgreSQL.

use app::error::Reason;
use app::scope::CompanyScope;
use app::{
    auth::TenantCtx,
    companies::{
        store::{self as companies, CompanyRow, NewMembership},
        Email, Role,
    },
    db::Db,
    error::AppError,
    i18n::Lang,
    members::{
        service::{self, AcceptError, NewInvitation},
        store::{self as members, MemberSort},
    },
    on_both_databases, with_pool,
};
use uuid::Uuid;

on_both_databases!(
    an_accepted_invitation_grants_exactly_the_invited_role_in_exactly_that_company,
    an_invitation_is_used_once_even_by_simultaneous_accepts,
    an_expired_or_cancelled_invitation_cannot_be_accepted,
    a_resent_invitation_retires_the_old_link,
    only_the_invited_address_can_accept,
    each_role_invites_only_what_the_role_table_allows,
    the_last_owner_can_never_be_removed_or_leave,
    a_removed_member_loses_access_at_once,
    members_are_found_by_name_email_or_plate_and_paged,
    nordic_names_are_found_in_any_case_and_sorted_in_each_countrys_order,
    every_change_is_in_the_audit_log,
    the_audit_log_filters_by_action_person_and_time,
    ownership_moves_to_an_admin_only_with_a_fresh_code,
    a_bulk_preview_marks_every_bad_row_and_changes_nothing,
    a_bulk_import_in_parts_sends_what_one_request_would,
    a_bulk_import_stops_at_the_daily_budget_and_says_so_per_row,
);

const NOW: i64 = 1_800_000_000;
const URL: &str = "http://portal.test";

struct Co {
    id: Uuid,
    owner: Uuid,
    admin: Uuid,
    finance: Uuid,
    member: Uuid,
}

async fn user(db: &Db, email: &str, name: &str) -> Uuid {
    companies::upsert_user(db, Uuid::new_v4(), &Email::parse(email).unwrap(), name, 0)
        .await
        .unwrap()
}

async fn join(db: &Db, company_id: Uuid, user_id: Uuid, role: Role) {
    let m_scope = CompanyScope::for_tests(company_id);
    let m = NewMembership {
        user_id,
        role,
        default_cost_center_id: None,
        invited_email: None,
    };
    companies::add_membership(db, m_scope, &m, 0).await.unwrap();
}

async fn company(db: &Db, tag: &str) -> Co {
    let id = Uuid::new_v4();
    let row = CompanyRow {
        id,
        name: format!("{tag} AB"),
        org_number: format!("556000-{tag}"),
        time_zone: "Europe/Stockholm".into(),
        currency: "SEK".into(),
    };
    companies::insert_company(db, &row, 0).await.unwrap();
    let mut ids = vec![];
    for (role, who) in [
        (Role::Owner, "owner"),
        (Role::Admin, "admin"),
        (Role::Finance, "finance"),
        (Role::Member, "member"),
    ] {
        let u = user(db, &format!("{who}@{tag}.se"), &format!("{who} {tag}")).await;
        join(db, id, u, role).await;
        ids.push(u);
    }
    Co {
        id,
        owner: ids[0],
        admin: ids[1],
        finance: ids[2],
        member: ids[3],
    }
}

async fn ctx(db: &Db, user_id: Uuid, company_id: Uuid) -> TenantCtx {
    TenantCtx::from_database(db, user_id, company_id)
        .await
        .unwrap()
}

fn inv(email: &str, role: Role) -> NewInvitation {
    NewInvitation {
        email: Email::parse(email).unwrap(),
        role,
        default_cost_center_id: None,
    }
}

/// The link's token, as only the invitation mail holds it.
async fn token_in_mail(db: &Db, invitation: Uuid) -> String {
    let text: String = with_pool!(db, |pool| {
        sqlx::query_scalar(
            "SELECT text_body FROM outbox WHERE ref_id = $1 ORDER BY created_at DESC LIMIT 1",
        )
        .bind(invitation)
        .fetch_one(pool)
        .await
        .unwrap()
    });
    let at = text.find("/invite/").unwrap() + "/invite/".len();
    text[at..at + 64].to_owned()
}

async fn role_of(db: &Db, user_id: Uuid, company_id: Uuid) -> Option<String> {
    app::auth::store::role_in(db, user_id, company_id)
        .await
        .unwrap()
        .map(|m| m.role.as_str().to_owned())
}

async fn an_accepted_invitation_grants_exactly_the_invited_role_in_exactly_that_company(db: &Db) {
    let acme = company(db, "acme").await;
    let beta = company(db, "beta").await;
    let owner = ctx(db, acme.owner, acme.id).await;
    let id = service::invite(
        db,
        &owner,
        &inv("new@x.se", Role::Finance),
        URL,
        Lang::Sv,
        NOW,
    )
    .await
    .unwrap();
    let token = token_in_mail(db, id).await;
    let new = user(db, "new@x.se", "").await;
    assert_eq!(
        service::accept(db, &token, new, NOW + 10).await,
        Ok(acme.id)
    );
    assert_eq!(role_of(db, new, acme.id).await.as_deref(), Some("finance"));
    assert_eq!(role_of(db, new, beta.id).await, None);
}

async fn an_invitation_is_used_once_even_by_simultaneous_accepts(db: &Db) {
    let acme = company(db, "acme").await;
    let owner = ctx(db, acme.owner, acme.id).await;
    let id = service::invite(
        db,
        &owner,
        &inv("new@x.se", Role::Member),
        URL,
        Lang::Sv,
        NOW,
    )
    .await
    .unwrap();
    let token = token_in_mail(db, id).await;
    let new = user(db, "new@x.se", "").await;
    let tries: Vec<_> = (0..5)
        .map(|_| {
            let (db, token) = (db.clone(), token.clone());
            tokio::spawn(async move { service::accept(&db, &token, new, NOW + 5).await })
        })
        .collect();
    let mut ok = 0;
    for t in tries {
        ok += t.await.unwrap().is_ok() as usize;
    }
    assert_eq!(ok, 1);
    assert_eq!(
        service::accept(db, &token, new, NOW + 6).await,
        Err(AcceptError::NotValid),
        "single use"
    );
}

async fn an_expired_or_cancelled_invitation_cannot_be_accepted(db: &Db) {
    let acme = company(db, "acme").await;
    let owner = ctx(db, acme.owner, acme.id).await;
    let id = service::invite(
        db,
        &owner,
        &inv("late@x.se", Role::Member),
        URL,
        Lang::Sv,
        NOW,
    )
    .await
    .unwrap();
    let token = token_in_mail(db, id).await;
    let late = user(db, "late@x.se", "").await;
    let expiry = NOW + service::INVITATION_LIFETIME;
    assert_eq!(
        service::accept(db, &token, late, expiry).await,
        Err(AcceptError::NotValid)
    );

    let id = service::invite(
        db,
        &owner,
        &inv("gone@x.se", Role::Member),
        URL,
        Lang::Sv,
        NOW,
    )
    .await
    .unwrap();
    let token = token_in_mail(db, id).await;
    service::cancel(db, &owner, id, NOW + 1).await.unwrap();
    let gone = user(db, "gone@x.se", "").await;
    assert_eq!(
        service::accept(db, &token, gone, NOW + 2).await,
        Err(AcceptError::NotValid)
    );
    assert_eq!(role_of(db, gone, acme.id).await, None);
}

async fn a_resent_invitation_retires_the_old_link(db: &Db) {
    let acme = company(db, "acme").await;
    let admin = ctx(db, acme.admin, acme.id).await;
    let id = service::invite(
        db,
        &admin,
        &inv("new@x.se", Role::Member),
        URL,
        Lang::En,
        NOW,
    )
    .await
    .unwrap();
    let old = token_in_mail(db, id).await;
    service::resend(db, &admin, id, URL, Lang::En, NOW + 100)
        .await
        .unwrap();
    let fresh = token_in_mail(db, id).await;
    assert_ne!(old, fresh);
    let new = user(db, "new@x.se", "").await;
    assert_eq!(
        service::accept(db, &old, new, NOW + 200).await,
        Err(AcceptError::NotValid)
    );
    assert_eq!(
        service::accept(db, &fresh, new, NOW + 200).await,
        Ok(acme.id)
    );
}

async fn only_the_invited_address_can_accept(db: &Db) {
    let acme = company(db, "acme").await;
    let owner = ctx(db, acme.owner, acme.id).await;
    let id = service::invite(
        db,
        &owner,
        &inv("right@x.se", Role::Admin),
        URL,
        Lang::Sv,
        NOW,
    )
    .await
    .unwrap();
    let token = token_in_mail(db, id).await;
    let wrong = user(db, "wrong@x.se", "").await;
    assert_eq!(
        service::accept(db, &token, wrong, NOW + 1).await,
        Err(AcceptError::WrongAccount {
            invited: "right@x.se".into()
        })
    );
    assert_eq!(role_of(db, wrong, acme.id).await, None);
}

async fn each_role_invites_only_what_the_role_table_allows(db: &Db) {
    let acme = company(db, "acme").await;
    let owner = ctx(db, acme.owner, acme.id).await;
    let admin = ctx(db, acme.admin, acme.id).await;
    let finance = ctx(db, acme.finance, acme.id).await;
    let member = ctx(db, acme.member, acme.id).await;
    for (who, role, allowed) in [
        (&owner, Role::Admin, true),
        (&owner, Role::Finance, true),
        (&owner, Role::Member, true),
        (&owner, Role::Owner, false),
        (&admin, Role::Member, true),
        (&admin, Role::Admin, false),
        (&admin, Role::Finance, false),
        (&finance, Role::Member, false),
        (&member, Role::Member, false),
    ] {
        let email = format!("{}-{}@x.se", who.role().as_str(), role.as_str());
        let r = service::invite(db, who, &inv(&email, role), URL, Lang::Sv, NOW).await;
        assert_eq!(
            r.is_ok(),
            allowed,
            "{:?} inviting {:?}: {r:?}",
            who.role(),
            role
        );
    }
    let dup = service::invite(
        db,
        &owner,
        &inv("member@acme.se", Role::Member),
        URL,
        Lang::Sv,
        NOW,
    )
    .await;
    assert_eq!(dup, Err(AppError::invalid("email", Reason::AlreadyMember)));
    let twice = service::invite(
        db,
        &owner,
        &inv("owner-member@x.se", Role::Member),
        URL,
        Lang::Sv,
        NOW,
    )
    .await;
    assert_eq!(
        twice,
        Err(AppError::invalid("email", Reason::AlreadyInvited))
    );
    // Admins change no roles; owners change admins/finance/members but not owners.
    assert_eq!(
        service::change_role(db, &admin, acme.member, Role::Admin, NOW).await,
        Err(AppError::Forbidden)
    );
    service::change_role(db, &owner, acme.member, Role::Finance, NOW)
        .await
        .unwrap();
    assert_eq!(
        role_of(db, acme.member, acme.id).await.as_deref(),
        Some("finance")
    );
    assert!(
        service::change_role(db, &owner, acme.owner, Role::Admin, NOW)
            .await
            .is_err()
    );
}

async fn the_last_owner_can_never_be_removed_or_leave(db: &Db) {
    let acme = company(db, "acme").await;
    let owner = ctx(db, acme.owner, acme.id).await;
    let admin = ctx(db, acme.admin, acme.id).await;
    assert_eq!(
        service::remove(db, &admin, acme.owner, NOW).await,
        Err(AppError::Forbidden)
    );
    assert_eq!(
        service::remove(db, &owner, acme.owner, NOW).await,
        Err(AppError::invalid("member", Reason::LastOwner))
    );
    assert_eq!(
        role_of(db, acme.owner, acme.id).await.as_deref(),
        Some("owner")
    );
    // With a second owner, one of them may leave.
    let second = user(db, "second@acme.se", "").await;
    join(db, acme.id, second, Role::Owner).await;
    service::remove(db, &owner, acme.owner, NOW).await.unwrap();
    assert_eq!(role_of(db, acme.owner, acme.id).await, None);
    let second_ctx = ctx(db, second, acme.id).await;
    assert!(
        service::remove(db, &second_ctx, second, NOW).await.is_err(),
        "now the last one"
    );
}

async fn a_removed_member_loses_access_at_once(db: &Db) {
    let acme = company(db, "acme").await;
    let admin = ctx(db, acme.admin, acme.id).await;
    assert!(TenantCtx::from_database(db, acme.member, acme.id)
        .await
        .is_ok());
    service::remove(db, &admin, acme.member, NOW).await.unwrap();
    assert_eq!(
        TenantCtx::from_database(db, acme.member, acme.id).await,
        Err(AppError::Forbidden)
    );
    assert_eq!(
        service::remove(db, &admin, acme.finance, NOW).await,
        Err(AppError::Forbidden),
        "admins remove members only"
    );
    let beta = company(db, "beta").await;
    assert_eq!(
        service::remove(db, &admin, beta.member, NOW).await,
        Err(AppError::NotFound),
        "not yours: 404"
    );
}

/// Issue 33: "åsa" finds "Åsa", "ø" finds "Ø", "ä" finds "Ä" on both engines (SQLite's own
/// lower() changes ASCII only), and names sort as each country's alphabet has it: Swedish and
/// Finnish … z, å, ä, ö; Norwegian … z, æ, ø, å. Real names of the three countries.
async fn nordic_names_are_found_in_any_case_and_sorted_in_each_countrys_order(db: &Db) {
    use app::org_number::Country;
    let co = Uuid::new_v4();
    let row = CompanyRow {
        id: co,
        name: "Pohjola Rakennus Oy".into(),
        org_number: "0112038-9".into(),
        time_zone: "Europe/Helsinki".into(),
        currency: "EUR".into(),
    };
    companies::insert_company(db, &row, 0).await.unwrap();
    let names = [
        ("asa@nordic.example", "Åsa Öberg"),
        ("angla@nordic.example", "Ängla Lindqvist"),
        ("orjan@nordic.example", "Örjan Ek"),
        ("anna@nordic.example", "Anna Ahlström"),
        ("zakarias@nordic.example", "Zakarias Zetterlund"),
        ("oyvind@nordic.example", "Øyvind Haugen"),
        ("aerlend@nordic.example", "Ærlend Dahl"),
        ("aino@nordic.example", "Aino Mäkinen"),
        ("aasmund@nordic.example", "Aasmund Aasen"),
    ];
    for (email, name) in names {
        let u = user(db, email, name).await;
        join(db, co, u, Role::Member).await;
    }
    let scope = CompanyScope::for_tests(co);
    let found = |q: &'static str| async move {
        let (rows, n) = members::list(db, scope, Some(q), MemberSort::Name, Country::Fi, 20, 0)
            .await
            .unwrap();
        (
            n,
            rows.into_iter().map(|r| r.display_name).collect::<Vec<_>>(),
        )
    };
    assert_eq!(found("åsa").await, (1, vec!["Åsa Öberg".to_owned()]));
    assert_eq!(
        found("ÄNGLA").await,
        (1, vec!["Ängla Lindqvist".to_owned()])
    );
    assert_eq!(found("øyvind").await, (1, vec!["Øyvind Haugen".to_owned()]));
    assert_eq!(
        found("ærlend dahl").await,
        (1, vec!["Ærlend Dahl".to_owned()])
    );
    assert_eq!(found("mäki").await, (1, vec!["Aino Mäkinen".to_owned()]));
    let order = |country| async move {
        members::list(db, scope, None, MemberSort::Name, country, 20, 0)
            .await
            .unwrap()
            .0
            .into_iter()
            .map(|r| r.display_name)
            .filter(|n| !n.is_empty())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        order(Country::Se).await,
        [
            "Aasmund Aasen",
            "Aino Mäkinen",
            "Anna Ahlström",
            "Zakarias Zetterlund",
            "Åsa Öberg",
            "Ängla Lindqvist",
            "Ærlend Dahl",
            "Örjan Ek",
            "Øyvind Haugen",
        ]
    );
    assert_eq!(order(Country::Fi).await, order(Country::Se).await);
    assert_eq!(
        order(Country::No).await,
        [
            "Aino Mäkinen",
            "Anna Ahlström",
            "Zakarias Zetterlund",
            "Ängla Lindqvist",
            "Ærlend Dahl",
            "Örjan Ek",
            "Øyvind Haugen",
            "Åsa Öberg",
            // The old spelling "aa" is the letter å in Norwegian (ICU's nb, and SQLite's
            // comparator alike).
            "Aasmund Aasen",
        ]
    );
}

async fn members_are_found_by_name_email_or_plate_and_paged(db: &Db) {
    let acme = company(db, "acme").await;
    let beta = company(db, "beta").await;
    for i in 0..25 {
        let u = user(db, &format!("p{i:02}@acme.se"), &format!("Person {i:02}")).await;
        join(db, acme.id, u, Role::Member).await;
    }
    let (all, total) = members::list(
        db,
        CompanyScope::for_tests(acme.id),
        None,
        MemberSort::Name,
        app::org_number::Country::Se,
        10,
        0,
    )
    .await
    .unwrap();
    assert_eq!((all.len(), total), (10, 29));
    let (page3, _) = members::list(
        db,
        CompanyScope::for_tests(acme.id),
        None,
        MemberSort::Name,
        app::org_number::Country::Se,
        10,
        20,
    )
    .await
    .unwrap();
    assert_eq!(page3.len(), 9);
    let (found, n) = members::list(
        db,
        CompanyScope::for_tests(acme.id),
        Some("PERSON 07"),
        MemberSort::Name,
        app::org_number::Country::Se,
        10,
        0,
    )
    .await
    .unwrap();
    assert_eq!((n, found[0].email.as_str()), (1, "p07@acme.se"));
    let (found, n) = members::list(
        db,
        CompanyScope::for_tests(acme.id),
        Some("owner@"),
        MemberSort::Email,
        app::org_number::Country::Se,
        10,
        0,
    )
    .await
    .unwrap();
    assert_eq!((n, found[0].role.as_str()), (1, "owner"));
    // `_` and `%` in a search are literal (they were stripped before issue 11, so a search for
    // first_last@… found nothing; as wildcards, `p_7` would match p07, p17, …).
    let u = user(db, "first_last@acme.se", "").await;
    join(db, acme.id, u, Role::Member).await;
    let (found, n) = members::list(
        db,
        CompanyScope::for_tests(acme.id),
        Some("first_last@"),
        MemberSort::Email,
        app::org_number::Country::Se,
        10,
        0,
    )
    .await
    .unwrap();
    assert_eq!((n, found[0].email.as_str()), (1, "first_last@acme.se"));
    let (_, n) = members::list(
        db,
        CompanyScope::for_tests(acme.id),
        Some("p_7"),
        MemberSort::Name,
        app::org_number::Country::Se,
        10,
        0,
    )
    .await
    .unwrap();
    assert_eq!(n, 0, "an underscore is not a wildcard");
    let (none, n) = members::list(
        db,
        CompanyScope::for_tests(beta.id),
        Some("p07"),
        MemberSort::Name,
        app::org_number::Country::Se,
        10,
        0,
    )
    .await
    .unwrap();
    assert_eq!(
        (none.len(), n),
        (0, 0),
        "another company's people never appear"
    );
}

async fn every_change_is_in_the_audit_log(db: &Db) {
    let acme = company(db, "acme").await;
    let owner = ctx(db, acme.owner, acme.id).await;
    let id = service::invite(
        db,
        &owner,
        &inv("new@x.se", Role::Member),
        URL,
        Lang::Sv,
        NOW,
    )
    .await
    .unwrap();
    service::resend(db, &owner, id, URL, Lang::Sv, NOW + 1)
        .await
        .unwrap();
    let token = token_in_mail(db, id).await;
    let new = user(db, "new@x.se", "").await;
    service::accept(db, &token, new, NOW + 2).await.unwrap();
    service::change_role(db, &owner, new, Role::Admin, NOW + 3)
        .await
        .unwrap();
    service::remove(db, &owner, new, NOW + 4).await.unwrap();
    let actions: Vec<String> = app::audit::store::list(db, CompanyScope::for_tests(acme.id))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "member.removed",
            "member.role_changed",
            "invitation.accepted",
            "invitation.resent",
            "invitation.sent"
        ]
    );
}

async fn the_audit_log_filters_by_action_person_and_time(db: &Db) {
    use app::audit::store::{search, AuditFilter};
    let acme = company(db, "acme").await;
    let beta = company(db, "beta").await;
    let owner = ctx(db, acme.owner, acme.id).await;
    service::invite(
        db,
        &owner,
        &inv("anna@x.se", Role::Member),
        URL,
        Lang::Sv,
        NOW,
    )
    .await
    .unwrap();
    service::invite(
        db,
        &owner,
        &inv("bo@x.se", Role::Member),
        URL,
        Lang::Sv,
        NOW + 100,
    )
    .await
    .unwrap();
    service::remove(db, &owner, acme.member, NOW + 200)
        .await
        .unwrap();
    let beta_owner = ctx(db, beta.owner, beta.id).await;
    service::invite(
        db,
        &beta_owner,
        &inv("anna@x.se", Role::Member),
        URL,
        Lang::Sv,
        NOW,
    )
    .await
    .unwrap();

    let all = AuditFilter {
        action: None,
        person: None,
        range: None,
    };
    assert_eq!(
        search(db, CompanyScope::for_tests(acme.id), &all, 100, 0)
            .await
            .unwrap()
            .len(),
        3
    );
    let sent = AuditFilter {
        action: Some(app::audit::AuditAction::InvitationSent),
        person: None,
        range: None,
    };
    assert_eq!(
        search(db, CompanyScope::for_tests(acme.id), &sent, 100, 0)
            .await
            .unwrap()
            .len(),
        2
    );
    let anna = AuditFilter {
        action: None,
        person: Some("ANNA@"),
        range: None,
    };
    assert_eq!(
        search(db, CompanyScope::for_tests(acme.id), &anna, 100, 0)
            .await
            .unwrap()
            .len(),
        1,
        "details and addresses are searched"
    );
    let removed = AuditFilter {
        action: None,
        person: Some("member@acme"),
        range: None,
    };
    let rows = search(db, CompanyScope::for_tests(acme.id), &removed, 100, 0)
        .await
        .unwrap();
    assert_eq!((rows.len(), rows[0].action.as_str()), (1, "member.removed"));
    let window = AuditFilter {
        action: None,
        person: None,
        range: Some((NOW + 50, NOW + 150)),
    };
    assert_eq!(
        search(db, CompanyScope::for_tests(acme.id), &window, 100, 0)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn ownership_moves_to_an_admin_only_with_a_fresh_code(db: &Db) {
    use app::auth::service::{check_code, issue_code, AuthError};
    use app::crypto::SecretKey;
    let key = SecretKey::new(*b"members test key, long enough...").unwrap();
    let acme = company(db, "acme").await;
    let owner = ctx(db, acme.owner, acme.id).await;
    let admin = ctx(db, acme.admin, acme.id).await;
    let owner_email = Email::parse("owner@acme.se").unwrap();

    // The code is mailed to the owner and checked by the sign-in rules, for its own purpose.
    issue_code(
        db,
        &key,
        &owner_email,
        service::PURPOSE_TRANSFER,
        Lang::Sv,
        NOW,
    )
    .await
    .unwrap();
    let text: String = with_pool!(db, |pool| {
        sqlx::query_scalar("SELECT text_body FROM outbox WHERE to_email = 'owner@acme.se' ORDER BY created_at DESC LIMIT 1")
            .fetch_one(pool)
            .await
            .unwrap()
    });
    let code = text
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 7 && l.as_bytes()[3] == b' ')
        .unwrap()
        .to_owned();
    let sign_in = app::auth::service::PURPOSE_SIGN_IN;
    assert_eq!(
        check_code(db, &key, &owner_email, sign_in, &code, NOW + 1).await,
        Err(AuthError::InvalidCode),
        "not a sign-in code"
    );
    assert_eq!(
        check_code(
            db,
            &key,
            &owner_email,
            service::PURPOSE_TRANSFER,
            &code,
            NOW + 2
        )
        .await,
        Ok(())
    );
    assert_eq!(
        check_code(
            db,
            &key,
            &owner_email,
            service::PURPOSE_TRANSFER,
            &code,
            NOW + 3
        )
        .await,
        Err(AuthError::InvalidCode),
        "used once"
    );

    assert_eq!(
        service::transfer_ownership(db, &admin, acme.admin, NOW).await,
        Err(AppError::Forbidden)
    );
    assert_eq!(
        service::transfer_ownership(db, &owner, acme.member, NOW).await,
        Err(AppError::invalid("member", Reason::TransferToAdminOnly))
    );
    service::transfer_ownership(db, &owner, acme.admin, NOW + 4)
        .await
        .unwrap();
    assert_eq!(
        role_of(db, acme.admin, acme.id).await.as_deref(),
        Some("owner")
    );
    assert_eq!(
        role_of(db, acme.owner, acme.id).await.as_deref(),
        Some("admin")
    );
    assert_eq!(
        members::owner_count(db, CompanyScope::for_tests(acme.id))
            .await
            .unwrap(),
        1,
        "exactly one owner after the handover"
    );
}

async fn a_bulk_preview_marks_every_bad_row_and_changes_nothing(db: &Db) {
    use app::csv_io::read as csv;
    let acme = company(db, "acme").await;
    let admin = ctx(db, acme.admin, acme.id).await;
    let cc = app::companies::store::CostCenterRow {
        id: Uuid::new_v4(),
        company_id: acme.id,
        code: "2010".into(),
        name: "Projekt Norr".into(),
    };
    app::companies::store::insert_cost_center(db, CompanyScope::for_tests(cc.company_id), &cc, 0)
        .await
        .unwrap();
    let text = "\u{feff}email;role;cost_center\n\
                ny1@x.se;member;2010\n\
                ny2@x.se;;projekt norr\n\
                inte-en-adress;member;\n\
                ny3@x.se;admin;\n\
                ny4@x.se;member;9999\n\
                ny1@x.se;member;\n\
                member@acme.se;member;\n";
    let rows = csv::parse(text).unwrap();
    let problems =
        |r: &app::members::BulkResult| r.rows.iter().map(|r| r.problem).collect::<Vec<_>>();
    let preview = service::bulk(
        db,
        &admin,
        &rows,
        service::BulkMode::Preview,
        URL,
        Lang::Sv,
        NOW,
    )
    .await
    .unwrap();
    let expected: Vec<Option<Reason>> = vec![
        None,
        None,
        Some(Reason::NotEmail),
        Some(Reason::RoleNotAllowed),
        Some(Reason::UnknownCostCenter),
        Some(Reason::Duplicate),
        Some(Reason::AlreadyMember),
    ];
    assert_eq!(problems(&preview), expected);
    assert_eq!((preview.good, preview.bad, preview.imported), (2, 5, 0));
    let pending = app::members::store::invitations(db, CompanyScope::for_tests(acme.id))
        .await
        .unwrap();
    assert!(pending.is_empty(), "a preview changes nothing");

    let done = service::bulk(
        db,
        &admin,
        &rows,
        service::BulkMode::import_all(),
        URL,
        Lang::Sv,
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(
        (done.good, done.bad, done.imported),
        (2, 5, 2),
        "only the good rows are sent"
    );
    let mut sent: Vec<String> =
        app::members::store::invitations(db, CompanyScope::for_tests(acme.id))
            .await
            .unwrap()
            .into_iter()
            .map(|i| i.email)
            .collect();
    sent.sort();
    assert_eq!(sent, ["ny1@x.se", "ny2@x.se"]);
    // Importing the same file again sends nothing new: those two are now "already invited".
    let again = service::bulk(
        db,
        &admin,
        &rows,
        service::BulkMode::import_all(),
        URL,
        Lang::Sv,
        NOW + 1,
    )
    .await
    .unwrap();
    assert_eq!(again.imported, 0);
}

/// The page sends a large file part by part for its progress bar: the parts together send
/// exactly the rows one request would, and a duplicate of a row in an earlier part is still
/// caught.
async fn a_bulk_import_in_parts_sends_what_one_request_would(db: &Db) {
    use app::csv_io::read as csv;
    let acme = company(db, "acme").await;
    let admin = ctx(db, acme.admin, acme.id).await;
    let text = "email;role\nny1@x.se;member\nny2@x.se;member\nny1@x.se;member\nny3@x.se;member\nfel;member\n";
    let rows = csv::parse(text).unwrap();
    let mut seen = Vec::new();
    for part in [0..2, 2..4, 4..6] {
        let r = service::bulk(
            db,
            &admin,
            &rows,
            service::BulkMode::Import { rows: part.clone() },
            URL,
            Lang::Sv,
            NOW,
        )
        .await
        .unwrap();
        assert!(
            r.rows
                .iter()
                .all(|row| part.contains(&((row.line - 2) as usize))),
            "a part reports only its rows"
        );
        seen.extend(r.rows.into_iter().map(|row| (row.line, row.problem)));
    }
    let expected: Vec<(i64, Option<Reason>)> = vec![
        (2, None),
        (3, None),
        (4, Some(Reason::Duplicate)),
        (5, None),
        (6, Some(Reason::NotEmail)),
    ];
    assert_eq!(seen, expected);
    let mut sent: Vec<String> =
        app::members::store::invitations(db, CompanyScope::for_tests(acme.id))
            .await
            .unwrap()
            .into_iter()
            .map(|i| i.email)
            .collect();
    sent.sort();
    assert_eq!(sent, ["ny1@x.se", "ny2@x.se", "ny3@x.se"]);
}

/// A file larger than the company's daily budget: exactly the budget goes out, every later good
/// row is reported as refused by the budget (not as sent, not as an error), and nothing else
/// is written for them.
async fn a_bulk_import_stops_at_the_daily_budget_and_says_so_per_row(db: &Db) {
    use app::csv_io::read as csv;
    use app::members::service::INVITATIONS_PER_COMPANY_PER_DAY as BUDGET;
    let acme = company(db, "acme").await;
    let owner = ctx(db, acme.owner, acme.id).await;
    let extra = 7;
    let mut text = String::from("email;role\n");
    for n in 0..BUDGET + extra {
        text.push_str(&format!("person{n}@bulk.se;member\n"));
    }
    let rows = csv::parse(&text).unwrap();
    let r = service::bulk(
        db,
        &owner,
        &rows,
        service::BulkMode::import_all(),
        URL,
        Lang::Sv,
        NOW,
    )
    .await
    .unwrap();
    assert_eq!((r.imported, r.bad), (BUDGET, extra));
    let refused: Vec<_> = r.rows.iter().filter_map(|row| row.problem).collect();
    assert_eq!(refused, vec![Reason::RateLimited; extra as usize]);
    // Counted in the table (the store's list stops at 500).
    let sent: i64 = with_pool!(db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM invitations WHERE company_id = $1")
            .bind(acme.id)
            .fetch_one(pool)
            .await
    })
    .unwrap();
    assert_eq!(sent, BUDGET);
}
