//! Facilities: shared by every company, so no company scope.

use uuid::Uuid;

use super::{decoded, outcome, writes, Rejected};
use crate::ingest::{
    check::{distinct, Errors, Incoming},
    wire::*,
};
use crate::{
    auth::OperatorAccess,
    db::Db,
    facilities::{
        store::{self as facilities, NewFacility},
        Acceptance, Facility, FacilityKind,
    },
};

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
        let o = outcome(before.map(|(_, v, _)| *v), rec.version);
        result.push(index, rec.id.clone(), o);
        if !writes(o) {
            continue;
        }
        rows.push(NewFacility {
            facility: Facility {
                id: before.map_or_else(Uuid::new_v4, |(id, _, _)| *id),
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
            country: rec.country.into(),
        });
    }
    facilities::upsert_many(&mut tx, &rows).await?;
    tx.commit().await?;
    Ok(result)
}
