//! The front desk's day view at the daily guest quota (not a test: `make bench-frontdesk`).
//! A company's reception registered 1,000 guests today (200 an hour for five hours, the most
//! the quota allows), every 7th guest's car came and half of those left again, and the
//! tablet asks for the list every 20 seconds (`service::today`, what `/api/front_desk`
//! answers). Timed on SQLite and PostgreSQL through the front desk service; the figures go to
//! docs/benchmarks.md ("Front desk at the quota", issue 28).

use std::time::Instant;

use app::{
    auth::TenantCtx,
    companies::{
        store::{self as companies, CompanyRow, NewMembership},
        Email, Role,
    },
    db::{Backend, Db},
    facilities::{store as facilities, Acceptance, Facility, FacilityKind},
    frontdesk::service::{self, GuestForm, GUESTS_PER_DAY, GUESTS_PER_HOUR},
    history::{store::NewSession, SessionKind},
    i18n::Lang,
    scope::CompanyScope,
    testing::TestDb,
};
use uuid::Uuid;

/// 2026-11-18 12:06:40 in Stockholm: five hours of registrations end the same day.
const NOW: i64 = 1_795_000_000;
const ROUNDS: usize = 200;

/// A company with a facility where its account works and a front-desk account.
async fn reception(db: &Db) -> (TenantCtx, Uuid, Uuid) {
    let company = Uuid::new_v4();
    let row = CompanyRow {
        id: company,
        name: "Kvot AB".into(),
        org_number: "556000-4243".into(),
        time_zone: "Europe/Stockholm".into(),
        currency: "SEK".into(),
    };
    companies::insert_company(db, &row, 0).await.unwrap();
    let facility = Facility {
        id: Uuid::new_v4(),
        name: "Garage Kvot".into(),
        address: "Storgatan 1".into(),
        city: "Stockholm".into(),
        kind: FacilityKind::CameraGarage,
        company_account: Acceptance::Yes,
        company_account_note: String::new(),
        has_chargers: false,
    };
    let new = facilities::NewFacility {
        external_ref: "FQ".into(),
        facility: facility.clone(),
        version: 1,
        country: app::org_number::Country::Se,
    };
    facilities::upsert(db, &new).await.unwrap();
    let email = Email::parse("desk@kvot.se").unwrap();
    let desk = companies::upsert_user(db, Uuid::new_v4(), &email, "Receptionen", 0)
        .await
        .unwrap();
    let membership = NewMembership {
        user_id: desk,
        role: Role::FrontDesk,
        default_cost_center_id: None,
        invited_email: None,
    };
    companies::add_membership(db, CompanyScope::for_tests(company), &membership, 0)
        .await
        .unwrap();
    let ctx = TenantCtx::from_database(db, desk, company).await.unwrap();
    (ctx, company, facility.id)
}

/// A day at the quota: 1,000 guests, every 7th one's car came, every 14th left again.
async fn a_full_day(db: &Db, desk: &TenantCtx, company: Uuid, facility: Uuid) {
    let fac = facility.to_string();
    let plate = |n: i64| format!("QT {n:04}");
    let at = |n: i64| NOW + (n / GUESTS_PER_HOUR) * 3_600 + n % GUESTS_PER_HOUR;
    for n in 0..GUESTS_PER_DAY {
        let form = GuestForm {
            plate: &plate(n),
            visitor_name: "Besökare",
            host: "",
            facility: &fac,
            until: "today",
            until_at: "",
        };
        service::register(db, desk, &form, at(n)).await.unwrap();
    }
    let mut sessions: Vec<NewSession> = (0..GUESTS_PER_DAY)
        .filter(|n| n % 7 == 0)
        .map(|n| NewSession {
            id: Uuid::nil(),
            company_id: company,
            user_id: None,
            plate: plate(n),
            facility_id: facility,
            kind: SessionKind::Parking,
            started_at: at(n) + 60,
            ended_at: (n % 14 == 0).then_some(at(n) + 660),
            energy_wh: None,
            amount_ore: 5_000,
            vat_ore: 1_000,
            cost_center_id: None,
            source: "bench".into(),
            external_ref: format!("Q{n}"),
            version: 1,
            policy_flags: 0,
        })
        .collect();
    app::testing::insert_sessions(db, &mut sessions)
        .await
        .unwrap();
}

pub async fn bench_front_desk() {
    println!(
        "| Day view at the quota ({GUESTS_PER_DAY} guests), {ROUNDS} calls | engine | p50 ms | p95 ms | max ms |"
    );
    println!("|---|---|---|---|---|");
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let t = TestDb::fresh(backend).await;
        let (desk, company, facility) = reception(&t.db).await;
        a_full_day(&t.db, &desk, company, facility).await;
        let later = NOW + 5 * 3_600 + 60;
        let mut ms = Vec::with_capacity(ROUNDS);
        for round in 0..=ROUNDS {
            let start = Instant::now();
            let view = service::today(&t.db, &desk, later, false, Lang::Sv)
                .await
                .unwrap();
            // The first call warms the caches and is not counted.
            if round > 0 {
                ms.push(start.elapsed().as_secs_f64() * 1000.0);
            }
            assert_eq!(view.guests.len(), GUESTS_PER_DAY as usize);
        }
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
        println!(
            "| `service::today` (what `/api/front_desk` answers) | {} | {:.1} | {:.1} | {:.1} |",
            backend.name(),
            at(0.5),
            at(0.95),
            at(1.0)
        );
    }
}
