//! Sessions: checked one by one, their drivers resolved to app users (unknown ones created
//! without a membership), stored with the cost rollups kept in step.

use std::collections::HashMap;

use uuid::Uuid;

use super::{decoded, outcome, writes, Companies, Rejected};
use crate::ingest::{
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
    facilities::store::{self as facilities},
    history::{
        store::{self as history, NewSession},
        SessionKind,
    },
    plate,
};

/// Sessions may start or end at most this far ahead of the server's clock (clock skew).
const FUTURE_SLACK: i64 = 86_400;

/// A session that passed the checks needing no database.
struct SessionDraft {
    index: usize,
    rec: SessionIn,
    org: String,
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
    // Its shape only: how it is written depends on the facility's country, known later.
    if plate::normalise_any(&rec.plate).is_none() {
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
        (SessionKind::Charging, Some(wh)) if !(0..=MAX_ENERGY_WH).contains(&wh) => e.add(
            index,
            "energy_wh",
            format!("must be 0 to {MAX_ENERGY_WH} (Wh)"),
        ),
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
    if !(0..=MAX_SESSION_AMOUNT).contains(&rec.amount_incl_vat) {
        e.add(
            index,
            "amount_incl_vat",
            format!("must be 0 to {MAX_SESSION_AMOUNT} (minor units)"),
        );
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

/// Sessions that started longer ago than this (seconds) are judged but alert no one.
pub const ALERT_WINDOW: i64 = 14 * 86_400;

/// Judges the sessions about to be written against their companies' rules in force when each
/// started (`policies::service::Judge`), in start order so that each counts towards its
/// member's month for the later ones, and stores the reasons on the rows.
async fn judge(
    tx: &mut Tx,
    scopes: &[crate::scope::CompanyScope],
    stored: &HashMap<String, history::StoredVersion>,
    rows: &mut [(crate::scope::CompanyScope, NewSession)],
    now: i64,
) -> Result<(), sqlx::Error> {
    use crate::policies::service::{Candidate, Judge};
    let candidates: Vec<Candidate> = rows
        .iter()
        .map(|(_, s)| Candidate {
            company_id: s.company_id,
            user_id: s.user_id,
            cost_center_id: s.cost_center_id,
            plate: s.plate.clone(),
            facility_id: s.facility_id,
            charging: s.kind == SessionKind::Charging,
            started_at: s.started_at,
            ended_at: s.ended_at,
            amount: s.amount_ore,
            replaces: stored
                .get(&s.external_ref)
                .map(|v| (v.fact.user_id, v.fact.started_at, v.fact.amount_ore)),
        })
        .collect();
    let mut judge = Judge::load(tx, scopes, &candidates, now).await?;
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| (candidates[i].started_at, i));
    for i in order {
        rows[i].1.policy_flags = judge.judge(&candidates[i]);
    }
    Ok(())
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
    // The batch's companies are locked first (`upsert_known_sessions` needs it): the stored
    // versions read below are then also what the write replaces in the cost rollups, and a
    // save with "check again", or another batch of the same members' month, cannot slip
    // between the judgement and the write.
    let locked: std::collections::BTreeSet<Uuid> = scopes.iter().map(|s| s.company_id()).collect();
    crate::history::rollup::lock_companies(&mut tx, &locked).await?;
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
        /// The plate as the facility's country writes it.
        plate: String,
        cost_center_id: Option<Uuid>,
        user: Option<Resolved>,
    }
    let mut resolving = Vec::with_capacity(drafts.len());
    for d in &drafts {
        let company_id = companies.get(&mut e, d.index, &d.org);
        let facility = facility_ids.get(&d.rec.facility).copied();
        if facility.is_none() {
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
            if s.fact.company_id != company {
                e.add(
                    d.index,
                    "company",
                    "this session is stored under another company; a session cannot move between companies",
                );
            }
        }
        let user = d.user.as_ref().map(|r| users.resolve(&mut e, d.index, r));
        // The plate as the facility's country writes it (its shape was checked with the
        // record; `normalise_for` takes every plate `normalise_any` does).
        let plate =
            facility.and_then(|(_, _, country)| plate::normalise_for(country, &d.rec.plate));
        if let (Some(company_id), Some((facility_id, _, _)), Some(plate), true) = (
            company_id,
            facility,
            plate,
            user.as_ref().is_none_or(Option::is_some),
        ) {
            resolving.push(Resolving {
                draft: d,
                company_id,
                facility_id,
                plate,
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
                plate: r.plate.clone(),
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
                policy_flags: 0,
            },
        ));
    }
    judge(&mut tx, &scopes, &stored, &mut rows, now).await?;
    history::upsert_known_sessions(&mut tx, source, &rows, &stored).await?;
    // A session outside policy raises its alert in the same transaction: once, however often
    // it is sent or corrected (alerts::store::raise). Old sessions arriving late (a backfill)
    // are marked in the history but alert no one.
    let alerts: Vec<_> = rows
        .iter()
        .filter(|(_, s)| s.policy_flags != 0 && s.started_at >= now - ALERT_WINDOW)
        .map(|(scope, s)| {
            (
                *scope,
                crate::alerts::service::for_session(crate::alerts::Kind::Policy, s.id),
            )
        })
        .collect();
    if !alerts.is_empty() {
        crate::alerts::store::raise(&mut tx, &alerts, now).await?;
    }
    tx.commit().await?;
    result.results.sort_by_key(|r| r.index);
    Ok(result)
}
