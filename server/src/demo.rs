//! The demo data generator (`portal demo`): realistic, deterministic companies for a new user
//! and for tests. The same seed and `--until` date give the same data, byte for byte.
//!
//! The operator's data — facilities, app users, sessions, invoices — goes in through the
//! ingestion service (`app::ingest`), the one way data enters, in batches of the API's size;
//! the companies, cost centers and memberships through the stores, as customer service and
//! the companies' administrators make them.

use std::{collections::HashSet, fmt, time::Instant};

use app::calendar::rfc3339_utc as rfc3339;
use app::{
    calendar,
    companies::{
        store::{self as companies, CompanyRow, CostCenterRow, NewMembership},
        Email, Role,
    },
    db::Db,
    facilities::{Acceptance, FacilityKind},
    ingest::{
        service as ingest_service,
        wire::{
            AcceptanceIn, AppUserIn, AppUserRef, BatchResult, FacilityIn, FacilityKindIn,
            InvoiceIn, InvoiceLineIn, InvoiceStatusIn, SessionIn, SessionKindIn, MAX_BATCH,
        },
        Incoming, Rejected,
    },
};
use chrono::{Datelike, Days, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use rand::{rngs::StdRng, seq::SliceRandom, Rng, SeedableRng};
use uuid::Uuid;

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

/// A person a newcomer can sign in as; the README lists the same.
pub struct DemoAccount {
    pub label: &'static str,
    pub email: &'static str,
    pub name: &'static str,
    pub role: Role,
}

/// The demo accounts of the large company, in this order; the last one also belongs to the
/// first small company.
pub const DEMO_ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        label: "owner",
        email: "anna.lindberg@nordstrombygg.example",
        name: "Anna Lindberg",
        role: Role::Owner,
    },
    DemoAccount {
        label: "admin",
        email: "erik.holm@nordstrombygg.example",
        name: "Erik Holm",
        role: Role::Admin,
    },
    DemoAccount {
        label: "finance viewer",
        email: "fatima.ekonomi@nordstrombygg.example",
        name: "Fatima Ekonomi",
        role: Role::Finance,
    },
    DemoAccount {
        label: "member",
        email: "maja.svensson@nordstrombygg.example",
        name: "Maja Svensson",
        role: Role::Member,
    },
    DemoAccount {
        label: "member of two companies",
        email: "samir.karlsson@nordstrombygg.example",
        name: "Samir Karlsson",
        role: Role::Member,
    },
];

/// The large company's front desk: a shared reception account (`/frontdesk` only). Added
/// after the generated people, so the seeded data stays as it was.
pub const DEMO_FRONT_DESK: DemoAccount = DemoAccount {
    label: "front desk",
    email: "reception@nordstrombygg.example",
    name: "Receptionen",
    role: Role::FrontDesk,
};

const FIRST_NAMES: &[&str] = &[
    "Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Eva", "Anders", "Sara", "Per", "Emma",
    "Mikael", "Linnea", "Oskar", "Elin", "Karl", "Ida", "Nils", "Sofia", "Gustav", "Hanna", "Axel",
    "Maja", "Viktor", "Astrid", "Lukas", "Ebba", "Filip", "Alva", "Jonas", "Ingrid", "Mohammed",
    "Fatima", "Ali", "Amira", "Björn", "Åsa", "Göran", "Märta", "Östen",
];
const LAST_NAMES: &[&str] = &[
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jonsson",
    "Jansson",
    "Hansson",
    "Bengtsson",
    "Jönsson",
    "Lindberg",
    "Jakobsson",
    "Magnusson",
    "Olofsson",
    "Lindström",
    "Lindqvist",
    "Lindgren",
    "Berg",
    "Axelsson",
    "Bergström",
    "Lundberg",
    "Lind",
    "Lundgren",
    "Mattsson",
    "Berglund",
    "Fredriksson",
    "Sandberg",
    "Henriksson",
    "Forsberg",
    "Sjöberg",
    "Wallin",
    "Engström",
    "Eklund",
    "Danielsson",
    "Håkansson",
    "Ali",
];

/// (city, hourly parking price in öre, facilities: name, address, kind, acceptance, note, chargers)
type FacilitySpec = (
    &'static str,
    &'static str,
    FacilityKind,
    Acceptance,
    &'static str,
    bool,
);
const CITIES: &[(&str, i64, &[FacilitySpec])] = &[
    (
        "Stockholm",
        4_500,
        &[
            (
                "P-hus Klara",
                "Klarabergsviadukten 70",
                FacilityKind::CameraGarage,
                Acceptance::Yes,
                "",
                true,
            ),
            (
                "Garage Hötorget",
                "Sveavägen 13",
                FacilityKind::BarrierGarage,
                Acceptance::No,
                "Bomgarage: betala med biljett eller kort vid utfarten.",
                false,
            ),
            (
                "Garage Söder Torn",
                "Fatburs Kvarngata 10",
                FacilityKind::CameraGarage,
                Acceptance::Some,
                "Gäller plan 1–3; plan 4 är förhyrd.",
                true,
            ),
            (
                "Norrmalmstorg gata",
                "Norrmalmstorg",
                FacilityKind::Street,
                Acceptance::Yes,
                "",
                false,
            ),
            (
                "Kungsholmen Västra",
                "Lindhagensgatan 76",
                FacilityKind::CameraGarage,
                Acceptance::Yes,
                "",
                true,
            ),
            (
                "Garage Medborgarplatsen",
                "Götgatan 48",
                FacilityKind::BarrierGarage,
                Acceptance::No,
                "Bomgarage: betala med biljett eller kort vid utfarten.",
                false,
            ),
            (
                "Hammarby Sjöstad Yta",
                "Lumaparksvägen 2",
                FacilityKind::Surface,
                Acceptance::Yes,
                "",
                false,
            ),
            (
                "Solna Business Park",
                "Svetsarvägen 15",
                FacilityKind::Surface,
                Acceptance::Some,
                "Endast rutorna märkta Aimo; övriga är tillståndsparkering.",
                true,
            ),
            (
                "Odenplan gata",
                "Odengatan 62",
                FacilityKind::Street,
                Acceptance::Yes,
                "",
                false,
            ),
            (
                "Garage Östermalmshallen",
                "Humlegårdsgatan 1",
                FacilityKind::CameraGarage,
                Acceptance::Yes,
                "",
                true,
            ),
        ],
    ),
    (
        "Göteborg",
        3_500,
        &[
            (
                "P-hus Nordstaden",
                "Kanaltorgsgatan 3",
                FacilityKind::CameraGarage,
                Acceptance::Yes,
                "",
                true,
            ),
            (
                "Garage Heden",
                "Sten Sturegatan 5",
                FacilityKind::BarrierGarage,
                Acceptance::No,
                "Bomgarage: betala med biljett eller kort vid utfarten.",
                false,
            ),
            (
                "Lindholmen Yta",
                "Lindholmspiren 9",
                FacilityKind::Surface,
                Acceptance::Yes,
                "",
                true,
            ),
            (
                "Avenyn gata",
                "Kungsportsavenyen 21",
                FacilityKind::Street,
                Acceptance::Yes,
                "",
                false,
            ),
            (
                "Garage Gullbergsvass",
                "Gullbergs Strandgata 1",
                FacilityKind::CameraGarage,
                Acceptance::Some,
                "Gäller vardagar 06–19.",
                false,
            ),
            (
                "Mölndal Centrum",
                "Göteborgsvägen 97",
                FacilityKind::Surface,
                Acceptance::Yes,
                "",
                false,
            ),
        ],
    ),
    (
        "Malmö",
        3_000,
        &[
            (
                "P-hus Anna",
                "Stora Varvsgatan 9",
                FacilityKind::CameraGarage,
                Acceptance::Yes,
                "",
                true,
            ),
            (
                "Garage Triangeln",
                "Södra Förstadsgatan 41",
                FacilityKind::BarrierGarage,
                Acceptance::No,
                "Bomgarage: betala med biljett eller kort vid utfarten.",
                false,
            ),
            (
                "Västra Hamnen Yta",
                "Dockplatsen 1",
                FacilityKind::Surface,
                Acceptance::Yes,
                "",
                true,
            ),
            (
                "Lilla Torg gata",
                "Lilla Torg",
                FacilityKind::Street,
                Acceptance::Yes,
                "",
                false,
            ),
            (
                "Hyllie Station",
                "Hyllie Stationstorg 11",
                FacilityKind::CameraGarage,
                Acceptance::Yes,
                "",
                true,
            ),
        ],
    ),
    (
        "Uppsala",
        2_500,
        &[
            (
                "P-hus Kvarnen",
                "Bangårdsgatan 8",
                FacilityKind::CameraGarage,
                Acceptance::Yes,
                "",
                true,
            ),
            (
                "Garage Forumgallerian",
                "Dragarbrunnsgatan 32",
                FacilityKind::BarrierGarage,
                Acceptance::No,
                "Bomgarage: betala med biljett eller kort vid utfarten.",
                false,
            ),
            (
                "Boländerna Yta",
                "Rapsgatan 5",
                FacilityKind::Surface,
                Acceptance::Some,
                "Endast rutorna märkta Aimo.",
                false,
            ),
            (
                "Svartbäcken gata",
                "Svartbäcksgatan 20",
                FacilityKind::Street,
                Acceptance::Yes,
                "",
                false,
            ),
        ],
    ),
];

/// VAT included in a Swedish price: 25 % on top, so one fifth of the total.
fn vat_of(amount_incl: i64) -> i64 {
    (amount_incl + 2) / 5
}

fn new_id(rng: &mut StdRng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.gen()).into_uuid()
}

/// A plate in a current Swedish format: `ABC 123` or `ABC 12A` (the letters I, Q, V, Å, Ä, Ö
/// are not used, nor O last).
fn plate(rng: &mut StdRng) -> String {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNOPRSTUWXYZ";
    const LAST: &[u8] = b"ABCDEFGHJKLMNPRSTUWXYZ";
    let l: String = (0..3)
        .map(|_| LETTERS[rng.gen_range(0..LETTERS.len())] as char)
        .collect();
    let d: u32 = rng.gen_range(0..100);
    if rng.gen_bool(0.3) {
        format!("{l} {d:02}{}", LAST[rng.gen_range(0..LAST.len())] as char)
    } else {
        format!("{l} {d:02}{}", rng.gen_range(0..10))
    }
}

struct DemoMember {
    email: String,
    /// The operator's id of their app account, when they have signed in to the app.
    app_user: Option<String>,
    plates: Vec<String>,
    cost_center: String,
    home_facility: usize,
}

/// A generated session, as much of it as its month's invoice needs.
struct InvoiceLine {
    started_at: i64,
    id: String,
    description: String,
    amount: i64,
    vat: i64,
    cost_center: String,
}

/// The operator's facility codes with what the generator needs of each facility.
struct DemoFacility {
    code: String,
    acceptance: Acceptance,
    has_chargers: bool,
    hourly: i64,
}

/// Sends one batch through the ingestion service, as the back office would; a refused batch
/// is a bug in the generator and stops it with the service's reasons.
async fn ingest<T>(
    what: &str,
    batch: Vec<T>,
    store: impl AsyncFnOnce(Vec<Incoming<T>>) -> Result<BatchResult, Rejected>,
) -> Result<BatchResult, Box<dyn std::error::Error>> {
    match store(batch.into_iter().map(Ok).collect()).await {
        Ok(result) => Ok(result),
        Err(Rejected::Invalid(errors)) => Err(format!(
            "the ingestion service refused the demo's {what}: {}",
            errors
                .iter()
                .take(5)
                .map(|e| format!("#{} {}: {}", e.index, e.field, e.reason))
                .collect::<Vec<_>>()
                .join("; ")
        )
        .into()),
        Err(Rejected::Db(e)) => Err(e.into()),
    }
}

struct CompanySpec {
    name: &'static str,
    org_number: &'static str,
    domain: &'static str,
    cost_centers: &'static [(&'static str, &'static str)],
    /// The company's time zone and currency (its amounts are in it, whatever the language).
    time_zone: Tz,
    currency: &'static str,
    /// Named sign-in accounts: the company's first people (a small company's others are
    /// generated; the large company's are `DEMO_ACCOUNTS`).
    accounts: &'static [DemoAccount],
}

/// The Finnish company's admin (README, "Demo accounts").
pub const DEMO_FINNISH_ADMIN: DemoAccount = DemoAccount {
    label: "admin of a Finnish company (euros)",
    email: "aino.makinen@virtasenrakennus.example",
    name: "Aino Mäkinen",
    role: Role::Admin,
};

/// The Norwegian company's admin.
pub const DEMO_NORWEGIAN_ADMIN: DemoAccount = DemoAccount {
    label: "admin of a Norwegian company (kroner)",
    email: "ingrid.haugen@haugenbygg.example",
    name: "Ingrid Haugen",
    role: Role::Admin,
};

const BIG: CompanySpec = CompanySpec {
    name: "Nordström Bygg AB",
    org_number: "556677-1001",
    domain: "nordstrombygg.example",
    cost_centers: &[
        ("1010", "Ledning"),
        ("2010", "Projekt Norr"),
        ("2020", "Projekt Syd"),
        ("3010", "Service"),
        ("4010", "Försäljning"),
        ("5010", "Ekonomi & HR"),
    ],
    time_zone: chrono_tz::Europe::Stockholm,
    currency: "SEK",
    accounts: DEMO_ACCOUNTS,
};
const SMALL: &[CompanySpec] = &[
    CompanySpec {
        name: "Lindqvist Konsult AB",
        org_number: "556677-2002",
        domain: "lindqvistkonsult.example",
        cost_centers: &[("100", "Konsulter"), ("200", "Administration")],
        time_zone: chrono_tz::Europe::Stockholm,
        currency: "SEK",
        accounts: &[],
    },
    CompanySpec {
        name: "Ek & Söner Redovisning AB",
        org_number: "556677-3003",
        domain: "eksoner.example",
        cost_centers: &[("1", "Byrån"), ("2", "Rådgivning")],
        time_zone: chrono_tz::Europe::Stockholm,
        currency: "SEK",
        accounts: &[],
    },
    // After the Swedish ones, so the seeded data of those stays as it was.
    CompanySpec {
        name: "Virtasen Rakennus Oy",
        // The ingestion API keys companies by a Swedish-form number (NNNNNN-NNNN) only.
        org_number: "556677-4004",
        domain: "virtasenrakennus.example",
        cost_centers: &[("10", "Työmaat"), ("20", "Toimisto")],
        time_zone: chrono_tz::Europe::Helsinki,
        currency: "EUR",
        accounts: &[DEMO_FINNISH_ADMIN],
    },
    CompanySpec {
        name: "Haugen Bygg AS",
        org_number: "556677-5005",
        domain: "haugenbygg.example",
        cost_centers: &[("100", "Prosjekt"), ("200", "Kontor")],
        time_zone: chrono_tz::Europe::Oslo,
        currency: "NOK",
        accounts: &[DEMO_NORWEGIAN_ADMIN],
    },
];

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
    let mut all_facilities: Vec<DemoFacility> = Vec::new();
    let mut facility_records = Vec::new();
    for (ci, (city, hourly, specs)) in CITIES.iter().enumerate() {
        for (fi, (name, address, kind, acceptance, note, chargers)) in specs.iter().enumerate() {
            let code = format!("AIMO-SE-{:02}{:02}", ci + 1, fi + 1);
            facility_records.push(FacilityIn {
                id: code.clone(),
                version: 1,
                name: (*name).into(),
                address: (*address).into(),
                city: (*city).into(),
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
            });
            all_facilities.push(DemoFacility {
                code,
                acceptance: *acceptance,
                has_chargers: *chargers,
                hourly: *hourly,
            });
        }
    }
    ingest("facilities", facility_records, async |batch| {
        ingest_service::facilities(db, &access, batch).await
    })
    .await?;
    // Only facilities where the company account works get company sessions.
    let usable: Vec<usize> = (0..all_facilities.len())
        .filter(|&i| all_facilities[i].acceptance != Acceptance::No)
        .collect();

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
    let mut app_user_seq = 0;

    for (index, spec) in std::iter::once(&BIG).chain(SMALL.iter()).enumerate() {
        let is_big = index == 0;
        let tz = spec.time_zone;
        let company = CompanyRow {
            id: new_id(&mut rng),
            name: spec.name.into(),
            org_number: spec.org_number.into(),
            time_zone: spec.time_zone.name().into(),
            currency: spec.currency.into(),
        };
        companies::insert_company(db, &company, now).await.map_err(|e| {
            format!("cannot create demo company {} (does this database already hold demo data?): {e}", spec.name)
        })?;
        // A new company's empty cost rollups are complete (history/rollup.rs).
        let mut tx = db.begin().await?;
        app::history::rollup::mark_filled(&mut tx, company.id).await?;
        tx.commit().await?;
        report.companies += 1;
        let scope = access.scope(company.id);

        let mut cost_centers = Vec::new();
        for (code, name) in spec.cost_centers {
            let cc = CostCenterRow {
                id: new_id(&mut rng),
                company_id: company.id,
                code: (*code).into(),
                name: (*name).into(),
            };
            companies::insert_cost_center(db, scope, &cc, now).await?;
            cost_centers.push((cc.id, cc.code));
        }

        let n_members = if is_big {
            args.members.max(6)
        } else {
            small_members
        };
        // Who the company's people are; their app profiles go in first, as the operator's
        // back office would have sent them, then the company makes them members.
        let mut people = Vec::with_capacity(n_members);
        let mut app_users = Vec::new();
        let mut used_emails = HashSet::new();
        for i in 0..n_members {
            // A small company's named accounts come after its generated owner (i = 0).
            let demo_account = if is_big {
                spec.accounts.get(i)
            } else {
                i.checked_sub(1).and_then(|k| spec.accounts.get(k))
            };
            let (role, email, name) = if let Some(a) = demo_account {
                (a.role, a.email.to_string(), a.name.to_string())
            } else {
                let first = FIRST_NAMES.choose(&mut rng).copied().unwrap_or("Anna");
                let last = LAST_NAMES.choose(&mut rng).copied().unwrap_or("Andersson");
                // The large company's first people are the demo accounts; every small
                // company gets an owner and an admin of its own.
                let role = match i {
                    0 => Role::Owner,
                    1 => Role::Admin,
                    _ => Role::Member,
                };
                let local = format!("{first}.{last}")
                    .to_lowercase()
                    .replace(['å', 'ä'], "a")
                    .replace('ö', "o");
                let mut email = format!("{local}@{}", spec.domain);
                let mut k = 2;
                while !used_emails.insert(email.clone()) {
                    email = format!("{local}{k}@{}", spec.domain);
                    k += 1;
                }
                // About one in twenty has not set a name in the app yet.
                let name = if rng.gen_bool(0.05) {
                    String::new()
                } else {
                    format!("{first} {last}")
                };
                (role, email, name)
            };
            used_emails.insert(email.clone());
            let email = Email::parse(&email).ok_or("demo email does not parse")?;
            // Most members have signed in to the parking app with the invited email: the
            // operator knows them as app users.
            let app_user = if rng.gen_bool(0.85) {
                app_user_seq += 1;
                let id = format!("DEMO-U-{app_user_seq:06}");
                app_users.push(AppUserIn {
                    id: id.clone(),
                    version: 1,
                    email: email.as_str().into(),
                    display_name: name.clone(),
                    app_signed_in_at: Some(rfc3339(now - rng.gen_range(86_400..86_400 * 400))),
                });
                Some(id)
            } else {
                None
            };
            let cost_center = cost_centers[rng.gen_range(0..cost_centers.len())].clone();
            let plates: Vec<String> = (0..rng.gen_range(1..=2)).map(|_| plate(&mut rng)).collect();
            let home_facility = usable[rng.gen_range(0..usable.len())];
            people.push((
                role,
                email,
                name,
                app_user,
                cost_center,
                plates,
                home_facility,
            ));
        }
        if !app_users.is_empty() {
            ingest("app users", app_users, async |batch| {
                ingest_service::app_users(db, &access, batch).await
            })
            .await?;
        }
        let mut members: Vec<DemoMember> = Vec::with_capacity(n_members + 1);
        for (i, (role, email, name, app_user, cost_center, plates, home_facility)) in
            people.into_iter().enumerate()
        {
            // Finds the app user just sent, or creates the invited person who never used the app.
            let user_id = companies::upsert_user(db, new_id(&mut rng), &email, &name, now).await?;
            companies::add_membership(
                db,
                scope,
                &NewMembership {
                    user_id,
                    role,
                    default_cost_center_id: Some(cost_center.0),
                    invited_email: Some(email.clone()),
                },
                now,
            )
            .await?;
            let member = DemoMember {
                email: email.as_str().into(),
                app_user,
                plates,
                cost_center: cost_center.1,
                home_facility,
            };
            if is_big && i == DEMO_ACCOUNTS.len() - 1 {
                shared_member = Some(DemoMember {
                    email: member.email.clone(),
                    app_user: member.app_user.clone(),
                    plates: member.plates.clone(),
                    cost_center: String::new(),
                    home_facility: usable[0],
                });
            }
            members.push(member);
            report.members += 1;
        }
        if is_big {
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
            }
        }
        // The member of two companies also works for the first small company.
        if index == 1 {
            if let Some(mut shared) = shared_member.take() {
                let (cost_center_id, code) = cost_centers[0].clone();
                let email = Email::parse(&shared.email).ok_or("demo email does not parse")?;
                let user_id = companies::upsert_user(db, new_id(&mut rng), &email, "", now).await?;
                companies::add_membership(
                    db,
                    scope,
                    &NewMembership {
                        user_id,
                        role: Role::Member,
                        default_cost_center_id: Some(cost_center_id),
                        invited_email: Some(email),
                    },
                    now,
                )
                .await?;
                shared.cost_center = code;
                members.push(shared);
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
            &usable,
            n_sessions,
            until,
            tz,
        )
        .await?;
        report.sessions += inserted;
        report.invoices +=
            generate_invoices(db, &access, &mut rng, &company, lines, until, tz, index).await?;
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// The large company's front desk, with two guests registered today (one expected, one with
/// the visitor's name), so `/frontdesk` shows what it does. No random numbers: the seeded data
/// stays the same. The permits wait in the outbox until the operator's endpoint is configured.
async fn add_front_desk(
    db: &Db,
    scope: app::scope::CompanyScope,
    company: &CompanyRow,
    facility_code: &str,
    now: i64,
) -> Result<(), Box<dyn std::error::Error>> {
    let a = &DEMO_FRONT_DESK;
    let email = Email::parse(a.email).ok_or("demo email does not parse")?;
    let id = Uuid::from_u128(0x00f0_de5c_0000_4000_8000_0000_0000_0001 ^ company.id.as_u128());
    let user_id = companies::upsert_user(db, id, &email, a.name, now).await?;
    companies::add_membership(
        db,
        scope,
        &NewMembership {
            user_id,
            role: a.role,
            default_cost_center_id: None,
            invited_email: Some(email),
        },
        now,
    )
    .await?;
    let ctx = app::auth::TenantCtx::from_database(db, user_id, company.id).await?;
    let facility: Uuid = app::with_pool!(db, |pool| {
        sqlx::query_scalar("SELECT id FROM facilities WHERE external_ref = $1")
            .bind(facility_code)
            .fetch_one(pool)
            .await
    })?;
    let facility = facility.to_string();
    for (plate, name) in [("KLM 482", "Lena Berg, Skanska"), ("OHJ-913", "")] {
        let form = app::frontdesk::service::GuestForm {
            plate,
            visitor_name: name,
            host: "",
            facility: &facility,
            until: "today",
            until_at: "",
        };
        app::frontdesk::service::register(db, &ctx, &form, now).await?;
    }
    Ok(())
}

/// Sessions going on now at the large company: two demo members and the first registered
/// guest (KLM 482), started within the last three hours, no end yet. Returns how many.
async fn park_now(
    db: &Db,
    access: &app::auth::OperatorAccess,
    org_number: &str,
    facility_code: &str,
    now: i64,
) -> Result<u64, Box<dyn std::error::Error>> {
    let who = [
        (Some(DEMO_ACCOUNTS[3].email), "MAJ 517", 2 * 3600),
        (Some(DEMO_ACCOUNTS[1].email), "ERH 208", 3 * 3600 - 600),
        (None, "KLM 482", 20 * 60),
    ];
    let records = who
        .iter()
        .enumerate()
        .map(|(i, (email, plate, ago))| SessionIn {
            id: format!("DEMO-NOW-{i}"),
            version: 1,
            company: org_number.into(),
            app_user: email.map(|e| AppUserRef {
                id: None,
                email: Some(e.into()),
            }),
            plate: (*plate).into(),
            facility: facility_code.into(),
            kind: SessionKindIn::Parking,
            started_at: rfc3339(now - ago),
            ended_at: None,
            energy_wh: None,
            amount_incl_vat: 0,
            vat: 0,
            cost_center: None,
        })
        .collect();
    let result = ingest("sessions", records, async |batch| {
        ingest_service::sessions(db, access, DEMO_SOURCE, batch).await
    })
    .await?;
    Ok(result.inserted as u64)
}

/// 13 months back from `until`, the first day of that month.
fn period_start(until: NaiveDate) -> NaiveDate {
    let first = until.with_day(1).unwrap_or(until);
    first
        .checked_sub_months(chrono::Months::new(12))
        .unwrap_or(first)
}

fn to_utc(tz: Tz, local: NaiveDateTime) -> i64 {
    // A local time inside the spring-forward gap does not exist: take the hour after.
    tz.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(local + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.timestamp())
        .unwrap_or_else(|| local.and_utc().timestamp())
}

/// Generates the company's sessions and sends them through the ingestion service in batches
/// of the API's size; returns how many were stored and what the invoices need of each.
#[allow(clippy::too_many_arguments)]
async fn generate_sessions(
    db: &Db,
    access: &app::auth::OperatorAccess,
    rng: &mut StdRng,
    company: &CompanyRow,
    members: &[DemoMember],
    all_facilities: &[DemoFacility],
    usable: &[usize],
    count: usize,
    until: NaiveDate,
    tz: Tz,
) -> Result<(u64, Vec<InvoiceLine>), Box<dyn std::error::Error>> {
    let first_day = period_start(until);
    let days = (until - first_day).num_days().max(1) as u64;
    let now = Utc::now().timestamp();
    // All of the company's sessions are made first and sent in the order they ended, as the
    // operator's feed delivers them: the tables then lie on disk the way a real portal's do
    // (a month's rows near each other), which is what reads of a period depend on.
    let mut batch: Vec<(i64, SessionIn)> = Vec::with_capacity(count);
    let mut lines = Vec::with_capacity(count);
    for n in 0..count {
        // A few members park a lot, most now and then.
        let m =
            &members[(rng.gen::<f64>().powf(1.6) * members.len() as f64) as usize % members.len()];
        let facility_index = if rng.gen_bool(0.6) {
            m.home_facility
        } else {
            usable[rng.gen_range(0..usable.len())]
        };
        let facility = &all_facilities[facility_index];
        let hourly = facility.hourly;
        let day = first_day + Days::new(rng.gen_range(0..days));
        let weekend = day.weekday().number_from_monday() >= 6;
        let hour = if weekend {
            rng.gen_range(9..20)
        } else if rng.gen_bool(0.7) {
            rng.gen_range(6..10)
        } else {
            rng.gen_range(10..21)
        };
        let start_local = day.and_time(
            NaiveTime::from_hms_opt(hour, rng.gen_range(0..60), rng.gen_range(0..60))
                .unwrap_or_default(),
        );
        let started_at = to_utc(tz, start_local);
        let charging = facility.has_chargers && rng.gen_bool(0.25);
        let (minutes, energy_wh, amount_ore) = if charging {
            let minutes: i64 = rng.gen_range(20..180);
            let energy_wh = minutes * rng.gen_range(90..180); // 5.4–10.8 kW
                                                              // 3.95 kr/kWh incl. VAT plus parking while charging at half price
            let amount = energy_wh * 395 / 1000 + hourly * minutes / 120;
            (minutes, Some(energy_wh), amount)
        } else {
            let minutes: i64 = if hour < 10 && !weekend {
                rng.gen_range(240..600)
            } else {
                rng.gen_range(30..240)
            };
            (minutes, None, hourly * minutes / 60)
        };
        let ended_at = started_at + minutes * 60;
        if ended_at > now {
            continue; // only finished sessions
        }
        let amount_ore = in_currency(&company.currency, amount_ore);
        // Half the sessions name their cost center; the others get the member's default.
        let cost_center = rng.gen_bool(0.5).then(|| m.cost_center.clone());
        let id = format!("{}-{n}", company.org_number);
        let plate = m.plates[rng.gen_range(0..m.plates.len())].clone();
        lines.push(InvoiceLine {
            started_at,
            id: id.clone(),
            description: format!(
                "{} {plate}",
                if charging { "Laddning" } else { "Parkering" }
            ),
            amount: amount_ore,
            vat: vat_of(amount_ore),
            cost_center: m.cost_center.clone(),
        });
        batch.push((
            ended_at,
            SessionIn {
                id,
                version: 1,
                company: company.org_number.clone(),
                app_user: Some(AppUserRef {
                    id: m.app_user.clone(),
                    email: Some(m.email.clone()),
                }),
                plate,
                facility: facility.code.clone(),
                kind: if charging {
                    SessionKindIn::Charging
                } else {
                    SessionKindIn::Parking
                },
                started_at: rfc3339(started_at),
                ended_at: Some(rfc3339(ended_at)),
                energy_wh,
                amount_incl_vat: amount_ore,
                vat: vat_of(amount_ore),
                cost_center,
            },
        ));
    }
    batch.sort_by_key(|(ended_at, _)| *ended_at);
    let mut inserted = 0;
    let mut records = batch.into_iter().peekable();
    while records.peek().is_some() {
        let part: Vec<SessionIn> = records.by_ref().take(MAX_BATCH).map(|(_, s)| s).collect();
        let result = ingest("sessions", part, async |batch| {
            ingest_service::sessions(db, access, DEMO_SOURCE, batch).await
        })
        .await?;
        inserted += result.inserted as u64;
    }
    Ok((inserted, lines))
}

/// A price made in Swedish öre, in the company's currency: whole kronor (SEK, NOK: about the
/// same price level) like the operator's receipts, or euros to ten cents (about 11.5 kr).
fn in_currency(currency: &str, ore_sek: i64) -> i64 {
    match currency {
        "EUR" => ((ore_sek * 10 / 115 + 5) / 10).max(1) * 10,
        _ => (ore_sek / 100).max(1) * 100,
    }
}

/// One invoice per finished month, its lines the month's sessions: old ones paid, the last
/// one unpaid, the two before it unpaid past their due date (overdue, which the portal
/// derives) and one credited, so every status shows.
#[allow(clippy::too_many_arguments)]
async fn generate_invoices(
    db: &Db,
    access: &app::auth::OperatorAccess,
    rng: &mut StdRng,
    company: &CompanyRow,
    mut lines: Vec<InvoiceLine>,
    until: NaiveDate,
    tz: Tz,
    company_index: usize,
) -> Result<usize, Box<dyn std::error::Error>> {
    lines.sort_by_key(|l| l.started_at);
    let mut month = period_start(until);
    let this_month = until.with_day(1).unwrap_or(until);
    let mut records = Vec::new();
    let mut seq = 1;
    while month < this_month {
        let (y, m) = (month.year(), month.month());
        let (from, to) = calendar::month_bounds(tz, y, m).ok_or("bad month")?;
        let period_end = calendar::last_day(y, m).ok_or("bad month")?;
        let issued_on = period_end + Days::new(3);
        let due_on = issued_on + Days::new(30);
        let months_back = (this_month.year() - y) * 12 + this_month.month() as i32 - m as i32;
        let status = match months_back {
            1 | 2 => InvoiceStatusIn::Unpaid,
            5 => InvoiceStatusIn::Credited,
            _ => InvoiceStatusIn::Paid,
        };
        let paid_on = (status == InvoiceStatusIn::Paid)
            .then(|| (due_on - Days::new(rng.gen_range(0..10))).to_string());
        let of_month: Vec<InvoiceLineIn> = lines
            .iter()
            .filter(|l| l.started_at >= from && l.started_at < to)
            .map(|l| InvoiceLineIn {
                description: l.description.clone(),
                amount_incl_vat: l.amount,
                vat: l.vat,
                session: Some(l.id.clone()),
                cost_center: (!l.cost_center.is_empty()).then(|| l.cost_center.clone()),
            })
            .collect();
        records.push(InvoiceIn {
            number: format!("F{}{:02}-{}{:03}", y, m, company_index + 1, seq),
            version: 1,
            company: company.org_number.clone(),
            period_start: month.to_string(),
            period_end: period_end.to_string(),
            issued_on: issued_on.to_string(),
            due_on: due_on.to_string(),
            status,
            paid_on,
            amount_incl_vat: of_month.iter().map(|l| l.amount_incl_vat).sum(),
            vat: of_month.iter().map(|l| l.vat).sum(),
            lines: of_month,
        });
        seq += 1;
        month = month
            .checked_add_months(chrono::Months::new(1))
            .ok_or("bad month")?;
    }
    let count = records.len();
    if count > 0 {
        ingest("invoices", records, async |batch| {
            ingest_service::invoices(db, access, DEMO_SOURCE, batch).await
        })
        .await?;
    }
    Ok(count)
}

/// The `source` of the demo's sessions (the back office's are `operator`).
const DEMO_SOURCE: &str = "demo";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_plates_are_valid_swedish_plates() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..1000 {
            let p = plate(&mut rng);
            assert_eq!(
                app::plate::Plate::parse(&p).map(|p| p.as_str().to_owned()),
                Some(p.clone()),
                "{p}"
            );
        }
    }

    #[test]
    fn vat_is_a_fifth_of_a_swedish_price() {
        assert_eq!(vat_of(12_500), 2_500);
        assert_eq!(vat_of(100), 20);
    }

    #[test]
    fn the_period_covers_thirteen_calendar_months() {
        let until = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(
            period_start(until),
            NaiveDate::from_ymd_opt(2025, 11, 1).unwrap()
        );
    }
}

#[cfg(test)]
mod db_tests {
    use app::{db::Backend, testing::TestDb, with_pool};

    use super::*;

    async fn fingerprint(db: &Db) -> (i64, i64, i64, i64, String) {
        with_pool!(db, |pool| {
            let (sessions, amount, invoices): (i64, i64, i64) = sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM sessions), (SELECT CAST(SUM(amount_ore) AS BIGINT) FROM sessions),
                        (SELECT COUNT(*) FROM invoices)",
            )
            .fetch_one(pool)
            .await
            .unwrap();
            let members: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM memberships")
                .fetch_one(pool)
                .await
                .unwrap();
            let first: String =
                sqlx::query_scalar("SELECT plate FROM sessions ORDER BY external_ref LIMIT 1")
                    .fetch_one(pool)
                    .await
                    .unwrap();
            (sessions, amount, invoices, members, first)
        })
    }

    #[tokio::test]
    async fn the_same_seed_gives_the_same_data_on_both_databases() {
        let args = DemoArgs {
            seed: 11,
            members: 30,
            sessions: 2_000,
            until: NaiveDate::from_ymd_opt(2026, 11, 20),
        };
        let sqlite = TestDb::fresh(Backend::Sqlite).await;
        let pg = TestDb::fresh(Backend::Postgres).await;
        generate(&sqlite.db, &args).await.unwrap();
        generate(&pg.db, &args).await.unwrap();
        let a = fingerprint(&sqlite.db).await;
        assert_eq!(a, fingerprint(&pg.db).await);
        assert!(a.0 > 2_000, "the big company plus the small ones");
        assert_eq!(a.2, 60, "12 finished months for each of 5 companies");
        assert_eq!(
            a.3,
            30 + 4 * 8 + 1 + 1,
            "members, plus the member of two companies and the front desk"
        );
        // The Finnish company bills in euros on Helsinki time, its admin signs in by name; the
        // Norwegian one in kroner on Oslo time. A euro session costs about a tenth of a krona one.
        for db in [&sqlite.db, &pg.db] {
            with_pool!(db, |pool| {
                let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
                    "SELECT c.name, c.currency, c.time_zone, CAST(AVG(s.amount_ore) AS BIGINT)
                     FROM companies c JOIN sessions s ON s.company_id = c.id
                     GROUP BY c.name, c.currency, c.time_zone ORDER BY c.name",
                )
                .fetch_all(pool)
                .await
                .unwrap();
                let of = |name: &str| rows.iter().find(|r| r.0 == name).cloned().unwrap();
                let (fi, no, se) = (
                    of("Virtasen Rakennus Oy"),
                    of("Haugen Bygg AS"),
                    of("Lindqvist Konsult AB"),
                );
                assert_eq!((&fi.1[..], &fi.2[..]), ("EUR", "Europe/Helsinki"));
                assert_eq!((&no.1[..], &no.2[..]), ("NOK", "Europe/Oslo"));
                assert!(fi.3 * 5 < se.3 && se.3 < fi.3 * 20, "{fi:?} vs {se:?}");
                let admins: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM users u JOIN memberships m ON m.user_id = u.id
                     WHERE m.role = 'admin' AND u.email IN ($1, $2)",
                )
                .bind(DEMO_FINNISH_ADMIN.email)
                .bind(DEMO_NORWEGIAN_ADMIN.email)
                .fetch_one(pool)
                .await
                .unwrap();
                assert_eq!(admins, 2);
            });
        }
    }

    #[tokio::test]
    async fn generating_twice_into_one_database_fails_clearly_and_adds_nothing() {
        let t = TestDb::fresh(Backend::Sqlite).await;
        let args = DemoArgs {
            members: 8,
            sessions: 300,
            ..Default::default()
        };
        generate(&t.db, &args).await.unwrap();
        let before = fingerprint(&t.db).await;
        let err = generate(&t.db, &args).await.err().unwrap().to_string();
        assert!(err.contains("already hold demo data"), "{err}");
        assert_eq!(fingerprint(&t.db).await, before);
    }

    #[tokio::test]
    async fn every_facility_kind_and_invoice_status_appears() {
        let t = TestDb::fresh(Backend::Sqlite).await;
        let args = DemoArgs {
            members: 8,
            sessions: 500,
            until: NaiveDate::from_ymd_opt(2026, 11, 20),
            ..Default::default()
        };
        generate(&t.db, &args).await.unwrap();
        let (kinds, statuses, charging): (i64, i64, i64) = with_pool!(&t.db, |pool| {
            sqlx::query_as(
                "SELECT (SELECT COUNT(DISTINCT kind) FROM facilities), (SELECT COUNT(DISTINCT status) FROM invoices),
                        (SELECT COUNT(*) FROM sessions WHERE kind = 'charging' AND energy_wh > 0)",
            )
            .fetch_one(pool)
            .await
            .unwrap()
        });
        assert_eq!(kinds, 4);
        assert_eq!(
            statuses, 3,
            "paid, unpaid and credited (overdue is derived)"
        );
        let past_due: i64 = with_pool!(&t.db, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM invoices WHERE status = 'unpaid' AND due_on < '2026-11-20'",
            )
            .fetch_one(pool)
            .await
            .unwrap()
        });
        assert!(past_due > 0, "an unpaid invoice past its due date: overdue");
        assert!(charging > 0);
    }
}

#[cfg(test)]
mod operator_tests {
    use app::{
        auth::OperatorAccess,
        db::Backend,
        i18n::Lang,
        operator::{self, NewCompany, OperatorError},
        testing::TestDb,
    };

    fn company<'a>(org: &'a str, email: &'a str) -> NewCompany<'a> {
        NewCompany {
            name: "Ny Firma AB",
            org_number: org,
            owner_email: email,
            time_zone: "Europe/Stockholm",
            currency: "sek",
        }
    }

    #[tokio::test]
    async fn customer_service_creates_a_company_with_its_owner_and_a_welcome_mail() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let t = TestDb::fresh(backend).await;
            let id = operator::create_company(
                &t.db,
                &OperatorAccess::command_line(),
                &company("5599001122", "Boss@Ny.se"),
                "http://p",
                Lang::Sv,
                1,
            )
            .await
            .unwrap();
            let list = operator::list_companies(&t.db).await.unwrap();
            assert_eq!(
                list,
                [app::companies::store::CompanyOverview {
                    org_number: "559900-1122".into(),
                    name: "Ny Firma AB".into(),
                    active_members: 1,
                    owner_email: Some("boss@ny.se".into()),
                }]
            );
            let mails: i64 = app::with_pool!(&t.db, |pool| {
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM outbox WHERE ref_id = $1 AND kind = 'welcome_owner'",
                )
                .bind(id)
                .fetch_one(pool)
                .await
                .unwrap()
            });
            assert_eq!(mails, 1);
            // The same order twice: a clear error, nothing added.
            let again = operator::create_company(
                &t.db,
                &OperatorAccess::command_line(),
                &company("559900-1122", "x@ny.se"),
                "http://p",
                Lang::Sv,
                2,
            )
            .await;
            assert!(
                matches!(
                    again,
                    Err(OperatorError::Invalid {
                        field: "org-number",
                        ..
                    })
                ),
                "{again:?}"
            );
            assert_eq!(operator::list_companies(&t.db).await.unwrap().len(), 1);
        }
    }

    #[tokio::test]
    async fn bad_input_names_the_flag_and_changes_nothing() {
        let t = TestDb::fresh(Backend::Sqlite).await;
        for (c, flag) in [
            (
                NewCompany {
                    name: " ",
                    ..company("5599001122", "a@b.se")
                },
                "name",
            ),
            (company("55990011", "a@b.se"), "org-number"),
            (company("5599001122", "not-an-email"), "owner-email"),
            (
                NewCompany {
                    time_zone: "Mars/Olympus",
                    ..company("5599001122", "a@b.se")
                },
                "time-zone",
            ),
            (
                NewCompany {
                    currency: "kronor",
                    ..company("5599001122", "a@b.se")
                },
                "currency",
            ),
        ] {
            let e = operator::create_company(
                &t.db,
                &OperatorAccess::command_line(),
                &c,
                "http://p",
                Lang::Sv,
                1,
            )
            .await
            .unwrap_err();
            assert!(
                matches!(e, OperatorError::Invalid { field, .. } if field == flag),
                "{e}"
            );
        }
        assert!(operator::list_companies(&t.db).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn an_ownerless_company_gets_an_owner_once() {
        let t = TestDb::fresh(Backend::Sqlite).await;
        let c = app::companies::store::CompanyRow {
            id: uuid::Uuid::new_v4(),
            name: "Gammal AB".into(),
            org_number: "556000-0009".into(),
            time_zone: "Europe/Stockholm".into(),
            currency: "SEK".into(),
        };
        app::companies::store::insert_company(&t.db, &c, 0)
            .await
            .unwrap();
        let e = operator::set_owner(
            &t.db,
            &OperatorAccess::command_line(),
            "556000-0010",
            "a@b.se",
            "http://p",
            Lang::Sv,
            1,
        )
        .await
        .unwrap_err();
        assert_eq!(e, OperatorError::NoSuchCompany("556000-0010".into()));
        operator::set_owner(
            &t.db,
            &OperatorAccess::command_line(),
            "5560000009",
            "Chef@Gammal.se",
            "http://p",
            Lang::En,
            1,
        )
        .await
        .unwrap();
        assert_eq!(
            operator::list_companies(&t.db).await.unwrap()[0]
                .owner_email
                .as_deref(),
            Some("chef@gammal.se")
        );
        let twice = operator::set_owner(
            &t.db,
            &OperatorAccess::command_line(),
            "556000-0009",
            "other@b.se",
            "http://p",
            Lang::Sv,
            2,
        )
        .await;
        assert!(matches!(twice, Err(OperatorError::Invalid { .. })));
        assert_eq!(
            operator::list_companies(&t.db).await.unwrap()[0]
                .owner_email
                .as_deref(),
            Some("chef@gammal.se")
        );
    }
}
