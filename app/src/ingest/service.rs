//! The rules of the one way in. Each resource's function takes a whole batch and either
//! stores all of it or nothing:
//!
//! 1. every record is checked on its own (`check.rs`), every problem collected;
//! 2. in one transaction, what the records name is looked up in a handful of queries (one
//!    per kind of thing, not one per record): companies, facilities, cost centers, users,
//!    the stored versions;
//! 3. with any problem, the transaction is dropped and the batch answered 422 with all of
//!    them; otherwise each record is classified (inserted / updated / unchanged / outdated),
//!    the ones to write are written through their domain's store, and it commits.
//!
//! The stores' upserts repeat the version rule in SQL (`WHERE stored.version <
//! excluded.version`), so two batches racing can misreport an outcome but never let an older
//! version overwrite a newer one.

use std::collections::HashMap;

use uuid::Uuid;

use super::{
    check::{distinct, Errors, Incoming},
    wire::*,
};
use crate::{
    auth::OperatorAccess,
    companies::{
        store::{self as companies, AppUserProfile, UserKey, UserKeys},
        Email,
    },
    db::{now_ts, Db, Tx},
    facilities::{
        store::{self as facilities, NewFacility},
        Acceptance, Facility, FacilityKind,
    },
    history::{
        store::{self as history, NewSession},
        SessionKind,
    },
    invoices::{
        store::{self as invoices, IncomingInvoice, NewInvoice, NewInvoiceLine},
        InvoiceStatus,
    },
    plate,
    scope::CompanyScope,
};

/// The `source` of the sessions that come through the HTTP API and `portal ingest`.
pub const OPERATOR_SOURCE: &str = "operator";

/// Sessions may start or end at most this far ahead of the server's clock (clock skew).
const FUTURE_SLACK: i64 = 86_400;

/// Why a batch was not stored.
#[derive(Debug)]
pub enum Rejected {
    /// 422: every problem, by record; nothing was stored.
    Invalid(Vec<RecordError>),
    /// The database failed; nothing was stored (the transaction rolled back).
    Db(sqlx::Error),
}

impl From<sqlx::Error> for Rejected {
    fn from(e: sqlx::Error) -> Self {
        Rejected::Db(e)
    }
}

fn outcome(stored: Option<i64>, version: i64) -> Outcome {
    match stored {
        None => Outcome::Inserted,
        Some(v) if v < version => Outcome::Updated,
        Some(v) if v == version => Outcome::Unchanged,
        Some(_) => Outcome::Outdated,
    }
}

fn writes(o: Outcome) -> bool {
    matches!(o, Outcome::Inserted | Outcome::Updated)
}

/// The records that decoded, with the problems of the others collected in `errors`.
fn decoded<T>(batch: Vec<Incoming<T>>, errors: &mut Errors) -> Vec<(usize, T)> {
    let mut out = Vec::with_capacity(batch.len());
    for (index, record) in batch.into_iter().enumerate() {
        match record {
            Ok(r) => out.push((index, r)),
            Err(e) => errors.extend(e),
        }
    }
    out
}

/// Companies by organisation number, with the scope the operator's access grants for each.
struct Companies(HashMap<String, Uuid>);

impl Companies {
    async fn load(tx: &mut Tx, org_numbers: Vec<&str>) -> Result<Self, sqlx::Error> {
        Ok(Companies(
            companies::ids_by_org_number(tx, &org_numbers).await?,
        ))
    }

    fn get(&self, errors: &mut Errors, index: usize, org: &str) -> Option<Uuid> {
        let id = self.0.get(org).copied();
        if id.is_none() {
            errors.add(
                index,
                "company",
                format!("no company has the organisation number {org}"),
            );
        }
        id
    }

    fn scopes(&self, access: &OperatorAccess) -> Vec<CompanyScope> {
        self.0.values().map(|id| access.scope(*id)).collect()
    }
}

// --- Sessions ---------------------------------------------------------------------------

/// A session that passed the checks needing no database.
struct SessionDraft {
    index: usize,
    rec: SessionIn,
    org: String,
    plate: String,
    kind: SessionKind,
    started_at: i64,
    ended_at: Option<i64>,
    user: Option<UserRef>,
}

#[derive(Debug, Clone)]
struct UserRef {
    id: Option<String>,
    email: Option<Email>,
}

/// `e` is this record's own collector: a record with any problem goes no further.
fn check_session(e: &mut Errors, index: usize, rec: SessionIn, now: i64) -> Option<SessionDraft> {
    e.key(index, "id", &rec.id);
    e.version(index, rec.version);
    let org = e.org_number(index, "company", &rec.company);
    let plate = plate::normalise_any(&rec.plate);
    if plate.is_none() {
        e.add(
            index,
            "plate",
            "must be a plate: 2–12 letters and digits, spaces or dashes between",
        );
    }
    e.key(index, "facility", &rec.facility);
    let kind = match rec.kind {
        SessionKindIn::Parking => SessionKind::Parking,
        SessionKindIn::Charging => SessionKind::Charging,
    };
    match (kind, rec.energy_wh) {
        (SessionKind::Parking, Some(_)) => e.add(
            index,
            "energy_wh",
            "only a charging session has energy; send null",
        ),
        (SessionKind::Charging, Some(wh)) if wh < 0 => {
            e.add(index, "energy_wh", "must be 0 or more")
        }
        _ => {}
    }
    let started_at = e.instant(index, "started_at", &rec.started_at);
    if started_at.is_some_and(|t| t > now + FUTURE_SLACK) {
        e.add(index, "started_at", "is in the future");
    }
    let ended_at = match rec.ended_at.as_deref() {
        None => Some(None),
        Some(t) => e.instant(index, "ended_at", t).map(Some),
    };
    if let (Some(start), Some(Some(end))) = (started_at, ended_at) {
        if end < start {
            e.add(index, "ended_at", "is before started_at");
        } else if end > now + FUTURE_SLACK {
            e.add(index, "ended_at", "is in the future");
        }
    }
    if rec.amount_incl_vat < 0 {
        e.add(index, "amount_incl_vat", "must be 0 or more");
    }
    if rec.vat < 0 || rec.vat > rec.amount_incl_vat.max(0) {
        e.add(index, "vat", "must be between 0 and amount_incl_vat");
    }
    if let Some(code) = &rec.cost_center {
        e.key(index, "cost_center", code);
    }
    let user = match &rec.app_user {
        None => Some(None),
        Some(r) => {
            let mut ok = true;
            if r.id.is_none() && r.email.is_none() {
                e.add(
                    index,
                    "app_user",
                    "give the app user's id, email or both (null for a guest)",
                );
                ok = false;
            }
            if let Some(id) = &r.id {
                ok &= e.key(index, "app_user.id", id);
            }
            let email = match r.email.as_deref() {
                None => None,
                Some(raw) => {
                    let parsed = Email::parse(raw);
                    if parsed.is_none() {
                        e.add(index, "app_user.email", "is not an email address");
                        ok = false;
                    }
                    parsed
                }
            };
            ok.then(|| {
                Some(UserRef {
                    id: r.id.clone(),
                    email,
                })
            })
        }
    };
    // Only a record without problems goes on to the lookups.
    if !e.is_empty() {
        return None;
    }
    Some(SessionDraft {
        index,
        org: org?,
        plate: plate?,
        kind,
        started_at: started_at?,
        ended_at: ended_at?,
        user: user?,
        rec,
    })
}

/// Resolves the app users that sessions name: known ones by the operator's id or email,
/// unknown ones (by email) created — without a membership — when the batch is stored.
#[derive(Default)]
struct UserDirectory {
    by_id: HashMap<String, UserKeys>,
    by_email: HashMap<String, UserKeys>,
    /// Emails to create, with the operator's id when the session gave one.
    create: HashMap<Email, Option<String>>,
    /// Known users (found by email) to give the operator's id.
    link: HashMap<Uuid, String>,
}

enum Resolved {
    Known(Uuid),
    New(Email),
}

impl UserDirectory {
    async fn load(tx: &mut Tx, refs: &[&UserRef]) -> Result<Self, sqlx::Error> {
        let ids = distinct(refs.iter().filter_map(|r| r.id.as_deref()));
        let emails = distinct(
            refs.iter()
                .filter_map(|r| r.email.as_ref().map(Email::as_str)),
        );
        let key = |users: Vec<UserKeys>, f: fn(&UserKeys) -> Option<String>| {
            users
                .into_iter()
                .filter_map(|u| f(&u).map(|k| (k, u)))
                .collect::<HashMap<_, _>>()
        };
        Ok(UserDirectory {
            by_id: key(
                companies::users_by(tx, UserKey::OperatorId, &ids).await?,
                |u| u.operator_user_id.clone(),
            ),
            by_email: key(
                companies::users_by(tx, UserKey::Email, &emails).await?,
                |u| Some(u.email.clone()),
            ),
            ..Default::default()
        })
    }

    fn resolve(&mut self, e: &mut Errors, index: usize, r: &UserRef) -> Option<Resolved> {
        let email = r.email.as_ref();
        if let Some(id) = &r.id {
            if let Some(u) = self.by_id.get(id) {
                if email.is_some_and(|m| m.as_str() != u.email) {
                    e.add(
                        index,
                        "app_user.email",
                        format!("app user {id:?} is stored with another email; an address change is not supported by this API"),
                    );
                    return None;
                }
                return Some(Resolved::Known(u.id));
            }
        }
        let Some(email) = email else {
            e.add(
                index,
                "app_user.id",
                "no app user has this id: send it to /ingest/v1/app-users first, or give its email too",
            );
            return None;
        };
        if let Some(u) = self.by_email.get(email.as_str()) {
            match (&u.operator_user_id, &r.id) {
                (Some(other), Some(id)) if other != id => {
                    e.add(
                        index,
                        "app_user.email",
                        format!("the address belongs to app user {other:?}"),
                    );
                    return None;
                }
                (None, Some(id)) => {
                    if self.link.get(&u.id).is_some_and(|l| l != id) {
                        e.add(
                            index,
                            "app_user.id",
                            "another record of this batch gives this address another id",
                        );
                        return None;
                    }
                    self.link.insert(u.id, id.clone());
                }
                _ => {}
            }
            return Some(Resolved::Known(u.id));
        }
        match self.create.get(email) {
            Some(Some(other)) if r.id.as_ref().is_some_and(|id| id != other) => {
                e.add(
                    index,
                    "app_user.id",
                    "another record of this batch gives this address another id",
                );
                return None;
            }
            Some(Some(_)) => {}
            _ => {
                self.create.insert(email.clone(), r.id.clone());
            }
        }
        Some(Resolved::New(email.clone()))
    }

    /// Creates the new users and links the found ones; returns every new user's id by email.
    async fn write(&self, tx: &mut Tx, now: i64) -> Result<HashMap<String, Uuid>, sqlx::Error> {
        for (user_id, id) in &self.link {
            companies::link_operator_id(tx, *user_id, id).await?;
        }
        if self.create.is_empty() {
            return Ok(HashMap::new());
        }
        let profiles: Vec<(Uuid, AppUserProfile)> = self
            .create
            .iter()
            .map(|(email, id)| {
                let profile = AppUserProfile {
                    email: email.clone(),
                    operator_user_id: id.clone(),
                    display_name: String::new(),
                    app_signed_in_at: None,
                    app_version: 0,
                };
                (Uuid::new_v4(), profile)
            })
            .collect();
        let refs: Vec<(Uuid, &AppUserProfile)> = profiles.iter().map(|(id, p)| (*id, p)).collect();
        companies::insert_app_users(tx, &refs, now).await?;
        let emails: Vec<&str> = self.create.keys().map(Email::as_str).collect();
        // Read back: a user another batch created meanwhile keeps its id.
        Ok(companies::users_by(tx, UserKey::Email, &emails)
            .await?
            .into_iter()
            .map(|u| (u.email, u.id))
            .collect())
    }
}

/// Stores a batch of sessions from `source` (the API's is [`OPERATOR_SOURCE`]).
pub async fn sessions(
    db: &Db,
    access: &OperatorAccess,
    source: &str,
    batch: Vec<Incoming<SessionIn>>,
) -> Result<BatchResult, Rejected> {
    let now = now_ts();
    let mut e = Errors::default();
    let drafts: Vec<SessionDraft> = decoded(batch, &mut e)
        .into_iter()
        .filter_map(|(index, rec)| {
            let mut own = Errors::default();
            let draft = check_session(&mut own, index, rec, now);
            e.extend(own.into_sorted());
            draft
        })
        .collect();
    e.duplicates("id", drafts.iter().map(|d| (d.index, d.rec.id.as_str())));

    let mut tx = db.begin().await?;
    let companies =
        Companies::load(&mut tx, distinct(drafts.iter().map(|d| d.org.as_str()))).await?;
    let scopes = companies.scopes(access);
    let facility_ids = facilities::stored_versions(
        &mut tx,
        &distinct(drafts.iter().map(|d| d.rec.facility.as_str())),
    )
    .await?;
    let cost_centers = companies::cost_center_ids(
        &mut tx,
        &scopes,
        &distinct(drafts.iter().filter_map(|d| d.rec.cost_center.as_deref())),
    )
    .await?;
    let stored = history::stored_versions(
        &mut tx,
        source,
        &distinct(drafts.iter().map(|d| d.rec.id.as_str())),
    )
    .await?;
    let refs: Vec<&UserRef> = drafts.iter().filter_map(|d| d.user.as_ref()).collect();
    let mut users = UserDirectory::load(&mut tx, &refs).await?;

    struct Resolving<'a> {
        draft: &'a SessionDraft,
        company_id: Uuid,
        facility_id: Uuid,
        cost_center_id: Option<Uuid>,
        user: Option<Resolved>,
    }
    let mut resolving = Vec::with_capacity(drafts.len());
    for d in &drafts {
        let company_id = companies.get(&mut e, d.index, &d.org);
        let facility_id = facility_ids.get(&d.rec.facility).map(|(id, _)| *id);
        if facility_id.is_none() {
            e.add(
                d.index,
                "facility",
                format!(
                    "no facility has the id {:?}: send it to /ingest/v1/facilities first",
                    d.rec.facility
                ),
            );
        }
        let cost_center_id = match (&d.rec.cost_center, company_id) {
            (Some(code), Some(company)) => {
                let id = cost_centers.get(&(company, code.clone())).copied();
                if id.is_none() {
                    e.add(
                        d.index,
                        "cost_center",
                        format!("the company has no cost center with the code {code:?}"),
                    );
                }
                id
            }
            _ => None,
        };
        if let (Some(s), Some(company)) = (stored.get(&d.rec.id), company_id) {
            if s.company_id != company {
                e.add(
                    d.index,
                    "company",
                    "this session is stored under another company; a session cannot move between companies",
                );
            }
        }
        let user = d.user.as_ref().map(|r| users.resolve(&mut e, d.index, r));
        if let (Some(company_id), Some(facility_id), true) = (
            company_id,
            facility_id,
            user.as_ref().is_none_or(Option::is_some),
        ) {
            resolving.push(Resolving {
                draft: d,
                company_id,
                facility_id,
                cost_center_id,
                user: user.flatten(),
            });
        }
    }
    if !e.is_empty() {
        return Err(Rejected::Invalid(e.into_sorted()));
    }

    let created = users.write(&mut tx, now).await?;
    let user_id = |r: &Option<Resolved>| match r {
        None => None,
        Some(Resolved::Known(id)) => Some(*id),
        Some(Resolved::New(email)) => created.get(email.as_str()).copied(),
    };
    let user_ids: Vec<Uuid> = resolving.iter().filter_map(|r| user_id(&r.user)).collect();
    let defaults = companies::default_cost_centers(&mut tx, &scopes, &user_ids).await?;
    // A guest's session (no app user) without a cost center: the company's guest cost center.
    let guests = if resolving.iter().any(|r| r.user.is_none()) {
        crate::frontdesk::store::guest_cost_centers(&mut tx, &scopes).await?
    } else {
        Default::default()
    };

    let mut result = BatchResult::default();
    let mut rows = Vec::with_capacity(resolving.len());
    for r in resolving {
        let d = r.draft;
        let before = stored.get(&d.rec.id);
        let o = outcome(before.map(|s| s.version), d.rec.version);
        result.push(d.index, d.rec.id.clone(), o);
        if !writes(o) {
            continue;
        }
        let user_id = user_id(&r.user);
        let cost_center_id = r.cost_center_id.or_else(|| match user_id {
            Some(u) => defaults.get(&(r.company_id, u)).copied(),
            None if r.user.is_none() => guests.get(&r.company_id).copied(),
            None => None,
        });
        rows.push((
            access.scope(r.company_id),
            NewSession {
                id: before.map_or_else(Uuid::new_v4, |s| s.id),
                company_id: r.company_id,
                user_id,
                plate: d.plate.clone(),
                facility_id: r.facility_id,
                kind: d.kind,
                started_at: d.started_at,
                ended_at: d.ended_at,
                energy_wh: d.rec.energy_wh,
                amount_ore: d.rec.amount_incl_vat,
                vat_ore: d.rec.vat,
                cost_center_id,
                source: source.to_owned(),
                external_ref: d.rec.id.clone(),
                version: d.rec.version,
            },
        ));
    }
    history::upsert_sessions(&mut tx, &rows).await?;
    tx.commit().await?;
    result.results.sort_by_key(|r| r.index);
    Ok(result)
}

// --- Facilities -------------------------------------------------------------------------

fn check_facility(e: &mut Errors, index: usize, rec: &FacilityIn) {
    e.key(index, "id", &rec.id);
    e.version(index, rec.version);
    e.text(index, "name", &rec.name, 200, true);
    e.text(index, "address", &rec.address, 200, true);
    e.text(index, "city", &rec.city, 100, true);
    e.text(
        index,
        "company_account_note",
        &rec.company_account_note,
        500,
        false,
    );
    if rec.company_account != AcceptanceIn::Yes && rec.company_account_note.trim().is_empty() {
        e.add(
            index,
            "company_account_note",
            "say why, when the company account does not simply work here",
        );
    }
}

/// Stores a batch of facilities (shared by every company).
pub async fn facilities(
    db: &Db,
    _access: &OperatorAccess,
    batch: Vec<Incoming<FacilityIn>>,
) -> Result<BatchResult, Rejected> {
    let mut e = Errors::default();
    let records = decoded(batch, &mut e);
    for (index, rec) in &records {
        check_facility(&mut e, *index, rec);
    }
    e.duplicates("id", records.iter().map(|(i, r)| (*i, r.id.as_str())));
    if !e.is_empty() {
        return Err(Rejected::Invalid(e.into_sorted()));
    }
    let mut tx = db.begin().await?;
    let stored = facilities::stored_versions(
        &mut tx,
        &distinct(records.iter().map(|(_, r)| r.id.as_str())),
    )
    .await?;
    let mut result = BatchResult::default();
    let mut rows = Vec::new();
    for (index, rec) in records {
        let before = stored.get(&rec.id);
        let o = outcome(before.map(|(_, v)| *v), rec.version);
        result.push(index, rec.id.clone(), o);
        if !writes(o) {
            continue;
        }
        rows.push(NewFacility {
            facility: Facility {
                id: before.map_or_else(Uuid::new_v4, |(id, _)| *id),
                name: rec.name.trim().to_owned(),
                address: rec.address.trim().to_owned(),
                city: rec.city.trim().to_owned(),
                kind: match rec.kind {
                    FacilityKindIn::Street => FacilityKind::Street,
                    FacilityKindIn::CameraGarage => FacilityKind::CameraGarage,
                    FacilityKindIn::BarrierGarage => FacilityKind::BarrierGarage,
                    FacilityKindIn::Surface => FacilityKind::Surface,
                },
                company_account: match rec.company_account {
                    AcceptanceIn::Yes => Acceptance::Yes,
                    AcceptanceIn::Some => Acceptance::Some,
                    AcceptanceIn::No => Acceptance::No,
                },
                company_account_note: rec.company_account_note.trim().to_owned(),
                has_chargers: rec.has_chargers,
            },
            external_ref: rec.id,
            version: rec.version,
        });
    }
    facilities::upsert_many(&mut tx, &rows).await?;
    tx.commit().await?;
    Ok(result)
}

// --- App users --------------------------------------------------------------------------

/// Stores a batch of app users' profiles (users are not a company's: no scope).
pub async fn app_users(
    db: &Db,
    _access: &OperatorAccess,
    batch: Vec<Incoming<AppUserIn>>,
) -> Result<BatchResult, Rejected> {
    let mut e = Errors::default();
    let mut drafts = Vec::new();
    for (index, rec) in decoded(batch, &mut e) {
        let mut own = Errors::default();
        own.key(index, "id", &rec.id);
        own.version(index, rec.version);
        own.text(index, "display_name", &rec.display_name, 200, false);
        let email = Email::parse(&rec.email);
        if email.is_none() {
            own.add(index, "email", "is not an email address");
        }
        let signed_in = match rec.app_signed_in_at.as_deref() {
            None => Some(None),
            Some(t) => own.instant(index, "app_signed_in_at", t).map(Some),
        };
        let clean = own.is_empty();
        e.extend(own.into_sorted());
        if let (true, Some(email), Some(signed_in)) = (clean, email, signed_in) {
            let profile = AppUserProfile {
                email,
                operator_user_id: Some(rec.id.clone()),
                display_name: rec.display_name.trim().to_owned(),
                app_signed_in_at: signed_in,
                app_version: rec.version,
            };
            drafts.push((index, rec.id, profile));
        }
    }
    e.duplicates("id", drafts.iter().map(|(i, id, _)| (*i, id.as_str())));
    e.duplicates(
        "email",
        drafts.iter().map(|(i, _, p)| (*i, p.email.as_str())),
    );

    let mut tx = db.begin().await?;
    let ids = distinct(drafts.iter().map(|(_, id, _)| id.as_str()));
    let emails = distinct(drafts.iter().map(|(_, _, p)| p.email.as_str()));
    let by_id: HashMap<String, UserKeys> = companies::users_by(&mut tx, UserKey::OperatorId, &ids)
        .await?
        .into_iter()
        .filter_map(|u| u.operator_user_id.clone().map(|k| (k, u)))
        .collect();
    let by_email: HashMap<String, UserKeys> = companies::users_by(&mut tx, UserKey::Email, &emails)
        .await?
        .into_iter()
        .map(|u| (u.email.clone(), u))
        .collect();

    enum Write {
        Insert,
        Update(Uuid),
    }
    let mut plan = Vec::new();
    for (index, id, profile) in &drafts {
        if let Some(u) = by_id.get(id) {
            if u.email != profile.email.as_str() {
                e.add(
                    *index,
                    "email",
                    format!("app user {id:?} is stored with another address; an address change is not supported by this API"),
                );
                continue;
            }
            plan.push((
                *index,
                id,
                profile,
                outcome(Some(u.app_version), profile.app_version),
                Write::Update(u.id),
            ));
        } else if let Some(u) = by_email.get(profile.email.as_str()) {
            if let Some(other) = &u.operator_user_id {
                e.add(
                    *index,
                    "email",
                    format!("the address belongs to app user {other:?}"),
                );
                continue;
            }
            // An invited member's first profile: linked to the id, and taken when newer.
            plan.push((*index, id, profile, Outcome::Updated, Write::Update(u.id)));
        } else {
            plan.push((*index, id, profile, Outcome::Inserted, Write::Insert));
        }
    }
    if !e.is_empty() {
        return Err(Rejected::Invalid(e.into_sorted()));
    }
    let now = now_ts();
    let mut result = BatchResult::default();
    let mut inserts = Vec::new();
    for (index, id, profile, o, write) in plan {
        result.push(index, id.clone(), o);
        match write {
            Write::Insert => inserts.push((Uuid::new_v4(), profile)),
            Write::Update(user_id) if writes(o) => {
                companies::update_app_user(&mut tx, user_id, profile).await?;
            }
            Write::Update(_) => {}
        }
    }
    companies::insert_app_users(&mut tx, &inserts, now).await?;
    tx.commit().await?;
    Ok(result)
}

// --- Invoices ---------------------------------------------------------------------------

struct InvoiceDraft {
    index: usize,
    rec: InvoiceIn,
    org: String,
    head: NewInvoice,
}

fn check_invoice(e: &mut Errors, index: usize, rec: InvoiceIn) -> Option<InvoiceDraft> {
    let mut own = Errors::default();
    own.key(index, "number", &rec.number);
    own.version(index, rec.version);
    let org = own.org_number(index, "company", &rec.company);
    let period_start = own.date(index, "period_start", &rec.period_start);
    let period_end = own.date(index, "period_end", &rec.period_end);
    let issued_on = own.date(index, "issued_on", &rec.issued_on);
    let due_on = own.date(index, "due_on", &rec.due_on);
    if let (Some(s), Some(end)) = (period_start, period_end) {
        if end < s {
            own.add(index, "period_end", "is before period_start");
        }
    }
    if let (Some(i), Some(d)) = (issued_on, due_on) {
        if d < i {
            own.add(index, "due_on", "is before issued_on");
        }
    }
    let status = match rec.status {
        InvoiceStatusIn::Unpaid => InvoiceStatus::Unpaid,
        InvoiceStatusIn::Paid => InvoiceStatus::Paid,
        InvoiceStatusIn::Credited => InvoiceStatus::Credited,
    };
    let paid_on = match (status, rec.paid_on.as_deref()) {
        (InvoiceStatus::Paid, None) => {
            own.add(
                index,
                "paid_on",
                "a paid invoice needs the date it was paid",
            );
            None
        }
        (InvoiceStatus::Paid, Some(d)) => own.date(index, "paid_on", d),
        (_, Some(_)) => {
            own.add(
                index,
                "paid_on",
                "only a paid invoice has a paid date; send null",
            );
            None
        }
        (_, None) => None,
    };
    if rec.vat.unsigned_abs() > rec.amount_incl_vat.unsigned_abs() {
        own.add(index, "vat", "must not be more than amount_incl_vat");
    }
    let (mut amount, mut vat) = (0i128, 0i128);
    for (n, line) in rec.lines.iter().enumerate() {
        own.text(
            index,
            &format!("lines[{n}].description"),
            &line.description,
            500,
            true,
        );
        if line.vat.unsigned_abs() > line.amount_incl_vat.unsigned_abs() {
            own.add(
                index,
                format!("lines[{n}].vat"),
                "must not be more than amount_incl_vat",
            );
        }
        if let Some(s) = &line.session {
            own.key(index, &format!("lines[{n}].session"), s);
        }
        if let Some(c) = &line.cost_center {
            own.key(index, &format!("lines[{n}].cost_center"), c);
        }
        amount += i128::from(line.amount_incl_vat);
        vat += i128::from(line.vat);
    }
    if amount != i128::from(rec.amount_incl_vat) {
        own.add(
            index,
            "amount_incl_vat",
            format!(
                "is {} but the lines add up to {amount}",
                rec.amount_incl_vat
            ),
        );
    }
    if vat != i128::from(rec.vat) {
        own.add(
            index,
            "vat",
            format!("is {} but the lines' VAT adds up to {vat}", rec.vat),
        );
    }
    let clean = own.is_empty();
    e.extend(own.into_sorted());
    if !clean {
        return None;
    }
    Some(InvoiceDraft {
        index,
        org: org?,
        head: NewInvoice {
            id: Uuid::nil(),
            company_id: Uuid::nil(),
            number: rec.number.clone(),
            period_start: period_start?,
            period_end: period_end?,
            issued_on: issued_on?,
            due_on: due_on?,
            status,
            paid_on,
        },
        rec,
    })
}

/// Stores a batch of invoices with their lines; a session a line names must be the same
/// company's and already stored (from `source`).
pub async fn invoices(
    db: &Db,
    access: &OperatorAccess,
    source: &str,
    batch: Vec<Incoming<InvoiceIn>>,
) -> Result<BatchResult, Rejected> {
    let mut e = Errors::default();
    let drafts: Vec<InvoiceDraft> = decoded(batch, &mut e)
        .into_iter()
        .filter_map(|(index, rec)| check_invoice(&mut e, index, rec))
        .collect();
    e.duplicates(
        "number",
        drafts.iter().map(|d| (d.index, d.rec.number.as_str())),
    );

    let mut tx = db.begin().await?;
    let companies =
        Companies::load(&mut tx, distinct(drafts.iter().map(|d| d.org.as_str()))).await?;
    let scopes = companies.scopes(access);
    let lines = || drafts.iter().flat_map(|d| d.rec.lines.iter());
    let cost_centers = companies::cost_center_ids(
        &mut tx,
        &scopes,
        &distinct(lines().filter_map(|l| l.cost_center.as_deref())),
    )
    .await?;
    let sessions = history::stored_versions(
        &mut tx,
        source,
        &distinct(lines().filter_map(|l| l.session.as_deref())),
    )
    .await?;
    let stored = invoices::stored_versions(
        &mut tx,
        &distinct(drafts.iter().map(|d| d.rec.number.as_str())),
    )
    .await?;

    let mut result = BatchResult::default();
    let mut rows = Vec::new();
    for d in drafts {
        let Some(company_id) = companies.get(&mut e, d.index, &d.org) else {
            continue;
        };
        let before = stored.get(&d.rec.number);
        if before.is_some_and(|s| s.company_id != company_id) {
            e.add(
                d.index,
                "company",
                "this invoice is stored under another company; an invoice cannot move between companies",
            );
            continue;
        }
        let mut new_lines = Vec::with_capacity(d.rec.lines.len());
        for (n, line) in d.rec.lines.iter().enumerate() {
            let session_id = match &line.session {
                None => None,
                Some(s) => match sessions.get(s) {
                    Some(stored) if stored.company_id == company_id => Some(stored.id),
                    _ => {
                        e.add(
                            d.index,
                            format!("lines[{n}].session"),
                            format!("the company has no session with the id {s:?}"),
                        );
                        None
                    }
                },
            };
            let cost_center_id = match &line.cost_center {
                None => None,
                Some(code) => {
                    let id = cost_centers.get(&(company_id, code.clone())).copied();
                    if id.is_none() {
                        e.add(
                            d.index,
                            format!("lines[{n}].cost_center"),
                            format!("the company has no cost center with the code {code:?}"),
                        );
                    }
                    id
                }
            };
            new_lines.push(NewInvoiceLine {
                description: line.description.trim().to_owned(),
                amount_ore: line.amount_incl_vat,
                vat_ore: line.vat,
                session_id,
                cost_center_id,
            });
        }
        let o = outcome(before.map(|s| s.version), d.rec.version);
        result.push(d.index, d.rec.number.clone(), o);
        if writes(o) {
            let mut head = d.head;
            head.id = before.map_or_else(Uuid::new_v4, |s| s.id);
            head.company_id = company_id;
            rows.push((
                access.scope(company_id),
                IncomingInvoice {
                    invoice: head,
                    amount_ore: d.rec.amount_incl_vat,
                    vat_ore: d.rec.vat,
                    version: d.rec.version,
                    lines: new_lines,
                },
            ));
        }
    }
    if !e.is_empty() {
        return Err(Rejected::Invalid(e.into_sorted()));
    }
    for (scope, invoice) in &rows {
        invoices::upsert_invoice(&mut tx, *scope, invoice).await?;
    }
    tx.commit().await?;
    Ok(result)
}
