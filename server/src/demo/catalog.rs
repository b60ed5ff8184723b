//! The demo's fixed data: the accounts a newcomer signs in as, names, the operator's cities
//! and facilities, and the companies. Changing anything here changes the generated data.

use app::{
    companies::Role,
    facilities::{Acceptance, FacilityKind},
    org_number::Country,
};
use chrono_tz::Tz;

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

pub(super) const FIRST_NAMES: &[&str] = &[
    "Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Eva", "Anders", "Sara", "Per", "Emma",
    "Mikael", "Linnea", "Oskar", "Elin", "Karl", "Ida", "Nils", "Sofia", "Gustav", "Hanna", "Axel",
    "Maja", "Viktor", "Astrid", "Lukas", "Ebba", "Filip", "Alva", "Jonas", "Ingrid", "Mohammed",
    "Fatima", "Ali", "Amira", "Björn", "Åsa", "Göran", "Märta", "Östen",
];
pub(super) const LAST_NAMES: &[&str] = &[
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

/// Finnish and Norwegian people's names, for the companies of those countries (generated
/// after the Swedish companies, so the Swedish data stays as it was).
pub(super) const FINNISH_FIRST_NAMES: &[&str] = &[
    "Aino", "Eino", "Väinö", "Aleksi", "Elina", "Juha", "Päivi", "Sanna", "Matti", "Tuula",
    "Jyrki", "Kaisa", "Mikko", "Hanna", "Ilkka", "Sini",
];
pub(super) const FINNISH_LAST_NAMES: &[&str] = &[
    "Virtanen",
    "Korhonen",
    "Mäkinen",
    "Nieminen",
    "Mäkelä",
    "Hämäläinen",
    "Laine",
    "Heikkinen",
    "Koskinen",
    "Järvinen",
    "Lehtonen",
    "Saarinen",
    "Salminen",
    "Heinonen",
    "Niemi",
    "Äijälä",
    "Öhman",
];
pub(super) const NORWEGIAN_FIRST_NAMES: &[&str] = &[
    "Ingrid",
    "Ola",
    "Kari",
    "Øyvind",
    "Åse",
    "Bjørn",
    "Solveig",
    "Håkon",
    "Sigrid",
    "Ærlend",
    "Knut",
    "Liv",
    "Torbjørn",
    "Marit",
    "Jørgen",
    "Gunnhild",
];
pub(super) const NORWEGIAN_LAST_NAMES: &[&str] = &[
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Haugen",
    "Dahl",
    "Bakke",
    "Sæther",
    "Løken",
    "Strøm",
    "Ødegård",
    "Aasen",
];

/// (city, hourly parking price in öre, facilities: name, address, kind, acceptance, note, chargers)
pub(super) type FacilitySpec = (
    &'static str,
    &'static str,
    FacilityKind,
    Acceptance,
    &'static str,
    bool,
);
pub(super) const CITIES: &[(&str, i64, &[FacilitySpec])] = &[
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

/// The operator's garages in Helsinki and Oslo: (city, country, hourly price in Swedish öre —
/// every demo price is, and `sessions::in_currency` turns it into the company's — ,
/// facilities). After the Swedish cities, so that the Swedish
/// facilities keep their codes and every Swedish company's draws stay as they were.
pub(super) const NORDIC_CITIES: &[(&str, Country, i64, &[FacilitySpec])] = &[
    (
        "Helsinki",
        Country::Fi,
        4_600,
        &[
            (
                "Pysäköintitalo Kamppi",
                "Urho Kekkosen katu 1",
                FacilityKind::BarrierGarage,
                Acceptance::Yes,
                "",
                true,
            ),
            (
                "Pysäköinti Forum",
                "Mannerheimintie 14",
                FacilityKind::CameraGarage,
                Acceptance::Yes,
                "",
                false,
            ),
            (
                "Eteläranta",
                "Eteläranta 10",
                FacilityKind::Street,
                Acceptance::Yes,
                "",
                false,
            ),
        ],
    ),
    (
        "Oslo",
        Country::No,
        5_000,
        &[
            (
                "Parkering Aker Brygge",
                "Stranden 3",
                FacilityKind::BarrierGarage,
                Acceptance::Yes,
                "",
                true,
            ),
            (
                "P-hus Oslo City",
                "Stenersgata 1",
                FacilityKind::CameraGarage,
                Acceptance::Yes,
                "",
                false,
            ),
            (
                "Thorvald Meyers gate",
                "Thorvald Meyers gate 50",
                FacilityKind::Street,
                Acceptance::Yes,
                "",
                false,
            ),
        ],
    ),
];

pub(super) struct CompanySpec {
    pub(super) name: &'static str,
    pub(super) org_number: &'static str,
    pub(super) domain: &'static str,
    pub(super) cost_centers: &'static [(&'static str, &'static str)],
    /// The company's time zone and currency (its amounts are in it, whatever the language).
    pub(super) time_zone: Tz,
    pub(super) currency: &'static str,
    /// Named sign-in accounts: the company's first people (a small company's others are
    /// generated; the large company's are `DEMO_ACCOUNTS`).
    pub(super) accounts: &'static [DemoAccount],
}

impl CompanySpec {
    /// The company's country, as its organisation number says.
    pub(super) fn country(&self) -> Country {
        Country::of(self.org_number).unwrap_or(Country::Se)
    }
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

pub(super) const BIG: CompanySpec = CompanySpec {
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
pub(super) const SMALL: &[CompanySpec] = &[
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
        // A Finnish Y-tunnus (check digit by weights 7 9 10 5 8 4 2, mod 11).
        org_number: "1234567-1",
        domain: "virtasenrakennus.example",
        cost_centers: &[("10", "Työmaat"), ("20", "Toimisto")],
        time_zone: chrono_tz::Europe::Helsinki,
        currency: "EUR",
        accounts: &[DEMO_FINNISH_ADMIN],
    },
    CompanySpec {
        name: "Haugen Bygg AS",
        // A Norwegian organisasjonsnummer (check digit by weights 3 2 7 6 5 4 3 2, mod 11).
        org_number: "987 654 325",
        domain: "haugenbygg.example",
        cost_centers: &[("100", "Prosjekt"), ("200", "Kontor")],
        time_zone: chrono_tz::Europe::Oslo,
        currency: "NOK",
        accounts: &[DEMO_NORWEGIAN_ADMIN],
    },
];
