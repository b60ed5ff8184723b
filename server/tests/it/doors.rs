//! Every door that is not a server function (issue 28, item 6), on the authorisation
//! matrix's world (`authz.rs`) and on both databases: each server-rendered page for every
//! actor (its status, and that no address, plate or id the actor may not see is in the
//! HTML), `/lang/*`, the CSV template, `/dev/mailbox` (there on a local run only),
//! `/healthz`, `/readyz`, and each `/ingest/v1/*` resource signed and unsigned (a browser's
//! session is no signature; an unsigned call changes nothing).
//!
//! A page the router serves without a row here, a plain route in `server/src/http/` without
//! one, or an ingestion resource without one fails the suite.

use std::collections::HashMap;

use app::{config::Config, crypto::SecretKey, db::Backend, mailer::Mailer};
use axum::{
    body::Body,
    http::{header, Request, StatusCode},
};

use crate::authz::{fingerprint, world_on, Actor, World, ALL, EVERYONE, INGEST_SECRET};
use crate::common::send;
use app::auth::SESSION_COOKIE;

/// (page, its concrete path's pattern, the status for Owner, Admin, Finance, Member,
/// FrontDesk, Other, Anonymous). The member of two companies acting in Beta is answered as
/// Other; the removed-and-invited-again person's status is not pinned, only what they see.
/// A page the actor may not use answers 401 (not signed in) or 403, with its explanation in
/// the visitor's language; the sign-in, company picker, facilities and invitation pages are
/// for everyone.
const PAGES: &[(&str, [u16; 7])] = &[
    ("/", [200, 200, 200, 200, 200, 200, 200]),
    ("/sign-in", [200, 200, 200, 200, 200, 200, 200]),
    ("/companies", [200, 200, 200, 200, 200, 200, 200]),
    ("/members", [200, 200, 200, 403, 403, 200, 401]),
    ("/audit", [200, 200, 200, 403, 403, 200, 401]),
    // Whoever holds the link sees which company invites them (the token is the key).
    ("/invite/{token}", [200, 200, 200, 200, 200, 200, 200]),
    ("/facilities", [200, 200, 200, 200, 200, 200, 200]),
    // A member sees only their own sessions and costs (and no one else's plate, checked).
    ("/history", [200, 200, 200, 200, 403, 200, 401]),
    ("/costs", [200, 200, 200, 200, 403, 200, 401]),
    ("/costs/report", [200, 200, 403, 403, 403, 200, 401]),
    ("/invoices", [200, 200, 200, 403, 403, 200, 401]),
    ("/cost-centers", [200, 200, 200, 403, 403, 200, 401]),
    // The rules: everyone in a company but the desk (a member sees their own).
    ("/policies", [200, 200, 200, 200, 403, 200, 401]),
    // Notices: those who see the company's records.
    ("/notices", [200, 200, 200, 403, 403, 200, 401]),
    // A mail's signed link, for anyone who holds it (a link without a valid signature is
    // refused on the page, for everyone alike).
    ("/notices/unsubscribe", [400, 400, 400, 400, 400, 400, 400]),
    // Another company's invoice is not found, not forbidden.
    ("/invoices/{id}", [200, 200, 200, 403, 403, 404, 401]),
    ("/frontdesk", [200, 200, 403, 403, 200, 200, 401]),
];

/// The plain routes of `server/src/http/` (not pages, not server functions), with what each
/// answers to everyone: they hold nothing of any company.
const PLAIN: &[(&str, &str, u16)] = &[
    ("/healthz", "/healthz", 200),
    ("/readyz", "/readyz", 200),
    // Sets the language cookie and goes back.
    ("/lang/{code}", "/lang/en", 303),
    ("/members/template.csv", "/members/template.csv", 200),
    // A local run's mailbox (the dev mailer); absent elsewhere (below).
    ("/dev/mailbox", "/dev/mailbox", 200),
    // Its own door: see ingest_doors.
    ("/ingest/v1", "/ingest/v1/openapi.json", 200),
];

/// `/invite/:token` or `/invite/{token}` to the world's concrete path.
fn concrete(pattern: &str, w: &World) -> String {
    pattern
        .replace(":token", &w.acme_invitation_token)
        .replace("{token}", &w.acme_invitation_token)
        .replace(":id", &w.acme_invoice.to_string())
        .replace("{id}", &w.acme_invoice.to_string())
}

fn normalised(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|seg| match seg.strip_prefix(':') {
            Some(name) => format!("{{{name}}}"),
            None => seg.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn get_as(w: &World, path: &str, session: &Option<(String, String)>) -> crate::common::Res {
    let mut req = Request::get(path).body(Body::empty()).unwrap();
    if let Some((token, _)) = session {
        req.headers_mut().insert(
            header::COOKIE,
            format!("{SESSION_COOKIE}={token}").parse().unwrap(),
        );
    }
    send(&w.app, req).await
}

#[tokio::test]
async fn every_page_and_plain_route_has_a_row() {
    let pages: Vec<String> = leptos_axum::generate_route_list(app::App)
        .iter()
        .map(|r| normalised(r.path()))
        .collect();
    let mut missing: Vec<String> = pages
        .iter()
        .filter(|p| !PAGES.iter().any(|(row, _)| row == p))
        .cloned()
        .collect();
    let extra: Vec<&str> = PAGES
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| !pages.iter().any(|page| page == p))
        .collect();
    assert!(
        extra.is_empty(),
        "rows for pages the router does not serve: {extra:?}"
    );
    // The plain routes, read from the router's source (axum cannot list its routes).
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    for file in std::fs::read_dir(&dir).unwrap() {
        let text = std::fs::read_to_string(file.unwrap().path()).unwrap();
        for (i, _) in text.match_indices(".route(") {
            let rest = text[i + 7..].trim_start();
            let Some(rest) = rest.strip_prefix('"') else {
                continue;
            };
            let route = &rest[..rest.find('"').unwrap()];
            let known = PLAIN
                .iter()
                .any(|(p, c, _)| *p == route || c.ends_with(route))
                || crate::authz::ingest_routes()
                    .iter()
                    .any(|(p, _)| p.ends_with(route));
            if !known {
                missing.push(route.to_owned());
            }
        }
        for (i, _) in text.match_indices(".nest(") {
            let rest = text[i + 6..].trim_start();
            let Some(rest) = rest.strip_prefix('"') else {
                continue;
            };
            let route = &rest[..rest.find('"').unwrap()];
            if !PLAIN.iter().any(|(p, _, _)| *p == route) {
                missing.push(route.to_owned());
            }
        }
    }
    assert!(
        missing.is_empty(),
        "doors without a row in doors.rs: {missing:?}"
    );
}

async fn pages_answer_each_actor_and_show_nothing_foreign(backend: Backend) {
    let w = world_on(backend).await;
    let mut failures = vec![];
    let mut table = vec![];
    for (pattern, expected) in PAGES {
        let path = concrete(pattern, &w);
        let mut got = vec![];
        for actor in EVERYONE {
            let session = w.session(actor).await;
            let res = get_as(&w, &path, &session).await;
            got.push(res.status.as_u16());
            let want = match actor {
                Actor::TwoCompanies => Some(expected[5]),
                Actor::Removed => None,
                _ => Some(expected[ALL.iter().position(|a| *a == actor).unwrap()]),
            };
            if let Some(want) = want {
                if res.status.as_u16() != want {
                    failures.push(format!(
                        "{path} as {actor:?}: expected {want}, got {}",
                        res.status
                    ));
                }
            }
            // The id in the address asked for comes back in the page (its links, its
            // hydration data): that is not a leak.
            for id in w.foreign_ids(actor) {
                let id = id.to_string();
                if res.body.contains(&id) && !path.contains(&id) {
                    failures.push(format!(
                        "{path} as {actor:?}: the page holds an id not theirs: {id}"
                    ));
                }
            }
            for text in w.foreign_texts(actor) {
                // Whoever holds an invitation's link is told which company invites them.
                let invited = path.starts_with("/invite/") && text == "Acme AB";
                if res.body.contains(text) && !invited {
                    failures.push(format!("{path} as {actor:?}: the page shows {text:?}"));
                }
            }
        }
        table.push(format!("    (\"{pattern}\", {:?}),", &got[..7]));
    }
    // The checks can fail: the owner's history shows the admin's plate, the front desk's page
    // the guest's, and Beta's owner sees their own company.
    let owner = w.session(Actor::Owner).await;
    let desk = w.session(Actor::FrontDesk).await;
    let other = w.session(Actor::Other).await;
    // The month the admin parked in, asked for by name: on the 1st just after midnight the
    // default month would already be the next one.
    let parked = app::calendar::local_date(chrono_tz::Europe::Stockholm, w.admin_parked_at);
    let month = format!(
        "/history?year={}&month={}",
        chrono::Datelike::year(&parked),
        chrono::Datelike::month(&parked)
    );
    assert!(get_as(&w, &month, &owner)
        .await
        .body
        .contains(crate::authz::ADMIN_PLATE));
    assert!(get_as(&w, "/frontdesk", &desk)
        .await
        .body
        .contains(crate::authz::GUEST_PLATE));
    assert!(get_as(&w, "/members", &other)
        .await
        .body
        .contains("member@beta.se"));
    assert!(
        failures.is_empty(),
        "{} failures:\n{}\nwhat each page answered:\n{}",
        failures.len(),
        failures.join("\n"),
        table.join("\n")
    );
}

async fn plain_routes_answer_everyone_alike(backend: Backend) {
    let w = world_on(backend).await;
    let mut failures = vec![];
    for (_, path, want) in PLAIN {
        for actor in EVERYONE {
            let session = w.session(actor).await;
            let res = get_as(&w, path, &session).await;
            if res.status.as_u16() != *want {
                failures.push(format!(
                    "{path} as {actor:?}: expected {want}, got {}",
                    res.status
                ));
            }
            for text in w.foreign_texts(Actor::Anonymous) {
                if *path != "/ingest/v1/openapi.json" && res.body.contains(text) {
                    failures.push(format!("{path} as {actor:?}: shows {text:?}"));
                }
            }
        }
    }
    // Outside a local run (an SMTP mailer) there is no mailbox to read codes from.
    let vars: HashMap<String, String> = HashMap::new();
    let config = std::sync::Arc::new(Config::from_vars(&vars).unwrap());
    let key = SecretKey::new(*b"doors key, 32 bytes or more.....").unwrap();
    let mailer = Mailer::smtp("smtp://127.0.0.1:1", "Portal <noreply@portal.invalid>").unwrap();
    let deployed = server::http::router(server::http::app_state(w.db.clone(), config, key, mailer));
    let res = send(
        &deployed,
        Request::get("/dev/mailbox").body(Body::empty()).unwrap(),
    )
    .await;
    if res.status != StatusCode::NOT_FOUND {
        failures.push(format!(
            "/dev/mailbox with an SMTP mailer: expected 404, got {}",
            res.status
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every ingestion resource: unsigned — also with a browser's signed-in session and its CSRF
/// token — 401 and nothing changed; signed, past the door.
async fn ingest_doors_open_only_to_a_signature(backend: Backend) {
    let w = world_on(backend).await;
    let signer = crate::common::Signer::new("matrix", INGEST_SECRET);
    let mut failures = vec![];
    for (path, method) in crate::authz::ingest_routes() {
        let (path_q, body) = if method == "get" {
            (format!("{path}?limit=1"), String::new())
        } else {
            (path.clone(), "{}".to_owned())
        };
        for actor in [Actor::Owner, Actor::Anonymous] {
            let session = w.session(actor).await;
            let mut req = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&path_q)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.clone()))
                .unwrap();
            if let Some((token, csrf)) = &session {
                let h = req.headers_mut();
                h.insert(
                    header::COOKIE,
                    format!("{SESSION_COOKIE}={token}").parse().unwrap(),
                );
                h.insert(app::auth::CSRF_HEADER, csrf.parse().unwrap());
            }
            let before = fingerprint(&w.db).await;
            let res = send(&w.app, req).await;
            if res.status != StatusCode::UNAUTHORIZED {
                failures.push(format!(
                    "unsigned {method} {path_q} as {actor:?}: expected 401, got {}",
                    res.status
                ));
            }
            if fingerprint(&w.db).await != before {
                failures.push(format!(
                    "unsigned {method} {path_q} as {actor:?} changed the database"
                ));
            }
        }
        let res = send(
            &w.app,
            signer.request(&method.to_uppercase(), &path_q, body.as_bytes()),
        )
        .await;
        // Past the signature: the permits' list, the ping, or a batch refused for its body.
        let want = if path.ends_with("guest-permits") || path.ends_with("ping") {
            200
        } else {
            400
        };
        if res.status.as_u16() != want {
            failures.push(format!(
                "signed {method} {path_q}: expected {want}, got {} ({})",
                res.status, res.body
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

macro_rules! on_both {
    ($($name:ident),*) => {
        mod sqlite { $( #[tokio::test] async fn $name() { super::$name(app::db::Backend::Sqlite).await } )* }
        mod postgres { $( #[tokio::test] async fn $name() { super::$name(app::db::Backend::Postgres).await } )* }
    };
}
on_both!(
    pages_answer_each_actor_and_show_nothing_foreign,
    plain_routes_answer_everyone_alike,
    ingest_doors_open_only_to_a_signature
);
