//! The signed ingestion API through the real router: signatures, keys and their rotation,
//! limits, every resource, on both databases.

use app::{db::Backend, testing::TestDb};
use axum::http::{header, Request};
use tower::ServiceExt;

use app::auth::ingest::{self};
use axum::{
    body::Body,
    http::{HeaderMap, StatusCode},
    Router,
};

const OLD: &str = "the old secret of the back office 32+";
const NEW: &str = "the new secret of the back office 32+";

async fn portal(keys: Option<&str>) -> (TestDb, Router) {
    portal_on(Backend::Sqlite, keys).await
}

async fn portal_on(backend: Backend, keys: Option<&str>) -> (TestDb, Router) {
    let t = TestDb::fresh(backend).await;
    let vars: Vec<(&str, &str)> = keys
        .map(|k| ("PORTAL_INGEST_KEYS", k))
        .into_iter()
        .collect();
    let app = crate::common::portal_on_db(&t.db, &vars);
    (t, app)
}

async fn ping(
    app: &Router,
    key: &str,
    secret: &str,
    at: i64,
    body: &str,
    sent: &str,
) -> (StatusCode, HeaderMap, String) {
    let ts = at.to_string();
    let req = Request::post("/ingest/v1/ping")
        .header(ingest::KEY_HEADER, key)
        .header(ingest::TIMESTAMP_HEADER, &ts)
        .header(
            ingest::SIGNATURE_HEADER,
            ingest::sign(secret, "POST", "/ingest/v1/ping", &ts, body.as_bytes()),
        )
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(sent.to_owned()))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

async fn signatures_good_stale_wrong_rotated_and_tampered(backend: Backend) {
    let body = r#"{"hello":"portal"}"#;
    let (_t, app) = portal_on(backend, Some(&format!("old={OLD},new={NEW}"))).await;
    // Taken after the (slow, on PostgreSQL) setup; the stale cases keep a few seconds
    // off the window's edge so a second ticking over cannot make them fresh (the exact
    // edge is the unit test's in app/src/auth/ingest.rs).
    let now = app::db::now_ts();
    // Good, with either live key (rotation): 200, no cookie, no CSRF needed.
    for (key, secret) in [("old", OLD), ("new", NEW)] {
        let (status, headers, text) = ping(&app, key, secret, now, body, body).await;
        assert_eq!(status, StatusCode::OK, "{key}: {text}");
        assert!(headers.get(header::SET_COOKIE).is_none(), "never a cookie");
    }
    let refused = |(status, _, text): (StatusCode, HeaderMap, String), what: &str| {
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {text}");
        assert!(text.contains(what), "{text} names {what}");
    };
    refused(
        ping(&app, "new", NEW, now - 305, body, body).await,
        "x-portal-timestamp",
    );
    refused(
        ping(&app, "new", NEW, now + 305, body, body).await,
        "x-portal-timestamp",
    );
    refused(
        ping(&app, "new", OLD, now, body, body).await,
        "x-portal-signature",
    );
    refused(
        ping(&app, "gone", NEW, now, body, body).await,
        "x-portal-key",
    );
    refused(
        ping(&app, "new", NEW, now, body, r#"{"hello":"tampered"}"#).await,
        "x-portal-signature",
    );
    // Unsigned.
    let res = app
        .clone()
        .oneshot(
            Request::post("/ingest/v1/ping")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // The old key retired: it stops working, the new one goes on.
    let (_t2, app) = portal_on(backend, Some(&format!("new={NEW}"))).await;
    refused(
        ping(&app, "old", OLD, now, body, body).await,
        "x-portal-key",
    );
    assert_eq!(
        ping(&app, "new", NEW, now, body, body).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn without_keys_the_api_says_why_with_503() {
    let (_t, app) = portal(None).await;
    let now = app::db::now_ts();
    let (status, _, text) = ping(&app, "k", NEW, now, "{}", "{}").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{text}");
    assert!(text.contains("PORTAL_INGEST_KEYS"), "{text}");
}

// --- The resources, on both engines ------------------------------------------------

const KEY: &str = "bo";

/// A portal with the ingestion key, one company (556677-8899, cost centers 100 and
/// 200), a member (default cost center 200) and a facility sent through the API.
struct World {
    t: TestDb,
    app: Router,
    company: uuid::Uuid,
    member: uuid::Uuid,
    cc200: uuid::Uuid,
    signer: crate::common::Signer,
}

async fn world(backend: Backend) -> World {
    use app::companies::{
        store::{self as companies, CompanyRow, CostCenterRow, NewMembership},
        Email, Role,
    };
    let (t, app) = portal_on(backend, Some(&format!("{KEY}={NEW}"))).await;
    let access = app::auth::OperatorAccess::command_line();
    let now = app::db::now_ts();
    let mut ids = vec![];
    for (name, org) in [("Acme AB", "556677-8899"), ("Beta AB", "556677-1111")] {
        let c = CompanyRow {
            id: uuid::Uuid::new_v4(),
            name: name.into(),
            org_number: org.into(),
            time_zone: "Europe/Stockholm".into(),
            currency: "SEK".into(),
        };
        companies::insert_company(&t.db, &c, now).await.unwrap();
        ids.push(c.id);
    }
    let scope = access.scope(ids[0]);
    let mut centers = vec![];
    for code in ["100", "200"] {
        let cc = CostCenterRow {
            id: uuid::Uuid::new_v4(),
            company_id: ids[0],
            code: code.into(),
            name: format!("Center {code}"),
        };
        companies::insert_cost_center(&t.db, scope, &cc, now)
            .await
            .unwrap();
        centers.push(cc.id);
    }
    let email = Email::parse("anna@acme.example").unwrap();
    let member = companies::upsert_user(&t.db, uuid::Uuid::new_v4(), &email, "Anna", now)
        .await
        .unwrap();
    companies::add_membership(
        &t.db,
        scope,
        &NewMembership {
            user_id: member,
            role: Role::Member,
            default_cost_center_id: Some(centers[1]),
            invited_email: Some(email),
        },
        now,
    )
    .await
    .unwrap();
    let w = World {
        t,
        app,
        company: ids[0],
        member,
        cc200: centers[1],
        signer: crate::common::Signer::new(KEY, NEW),
    };
    let (status, body) = w
        .post(
            "facilities",
            serde_json::json!({"facilities": [{
                "id": "F-1", "version": 1, "name": "Garage Ett", "address": "Gatan 1",
                "city": "Uppsala", "kind": "barrier_garage", "company_account": "yes",
                "has_chargers": true
            }]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    w
}

impl World {
    async fn post(
        &self,
        resource: &str,
        body: serde_json::Value,
    ) -> (StatusCode, serde_json::Value) {
        let text = body.to_string();
        let req = self
            .signer
            .request("POST", &format!("/ingest/v1/{resource}"), text.as_bytes());
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }

    /// (count, the ended_at, amount and cost center of the session with this id).
    async fn session(
        &self,
        id: &str,
    ) -> (
        i64,
        Option<(Option<i64>, i64, Option<uuid::Uuid>, Option<uuid::Uuid>)>,
    ) {
        app::with_pool!(&self.t.db, |pool| {
            let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
                .fetch_one(pool)
                .await
                .unwrap();
            let row = sqlx::query_as(
                "SELECT ended_at, amount_ore, cost_center_id, user_id FROM sessions WHERE external_ref = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await
            .unwrap();
            (count, row)
        })
    }
}

fn session(id: &str, version: i64) -> serde_json::Value {
    serde_json::json!({
        "id": id, "version": version, "company": "556677-8899",
        "app_user": {"email": "anna@acme.example"}, "plate": "abc123", "facility": "F-1",
        "kind": "parking", "started_at": "2026-11-02T08:00:00+01:00", "ended_at": null,
        "amount_incl_vat": 0, "vat": 0
    })
}

fn outcomes(body: &serde_json::Value) -> Vec<String> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap().to_owned())
        .collect()
}

fn problems(body: &serde_json::Value) -> Vec<(u64, String)> {
    body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {body}"))
        .iter()
        .map(|e| {
            (
                e["index"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn sent_twice_is_stored_once_and_only_newer_versions_win(backend: Backend) {
    let w = world(backend).await;
    let batch = serde_json::json!({"sessions": [session("S-1", 1), session("S-2", 1)]});
    let (status, body) = w.post("sessions", batch.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(outcomes(&body), ["inserted", "inserted"]);
    let (count, s1) = w.session("S-1").await;
    assert_eq!(count, 2);
    let (ended, _, cost_center, user) = s1.unwrap();
    assert_eq!(ended, None, "ongoing");
    assert_eq!(
        cost_center,
        Some(w.cc200),
        "no code: the member's default cost center"
    );
    assert_eq!(
        user,
        Some(w.member),
        "the member, found by the invited email"
    );

    // Twice: stored once.
    let (status, body) = w.post("sessions", batch).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(outcomes(&body), ["unchanged", "unchanged"]);
    assert_eq!(w.session("S-1").await.0, 2);

    // It ended, with a cost: version 2 updates it.
    let mut v2 = session("S-1", 2);
    v2["ended_at"] = "2026-11-02T17:00:00+01:00".into();
    v2["amount_incl_vat"] = 12_500.into();
    v2["vat"] = 2_500.into();
    v2["cost_center"] = "100".into();
    let (_, body) = w
        .post("sessions", serde_json::json!({"sessions": [v2]}))
        .await;
    assert_eq!(outcomes(&body), ["updated"]);
    // Version 1 arriving late changes nothing.
    let (_, body) = w
        .post(
            "sessions",
            serde_json::json!({"sessions": [session("S-1", 1)]}),
        )
        .await;
    assert_eq!(outcomes(&body), ["outdated"]);
    let (count, s1) = w.session("S-1").await;
    let (ended, amount, cost_center, _) = s1.unwrap();
    assert_eq!(count, 2);
    assert_eq!(ended, Some(1_793_635_200), "17:00 in Stockholm");
    assert_eq!(amount, 12_500);
    assert_ne!(cost_center, Some(w.cc200), "the code sent: 100");
    assert!(cost_center.is_some());

    // It shows in the company's history.
    let scope = app::scope::CompanyScope::for_tests(w.company);
    let totals = app::history::store::totals(&w.t.db, scope, 0, i64::MAX)
        .await
        .unwrap();
    assert_eq!((totals.sessions, totals.amount_ore), (2, 12_500));

    // The cost rollups followed the update through the ingestion's own write
    // (`upsert_known_sessions`: the old facts from the service's lookup): version 1's
    // cost center 200 and amount 0 out, version 2's cost center 100 and 12,500 in.
    let kept = app::history::rollup::stored(&w.t.db, scope).await.unwrap();
    let mut tx = w.t.db.begin().await.unwrap();
    let recount = app::history::rollup::recompute(&mut tx, scope)
        .await
        .unwrap();
    drop(tx);
    assert!(!kept.months.is_empty());
    assert_eq!(kept, recount, "the rollups drifted from the sessions");
}

async fn a_bad_batch_stores_nothing_and_names_every_problem(backend: Backend) {
    let w = world(backend).await;
    let mut no_facility = session("S-2", 1);
    no_facility["facility"] = "F-404".into();
    let mut no_center = session("S-3", 1);
    no_center["cost_center"] = "999".into();
    let mut many = session("S-4", 1);
    many["company"] = "12-34".into();
    many["plate"] = "!!".into();
    many["vat"] = 5.into();
    let mut wrong_type = session("S-5", 1);
    wrong_type["amount_incl_vat"] = "12 kr".into();
    let mut other_company = session("S-6", 1);
    other_company["company"] = "556677-2222".into();
    let batch = serde_json::json!({"sessions": [
        session("S-1", 1), no_facility, no_center, many, wrong_type, other_company, session("S-1", 2)
    ]});
    let (status, body) = w.post("sessions", batch).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "invalid_batch");
    assert_eq!(
        problems(&body),
        [
            (1, "facility".to_owned()),
            (2, "cost_center".to_owned()),
            (3, "company".to_owned()),
            (3, "plate".to_owned()),
            (3, "vat".to_owned()),
            (4, "amount_incl_vat".to_owned()),
            (5, "company".to_owned()),
            (6, "id".to_owned()),
        ]
    );
    assert!(body["reason"]
        .as_str()
        .unwrap()
        .contains("nothing of the batch was stored"));
    assert_eq!(
        w.session("S-1").await.0,
        0,
        "the good record was not stored either"
    );

    // A session stored under one company cannot move to another.
    let (status, _) = w
        .post(
            "sessions",
            serde_json::json!({"sessions": [session("S-1", 1)]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut moved = session("S-1", 2);
    moved["company"] = "556677-1111".into();
    let (status, body) = w
        .post("sessions", serde_json::json!({"sessions": [moved]}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problems(&body), [(0, "company".to_owned())]);

    // Not a batch at all: 400, with the shape expected.
    let (status, body) = w.post("sessions", serde_json::json!({"session": []})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["reason"].as_str().unwrap().contains("\"sessions\""),
        "{body}"
    );
}

/// Issue 33: Finnish and Norwegian companies receive sessions by their own organisation
/// numbers, in any spelling their countries use; a number with a wrong check digit is
/// refused with the rule it breaks, a number of no country's shape with the shapes.
async fn finnish_and_norwegian_companies_receive_sessions_by_their_numbers(backend: Backend) {
    let w = world(backend).await;
    let now = app::db::now_ts();
    let mut ids = vec![];
    for (name, org, zone, currency) in [
        ("Pohjola Rakennus Oy", "0112038-9", "Europe/Helsinki", "EUR"),
        ("Fjord Bygg AS", "923 609 016", "Europe/Oslo", "NOK"),
    ] {
        let c = app::companies::store::CompanyRow {
            id: uuid::Uuid::new_v4(),
            name: name.into(),
            org_number: org.into(),
            time_zone: zone.into(),
            currency: currency.into(),
        };
        app::companies::store::insert_company(&w.t.db, &c, now)
            .await
            .unwrap();
        ids.push(c.id);
    }
    // A garage in Helsinki and one in Oslo: plates parked there are written their way.
    let (status, body) = w
        .post(
            "facilities",
            serde_json::json!({"facilities": [
                {"id": "F-FI", "version": 1, "name": "Pysäköintitalo Kamppi", "address": "Urho Kekkosen katu 1",
                 "city": "Helsinki", "kind": "barrier_garage", "company_account": "yes", "country": "FI"},
                {"id": "F-NO", "version": 1, "name": "Parkering Aker Brygge", "address": "Stranden 1",
                 "city": "Oslo", "kind": "barrier_garage", "company_account": "yes", "country": "NO"},
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let guest = |id: &str, company: &str, facility: &str, plate: &str| {
        let mut s = session(id, 1);
        s["company"] = company.into();
        s["app_user"] = serde_json::Value::Null;
        s["facility"] = facility.into();
        s["plate"] = plate.into();
        s
    };
    let batch = serde_json::json!({"sessions": [
        guest("FI-1", "0112038-9", "F-FI", "abc123"),
        guest("FI-2", "01120389", "F-FI", "M-AB 1234"),
        guest("NO-1", "923 609 016", "F-NO", "ab12345"),
        guest("NO-2", "923609016", "F-NO", "abc-123"),
        // A Finnish car in a Swedish garage: written the Swedish way there.
        guest("SE-1", "0112038-9", "F-1", "abc-123"),
    ]});
    let (status, body) = w.post("sessions", batch).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(outcomes(&body), ["inserted"; 5]);
    for (id, company, plate) in [
        ("FI-1", ids[0], "ABC-123"),
        ("FI-2", ids[0], "M AB 1234"),
        ("NO-1", ids[1], "AB 12345"),
        ("NO-2", ids[1], "ABC 123"),
        ("SE-1", ids[0], "ABC 123"),
    ] {
        let stored: (uuid::Uuid, String) = app::with_pool!(&w.t.db, |pool| {
            sqlx::query_as("SELECT company_id, plate FROM sessions WHERE external_ref = $1")
                .bind(id)
                .fetch_one(pool)
                .await
                .unwrap()
        });
        assert_eq!(stored, (company, plate.to_owned()), "{id}");
    }
    // One typed plate finds the car in both garages' spellings (the history's plate filter).
    let spellings = app::plate::spellings("abc 123").unwrap();
    let found: i64 = app::with_pool!(&w.t.db, |pool| {
        let mut q = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM sessions WHERE plate IN ");
        app::push_in_list!(q, spellings.iter());
        q.build_query_scalar().fetch_one(pool).await.unwrap()
    });
    assert_eq!(
        found, 3,
        "ABC-123 in Helsinki, ABC 123 in Oslo and Uppsala: {spellings:?}"
    );
    let batch = serde_json::json!({"sessions": [
        guest("FI-3", "0112038-8", "F-FI", "abc123"),
        guest("NO-3", "923 609 017", "F-NO", "ab12345"),
        guest("X-1", "556677-889", "F-1", "abc123"),
    ]});
    let (status, body) = w.post("sessions", batch).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let reasons: Vec<String> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {}", e["field"], e["reason"]))
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(
        reasons[0].contains("Finnish Y-tunnus") && reasons[0].contains("check digit"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].contains("Norwegian") && reasons[1].contains("check digit"),
        "{reasons:?}"
    );
    assert!(reasons[2].contains("NNN NNN NNN"), "{reasons:?}");
}

async fn an_unknown_app_user_is_created_without_a_membership(backend: Backend) {
    let w = world(backend).await;
    let mut guest = session("S-1", 1);
    guest["app_user"] = serde_json::Value::Null;
    let mut new_person = session("S-2", 1);
    new_person["app_user"] = serde_json::json!({"id": "U-9", "email": "New.Person@Example.se"});
    let mut by_id_only = session("S-3", 1);
    by_id_only["app_user"] = serde_json::json!({"id": "U-9"});
    // The id alone is unknown until the batch that creates it is stored.
    let (status, body) = w
        .post("sessions", serde_json::json!({"sessions": [guest.clone(), new_person.clone(), by_id_only.clone()]}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(problems(&body), [(2, "app_user.id".to_owned())]);
    let (status, body) = w
        .post(
            "sessions",
            serde_json::json!({"sessions": [guest, new_person]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = w
        .post("sessions", serde_json::json!({"sessions": [by_id_only]}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, guest) = w.session("S-1").await;
    assert_eq!(guest.unwrap().3, None, "a guest's session has no user");
    let (_, s2) = w.session("S-2").await;
    let (_, s3) = w.session("S-3").await;
    let user = s2.unwrap().3.expect("the new person");
    assert_eq!(
        s3.unwrap().3,
        Some(user),
        "found again by the operator's id"
    );
    assert_eq!(s2.unwrap().2, None, "not a member: no default cost center");
    let memberships: i64 = app::with_pool!(&w.t.db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE user_id = $1")
            .bind(user)
            .fetch_one(pool)
            .await
            .unwrap()
    });
    assert_eq!(memberships, 0);
}

async fn each_resource_checks_its_records(backend: Backend) {
    let w = world(backend).await;
    // Facilities: a limited account needs its reason; kinds are a closed list.
    let (status, body) = w
        .post(
            "facilities",
            serde_json::json!({"facilities": [
                {"id": "F-2", "version": 1, "name": "Yta", "address": "Vägen 2", "city": "Uppsala",
                 "kind": "surface", "company_account": "some"},
                {"id": "F-3", "version": 1, "name": "Båt", "address": "Kajen", "city": "Uppsala",
                 "kind": "boat", "company_account": "yes"}
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        problems(&body),
        [
            (0, "company_account_note".to_owned()),
            (1, "kind".to_owned())
        ]
    );

    // App users: the invited member is linked to the operator's id and takes the name.
    let (status, body) = w
        .post("app-users", serde_json::json!({"app_users": [
            {"id": "U-1", "version": 3, "email": "anna@acme.example", "display_name": "Anna Berg",
             "app_signed_in_at": "2026-03-02T10:12:00Z"}
        ]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(outcomes(&body), ["updated"]);
    let (status, body) = w
        .post(
            "app-users",
            serde_json::json!({"app_users": [
                {"id": "U-2", "version": 1, "email": "anna@acme.example"},
                {"id": "U-3", "version": 1, "email": "not an address"},
                {"id": "U-1", "version": 2, "email": "anna@acme.example", "display_name": "Old"}
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // 0: the address is U-1's; 1: not an address; 2: the address again in this batch.
    assert_eq!(
        problems(&body),
        [
            (0, "email".to_owned()),
            (1, "email".to_owned()),
            (2, "email".to_owned())
        ]
    );
    let (_, body) = w
        .post(
            "app-users",
            serde_json::json!({"app_users": [
                {"id": "U-1", "version": 2, "email": "anna@acme.example", "display_name": "Old"}
            ]}),
        )
        .await;
    assert_eq!(outcomes(&body), ["outdated"]);
    let name: String = app::with_pool!(&w.t.db, |pool| {
        sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
            .bind(w.member)
            .fetch_one(pool)
            .await
            .unwrap()
    });
    assert_eq!(name, "Anna Berg");

    // Issue 33: a Nordic address is one address however its å is encoded — typed, or from a
    // file that writes it as a + combining ring — and the name is stored composed, so "åsa"
    // finds it.
    let nfd = "A\u{30a}sa";
    let (status, body) = w
        .post(
            "app-users",
            serde_json::json!({"app_users": [
                {"id": "U-4", "version": 1, "email": format!("{nfd}@acme.example"),
                 "display_name": format!("{nfd} Öberg")},
                {"id": "U-5", "version": 1, "email": "åsa@acme.example"}
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(problems(&body), [(1, "email".to_owned())], "{body}");
    let (status, body) = w
        .post(
            "app-users",
            serde_json::json!({"app_users": [
                {"id": "U-4", "version": 1, "email": format!("{nfd}@acme.example"),
                 "display_name": format!("{nfd} Öberg")}
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let stored: (String, String) = app::with_pool!(&w.t.db, |pool| {
        sqlx::query_as("SELECT email, display_name FROM users WHERE operator_user_id = 'U-4'")
            .fetch_one(pool)
            .await
            .unwrap()
    });
    assert_eq!(stored, ("åsa@acme.example".into(), "Åsa Öberg".into()));

    // Invoices: lines add up, a paid one has its date, a line's session is the company's.
    let mut s1 = session("S-1", 1);
    s1["ended_at"] = "2026-11-02T10:00:00+01:00".into();
    s1["amount_incl_vat"] = 5_000.into();
    s1["vat"] = 1_000.into();
    assert_eq!(
        w.post("sessions", serde_json::json!({"sessions": [s1]}))
            .await
            .0,
        StatusCode::OK
    );
    let invoice = |version: i64,
                   status: &str,
                   paid_on: Option<&str>,
                   amount: i64,
                   session: &str| {
        serde_json::json!({
            "number": "F-1", "version": version, "company": "556677-8899",
            "period_start": "2026-11-01", "period_end": "2026-11-30",
            "issued_on": "2026-12-03", "due_on": "2027-01-02", "status": status,
            "paid_on": paid_on, "amount_incl_vat": amount, "vat": 1_000,
            "lines": [{"description": "Parkering ABC 123", "amount_incl_vat": 5_000, "vat": 1_000,
                       "session": session, "cost_center": "100"}]
        })
    };
    let (status, body) = w
        .post(
            "invoices",
            serde_json::json!({"invoices": [invoice(1, "paid", None, 4_000, "S-404")]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields: Vec<String> = problems(&body).into_iter().map(|(_, f)| f).collect();
    assert_eq!(fields, ["paid_on", "amount_incl_vat"], "{body}");
    let (status, body) = w
        .post(
            "invoices",
            serde_json::json!({"invoices": [invoice(1, "unpaid", None, 5_000, "S-404")]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(problems(&body), [(0, "lines[0].session".to_owned())]);
    let (status, body) = w
        .post(
            "invoices",
            serde_json::json!({"invoices": [invoice(1, "unpaid", None, 5_000, "S-1")]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Paid later: version 2.
    let (_, body) = w
        .post(
            "invoices",
            serde_json::json!({"invoices": [invoice(2, "paid", Some("2026-12-20"), 5_000, "S-1")]}),
        )
        .await;
    assert_eq!(outcomes(&body), ["updated"]);
    let (status, lines): (String, i64) = app::with_pool!(&w.t.db, |pool| {
        sqlx::query_as(
            "SELECT status, (SELECT COUNT(*) FROM invoice_lines l WHERE l.invoice_id = i.id)
             FROM invoices i WHERE number = 'F-1'",
        )
        .fetch_one(pool)
        .await
        .unwrap()
    });
    assert_eq!(
        (status.as_str(), lines),
        ("paid", 1),
        "its lines replaced, not added"
    );
}

async fn unsigned_writes_change_nothing(backend: Backend) {
    let w = world(backend).await;
    let body = serde_json::json!({"sessions": [session("S-1", 1)]}).to_string();
    let res = w
        .app
        .clone()
        .oneshot(
            Request::post("/ingest/v1/sessions")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(w.session("S-1").await.0, 0);
}

/// Issue 28, item 5: amounts, VAT and energy have bounds no real business reaches, named by
/// field when crossed; at the bounds, the month's costs and the history's totals are exact
/// (before, two sessions near `i64::MAX` wrapped the costs to a negative total in a release
/// build and made the history's totals answer 500).
async fn amounts_have_bounds_and_sums_at_them_are_exact(backend: Backend) {
    use app::ingest::wire::{MAX_ENERGY_WH, MAX_INVOICE_AMOUNT, MAX_SESSION_AMOUNT};
    let w = world(backend).await;
    let ended = |id: &str, amount: i64| {
        let mut s = session(id, 1);
        s["ended_at"] = "2026-11-02T10:00:00+01:00".into();
        s["amount_incl_vat"] = amount.into();
        s["vat"] = (amount / 5).into();
        s
    };
    let mut charging = ended("S-C", 100);
    charging["kind"] = "charging".into();
    charging["energy_wh"] = (MAX_ENERGY_WH + 1).into();
    let (status, body) = w
        .post(
            "sessions",
            serde_json::json!({"sessions": [
                ended("S-1", MAX_SESSION_AMOUNT), ended("S-2", MAX_SESSION_AMOUNT + 1),
                ended("S-3", i64::MAX / 2), charging
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        problems(&body),
        [
            (1, "amount_incl_vat".to_owned()),
            (2, "amount_incl_vat".to_owned()),
            (3, "energy_wh".to_owned())
        ]
    );
    assert_eq!(
        w.session("S-1").await.0,
        0,
        "nothing of the batch was stored"
    );

    let (status, body) = w
        .post(
            "sessions",
            serde_json::json!({"sessions": [
                ended("S-1", MAX_SESSION_AMOUNT), ended("S-2", MAX_SESSION_AMOUNT)
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let scope = app::auth::OperatorAccess::command_line().scope(w.company);
    let november = app::calendar::month_index(2026, 11);
    let costs = app::costs::service::company_report(&w.t.db, scope, november)
        .await
        .unwrap();
    assert_eq!(costs.total.now.amount_ore, 2 * MAX_SESSION_AMOUNT);
    let (from, to) = (1_793_487_600, 1_796_079_600); // November 2026 in Stockholm
    let totals = app::history::store::totals(&w.t.db, scope, from, to)
        .await
        .unwrap();
    assert_eq!(
        (totals.sessions, totals.amount_ore),
        (2, 2 * MAX_SESSION_AMOUNT)
    );

    // An invoice beyond its bound, or one whose lines would wrap an i64, is refused by field.
    let line = |amount: i64| serde_json::json!({"description": "Parkering", "amount_incl_vat": amount, "vat": 0});
    let invoice = |number: &str, total: i64, lines: Vec<serde_json::Value>| {
        serde_json::json!({
            "number": number, "version": 1, "company": "556677-8899",
            "period_start": "2026-11-01", "period_end": "2026-11-30",
            "issued_on": "2026-12-03", "due_on": "2027-01-02", "status": "unpaid",
            "paid_on": null, "amount_incl_vat": total, "vat": 0, "lines": lines
        })
    };
    let (status, body) = w
        .post(
            "invoices",
            serde_json::json!({"invoices": [
                invoice("F-9", MAX_INVOICE_AMOUNT + 1, vec![line(MAX_INVOICE_AMOUNT + 1)]),
                invoice("F-10", -2, vec![line(i64::MAX), line(i64::MAX)]),
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        problems(&body),
        [
            (0, "amount_incl_vat".to_owned()),
            (0, "lines[0].amount_incl_vat".to_owned()),
            (1, "lines[0].amount_incl_vat".to_owned()),
            (1, "lines[1].amount_incl_vat".to_owned()),
            // The lines add up (in 128 bits) to 2 × i64::MAX, not to the total.
            (1, "amount_incl_vat".to_owned()),
        ]
    );
}

async fn answer(app: &Router, req: Request<Body>) -> (StatusCode, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// The attack of issue 28: a monitoring system's signed, empty `POST /ingest/v1/ping`,
/// captured, sent again — to the same resource, to another instance, or as a read of every
/// company's guest permits. Each is refused; the old scheme that allowed the last one passes
/// only while the transition setting is on.
async fn a_signature_means_one_request(backend: Backend) {
    let w = world(backend).await;
    let keys = format!("{KEY}={NEW}");
    let other_instance = crate::common::portal_on_db(&w.t.db, &[("PORTAL_INGEST_KEYS", &keys)]);
    let ping = w.signer.request("POST", "/ingest/v1/ping", b"");
    let headers = ping.headers().clone();
    let again = || {
        let mut req = Request::post("/ingest/v1/ping")
            .body(Body::empty())
            .unwrap();
        *req.headers_mut() = headers.clone();
        req
    };
    assert_eq!(answer(&w.app, ping).await.0, StatusCode::OK);
    for app in [&w.app, &other_instance] {
        let (status, text) = answer(app, again()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
        assert!(text.contains("already used"), "{text}");
    }
    // The same headers on a read of the permits: another request, so no signature.
    let mut read = Request::get("/ingest/v1/guest-permits?company=5566778899")
        .body(Body::empty())
        .unwrap();
    *read.headers_mut() = headers.clone();
    let (status, text) = answer(&w.app, read).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    assert!(!text.contains("\"permits\""), "{text}");

    // The first scheme: refused by default, with a reason that says what to do ...
    let legacy = |path: &str, method: &str| {
        let ts = app::db::now_ts().to_string();
        Request::builder()
            .method(method)
            .uri(path)
            .header(ingest::KEY_HEADER, KEY)
            .header(ingest::TIMESTAMP_HEADER, &ts)
            .header(
                ingest::SIGNATURE_HEADER,
                app::crypto::ingest_signature_v1(NEW, &ts, b""),
            )
            .body(Body::empty())
            .unwrap()
    };
    let (status, text) = answer(&w.app, legacy("/ingest/v1/guest-permits", "GET")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    assert!(text.contains("v2="), "{text}");
    // ... and accepted, once, only where the setting says a back office is being moved over.
    let moving = crate::common::portal_on_db(
        &w.t.db,
        &[
            ("PORTAL_INGEST_KEYS", &keys),
            ("PORTAL_INGEST_LEGACY_SIGNATURES", "true"),
        ],
    );
    let req = legacy("/ingest/v1/guest-permits", "GET");
    let replay_headers = req.headers().clone();
    let (status, text) = answer(&moving, req).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let mut replay = Request::post("/ingest/v1/ping")
        .body(Body::empty())
        .unwrap();
    *replay.headers_mut() = replay_headers;
    let (status, text) = answer(&moving, replay).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    assert!(text.contains("already used"), "{text}");

    // The cache forgets a signature only once it could not be accepted anyway: pruned as if
    // it were almost the end of the window, the ping is still refused; after it, the table
    // is empty.
    let now = app::db::now_ts();
    app::auth::store::prune(&w.t.db, now + ingest::REPLAY_WINDOW - 10)
        .await
        .unwrap();
    let (status, text) = answer(&w.app, again()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    assert!(text.contains("already used"), "{text}");
    app::auth::store::prune(&w.t.db, now + ingest::REPLAY_WINDOW + 10)
        .await
        .unwrap();
    let seen = app::with_pool!(&w.t.db, |pool| {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM ingest_signatures_seen")
            .fetch_one(pool)
            .await
            .unwrap()
    });
    assert_eq!(seen, 0);
}

/// Nothing of a body is read before its headers pass: an unsigned request, or a signed one
/// declaring more than the limit, is answered while its body has not even started; a signed
/// body that never finishes is cut off after the read timeout (the clock is paused and
/// advanced by tokio here, so the 30 s take no time).
#[tokio::test]
async fn the_headers_are_checked_before_the_body_is_read() {
    use std::time::Duration;
    let w = world(Backend::Sqlite).await;
    let never = || {
        Body::from_stream(futures::stream::pending::<
            Result<axum::body::Bytes, std::io::Error>,
        >())
    };
    let quickly = |req| tokio::time::timeout(Duration::from_secs(5), answer(&w.app, req));

    let unsigned = Request::post("/ingest/v1/sessions").body(never()).unwrap();
    let (status, text) = quickly(unsigned).await.expect("answered before the body");
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");

    let huge = {
        let mut req = w.signer.request("POST", "/ingest/v1/sessions", b"");
        req.headers_mut().insert(
            header::CONTENT_LENGTH,
            (server::http::ingest::MAX_BODY_BYTES + 1)
                .to_string()
                .parse()
                .unwrap(),
        );
        *req.body_mut() = never();
        req
    };
    let (status, text) = quickly(huge).await.expect("answered before the body");
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{text}");

    tokio::time::pause();
    let mut slow = w.signer.request("POST", "/ingest/v1/sessions", b"{}");
    *slow.body_mut() = never();
    let (status, text) = answer(&w.app, slow).await;
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT, "{text}");
    assert!(text.contains("30 s"), "{text}");
}

/// Two batches that carry the same new invoice numbers, sent at once (the operator's retry
/// racing its first try, or two of its workers): each number is stored once, by one of
/// them, with that batch's lines; the other batch learns it is already stored. Neither
/// answers 500 and no line points at an invoice that was never stored. The second batch
/// lists the numbers in the opposite order, so taking the numbers' locks in the batch's own
/// order would deadlock.
async fn two_batches_with_the_same_new_invoices_at_once(backend: Backend) {
    let w = world(backend).await;
    let invoice = |number: &str, line: &str| {
        serde_json::json!({
            "number": number, "version": 1, "company": "556677-8899",
            "period_start": "2026-11-01", "period_end": "2026-11-30",
            "issued_on": "2026-12-03", "due_on": "2027-01-02", "status": "unpaid",
            "paid_on": null, "amount_incl_vat": 5_000, "vat": 1_000,
            "lines": [{"description": line, "amount_incl_vat": 5_000, "vat": 1_000}]
        })
    };
    for round in 0..5 {
        let numbers: Vec<String> = (0..12).map(|n| format!("R{round}-{n}")).collect();
        let first: Vec<_> = numbers.iter().map(|n| invoice(n, "first")).collect();
        let second: Vec<_> = numbers.iter().rev().map(|n| invoice(n, "second")).collect();
        let ((s1, b1), (s2, b2)) = tokio::join!(
            w.post("invoices", serde_json::json!({ "invoices": first })),
            w.post("invoices", serde_json::json!({ "invoices": second })),
        );
        assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK), "{b1}\n{b2}");
        // Who stored each number, by the answers.
        let mut inserted_by = std::collections::HashMap::new();
        for (body, who) in [(&b1, "first"), (&b2, "second")] {
            for r in body["results"].as_array().unwrap() {
                let number = r["id"].as_str().unwrap().to_owned();
                let outcome = r["outcome"].as_str().unwrap();
                match outcome {
                    "inserted" => assert!(
                        inserted_by.insert(number.clone(), who).is_none(),
                        "{number} inserted by both batches"
                    ),
                    "unchanged" => {}
                    other => panic!("{number}: unexpected outcome {other} from the {who} batch"),
                }
            }
        }
        assert_eq!(inserted_by.len(), numbers.len(), "{b1}\n{b2}");
        // What is stored: one invoice per number, with the lines of the batch that stored it.
        let stored: Vec<(String, i64, String)> = app::with_pool!(&w.t.db, |pool| {
            sqlx::query_as(
                "SELECT i.number, COUNT(l.id), MIN(l.description)
                 FROM invoices i LEFT JOIN invoice_lines l ON l.invoice_id = i.id
                 WHERE i.number LIKE $1 GROUP BY i.number ORDER BY i.number",
            )
            .bind(format!("R{round}-%"))
            .fetch_all(pool)
            .await
            .unwrap()
        });
        assert_eq!(stored.len(), numbers.len());
        for (number, lines, line) in stored {
            assert_eq!(
                (lines, line.as_str()),
                (1, inserted_by[&number]),
                "{number}: its lines are the storing batch's"
            );
        }
    }
}

macro_rules! on_both {
    ($($name:ident),*) => {
        mod sqlite {
            $(#[tokio::test] async fn $name() { super::$name(app::db::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test] async fn $name() { super::$name(app::db::Backend::Postgres).await })*
        }
    };
}
on_both!(
    signatures_good_stale_wrong_rotated_and_tampered,
    sent_twice_is_stored_once_and_only_newer_versions_win,
    a_bad_batch_stores_nothing_and_names_every_problem,
    an_unknown_app_user_is_created_without_a_membership,
    finnish_and_norwegian_companies_receive_sessions_by_their_numbers,
    each_resource_checks_its_records,
    unsigned_writes_change_nothing,
    a_signature_means_one_request,
    amounts_have_bounds_and_sums_at_them_are_exact,
    two_batches_with_the_same_new_invoices_at_once
);

#[tokio::test]
async fn the_openapi_document_describes_every_resource() {
    let (_t, app) = portal(None).await;
    let res = app
        .oneshot(
            Request::get("/ingest/v1/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    for path in ["sessions", "facilities", "app-users", "invoices", "ping"] {
        let op = &doc["paths"][format!("/ingest/v1/{path}")]["post"];
        assert!(op.is_object(), "{path}");
        assert!(
            op["responses"]["422"].is_object() || path == "ping",
            "{path}"
        );
    }
    let schemas = &doc["components"]["schemas"];
    for schema in [
        "SessionIn",
        "FacilityIn",
        "AppUserIn",
        "InvoiceIn",
        "InvalidBatch",
        "BatchResult",
    ] {
        assert!(schemas[schema].is_object(), "{schema}");
    }
    assert!(
        schemas["SessionIn"]["example"].is_object() || schemas["SessionIn"]["examples"].is_array()
    );
    assert!(doc["info"]["description"]
        .as_str()
        .unwrap()
        .contains("creates the user"));
    assert!(doc["components"]["securitySchemes"]["signature"].is_object());
}
