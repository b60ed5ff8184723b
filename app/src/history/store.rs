//! Sessions in the database. Writes are idempotent and ordered on (source, external_ref,
//! version): a session the back office sends twice is stored once, and an older version
//! never replaces a newer one ([`upsert_sessions`], called by `crate::ingest`).

use std::collections::{BTreeSet, HashMap};

use uuid::Uuid;

use super::{
    filter::{CostCenterChoice, Filter},
    rollup, SessionKind,
};
use crate::{
    db::{Column, Db, Tx},
    scope::CompanyScope,
    with_pool,
};

/// A session to store (its company must be the scope's it is stored under).
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
        }
    }
}

/// Rows per INSERT statement: 15 parameters each stays under both engines' limits
/// (SQLite 32,766, PostgreSQL 65,535).
pub const INSERT_CHUNK: usize = 2_000;

/// What is stored under one of the operator's session ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredVersion {
    pub id: Uuid,
    pub company_id: Uuid,
    pub version: i64,
}

/// The stored sessions among these operator ids of `source`, by id. Not scoped: the
/// ingestion service (the operator's access) asks, to refuse a session that would move to
/// another company and to classify each record before it writes.
pub async fn stored_versions(
    tx: &mut Tx,
    source: &str,
    external_refs: &[&str],
) -> Result<HashMap<String, StoredVersion>, sqlx::Error> {
    let mut out = HashMap::with_capacity(external_refs.len());
    for chunk in external_refs.chunks(INSERT_CHUNK) {
        let rows: Vec<(String, Uuid, Uuid, i64)> = crate::db::KeyLookup::new(
            "SELECT external_ref, id, company_id, version FROM sessions WHERE source = ",
        )
        .bind(source)
        .sql(" AND external_ref")
        .in_texts(chunk)
        .fetch_all(tx)
        .await?;
        out.extend(rows.into_iter().map(|(r, id, company_id, version)| {
            (
                r,
                StoredVersion {
                    id,
                    company_id,
                    version,
                },
            )
        }));
    }
    Ok(out)
}

/// The one write of sessions: inserts new ones and replaces stored ones by a higher
/// version, each under its company's scope, in the caller's transaction. A stored session
/// of the same or a higher version, or of another company, is left as it is (the `WHERE` of
/// the upsert), so a late or repeated record can never overwrite a newer one even when two
/// batches race. Returns the rows written. Everything later built on sessions (the cost
/// rollups, the front desk's "parked now") hooks in here.
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
    // The rollups (rollup.rs): lock the companies, read what is about to be replaced.
    let companies: BTreeSet<Uuid> = rows.iter().map(|(scope, _)| scope.company_id()).collect();
    rollup::lock_companies(tx, &companies).await?;
    let zones = rollup::zones(tx, &companies.iter().copied().collect::<Vec<_>>()).await?;
    let mut by_source: HashMap<&str, Vec<&str>> = HashMap::new();
    for (_, s) in rows {
        by_source
            .entry(s.source.as_str())
            .or_default()
            .push(s.external_ref.as_str());
    }
    let mut old: HashMap<(String, String), rollup::Fact> = HashMap::new();
    for (source, refs) in &by_source {
        for (r, fact) in rollup::stored_facts(tx, source, refs).await? {
            old.insert(((*source).to_owned(), r), fact);
        }
    }
    // One array per column on PostgreSQL (15 parameters for the whole batch instead of 15 a
    // row), multi-row VALUES on SQLite: `db::bulk_write`.
    let mut c = Columns::with_capacity(rows.len());
    for (scope, s) in rows {
        c.push(*scope, s);
    }
    let written_keys: Vec<(String, String)> = crate::db::bulk_write(
        tx,
        "INSERT INTO sessions (id, company_id, user_id, plate, facility_id, kind, started_at, ended_at,
                               energy_wh, amount_ore, vat_ore, cost_center_id, source, external_ref, version) ",
        &c.into_columns(),
        UPSERT_TAIL,
    )
    .await?;
    // Each written session: its old facts out of the rollups, its new ones in.
    let written: std::collections::HashSet<(String, String)> = written_keys.into_iter().collect();
    let mut deltas = rollup::Deltas::default();
    for (scope, s) in rows {
        let key = (s.source.clone(), s.external_ref.clone());
        if !written.contains(&key) {
            continue;
        }
        let tz = *zones
            .get(&scope.company_id())
            .ok_or(sqlx::Error::RowNotFound)?;
        if let Some(before) = old.get(&key) {
            deltas.add(tz, before, -1);
        }
        let mut fact = rollup::Fact::from(s);
        fact.company_id = scope.company_id();
        deltas.add(tz, &fact, 1);
    }
    rollup::apply(tx, &deltas).await?;
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
    version = excluded.version
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
        }
    }

    /// The columns in the order of the INSERT's column list.
    fn into_columns(self) -> [Column; 15] {
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
    }
}

/// [`upsert_sessions`] of one company's sessions in a transaction of its own; returns the
/// rows written. For tests and benchmarks that build their world directly (the data of a
/// running portal comes in through `crate::ingest`).
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

/// Sessions, amount incl. VAT and VAT of one company that started in `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub sessions: i64,
    pub amount_ore: i64,
    pub vat_ore: i64,
}

pub async fn totals(
    db: &Db,
    scope: CompanyScope,
    from: i64,
    to: i64,
) -> Result<Totals, sqlx::Error> {
    let (sessions, amount_ore, vat_ore): (i64, Option<i64>, Option<i64>) = with_pool!(
        db,
        |pool| {
            // CAST keeps PostgreSQL's SUM(bigint) = numeric out of the way.
            sqlx::query_as(
            "SELECT COUNT(*), CAST(SUM(amount_ore) AS BIGINT), CAST(SUM(vat_ore) AS BIGINT) FROM sessions
             WHERE company_id = $1 AND started_at >= $2 AND started_at < $3",
        )
        .bind(scope.company_id())
        .bind(from)
        .bind(to)
        .fetch_one(pool)
        .await
        }
    )?;
    Ok(Totals {
        sessions,
        amount_ore: amount_ore.unwrap_or(0),
        vat_ore: vat_ore.unwrap_or(0),
    })
}

/// One session as the table shows it, with the names joined in.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRecord {
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    /// The name the person set, else their email; empty for a guest.
    pub member: String,
    pub plate: String,
    pub facility: String,
    pub city: String,
    #[sqlx(try_from = "String")]
    pub kind: SessionKind,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub energy_wh: Option<i64>,
    pub amount_ore: i64,
    pub vat_ore: i64,
    /// `code name`, or empty.
    pub cost_center: String,
}

/// A row of the page query: the record and its sort key (for the next page's cursor).
#[derive(Debug, sqlx::FromRow)]
struct PageRow {
    #[sqlx(flatten)]
    record: SessionRecord,
    sort_key: i64,
}

/// A value bound to a `$n` placeholder of a query built at run time.
#[derive(Debug, Clone)]
enum Arg {
    I(i64),
    U(Uuid),
    T(String),
}

macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::I(v) => q.bind(*v),
                Arg::U(v) => q.bind(*v),
                Arg::T(v) => q.bind(v.as_str()),
            };
        }
        q
    }};
}

/// Every dynamic SQL text here is assembled from fixed fragments and `$n` placeholders only
/// (values always travel as bound arguments), which is why it is passed as `AssertSqlSafe`.
///
/// `s.company_id = $1 AND s.started_at >= $2 …` for a filter (without the cursor), its
/// arguments pushed onto `args`. Every read of the history starts from this text, so the
/// table, the totals and the export cannot disagree about which rows a filter means.
fn where_sql(f: &Filter, args: &mut Vec<Arg>) -> String {
    let next = |a: Arg, args: &mut Vec<Arg>| {
        args.push(a);
        format!("${}", args.len())
    };
    let mut w = format!(
        "s.company_id = {} AND s.started_at >= {} AND s.started_at < {}",
        next(Arg::U(f.scope.company_id()), args),
        next(Arg::I(f.from), args),
        next(Arg::I(f.to), args)
    );
    match f.users.as_deref() {
        None => {}
        Some([]) => w.push_str(" AND 1 = 0"),
        Some([one]) => w.push_str(&format!(" AND s.user_id = {}", next(Arg::U(*one), args))),
        Some(many) => {
            let list: Vec<String> = many.iter().map(|id| next(Arg::U(*id), args)).collect();
            w.push_str(&format!(" AND s.user_id IN ({})", list.join(", ")));
        }
    }
    if f.guests {
        w.push_str(" AND s.user_id IS NULL");
    }
    if let Some(pattern) = &f.member_like {
        // A subquery, not a list of ids: a broad search ("se") matches everyone it should.
        let c = next(Arg::U(f.scope.company_id()), args);
        let p = next(Arg::T(pattern.clone()), args);
        w.push_str(&format!(
            " AND s.user_id IN (SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id
               WHERE m.company_id = {c}
                 AND (lower(u.display_name) LIKE {p} ESCAPE '\\' OR u.email LIKE {p} ESCAPE '\\'))"
        ));
    }
    if let Some(p) = &f.plate {
        w.push_str(&format!(" AND s.plate = {}", next(Arg::T(p.clone()), args)));
    }
    match f.cost_center {
        None => {}
        Some(CostCenterChoice::Unassigned) => w.push_str(" AND s.cost_center_id IS NULL"),
        Some(CostCenterChoice::Is(c)) => w.push_str(&format!(
            " AND s.cost_center_id = {}",
            next(Arg::U(c), args)
        )),
    }
    if let Some(fac) = f.facility {
        w.push_str(&format!(" AND s.facility_id = {}", next(Arg::U(fac), args)));
    }
    if let Some(k) = f.kind {
        w.push_str(&format!(
            " AND s.kind = {}",
            next(Arg::T(k.as_str().into()), args)
        ));
    }
    w
}

/// `… AND (key, s.id) < ($k, $id)` for the keyset cursor, plus `ORDER BY … LIMIT`.
fn keyset_sql(f: &Filter, args: &mut Vec<Arg>, limit: i64) -> String {
    let key = f.sort.key_sql();
    let mut sql = String::new();
    if let Some((k, id)) = f.after {
        args.push(Arg::I(k));
        let kn = args.len();
        args.push(Arg::U(id));
        let idn = args.len();
        sql.push_str(&format!(" AND ({key}, s.id) < (${kn}, ${idn})"));
    }
    args.push(Arg::I(limit));
    sql.push_str(&format!(
        " ORDER BY {key} DESC, s.id DESC LIMIT ${}",
        args.len()
    ));
    sql
}

/// The filter a row query starts from. In start order the cursor is also where the index
/// range ends: `started_at < key + 1` takes the place of the period's end, so the engine
/// starts reading at the cursor. (A redundant `started_at <= key` beside `started_at < to` is
/// not enough: SQLite uses one upper bound of a range and took the period's end, so every
/// page walked down from the newest row to its cursor — export chunks got slower the deeper
/// they were.)
fn narrowed(f: &Filter) -> Filter {
    let mut g = f.clone();
    if let (super::filter::Sort::Start, Some((key, _))) = (g.sort, g.after) {
        g.to = g.to.min(key.saturating_add(1));
    }
    g
}

fn page_query(f: &Filter) -> (String, Vec<Arg>) {
    let f = &narrowed(f);
    let mut args = Vec::new();
    let w = where_sql(f, &mut args);
    let k = keyset_sql(f, &mut args, f.limit + 1);
    let sql = format!(
        "SELECT s.id, s.user_id, COALESCE(NULLIF(u.display_name, ''), u.email, '') AS member,
                s.plate, fa.name AS facility, fa.city, s.kind, s.started_at, s.ended_at, s.energy_wh,
                s.amount_ore, s.vat_ore, COALESCE(c.code || ' ' || c.name, '') AS cost_center,
                {key} AS sort_key
         FROM sessions s
         JOIN facilities fa ON fa.id = s.facility_id
         LEFT JOIN users u ON u.id = s.user_id
         LEFT JOIN cost_centers c ON c.id = s.cost_center_id
         WHERE {w}{k}",
        key = f.sort.key_sql()
    );
    (sql, args)
}

/// The page query alone, rows fetched and nothing else done with them: what the benchmark
/// compares the server function against ("the same SQL run directly").
#[cfg(feature = "testing")]
pub async fn page_raw(db: &Db, f: &Filter) -> Result<usize, sqlx::Error> {
    let (sql, args) = page_query(f);
    let rows: Vec<PageRow> = with_pool!(db, |pool| {
        bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())), &args)
            .fetch_all(pool)
            .await
    })?;
    Ok(rows.len())
}

/// Rows fetched with `LIMIT limit + 1`: the page, and the cursor of the next page when the
/// extra row came back. `key` gives a row's (sort key, id).
fn split_page<T>(
    mut rows: Vec<T>,
    limit: i64,
    key: impl Fn(&T) -> (i64, Uuid),
) -> (Vec<T>, Option<String>) {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = if more {
        rows.last().map(|r| {
            let (k, id) = key(r);
            super::filter::cursor_text(k, id)
        })
    } else {
        None
    };
    (rows, next)
}

/// One page of the filter in its sort order, and the cursor of the next page (if any).
pub async fn page(
    db: &Db,
    f: &Filter,
) -> Result<(Vec<SessionRecord>, Option<String>), sqlx::Error> {
    let (sql, args) = page_query(f);
    let rows: Vec<PageRow> = with_pool!(db, |pool| {
        bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())), &args)
            .fetch_all(pool)
            .await
    })?;
    let (rows, next) = split_page(rows, f.limit, |r| (r.sort_key, r.record.id));
    Ok((rows.into_iter().map(|r| r.record).collect(), next))
}

/// Totals of a whole filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct FilterTotals {
    pub sessions: i64,
    /// Parking sessions that have ended, summed.
    pub parking_seconds: i64,
    pub energy_wh: i64,
    pub amount_ore: i64,
    pub vat_ore: i64,
}

fn totals_query(f: &Filter) -> (String, Vec<Arg>) {
    let mut args = Vec::new();
    let w = where_sql(f, &mut args);
    // CAST keeps PostgreSQL's SUM(bigint) = numeric out of the way.
    let sql = format!(
        "SELECT COUNT(*) AS sessions,
                CAST(COALESCE(SUM(CASE WHEN s.kind = 'parking' AND s.ended_at IS NOT NULL
                                       THEN s.ended_at - s.started_at ELSE 0 END), 0) AS BIGINT)
                    AS parking_seconds,
                CAST(COALESCE(SUM(s.energy_wh), 0) AS BIGINT) AS energy_wh,
                CAST(COALESCE(SUM(s.amount_ore), 0) AS BIGINT) AS amount_ore,
                CAST(COALESCE(SUM(s.vat_ore), 0) AS BIGINT) AS vat_ore
         FROM sessions s WHERE {w}"
    );
    (sql, args)
}

/// The totals of a filter: from the day rollup when the filter is made of its dimensions
/// (period, cost center, facility, kind), else from the sessions.
pub async fn filter_totals(db: &Db, f: &Filter) -> Result<FilterTotals, sqlx::Error> {
    if f.users.is_none() && !f.guests && f.member_like.is_none() && f.plate.is_none() {
        let m = rollup::filter_totals(db, f).await?;
        return Ok(FilterTotals {
            sessions: m.sessions,
            parking_seconds: m.parking_seconds,
            energy_wh: m.energy_wh,
            amount_ore: m.amount_ore,
            vat_ore: m.vat_ore,
        });
    }
    sessions_totals(db, f).await
}

/// [`filter_totals`] summed over the sessions, whatever the filter (what the rollup path is
/// tested against).
pub async fn sessions_totals(db: &Db, f: &Filter) -> Result<FilterTotals, sqlx::Error> {
    let (sql, args) = totals_query(f);
    with_pool!(db, |pool| {
        bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())), &args)
            .fetch_one(pool)
            .await
    })
}

/// One session as the export reads it: ids only, the names are looked up once per chunk.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ExportRow {
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub plate: String,
    pub facility_id: Uuid,
    #[sqlx(try_from = "String")]
    pub kind: SessionKind,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub energy_wh: Option<i64>,
    pub amount_ore: i64,
    pub vat_ore: i64,
    pub cost_center_id: Option<Uuid>,
}

/// The export's row query: newest first from the filter's cursor, `f.limit + 1` rows, no
/// joins (names are looked up once per chunk).
fn export_rows(f: &Filter) -> (String, Vec<Arg>) {
    let mut f = f.clone();
    f.sort = super::filter::Sort::Start;
    let f = narrowed(&f);
    let mut args = Vec::new();
    let w = where_sql(&f, &mut args);
    let k = keyset_sql(&f, &mut args, f.limit + 1);
    let sql = format!(
        "SELECT s.id, s.user_id, s.plate, s.facility_id, s.kind, s.started_at, s.ended_at,
                s.energy_wh, s.amount_ore, s.vat_ore, s.cost_center_id
         FROM sessions s WHERE {w}{k}"
    );
    (sql, args)
}

/// The export's rows. On PostgreSQL row by row, as every other query. On SQLite the database
/// hands over the whole chunk as one JSON text (`json_group_array`) which is parsed here:
/// sqlx's SQLite driver moves each row from its worker thread separately, ~8 µs a row, which
/// made this query 3× slower than SQLite itself (docs/benchmarks.md, "CSV export"). Both
/// paths return the same rows in the same order (store test
/// `the_sqlite_json_chunk_equals_the_rows_read_one_by_one`).
pub async fn fetch_export_rows(db: &Db, f: &Filter) -> Result<Vec<ExportRow>, sqlx::Error> {
    match db {
        Db::Sqlite(pool) => {
            let (sql, args) = export_rows(f);
            let sql = format!(
                "SELECT json_group_array(json_array(hex(id), hex(user_id), plate, hex(facility_id),
                          kind, started_at, ended_at, energy_wh, amount_ore, vat_ore,
                          hex(cost_center_id)))
                 FROM ({sql})"
            );
            let text: String = bind_args!(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)), &args)
                .fetch_one(pool)
                .await?;
            parse_json_rows(&text).map_err(|e| sqlx::Error::Decode(e.into()))
        }
        Db::Postgres(_) => export_rows_one_by_one(db, f).await,
    }
}

/// The rows read one by one through sqlx, on either engine (what the JSON path is checked
/// against).
pub async fn export_rows_one_by_one(db: &Db, f: &Filter) -> Result<Vec<ExportRow>, sqlx::Error> {
    let (sql, args) = export_rows(f);
    with_pool!(db, |pool| {
        bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())), &args)
            .fetch_all(pool)
            .await
    })
}

/// The SQLite chunk's JSON: one array per row, ids as 32 hex digits (`""` for NULL).
fn parse_json_rows(text: &str) -> Result<Vec<ExportRow>, String> {
    type JsonRow = (
        String,
        String,
        String,
        String,
        String,
        i64,
        Option<i64>,
        Option<i64>,
        i64,
        i64,
        String,
    );
    let id = |hex: &str| Uuid::try_parse(hex).map_err(|e| format!("export row id {hex:?}: {e}"));
    let maybe = |hex: &str| {
        if hex.is_empty() {
            Ok(None)
        } else {
            id(hex).map(Some)
        }
    };
    let raw: Vec<JsonRow> = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut rows = raw
        .into_iter()
        .map(|r| {
            Ok(ExportRow {
                id: id(&r.0)?,
                user_id: maybe(&r.1)?,
                plate: r.2,
                facility_id: id(&r.3)?,
                kind: SessionKind::try_from(r.4)?,
                started_at: r.5,
                ended_at: r.6,
                energy_wh: r.7,
                amount_ore: r.8,
                vat_ore: r.9,
                cost_center_id: maybe(&r.10)?,
            })
        })
        .collect::<Result<Vec<ExportRow>, String>>()?;
    // SQLite aggregates in the subquery's order in practice, but does not promise it; a sort of
    // sorted rows costs one pass.
    rows.sort_by_key(|r| std::cmp::Reverse((r.started_at, r.id)));
    Ok(rows)
}

/// The export's row query alone, rows fetched and decoded and nothing else done: what the
/// export benchmark sets a whole chunk against. Returns the rows and the next cursor.
#[cfg(feature = "testing")]
pub async fn export_rows_raw(db: &Db, f: &Filter) -> Result<(usize, Option<String>), sqlx::Error> {
    let rows = fetch_export_rows(db, f).await?;
    let (rows, next) = split_page(rows, f.limit, |r| (r.started_at, r.id));
    Ok((rows.len(), next))
}

/// One chunk of the export (always newest first, from the filter's cursor, `f.limit` rows),
/// dictionary-encoded.
pub async fn export_chunk(db: &Db, f: &Filter) -> Result<super::ExportChunk, sqlx::Error> {
    export_chunk_with(db, f, &mut ExportNames::default()).await
}

/// The names an export has looked up so far. A company's chunks mostly name the same people,
/// facilities and cost centers, so each chunk of one export looks up only the ones the
/// chunks before it did not (a 20,000-row chunk of the large demo company names ~4,800 of its
/// 5,000 members: ~25 ms of lookups a chunk without this).
#[derive(Debug, Clone, Default)]
pub struct ExportNames {
    users: std::collections::HashMap<Uuid, String>,
    facilities: std::collections::HashMap<Uuid, (String, String)>,
    centers: Option<std::collections::HashMap<Uuid, String>>,
}

/// [`export_chunk`], reusing and adding to `names`.
pub async fn export_chunk_with(
    db: &Db,
    f: &Filter,
    names: &mut ExportNames,
) -> Result<super::ExportChunk, sqlx::Error> {
    use std::collections::HashMap;
    let rows = fetch_export_rows(db, f).await?;
    let (rows, next) = split_page(rows, f.limit, |r| (r.started_at, r.id));

    // Dictionaries, in order of first appearance.
    fn index<K: std::hash::Hash + Eq>(map: &mut HashMap<K, u32>, key: K) -> u32 {
        let n = map.len() as u32;
        *map.entry(key).or_insert(n)
    }
    let mut users: HashMap<Option<Uuid>, u32> = HashMap::new();
    let mut plates: HashMap<String, u32> = HashMap::new();
    let mut facilities: HashMap<Uuid, u32> = HashMap::new();
    let mut centers: HashMap<Option<Uuid>, u32> = HashMap::new();
    centers.insert(None, 0);
    let mut out = super::ExportChunk::default();
    for r in &rows {
        let offset_start = f.offset_at(r.started_at);
        let offset_end = r.ended_at.map_or(offset_start, |e| f.offset_at(e));
        out.rows.push((
            index(&mut users, r.user_id),
            index(&mut plates, r.plate.clone()),
            index(&mut facilities, r.facility_id),
            r.kind == SessionKind::Charging,
            r.started_at + offset_start,
            r.ended_at.map(|e| e + offset_end),
            r.energy_wh,
            r.amount_ore,
            r.vat_ore,
            index(&mut centers, r.cost_center_id),
            (offset_end - offset_start) as i32,
        ));
    }
    let user_ids: Vec<Uuid> = users
        .keys()
        .flatten()
        .filter(|id| !names.users.contains_key(id))
        .copied()
        .collect();
    let facility_ids: Vec<Uuid> = facilities
        .keys()
        .filter(|id| !names.facilities.contains_key(id))
        .copied()
        .collect();
    let want_centers = names.centers.is_none();
    let (user_names, facility_names, center_names) = with_pool!(db, |pool| {
        async {
            let mut user_names: Vec<(Uuid, String)> = Vec::new();
            for ids in user_ids.chunks(1_000) {
                let list = (1..=ids.len()).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ");
                let sql = format!(
                    "SELECT id, COALESCE(NULLIF(display_name, ''), email) FROM users WHERE id IN ({list})"
                );
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
                for id in ids {
                    q = q.bind(*id);
                }
                user_names.extend(q.fetch_all(pool).await?);
            }
            let mut facility_names: Vec<(Uuid, String, String)> = Vec::new();
            for ids in facility_ids.chunks(1_000) {
                let list = (1..=ids.len()).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ");
                let sql = format!("SELECT id, name, city FROM facilities WHERE id IN ({list})");
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
                for id in ids {
                    q = q.bind(*id);
                }
                facility_names.extend(q.fetch_all(pool).await?);
            }
            let center_names: Vec<(Uuid, String)> = if want_centers {
                sqlx::query_as(
                    "SELECT id, code || ' ' || name FROM cost_centers WHERE company_id = $1",
                )
                .bind(f.scope.company_id())
                .fetch_all(pool)
                .await?
            } else {
                Vec::new()
            };
            Ok::<_, sqlx::Error>((user_names, facility_names, center_names))
        }
        .await
    })?;
    names.users.extend(user_names);
    names
        .facilities
        .extend(facility_names.into_iter().map(|(id, n, c)| (id, (n, c))));
    if want_centers {
        names.centers = Some(center_names.into_iter().collect());
    }
    let user_names = &names.users;
    let facility_names = &names.facilities;
    let empty = HashMap::new();
    let center_names = names.centers.as_ref().unwrap_or(&empty);

    out.members = vec![String::new(); users.len()];
    for (id, i) in users {
        out.members[i as usize] = id
            .and_then(|id| user_names.get(&id).cloned())
            .unwrap_or_default();
    }
    out.plates = vec![String::new(); plates.len()];
    for (p, i) in plates {
        out.plates[i as usize] = p;
    }
    out.facilities = vec![(String::new(), String::new()); facilities.len()];
    for (id, i) in facilities {
        out.facilities[i as usize] = facility_names.get(&id).cloned().unwrap_or_default();
    }
    out.cost_centers = vec![String::new(); centers.len()];
    for (id, i) in centers {
        out.cost_centers[i as usize] = id
            .and_then(|id| center_names.get(&id).cloned())
            .unwrap_or_default();
    }
    out.next = next;
    Ok(out)
}

/// When the company's first session started, if it has any (the filter's first year).
pub async fn first_session_at(db: &Db, scope: CompanyScope) -> Result<Option<i64>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_scalar("SELECT MIN(started_at) FROM sessions WHERE company_id = $1")
            .bind(scope.company_id())
            .fetch_one(pool)
            .await
    })
}

/// How the filter names one of the company's people: the name they set, else their address.
pub async fn person_name(
    db: &Db,
    scope: CompanyScope,
    user_id: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_scalar(
            "SELECT COALESCE(NULLIF(u.display_name, ''), u.email) FROM users u
             JOIN memberships m ON m.user_id = u.id AND m.company_id = $1
             WHERE u.id = $2",
        )
        .bind(scope.company_id())
        .bind(user_id)
        .fetch_optional(pool)
        .await
    })
}
