//! Company policies through the real router, on both databases, as an admin and a member use
//! them: rules saved per cost center and per member with the page's form (bad input refused
//! by field, nothing stored), a member registering their own car, signed batches judged by
//! the rules in force when each session started (a correction judged again, the monthly cap
//! counted across batches), the history's "outside policy" filter with the reasons in JSON
//! and in the server-rendered page, and "check again from a date" audited. Every date is fixed
//! (November 2026), and so is every expectation.

use app::{
    companies::{
        store::{self as companies, CostCenterRow},
        Role,
    },
    db::Backend,
    testing::TestDb,
    with_pool,
};
use axum::{
    body::Body,
    http::{header, Request, StatusCode},
    Router,
};
use uuid::Uuid;

use crate::common::{
    add_member, form, get, insert_company, post, send, session_view, sign_in, Res,
};

pub(crate) const KEY: &str = "bo";
pub(crate) const SECRET: &str = "the back office's secret of 32 bytes+";
pub(crate) const OWNER: &str = "owner@acme.example";
pub(crate) const ANNA: &str = "anna@acme.example";

pub(crate) struct World {
    pub(crate) t: TestDb,
    pub(crate) app: Router,
    state: app::state::AppState,
    pub(crate) anna: Uuid,
    pub(crate) cc200: Uuid,
    signer: crate::common::Signer,
}

pub(crate) async fn world(backend: Backend) -> World {
    world_with(backend, &[]).await
}

/// [`world`] with more settings.
async fn world_with(backend: Backend, vars: &[(&str, &str)]) -> World {
    let t = TestDb::fresh(backend).await;
    let keys = format!("{KEY}={SECRET}");
    let mut all = vec![("PORTAL_INGEST_KEYS", keys.as_str())];
    all.extend_from_slice(vars);
    let state = crate::common::state_on_db(&t.db, &all);
    let app = server::http::router(state.clone());
    let now = app::db::now_ts();
    let company = Uuid::new_v4();
    insert_company(&t.db, company, "Acme AB", "556677-8899", now).await;
    add_member(&t.db, company, OWNER, Role::Owner, now).await;
    let anna = add_member(&t.db, company, ANNA, Role::Member, now).await;
    let scope = app::auth::OperatorAccess::command_line().scope(company);
    let cc200 = Uuid::new_v4();
    companies::insert_cost_center(
        &t.db,
        scope,
        &CostCenterRow {
            id: cc200,
            company_id: company,
            code: "200".into(),
            name: "Sälj".into(),
        },
        now,
    )
    .await
    .unwrap();
    with_pool!(&t.db, |pool| {
        sqlx::query("UPDATE memberships SET default_cost_center_id = $1 WHERE user_id = $2")
            .bind(cc200)
            .bind(anna)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
            .unwrap()
    });
    let w = World {
        t,
        app,
        state,
        anna,
        cc200,
        signer: crate::common::Signer::new(KEY, SECRET),
    };
    let (status, body) = w
        .ingest(
            "facilities",
            serde_json::json!({"facilities": [{
                "id": "F-1", "version": 1, "name": "Garage Ett", "address": "Gatan 1",
                "city": "Uppsala", "kind": "camera_garage", "company_account": "yes",
                "has_chargers": true
            }]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    w
}

/// A session of Anna's at the facility, local Stockholm times (UTC+1 in November).
pub(crate) fn session(
    id: &str,
    version: i64,
    plate: &str,
    kind: &str,
    start: &str,
    end: &str,
    amount: i64,
) -> serde_json::Value {
    serde_json::json!({
        "id": id, "version": version, "company": "556677-8899",
        "app_user": {"email": ANNA}, "plate": plate, "facility": "F-1",
        "kind": kind, "started_at": format!("{start}+01:00"), "ended_at": format!("{end}+01:00"),
        "energy_wh": if kind == "charging" { Some(12_000) } else { None },
        "amount_incl_vat": amount, "vat": amount / 5
    })
}

impl World {
    pub(crate) async fn ingest(
        &self,
        resource: &str,
        body: serde_json::Value,
    ) -> (StatusCode, serde_json::Value) {
        let text = body.to_string();
        let req = self
            .signer
            .request("POST", &format!("/ingest/v1/{resource}"), text.as_bytes());
        let res = send(&self.app, req).await;
        (
            res.status,
            serde_json::from_str(&res.body).unwrap_or(serde_json::Value::Null),
        )
    }

    /// Checks that the rollups are what the sessions sum to (a new judgement moves a session in
    /// or out of `outside_months`), and that the cost page's outside-policy amounts for
    /// November 2026 are the flagged sessions' amounts, summed from the sessions themselves.
    /// Returns November's outside-policy total in öre.
    pub(crate) async fn rollups_in_step(&self) -> i64 {
        let scope = app::auth::OperatorAccess::command_line().scope(self.company().await);
        let kept = app::history::rollup::stored(&self.t.db, scope)
            .await
            .unwrap();
        let mut tx = self.t.db.begin().await.unwrap();
        let recount = app::history::rollup::recompute(&mut tx, scope)
            .await
            .unwrap();
        drop(tx);
        assert_eq!(kept, recount, "the rollups drifted from the sessions");
        let month = app::calendar::month_index(2026, 11);
        let outside = app::costs::store::outside_policy(&self.t.db, scope, None, month)
            .await
            .unwrap();
        let read: i64 = outside.iter().map(|o| o.amount_ore).sum();
        let counted: i64 = outside.iter().map(|o| o.sessions).sum();
        // November 2026 in Stockholm: 1 Nov 00:00 +01:00 to 1 Dec 00:00 +01:00.
        let (from, to) = (1_793_487_600_i64, 1_796_079_600_i64);
        let (n, sum): (i64, i64) = with_pool!(&self.t.db, |pool| {
            sqlx::query_as(
                "SELECT COUNT(*), CAST(COALESCE(SUM(amount_ore), 0) AS BIGINT) FROM sessions
                 WHERE policy_flags <> 0 AND started_at >= $1 AND started_at < $2",
            )
            .bind(from)
            .bind(to)
            .fetch_one(pool)
            .await
            .unwrap()
        });
        assert_eq!((counted, read), (n, sum), "outside policy in November");
        read
    }

    async fn company(&self) -> Uuid {
        with_pool!(&self.t.db, |pool| {
            sqlx::query_scalar("SELECT id FROM companies WHERE org_number = '556677-8899'")
                .fetch_one(pool)
                .await
                .unwrap()
        })
    }

    /// The stored judgement of each session, by the operator's id.
    async fn flags(&self) -> std::collections::BTreeMap<String, Vec<&'static str>> {
        let rows: Vec<(String, i64)> = with_pool!(&self.t.db, |pool| {
            sqlx::query_as("SELECT external_ref, policy_flags FROM sessions")
                .fetch_all(pool)
                .await
                .unwrap()
        });
        rows.into_iter()
            .map(|(r, f)| {
                (
                    r,
                    app::policies::model::Reason::of(f)
                        .map(|r| r.code())
                        .collect(),
                )
            })
            .collect()
    }

    pub(crate) async fn count(&self, table: &str) -> i64 {
        with_pool!(&self.t.db, |pool| {
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(pool)
                .await
                .unwrap()
        })
    }

    /// A form posted as the page's script posts it (`html` false) or as a plain form post
    /// without JavaScript (`html` true: the browser asks for a page back).
    pub(crate) async fn submit(
        &self,
        session: &str,
        path: &str,
        fields: &[(&str, &str)],
        html: bool,
    ) -> Res {
        let csrf = session_view(&self.app, session).await.csrf;
        let mut fields = fields.to_vec();
        fields.push(("csrf_token", &csrf));
        let mut req = post(path, session);
        if html {
            req = req.header(header::ACCEPT, "text/html,application/xhtml+xml");
        }
        send(&self.app, req.body(form(&fields)).unwrap()).await
    }

    pub(crate) async fn get(&self, session: &str, path: &str) -> Res {
        let req = Request::get(path)
            .header(
                header::COOKIE,
                format!("{}={session}", app::auth::SESSION_COOKIE),
            )
            .body(Body::empty())
            .unwrap();
        send(&self.app, req).await
    }
}

/// "Weekdays 06–20, parking only, at most 10 hours, 2,000 a month" for cost center 200, in
/// force from 1 November 2026.
pub(crate) fn acceptance_rules(cc: &str) -> Vec<(&'static str, String)> {
    vec![
        ("level", "cost_center".into()),
        ("id", cc.into()),
        ("form[days]", "weekdays".into()),
        ("form[hours_from]", "06:00".into()),
        ("form[hours_to]", "20:00".into()),
        ("form[parking]", "yes".into()),
        ("form[charging]", "no".into()),
        ("form[max_stay_hours]", "10".into()),
        ("form[monthly_cap]", "2 000".into()),
        ("valid_from", "2026-11-01".into()),
    ]
}

pub(crate) fn fields<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

async fn an_admins_rules_judge_every_session_by_the_rules_in_force_when_it_started(
    backend: Backend,
) {
    let w = world(backend).await;
    let owner = sign_in(&w.app, &w.t.db, OWNER).await;
    let cc = w.cc200.to_string();

    // Bad input, with JavaScript and without: refused by field, nothing stored.
    let mut bad = acceptance_rules(&cc);
    bad[3].1 = "25:00".into();
    let res = w
        .submit(&owner, "/api/save_policy", &fields(&bad), false)
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert!(
        res.body.contains("hours_from") && res.body.contains("out_of_range"),
        "{}",
        res.body
    );
    let res = w
        .submit(&owner, "/api/save_policy", &fields(&bad), true)
        .await;
    assert!(res.status.is_redirection(), "{} {}", res.status, res.body);
    let location = res.headers[header::LOCATION].to_str().unwrap();
    assert_eq!(
        location,
        format!("/policies?cost_center={cc}&error=invalid&field=hours_from&reason=out_of_range")
    );
    let page = w.get(&owner, location).await;
    assert!(
        page.body
            .contains("Sessioner får starta: värdet ligger utanför det tillåtna"),
        "the page names the field and the rule"
    );
    assert_eq!(w.count("policy_rules").await, 0);

    // The acceptance rules for the cost center; Anna, for herself, only her registered car.
    let res = w
        .submit(
            &owner,
            "/api/save_policy",
            &fields(&acceptance_rules(&cc)),
            false,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let anna_id = w.anna.to_string();
    let own_rule = [
        ("level", "member"),
        ("id", anna_id.as_str()),
        ("form[only_registered]", "yes"),
        ("valid_from", "2026-11-01"),
    ];
    assert_eq!(
        w.submit(&owner, "/api/save_policy", &own_rule, false)
            .await
            .status,
        StatusCode::OK
    );
    let anna = sign_in(&w.app, &w.t.db, ANNA).await;
    let mine = [
        ("user_id", anna_id.as_str()),
        ("plate", "abc-123"),
        ("add", "yes"),
    ];
    assert_eq!(
        w.submit(&anna, "/api/set_vehicle", &mine, false)
            .await
            .status,
        StatusCode::OK
    );
    // Anna may not change the rules.
    assert_eq!(
        w.submit(&anna, "/api/save_policy", &own_rule, false)
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // The back office reads the rules as they stand, signed (and only signed).
    let res = send(
        &w.app,
        w.signer
            .request("GET", "/ingest/v1/policies?company=556677-8899", b""),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let rules: serde_json::Value = serde_json::from_str(&res.body).unwrap();
    assert_eq!(rules["company"], "556677-8899");
    assert_eq!(rules["version"], 3, "two saves and a vehicle");
    let levels = rules["levels"].as_array().unwrap();
    assert_eq!(levels.len(), 2, "{levels:?}");
    let center = levels.iter().find(|l| l["level"] == "cost_center").unwrap();
    assert_eq!(center["cost_center"], "200");
    assert_eq!(
        center["weekdays"],
        serde_json::json!(["mon", "tue", "wed", "thu", "fri"])
    );
    assert_eq!(
        (center["hours_from"].as_str(), center["hours_to"].as_str()),
        (Some("06:00"), Some("20:00"))
    );
    assert_eq!(center["charging_allowed"], false);
    assert_eq!(center["max_stay_minutes"], 600);
    assert_eq!(center["monthly_cap"], 200_000);
    assert_eq!(
        center["only_registered"],
        serde_json::Value::Null,
        "as the level above"
    );
    let member = levels.iter().find(|l| l["level"] == "member").unwrap();
    assert_eq!(
        (
            member["member"].as_str(),
            member["only_registered"].as_bool()
        ),
        (Some(ANNA), Some(true))
    );
    assert_eq!(
        rules["vehicles"],
        serde_json::json!([{ "member": ANNA, "plates": ["ABC 123"] }])
    );
    // Each change went into the operator's outbox as the whole list at its version; the last
    // is what the back office reads.
    let pushed: Vec<(i64, String)> = with_pool!(&w.t.db, |pool| {
        sqlx::query_as("SELECT version, body FROM policy_outbox ORDER BY version")
            .fetch_all(pool)
            .await
            .unwrap()
    });
    assert_eq!(
        pushed.iter().map(|p| p.0).collect::<Vec<_>>(),
        [1, 2, 3],
        "one message per change, none for the refused save or Anna's refused one"
    );
    let last: serde_json::Value = serde_json::from_str(&pushed[2].1).unwrap();
    assert_eq!(last, rules, "the last push is the list as read");
    let unsigned = send(&w.app, get("/ingest/v1/policies?company=556677-8899", None)).await;
    assert_eq!(unsigned.status, StatusCode::UNAUTHORIZED);
    let unknown = send(
        &w.app,
        w.signer
            .request("GET", "/ingest/v1/policies?company=556000-0000", b""),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);

    // A signed batch: a weekday within the rules; a Saturday charge of 22 hours; another
    // car; a large weekday session.
    let batch = serde_json::json!({"sessions": [
        session("S-1", 1, "ABC 123", "parking", "2026-11-02T08:00:00", "2026-11-02T10:00:00", 10_000),
        session("S-2", 1, "ABC123", "charging", "2026-11-07T10:00:00", "2026-11-08T08:00:00", 30_000),
        session("S-3", 1, "XYZ 999", "parking", "2026-11-03T09:00:00", "2026-11-03T10:00:00", 10_000),
        session("S-4", 1, "abc 123", "parking", "2026-11-04T09:00:00", "2026-11-04T10:00:00", 150_000),
    ]});
    let (status, body) = w.ingest("sessions", batch).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let flags = w.flags().await;
    assert_eq!(flags["S-1"], Vec::<&str>::new());
    assert_eq!(
        flags["S-2"],
        ["outside_hours", "charging_not_allowed", "over_max_stay"]
    );
    assert_eq!(flags["S-3"], ["unregistered_vehicle"]);
    assert_eq!(
        flags["S-4"],
        Vec::<&str>::new(),
        "2,000 kr reached, not passed"
    );

    // The next batch: Anna's month is at 2,000 kr, so 50 kr more is over the cap.
    let (status, body) = w
        .ingest("sessions", serde_json::json!({"sessions": [
            session("S-5", 1, "ABC 123", "parking", "2026-11-06T09:00:00", "2026-11-06T10:00:00", 5_000),
        ]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(w.flags().await["S-5"], ["over_monthly_cap"]);
    let first = w.rollups_in_step().await;
    assert!(first > 0, "November has sessions outside policy");

    // The history, filtered as a person would, in JSON and as the server renders it.
    let history = |policy: &str| {
        let q = app::history::HistoryQuery {
            year: "2026".into(),
            month: "11".into(),
            policy: policy.into(),
            ..Default::default()
        };
        format!("/api/history?{}", q.encoded())
    };
    let res = w.get(&owner, &history("outside")).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let page: app::history::HistoryPageData = serde_json::from_str(&res.body).unwrap();
    let plates: Vec<(&str, Vec<String>)> = page
        .rows
        .iter()
        .map(|r| (r.plate.as_str(), r.policy.clone()))
        .collect();
    assert_eq!(
        plates,
        [
            (
                "ABC 123",
                vec![
                    "Utanför tillåten tid".to_owned(),
                    "Laddning inte tillåten".into(),
                    "Över maxtid".into()
                ]
            ),
            ("ABC 123", vec!["Över månadstaket".to_owned()]),
            ("XYZ 999", vec!["Oregistrerat fordon".to_owned()]),
        ]
    );
    let res = w.get(&owner, &history("unregistered_vehicle")).await;
    let page: app::history::HistoryPageData = serde_json::from_str(&res.body).unwrap();
    assert_eq!(
        page.rows
            .iter()
            .map(|r| r.plate.as_str())
            .collect::<Vec<_>>(),
        ["XYZ 999"]
    );
    let res = w.get(&owner, &history("nonsense")).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    let html = send(
        &w.app,
        crate::common::get("/history?year=2026&month=11&policy=outside", Some(&owner)),
    )
    .await;
    assert_eq!(html.status, StatusCode::OK);
    for text in [
        "Utanför tillåten tid",
        "Laddning inte tillåten",
        "Över maxtid",
        "Oregistrerat fordon",
    ] {
        assert!(
            html.body.contains(text),
            "the page without JavaScript shows {text:?}"
        );
    }
    // Anna sees her own flags.
    let res = w.get(&anna, &history("outside")).await;
    let page: app::history::HistoryPageData = serde_json::from_str(&res.body).unwrap();
    assert_eq!(page.rows.len(), 3);

    // A correction is judged again: S-2 became a weekday hour's parking, and its 300 kr
    // leave Anna's month.
    let (status, body) = w
        .ingest("sessions", serde_json::json!({"sessions": [
            session("S-2", 2, "ABC 123", "parking", "2026-11-09T09:00:00", "2026-11-09T10:00:00", 1_000),
        ]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(w.flags().await["S-2"], Vec::<&str>::new());
    assert!(
        w.rollups_in_step().await < first,
        "S-2 left the outside-policy amount"
    );

    // A later change does not touch past judgements, nor a correction of a session that
    // started before it: S-1 is judged by the rules in force on 2 November.
    let later = [
        ("level", "company"),
        ("id", ""),
        ("form[parking]", "no"),
        ("valid_from", "2026-11-20"),
    ];
    assert_eq!(
        w.submit(&owner, "/api/save_policy", &later, false)
            .await
            .status,
        StatusCode::OK
    );
    let (status, _) = w
        .ingest("sessions", serde_json::json!({"sessions": [
            session("S-1", 2, "ABC 123", "parking", "2026-11-02T08:00:00", "2026-11-02T11:00:00", 10_000),
        ]}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let before = w.flags().await;
    assert_eq!(before["S-1"], Vec::<&str>::new());

    // "Check again from 1 November" with a cap per session of 1,000 kr: S-4 (1,500 kr) is
    // flagged. S-5 is cleared: counted again in start order, Anna's month up to and with S-5
    // is 1,750 kr (S-1, S-3, S-4, S-5), while at its arrival the spending recorded so far also
    // held S-2's 300 kr, which started later (ingestion counts what is recorded when a batch
    // arrives; "check again" counts in start order). The rest keep their reasons, and the
    // audit log says what was done.
    let mut capped = acceptance_rules(&cc);
    capped.push(("form[session_cap]", "1000".into()));
    capped.push(("recheck", "on".into()));
    let res = w
        .submit(&owner, "/api/save_policy", &fields(&capped), false)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let after = w.flags().await;
    assert_eq!(after["S-4"], ["over_session_cap"]);
    assert_eq!(after["S-5"], Vec::<&str>::new());
    for id in ["S-1", "S-2", "S-3"] {
        assert_eq!(after[id], before[id], "{id}");
    }
    // Checking again moved S-4 into and S-5 out of the outside-policy rollup.
    w.rollups_in_step().await;
    let audit: Vec<String> = with_pool!(&w.t.db, |pool| {
        sqlx::query_scalar("SELECT details FROM audit_log WHERE action = 'policy.rechecked'")
            .fetch_all(pool)
            .await
            .unwrap()
    });
    assert_eq!(audit.len(), 1);
    assert!(
        audit[0].contains("\"changed\":2") && audit[0].contains("\"checked\":5"),
        "{}",
        audit[0]
    );
}

async fn a_members_rules_in_force_say_where_each_comes_from(backend: Backend) {
    let w = world(backend).await;
    let owner = sign_in(&w.app, &w.t.db, OWNER).await;
    let cc = w.cc200.to_string();
    let anna_id = w.anna.to_string();
    let mut rules = acceptance_rules(&cc);
    rules.retain(|(k, _)| *k != "valid_from");
    assert_eq!(
        w.submit(&owner, "/api/save_policy", &fields(&rules), false)
            .await
            .status,
        StatusCode::OK
    );
    let company = [
        ("level", "company"),
        ("id", ""),
        ("form[session_cap]", "500"),
        ("form[max_stay_hours]", "24"),
    ];
    assert_eq!(
        w.submit(&owner, "/api/save_policy", &company, false)
            .await
            .status,
        StatusCode::OK
    );
    let member = [
        ("level", "member"),
        ("id", anna_id.as_str()),
        ("form[monthly_cap]", "3000"),
    ];
    assert_eq!(
        w.submit(&owner, "/api/save_policy", &member, false)
            .await
            .status,
        StatusCode::OK
    );

    // The owner looks Anna up by her address, in any case.
    let res = w
        .get(
            &owner,
            "/api/policies?cost_center=&member=Anna%40Acme.example",
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let v: app::policies::PolicyView = serde_json::from_str(&res.body).unwrap();
    assert_eq!(v.target_id, Some(w.anna));
    let line = |rule: &str| {
        let l = v
            .effective
            .iter()
            .find(|l| l.rule.starts_with(rule))
            .unwrap_or_else(|| panic!("{rule}"));
        (l.value.clone(), l.from.clone())
    };
    assert_eq!(
        line("Maxtid"),
        ("10 h".into(), "Kostnadsstället".into()),
        "the cost center's 10 h beats the company's 24"
    );
    assert_eq!(
        line("Månadstak"),
        ("3\u{a0}000,00\u{a0}kr".into(), "Medarbetaren".into())
    );
    assert_eq!(
        line("Kostnadstak per session"),
        ("500,00\u{a0}kr".into(), "Företaget".into())
    );
    assert_eq!(
        line("Laddning"),
        ("Inte tillåten".into(), "Kostnadsstället".into())
    );

    // Anna sees her own, whatever the URL names; the page renders without JavaScript.
    let anna = sign_in(&w.app, &w.t.db, ANNA).await;
    let res = w
        .get(
            &anna,
            "/api/policies?cost_center=&member=owner%40acme.example",
        )
        .await;
    let mine: app::policies::PolicyView = serde_json::from_str(&res.body).unwrap();
    assert_eq!(
        (mine.target_id, mine.can_manage, mine.may_edit_vehicles),
        (Some(w.anna), false, true)
    );
    let html = send(&w.app, crate::common::get("/policies", Some(&anna))).await;
    assert_eq!(html.status, StatusCode::OK);
    assert!(
        html.body.contains("Inte tillåten") && html.body.contains("Registrerade fordon"),
        "{}",
        html.body
    );
    // Someone who is not the company's member is named as such.
    let res = w
        .get(
            &owner,
            "/api/policies?cost_center=&member=nobody%40acme.example",
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
}

/// Open sessions relative to the moment the test runs (its rules too): a car parked 11 hours
/// under a 10-hour maximum is flagged on arrival, while it is still there; one parked 2 hours
/// is flagged when the job runs 9 hours later; when each session ends, ingestion judges its
/// real length.
async fn a_car_still_parked_past_its_maximum_stay_is_flagged_while_it_is_there(backend: Backend) {
    use app::policies::model::{Rules, Target};
    let w = world(backend).await;
    let now = app::db::now_ts();
    let company: Uuid = with_pool!(&w.t.db, |pool| {
        sqlx::query_scalar("SELECT id FROM companies")
            .fetch_one(pool)
            .await
            .unwrap()
    });
    let scope = app::auth::OperatorAccess::command_line().scope(company);
    let mut tx = w.t.db.begin().await.unwrap();
    let ten_hours = Rules {
        max_stay_minutes: Some(600),
        ..Rules::default()
    };
    app::policies::store::insert_version(
        &mut tx,
        scope,
        Target::CostCenter(w.cc200),
        &ten_hours,
        now - 30 * 86_400,
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let at = |t: i64| chrono::DateTime::from_timestamp(t, 0).unwrap().to_rfc3339();
    let open = |id: &str, version: i64, start: i64, end: Option<i64>| {
        serde_json::json!({
            "id": id, "version": version, "company": "556677-8899",
            "app_user": {"email": ANNA}, "plate": "ABC 123", "facility": "F-1",
            "kind": "parking", "started_at": at(start), "ended_at": end.map(at),
            "amount_incl_vat": 0, "vat": 0
        })
    };
    let (a, b) = (now - 11 * 3600, now - 2 * 3600);
    let (status, body) = w
        .ingest(
            "sessions",
            serde_json::json!({"sessions": [open("A", 1, a, None), open("B", 1, b, None)]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // No end yet: judged at arrival on the stay so far.
    let flags = w.flags().await;
    assert_eq!(
        (flags["A"].as_slice(), flags["B"].as_slice()),
        (&["over_max_stay"][..], &[][..])
    );
    // The job finds nothing new now.
    assert_eq!(
        app::policies::service::flag_overstays(&w.t.db, now)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        app::policies::service::flag_overstays(&w.t.db, now + 9 * 3600)
            .await
            .unwrap(),
        1
    );
    assert_eq!(w.flags().await["B"], ["over_max_stay"]);
    w.rollups_in_step().await;

    // The back office ends both: A after 11 hours (still over), B after 3 hours (within).
    let (status, body) = w
        .ingest(
            "sessions",
            serde_json::json!({"sessions": [open("A", 2, a, Some(a + 11 * 3600)), open("B", 2, b, Some(b + 3 * 3600))]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let flags = w.flags().await;
    assert_eq!(
        (flags["A"].as_slice(), flags["B"].as_slice()),
        (&["over_max_stay"][..], &[][..])
    );
}

/// The rule "only these facilities": ticked on the form (with JavaScript and without), a
/// facility where the account does not work or no facility at all refused by field and
/// nothing stored, a session elsewhere flagged, the member's rules in force naming the
/// facility, and the operator's read listing it by its id.
async fn only_the_facilities_ticked_are_allowed(backend: Backend) {
    let w = world(backend).await;
    let (status, body) = w
        .ingest(
            "facilities",
            serde_json::json!({"facilities": [
                {"id": "F-2", "version": 1, "name": "Garage Två", "address": "Gatan 2",
                 "city": "Västerås", "kind": "camera_garage", "company_account": "yes",
                 "has_chargers": false},
                {"id": "F-3", "version": 1, "name": "Bomgaraget", "address": "Gatan 3",
                 "city": "Västerås", "kind": "barrier_garage", "company_account": "no",
                 "company_account_note": "Bomgaraget tar inte företagskonto ännu.",
                 "has_chargers": false}
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id_of = |external: &'static str| {
        let db = w.t.db.clone();
        async move {
            let id: Uuid = with_pool!(&db, |pool| {
                sqlx::query_scalar("SELECT id FROM facilities WHERE external_ref = $1")
                    .bind(external)
                    .fetch_one(pool)
                    .await
                    .unwrap()
            });
            id
        }
    };
    let (f1, f3) = (id_of("F-1").await, id_of("F-3").await);
    let owner = sign_in(&w.app, &w.t.db, OWNER).await;
    let tick = |id: Uuid| format!("form[facility][id-{id}]");

    // The choices are the facilities where the account works, by city and name.
    let res = w.get(&owner, "/api/policies?cost_center=&member=").await;
    let v: app::policies::PolicyView = serde_json::from_str(&res.body).unwrap();
    let labels: Vec<&str> = v.facilities.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(labels, ["Garage Ett, Uppsala", "Garage Två, Västerås"]);

    // Refused: a facility where the account does not work, an id that is none.
    for (key, html) in [(tick(f3), false), ("form[facility][F-1]".to_owned(), true)] {
        let fields = [("level", "company"), ("id", ""), (key.as_str(), "on")];
        let res = w.submit(&owner, "/api/save_policy", &fields, html).await;
        if html {
            let location = res.headers[header::LOCATION].to_str().unwrap();
            assert!(
                location.contains("field=facilities&reason=unknown"),
                "{location}"
            );
            let page = w.get(&owner, location).await;
            assert!(
                page.body
                    .contains("Anläggningar: välj bland anläggningarna i listan."),
                "the page names the field and the rule"
            );
        } else {
            assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
            assert!(res.body.contains("facilities"), "{}", res.body);
        }
    }
    assert_eq!(w.count("policy_rules").await, 0);

    // Only Garage Ett from 1 November, as a form without JavaScript posts it.
    let key = tick(f1);
    let fields = [
        ("level", "company"),
        ("id", ""),
        (key.as_str(), "on"),
        ("valid_from", "2026-11-01"),
    ];
    let res = w.submit(&owner, "/api/save_policy", &fields, true).await;
    assert!(res.status.is_redirection(), "{} {}", res.status, res.body);
    let page = w.get(&owner, "/policies").await;
    let boxes: Vec<&str> = page
        .body
        .split("<input type=\"checkbox\"")
        .skip(1)
        .filter(|b| b.contains("form[facility]"))
        .collect();
    assert_eq!(
        boxes.len(),
        2,
        "one box per facility where the account works"
    );
    assert_eq!(
        boxes.iter().filter(|b| b.contains(" checked")).count(),
        1,
        "Garage Ett ticked"
    );

    // Sessions at each facility: the one at Garage Två is outside policy.
    let mut at_two = session(
        "S-2",
        1,
        "ABC 123",
        "parking",
        "2026-11-03T09:00:00",
        "2026-11-03T10:00:00",
        4_000,
    );
    at_two["facility"] = "F-2".into();
    let (status, body) = w
        .ingest(
            "sessions",
            serde_json::json!({"sessions": [
                session("S-1", 1, "ABC 123", "parking", "2026-11-02T09:00:00", "2026-11-02T10:00:00", 4_000),
                at_two,
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let flags = w.flags().await;
    assert_eq!(flags["S-1"], Vec::<&str>::new());
    assert_eq!(flags["S-2"], ["facility_not_allowed"]);

    // Anna's rules in force name it, from the company; the operator reads its id.
    let res = w
        .get(
            &owner,
            &format!("/api/policies?cost_center=&member={}", w.anna),
        )
        .await;
    let v: app::policies::PolicyView = serde_json::from_str(&res.body).unwrap();
    let line = v
        .effective
        .iter()
        .find(|l| l.rule == "Anläggningar")
        .unwrap();
    assert_eq!(
        (line.value.as_str(), line.from.as_str()),
        ("Garage Ett, Uppsala", "Företaget")
    );
    let res = send(
        &w.app,
        w.signer
            .request("GET", "/ingest/v1/policies?company=556677-8899", b""),
    )
    .await;
    let rules: serde_json::Value = serde_json::from_str(&res.body).unwrap();
    assert_eq!(rules["levels"][0]["facilities"], serde_json::json!(["F-1"]));
}

const PUSH_SECRET: &str = "the portal's signing secret for the operator 32+";

/// Every change of the rules and vehicles reaches the operator's back office once: signed,
/// the whole list at its version, a refused delivery retried with its own idempotency key,
/// two instances sending at once delivering each message once, and nothing for a change
/// refused or one that changes nothing.
async fn every_rule_change_reaches_the_operator_once(backend: Backend) {
    use server::jobs::operator::{self, OperatorSender};
    let inbox = std::sync::Arc::new(std::sync::Mutex::new(crate::permits::Inbox::default()));
    let addr = crate::permits::receiver_at(inbox.clone(), "/policies", PUSH_SECRET).await;
    let permits_url = format!("http://{addr}/permits");
    let policies_url = format!("http://{addr}/policies");
    let key = format!("portal={PUSH_SECRET}");
    let w = world_with(
        backend,
        &[
            ("PORTAL_OPERATOR_PERMITS_URL", &permits_url),
            ("PORTAL_OPERATOR_POLICIES_URL", &policies_url),
            ("PORTAL_OPERATOR_PERMITS_KEY", &key),
        ],
    )
    .await;
    let target = w.state.config.operator.clone().unwrap();
    let sender = OperatorSender::policies(&target).expect("the rules' endpoint is set");
    let owner = sign_in(&w.app, &w.t.db, OWNER).await;
    let anna = sign_in(&w.app, &w.t.db, ANNA).await;
    let cc = w.cc200.to_string();
    let anna_id = w.anna.to_string();

    // Three changes: the cost center's rules, a car of Anna's, her own rule. A refused save,
    // and a car she already has in another spelling, change nothing and tell nothing.
    let ok = |res: Res| assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    ok(w.submit(
        &owner,
        "/api/save_policy",
        &fields(&acceptance_rules(&cc)),
        false,
    )
    .await);
    let car = |plate: &'static str| {
        [
            ("user_id", anna_id.clone()),
            ("plate", plate.into()),
            ("add", "yes".into()),
        ]
    };
    ok(
        w.submit(&anna, "/api/set_vehicle", &fields(&car("abc-123")), false)
            .await,
    );
    ok(
        w.submit(&anna, "/api/set_vehicle", &fields(&car("ABC123")), false)
            .await,
    );
    let mut bad = acceptance_rules(&cc);
    bad[7].1 = "-4".into();
    let refused = w
        .submit(&owner, "/api/save_policy", &fields(&bad), false)
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    let own_rule = [
        ("level", "member"),
        ("id", anna_id.as_str()),
        ("form[only_registered]", "yes"),
        ("valid_from", "2026-11-01"),
    ];
    ok(w.submit(&owner, "/api/save_policy", &own_rule, false).await);
    assert_eq!(w.count("policy_outbox").await, 3);

    // The back office is down for the first attempt: the first message waits for its
    // retry, the other two go.
    inbox.lock().unwrap().fail_next = 1;
    operator::send_all_due(&w.state, &sender).await;
    assert_eq!(inbox.lock().unwrap().by_key.len(), 2);
    let waiting: Vec<(i64, String, i32)> = with_pool!(&w.t.db, |pool| {
        sqlx::query_as("SELECT version, status, attempts FROM policy_outbox WHERE status <> 'sent'")
            .fetch_all(pool)
            .await
            .unwrap()
    });
    assert_eq!(waiting, [(1, "pending".to_owned(), 1)]);
    // Its backoff passes; two instances send at once.
    with_pool!(&w.t.db, |pool| {
        sqlx::query("UPDATE policy_outbox SET next_attempt_at = 0 WHERE status = 'pending'")
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
            .unwrap()
    });
    let other = app::state::AppState {
        db: app::db::Db::connect(&w.t.url()).await.unwrap(),
        ..w.state.clone()
    };
    let other_sender = OperatorSender::policies(&target).unwrap();
    tokio::join!(
        operator::send_all_due(&w.state, &sender),
        operator::send_all_due(&other, &other_sender),
    );
    let got: Vec<(u32, String)> = {
        let inbox = inbox.lock().unwrap();
        assert_eq!(inbox.bad_signatures, 0);
        inbox.by_key.values().cloned().collect()
    };
    let mut versions: Vec<(i64, u32)> = got
        .iter()
        .map(|(n, body)| {
            let list: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(list["company"], "556677-8899");
            (list["version"].as_i64().unwrap(), *n)
        })
        .collect();
    versions.sort();
    assert_eq!(versions, [(1, 1), (2, 1), (3, 1)], "each version once");
    let newest = got
        .iter()
        .map(|(_, b)| serde_json::from_str::<serde_json::Value>(b).unwrap())
        .find(|l| l["version"] == 3)
        .unwrap();
    assert_eq!(
        newest["vehicles"],
        serde_json::json!([{ "member": ANNA, "plates": ["ABC 123"] }])
    );
    let levels: Vec<&str> = newest["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["level"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["cost_center", "member"]);
    let res = send(
        &w.app,
        w.signer
            .request("GET", "/ingest/v1/policies?company=556677-8899", b""),
    )
    .await;
    let read: serde_json::Value = serde_json::from_str(&res.body).unwrap();
    assert_eq!(
        read, newest,
        "what was pushed last is what the back office reads"
    );
    let unsent: i64 = with_pool!(&w.t.db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM policy_outbox WHERE status <> 'sent'")
            .fetch_one(pool)
            .await
            .unwrap()
    });
    assert_eq!(unsent, 0);
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
    an_admins_rules_judge_every_session_by_the_rules_in_force_when_it_started,
    a_members_rules_in_force_say_where_each_comes_from,
    a_car_still_parked_past_its_maximum_stay_is_flagged_while_it_is_there,
    every_rule_change_reaches_the_operator_once,
    only_the_facilities_ticked_are_allowed
);
