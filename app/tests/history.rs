//! The history filters, totals, keyset paging and export chunks on SQLite and PostgreSQL.
//! Every filter is checked against a plain Rust filter over the same generated sessions.

use app::scope::CompanyScope;
use std::collections::HashSet;

use app::{
    auth::TenantCtx,
    companies::{
        store::{self as companies, CompanyRow, CostCenterRow, NewMembership},
        Email, Role,
    },
    db::Db,
    facilities::{
        store::{self as facilities, NewFacility},
        Acceptance, Facility, FacilityKind,
    },
    history::{
        filter::{self, Filter},
        store::{self as history, NewSession},
        HistoryQuery, SessionKind,
    },
    on_both_databases,
};
use chrono::TimeZone;
use uuid::Uuid;

on_both_databases!(
    every_filter_returns_exactly_its_rows_and_totals,
    keyset_pages_neither_skip_nor_repeat_when_sessions_arrive,
    a_member_sees_only_their_own_sessions,
    months_follow_the_local_calendar_across_daylight_saving,
    sorting_by_cost_and_duration_pages_through_everything,
    export_chunks_hold_every_row_with_the_right_names,
    a_chunk_built_ahead_is_the_chunk_built_on_request,
    the_sqlite_json_chunk_equals_the_rows_read_one_by_one,
    the_rollups_equal_a_recount_after_a_random_stream_of_changes,
    the_cost_report_and_its_history_links_add_up_to_a_plain_sum,
    an_invoice_specification_adds_up_to_the_invoice,
    a_new_default_cost_center_tags_new_sessions_only,
    a_defaults_file_applies_whole_or_not_at_all,
    overdue_cannot_be_stored,
    a_month_is_the_sum_of_its_days_and_its_rollup_in_every_zone_at_the_hard_moments,
    the_cost_pages_others_row_leads_to_each_of_them_by_name,
);

const TZ: chrono_tz::Tz = chrono_tz::Europe::Stockholm;

struct World {
    acme: Uuid,
    beta: Uuid,
    people: Vec<Uuid>,
    owner: Uuid,
    member: Uuid,
    facilities: Vec<Uuid>,
    centers: Vec<Uuid>,
    sessions: Vec<NewSession>,
}

fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    // `earliest`: in October's repeated hour the first of the two instants is meant.
    TZ.with_ymd_and_hms(y, m, d, h, min, 0)
        .earliest()
        .unwrap()
        .timestamp()
}

async fn person(db: &Db, company: Uuid, email: &str, name: &str, role: Role) -> Uuid {
    let id = companies::upsert_user(db, Uuid::new_v4(), &Email::parse(email).unwrap(), name, 0)
        .await
        .unwrap();
    companies::add_membership(
        db,
        CompanyScope::for_tests(company),
        &NewMembership {
            user_id: id,
            role,
            default_cost_center_id: None,
            invited_email: None,
        },
        0,
    )
    .await
    .unwrap();
    id
}

/// A small deterministic generator (no dependency, same numbers on both engines).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

async fn world(db: &Db) -> World {
    let mut companies_ids = vec![];
    for (name, org) in [("Acme AB", "556000-0001"), ("Beta AB", "556000-0002")] {
        let c = CompanyRow {
            id: Uuid::new_v4(),
            name: name.into(),
            org_number: org.into(),
            time_zone: "Europe/Stockholm".into(),
            currency: "SEK".into(),
        };
        companies::insert_company(db, &c, 0).await.unwrap();
        companies_ids.push(c.id);
    }
    let (acme, beta) = (companies_ids[0], companies_ids[1]);
    let owner = person(db, acme, "owner@acme.se", "Olle Ägare", Role::Owner).await;
    let member = person(db, acme, "maja@acme.se", "Maja Svensson", Role::Member).await;
    let evil = person(db, acme, "evil@acme.se", "=HYPERLINK(\"x\")", Role::Member).await;
    let other = person(db, beta, "bo@beta.se", "Bo Beta", Role::Owner).await;
    let mut facility_ids = vec![];
    for (i, (name, city)) in [
        ("P-hus Klara", "Stockholm"),
        ("Garage Öst", "Malmö"),
        ("Ytan", "Uppsala"),
    ]
    .into_iter()
    .enumerate()
    {
        let f = Facility {
            id: Uuid::new_v4(),
            name: name.into(),
            address: "Storgatan 1".into(),
            city: city.into(),
            kind: FacilityKind::CameraGarage,
            company_account: Acceptance::Yes,
            company_account_note: String::new(),
            has_chargers: true,
        };
        facilities::upsert(
            db,
            &NewFacility {
                external_ref: format!("F{i}"),
                version: 0,
                country: app::org_number::Country::Se,
                facility: f.clone(),
            },
        )
        .await
        .unwrap();
        facility_ids.push(f.id);
    }
    let mut centers = vec![];
    for code in ["100", "200"] {
        let cc = CostCenterRow {
            id: Uuid::new_v4(),
            company_id: acme,
            code: code.into(),
            name: format!("CC {code}"),
        };
        companies::insert_cost_center(db, CompanyScope::for_tests(cc.company_id), &cc, 0)
            .await
            .unwrap();
        centers.push(cc.id);
    }
    let plates = ["ABC 123", "XYZ 98A", "MLB 456"];
    let people = [owner, member, evil];
    let mut rng = Lcg(7);
    let mut sessions = vec![];
    // 400 sessions for Acme from January to April 2026, some on the same second (ties for
    // the keyset), and 50 for Beta on the same days with the same plates.
    for n in 0..450 {
        let (company, user) = if n < 400 {
            (acme, Some(people[rng.next(3) as usize]))
        } else {
            (beta, Some(other))
        };
        // Whole hours over 120 days: several sessions share a start (ties for the keyset).
        let started_at = local(2026, 1, 1, 0, 0) + rng.next(120 * 24) as i64 * 3_600;
        let charging = rng.next(4) == 0;
        let ongoing = rng.next(25) == 0;
        let amount = 500 + rng.next(20_000) as i64;
        sessions.push(NewSession {
            id: Uuid::new_v4(),
            company_id: company,
            user_id: if rng.next(20) == 0 { None } else { user },
            plate: plates[rng.next(3) as usize].into(),
            facility_id: facility_ids[rng.next(3) as usize],
            kind: if charging {
                SessionKind::Charging
            } else {
                SessionKind::Parking
            },
            started_at,
            ended_at: (!ongoing).then(|| started_at + 600 + rng.next(20_000) as i64),
            energy_wh: charging.then(|| rng.next(60_000) as i64),
            amount_ore: amount,
            vat_ore: amount / 5,
            cost_center_id: (company == acme && rng.next(3) > 0)
                .then(|| centers[rng.next(2) as usize]),
            source: "test".into(),
            version: 0,
            policy_flags: 0,
            external_ref: format!("s{n}"),
        });
    }
    app::testing::insert_sessions(db, &mut sessions)
        .await
        .unwrap();
    World {
        acme,
        beta,
        people: people.to_vec(),
        owner,
        member,
        facilities: facility_ids,
        centers,
        sessions,
    }
}

async fn ctx(db: &Db, user: Uuid, company: Uuid) -> TenantCtx {
    TenantCtx::from_database(db, user, company).await.unwrap()
}

/// Now = 2026-04-15 (so the default period is April 2026).
fn now() -> i64 {
    local(2026, 4, 15, 12, 0)
}

async fn resolve(c: &TenantCtx, q: &HistoryQuery) -> Filter {
    filter::resolve(c, q, now()).await.unwrap()
}

/// Every row of a filter, walking the keyset pages.
async fn walk(db: &Db, f: &Filter) -> Vec<Uuid> {
    let mut f = f.clone();
    let mut out = vec![];
    loop {
        let (rows, next) = history::page(db, &f).await.unwrap();
        out.extend(rows.iter().map(|r| r.id));
        match next {
            Some(c) => f.after = Some(parse_cursor(&c)),
            None => return out,
        }
    }
}

fn parse_cursor(c: &str) -> (i64, Uuid) {
    let (k, id) = c.split_once('.').unwrap();
    (k.parse().unwrap(), Uuid::parse_str(id).unwrap())
}

/// The people of the world: (id, name, email), for matching a text filter in plain Rust.
fn people(w: &World) -> Vec<(Uuid, &'static str, &'static str)> {
    vec![
        (w.people[0], "Olle Ägare", "owner@acme.se"),
        (w.people[1], "Maja Svensson", "maja@acme.se"),
        (w.people[2], "=HYPERLINK(\"x\")", "evil@acme.se"),
    ]
}

/// The sessions a filter means, by a plain Rust reading of the same rules. `member_text` is
/// the test's own text filter (matched here, not by the code under test).
fn expected<'a>(w: &'a World, f: &Filter, member_text: Option<&str>) -> Vec<&'a NewSession> {
    let by_text: Option<Vec<Uuid>> = member_text.map(|t| {
        let t = t.to_lowercase();
        people(w)
            .into_iter()
            .filter(|(_, name, email)| name.to_lowercase().contains(&t) || email.contains(&t))
            .map(|(id, ..)| id)
            .collect()
    });
    w.sessions
        .iter()
        .filter(|s| s.company_id == f.scope.company_id())
        .filter(|s| s.started_at >= f.from && s.started_at < f.to)
        .filter(|s| {
            by_text
                .as_ref()
                .is_none_or(|u| s.user_id.is_some_and(|id| u.contains(&id)))
        })
        .filter(|s| {
            f.users
                .as_ref()
                .is_none_or(|u| s.user_id.is_some_and(|id| u.contains(&id)))
        })
        .filter(|s| f.plate.as_ref().is_none_or(|p| p.contains(&s.plate)))
        .filter(|s| match f.cost_center {
            None => true,
            Some(filter::CostCenterChoice::Unassigned) => s.cost_center_id.is_none(),
            Some(filter::CostCenterChoice::Is(c)) => s.cost_center_id == Some(c),
        })
        .filter(|s| f.facility.is_none_or(|fa| s.facility_id == fa))
        .filter(|s| f.kind.is_none_or(|k| s.kind == k))
        .collect()
}

fn q(pairs: &[(&str, String)]) -> HistoryQuery {
    let mut q = HistoryQuery::default();
    for (k, v) in pairs {
        let v = v.clone();
        match *k {
            "year" => q.year = v,
            "month" => q.month = v,
            "from" => q.from = v,
            "to" => q.to = v,
            "member" => q.member = v,
            "plate" => q.plate = v,
            "cost_center" => q.cost_center = v,
            "facility" => q.facility = v,
            "kind" => q.kind = v,
            "sort" => q.sort = v,
            "size" => q.size = v,
            other => panic!("{other}"),
        }
    }
    q
}

async fn every_filter_returns_exactly_its_rows_and_totals(db: &Db) {
    let w = world(db).await;
    let owner = ctx(db, w.owner, w.acme).await;
    let s = |v: &str| v.to_owned();
    let filters: Vec<Vec<(&str, String)>> = vec![
        vec![],
        vec![("month", s("2"))],
        vec![("year", s("2026"))],
        vec![("year", s("2026")), ("month", s("all"))],
        vec![("from", s("2026-02-10")), ("to", s("2026-03-05"))],
        vec![("year", s("2026")), ("plate", s("abc123"))],
        vec![("year", s("2026")), ("member", w.people[1].to_string())],
        vec![("year", s("2026")), ("member", s("maja"))],
        vec![("year", s("2026")), ("member", s("nobody-matches"))],
        // Broad: every person; "_" matches literally (nobody has one), not as a wildcard.
        vec![("year", s("2026")), ("member", s("ACME"))],
        vec![("year", s("2026")), ("member", s("_"))],
        vec![
            ("year", s("2026")),
            ("cost_center", w.centers[0].to_string()),
        ],
        vec![
            ("year", s("2026")),
            ("facility", w.facilities[1].to_string()),
        ],
        vec![("year", s("2026")), ("kind", s("charging"))],
        // The sessions nobody tagged with a cost center (the cost page links here).
        vec![("year", s("2026")), ("cost_center", s("none"))],
        vec![
            ("month", s("3")),
            ("cost_center", s("none")),
            ("kind", s("parking")),
        ],
        vec![
            ("from", s("2026-03-29")),
            ("to", s("2026-04-02")),
            ("cost_center", w.centers[0].to_string()),
            ("facility", w.facilities[2].to_string()),
        ],
        vec![
            ("month", s("3")),
            ("plate", s("XYZ-98a")),
            ("kind", s("parking")),
            ("cost_center", w.centers[1].to_string()),
        ],
        vec![
            ("from", s("2026-01-15")),
            ("to", s("2026-04-30")),
            ("member", w.people[2].to_string()),
            ("facility", w.facilities[0].to_string()),
            ("size", s("25")),
        ],
    ];
    for pairs in filters {
        let f = resolve(&owner, &q(&pairs)).await;
        let member = pairs
            .iter()
            .find(|(k, _)| *k == "member")
            .map(|(_, v)| v.as_str());
        let text = member.filter(|m| Uuid::parse_str(m).is_err());
        if let Some(id) = member.and_then(|m| Uuid::parse_str(m).ok()) {
            assert_eq!(
                f.users,
                Some(vec![id]),
                "a member id filters by exactly that id"
            );
        }
        if let Some((_, raw)) = pairs.iter().find(|(k, _)| *k == "plate") {
            let shown = match raw.as_str() {
                "abc123" => "ABC 123",
                "XYZ-98a" => "XYZ 98A",
                other => panic!("add {other} here"),
            };
            // Every stored form of the plate (a Finnish garage writes ABC-123), the Swedish
            // one among them.
            let forms = f.plate.clone().expect("a plate filter");
            assert!(forms.contains(&shown.to_owned()), "{forms:?}");
            assert_eq!(
                Some(forms),
                app::plate::spellings(raw),
                "plates are normalised"
            );
        }
        let want = expected(&w, &f, text);
        if !matches!(text, Some("nobody-matches") | Some("_")) {
            assert!(
                !want.is_empty(),
                "{pairs:?} should find rows, or it tests nothing"
            );
        }
        let got = walk(db, &f).await;
        // Newest first; ties broken by id, also newest (largest) first.
        let mut sorted = want.clone();
        sorted.sort_by_key(|s| std::cmp::Reverse((s.started_at, s.id)));
        assert_eq!(
            got,
            sorted.iter().map(|s| s.id).collect::<Vec<_>>(),
            "{pairs:?}: order"
        );
        let t = history::filter_totals(db, &f).await.unwrap();
        assert_eq!(t.sessions as usize, want.len(), "{pairs:?}");
        assert_eq!(
            t.amount_ore,
            want.iter().map(|s| s.amount_ore).sum::<i64>(),
            "{pairs:?}"
        );
        assert_eq!(
            t.vat_ore,
            want.iter().map(|s| s.vat_ore).sum::<i64>(),
            "{pairs:?}"
        );
        assert_eq!(
            t.energy_wh,
            want.iter().filter_map(|s| s.energy_wh).sum::<i64>(),
            "{pairs:?}"
        );
        let parking: i64 = want
            .iter()
            .filter(|s| s.kind == SessionKind::Parking)
            .filter_map(|s| s.ended_at.map(|e| e - s.started_at))
            .sum();
        assert_eq!(t.parking_seconds, parking, "{pairs:?}");
        let beta: HashSet<Uuid> = w
            .sessions
            .iter()
            .filter(|s| s.company_id == w.beta)
            .map(|s| s.id)
            .collect();
        assert!(
            got.iter().all(|id| !beta.contains(id)),
            "another company's rows"
        );
    }
    // The filters above are not vacuous: the combined ones still find rows.
    let f = resolve(&owner, &q(&[("year", s("2026")), ("plate", s("ABC 123"))])).await;
    assert!(expected(&w, &f, None).len() > 20);
    // Bad values are refused naming the field.
    for (field, value) in [
        ("plate", "not a plate"),
        ("cost_center", "nope"),
        ("kind", "flying"),
        ("sort", "random"),
        ("size", "7"),
        ("month", "13"),
    ] {
        let err = filter::resolve(&owner, &q(&[(field, value.to_owned())]), now())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, app::error::AppError::Invalid { field: f, .. } if f == field),
            "{field}: {err:?}"
        );
    }
}

async fn keyset_pages_neither_skip_nor_repeat_when_sessions_arrive(db: &Db) {
    let mut w = world(db).await;
    let owner = ctx(db, w.owner, w.acme).await;
    let mut f = resolve(
        &owner,
        &q(&[("year", "2026".into()), ("size", "25".into())]),
    )
    .await;
    let before: Vec<Uuid> = expected(&w, &f, None).iter().map(|s| s.id).collect();
    let mut seen = vec![];
    let mut n = 0;
    loop {
        let (rows, next) = history::page(db, &f).await.unwrap();
        assert!(rows.len() <= 25);
        seen.extend(rows.iter().map(|r| r.id));
        // Between pages, new sessions arrive: one newer than everything, one in the middle.
        let base = &w.sessions[n % 400];
        let mut fresh = vec![];
        for (i, at) in [local(2026, 4, 30, 12, 0), base.started_at]
            .into_iter()
            .enumerate()
        {
            let mut s = base.clone();
            s.id = Uuid::new_v4();
            s.started_at = at;
            s.ended_at = Some(at + 60);
            s.external_ref = format!("late-{n}-{i}");
            fresh.push(s);
        }
        app::testing::insert_sessions(db, &mut fresh).await.unwrap();
        w.sessions.extend(fresh);
        n += 1;
        match next {
            Some(c) => f.after = Some(parse_cursor(&c)),
            None => break,
        }
    }
    let unique: HashSet<Uuid> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "a row was shown twice");
    for id in &before {
        assert!(
            unique.contains(id),
            "a row that existed from the start was skipped"
        );
    }
    assert!(n > 10, "enough pages to matter: {n}");
}

async fn a_member_sees_only_their_own_sessions(db: &Db) {
    let w = world(db).await;
    let maja = ctx(db, w.member, w.acme).await;
    // Asking for someone else's rows (by id or name) still gives only her own.
    for member in [w.owner.to_string(), "olle".to_owned(), String::new()] {
        let f = resolve(
            &maja,
            &q(&[("year", "2026".into()), ("member", member.clone())]),
        )
        .await;
        assert!(f.own_only);
        let got = walk(db, &f).await;
        let own: Vec<Uuid> = w
            .sessions
            .iter()
            .filter(|s| s.company_id == w.acme && s.user_id == Some(w.member))
            .map(|s| s.id)
            .collect();
        assert!(!own.is_empty());
        assert_eq!(got.len(), own.len(), "{member}");
        assert!(got.iter().all(|id| own.contains(id)), "{member}");
        let t = history::filter_totals(db, &f).await.unwrap();
        assert_eq!(t.sessions as usize, own.len());
    }
}

async fn months_follow_the_local_calendar_across_daylight_saving(db: &Db) {
    let w = world(db).await;
    let owner = ctx(db, w.owner, w.acme).await;
    // Remove the generated rows from the picture with a plate no one else has.
    let plate = "DST 001";
    let at = [
        ("feb", local(2026, 2, 28, 23, 59)),
        ("mar-first", local(2026, 3, 1, 0, 30)), // 23:30 UTC on 28 Feb
        ("mar-dst", local(2026, 3, 29, 3, 30)),  // just after the spring change
        ("mar-last", local(2026, 3, 31, 23, 30)), // 21:30 UTC on 31 Mar (summer time)
        ("apr", local(2026, 4, 1, 0, 30)),
        ("oct-last", local(2026, 10, 31, 23, 30)), // winter time again
        ("oct-dst", local(2026, 10, 25, 2, 30)),   // the repeated hour
        ("nov", local(2026, 11, 1, 0, 30)),
    ];
    let mut sessions: Vec<NewSession> = at
        .iter()
        .enumerate()
        .map(|(i, (_, t))| NewSession {
            id: Uuid::new_v4(),
            company_id: w.acme,
            user_id: Some(w.owner),
            plate: plate.into(),
            facility_id: w.facilities[0],
            kind: SessionKind::Parking,
            started_at: *t,
            ended_at: Some(t + 60),
            energy_wh: None,
            amount_ore: 100,
            vat_ore: 20,
            cost_center_id: None,
            version: 0,
            policy_flags: 0,
            source: "dst".into(),
            external_ref: format!("dst{i}"),
        })
        .collect();
    app::testing::insert_sessions(db, &mut sessions)
        .await
        .unwrap();
    for (month, want) in [
        ("2", vec!["feb"]),
        ("3", vec!["mar-first", "mar-dst", "mar-last"]),
        ("4", vec!["apr"]),
        ("10", vec!["oct-last", "oct-dst"]),
        ("11", vec!["nov"]),
    ] {
        let f = resolve(
            &owner,
            &q(&[
                ("year", "2026".into()),
                ("month", month.into()),
                ("plate", plate.into()),
            ]),
        )
        .await;
        let got: HashSet<Uuid> = walk(db, &f).await.into_iter().collect();
        let want: HashSet<Uuid> = at
            .iter()
            .zip(&sessions)
            .filter(|((name, _), _)| want.contains(name))
            .map(|(_, s)| s.id)
            .collect();
        assert_eq!(got, want, "month {month}");
    }
}

async fn sorting_by_cost_and_duration_pages_through_everything(db: &Db) {
    let w = world(db).await;
    let owner = ctx(db, w.owner, w.acme).await;
    for sort in ["cost", "duration"] {
        let f = resolve(
            &owner,
            &q(&[
                ("year", "2026".into()),
                ("sort", sort.into()),
                ("size", "25".into()),
            ]),
        )
        .await;
        let got = walk(db, &f).await;
        let mut want = expected(&w, &f, None);
        let key = |s: &NewSession| match sort {
            "cost" => s.amount_ore,
            _ => s.ended_at.unwrap_or(s.started_at) - s.started_at,
        };
        want.sort_by_key(|s| std::cmp::Reverse((key(s), s.id)));
        assert_eq!(got, want.iter().map(|s| s.id).collect::<Vec<_>>(), "{sort}");
    }
}

async fn export_chunks_hold_every_row_with_the_right_names(db: &Db) {
    let w = world(db).await;
    let owner = ctx(db, w.owner, w.acme).await;
    let mut f = resolve(&owner, &q(&[("year", "2026".into())])).await;
    f.limit = 64;
    let mut rows = vec![];
    // One export reuses the names its earlier chunks looked up (`ExportNames`): every chunk
    // must equal the chunk built with nothing known.
    let mut names = history::ExportNames::default();
    loop {
        let chunk = history::export_chunk_with(db, &f, &mut names)
            .await
            .unwrap();
        assert_eq!(chunk, history::export_chunk(db, &f).await.unwrap());
        for r in &chunk.rows {
            rows.push((
                chunk.members[r.0 as usize].clone(),
                chunk.plates[r.1 as usize].clone(),
                chunk.facilities[r.2 as usize].0.clone(),
                r.7,
                chunk.cost_centers[r.9 as usize].clone(),
            ));
        }
        match chunk.next {
            Some(c) => f.after = Some(parse_cursor(&c)),
            None => break,
        }
    }
    let mut want = expected(&w, &f, None);
    want.sort_by_key(|s| std::cmp::Reverse((s.started_at, s.id)));
    assert_eq!(rows.len(), want.len());
    let names = ["Olle Ägare", "Maja Svensson", "=HYPERLINK(\"x\")"];
    let fnames = ["P-hus Klara", "Garage Öst", "Ytan"];
    for (got, s) in rows.iter().zip(&want) {
        let name = s
            .user_id
            .and_then(|u| w.people.iter().position(|p| *p == u))
            .map(|i| names[i])
            .unwrap_or("");
        let fac = fnames[w
            .facilities
            .iter()
            .position(|x| *x == s.facility_id)
            .unwrap()];
        let cc = match s.cost_center_id {
            None => "",
            Some(c) if c == w.centers[0] => "100 CC 100",
            Some(_) => "200 CC 200",
        };
        assert_eq!(
            got,
            &(
                name.to_owned(),
                s.plate.clone(),
                fac.to_owned(),
                s.amount_ore,
                cc.to_owned()
            )
        );
    }
}

async fn a_chunk_built_ahead_is_the_chunk_built_on_request(db: &Db) {
    use app::history::ahead::{ReadAhead, MAX_AHEAD};
    let w = world(db).await;
    let owner = ctx(db, w.owner, w.acme).await;
    let mut f = resolve(&owner, &q(&[("year", "2026".into())])).await;
    f.limit = 64;
    let first = history::export_chunk(db, &f).await.unwrap();
    let next = Filter {
        after: Some(parse_cursor(first.next.as_deref().unwrap())),
        ..f.clone()
    };
    let ahead = ReadAhead::default();
    let take = |key: String| {
        let (ahead, next) = (ahead.clone(), next.clone());
        async move { ahead.take(&key, &next).await.map(|(chunk, _)| chunk) }
    };
    // Names known from the first chunk are reused, the rest looked up: the same chunk.
    let mut names = history::ExportNames::default();
    history::export_chunk_with(db, &f, &mut names)
        .await
        .unwrap();
    ahead.start("k".into(), db.clone(), next.clone(), names);
    assert_eq!(take("another key".into()).await, None);
    let built = take("k".into()).await.expect("built ahead");
    assert_eq!(built, history::export_chunk(db, &next).await.unwrap());
    assert!(!built.rows.is_empty());
    assert_eq!(take("k".into()).await, None, "taken once");
    // Built for another filter (the caller's role changed, say): not handed out.
    ahead.start("k".into(), db.clone(), next.clone(), Default::default());
    let member = ctx(db, w.member, w.acme).await;
    let mut pinned = resolve(&member, &q(&[("year", "2026".into())])).await;
    (pinned.limit, pinned.after) = (next.limit, next.after);
    assert!(ahead.take("k", &pinned).await.is_none(), "another filter");
    assert_eq!(take("k".into()).await, None, "and gone");

    for i in 0..MAX_AHEAD + 3 {
        ahead.start(
            format!("k{i}"),
            db.clone(),
            next.clone(),
            Default::default(),
        );
    }
    assert_eq!(ahead.len(), MAX_AHEAD, "bounded");
    assert_eq!(take("k0".into()).await, None, "the oldest made room");
    assert_eq!(take(format!("k{}", MAX_AHEAD + 2)).await, Some(built));
}

/// SQLite's export rows come as one JSON text (store.rs); they must be exactly the rows sqlx
/// reads one by one — guests without a member, rows without a cost center, charging and
/// parking, every page of several filters. (On PostgreSQL both are the same path.)
async fn the_sqlite_json_chunk_equals_the_rows_read_one_by_one(db: &Db) {
    let w = world(db).await;
    let owner = ctx(db, w.owner, w.acme).await;
    let filters = [
        q(&[("year", "2026".into())]),
        q(&[("year", "2026".into()), ("kind", "charging".into())]),
        q(&[("from", "2025-01-01".into()), ("to", "2026-12-31".into())]),
    ];
    for query in filters {
        let mut f = resolve(&owner, &query).await;
        f.limit = 50;
        let (mut pages, mut guests, mut no_center) = (0, 0, 0);
        loop {
            let fast = history::fetch_export_rows(db, &f).await.unwrap();
            let plain = history::export_rows_one_by_one(db, &f).await.unwrap();
            assert_eq!(fast, plain, "{query:?}, page {pages}");
            guests += fast.iter().filter(|r| r.user_id.is_none()).count();
            no_center += fast.iter().filter(|r| r.cost_center_id.is_none()).count();
            pages += 1;
            if fast.len() as i64 <= f.limit {
                break;
            }
            let last = &fast[f.limit as usize - 1];
            f.after = Some((last.started_at, last.id));
        }
        assert!(pages > 1, "{query:?}: several pages");
        if query.kind.is_empty() {
            assert!(guests > 0 && no_center > 0, "NULLs were compared too");
        }
    }
}

/// The cost rollups (history/rollup.rs) are kept by adding and subtracting each write's
/// sessions. After a random stream of new sessions, corrections (a higher version that moves
/// a session to another day, member, cost center, facility or kind, or ends it) and late
/// records (a lower version, ignored), they equal a recount from the sessions table; and the
/// start-up fill, which rebuilds them from scratch, gives the same again.
async fn the_rollups_equal_a_recount_after_a_random_stream_of_changes(db: &Db) {
    use app::history::rollup;
    let w = world(db).await;
    let mut rng = Lcg(99);
    let mut sessions = w.sessions.clone();
    for round in 0..12 {
        let mut batch = vec![];
        for _ in 0..40 {
            let i = rng.next(sessions.len() as u64) as usize;
            let mut s = sessions[i].clone();
            // One record per session and batch (the service refuses duplicates).
            if batch
                .iter()
                .any(|b: &NewSession| b.external_ref == s.external_ref)
            {
                continue;
            }
            match rng.next(6) {
                // Late: an older version of a stored session; must change nothing.
                0 => {
                    s.version -= 1;
                    s.amount_ore += 1_000_000;
                }
                // A correction that moves it: day (across a month end too), member, cost
                // center, facility, kind, and ends an ongoing one.
                _ => {
                    s.version += 1 + rng.next(3) as i64;
                    s.started_at += (rng.next(20 * 24) as i64 - 10 * 24) * 3_600;
                    s.ended_at = Some(s.started_at + 60 + rng.next(9_000) as i64);
                    if s.company_id == w.acme {
                        s.user_id = if rng.next(5) == 0 {
                            None
                        } else {
                            Some(w.people[rng.next(3) as usize])
                        };
                        s.cost_center_id = match rng.next(3) {
                            0 => None,
                            n => Some(w.centers[n as usize - 1]),
                        };
                    }
                    s.facility_id = w.facilities[rng.next(3) as usize];
                    if rng.next(3) == 0 {
                        s.kind = SessionKind::Charging;
                        s.energy_wh = Some(rng.next(40_000) as i64);
                    } else {
                        s.kind = SessionKind::Parking;
                        s.energy_wh = None;
                    }
                    s.amount_ore = 100 + rng.next(30_000) as i64;
                    s.vat_ore = s.amount_ore / 5;
                    sessions[i] = s.clone();
                }
            }
            batch.push(s);
        }
        // And new ones.
        for n in 0..10 {
            let mut s = sessions[rng.next(sessions.len() as u64) as usize].clone();
            s.id = Uuid::new_v4();
            s.external_ref = format!("r{round}-{n}");
            s.version = 0;
            sessions.push(s.clone());
            batch.push(s);
        }
        for company in [w.acme, w.beta] {
            let mine: Vec<NewSession> = batch
                .iter()
                .filter(|s| s.company_id == company)
                .cloned()
                .collect();
            history::insert_sessions(db, CompanyScope::for_tests(company), &mine)
                .await
                .unwrap();
        }
    }
    for company in [w.acme, w.beta] {
        let scope = CompanyScope::for_tests(company);
        let kept = rollup::stored(db, scope).await.unwrap();
        // Read in a transaction of its own, rolled back when dropped.
        let mut tx = db.begin().await.unwrap();
        let recount = rollup::recompute(&mut tx, scope).await.unwrap();
        drop(tx);
        assert!(!kept.days.is_empty() && !kept.months.is_empty());
        assert_eq!(kept, recount, "the rollups drifted from the sessions");
        // The recount is itself a plain sum: the sessions' total amount, every group added.
        let want: i64 = sessions
            .iter()
            .filter(|s| s.company_id == company)
            .map(|s| s.amount_ore)
            .sum();
        assert_eq!(kept.days.values().map(|m| m.amount_ore).sum::<i64>(), want);
        assert_eq!(
            kept.months.values().map(|m| m.amount_ore).sum::<i64>(),
            want
        );
    }
    // The test's companies were made by the store, not the operator's command, so the
    // start-up fill rebuilds both from scratch: the same rollups again.
    let before = rollup::stored(db, CompanyScope::for_tests(w.acme))
        .await
        .unwrap();
    assert_eq!(rollup::fill_missing(db).await.unwrap(), 2);
    assert_eq!(rollup::fill_missing(db).await.unwrap(), 0, "filled once");
    assert_eq!(
        rollup::stored(db, CompanyScope::for_tests(w.acme))
            .await
            .unwrap(),
        before
    );
}

/// The cost page's figures (from the rollups) and the history totals behind each of its rows
/// (from the rollups or the sessions, as the filter decides), each against a plain sum over
/// the test's own sessions: per cost center, member, facility and kind, this month and the
/// month before, the chart's thirteen months; and a member sees only their own.
async fn the_cost_report_and_its_history_links_add_up_to_a_plain_sum(db: &Db) {
    use app::{
        calendar::month_index,
        costs::service,
        history::rollup::{Measures, NONE},
    };
    let w = world(db).await;
    let march = month_index(2026, 3);
    // The plain sums: (month of the local start, amount) per key.
    let month_of = |s: &NewSession| {
        let d = TZ.timestamp_opt(s.started_at, 0).unwrap().date_naive();
        month_index(chrono::Datelike::year(&d), chrono::Datelike::month(&d))
    };
    let plain = |company: Uuid, month: i32, keep: &dyn Fn(&NewSession) -> bool| -> (i64, i64) {
        w.sessions
            .iter()
            .filter(|s| s.company_id == company && month_of(s) == month && keep(s))
            .fold((0, 0), |(n, a), s| (n + 1, a + s.amount_ore))
    };
    let check = |label: &str, m: &Measures, month: i32, keep: &dyn Fn(&NewSession) -> bool| {
        let (n, a) = plain(w.acme, month, keep);
        assert_eq!((m.sessions, m.amount_ore), (n, a), "{label}, month {month}");
    };
    let owner = ctx(db, w.owner, w.acme).await;
    let r = service::report(db, &owner, march, service::Members::Leading)
        .await
        .unwrap();
    assert!(!r.own_only);
    assert_eq!(r.chart.len(), 13);
    for (m, parking, charging) in &r.chart {
        check("chart parking", parking, *m, &|s| {
            s.kind == SessionKind::Parking
        });
        check("chart charging", charging, *m, &|s| {
            s.kind == SessionKind::Charging
        });
    }
    assert!(r.cost_centers.len() >= 3, "both cost centers and none");
    for l in &r.cost_centers {
        let want = if l.key == NONE { None } else { Some(l.key) };
        check("cost center", &l.now, march, &|s| s.cost_center_id == want);
        check("cost center before", &l.before, march - 1, &|s| {
            s.cost_center_id == want
        });
    }
    for l in &r.facilities {
        check("facility", &l.now, march, &|s| s.facility_id == l.key);
    }
    for l in &r.kinds {
        check("kind", &l.now, march, &|s| s.kind == l.key);
        check("kind before", &l.before, march - 1, &|s| s.kind == l.key);
    }
    for l in &r.members {
        let want = if l.key == NONE { None } else { Some(l.key) };
        check("member", &l.now, march, &|s| s.user_id == want);
        check("member before", &l.before, march - 1, &|s| {
            s.user_id == want
        });
    }
    check("total", &r.total.now, march, &|_| true);
    // The history behind each row: the filter its link carries, totalled by the history.
    let history_total = |pairs: Vec<(&str, String)>| {
        let q = q(&[
            vec![("year", "2026".to_owned()), ("month", "3".to_owned())],
            pairs,
        ]
        .concat());
        let owner = &owner;
        async move {
            let f = resolve(owner, &q).await;
            history::filter_totals(db, &f).await.unwrap()
        }
    };
    for l in &r.cost_centers {
        let (value, want) = if l.key == NONE {
            ("none".to_owned(), None)
        } else {
            (l.key.to_string(), Some(l.key))
        };
        let t = history_total(vec![("cost_center", value)]).await;
        assert_eq!(
            (t.sessions, t.amount_ore),
            plain(w.acme, march, &|s| s.cost_center_id == want)
        );
    }
    for l in &r.members {
        // The guests' row links to `member=guests`: the sessions of no member, exactly.
        let (value, want) = if l.key == NONE {
            ("guests".to_owned(), None)
        } else {
            (l.key.to_string(), Some(l.key))
        };
        let t = history_total(vec![("member", value)]).await;
        assert_eq!(
            (t.sessions, t.amount_ore),
            plain(w.acme, march, &|s| s.user_id == want)
        );
    }
    assert!(
        r.members.iter().any(|l| l.key == NONE),
        "guests parked in March, or the guests' link is not tested"
    );
    for l in &r.facilities {
        let t = history_total(vec![("facility", l.key.to_string())]).await;
        assert_eq!(
            (t.sessions, t.amount_ore),
            plain(w.acme, march, &|s| s.facility_id == l.key)
        );
    }
    // A member: their own sessions only, the same rules.
    let member = ctx(db, w.member, w.acme).await;
    let own = service::report(db, &member, march, service::Members::Leading)
        .await
        .unwrap();
    assert!(own.own_only);
    assert!(
        own.members.iter().all(|l| l.key == w.member),
        "only themselves"
    );
    let (n, a) = plain(w.acme, march, &|s| s.user_id == Some(w.member));
    assert!(n > 0, "the member parked in March, or this tests nothing");
    assert_eq!((own.total.now.sessions, own.total.now.amount_ore), (n, a));
    for l in &own.cost_centers {
        let want = if l.key == NONE { None } else { Some(l.key) };
        let (n, a) = plain(w.acme, march, &|s| {
            s.user_id == Some(w.member) && s.cost_center_id == want
        });
        assert_eq!((l.now.sessions, l.now.amount_ore), (n, a));
    }
}

/// An invoice's specification groups every line once by member (guests and fees apart) and
/// once by cost center, and both sets of subtotals add up to the invoice row's total.
async fn an_invoice_specification_adds_up_to_the_invoice(db: &Db) {
    use app::invoices::{spec, store as invoices, InvoiceStatus};
    let w = world(db).await;
    let scope = CompanyScope::for_tests(w.acme);
    let id = Uuid::new_v4();
    let day = |m, d| chrono::NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    invoices::insert_invoice_for_period(
        db,
        scope,
        &invoices::NewInvoice {
            id,
            company_id: w.acme,
            number: "T-2026-03".into(),
            period_start: day(3, 1),
            period_end: day(3, 31),
            issued_on: day(4, 1),
            due_on: day(4, 30),
            status: InvoiceStatus::Unpaid,
            paid_on: None,
        },
        local(2026, 3, 1, 0, 0),
        local(2026, 4, 1, 0, 0),
    )
    .await
    .unwrap();
    let head = invoices::row(db, scope, id).await.unwrap().unwrap();
    let lines = invoices::spec_lines(db, scope, id).await.unwrap();
    assert!(lines.len() > 20);
    let (by_member, by_center) = spec::subtotals(&lines);
    assert!(by_member.len() >= 3 && by_center.len() >= 3);
    assert_eq!(by_member.values().sum::<i64>(), head.amount_ore);
    assert_eq!(by_center.values().sum::<i64>(), head.amount_ore);
    // The member groups are the sessions' members, against a plain sum.
    for (key, sum) in &by_member {
        let user = Uuid::parse_str(key).ok();
        let want: i64 = w
            .sessions
            .iter()
            .filter(|s| s.company_id == w.acme)
            .filter(|s| {
                s.started_at >= local(2026, 3, 1, 0, 0) && s.started_at < local(2026, 4, 1, 0, 0)
            })
            .filter(|s| match key.as_str() {
                spec::GUESTS => s.user_id.is_none(),
                _ => s.user_id == user,
            })
            .map(|s| s.amount_ore)
            .sum();
        assert_eq!(*sum, want, "group {key}");
    }
    // An invoice as the back office sends it, with a fee line (no session): the fee is a
    // group of its own, and the groups still add up to the invoice.
    let march_sessions: Vec<&NewSession> = w
        .sessions
        .iter()
        .filter(|s| {
            s.company_id == w.acme
                && s.started_at >= local(2026, 3, 1, 0, 0)
                && s.started_at < local(2026, 3, 8, 0, 0)
        })
        .collect();
    let mut lines: Vec<invoices::NewInvoiceLine> = march_sessions
        .iter()
        .map(|s| invoices::NewInvoiceLine {
            description: format!("Parkering {}", s.plate),
            amount_ore: s.amount_ore,
            vat_ore: s.vat_ore,
            session_id: Some(s.id),
            cost_center_id: s.cost_center_id,
        })
        .collect();
    lines.push(invoices::NewInvoiceLine {
        description: "Fakturaavgift".into(),
        amount_ore: 3_900,
        vat_ore: 780,
        session_id: None,
        cost_center_id: None,
    });
    let total: i64 = lines.iter().map(|l| l.amount_ore).sum();
    let vat: i64 = lines.iter().map(|l| l.vat_ore).sum();
    let fee_invoice = Uuid::new_v4();
    let mut tx = db.begin().await.unwrap();
    invoices::upsert_invoice(
        &mut tx,
        scope,
        &invoices::IncomingInvoice {
            invoice: invoices::NewInvoice {
                id: fee_invoice,
                company_id: w.acme,
                number: "T-2026-03-B".into(),
                period_start: day(3, 1),
                period_end: day(3, 7),
                issued_on: day(3, 8),
                due_on: day(3, 31),
                status: InvoiceStatus::Paid,
                paid_on: Some(day(3, 20)),
            },
            amount_ore: total,
            vat_ore: vat,
            version: 1,
            lines,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let lines = invoices::spec_lines(db, scope, fee_invoice).await.unwrap();
    let (by_member, by_center) = spec::subtotals(&lines);
    assert_eq!(by_member.get(spec::FEES), Some(&3_900));
    assert_eq!(by_member.values().sum::<i64>(), total);
    assert_eq!(by_center.values().sum::<i64>(), total);
    // Another company sees no such invoice.
    assert!(invoices::row(db, CompanyScope::for_tests(w.beta), id)
        .await
        .unwrap()
        .is_none());
    assert!(
        invoices::spec_lines(db, CompanyScope::for_tests(w.beta), id)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A changed default cost center applies to sessions that arrive afterwards; the sessions
/// already stored keep theirs (what `/cost-centers` and the member list say). Both changes are
/// in the audit log; an archived cost center cannot become a default.
async fn a_new_default_cost_center_tags_new_sessions_only(db: &Db) {
    use app::{cost_centers::service as cc, error::AppError};
    let w = world(db).await;
    let owner = ctx(db, w.owner, w.acme).await;
    let stored = |db: &Db| {
        let db = db.clone();
        async move {
            let rows: Vec<(String, Option<Uuid>)> = app::with_pool!(&db, |pool| {
                sqlx::query_as(
                    "SELECT external_ref, cost_center_id FROM sessions WHERE user_id = $1 ORDER BY external_ref",
                )
                .bind(w.member)
                .fetch_all(pool)
                .await
                .unwrap()
            });
            rows
        }
    };
    let arrive = |n: &str| {
        let mut s = w
            .sessions
            .iter()
            .find(|s| s.user_id == Some(w.member))
            .unwrap()
            .clone();
        s.id = Uuid::new_v4();
        s.external_ref = n.to_owned();
        s.cost_center_id = None;
        s.version = 0;
        s
    };
    cc::set_default(db, &owner, w.member, Some(w.centers[0]), 100)
        .await
        .unwrap();
    let before = stored(db).await;
    app::testing::insert_sessions(db, &mut [arrive("new-1")])
        .await
        .unwrap();
    cc::set_default(db, &owner, w.member, Some(w.centers[1]), 101)
        .await
        .unwrap();
    app::testing::insert_sessions(db, &mut [arrive("new-2")])
        .await
        .unwrap();
    let after = stored(db).await;
    // Everything stored before either change is untouched.
    for (r, c) in &before {
        assert!(after.contains(&(r.clone(), *c)), "{r} was re-tagged");
    }
    let of = |r: &str| after.iter().find(|(x, _)| x == r).unwrap().1;
    assert_eq!(
        of("new-1"),
        Some(w.centers[0]),
        "arrived under the first default"
    );
    assert_eq!(of("new-2"), Some(w.centers[1]), "arrived under the second");
    let logged: i64 = app::with_pool!(db, |pool| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'member.default_cost_center_set' AND subject_user_id = $1",
        )
        .bind(w.member)
        .fetch_one(pool)
        .await
        .unwrap()
    });
    assert_eq!(logged, 2);
    // Archived: not offered, and refused by name.
    cc::set_archived(db, &owner, w.centers[1], true, 102)
        .await
        .unwrap();
    let refused = cc::set_default(db, &owner, w.member, Some(w.centers[1]), 103).await;
    assert!(
        matches!(refused, Err(AppError::Invalid { ref field, .. }) if field == "cost_center"),
        "{refused:?}"
    );
    // A member may not set anyone's default.
    let member = ctx(db, w.member, w.acme).await;
    assert_eq!(
        cc::set_default(db, &member, w.member, None, 104).await,
        Err(AppError::Forbidden)
    );
}

/// The defaults import: a file with any bad row changes nothing, even asked to apply, and
/// names every bad row and why; a good file applies every row in one go.
async fn a_defaults_file_applies_whole_or_not_at_all(db: &Db) {
    use app::{cost_centers::service as cc, csv_io::read as csv, error::Reason};
    let w = world(db).await;
    let owner = ctx(db, w.owner, w.acme).await;
    let defaults = |db: &Db| {
        let db = db.clone();
        async move {
            let rows: Vec<(Uuid, Option<Uuid>)> = app::with_pool!(&db, |pool| {
                sqlx::query_as(
                    "SELECT user_id, default_cost_center_id FROM memberships WHERE company_id = $1 ORDER BY user_id",
                )
                .bind(w.acme)
                .fetch_all(pool)
                .await
                .unwrap()
            });
            rows
        }
    };
    let before = defaults(db).await;
    let bad = csv::parse(
        "email;cost_center_code\nmaja@acme.se;100\nMAJA@acme.se;200\nbo@beta.se;100\nevil@acme.se;999\nnot an address;100\n",
    )
    .unwrap();
    let r = cc::import_defaults(db, &owner, &bad, true, 0)
        .await
        .unwrap();
    assert!(r.refused && r.applied == 0);
    let problems: Vec<(usize, Option<Reason>)> =
        r.rows.iter().map(|x| (x.line, x.problem)).collect();
    assert_eq!(
        problems,
        vec![
            (2, None),
            (3, Some(Reason::Duplicate)),
            (4, Some(Reason::NotAMember)),
            (5, Some(Reason::UnknownCostCenter)),
            (6, Some(Reason::NotEmail)),
        ]
    );
    assert_eq!(defaults(db).await, before, "nothing changed");
    let good =
        csv::parse("email;cost_center_code\nmaja@acme.se;100\nevil@acme.se;200\nowner@acme.se;\n")
            .unwrap();
    let preview = cc::import_defaults(db, &owner, &good, false, 0)
        .await
        .unwrap();
    assert_eq!((preview.bad, preview.applied, preview.changes), (0, 0, 2));
    assert_eq!(defaults(db).await, before, "a preview changes nothing");
    let applied = cc::import_defaults(db, &owner, &good, true, 0)
        .await
        .unwrap();
    assert_eq!(applied.applied, 2);
    let after = defaults(db).await;
    assert!(after.contains(&(w.member, Some(w.centers[0]))));
    assert!(after.contains(&(w.people[2], Some(w.centers[1]))));
    assert!(after.contains(&(w.owner, None)));
}

/// "Overdue" is derived, never stored: the database refuses it (a CHECK on PostgreSQL, a
/// trigger on SQLite, migration 0006).
async fn overdue_cannot_be_stored(db: &Db) {
    let w = world(db).await;
    let refused = app::with_pool!(db, |pool| {
        sqlx::query(
            "INSERT INTO invoices (id, company_id, number, period_start, period_end, issued_on, due_on, status, amount_ore, vat_ore)
             VALUES ($1, $2, 'X-1', '2026-01-01', '2026-01-31', '2026-02-01', '2026-02-28', 'overdue', 0, 0)",
        )
        .bind(Uuid::new_v4())
        .bind(w.acme)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    });
    assert!(refused.is_err(), "{refused:?}");
}

/// Issue 26's property: for random sessions around the calendar's hard moments (the turn of a
/// year and of a month, both daylight-saving changes, 29 February) in each of the operator's
/// three zones, a month's total in the history (from the rollups) equals the sum of its days'
/// totals (one day filter each, 23- and 25-hour days included) equals the sum of the rows the
/// history lists for the month (from the sessions) equals a plain sum over the sessions whose
/// start falls in that local month (chrono, not the code under test) — and every session is in
/// exactly one local day of exactly one month.
async fn a_month_is_the_sum_of_its_days_and_its_rollup_in_every_zone_at_the_hard_moments(db: &Db) {
    use chrono::{Datelike, NaiveDate};
    use std::collections::BTreeMap;
    let facility = world(db).await.facilities[0];
    let mut rng = Lcg(26);
    for (n, zone) in ["Europe/Stockholm", "Europe/Helsinki", "Europe/Oslo"]
        .into_iter()
        .enumerate()
    {
        let tz: chrono_tz::Tz = zone.parse().unwrap();
        let company = CompanyRow {
            id: Uuid::new_v4(),
            name: format!("Zon {n} AB"),
            org_number: format!("556100-000{n}"),
            time_zone: zone.into(),
            currency: "SEK".into(),
        };
        companies::insert_company(db, &company, 0).await.unwrap();
        let owner = person(
            db,
            company.id,
            &format!("agare{n}@zon.se"),
            "Ägare",
            Role::Owner,
        )
        .await;
        let at = |y, m, d, h| {
            tz.with_ymd_and_hms(y, m, d, h, 0, 0)
                .earliest()
                .unwrap()
                .timestamp()
        };
        // Local wall-clock anchors; each session starts within three hours either side. All in
        // the past (the ingestion service refuses sessions from the future), fixed.
        let anchors = [
            at(2025, 12, 31, 23),
            at(2026, 1, 1, 0),
            at(2026, 1, 31, 23),
            // The changes are at 01:00 UTC: 02:00 local in Stockholm and Oslo, 03:00 in Helsinki.
            at(2026, 3, 29, 1), // spring: an hour that does not exist (a 23-hour day)
            at(2026, 3, 31, 23),
            at(2026, 10, 25, 1), // autumn: an hour that happens twice (a 25-hour day)
            at(2024, 2, 29, 0),
            at(2024, 2, 29, 23),
        ];
        let mut sessions: Vec<NewSession> = (0..240)
            .map(|i| {
                let started_at = anchors[rng.next(anchors.len() as u64) as usize]
                    + rng.next(6 * 60) as i64 * 60
                    - 3 * 3600;
                let amount = 100 + rng.next(50_000) as i64;
                let charging = rng.next(3) == 0;
                NewSession {
                    id: Uuid::new_v4(),
                    company_id: company.id,
                    user_id: Some(owner),
                    plate: "HRD 026".into(),
                    facility_id: facility,
                    kind: if charging {
                        SessionKind::Charging
                    } else {
                        SessionKind::Parking
                    },
                    started_at,
                    // Some run across the change or the turn of the month.
                    ended_at: Some(started_at + 60 + rng.next(5 * 3600) as i64),
                    energy_wh: charging.then(|| rng.next(50_000) as i64),
                    amount_ore: amount,
                    vat_ore: amount / 5,
                    cost_center_id: None,
                    source: "hard".into(),
                    version: 0,
                    policy_flags: 0,
                    external_ref: format!("hard{n}-{i}"),
                }
            })
            .collect();
        app::testing::insert_sessions(db, &mut sessions)
            .await
            .unwrap();
        let c = ctx(db, owner, company.id).await;
        let now = at(2026, 11, 20, 12);
        // The oracle: each session's local start date, by chrono.
        let date_of = |s: &NewSession| tz.timestamp_opt(s.started_at, 0).unwrap().date_naive();
        let mut months: BTreeMap<(i32, u32), Vec<&NewSession>> = BTreeMap::new();
        for s in &sessions {
            let d = date_of(s);
            months.entry((d.year(), d.month())).or_default().push(s);
        }
        let mut seen_in_months = 0;
        for ((y, m), want) in &months {
            let want_amount: i64 = want.iter().map(|s| s.amount_ore).sum();
            let month_q = q(&[("year", y.to_string()), ("month", m.to_string())]);
            let f = filter::resolve(&c, &month_q, now).await.unwrap();
            let month_total = history::filter_totals(db, &f).await.unwrap();
            assert_eq!(
                (month_total.sessions, month_total.amount_ore),
                (want.len() as i64, want_amount),
                "{zone} {y}-{m:02}: the month's total (rollups) against a plain sum"
            );
            // The rows the history lists for the month, summed.
            let rows: HashSet<Uuid> = walk(db, &f).await.into_iter().collect();
            let listed: i64 = sessions
                .iter()
                .filter(|s| rows.contains(&s.id))
                .map(|s| s.amount_ore)
                .sum();
            assert_eq!(
                (rows.len(), listed),
                (want.len(), want_amount),
                "{zone} {y}-{m:02}: rows"
            );
            // Day by day, every day of the month, with a day filter each.
            let (mut day_sessions, mut day_amount) = (0, 0);
            let first = NaiveDate::from_ymd_opt(*y, *m, 1).unwrap();
            let last = app::calendar::last_day(*y, *m).unwrap();
            for d in first.iter_days().take_while(|d| *d <= last) {
                let day = d.format("%Y-%m-%d").to_string();
                let f = filter::resolve(&c, &q(&[("from", day.clone()), ("to", day.clone())]), now)
                    .await
                    .unwrap();
                // The last Sundays of March and October have 23 and 25 hours.
                let change = d.weekday() == chrono::Weekday::Sun && d.day() > 24;
                let hours = match d.month() {
                    3 if change => 23,
                    10 if change => 25,
                    _ => 24,
                };
                assert_eq!(
                    f.to - f.from,
                    hours * 3600,
                    "{zone} {day}: the day filter spans the local day"
                );
                let t = history::filter_totals(db, &f).await.unwrap();
                let want_day: Vec<_> = want.iter().filter(|s| date_of(s) == d).collect();
                assert_eq!(
                    (t.sessions, t.amount_ore),
                    (
                        want_day.len() as i64,
                        want_day.iter().map(|s| s.amount_ore).sum::<i64>()
                    ),
                    "{zone} {day}: the day's total"
                );
                day_sessions += t.sessions;
                day_amount += t.amount_ore;
            }
            assert_eq!(
                (day_sessions, day_amount),
                (month_total.sessions, month_total.amount_ore),
                "{zone} {y}-{m:02}: the days add up to the month"
            );
            seen_in_months += want.len();
        }
        assert_eq!(
            seen_in_months,
            sessions.len(),
            "{zone}: each session in one month"
        );
        // The rollups themselves: the month rows and the day rows each hold every session once.
        let kept = app::history::rollup::stored(db, CompanyScope::for_tests(company.id))
            .await
            .unwrap();
        let want: i64 = sessions.iter().map(|s| s.amount_ore).sum();
        assert_eq!(kept.days.values().map(|m| m.amount_ore).sum::<i64>(), want);
        assert_eq!(
            kept.months.values().map(|m| m.amount_ore).sum::<i64>(),
            want
        );
        assert_eq!(
            kept.days.values().map(|m| m.sessions).sum::<i64>(),
            sessions.len() as i64
        );
    }
}

/// The cost page names the leading members and sums the rest in one "others" row (issue 26:
/// it linked to the whole month's history, whose total is not the row's). Its link lists every
/// member by name: the rows then add up to the month's total, each one a member's own sessions.
async fn the_cost_pages_others_row_leads_to_each_of_them_by_name(db: &Db) {
    use app::costs::{format, service};
    let facility = world(db).await.facilities[0];
    let company = CompanyRow {
        id: Uuid::new_v4(),
        name: "Många AB".into(),
        org_number: "556200-0001".into(),
        time_zone: "Europe/Stockholm".into(),
        currency: "SEK".into(),
    };
    companies::insert_company(db, &company, 0).await.unwrap();
    let owner = person(db, company.id, "agare@manga.se", "Ägare", Role::Owner).await;
    let mut sessions = vec![];
    let mut people = vec![];
    for i in 0..40 {
        let p = person(
            db,
            company.id,
            &format!("p{i}@manga.se"),
            &format!("Person {i}"),
            Role::Member,
        )
        .await;
        people.push(p);
        for n in 0..2 {
            sessions.push(NewSession {
                id: Uuid::new_v4(),
                company_id: company.id,
                user_id: Some(p),
                plate: "MNG 001".into(),
                facility_id: facility,
                kind: SessionKind::Parking,
                started_at: local(2026, 3, 2 + n, 8 + (i % 10) as u32, 0),
                ended_at: Some(local(2026, 3, 2 + n, 9 + (i % 10) as u32, 0)),
                energy_wh: None,
                amount_ore: 1_000 + i as i64 * 100 + n as i64,
                vat_ore: 200,
                cost_center_id: None,
                source: "many".into(),
                version: 0,
                policy_flags: 0,
                external_ref: format!("many{i}-{n}"),
            });
        }
    }
    app::testing::insert_sessions(db, &mut sessions)
        .await
        .unwrap();
    let c = ctx(db, owner, company.id).await;
    let march = app::calendar::month_index(2026, 3);
    let lang = app::i18n::Lang::Sv;
    let today = chrono::NaiveDate::from_ymd_opt(2026, 4, 15).unwrap();

    let leading = service::report(db, &c, march, service::Members::Leading)
        .await
        .unwrap();
    assert_eq!(leading.members.len() as i64, service::LEADING_MEMBERS);
    let (count, others) = leading.others.clone().expect("more members than are named");
    assert_eq!(count, 40 - service::LEADING_MEMBERS);
    let view = format::view(&leading, "SEK", today, lang);
    let row = view.members.last().unwrap();
    assert_eq!(
        row.href.as_deref(),
        Some("/costs?year=2026&month=3&members=all#costs-members"),
        "the others' row leads to them by name"
    );

    let all = service::report(db, &c, march, service::Members::All)
        .await
        .unwrap();
    assert!(all.others.is_none(), "nobody left to sum");
    assert_eq!(all.members.len(), 40);
    let named: HashSet<Uuid> = all.members.iter().map(|l| l.key).collect();
    assert_eq!(named, people.iter().copied().collect());
    let sum: i64 = all.members.iter().map(|l| l.now.amount_ore).sum();
    assert_eq!(sum, all.total.now.amount_ore);
    // The others' amount is exactly the members the short list did not name.
    let listed: HashSet<Uuid> = leading.members.iter().map(|l| l.key).collect();
    let rest: i64 = all
        .members
        .iter()
        .filter(|l| !listed.contains(&l.key))
        .map(|l| l.now.amount_ore)
        .sum();
    assert_eq!(rest, others.now.amount_ore);
    // Each named row's link is that member's history, and its total is the row's.
    for l in &all.members {
        let f = filter::resolve(
            &c,
            &q(&[
                ("year", "2026".into()),
                ("month", "3".into()),
                ("member", l.key.to_string()),
            ]),
            now(),
        )
        .await
        .unwrap();
        let t = history::filter_totals(db, &f).await.unwrap();
        assert_eq!(
            (t.sessions, t.amount_ore),
            (l.now.sessions, l.now.amount_ore)
        );
    }
    let view = format::view(&all, "SEK", today, lang);
    assert!(view.members.iter().all(|m| m.href.is_some()));
}
