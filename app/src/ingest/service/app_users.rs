//! App users' profiles: users are not a company's, so no company scope.

use std::collections::HashMap;

use uuid::Uuid;

use super::{decoded, outcome, writes, Rejected};
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
    db::{now_ts, Db},
};

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
                display_name: crate::nordic::composed(rec.display_name.trim()),
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
