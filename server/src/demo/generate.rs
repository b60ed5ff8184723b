//! `portal demo`: the generator's arguments, its report, and the order of its steps.

use std::{fmt, time::Instant};

use app::{
    auth::OperatorAccess,
    companies::store::{self as companies, CompanyRow, CostCenterRow},
    db::Db,
    facilities::{Acceptance, FacilityKind},
    ingest::{
        service as ingest_service,
        wire::{AcceptanceIn, FacilityIn, FacilityKindIn},
    },
    org_number::Country,
};
use chrono::{Datelike, NaiveDate, Utc};
use rand::{rngs::StdRng, SeedableRng};
use uuid::Uuid;

use super::{
    catalog::{
        CompanySpec, BIG, CITIES, DEMO_ACCOUNTS, DEMO_FINNISH_ADMIN, DEMO_FRONT_DESK,
        DEMO_NORWEGIAN_ADMIN, NORDIC_CITIES, SMALL,
    },
    invoices::generate_invoices,
    parts::{ingest, new_id, DemoFacility, DemoMember},
    people::{add_front_desk, People},
    sessions::{break_the_rules, generate_sessions, park_now},
};

#[derive(clap::Args, Debug, Clone)]
pub struct DemoArgs {
    /// Seed of the random generator: the same seed gives the same data.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Members of the large demo company.
    #[arg(long, default_value_t = 200)]
    pub members: usize,
    /// Sessions of the large demo company, spread over 13 months.
    #[arg(long, default_value_t = 50_000)]
    pub sessions: usize,
    /// Last day of the generated period (YYYY-MM-DD); today by default.
    #[arg(long)]
    pub until: Option<NaiveDate>,
}

impl Default for DemoArgs {
    fn default() -> Self {
        Self {
            seed: 2026,
            members: 200,
            sessions: 50_000,
            until: None,
        }
    }
}

/// What was generated and how long it took.
pub struct Report {
    pub companies: usize,
    pub members: usize,
    pub sessions: u64,
    pub invoices: usize,
    pub seconds: f64,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "demo data: {} companies, {} memberships, {} sessions, {} invoices in {:.1} s\n\
             sign in as (demo accounts):\n{}",
            self.companies,
            self.members,
            self.sessions,
            self.invoices,
            self.seconds,
            DEMO_ACCOUNTS
                .iter()
                .chain([&DEMO_FRONT_DESK])
                .chain([&DEMO_FINNISH_ADMIN, &DEMO_NORWEGIAN_ADMIN])
                .map(|a| format!("  {:<36} {}", a.label, a.email))
                .collect::<Vec<_>>()
                .join("\n")
        )
    }
}

/// Generates the demo data: the operator's facilities, then each company with its cost
/// centers, people, sessions and invoices. The same seed and `until` give the same data.
pub async fn generate(db: &Db, args: &DemoArgs) -> Result<Report, Box<dyn std::error::Error>> {
    let started = Instant::now();
    let until = args.until.unwrap_or_else(|| Utc::now().date_naive());
    let mut rng = StdRng::seed_from_u64(args.seed);
    let now = Utc::now().timestamp();
    // The demo generator is one of the operator's tools (`auth::OperatorAccess`); the
    // operator's data (facilities, app users, sessions, invoices) goes in through the
    // ingestion service like the back office's, the company's own set-up (the company, its
    // cost centers and members) through the stores, as customer service and the company's
    // administrators make it.
    let access = app::auth::OperatorAccess::command_line();

    // Facilities are the operator's, shared by every company.
    let all_facilities = send_facilities(db, &access).await?;
    // Only facilities where the company account works get company sessions, each company's
    // in its own country (the Swedish list is what it was before Helsinki and Oslo came).
    let usable_in = |country: Country| -> Vec<usize> {
        (0..all_facilities.len())
            .filter(|&i| {
                all_facilities[i].acceptance != Acceptance::No
                    && all_facilities[i].country == country
            })
            .collect()
    };
    let usable = usable_in(Country::Se);
    let (usable_fi, usable_no) = (usable_in(Country::Fi), usable_in(Country::No));

    let mut report = Report {
        companies: 0,
        members: 0,
        sessions: 0,
        invoices: 0,
        seconds: 0.0,
    };
    let small_members = 8;
    let small_sessions = (args.sessions / 100).max(200);
    let mut shared_member: Option<DemoMember> = None;
    let mut people = People {
        db,
        access: &access,
        usable: &usable,
        app_user_seq: 0,
        now,
    };

    for (index, spec) in std::iter::once(&BIG).chain(SMALL.iter()).enumerate() {
        let is_big = index == 0;
        let tz = spec.time_zone;
        let (company, cost_centers) = create_company(db, &access, &mut rng, spec, now).await?;
        let own_usable: &[usize] = match spec.country() {
            Country::Se => &usable,
            Country::Fi => &usable_fi,
            Country::No => &usable_no,
        };
        people.usable = own_usable;
        report.companies += 1;
        let scope = access.scope(company.id);

        let n_members = if is_big {
            args.members.max(6)
        } else {
            small_members
        };
        let mut members = people
            .members(&mut rng, spec, scope, is_big, n_members, &cost_centers)
            .await?;
        if is_big {
            seed_policies(db, scope, &cost_centers, &members, now).await?;
        }
        report.members += members.len();
        if is_big {
            // The last demo account also works for the first small company.
            let last = &members[DEMO_ACCOUNTS.len() - 1];
            shared_member = Some(DemoMember {
                email: last.email.clone(),
                app_user: last.app_user.clone(),
                plates: last.plates.clone(),
                cost_center: String::new(),
                home_facility: usable[0],
            });
            add_front_desk(db, scope, &company, &all_facilities[usable[0]].code, now).await?;
            report.members += 1;
            // Up to today (`make run`, not a fixed --until): a few cars parked right now, so
            // the front desk's "parked now" has something to show.
            if args.until.is_none() {
                report.sessions += park_now(
                    db,
                    &access,
                    spec.org_number,
                    &all_facilities[usable[0]].code,
                    now,
                )
                .await?;
                // And a recent weekend's charge that breaks the second cost center's rules.
                let charger = usable
                    .iter()
                    .find(|&&i| all_facilities[i].has_chargers)
                    .unwrap_or(&usable[0]);
                if let Some((_, code)) = cost_centers.get(1) {
                    report.sessions += break_the_rules(
                        db,
                        &access,
                        spec.org_number,
                        &all_facilities[*charger].code,
                        code,
                        tz,
                        now,
                    )
                    .await?;
                }
            }
        }
        // The member of two companies also works for the first small company.
        if index == 1 {
            if let Some(shared) = shared_member.take() {
                members.push(
                    people
                        .also_member(&mut rng, shared, scope, &cost_centers[0])
                        .await?,
                );
                report.members += 1;
            }
        }

        let n_sessions = if is_big {
            args.sessions
        } else {
            small_sessions
        };
        let (inserted, lines) = generate_sessions(
            db,
            &access,
            &mut rng,
            &company,
            &members,
            &all_facilities,
            own_usable,
            n_sessions,
            until,
            tz,
        )
        .await?;
        report.sessions += inserted;
        // The invoices look the sessions up by operator id: with fresh statistics, through
        // the index (`db::analyze`; autovacuum would, minutes later).
        app::db::analyze(db).await?;
        if is_big {
            seed_budgets(db, scope, &cost_centers, until, now).await?;
        }
        report.invoices +=
            generate_invoices(db, &access, &mut rng, &company, lines, until, tz, index).await?;
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// The big company's rules, set before its sessions arrive so that ingestion judges them, in
/// force since 2020 (a fixed date: the demo data is the same whenever it is made):
/// - its second cost center: "weekdays 06–20, parking only, at most 10 hours, 2,000 kr a
///   month" (the random sessions include Saturday charges and long stays that break them);
/// - the first member of that cost center who parks two cars: "only registered vehicles",
///   with the first car registered (the second car's sessions are an unregistered plate);
/// - its third cost center: only the facilities of the first city (its sessions elsewhere
///   are at a facility not allowed).
async fn seed_policies(
    db: &Db,
    scope: app::scope::CompanyScope,
    cost_centers: &[(Uuid, String)],
    members: &[DemoMember],
    now: i64,
) -> Result<(), Box<dyn std::error::Error>> {
    use app::policies::model::{Rules, Target};
    let Some((center, code)) = cost_centers.get(1) else {
        return Ok(());
    };
    let rules = Rules {
        weekdays: Some(0b001_1111),
        hours: Some((6 * 60, 20 * 60)),
        parking_allowed: Some(true),
        charging_allowed: Some(false),
        max_stay_minutes: Some(10 * 60),
        monthly_cap: Some(200_000),
        ..Rules::default()
    };
    let since_2020 = 1_577_833_200;
    let two_cars = members
        .iter()
        .find(|m| &m.cost_center == code && m.plates.len() == 2 && m.app_user.is_some());
    let two_cars = match two_cars {
        Some(m) => app::policies::store::member(db, scope, None, &m.email)
            .await?
            .map(|found| (found.id, m.plates[0].clone())),
        None => None,
    };
    let first_city: Vec<Uuid> = app::facilities::store::account_facilities(db)
        .await?
        .into_iter()
        .filter(|f| f.city == CITIES[0].0)
        .map(|f| f.id)
        .collect();
    let mut tx = db.begin().await?;
    app::policies::store::insert_version(
        &mut tx,
        scope,
        Target::CostCenter(*center),
        &rules,
        since_2020,
        None,
    )
    .await?;
    if let Some((user, plate)) = two_cars {
        let only_registered = Rules {
            only_registered: Some(true),
            ..Rules::default()
        };
        app::policies::store::insert_version(
            &mut tx,
            scope,
            Target::Member(user),
            &only_registered,
            since_2020,
            None,
        )
        .await?;
        app::policies::store::add_vehicle(&mut tx, scope, user, &plate, now).await?;
    }
    if let (Some((third, _)), false) = (cost_centers.get(2), first_city.is_empty()) {
        let mut facilities = first_city;
        facilities.sort();
        let only_there = Rules {
            facilities: Some(facilities),
            ..Rules::default()
        };
        app::policies::store::insert_version(
            &mut tx,
            scope,
            Target::CostCenter(*third),
            &only_there,
            since_2020,
            None,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The big company's budgets, from what its sessions cost in `until`'s month: the second
/// cost center's budget set so that the month stands at 85 % of it (the budget alert at 80 %
/// fires, the forecast shows where the month is going), and the company's at twice its
/// month. Derived from the generated data, so the same seed and `until` give the same
/// budgets.
async fn seed_budgets(
    db: &Db,
    scope: app::scope::CompanyScope,
    cost_centers: &[(Uuid, String)],
    until: NaiveDate,
    now: i64,
) -> Result<(), Box<dyn std::error::Error>> {
    use app::costs::store;
    let month = app::calendar::month_index(until.year(), until.month());
    let groups = store::grouped(db, scope, store::GroupBy::CostCenter, month, month + 1).await?;
    let total: i64 = groups.iter().map(|g| g.m.amount_ore).sum();
    let second = cost_centers.get(1).map(|(id, _)| *id);
    let spent: i64 = groups
        .iter()
        .filter(|g| Some(g.key) == second)
        .map(|g| g.m.amount_ore)
        .sum();
    let mut tx = db.begin().await?;
    if total > 0 {
        // Whole kronor.
        store::set_budget(&mut tx, scope, None, Some((total * 2 / 100 + 1) * 100), now).await?;
    }
    if let (Some(center), true) = (second, spent > 0) {
        store::set_budget(
            &mut tx,
            scope,
            Some(center),
            Some((spent * 100 / 85 / 100 + 1) * 100),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Sends the operator's facilities of every city through the ingestion service.
async fn send_facilities(
    db: &Db,
    access: &OperatorAccess,
) -> Result<Vec<DemoFacility>, Box<dyn std::error::Error>> {
    // Every Swedish city's facilities, then Helsinki's and Oslo's: the Swedish ones keep their
    // codes and places in the list.
    let swedish = CITIES
        .iter()
        .enumerate()
        .map(|(ci, (city, hourly, specs))| {
            (
                format!("AIMO-SE-{:02}", ci + 1),
                *city,
                Country::Se,
                *hourly,
                *specs,
            )
        });
    let nordic = NORDIC_CITIES.iter().map(|(city, country, hourly, specs)| {
        (
            format!("AIMO-{}-01", country.code()),
            *city,
            *country,
            *hourly,
            *specs,
        )
    });
    let mut all_facilities: Vec<DemoFacility> = Vec::new();
    let mut facility_records = Vec::new();
    for (prefix, city, country, hourly, specs) in swedish.chain(nordic) {
        for (fi, (name, address, kind, acceptance, note, chargers)) in specs.iter().enumerate() {
            let code = format!("{prefix}{:02}", fi + 1);
            facility_records.push(FacilityIn {
                id: code.clone(),
                version: 1,
                name: (*name).into(),
                address: (*address).into(),
                city: city.into(),
                kind: match kind {
                    FacilityKind::Street => FacilityKindIn::Street,
                    FacilityKind::CameraGarage => FacilityKindIn::CameraGarage,
                    FacilityKind::BarrierGarage => FacilityKindIn::BarrierGarage,
                    FacilityKind::Surface => FacilityKindIn::Surface,
                },
                company_account: match acceptance {
                    Acceptance::Yes => AcceptanceIn::Yes,
                    Acceptance::Some => AcceptanceIn::Some,
                    Acceptance::No => AcceptanceIn::No,
                },
                company_account_note: (*note).into(),
                has_chargers: *chargers,
                country: country.into(),
            });
            all_facilities.push(DemoFacility {
                code,
                acceptance: *acceptance,
                has_chargers: *chargers,
                hourly,
                country,
            });
        }
    }
    ingest("facilities", facility_records, async |batch| {
        ingest_service::facilities(db, access, batch).await
    })
    .await?;
    Ok(all_facilities)
}

/// Creates the company and its cost centers, as customer service and its administrators do;
/// returns the company and its cost centers' ids and codes.
async fn create_company(
    db: &Db,
    access: &OperatorAccess,
    rng: &mut StdRng,
    spec: &CompanySpec,
    now: i64,
) -> Result<(CompanyRow, Vec<(Uuid, String)>), Box<dyn std::error::Error>> {
    let company = CompanyRow {
        id: new_id(rng),
        name: spec.name.into(),
        org_number: spec.org_number.into(),
        time_zone: spec.time_zone.name().into(),
        currency: spec.currency.into(),
    };
    companies::insert_company(db, &company, now)
        .await
        .map_err(|e| {
            format!(
                "cannot create demo company {} (does this database already hold demo data?): {e}",
                spec.name
            )
        })?;
    // A new company's empty cost rollups are complete (history/rollup.rs).
    let mut tx = db.begin().await?;
    app::history::rollup::mark_filled(&mut tx, company.id).await?;
    tx.commit().await?;
    let scope = access.scope(company.id);
    let mut cost_centers = Vec::new();
    for (code, name) in spec.cost_centers {
        let cc = CostCenterRow {
            id: new_id(rng),
            company_id: company.id,
            code: (*code).into(),
            name: (*name).into(),
        };
        companies::insert_cost_center(db, scope, &cc, now).await?;
        cost_centers.push((cc.id, cc.code));
    }
    Ok((company, cost_centers))
}
