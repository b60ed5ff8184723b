//! Facility queries, the same SQL on SQLite and PostgreSQL.

use uuid::Uuid;

use super::{Acceptance, Facility, FacilityFilter, FacilityKind};
use crate::{db::Db, with_pool};

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

/// A facility to store; `external_ref` is the operator's code for it.
#[derive(Debug, Clone)]
pub struct NewFacility {
    pub external_ref: String,
    pub facility: Facility,
}

/// Inserts or updates a facility by its operator code.
pub async fn upsert(db: &Db, new: &NewFacility) -> Result<(), sqlx::Error> {
    let f = &new.facility;
    let search_text = format!("{} {} {}", f.name, f.address, f.city).to_lowercase();
    with_pool!(db, |pool| {
        sqlx::query(
            "INSERT INTO facilities (id, external_ref, name, address, city, kind, company_account,
                                     company_account_note, has_chargers, search_text)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (external_ref) DO UPDATE SET
                name = excluded.name, address = excluded.address, city = excluded.city,
                kind = excluded.kind, company_account = excluded.company_account,
                company_account_note = excluded.company_account_note,
                has_chargers = excluded.has_chargers, search_text = excluded.search_text",
        )
        .bind(f.id)
        .bind(&new.external_ref)
        .bind(&f.name)
        .bind(&f.address)
        .bind(&f.city)
        .bind(f.kind.as_str())
        .bind(f.company_account.as_str())
        .bind(&f.company_account_note)
        .bind(f.has_chargers)
        .bind(&search_text)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The facilities matching the filter, by city then name.
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
pub async fn names(db: &Db) -> Result<Vec<FacilityName>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as("SELECT id, name, city FROM facilities ORDER BY city, name")
            .fetch_all(pool)
            .await
    })
}
