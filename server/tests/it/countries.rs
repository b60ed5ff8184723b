//! Issue 33: a Finnish and a Norwegian company as a Finn and a Norwegian see them, on both
//! databases, without JavaScript (the server's own HTML, what every page is before it
//! hydrates): every page of the admin's in the company's language, its currency and no other,
//! its time zone's days (a session in the night of 31 October / 1 November belongs to
//! November in Helsinki and to October in Oslo), plates the country's way, its organisation
//! number as the country writes it on the invoice and in the header, and the monthly report's
//! mail in the country's language with the number and the currency. The browser half (the
//! CSV export, JavaScript on and off) is end2end/tests/countries.spec.js.

use app::{db::Backend, testing::TestDb, with_pool};
use axum::http::{header, StatusCode};
use chrono::NaiveDate;
use uuid::Uuid;

use crate::common::{get, send, sign_in, Signer};

const KEY: &str = "countries";
const SECRET: &str = "countries-secret-0123456789abcdefghijklmnop";

struct Country {
    admin: &'static str,
    accept_language: &'static str,
    lang: &'static str,
    org_number: &'static str,
    /// How the country's own currency ends an amount in its language.
    money: &'static str,
    /// What must never appear on its pages (another currency).
    foreign_money: &'static [&'static str],
    facility_country: &'static str,
    /// The plate typed at the ingestion API, and as the country writes it.
    plate_typed: &'static str,
    plate_shown: &'static str,
    /// The month the night of 31 October / 1 November (22:30 UTC) falls in, locally, and the
    /// local date shown.
    night_month: u32,
    night_date: &'static str,
    /// A word of the monthly report's mail in the language.
    report_word: &'static str,
}

const FINLAND: Country = Country {
    admin: "aino.makinen@virtasenrakennus.example",
    accept_language: "fi-FI,fi;q=0.9",
    lang: "fi",
    org_number: "1234567-1",
    money: "\u{a0}€",
    foreign_money: &["\u{a0}kr", "SEK", "NOK"],
    facility_country: "FI",
    plate_typed: "zxy 987",
    plate_shown: "ZXY-987",
    // 00:30 on 1 November in Helsinki (UTC+2).
    night_month: 11,
    night_date: "1.11.2026",
    report_word: "Kustannukset",
};

const NORWAY: Country = Country {
    admin: "ingrid.haugen@haugenbygg.example",
    accept_language: "nb-NO,nb;q=0.9",
    lang: "nb",
    org_number: "987 654 325",
    money: "\u{a0}kr",
    foreign_money: &["€", "EUR", "SEK"],
    facility_country: "NO",
    plate_typed: "zx98765",
    plate_shown: "ZX 98765",
    // 23:30 on 31 October in Oslo (UTC+1).
    night_month: 10,
    night_date: "31.10.2026",
    report_word: "Kostnader",
};

async fn a_company_of(backend: Backend, c: &Country) {
    let t = TestDb::fresh(backend).await;
    let args = server::demo::DemoArgs {
        seed: 7,
        members: 8,
        sessions: 400,
        until: NaiveDate::from_ymd_opt(2026, 11, 20),
    };
    server::demo::generate(&t.db, &args).await.unwrap();
    let keys = format!("{KEY}={SECRET}");
    let state = crate::common::state_on_db(&t.db, &[("PORTAL_INGEST_KEYS", keys.as_str())]);
    let app = server::http::router(state);
    let (company, facility): (Uuid, String) = with_pool!(&t.db, |pool| {
        let company = sqlx::query_scalar("SELECT id FROM companies WHERE org_number = $1")
            .bind(c.org_number)
            .fetch_one(pool)
            .await
            .unwrap();
        let facility = sqlx::query_scalar(
            "SELECT external_ref FROM facilities WHERE country = $1 ORDER BY external_ref LIMIT 1",
        )
        .bind(c.facility_country)
        .fetch_one(pool)
        .await
        .unwrap();
        (company, facility)
    });

    // The back office sends a session of the night of 31 October / 1 November, the plate
    // typed any way.
    let signer = Signer::new(KEY, SECRET);
    let body = serde_json::json!({"sessions": [{
        "id": format!("NIGHT-{}", c.lang), "version": 1, "company": c.org_number,
        "app_user": {"email": c.admin}, "plate": c.plate_typed, "facility": facility,
        "kind": "parking", "started_at": "2026-10-31T22:30:00Z", "ended_at": "2026-10-31T23:30:00Z",
        "amount_incl_vat": 2_500, "vat": 500
    }]})
    .to_string();
    let res = send(
        &app,
        signer.request("POST", "/ingest/v1/sessions", body.as_bytes()),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    let session = sign_in(&app, &t.db, c.admin).await;
    let page = |path: String| {
        let app = app.clone();
        let session = session.clone();
        async move {
            let mut req = get(&path, Some(&session));
            req.headers_mut()
                .insert(header::ACCEPT_LANGUAGE, c.accept_language.parse().unwrap());
            let res = send(&app, req).await;
            assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.body);
            assert!(
                res.body.contains(&format!("lang=\"{}\"", c.lang)),
                "{path} is in {}",
                c.lang
            );
            for other in c.foreign_money {
                assert!(
                    !res.body.contains(other),
                    "{path} shows {other:?}, not the company's currency"
                );
            }
            res.body
        }
    };

    // Every page of the admin's.
    let invoice: Uuid = with_pool!(&t.db, |pool| {
        sqlx::query_scalar(
            "SELECT id FROM invoices WHERE company_id = $1 ORDER BY period_start DESC LIMIT 1",
        )
        .bind(company)
        .fetch_one(pool)
        .await
        .unwrap()
    });
    for path in [
        "/",
        "/members",
        "/audit",
        "/facilities",
        "/cost-centers",
        "/policies",
        "/notices",
        "/costs/report",
        "/invoices",
    ] {
        let body = page(path.to_owned()).await;
        // The header names the company, its number as the country writes it on hover.
        assert!(
            body.contains(&format!("title=\"{}\"", c.org_number)),
            "{path}: the header's company carries {}",
            c.org_number
        );
    }
    // Pages with amounts show them in the company's currency, the country's way.
    for path in [
        "/history?year=2026&month=10".to_owned(),
        "/costs?year=2026&month=10".to_owned(),
        "/invoices".to_owned(),
        format!("/invoices/{invoice}"),
    ] {
        let body = page(path.clone()).await;
        assert!(body.contains(c.money), "{path} shows {:?}", c.money);
    }
    // The invoice names the company by its number.
    let body = page(format!("/invoices/{invoice}")).await;
    assert!(
        body.contains(&format!(
            "<span class=\"org-number\">{}</span>",
            c.org_number
        )),
        "the invoice shows {}",
        c.org_number
    );
    // The night's session is in its local month, dated by the local calendar, with the
    // plate written the country's way; the other month does not have it.
    let month = |m: u32| {
        format!(
            "/history?year=2026&month={m}&plate={}",
            app::url::encode_component(c.plate_shown)
        )
    };
    let other = if c.night_month == 11 { 10 } else { 11 };
    let body = page(month(c.night_month)).await;
    let row = body
        .split("<tr")
        .find(|r| r.contains(c.plate_shown) && r.contains("<td"))
        .unwrap_or_else(|| panic!("month {} has {}", c.night_month, c.plate_shown));
    assert!(
        row.contains(c.night_date),
        "dated {} locally: {row}",
        c.night_date
    );
    let body = page(month(other)).await;
    assert!(
        !body.contains(&format!(">{}<", c.plate_shown)),
        "month {other} does not have the night's session"
    );

    // The monthly report of October, in the country's language (the settings page offers it
    // by default), with the company's number and currency.
    let scope = app::auth::OperatorAccess::command_line().scope(company);
    let admin: Uuid = with_pool!(&t.db, |pool| {
        sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(c.admin)
            .fetch_one(pool)
            .await
            .unwrap()
    });
    let mut tx = t.db.begin().await.unwrap();
    app::reports::store::save(
        &mut tx,
        scope,
        c.lang,
        app::calendar::month_index(2026, 10),
        &[admin],
        0,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // 2 November 2026, 10:00 UTC: October is the last complete month in both countries.
    let now = 1_793_613_600;
    assert!(
        app::reports::service::send_due(&t.db, "https://portal.example", now)
            .await
            .unwrap()
            >= 1
    );
    let (subject, text): (String, String) = with_pool!(&t.db, |pool| {
        sqlx::query_as(
            "SELECT subject, text_body FROM outbox WHERE to_email = $1 AND kind = 'monthly_report'",
        )
        .bind(c.admin)
        .fetch_one(pool)
        .await
        .unwrap()
    });
    assert!(subject.starts_with(c.report_word), "{subject}");
    assert!(
        text.contains(&format!("({})", c.org_number)),
        "the report names {}: {text}",
        c.org_number
    );
    assert!(
        text.contains(c.money),
        "the report is in {:?}: {text}",
        c.money
    );
    for other in c.foreign_money {
        assert!(!text.contains(other), "the report shows {other:?}: {text}");
    }
}

macro_rules! per_country_on_both {
    ($($name:ident: $country:expr),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $name() {
                super::a_company_of(app::db::Backend::Sqlite, &$country).await;
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $name() {
                super::a_company_of(app::db::Backend::Postgres, &$country).await;
            })*
        }
    };
}

per_country_on_both!(
    a_finnish_company_is_shown_as_a_finn_writes_it: super::FINLAND,
    a_norwegian_company_is_shown_as_a_norwegian_writes_it: super::NORWAY,
);
