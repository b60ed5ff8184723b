//! Storing sessions: idempotent, ordered on (source, external_ref, version).

use std::collections::{BTreeSet, HashMap};

use uuid::Uuid;

use crate::{
    db::{Column, Db, Tx},
    history::{rollup, SessionKind},
    scope::CompanyScope,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub id: Uuid,
    pub company_id: Uuid,
    pub user_id: Option<Uuid>,
    pub plate: String,
    pub facility_id: Uuid,
    pub kind: SessionKind,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub energy_wh: Option<i64>,
    pub amount_ore: i64,
    pub vat_ore: i64,
    pub cost_center_id: Option<Uuid>,
    pub source: String,
    pub external_ref: String,
    /// The operator's version of the record: a stored session is only ever replaced by a
    /// higher one (migrations/*/0005_ingest.sql).
    pub version: i64,
    /// The judgement against the company's rules (`policies::model::Reason` bits, 0 within
    /// policy), made by the ingestion service before it writes.
    pub policy_flags: i64,
}

/// What the rollups need of a session being written.
impl From<&NewSession> for rollup::Fact {
    fn from(s: &NewSession) -> rollup::Fact {
        rollup::Fact {
            company_id: s.company_id,
            user_id: s.user_id,
            cost_center_id: s.cost_center_id,
            facility_id: s.facility_id,
            kind: s.kind,
            started_at: s.started_at,
            ended_at: s.ended_at,
            energy_wh: s.energy_wh,
            amount_ore: s.amount_ore,
            vat_ore: s.vat_ore,
            policy_flags: s.policy_flags,
        }
    }
}

/// Rows per INSERT statement: 16 parameters each stays under both engines' limits
/// (SQLite 32,766, PostgreSQL 65,535).
pub const INSERT_CHUNK: usize = 2_000;

/// What is stored under one of the operator's session ids.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredVersion {
    pub id: Uuid,
    pub version: i64,
    /// What a replacement takes out of the rollups (and of the member's month, for the
    /// policies' monthly cap); its company is the session's.
    #[sqlx(flatten)]
    pub fact: rollup::Fact,
}

/// The stored sessions among these operator ids of `source`, by id. Not scoped: the
/// ingestion service (the operator's access) asks, to refuse a session that would move to
/// another company and to classify each record before it writes. Read after the companies'
/// locks ([`rollup::lock_companies`]), the answer is also what [`upsert_known_sessions`]
/// replaces: one lookup serves the version check, the judgement and the rollups.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "history::stored_versions")
)]
pub async fn stored_versions(
    tx: &mut Tx,
    source: &str,
    external_refs: &[&str],
) -> Result<HashMap<String, StoredVersion>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        external_ref: String,
        #[sqlx(flatten)]
        stored: StoredVersion,
    }
    let mut out = HashMap::with_capacity(external_refs.len());
    for chunk in external_refs.chunks(INSERT_CHUNK) {
        let rows: Vec<Row> = crate::db::KeyLookup::new(format!(
            "SELECT external_ref, id, version, {} FROM sessions WHERE source = ",
            rollup::FACT_COLUMNS
        ))
        .bind(source)
        .sql(" AND external_ref")
        .in_texts(chunk)
        .fetch_all(tx)
        .await?;
        out.extend(rows.into_iter().map(|r| (r.external_ref, r.stored)));
    }
    Ok(out)
}

/// The one write of sessions: inserts new ones and replaces stored ones by a higher
/// version, each under its company's scope, in the caller's transaction. A stored session
/// of the same or a higher version, or of another company, is left as it is (the `WHERE` of
/// the upsert), so a late or repeated record can never overwrite a newer one even when two
/// batches race. Returns the rows written. Everything later built on sessions (the cost
/// rollups, the front desk's "parked now") hooks in here.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "history::upsert_sessions")
)]
pub async fn upsert_sessions(
    tx: &mut Tx,
    rows: &[(CompanyScope, NewSession)],
) -> Result<u64, sqlx::Error> {
    for (scope, s) in rows {
        scope.check(s.company_id)?;
    }
    if rows.is_empty() {
        return Ok(0);
    }
    // The rollups (rollup.rs): lock the companies, read what is about to be replaced. Their
    // share of the batch's time is a metric (`portal_rollup_upkeep_duration_seconds`).
    let rollup_started = std::time::Instant::now();
    let companies: BTreeSet<Uuid> = rows.iter().map(|(scope, _)| scope.company_id()).collect();
    rollup::lock_companies(tx, &companies).await?;
    let mut by_source: HashMap<&str, Vec<&str>> = HashMap::new();
    for (_, s) in rows {
        by_source
            .entry(s.source.as_str())
            .or_default()
            .push(s.external_ref.as_str());
    }
    let mut old: HashMap<&str, HashMap<String, StoredVersion>> = HashMap::new();
    for (source, refs) in &by_source {
        old.insert(source, stored_versions(tx, source, refs).await?);
    }
    let looked_up = rollup_started.elapsed();
    write_locked(
        tx,
        rows,
        &companies,
        |source, r| old.get(source)?.get(r).map(|s| &s.fact),
        looked_up,
    )
    .await
}

/// [`upsert_sessions`] for a caller that already holds the rows' companies' locks
/// ([`rollup::lock_companies`]) and read, after taking them, what is stored under the rows'
/// ids ([`stored_versions`] of `source`, which every row is of): the ingestion service, which
/// needs that answer before it writes anyway. Saves the batch a second lookup of its ids.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "history::upsert_sessions")
)]
pub async fn upsert_known_sessions(
    tx: &mut Tx,
    source: &str,
    rows: &[(CompanyScope, NewSession)],
    stored: &HashMap<String, StoredVersion>,
) -> Result<u64, sqlx::Error> {
    for (scope, s) in rows {
        scope.check(s.company_id)?;
        if s.source != source {
            return Err(sqlx::Error::Protocol(format!(
                "a session of source {:?} in a batch of {source:?}",
                s.source
            )));
        }
    }
    if rows.is_empty() {
        return Ok(0);
    }
    let companies: BTreeSet<Uuid> = rows.iter().map(|(scope, _)| scope.company_id()).collect();
    write_locked(
        tx,
        rows,
        &companies,
        |_, r| stored.get(r).map(|s| &s.fact),
        std::time::Duration::ZERO,
    )
    .await
}

/// The write of [`upsert_sessions`] once the companies are locked: the sessions, then the
/// rollups' deltas, each written session's `old` facts (by source and operator id) out and its
/// new ones in. `looked_up`: the rollups' share of the time so far.
async fn write_locked<'m>(
    tx: &mut Tx,
    rows: &[(CompanyScope, NewSession)],
    companies: &BTreeSet<Uuid>,
    old: impl Fn(&str, &str) -> Option<&'m rollup::Fact>,
    looked_up: std::time::Duration,
) -> Result<u64, sqlx::Error> {
    let zones_started = std::time::Instant::now();
    let zones = rollup::zones(tx, &companies.iter().copied().collect::<Vec<_>>()).await?;
    let mut rollup_time = looked_up + zones_started.elapsed();
    // One array per column on PostgreSQL (16 parameters for the whole batch instead of 16 a
    // row), multi-row VALUES on SQLite: `db::bulk_write`.
    let mut c = Columns::with_capacity(rows.len());
    for (scope, s) in rows {
        c.push(*scope, s);
    }
    let written_keys: Vec<(String, String)> = crate::db::bulk_write(
        tx,
        "INSERT INTO sessions (id, company_id, user_id, plate, facility_id, kind, started_at, ended_at,
                               energy_wh, amount_ore, vat_ore, cost_center_id, source, external_ref, version,
                               policy_flags) ",
        &c.into_columns(),
        UPSERT_TAIL,
    )
    .await?;
    // Each written session: its old facts out of the rollups, its new ones in.
    let written: std::collections::HashSet<(String, String)> = written_keys.into_iter().collect();
    let deltas_started = std::time::Instant::now();
    let mut deltas = rollup::Deltas::default();
    for (scope, s) in rows {
        if !written.contains(&(s.source.clone(), s.external_ref.clone())) {
            continue;
        }
        let tz = *zones
            .get(&scope.company_id())
            .ok_or(sqlx::Error::RowNotFound)?;
        if let Some(before) = old(&s.source, &s.external_ref) {
            deltas.add(tz, before, -1);
        }
        let mut fact = rollup::Fact::from(s);
        fact.company_id = scope.company_id();
        deltas.add(tz, &fact, 1);
    }
    rollup::apply(tx, &deltas).await?;
    rollup_time += deltas_started.elapsed();
    crate::metrics::rollup_upkeep(rollup_time);
    Ok(written.len() as u64)
}

/// The version rule of [`upsert_sessions`], the same on both engines: a stored session is
/// replaced only by a higher version of the same company's session.
const UPSERT_TAIL: &str = " ON CONFLICT (source, external_ref) DO UPDATE SET
    user_id = excluded.user_id, plate = excluded.plate,
    facility_id = excluded.facility_id, kind = excluded.kind,
    started_at = excluded.started_at, ended_at = excluded.ended_at,
    energy_wh = excluded.energy_wh, amount_ore = excluded.amount_ore,
    vat_ore = excluded.vat_ore, cost_center_id = excluded.cost_center_id,
    version = excluded.version, policy_flags = excluded.policy_flags
 WHERE sessions.version < excluded.version
   AND sessions.company_id = excluded.company_id
 RETURNING source, external_ref";

/// A batch of sessions by column, for `db::bulk_write`.
#[derive(Default)]
struct Columns {
    id: Vec<Uuid>,
    company_id: Vec<Uuid>,
    user_id: Vec<Option<Uuid>>,
    plate: Vec<String>,
    facility_id: Vec<Uuid>,
    kind: Vec<String>,
    started_at: Vec<i64>,
    ended_at: Vec<Option<i64>>,
    energy_wh: Vec<Option<i64>>,
    amount_ore: Vec<i64>,
    vat_ore: Vec<i64>,
    cost_center_id: Vec<Option<Uuid>>,
    source: Vec<String>,
    external_ref: Vec<String>,
    version: Vec<i64>,
    policy_flags: Vec<i64>,
}

impl Columns {
    fn with_capacity(n: usize) -> Self {
        Columns {
            id: Vec::with_capacity(n),
            company_id: Vec::with_capacity(n),
            user_id: Vec::with_capacity(n),
            plate: Vec::with_capacity(n),
            facility_id: Vec::with_capacity(n),
            kind: Vec::with_capacity(n),
            started_at: Vec::with_capacity(n),
            ended_at: Vec::with_capacity(n),
            energy_wh: Vec::with_capacity(n),
            amount_ore: Vec::with_capacity(n),
            vat_ore: Vec::with_capacity(n),
            cost_center_id: Vec::with_capacity(n),
            source: Vec::with_capacity(n),
            external_ref: Vec::with_capacity(n),
            version: Vec::with_capacity(n),
            policy_flags: Vec::with_capacity(n),
        }
    }

    /// The columns in the order of the INSERT's column list.
    fn into_columns(self) -> [Column; 16] {
        [
            Column::Uuid(self.id),
            Column::Uuid(self.company_id),
            Column::OptUuid(self.user_id),
            Column::Text(self.plate),
            Column::Uuid(self.facility_id),
            Column::Text(self.kind),
            Column::I64(self.started_at),
            Column::OptI64(self.ended_at),
            Column::OptI64(self.energy_wh),
            Column::I64(self.amount_ore),
            Column::I64(self.vat_ore),
            Column::OptUuid(self.cost_center_id),
            Column::Text(self.source),
            Column::Text(self.external_ref),
            Column::I64(self.version),
            Column::I64(self.policy_flags),
        ]
    }

    /// The company comes from the scope, as in every scoped write.
    fn push(&mut self, scope: CompanyScope, s: &NewSession) {
        self.id.push(s.id);
        self.company_id.push(scope.company_id());
        self.user_id.push(s.user_id);
        self.plate.push(s.plate.clone());
        self.facility_id.push(s.facility_id);
        self.kind.push(s.kind.as_str().to_owned());
        self.started_at.push(s.started_at);
        self.ended_at.push(s.ended_at);
        self.energy_wh.push(s.energy_wh);
        self.amount_ore.push(s.amount_ore);
        self.vat_ore.push(s.vat_ore);
        self.cost_center_id.push(s.cost_center_id);
        self.source.push(s.source.clone());
        self.external_ref.push(s.external_ref.clone());
        self.version.push(s.version);
        self.policy_flags.push(s.policy_flags);
    }
}

/// [`upsert_sessions`] of one company's sessions in a transaction of its own; returns the
/// rows written. For tests and benchmarks that build their world directly (the data of a
/// running portal comes in through `crate::ingest`).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "history::insert_sessions")
)]
pub async fn insert_sessions(
    db: &Db,
    scope: CompanyScope,
    sessions: &[NewSession],
) -> Result<u64, sqlx::Error> {
    let rows: Vec<(CompanyScope, NewSession)> =
        sessions.iter().map(|s| (scope, s.clone())).collect();
    let mut tx = db.begin().await?;
    let written = upsert_sessions(&mut tx, &rows).await?;
    tx.commit().await?;
    Ok(written)
}

/// What the policies' "check again" needs of each stored session.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JudgedSession {
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub cost_center_id: Option<Uuid>,
    pub plate: String,
    pub facility_id: Uuid,
    #[sqlx(try_from = "String")]
    pub kind: SessionKind,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub amount_ore: i64,
    pub policy_flags: i64,
}

/// The company's sessions started at or after `from`, in start order, for judging them again
/// (`policies::service::save` with "check again"), in the caller's transaction.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "history::sessions_to_judge")
)]
pub async fn sessions_to_judge(
    tx: &mut Tx,
    scope: CompanyScope,
    from: i64,
) -> Result<Vec<JudgedSession>, sqlx::Error> {
    crate::with_tx!(tx, |conn| {
        sqlx::query_as(
            "SELECT id, user_id, cost_center_id, plate, facility_id, kind, started_at, ended_at, amount_ore, policy_flags
             FROM sessions WHERE company_id = $1 AND started_at >= $2 ORDER BY started_at, id",
        )
        .bind(scope.company_id())
        .bind(from)
        .fetch_all(&mut *conn)
        .await
    })
}

/// The company's sessions still open (no end), oldest first, for the check of cars parked past
/// their maximum stay (`policies::service::flag_overstays`), in the caller's transaction.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "history::open_sessions")
)]
pub async fn open_sessions(
    tx: &mut Tx,
    scope: CompanyScope,
) -> Result<Vec<JudgedSession>, sqlx::Error> {
    crate::with_tx!(tx, |conn| {
        sqlx::query_as(
            "SELECT id, user_id, cost_center_id, plate, facility_id, kind, started_at, ended_at, amount_ore, policy_flags
             FROM sessions WHERE company_id = $1 AND ended_at IS NULL ORDER BY started_at, id",
        )
        .bind(scope.company_id())
        .fetch_all(&mut *conn)
        .await
    })
}

/// Stores new judgements: `changes` as (the stored session as read in this transaction, its
/// new policy flags), grouped into one UPDATE per distinct judgement (a company has a
/// handful), and moves the sessions in or out of the outside-policy rollup
/// (`outside_months`). The caller holds the company's lock ([`rollup::lock_companies`]).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "history::set_policy_flags")
)]
pub async fn set_policy_flags(
    tx: &mut Tx,
    scope: CompanyScope,
    changes: &[(&JudgedSession, i64)],
) -> Result<(), sqlx::Error> {
    if changes.is_empty() {
        return Ok(());
    }
    let company = scope.company_id();
    let tz = *rollup::zones(tx, &[company])
        .await?
        .get(&company)
        .ok_or(sqlx::Error::RowNotFound)?;
    let mut deltas = rollup::Deltas::default();
    let mut by_flags: HashMap<i64, Vec<Uuid>> = HashMap::new();
    for (s, flags) in changes {
        by_flags.entry(*flags).or_default().push(s.id);
        let key = rollup::OutsideKey {
            company_id: company,
            month: crate::calendar::month_of_day(crate::calendar::local_day(tz, s.started_at)),
            cost_center: s.cost_center_id.unwrap_or(rollup::NONE),
            user: s.user_id.unwrap_or(rollup::NONE),
        };
        if s.policy_flags != 0 {
            deltas.add_outside(key, s.amount_ore, -1);
        }
        if *flags != 0 {
            deltas.add_outside(key, s.amount_ore, 1);
        }
    }
    for (flags, ids) in by_flags {
        for chunk in ids.chunks(1_000) {
            crate::with_tx!(tx, |conn| {
                let mut qb = sqlx::QueryBuilder::new("UPDATE sessions SET policy_flags = ");
                qb.push_bind(flags);
                qb.push(" WHERE company_id = ");
                qb.push_bind(company);
                qb.push(" AND id IN ");
                crate::push_in_list!(qb, chunk.iter().copied());
                qb.build()
                    .persistent(false)
                    .execute(&mut *conn)
                    .await
                    .map(|_| ())
            })?;
        }
    }
    rollup::apply(tx, &deltas).await
}
