//! The store conformance suite: every test here runs on SQLite and on PostgreSQL
//! (`sqlite::NAME` and `postgres::NAME`), each on a fresh, migrated database.

use app::scope::CompanyScope;
use app::{
    audit::{
        store::{self as audit, AuditEntry, NewAuditEntry},
        AuditAction,
    },
    companies::{
        store::{self as companies, CompanyRow, CostCenterRow, NewMembership},
        Email, Role,
    },
    db::Db,
    facilities::{
        store::{self as facilities, NewFacility},
        Acceptance, Facility, FacilityKind, FacilityQuery,
    },
    history::{
        store::{self as history, NewSession},
        SessionKind,
    },
    invoices::{
        store::{self as invoices, NewInvoice},
        InvoiceStatus,
    },
    on_both_databases, with_pool,
};
use chrono::NaiveDate;
use uuid::Uuid;

on_both_databases!(
    migrations_leave_the_database_ready,
    facilities_upsert_by_operator_code,
    facility_search_is_case_insensitive_beyond_ascii,
    facility_filters_combine,
    facility_search_treats_wildcards_literally,
    cities_are_distinct_and_sorted,
    the_same_email_is_one_user,
    memberships_list_companies_with_roles,
    a_default_cost_center_must_belong_to_the_same_company,
    a_session_sent_twice_is_stored_once,
    totals_count_only_the_company_and_the_range,
    vat_above_the_amount_is_refused,
    a_write_under_one_company_refuses_another_companys_rows,
    an_invoice_for_a_period_takes_its_lines_and_totals_from_the_sessions,
    the_audit_log_is_append_only,
);

fn facility(name: &str, city: &str, kind: FacilityKind) -> Facility {
    Facility {
        id: Uuid::new_v4(),
        name: name.into(),
        address: "Storgatan 1".into(),
        city: city.into(),
        kind,
        company_account: Acceptance::Yes,
        company_account_note: String::new(),
        has_chargers: false,
    }
}

async fn add_facility(db: &Db, code: &str, f: Facility) -> Facility {
    add_facility_version(db, code, f, 0).await
}

async fn add_facility_version(db: &Db, code: &str, f: Facility, version: i64) -> Facility {
    facilities::upsert(
        db,
        &NewFacility {
            external_ref: code.into(),
            version,
            country: app::org_number::Country::Se,
            facility: f.clone(),
        },
    )
    .await
    .unwrap();
    f
}

async fn search(db: &Db, q: &str, city: &str, kind: &str) -> Vec<String> {
    let filter = FacilityQuery {
        q: q.into(),
        city: city.into(),
        kind: kind.into(),
    }
    .validate()
    .unwrap();
    facilities::list(db, &filter)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect()
}

async fn seed_facilities(db: &Db) {
    add_facility(
        db,
        "S1",
        facility("P-hus Klara", "Stockholm", FacilityKind::CameraGarage),
    )
    .await;
    add_facility(
        db,
        "S2",
        facility("Garage Hötorget", "Stockholm", FacilityKind::BarrierGarage),
    )
    .await;
    add_facility(
        db,
        "G1",
        facility("P-hus Nordstaden", "Göteborg", FacilityKind::CameraGarage),
    )
    .await;
    add_facility(
        db,
        "M1",
        facility("Lilla Torg", "Malmö", FacilityKind::Street),
    )
    .await;
}

async fn migrations_leave_the_database_ready(db: &Db) {
    assert!(db.is_ready().await);
    // Running them again changes nothing and does not fail.
    db.migrate().await.unwrap();
    assert!(db.is_ready().await);
}

async fn facilities_upsert_by_operator_code(db: &Db) {
    let f = add_facility(
        db,
        "S1",
        facility("P-hus Klara", "Stockholm", FacilityKind::CameraGarage),
    )
    .await;
    let mut changed = f.clone();
    changed.company_account = Acceptance::Some;
    changed.company_account_note = "Plan 1–3".into();
    changed.id = Uuid::new_v4(); // a resend keeps the stored id
                                 // The same version again changes nothing; a newer one replaces it; an older one does not.
    add_facility_version(db, "S1", changed.clone(), 0).await;
    let all = facilities::list(db, &Default::default()).await.unwrap();
    assert_eq!(all[0].company_account, Acceptance::Yes);
    add_facility_version(db, "S1", changed.clone(), 2).await;
    let mut older = changed.clone();
    older.company_account_note = "old".into();
    add_facility_version(db, "S1", older, 1).await;
    let all = facilities::list(db, &Default::default()).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].id, f.id);
    assert_eq!(all[0].company_account, Acceptance::Some);
    assert_eq!(all[0].company_account_note, "Plan 1–3");
}

async fn facility_search_is_case_insensitive_beyond_ascii(db: &Db) {
    seed_facilities(db).await;
    assert_eq!(search(db, "GÖTEBORG", "", "").await, ["P-hus Nordstaden"]);
    assert_eq!(search(db, "hötorget", "", "").await, ["Garage Hötorget"]);
    assert_eq!(
        search(db, "p-hus", "", "").await,
        ["P-hus Nordstaden", "P-hus Klara"]
    );
}

async fn facility_filters_combine(db: &Db) {
    seed_facilities(db).await;
    assert_eq!(
        search(db, "", "Stockholm", "").await,
        ["Garage Hötorget", "P-hus Klara"]
    );
    assert_eq!(
        search(db, "", "", "camera_garage").await,
        ["P-hus Nordstaden", "P-hus Klara"]
    );
    assert_eq!(
        search(db, "", "Stockholm", "camera_garage").await,
        ["P-hus Klara"]
    );
    assert_eq!(
        search(db, "klara", "Göteborg", "").await,
        Vec::<String>::new()
    );
    assert_eq!(search(db, "", "", "").await.len(), 4);
}

async fn facility_search_treats_wildcards_literally(db: &Db) {
    seed_facilities(db).await;
    add_facility(
        db,
        "X1",
        facility("Garage 50% rabatt", "Uppsala", FacilityKind::Surface),
    )
    .await;
    assert_eq!(search(db, "%", "", "").await, ["Garage 50% rabatt"]);
    assert_eq!(search(db, "_", "", "").await, Vec::<String>::new());
}

async fn cities_are_distinct_and_sorted(db: &Db) {
    seed_facilities(db).await;
    let mut expected = vec!["Göteborg", "Malmö", "Stockholm"];
    expected.sort();
    assert_eq!(facilities::cities(db).await.unwrap(), expected);
}

async fn company(db: &Db, name: &str, org: &str) -> CompanyRow {
    let c = CompanyRow {
        id: Uuid::new_v4(),
        name: name.into(),
        org_number: org.into(),
        time_zone: "Europe/Stockholm".into(),
        currency: "SEK".into(),
    };
    companies::insert_company(db, &c, 0).await.unwrap();
    c
}

async fn user(db: &Db, email: &str) -> Uuid {
    companies::upsert_user(db, Uuid::new_v4(), &Email::parse(email).unwrap(), "", 0)
        .await
        .unwrap()
}

async fn cost_center(db: &Db, company_id: Uuid, code: &str) -> Uuid {
    let cc = CostCenterRow {
        id: Uuid::new_v4(),
        company_id,
        code: code.into(),
        name: format!("CC {code}"),
    };
    companies::insert_cost_center(db, CompanyScope::for_tests(cc.company_id), &cc, 0)
        .await
        .unwrap();
    cc.id
}

async fn the_same_email_is_one_user(db: &Db) {
    let a = user(db, "Anna@Example.se").await;
    let b = user(db, " anna@example.SE ").await;
    assert_eq!(a, b);
}

async fn memberships_list_companies_with_roles(db: &Db) {
    let acme = company(db, "Acme AB", "556000-0001").await;
    let beta = company(db, "Beta AB", "556000-0002").await;
    let sam = user(db, "sam@example.se").await;
    for (c, role) in [(&beta, Role::Member), (&acme, Role::Admin)] {
        companies::add_membership(
            db,
            CompanyScope::for_tests(c.id),
            &NewMembership {
                user_id: sam,
                role,
                default_cost_center_id: None,
                invited_email: None,
            },
            0,
        )
        .await
        .unwrap();
    }
    let list: Vec<_> = companies::memberships_of(db, sam)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.id, m.name, m.org_number, m.role))
        .collect();
    assert_eq!(
        list,
        [
            (
                acme.id,
                "Acme AB".into(),
                acme.org_number.clone(),
                Role::Admin
            ),
            (
                beta.id,
                "Beta AB".into(),
                beta.org_number.clone(),
                Role::Member
            )
        ]
    );
    assert_eq!(
        companies::company(db, CompanyScope::for_tests(acme.id))
            .await
            .unwrap(),
        Some(acme)
    );
}

async fn a_default_cost_center_must_belong_to_the_same_company(db: &Db) {
    let acme = company(db, "Acme AB", "556000-0001").await;
    let beta = company(db, "Beta AB", "556000-0002").await;
    let betas_cc = cost_center(db, beta.id, "100").await;
    let anna = user(db, "anna@example.se").await;
    let wrong_scope = CompanyScope::for_tests(acme.id);
    let wrong = NewMembership {
        user_id: anna,
        role: Role::Member,
        default_cost_center_id: Some(betas_cc),
        invited_email: None,
    };
    assert!(companies::add_membership(db, wrong_scope, &wrong, 0)
        .await
        .is_err());
    assert!(companies::memberships_of(db, anna)
        .await
        .unwrap()
        .is_empty());
}

struct World {
    acme: CompanyRow,
    beta: CompanyRow,
    facility: Uuid,
    anna: Uuid,
    cc: Uuid,
}

async fn world(db: &Db) -> World {
    let acme = company(db, "Acme AB", "556000-0001").await;
    let beta = company(db, "Beta AB", "556000-0002").await;
    let facility = add_facility(
        db,
        "S1",
        facility("P-hus Klara", "Stockholm", FacilityKind::CameraGarage),
    )
    .await
    .id;
    let anna = user(db, "anna@example.se").await;
    let cc = cost_center(db, acme.id, "100").await;
    World {
        acme,
        beta,
        facility,
        anna,
        cc,
    }
}

fn session(w: &World, company_id: Uuid, n: usize, started_at: i64, amount_ore: i64) -> NewSession {
    NewSession {
        id: Uuid::new_v4(),
        company_id,
        user_id: Some(w.anna),
        plate: "ABC 123".into(),
        facility_id: w.facility,
        kind: SessionKind::Parking,
        started_at,
        ended_at: Some(started_at + 3600),
        energy_wh: None,
        amount_ore,
        vat_ore: amount_ore / 5,
        cost_center_id: (company_id == w.acme.id).then_some(w.cc),
        source: "test".into(),
        version: 0,
        policy_flags: 0,
        external_ref: format!("{company_id}-{n}"),
    }
}

async fn a_session_sent_twice_is_stored_once(db: &Db) {
    let w = world(db).await;
    let s = session(&w, w.acme.id, 1, 1_000, 5_000);
    assert_eq!(
        history::insert_sessions(
            db,
            CompanyScope::for_tests(s.company_id),
            std::slice::from_ref(&s)
        )
        .await
        .unwrap(),
        1
    );
    let mut again = s.clone();
    again.id = Uuid::new_v4();
    assert_eq!(
        history::insert_sessions(db, CompanyScope::for_tests(again.company_id), &[again])
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        history::totals(db, CompanyScope::for_tests(w.acme.id), 0, i64::MAX)
            .await
            .unwrap()
            .sessions,
        1
    );
}

async fn totals_count_only_the_company_and_the_range(db: &Db) {
    let w = world(db).await;
    let mut batch: Vec<_> = (0..2_500)
        .map(|n| session(&w, w.acme.id, n, 1_000 + n as i64, 1_000))
        .collect();
    batch.push(session(&w, w.beta.id, 9, 1_500, 99_900));
    assert_eq!(
        app::testing::insert_sessions(db, &mut batch).await.unwrap(),
        2_501
    );
    let t = history::totals(db, CompanyScope::for_tests(w.acme.id), 1_000, 1_100)
        .await
        .unwrap();
    assert_eq!(
        t,
        history::Totals {
            sessions: 100,
            amount_ore: 100_000,
            vat_ore: 20_000
        }
    );
    let empty = history::totals(db, CompanyScope::for_tests(w.acme.id), 10_000, 20_000)
        .await
        .unwrap();
    assert_eq!(empty, history::Totals::default());
}

async fn vat_above_the_amount_is_refused(db: &Db) {
    let w = world(db).await;
    let mut bad = session(&w, w.acme.id, 1, 1_000, 100);
    bad.vat_ore = 101;
    let good = session(&w, w.acme.id, 2, 1_000, 100);
    // One bad row refuses the whole batch: nothing is half-applied.
    assert!(
        history::insert_sessions(db, CompanyScope::for_tests(w.acme.id), &[good, bad])
            .await
            .is_err()
    );
    assert_eq!(
        history::totals(db, CompanyScope::for_tests(w.acme.id), 0, i64::MAX)
            .await
            .unwrap()
            .sessions,
        0
    );
}

/// The scope is the company a write may touch: a batch that names another company is refused
/// whole, before anything is written (`CompanyScope::check`).
async fn a_write_under_one_company_refuses_another_companys_rows(db: &Db) {
    let w = world(db).await;
    let ours = session(&w, w.acme.id, 1, 1_000, 100);
    let theirs = session(&w, w.beta.id, 2, 1_000, 100);
    let acme = CompanyScope::for_tests(w.acme.id);
    assert!(history::insert_sessions(db, acme, &[ours, theirs])
        .await
        .is_err());
    for company in [w.acme.id, w.beta.id] {
        let scope = CompanyScope::for_tests(company);
        let t = history::totals(db, scope, 0, i64::MAX).await.unwrap();
        assert_eq!(t.sessions, 0, "nothing written for {company}");
    }
    let cc = CostCenterRow {
        id: Uuid::new_v4(),
        company_id: w.beta.id,
        code: "900".into(),
        name: "Beta's".into(),
    };
    assert!(companies::insert_cost_center(db, acme, &cc, 0)
        .await
        .is_err());
    let beta_centers = companies::cost_centers(db, CompanyScope::for_tests(w.beta.id))
        .await
        .unwrap();
    assert!(beta_centers.iter().all(|c| c.id != cc.id));
}

async fn an_invoice_for_a_period_takes_its_lines_and_totals_from_the_sessions(db: &Db) {
    let w = world(db).await;
    let batch: Vec<_> = (0..10)
        .map(|n| session(&w, w.acme.id, n, 1_000 * (n as i64 + 1), 1_250))
        .collect();
    history::insert_sessions(db, CompanyScope::for_tests(batch[0].company_id), &batch)
        .await
        .unwrap();
    history::insert_sessions(
        db,
        CompanyScope::for_tests(w.beta.id),
        &[session(&w, w.beta.id, 1, 2_000, 7_000)],
    )
    .await
    .unwrap();
    let d = |day| NaiveDate::from_ymd_opt(2026, 3, day).unwrap();
    let inv = NewInvoice {
        id: Uuid::new_v4(),
        company_id: w.acme.id,
        number: "F202603-1".into(),
        period_start: d(1),
        period_end: d(31),
        issued_on: d(31),
        due_on: d(31),
        status: InvoiceStatus::Unpaid,
        paid_on: None,
    };
    // Sessions 1..=5 started in [1000, 6000).
    invoices::insert_invoice_for_period(
        db,
        CompanyScope::for_tests(inv.company_id),
        &inv,
        1_000,
        6_000,
    )
    .await
    .unwrap();
    let list = invoices::list(db, CompanyScope::for_tests(w.acme.id))
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].amount_ore, list[0].vat_ore), (5 * 1_250, 5 * 250));
    assert_eq!(list[0].period_start, d(1));
    assert_eq!(list[0].status, InvoiceStatus::Unpaid);
    let lines: i64 = with_pool!(db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM invoice_lines WHERE invoice_id = $1")
            .bind(inv.id)
            .fetch_one(pool)
            .await
            .unwrap()
    });
    assert_eq!(lines, 5);
    assert!(invoices::list(db, CompanyScope::for_tests(w.beta.id))
        .await
        .unwrap()
        .is_empty());
}

async fn the_audit_log_is_append_only(db: &Db) {
    let w = world(db).await;
    let new = NewAuditEntry {
        actor: Some(w.anna),
        action: AuditAction::InvitationSent,
        subject: None,
        details: r#"{"email":"bo@example.se"}"#.into(),
        at: 100,
    };
    let mut tx = db.begin().await.unwrap();
    audit::append(&mut tx, CompanyScope::for_tests(w.acme.id), &new)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let listed = audit::list(db, CompanyScope::for_tests(w.acme.id))
        .await
        .unwrap();
    let entry = AuditEntry {
        id: listed[0].id,
        company_id: Some(w.acme.id),
        actor_user_id: Some(w.anna),
        action: "invitation.sent".into(),
        subject_user_id: None,
        details: r#"{"email":"bo@example.se"}"#.into(),
        at: 100,
    };
    assert_eq!(listed, std::slice::from_ref(&entry));
    assert!(audit::list(db, CompanyScope::for_tests(w.beta.id))
        .await
        .unwrap()
        .is_empty());
    let update = with_pool!(db, |pool| {
        sqlx::query("UPDATE audit_log SET action = 'x'")
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    });
    assert!(
        update.is_err(),
        "an UPDATE of the audit log must be refused"
    );
    let delete = with_pool!(db, |pool| {
        sqlx::query("DELETE FROM audit_log")
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    });
    assert!(
        delete.is_err(),
        "a DELETE from the audit log must be refused"
    );
    assert_eq!(
        audit::list(db, CompanyScope::for_tests(w.acme.id))
            .await
            .unwrap(),
        [entry]
    );
}
