//! Facility queries, the same SQL on SQLite and PostgreSQL.

use std::collections::HashMap;

use uuid::Uuid;

use super::{Acceptance, Facility, FacilityFilter, FacilityKind};
use crate::{
    db::{Db, Tx},
    with_pool, with_tx,
};

#[derive(sqlx::FromRow)]
struct FacilityRow {
    id: Uuid,
    name: String,
    address: String,
    city: String,
    kind: String,
    company_account: String,
    company_account_note: String,
    has_chargers: bool,
}

impl FacilityRow {
    fn into_facility(self) -> Result<Facility, sqlx::Error> {
        let bad = |col: &str, v: &str| {
            sqlx::Error::Decode(format!("facilities.{col}: unknown value {v:?}").into())
        };
        Ok(Facility {
            kind: FacilityKind::parse(&self.kind).ok_or_else(|| bad("kind", &self.kind))?,
            company_account: Acceptance::parse(&self.company_account)
                .ok_or_else(|| bad("company_account", &self.company_account))?,
            id: self.id,
            name: self.name,
            address: self.address,
            city: self.city,
            company_account_note: self.company_account_note,
            has_chargers: self.has_chargers,
        })
    }
}

/// A facility to store; `external_ref` is the operator's code for it, `version` the
/// operator's version of the record (a stored facility is only replaced by a higher one).
#[derive(Debug, Clone)]
pub struct NewFacility {
    pub external_ref: String,
    pub facility: Facility,
    pub version: i64,
    /// Where it is: how the plates parked there are written (`crate::plate::normalise_for`).
    pub country: crate::org_number::Country,
}

/// The stored facilities among these codes: code → (id, version, country).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "facilities::stored_versions")
)]
pub async fn stored_versions(
    tx: &mut Tx,
    codes: &[&str],
) -> Result<HashMap<String, (Uuid, i64, crate::org_number::Country)>, sqlx::Error> {
    if codes.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, Uuid, i64, String)> = with_tx!(tx, |conn| {
        let mut qb = sqlx::QueryBuilder::new(
            "SELECT external_ref, id, version, country FROM facilities WHERE external_ref IN ",
        );
        crate::push_in_list!(qb, codes.iter().copied());
        qb.build_query_as()
            .persistent(false)
            .fetch_all(&mut *conn)
            .await
    })?;
    rows.into_iter()
        .map(|(code, id, version, country)| {
            Ok((
                code,
                (id, version, crate::org_number::Country::stored(&country)?),
            ))
        })
        .collect()
}

/// Inserts facilities, or replaces stored ones by a higher version (the same or an older
/// version changes nothing). Returns the rows written.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "facilities::upsert_many")
)]
pub async fn upsert_many(tx: &mut Tx, rows: &[NewFacility]) -> Result<u64, sqlx::Error> {
    let mut written = 0;
    // 12 parameters a row.
    for chunk in rows.chunks(2_000) {
        written += with_tx!(tx, |conn| {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO facilities (id, external_ref, name, address, city, kind, company_account,
                                         company_account_note, has_chargers, search_text, version, country) ",
            );
            qb.push_values(chunk, |mut b, new| {
                let f = &new.facility;
                let search_text = format!("{} {} {}", f.name, f.address, f.city).to_lowercase();
                b.push_bind(f.id)
                    .push_bind(new.external_ref.as_str())
                    .push_bind(f.name.as_str())
                    .push_bind(f.address.as_str())
                    .push_bind(f.city.as_str())
                    .push_bind(f.kind.as_str())
                    .push_bind(f.company_account.as_str())
                    .push_bind(f.company_account_note.as_str())
                    .push_bind(f.has_chargers)
                    .push_bind(search_text)
                    .push_bind(new.version)
                    .push_bind(new.country.code());
            });
            qb.push(
                " ON CONFLICT (external_ref) DO UPDATE SET
                    name = excluded.name, address = excluded.address, city = excluded.city,
                    kind = excluded.kind, company_account = excluded.company_account,
                    company_account_note = excluded.company_account_note,
                    has_chargers = excluded.has_chargers, search_text = excluded.search_text,
                    version = excluded.version, country = excluded.country
                 WHERE facilities.version < excluded.version",
            );
            qb.build()
                .execute(&mut *conn)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    Ok(written)
}

/// [`upsert_many`] of one facility in a transaction of its own, for tests that build their
/// world directly (a running portal's facilities come in through `crate::ingest`).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "facilities::upsert")
)]
pub async fn upsert(db: &Db, new: &NewFacility) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    upsert_many(&mut tx, std::slice::from_ref(new)).await?;
    tx.commit().await
}

/// The facilities matching the filter, by city then name.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "facilities::list")
)]
pub async fn list(db: &Db, filter: &FacilityFilter) -> Result<Vec<Facility>, sqlx::Error> {
    // NULL parameters mean "no condition", so one statement serves every combination.
    let pattern = filter.text.as_deref().map(crate::db::like_pattern);
    let kind = filter.kind.map(FacilityKind::as_str);
    let rows: Vec<FacilityRow> = with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT id, name, address, city, kind, company_account, company_account_note, has_chargers
             FROM facilities
             WHERE ($1 IS NULL OR search_text LIKE $1 ESCAPE '\\')
               AND ($2 IS NULL OR city = $2)
               AND ($3 IS NULL OR kind = $3)
             ORDER BY city, name",
        )
        .bind(pattern.as_deref())
        .bind(filter.city.as_deref())
        .bind(kind)
        .fetch_all(pool)
        .await
    })?;
    rows.into_iter().map(FacilityRow::into_facility).collect()
}

/// Every city with at least one facility, sorted.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "facilities::cities")
)]
pub async fn cities(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_scalar("SELECT DISTINCT city FROM facilities ORDER BY city")
            .fetch_all(pool)
            .await
    })
}

#[cfg(test)]
mod tests {
    use crate::db::like_pattern;

    #[test]
    fn like_wildcards_in_user_text_match_literally() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}

/// A facility's name and city, for a filter's choices.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FacilityName {
    pub id: Uuid,
    pub name: String,
    pub city: String,
}

/// Every facility's name, by city and name.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "facilities::names")
)]
pub async fn names(db: &Db) -> Result<Vec<FacilityName>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as("SELECT id, name, city FROM facilities ORDER BY city, name")
            .fetch_all(pool)
            .await
    })
}

/// A facility where the company account works (fully or partly), as the rules list it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccountFacility {
    pub id: Uuid,
    /// The operator's id (`AIMO-SE-0101`).
    pub external_ref: String,
    pub name: String,
    pub city: String,
}

/// Every facility where the company account works, by city and name: the choices of the rule
/// "only these facilities" (`policies`).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "facilities::account_facilities")
)]
pub async fn account_facilities<'c>(
    conn: impl Into<crate::db::Conn<'c>>,
) -> Result<Vec<AccountFacility>, sqlx::Error> {
    crate::with_conn!(conn, |c| {
        sqlx::query_as(
            "SELECT id, external_ref, name, city FROM facilities
             WHERE company_account <> 'no' ORDER BY city, name",
        )
        .fetch_all(&mut *c)
        .await
    })
}
