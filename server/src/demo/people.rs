//! The companies' people: generated names and addresses, their app profiles, memberships,
//! and the large company's front desk.

use std::collections::HashSet;

use app::{
    auth::OperatorAccess,
    calendar::rfc3339_utc as rfc3339,
    companies::{
        store::{self as companies, CompanyRow, NewMembership},
        Email, Role,
    },
    db::Db,
    ingest::{service as ingest_service, wire::AppUserIn},
    scope::CompanyScope,
};
use rand::{rngs::StdRng, seq::SliceRandom, Rng};
use uuid::Uuid;

use app::org_number::Country;

use super::{
    catalog::{
        CompanySpec, DEMO_FRONT_DESK, FINNISH_FIRST_NAMES, FINNISH_LAST_NAMES, FIRST_NAMES,
        LAST_NAMES, NORWEGIAN_FIRST_NAMES, NORWEGIAN_LAST_NAMES,
    },
    parts::{ingest, new_id, plate_of, DemoMember},
};

/// A person before they are a member: role, email, name, app user id, default cost center,
/// plates and home facility.
type Person = (
    Role,
    Email,
    String,
    Option<String>,
    (Uuid, String),
    Vec<String>,
    usize,
);

/// Makes the companies' people, one company after the other.
pub(super) struct People<'a> {
    pub(super) db: &'a Db,
    pub(super) access: &'a OperatorAccess,
    /// The facilities where the company account works (a member's home facility is one).
    pub(super) usable: &'a [usize],
    /// The last app user id given out (`DEMO-U-000001` …), across companies.
    pub(super) app_user_seq: u32,
    pub(super) now: i64,
}

impl People<'_> {
    /// The company's members: the named demo accounts first, then generated people. Their app
    /// profiles go in first, as the operator's back office would have sent them; then the
    /// company makes them members.
    pub(super) async fn members(
        &mut self,
        rng: &mut StdRng,
        spec: &CompanySpec,
        scope: CompanyScope,
        is_big: bool,
        n_members: usize,
        cost_centers: &[(Uuid, String)],
    ) -> Result<Vec<DemoMember>, Box<dyn std::error::Error>> {
        let (db, access, usable, now) = (self.db, self.access, self.usable, self.now);
        // A company's people have its country's names and plates (Swedish unless the number
        // says otherwise; the Swedish companies come first, so their data is as it was).
        let country = spec.country();
        let (first_names, last_names) = match country {
            Country::Se => (FIRST_NAMES, LAST_NAMES),
            Country::Fi => (FINNISH_FIRST_NAMES, FINNISH_LAST_NAMES),
            Country::No => (NORWEGIAN_FIRST_NAMES, NORWEGIAN_LAST_NAMES),
        };
        let mut people: Vec<Person> = Vec::with_capacity(n_members);
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
                let first = first_names.choose(rng).copied().unwrap_or("Anna");
                let last = last_names.choose(rng).copied().unwrap_or("Andersson");
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
                    .replace(['ö', 'ø'], "o")
                    .replace('æ', "ae");
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
                self.app_user_seq += 1;
                let id = format!("DEMO-U-{:06}", self.app_user_seq);
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
            let plates: Vec<String> = (0..rng.gen_range(1..=2))
                .map(|_| plate_of(country, rng))
                .collect();
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
                ingest_service::app_users(db, access, batch).await
            })
            .await?;
        }
        let mut members: Vec<DemoMember> = Vec::with_capacity(n_members + 1);
        for (role, email, name, app_user, cost_center, plates, home_facility) in people.into_iter()
        {
            // Finds the app user just sent, or creates the invited person who never used the app.
            let user_id = companies::upsert_user(db, new_id(rng), &email, &name, now).await?;
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
            members.push(member);
        }
        Ok(members)
    }

    /// Makes `shared`, a member of another company, a member of this one too (the person in
    /// two companies of the demo).
    pub(super) async fn also_member(
        &self,
        rng: &mut StdRng,
        mut shared: DemoMember,
        scope: CompanyScope,
        cost_center: &(Uuid, String),
    ) -> Result<DemoMember, Box<dyn std::error::Error>> {
        let (cost_center_id, code) = cost_center.clone();
        let email = Email::parse(&shared.email).ok_or("demo email does not parse")?;
        let user_id = companies::upsert_user(self.db, new_id(rng), &email, "", self.now).await?;
        companies::add_membership(
            self.db,
            scope,
            &NewMembership {
                user_id,
                role: Role::Member,
                default_cost_center_id: Some(cost_center_id),
                invited_email: Some(email),
            },
            self.now,
        )
        .await?;
        shared.cost_center = code;
        Ok(shared)
    }
}

/// The large company's front desk, with two guests registered today (one expected, one with
/// the visitor's name), so `/frontdesk` shows what it does. No random numbers: the seeded data
/// stays the same. The permits wait in the outbox until the operator's endpoint is configured.
pub(super) async fn add_front_desk(
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
