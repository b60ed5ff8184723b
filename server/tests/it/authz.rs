//! The authorisation matrix of shared/security.md: every server function × owner, admin,
//! finance viewer, member, a signed-in person of another company, and an anonymous caller,
//! through the real router with real cookies and CSRF tokens. Each row runs on a fresh
//! database, asserts the status, and asserts that no other company's ids appear in the body.
//! A server function without rows fails the suite.

use app::scope::CompanyScope;
use std::{collections::HashMap, sync::Arc};

use app::{
    auth::{service as auth, CSRF_HEADER, SESSION_COOKIE},
    companies::{
        store::{self as companies},
        Email, Role,
    },
    config::Config,
    crypto::{self, SecretKey},
    db::{Backend, Db},
    i18n::Lang,
    mailer::Mailer,
    members::service as members,
    testing::TestDb,
};
use axum::{
    body::Body,
    http::{header, Method, Request, StatusCode},
    Router,
};
use uuid::Uuid;

use crate::common::{form, send};
use server::http::{app_state, router};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    Owner,
    Admin,
    Finance,
    Member,
    /// The company's front desk (reception): its own page and nothing else.
    FrontDesk,
    /// The owner of another company.
    Other,
    Anonymous,
}
use Actor::*;

const ALL: [Actor; 7] = [Owner, Admin, Finance, Member, FrontDesk, Other, Anonymous];

struct World {
    _t: TestDb,
    db: Db,
    app: Router,
    key: SecretKey,
    acme: Uuid,
    beta: Uuid,
    people: HashMap<&'static str, Uuid>,
    acme_invitation: Uuid,
    acme_invitation_token: String,
    acme_invoice: Uuid,
    acme_cost_center: Uuid,
    facility: Uuid,
    acme_permit: Uuid,
}

async fn world() -> World {
    let t = TestDb::fresh(Backend::Sqlite).await;
    let db = t.db.clone();
    let now = app::db::now_ts();
    let mut people = HashMap::new();
    let mut ids = vec![];
    for (name, org) in [("Acme AB", "556000-0001"), ("Beta AB", "556000-0002")] {
        let id = Uuid::new_v4();
        crate::common::insert_company(&db, id, name, org, now).await;
        ids.push(id);
    }
    let (acme, beta) = (ids[0], ids[1]);
    for (key, email, company, role) in [
        ("owner", "owner@acme.se", acme, Role::Owner),
        ("admin", "admin@acme.se", acme, Role::Admin),
        ("finance", "finance@acme.se", acme, Role::Finance),
        ("member", "member@acme.se", acme, Role::Member),
        ("front_desk", "desk@acme.se", acme, Role::FrontDesk),
        ("other", "owner@beta.se", beta, Role::Owner),
        ("beta_member", "member@beta.se", beta, Role::Member),
    ] {
        let u = crate::common::add_member(&db, company, email, role, now).await;
        people.insert(key, u);
    }
    let owner_ctx = app::auth::TenantCtx::from_database(&db, people["owner"], acme)
        .await
        .unwrap();
    let inv = members::NewInvitation {
        email: Email::parse("invitee@acme.se").unwrap(),
        role: Role::Member,
        default_cost_center_id: None,
    };
    let acme_invitation = members::invite(&db, &owner_ctx, &inv, "http://x", Lang::Sv, now)
        .await
        .unwrap();
    let text: String = app::with_pool!(&db, |pool| {
        sqlx::query_scalar("SELECT text_body FROM outbox WHERE ref_id = $1")
            .bind(acme_invitation)
            .fetch_one(pool)
            .await
            .unwrap()
    });
    let at = text.find("/invite/").unwrap() + 8;
    let acme_invitation_token = text[at..at + 64].to_owned();

    // A cost center and an invoice of Acme, for the rows about them.
    let acme_scope = CompanyScope::for_tests(acme);
    let acme_cost_center = Uuid::new_v4();
    companies::insert_cost_center(
        &db,
        acme_scope,
        &companies::CostCenterRow {
            id: acme_cost_center,
            company_id: acme,
            code: "100".into(),
            name: "Konsulter".into(),
        },
        now,
    )
    .await
    .unwrap();
    let acme_invoice = Uuid::new_v4();
    let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
    app::invoices::store::insert_invoice_for_period(
        &db,
        acme_scope,
        &app::invoices::store::NewInvoice {
            id: acme_invoice,
            company_id: acme,
            number: "A-1".into(),
            period_start: day(1),
            period_end: day(31),
            issued_on: day(31),
            due_on: day(31),
            status: app::invoices::InvoiceStatus::Unpaid,
            paid_on: None,
        },
        0,
        0,
    )
    .await
    .unwrap();

    // A facility where company accounts work, and a guest permit of Acme's front desk.
    let facility = Uuid::new_v4();
    app::facilities::store::upsert(
        &db,
        &app::facilities::store::NewFacility {
            external_ref: "F1".into(),
            version: 1,
            facility: app::facilities::Facility {
                id: facility,
                name: "Garage".into(),
                address: "Storgatan 1".into(),
                city: "Stockholm".into(),
                kind: app::facilities::FacilityKind::CameraGarage,
                company_account: app::facilities::Acceptance::Yes,
                company_account_note: String::new(),
                has_chargers: false,
            },
        },
    )
    .await
    .unwrap();
    let desk_ctx = app::auth::TenantCtx::from_database(&db, people["front_desk"], acme)
        .await
        .unwrap();
    let facility_text = facility.to_string();
    let acme_permit = app::frontdesk::service::register(
        &db,
        &desk_ctx,
        &app::frontdesk::service::GuestForm {
            plate: "ABC 123",
            visitor_name: "",
            host: "",
            facility: &facility_text,
            until: "4h",
            until_at: "",
        },
        now,
    )
    .await
    .unwrap();

    let config = Arc::new(Config::from_vars(&HashMap::new()).unwrap());
    let key = SecretKey::new(*b"matrix key, 32 bytes or more....").unwrap();
    let app = router(app_state(db.clone(), config, key.clone(), Mailer::dev()));
    World {
        _t: t,
        db,
        app,
        key,
        acme,
        beta,
        people,
        acme_invitation,
        acme_invitation_token,
        acme_invoice,
        acme_cost_center,
        facility,
        acme_permit,
    }
}

impl World {
    /// A fresh signed-in session for the actor (in their company), or none.
    async fn session(&self, actor: Actor) -> Option<(String, String)> {
        let user = match actor {
            Owner => self.people["owner"],
            Admin => self.people["admin"],
            Finance => self.people["finance"],
            Member => self.people["member"],
            FrontDesk => self.people["front_desk"],
            Other => self.people["other"],
            Anonymous => return None,
        };
        let token = auth::start_session(&self.db, None, user, app::db::now_ts())
            .await
            .unwrap();
        let hash = crypto::parse_token(&token).unwrap();
        Some((token, crypto::csrf_token(&self.key, &hash)))
    }

    /// Ids that must never appear in a body the actor sees.
    fn foreign_ids(&self, actor: Actor) -> Vec<Uuid> {
        let mut acme = vec![
            self.acme,
            self.people["owner"],
            self.people["admin"],
            self.people["finance"],
            self.people["member"],
            self.people["front_desk"],
        ];
        acme.push(self.acme_invitation);
        acme.push(self.acme_permit);
        acme.push(self.acme_invoice);
        acme.push(self.acme_cost_center);
        let beta = vec![self.beta, self.people["other"], self.people["beta_member"]];
        match actor {
            Other => acme,
            Anonymous => acme.into_iter().chain(beta).collect(),
            _ => beta,
        }
    }
}

/// How a row calls a server function.
enum Call {
    Get(String),
    Post(Vec<(&'static str, String)>),
    /// A form body already encoded.
    PostBody(String),
}

fn call_for(path: &str, w: &World) -> Call {
    let acme_member = w.people["member"].to_string();
    match path {
        "/api/facilities" => Call::Get("query[q]=&query[city]=&query[kind]=".into()),
        "/api/session" | "/api/invitations" => Call::Get(String::new()),
        "/api/members" => Call::Get("query[q]=&query[sort]=&query[page]=1".into()),
        "/api/audit" => Call::Get("query[action]=&query[person]=&query[month]=".into()),
        "/api/invitation_info" => Call::Get(format!("token={}", w.acme_invitation_token)),
        "/api/request_code" => Call::Post(vec![("email", "nobody@nowhere.example".into())]),
        "/api/verify_code" => Call::Post(vec![("code", "000000".into())]),
        "/api/switch_company" => Call::Post(vec![("company_id", w.acme.to_string())]),
        "/api/sign_out" => Call::Post(vec![]),
        "/api/invite_member" => Call::Post(vec![
            ("email", "fresh@acme.se".into()),
            ("role", "member".into()),
            ("cost_center", String::new()),
        ]),
        "/api/resend_invitation" | "/api/cancel_invitation" => {
            Call::Post(vec![("id", w.acme_invitation.to_string())])
        }
        "/api/change_member_role" => {
            Call::Post(vec![("user_id", acme_member), ("role", "finance".into())])
        }
        "/api/remove_member" => Call::Post(vec![("user_id", acme_member)]),
        "/api/member" => Call::Get(format!("user_id={acme_member}")),
        "/api/request_transfer_code" => Call::Post(vec![]),
        "/api/bulk_invite" => Call::Post(vec![("csv", "email;role\nbulk@acme.se;member\n".into())]),
        "/api/transfer_ownership" => Call::Post(vec![
            ("user_id", w.people["admin"].to_string()),
            ("code", "000000".into()),
        ]),
        "/api/accept_invitation" => Call::Post(vec![("token", w.acme_invitation_token.clone())]),
        "/api/history" | "/api/history_totals" => {
            Call::Get(app::history::HistoryQuery::default().encoded())
        }
        "/api/history_options" => Call::Get("member=".into()),
        "/api/history_export" => Call::PostBody(app::history::HistoryQuery::default().encoded()),
        "/api/costs" => Call::Get("query[year]=&query[month]=".into()),
        "/api/invoices" => Call::Get("query[year]=&query[status]=".into()),
        "/api/invoice" => Call::Get(format!("id={}&group=", w.acme_invoice)),
        "/api/invoice_export" => Call::Post(vec![("id", w.acme_invoice.to_string())]),
        "/api/cost_centers" => Call::Get(String::new()),
        "/api/create_cost_center" => {
            Call::Post(vec![("code", "900".into()), ("name", "Nytt".into())])
        }
        "/api/rename_cost_center" => Call::Post(vec![
            ("id", w.acme_cost_center.to_string()),
            ("name", "Omdöpt".into()),
        ]),
        "/api/archive_cost_center" => Call::Post(vec![
            ("id", w.acme_cost_center.to_string()),
            ("archive", "true".into()),
        ]),
        "/api/set_default_cost_center" => Call::Post(vec![
            ("user_id", acme_member),
            ("cost_center", w.acme_cost_center.to_string()),
        ]),
        "/api/import_cost_center_defaults" => Call::Post(vec![(
            "csv",
            "email;cost_center_code\nmember@acme.se;100\n".into(),
        )]),
        "/api/report_settings" => Call::Get(String::new()),
        // Recipients must be the company's owners, admins or finance viewers: the finance
        // viewer of Acme (for the other company's owner, not theirs: refused by field).
        "/api/save_report_settings" => Call::Post(vec![
            ("settings[lang]", "en".into()),
            (
                Box::leak(format!("settings[r-{}]", w.people["finance"]).into_boxed_str()),
                "on".into(),
            ),
        ]),
        "/api/front_desk" => Call::Get("choices=true".into()),
        "/api/register_guest" => Call::Post(vec![
            ("plate", "xyz 987".into()),
            ("visitor_name", "Besökare".into()),
            ("host", String::new()),
            ("facility", w.facility.to_string()),
            ("until", "today".into()),
        ]),
        "/api/extend_guest" => {
            Call::Post(vec![("id", w.acme_permit.to_string()), ("by", "1h".into())])
        }
        "/api/cancel_guest" => Call::Post(vec![("id", w.acme_permit.to_string())]),
        "/api/set_guest_cost_center" => {
            Call::Post(vec![("cost_center", w.acme_cost_center.to_string())])
        }
        other => {
            panic!("{other} has no call in the authorisation matrix: add it to call_for and MATRIX")
        }
    }
}

/// (server function, expected status for Owner, Admin, Finance, Member, FrontDesk, Other,
/// Anonymous). The front desk is refused everything but its page and the sign-in flow.
/// Anonymous POSTs are refused by the CSRF layer (no session → 403) before any function runs.
const MATRIX: &[(&str, [u16; 7])] = &[
    ("/api/facilities", [200, 200, 200, 200, 200, 200, 200]),
    ("/api/session", [200, 200, 200, 200, 200, 200, 200]),
    ("/api/members", [200, 200, 200, 403, 403, 200, 401]),
    ("/api/invitations", [200, 200, 403, 403, 403, 200, 401]),
    // One member by id (the remove and transfer confirm steps): not yours → 404.
    ("/api/member", [200, 200, 200, 403, 403, 404, 401]),
    ("/api/audit", [200, 200, 200, 403, 403, 200, 401]),
    ("/api/invitation_info", [200, 200, 200, 200, 200, 200, 200]),
    ("/api/request_code", [200, 200, 200, 200, 200, 200, 403]),
    ("/api/verify_code", [400, 400, 400, 400, 400, 400, 403]),
    // Switching to Acme: its people may, the other company's owner gets 404 (not yours).
    ("/api/switch_company", [200, 200, 200, 200, 200, 404, 403]),
    ("/api/sign_out", [200, 200, 200, 200, 200, 200, 403]),
    // The other company's owner invites into their own company: allowed there.
    ("/api/invite_member", [200, 200, 403, 403, 403, 200, 403]),
    (
        "/api/resend_invitation",
        [200, 200, 403, 403, 403, 404, 403],
    ),
    (
        "/api/cancel_invitation",
        [200, 200, 403, 403, 403, 404, 403],
    ),
    (
        "/api/change_member_role",
        [200, 403, 403, 403, 403, 404, 403],
    ),
    // The member removing themselves is leaving, which everyone may.
    ("/api/remove_member", [200, 200, 403, 200, 403, 404, 403]),
    // A preview: owners and admins (the other owner previews for their own company).
    ("/api/bulk_invite", [200, 200, 403, 403, 403, 200, 403]),
    // Only owners hand over ownership (the other company's owner asks for a code for their own).
    (
        "/api/request_transfer_code",
        [200, 403, 403, 403, 403, 200, 403],
    ),
    // With a wrong code: 400 for owners, 403 for everyone else.
    (
        "/api/transfer_ownership",
        [400, 403, 403, 403, 403, 400, 403],
    ),
    // Nobody here is the invited address.
    (
        "/api/accept_invitation",
        [403, 403, 403, 403, 403, 403, 403],
    ),
    // Everyone in a company reads the history (a member only their own rows: the filter pins
    // it, tested in app/tests/history.rs); exporting is a POST and writes the audit log.
    ("/api/history", [200, 200, 200, 200, 403, 200, 401]),
    ("/api/history_totals", [200, 200, 200, 200, 403, 200, 401]),
    ("/api/history_options", [200, 200, 200, 200, 403, 200, 401]),
    ("/api/history_export", [200, 200, 200, 200, 403, 200, 403]),
    // Costs: everyone in a company (a member sees their own, tested in app/tests/costs.rs).
    ("/api/costs", [200, 200, 200, 200, 403, 200, 401]),
    // Invoices: owners, admins and finance viewers; another company's invoice is not found.
    ("/api/invoices", [200, 200, 200, 403, 403, 200, 401]),
    ("/api/invoice", [200, 200, 200, 403, 403, 404, 401]),
    ("/api/invoice_export", [200, 200, 200, 403, 403, 404, 403]),
    // Cost centers: finance reads, owners and admins change; another company's is not found
    // (a default pointing at it is an unknown cost center there).
    ("/api/cost_centers", [200, 200, 200, 403, 403, 200, 401]),
    (
        "/api/create_cost_center",
        [200, 200, 403, 403, 403, 200, 403],
    ),
    (
        "/api/rename_cost_center",
        [200, 200, 403, 403, 403, 404, 403],
    ),
    (
        "/api/archive_cost_center",
        [200, 200, 403, 403, 403, 404, 403],
    ),
    (
        "/api/set_default_cost_center",
        [200, 200, 403, 403, 403, 400, 403],
    ),
    // A preview (the other owner previews for their own company, where nobody matches).
    (
        "/api/import_cost_center_defaults",
        [200, 200, 403, 403, 403, 200, 403],
    ),
    // The monthly report: owners and admins set it up; another company's finance viewer is
    // not a possible recipient there (400, by field).
    ("/api/report_settings", [200, 200, 403, 403, 403, 200, 401]),
    (
        "/api/save_report_settings",
        [200, 200, 403, 403, 403, 400, 403],
    ),
    // The front desk: its own page for the desk, owners and admins (the other company's
    // owner works their own desk); another company's permit is not found.
    ("/api/front_desk", [200, 200, 403, 403, 200, 200, 401]),
    ("/api/register_guest", [200, 200, 403, 403, 200, 200, 403]),
    ("/api/extend_guest", [200, 200, 403, 403, 200, 404, 403]),
    ("/api/cancel_guest", [200, 200, 403, 403, 200, 404, 403]),
    // The guest cost center: owners and admins; another company's cost center is unknown there.
    (
        "/api/set_guest_cost_center",
        [200, 200, 403, 403, 403, 400, 403],
    ),
];

#[tokio::test]
async fn every_server_function_has_a_row_in_the_matrix() {
    let rows: Vec<&str> = MATRIX.iter().map(|(p, _)| *p).collect();
    let mut missing = vec![];
    for (path, _) in server_fn::axum::server_fn_paths() {
        if !rows.contains(&path) {
            missing.push(path.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "server functions without rows in the authorisation matrix: {missing:?}"
    );
}

#[tokio::test]
async fn the_authorisation_matrix_holds_through_the_router() {
    let registered: HashMap<String, Method> = server_fn::axum::server_fn_paths()
        .map(|(p, m)| (p.to_string(), m))
        .collect();
    let mut failures = vec![];
    let mut checked = 0;
    for (path, expected) in MATRIX {
        let method = registered
            .get(*path)
            .unwrap_or_else(|| panic!("{path} is not a registered server function"));
        for (actor, want) in ALL.iter().zip(expected) {
            let w = world().await;
            let session = w.session(*actor).await;
            let mut req = match call_for(path, &w) {
                Call::Get(query) => {
                    assert_eq!(*method, Method::GET, "{path}");
                    Request::get(format!("{path}?{query}"))
                        .body(Body::empty())
                        .unwrap()
                }
                call @ (Call::Post(_) | Call::PostBody(_)) => {
                    assert_eq!(*method, Method::POST, "{path}");
                    let body = match call {
                        Call::Post(fields) => {
                            let fields: Vec<(&str, &str)> =
                                fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                            form(&fields)
                        }
                        Call::PostBody(body) => Body::from(body),
                        Call::Get(_) => unreachable!(),
                    };
                    let mut b = Request::post(*path)
                        .header("sec-fetch-site", "same-origin")
                        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                    if let Some((_, csrf)) = &session {
                        b = b.header(CSRF_HEADER, csrf.as_str());
                    }
                    b.body(body).unwrap()
                }
            };
            if let Some((token, _)) = &session {
                req.headers_mut().insert(
                    header::COOKIE,
                    format!("{SESSION_COOKIE}={token}").parse().unwrap(),
                );
            }
            let res = send(&w.app, req).await;
            checked += 1;
            if res.status != StatusCode::from_u16(*want).unwrap() {
                failures.push(format!(
                    "{path} as {actor:?}: expected {want}, got {} ({})",
                    res.status, res.body
                ));
            }
            for id in w.foreign_ids(*actor) {
                if res.body.contains(&id.to_string()) {
                    failures.push(format!(
                        "{path} as {actor:?}: body contains another company's id {id}"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(checked, MATRIX.len() * ALL.len());
}
