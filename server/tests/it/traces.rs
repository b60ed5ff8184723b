//! Traces reach an OpenTelemetry collector (issue 29): with `OTEL_EXPORTER_OTLP_ENDPOINT` set,
//! a sign-in, a mail delivery and an ingestion batch arrive at an OTLP/HTTP receiver in this
//! process as spans linked parent to child (request → server function → statement group), and
//! nothing in them is personal data or a secret.
//!
//! The receiver is a plain axum route decoding the protobuf the exporter posts, with the
//! messages of `opentelemetry-proto` (the exporter's own). `init_tracing` installs the global
//! subscriber, so this test needs the process to itself: nextest gives it one.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use app::companies::Role;
use axum::{body::Bytes, http::StatusCode, routing::post, Router};
use opentelemetry_proto::tonic::{
    collector::trace::v1::ExportTraceServiceRequest,
    common::v1::{any_value::Value, AnyValue},
};
use prost::Message;
use uuid::Uuid;

use crate::common::{self, send};

const INGEST_SECRET: &str = "the traces test's ingestion secret 32+";

/// One received span, flattened: ids in hex, attributes and its events' attributes as text.
#[derive(Clone, Debug)]
struct Span {
    name: String,
    trace: String,
    id: String,
    parent: String,
    attributes: HashMap<String, String>,
    /// Everything the span carries as text (names, attributes, events), for the secret check.
    text: String,
}

fn text(v: &Option<AnyValue>) -> String {
    match v.as_ref().and_then(|v| v.value.as_ref()) {
        Some(Value::StringValue(s)) => s.clone(),
        Some(Value::IntValue(i)) => i.to_string(),
        Some(Value::BoolValue(b)) => b.to_string(),
        Some(Value::DoubleValue(d)) => d.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

/// The OTLP/HTTP receiver: `POST /v1/traces` with an `ExportTraceServiceRequest`.
async fn receiver() -> (String, Arc<Mutex<Vec<Span>>>) {
    let spans: Arc<Mutex<Vec<Span>>> = Arc::default();
    let store = spans.clone();
    let app = Router::new().route(
        "/v1/traces",
        post(move |body: Bytes| {
            let store = store.clone();
            async move {
                let req = ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
                let mut got = store.lock().unwrap();
                for rs in req.resource_spans {
                    let service = rs
                        .resource
                        .iter()
                        .flat_map(|r| &r.attributes)
                        .find(|a| a.key == "service.name")
                        .map(|a| text(&a.value));
                    assert_eq!(service.as_deref(), Some("portal"));
                    for ss in rs.scope_spans {
                        for s in ss.spans {
                            let attributes: HashMap<String, String> = s
                                .attributes
                                .iter()
                                .map(|a| (a.key.clone(), text(&a.value)))
                                .collect();
                            let mut all = format!("{} {:?}", s.name, attributes);
                            for e in &s.events {
                                all.push_str(&format!(" {}", e.name));
                                for a in &e.attributes {
                                    all.push_str(&format!(" {}={}", a.key, text(&a.value)));
                                }
                            }
                            got.push(Span {
                                name: s.name,
                                trace: hex(&s.trace_id),
                                id: hex(&s.span_id),
                                parent: hex(&s.parent_span_id),
                                attributes,
                                text: all,
                            });
                        }
                    }
                }
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, spans)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The one span named `name` (panics listing what arrived when there is none or several).
fn one<'a>(spans: &'a [Span], name: &str) -> &'a Span {
    let found: Vec<&Span> = spans.iter().filter(|s| s.name == name).collect();
    assert_eq!(
        found.len(),
        1,
        "one span {name:?}; arrived: {:?}",
        spans.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    found[0]
}

/// The spans below `root` (children, their children, …).
fn below<'a>(spans: &'a [Span], root: &Span) -> Vec<&'a Span> {
    let mut ids = vec![root.id.clone()];
    let mut found = vec![];
    while let Some(id) = ids.pop() {
        for s in spans.iter().filter(|s| s.parent == id) {
            assert_eq!(s.trace, root.trace, "{} is in its parent's trace", s.name);
            ids.push(s.id.clone());
            found.push(s);
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_reach_the_collector_linked_and_without_personal_data() {
    let (endpoint, received) = receiver().await;
    let vars: HashMap<String, String> = [
        ("PORTAL_INGEST_KEYS", format!("tracekey={INGEST_SECRET}")),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
    ]
    .map(|(k, v)| (k.to_string(), v))
    .into();
    let config = Arc::new(app::config::Config::from_vars(&vars).unwrap());
    let traces = server::init_tracing(&config);

    let t = app::testing::TestDb::fresh(app::db::Backend::Sqlite).await;
    let db = &t.db;
    let now = app::db::now_ts();
    let company = Uuid::new_v4();
    common::insert_company(db, company, "Spårbar AB", "556000-4243", now).await;
    common::add_member(db, company, "owner@sparbar.se", Role::Owner, now).await;
    let key = app::crypto::SecretKey::new(*b"test key, 32 bytes or more......").unwrap();
    let state = server::http::app_state(db.clone(), config, key, app::mailer::Mailer::dev());
    let app = server::http::router(state.clone());

    // A sign-in as a person does it; the code mail goes out through the mail job.
    let (pre, csrf) = common::pre_session(&app).await;
    let res = common::request_code(&app, &pre, &csrf, "owner@sparbar.se").await;
    assert_eq!(res.status, StatusCode::OK);
    let code = common::wait_for_code(db, "owner@sparbar.se").await;
    assert_eq!(server::jobs::mail::send_due(&state).await, 1);
    let req = common::post("/api/verify_code", &pre)
        .body(common::form(&[("code", &code), ("csrf_token", &csrf)]))
        .unwrap();
    let res = send(&app, req).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let session = res.new_session().unwrap();

    // An ingestion batch: a facility, then a session parked there by a person with a plate.
    let signer = common::Signer::new("tracekey", INGEST_SECRET);
    let facilities = serde_json::json!({"facilities": [{
        "id": "TR-1", "version": 1, "name": "P-hus Spår", "address": "Gatan 1", "city": "Stockholm",
        "kind": "camera_garage", "company_account": "yes", "has_chargers": false
    }]});
    let sessions = serde_json::json!({"sessions": [{
        "id": "TRS-1", "version": 1, "company": "556000-4243",
        "app_user": {"email": "owner@sparbar.se"}, "plate": "xyz987", "facility": "TR-1",
        "kind": "parking", "started_at": "2026-11-02T08:00:00+01:00", "ended_at": null,
        "amount_incl_vat": 0, "vat": 0
    }]});
    let mut signatures = vec![];
    for (path, body) in [
        ("/ingest/v1/facilities", facilities),
        ("/ingest/v1/sessions", sessions),
    ] {
        let req = signer.request("POST", path, &serde_json::to_vec(&body).unwrap());
        signatures.push(
            req.headers()[app::auth::ingest::SIGNATURE_HEADER]
                .to_str()
                .unwrap()
                .to_owned(),
        );
        let res = send(&app, req).await;
        assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.body);
        assert!(res.body.contains("\"inserted\":1"), "{path}: {}", res.body);
    }

    // Everything ended above; the exporter's thread posts it now (blocking: off the runtime).
    let traces = tokio::task::spawn_blocking(move || {
        traces.flush();
        traces
    })
    .await
    .unwrap();
    let spans = {
        let mut waited = Duration::ZERO;
        loop {
            let spans = received.lock().unwrap().clone();
            if spans.iter().any(|s| s.name == "POST /ingest/v1/sessions")
                || waited > Duration::from_secs(10)
            {
                break spans;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            waited += Duration::from_millis(50);
        }
    };

    // The code check: request → server function → its statement groups, one trace.
    let verify = one(&spans, "POST /api/verify_code");
    assert_eq!(verify.parent, "", "a request is a root span");
    assert_eq!(verify.attributes["route"], "/api/verify_code");
    assert_eq!(verify.attributes["status"], "200");
    let function = one(&spans, "server_fn verify_code");
    assert_eq!(
        function.parent, verify.id,
        "the server function is the request's child"
    );
    assert_eq!(function.trace, verify.trace);
    let statements: Vec<&str> = below(&spans, function)
        .into_iter()
        .filter(|s| s.name == "db")
        .map(|s| s.attributes["op"].as_str())
        .collect();
    assert!(
        statements.iter().any(|op| op.starts_with("auth::")),
        "the code check's statements: {statements:?}"
    );

    // Each request its own trace.
    let request_code = one(&spans, "POST /api/request_code");
    assert_ne!(request_code.trace, verify.trace);

    // The code mail's delivery, with the statement that marks it sent below it.
    let delivery = one(&spans, "outbox_delivery");
    assert_eq!(delivery.attributes["outbox"], "mail");
    assert!(
        below(&spans, delivery)
            .iter()
            .any(|s| s.name == "db" && s.attributes["op"] == "mail::mark_sent"),
        "{delivery:?}"
    );

    // The ingestion batch: the request and the statements that stored it.
    for path in ["/ingest/v1/facilities", "/ingest/v1/sessions"] {
        let batch = one(&spans, &format!("POST {path}"));
        let groups = below(&spans, batch);
        assert!(
            groups.iter().any(|s| s.name == "db"),
            "{path}: {:?}",
            groups.iter().map(|s| &s.name).collect::<Vec<_>>()
        );
    }

    // No personal data and no secret in any span, attribute or event.
    let session_csrf = common::session_view(&app, &session).await.csrf;
    let mut secrets: Vec<(&str, String)> = vec![
        ("the code", code.clone()),
        ("the code without its space", code.replace(' ', "")),
        ("the pre-session token", pre),
        ("the pre-session's CSRF token", csrf),
        ("the session token", session),
        ("the session's CSRF token", session_csrf),
        ("the ingestion secret", INGEST_SECRET.into()),
        ("an email address", "sparbar.se".into()),
        ("the plate", "XYZ".into()),
        ("the plate as sent", "xyz987".into()),
    ];
    for s in signatures {
        secrets.push(("a batch's signature", s));
    }
    assert!(spans.len() > 10, "{spans:?}");
    for s in &spans {
        for (what, secret) in &secrets {
            assert!(
                !s.text.contains(secret.as_str()),
                "{what} is in a span: {s:?}"
            );
        }
    }
    drop(traces);
}
