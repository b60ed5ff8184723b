//! The authorisation matrix of shared/security.md: every server function × owner, admin,
//! finance viewer, member, front desk, a signed-in person of another company, a member of
//! both companies acting in the other one, a member who was removed and is invited again
//! (not yet accepted), and an anonymous caller, through the real router with real cookies and
//! CSRF tokens, on both databases. Each row runs on a fresh database, asserts the status,
//! that no other company's ids appear in the body, and that a refused call left nothing behind
//! (every table but the sign-in bookkeeping compared row by row: no row, no audit entry, no
//! mail). A server function without rows fails the suite. The other doors (pages, `/lang/*`,
//! the CSV template, `/dev/mailbox`, `/ingest/v1/*`) are in `doors.rs`, on the same world.

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
pub(crate) enum Actor {
    Owner,
    Admin,
    Finance,
    Member,
    /// The company's front desk (reception): its own page and nothing else.
    FrontDesk,
    /// The owner of another company.
    Other,
    Anonymous,
    /// A member of Acme who is also an admin of Beta, acting in Beta: expected to be
    /// answered as `Other` is, and to see nothing of Acme's.
    TwoCompanies,
    /// Removed from Acme, then invited again and not yet accepted: signed in, in no company.
    /// Nothing of Acme's may reach them or change.
    Removed,
}
pub(crate) use Actor::*;

/// The actors of the matrix's columns, in order.
pub(crate) const ALL: [Actor; 7] = [Owner, Admin, Finance, Member, FrontDesk, Other, Anonymous];
/// Every actor: the columns and the two derived from them.
pub(crate) const EVERYONE: [Actor; 9] = [
    Owner,
    Admin,
    Finance,
    Member,
    FrontDesk,
    Other,
    Anonymous,
    TwoCompanies,
    Removed,
];

pub(crate) struct World {
    pub(crate) _t: TestDb,
    pub(crate) db: Db,
    pub(crate) app: Router,
    pub(crate) key: SecretKey,
    pub(crate) acme: Uuid,
    pub(crate) beta: Uuid,
    pub(crate) people: HashMap<&'static str, Uuid>,
    pub(crate) acme_invitation: Uuid,
    pub(crate) acme_invitation_token: String,
    pub(crate) acme_invoice: Uuid,
    pub(crate) acme_cost_center: Uuid,
    pub(crate) facility: Uuid,
    pub(crate) acme_permit: Uuid,
    /// When the admin's ongoing session (`ADMIN_PLATE`) started.
    pub(crate) admin_parked_at: i64,
}

/// Each person's address (their email is what a page shows when they gave no name).
pub(crate) const EMAILS: [(&str, &str); 9] = [
    ("owner", "owner@acme.se"),
    ("admin", "admin@acme.se"),
    ("finance", "finance@acme.se"),
    ("member", "member@acme.se"),
    ("front_desk", "desk@acme.se"),
    ("other", "owner@beta.se"),
    ("beta_member", "member@beta.se"),
    ("two", "two@acme.se"),
    ("removed", "gone@acme.se"),
];

/// A person's address, by their key in `World::people`.
pub(crate) fn email_of(key: &str) -> &'static str {
    EMAILS.iter().find(|(k, _)| *k == key).unwrap().1
}

/// The plate of the admin's ongoing session, and of the guest at Acme's front desk: what a
/// member, and anyone outside Acme, must never see.
pub(crate) const ADMIN_PLATE: &str = "ADM 222";
pub(crate) const GUEST_PLATE: &str = "GST 777";
/// The back office's key in the matrix's world (`matrix=` in `PORTAL_INGEST_KEYS`).
pub(crate) const INGEST_SECRET: &str = "the matrix ingestion secret of 32+ characters";

pub(crate) async fn world_on(backend: Backend) -> World {
    let t = TestDb::fresh(backend).await;
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
    for (key, company, role) in [
        ("owner", acme, Role::Owner),
        ("admin", acme, Role::Admin),
        ("finance", acme, Role::Finance),
        ("member", acme, Role::Member),
        ("front_desk", acme, Role::FrontDesk),
        ("other", beta, Role::Owner),
        ("beta_member", beta, Role::Member),
        ("two", acme, Role::Member),
        ("two", beta, Role::Admin),
        ("removed", acme, Role::Member),
    ] {
        let u = crate::common::add_member(&db, company, email_of(key), role, now).await;
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
    // Removed, then invited again (pending).
    members::remove(&db, &owner_ctx, people["removed"], now)
        .await
        .unwrap();
    let again = members::NewInvitation {
        email: Email::parse("gone@acme.se").unwrap(),
        role: Role::Member,
        default_cost_center_id: None,
    };
    members::invite(&db, &owner_ctx, &again, "http://x", Lang::Sv, now)
        .await
        .unwrap();
    let acme_invitation_token = crate::common::invitation_token(&db, acme_invitation).await;

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
            country: app::org_number::Country::Se,
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
            plate: GUEST_PLATE,
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

    // The admin is parked now (started this second: the history's default month is now's).
    let mut parked = [app::history::store::NewSession {
        id: Uuid::nil(),
        company_id: acme,
        user_id: Some(people["admin"]),
        plate: ADMIN_PLATE.into(),
        facility_id: facility,
        kind: app::history::SessionKind::Parking,
        started_at: now,
        ended_at: None,
        energy_wh: None,
        amount_ore: 5_000,
        vat_ore: 1_000,
        cost_center_id: None,
        source: "test".into(),
        external_ref: "ADM-1".into(),
        version: 1,
        policy_flags: 0,
    }];
    app::testing::insert_sessions(&db, &mut parked)
        .await
        .unwrap();

    let vars: HashMap<String, String> = [(
        "PORTAL_INGEST_KEYS".to_owned(),
        format!("matrix={INGEST_SECRET}"),
    )]
    .into();
    let config = Arc::new(Config::from_vars(&vars).unwrap());
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
        admin_parked_at: now,
    }
}

impl World {
    /// The person an actor is (none for an anonymous caller).
    pub(crate) fn person(actor: Actor) -> Option<&'static str> {
        Some(match actor {
            Owner => "owner",
            Admin => "admin",
            Finance => "finance",
            Member => "member",
            FrontDesk => "front_desk",
            Other => "other",
            TwoCompanies => "two",
            Removed => "removed",
            Anonymous => return None,
        })
    }

    /// A fresh signed-in session for the actor (in their company; the member of both
    /// companies in Beta; the removed one in none), or none.
    pub(crate) async fn session(&self, actor: Actor) -> Option<(String, String)> {
        let user = self.people[World::person(actor)?];
        let token = auth::start_session(&self.db, None, user, app::db::now_ts())
            .await
            .unwrap();
        let hash = crypto::parse_token(&token).unwrap();
        if actor == TwoCompanies {
            app::with_pool!(&self.db, |pool| {
                sqlx::query("UPDATE web_sessions SET company_id = $1 WHERE token_hash = $2")
                    .bind(self.beta)
                    .bind(&hash)
                    .execute(pool)
                    .await
                    .map(drop)
                    .unwrap()
            });
        }
        Some((token, crypto::csrf_token(&self.key, &hash)))
    }

    /// Acme's people, in the order of the matrix's columns.
    fn acme_people(&self) -> Vec<Uuid> {
        ["owner", "admin", "finance", "member", "front_desk"]
            .iter()
            .map(|k| self.people[k])
            .collect()
    }

    /// Ids that must never appear in a body the actor sees.
    pub(crate) fn foreign_ids(&self, actor: Actor) -> Vec<Uuid> {
        let acme_things = [
            self.acme_invitation,
            self.acme_permit,
            self.acme_invoice,
            self.acme_cost_center,
        ];
        let mut acme = vec![self.acme];
        acme.extend(self.acme_people());
        acme.extend(acme_things);
        let beta = vec![self.beta, self.people["other"], self.people["beta_member"]];
        match actor {
            Other => acme,
            Anonymous => acme.into_iter().chain(beta).collect(),
            // Acme is one of their companies (its name and id are in their switcher); its
            // people and records are not theirs to see from Beta.
            TwoCompanies => self.acme_people().into_iter().chain(acme_things).collect(),
            Removed => acme,
            _ => beta,
        }
    }

    /// Addresses and plates that must never appear in a page the actor sees: another
    /// company's, and for a member or the front desk anyone else's in their own company (the
    /// front desk sees its guests' plates and who is parked now, never the members' addresses).
    pub(crate) fn foreign_texts(&self, actor: Actor) -> Vec<&'static str> {
        let own = World::person(actor);
        // The member of both companies is Beta's admin too: Beta's people see them.
        let in_beta = matches!(actor, Other | TwoCompanies);
        let acme: Vec<&str> = [
            "owner",
            "admin",
            "finance",
            "member",
            "front_desk",
            "two",
            "removed",
        ]
        .into_iter()
        .filter(|k| Some(*k) != own && !(in_beta && *k == "two"))
        .map(email_of)
        .collect();
        let beta = vec![email_of("other"), email_of("beta_member"), "Beta AB"];
        let plates = [ADMIN_PLATE, GUEST_PLATE];
        match actor {
            Owner | Admin | Finance => beta,
            Member => acme.into_iter().chain(beta).chain(plates).collect(),
            // Its "parked now" list shows members' plates (by name, never by address).
            FrontDesk => acme.into_iter().chain(beta).collect(),
            Other | TwoCompanies | Removed => acme.into_iter().chain(plates).collect(),
            Anonymous => acme
                .into_iter()
                .chain(beta)
                .chain(plates)
                .chain(["Acme AB"])
                .collect(),
        }
    }
}

/// Every table's rows as text, sorted, but for the sign-in bookkeeping a refused call may
/// rightly touch (its session's last use, rate-limit events, a code's attempts, a seen
/// signature): what "a refused call leaves nothing behind" compares.
pub(crate) async fn fingerprint(db: &Db) -> Vec<String> {
    const BOOKKEEPING: [&str; 5] = [
        "web_sessions",
        "rate_events",
        "login_codes",
        "ingest_signatures_seen",
        "_sqlx_migrations",
    ];
    let mut out = vec![];
    match db {
        Db::Sqlite(pool) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            for t in tables.iter().filter(|t| !BOOKKEEPING.contains(&t.as_str())) {
                let columns: Vec<String> =
                    sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                        .bind(t)
                        .fetch_all(pool)
                        .await
                        .unwrap();
                let row = columns
                    .iter()
                    .map(|c| format!("quote(\"{c}\")"))
                    .collect::<Vec<_>>()
                    .join(" || '|' || ");
                let mut rows: Vec<String> =
                    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT {row} FROM \"{t}\"")))
                        .fetch_all(pool)
                        .await
                        .unwrap();
                rows.sort();
                out.extend(rows.into_iter().map(|r| format!("{t}: {r}")));
            }
        }
        Db::Postgres(pool) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT CAST(table_name AS TEXT) FROM information_schema.tables
                 WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            for t in tables.iter().filter(|t| !BOOKKEEPING.contains(&t.as_str())) {
                let mut rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT CAST(x AS TEXT) FROM \"{t}\" AS x"
                )))
                .fetch_all(pool)
                .await
                .unwrap();
                rows.sort();
                out.extend(rows.into_iter().map(|r| format!("{t}: {r}")));
            }
        }
    }
    out
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
        "/api/policies" => Call::Get("cost_center=&member=".into()),
        // Acme's cost center: the other company's owner names a cost center unknown there.
        "/api/save_policy" => Call::Post(vec![
            ("level", "cost_center".into()),
            ("id", w.acme_cost_center.to_string()),
            ("form[charging]", "no".into()),
            ("form[max_stay_hours]", "10".into()),
        ]),
        // Acme's member registers their own car; the other company's owner names someone
        // who is not their member.
        "/api/set_vehicle" => Call::Post(vec![
            ("user_id", acme_member),
            ("plate", "abc-123".into()),
            ("add", "yes".into()),
        ]),
        "/api/notices" => Call::Get("before=".into()),
        "/api/unread_notices" => Call::Get(String::new()),
        "/api/mark_notices_read" => Call::Post(vec![]),
        "/api/save_alert_settings" => Call::Post(vec![
            ("choices[policy]", "immediate".into()),
            ("choices[overstay]", "portal".into()),
            ("choices[budget]", "digest".into()),
        ]),
        // Acme's cost center: the other company's owner names a cost center unknown there.
        "/api/save_budget" => Call::Post(vec![
            ("cost_center", w.acme_cost_center.to_string()),
            ("amount", "5000".into()),
        ]),
        // A link the server never signed: refused the same to everyone (the signature is the
        // only key; tested with real links in alerts.rs).
        "/api/unsubscribe_link" => Call::Get(format!(
            "c={}&u={}&k=budget&s=00",
            w.acme_cost_center, w.acme_cost_center
        )),
        "/api/unsubscribe" => Call::Post(vec![
            ("c", w.acme_cost_center.to_string()),
            ("u", w.acme_cost_center.to_string()),
            ("k", "budget".into()),
            ("s", "00".into()),
        ]),
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
    // Rules: everyone in a company reads (a member their own), owners and admins change;
    // a member keeps their own vehicles.
    ("/api/policies", [200, 200, 200, 200, 403, 200, 401]),
    ("/api/save_policy", [200, 200, 403, 403, 403, 400, 403]),
    ("/api/set_vehicle", [200, 200, 403, 200, 403, 400, 403]),
    // Budgets: owners and admins set them (another company's cost center is unknown there).
    ("/api/save_budget", [200, 200, 403, 403, 403, 400, 403]),
    // Notices: those who see the company's records; the header's count is 0 for a member.
    ("/api/notices", [200, 200, 200, 403, 403, 200, 401]),
    ("/api/unread_notices", [200, 200, 200, 200, 403, 200, 401]),
    (
        "/api/mark_notices_read",
        [200, 200, 200, 403, 403, 200, 403],
    ),
    (
        "/api/save_alert_settings",
        [200, 200, 200, 403, 403, 200, 403],
    ),
    // A mail's unsubscribe link needs no sign-in, only the server's signature.
    ("/api/unsubscribe_link", [400, 400, 400, 400, 400, 400, 400]),
    ("/api/unsubscribe", [400, 400, 400, 400, 400, 400, 403]),
];

/// Where the member of both companies (Beta's admin, acting in Beta) is not answered as
/// Beta's owner is: they may switch to Acme, where they are a member, and only an owner hands
/// over ownership.
const TWO_COMPANIES_DIFFER: &[(&str, u16)] = &[
    ("/api/switch_company", 200),
    ("/api/request_transfer_code", 403),
    ("/api/transfer_ownership", 403),
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

/// The ingestion API's resources as its OpenAPI document lists them: (path, method).
pub(crate) fn ingest_routes() -> Vec<(String, String)> {
    use utoipa::OpenApi;
    let doc = serde_json::to_value(server::http::ingest::IngestApi::openapi()).unwrap();
    let mut routes = vec![];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            routes.push((path.clone(), method.clone()));
        }
    }
    routes
}

/// One cell: a fresh world, the actor's call, its answer checked. The failures, if any.
async fn cell(
    backend: Backend,
    path: &'static str,
    method: Method,
    actor: Actor,
    want: Option<u16>,
) -> Vec<String> {
    let w = world_on(backend).await;
    let session = w.session(actor).await;
    let mut req = match call_for(path, &w) {
        Call::Get(query) => {
            assert_eq!(method, Method::GET, "{path}");
            Request::get(format!("{path}?{query}"))
                .body(Body::empty())
                .unwrap()
        }
        call @ (Call::Post(_) | Call::PostBody(_)) => {
            assert_eq!(method, Method::POST, "{path}");
            let body = match call {
                Call::Post(fields) => {
                    let fields: Vec<(&str, &str)> =
                        fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    form(&fields)
                }
                Call::PostBody(body) => Body::from(body),
                Call::Get(_) => unreachable!(),
            };
            let mut b = Request::post(path)
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
    let before = fingerprint(&w.db).await;
    let res = send(&w.app, req).await;
    let mut failures = vec![];
    if let Some(want) = want {
        if res.status != StatusCode::from_u16(want).unwrap() {
            failures.push(format!(
                "{path} as {actor:?}: expected {want}, got {} ({})",
                res.status, res.body
            ));
        }
    }
    for id in w.foreign_ids(actor) {
        if res.body.contains(&id.to_string()) {
            failures.push(format!(
                "{path} as {actor:?}: body contains an id not theirs to see: {id}"
            ));
        }
    }
    // A refusal (and anything the removed member tries) leaves every table as it was.
    if res.status.as_u16() >= 400 || actor == Removed {
        let after = fingerprint(&w.db).await;
        if after != before {
            let added: Vec<&String> = after.iter().filter(|r| !before.contains(r)).collect();
            let gone: Vec<&String> = before.iter().filter(|r| !after.contains(r)).collect();
            failures.push(format!(
                "{path} as {actor:?} ({}): the call changed the database: added {added:?}, removed {gone:?}",
                res.status
            ));
        }
    }
    failures
}

/// The rows `part` of every `parts` (a PostgreSQL database per cell costs more: its rows are
/// split over several tests, which nextest runs side by side).
async fn the_matrix_holds(backend: Backend, part: usize, parts: usize) {
    use futures::StreamExt;
    let registered: HashMap<String, Method> = server_fn::axum::server_fn_paths()
        .map(|(p, m)| (p.to_string(), m))
        .collect();
    let mut cells = vec![];
    let rows: Vec<_> = MATRIX
        .iter()
        .enumerate()
        .filter(|(i, _)| i % parts == part)
        .map(|(_, row)| row)
        .collect();
    for (path, expected) in rows.iter().copied() {
        let method = registered
            .get(*path)
            .unwrap_or_else(|| panic!("{path} is not a registered server function"))
            .clone();
        for actor in EVERYONE {
            let want = match actor {
                TwoCompanies => Some(
                    TWO_COMPANIES_DIFFER
                        .iter()
                        .find(|(p, _)| p == path)
                        .map_or(expected[5], |(_, status)| *status),
                ),
                Removed => None,
                _ => Some(expected[ALL.iter().position(|a| *a == actor).unwrap()]),
            };
            cells.push(cell(backend, path, method.clone(), actor, want));
        }
    }
    let checked = cells.len();
    // A few worlds at once: each cell has its own database.
    let failures: Vec<String> = futures::stream::iter(cells)
        .buffer_unordered(6)
        .collect::<Vec<Vec<String>>>()
        .await
        .into_iter()
        .flatten()
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {checked} cells failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(checked, rows.len() * EVERYONE.len());
}

#[tokio::test]
async fn the_authorisation_matrix_holds_through_the_router_on_sqlite() {
    the_matrix_holds(Backend::Sqlite, 0, 1).await;
}

macro_rules! on_postgres_in_parts {
    ($($name:ident = $part:literal),*) => {$(
        #[tokio::test]
        async fn $name() {
            the_matrix_holds(Backend::Postgres, $part, 4).await;
        }
    )*};
}
on_postgres_in_parts!(
    the_authorisation_matrix_holds_through_the_router_on_postgres_part_1 = 0,
    the_authorisation_matrix_holds_through_the_router_on_postgres_part_2 = 1,
    the_authorisation_matrix_holds_through_the_router_on_postgres_part_3 = 2,
    the_authorisation_matrix_holds_through_the_router_on_postgres_part_4 = 3
);
