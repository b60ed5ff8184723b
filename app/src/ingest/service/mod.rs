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
//!
//! One file per resource: [`sessions`] (the largest: drivers resolved to app users, the
//! rollups kept in step by the history store), [`facilities`], [`app_users`], [`invoices`].
//! This file holds what all four share: the outcome rule, the collected problems and the
//! companies a batch names.

mod app_users;
mod facilities;
mod invoices;
mod sessions;

pub use app_users::app_users;
pub use facilities::facilities;
pub use invoices::invoices;
pub use sessions::sessions;

use std::collections::HashMap;

use uuid::Uuid;

use super::{
    check::{Errors, Incoming},
    wire::{Outcome, RecordError},
};
use crate::{auth::OperatorAccess, companies::store as companies, db::Tx, scope::CompanyScope};
/// The `source` of the sessions that come through the HTTP API and `portal ingest`.
pub const OPERATOR_SOURCE: &str = "operator";

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

pub(super) fn outcome(stored: Option<i64>, version: i64) -> Outcome {
    match stored {
        None => Outcome::Inserted,
        Some(v) if v < version => Outcome::Updated,
        Some(v) if v == version => Outcome::Unchanged,
        Some(_) => Outcome::Outdated,
    }
}

pub(super) fn writes(o: Outcome) -> bool {
    matches!(o, Outcome::Inserted | Outcome::Updated)
}

/// The records that decoded, with the problems of the others collected in `errors`.
pub(super) fn decoded<T>(batch: Vec<Incoming<T>>, errors: &mut Errors) -> Vec<(usize, T)> {
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
pub(super) struct Companies(HashMap<String, Uuid>);

impl Companies {
    pub(super) async fn load(tx: &mut Tx, org_numbers: Vec<&str>) -> Result<Self, sqlx::Error> {
        Ok(Companies(
            companies::ids_by_org_number(tx, &org_numbers).await?,
        ))
    }

    pub(super) fn get(&self, errors: &mut Errors, index: usize, org: &str) -> Option<Uuid> {
        let id = self.0.get(org).copied();
        if id.is_none() {
            errors.add(index, "company", crate::org_number::unknown(org));
        }
        id
    }

    pub(super) fn scopes(&self, access: &OperatorAccess) -> Vec<CompanyScope> {
        self.0.values().map(|id| access.scope(*id)).collect()
    }
}
