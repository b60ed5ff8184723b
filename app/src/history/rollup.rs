//! The cost rollups: `session_days` and `session_months` (per company, local day or month,
//! cost center, facility and kind) and `member_months` (per company, local month and
//! member), sums of `sessions` that the cost page and the history totals read instead of the
//! sessions themselves (migrations/*/0006_costs.sql); and `outside_months` (per company,
//! local month, cost center and member: the sessions outside policy and their amount, what
//! the cost page's "outside policy" column reads, migrations/*/0015_outside_months.sql).
//!
//! They are kept exactly in step by the one write of sessions, [`super::store::upsert_sessions`],
//! in its transaction: it reads the stored facts of the sessions it is about to replace,
//! learns from the upsert which rows it wrote, and adds each written session's new facts and
//! subtracts its old ones ([`Deltas`]). On PostgreSQL the writer holds a per-company
//! transaction lock first ([`lock_companies`]), so the old facts it read are still the stored
//! ones when it writes; SQLite's writers are serialised by `BEGIN IMMEDIATE` already.
//! A group whose sessions all moved elsewhere stays as a row of zeros (a zero adds nothing to
//! any sum; the readers skip groups without sessions). A new judgement of stored sessions
//! (`history::store::set_policy_flags`) moves them in or out of `outside_months` the same way.
//!
//! A database that had sessions before the migration is filled at start-up by [`fill_missing`].

use std::collections::{BTreeSet, HashMap};

use chrono_tz::Tz;
use uuid::Uuid;

use super::SessionKind;
use crate::{
    calendar::{local_day, month_of_day},
    db::{BulkStatement, Column, Db, Tx},
    scope::CompanyScope,
    with_pool, with_tx,
};

/// "None" in a rollup key: no cost center, or no member (a guest).
pub const NONE: Uuid = Uuid::nil();

/// The sums of a group of sessions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, sqlx::FromRow)]
pub struct Measures {
    pub sessions: i64,
    /// Ended parking sessions only (what the history's hours count).
    pub parking_seconds: i64,
    pub energy_wh: i64,
    pub amount_ore: i64,
    pub vat_ore: i64,
}

impl Measures {
    pub fn add(&mut self, o: &Measures) {
        self.sessions += o.sessions;
        self.parking_seconds += o.parking_seconds;
        self.energy_wh += o.energy_wh;
        self.amount_ore += o.amount_ore;
        self.vat_ore += o.vat_ore;
    }

    pub fn sub(&mut self, o: &Measures) {
        self.sessions -= o.sessions;
        self.parking_seconds -= o.parking_seconds;
        self.energy_wh -= o.energy_wh;
        self.amount_ore -= o.amount_ore;
        self.vat_ore -= o.vat_ore;
    }

    fn of(f: &Fact, sign: i64) -> Measures {
        let parking = match (f.kind, f.ended_at) {
            (SessionKind::Parking, Some(end)) => end - f.started_at,
            _ => 0,
        };
        Measures {
            sessions: sign,
            parking_seconds: sign * parking,
            energy_wh: sign * f.energy_wh.unwrap_or(0),
            amount_ore: sign * f.amount_ore,
            vat_ore: sign * f.vat_ore,
        }
    }

    pub fn is_zero(&self) -> bool {
        *self == Measures::default()
    }
}

/// A group of `session_days` (`at` a day number) or `session_months` (`at` a month index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKey {
    pub company_id: Uuid,
    pub at: i32,
    pub cost_center: Uuid,
    pub facility_id: Uuid,
    pub kind: SessionKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MonthKey {
    pub company_id: Uuid,
    pub month: i32,
    pub user: Uuid,
}

/// A group of `outside_months`: a month's sessions outside policy of one cost center and
/// member (only `sessions` and `amount_ore` of its [`Measures`] are kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OutsideKey {
    pub company_id: Uuid,
    pub month: i32,
    pub cost_center: Uuid,
    pub user: Uuid,
}

/// What the rollups need of one session.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Fact {
    pub company_id: Uuid,
    pub user_id: Option<Uuid>,
    pub cost_center_id: Option<Uuid>,
    pub facility_id: Uuid,
    #[sqlx(try_from = "String")]
    pub kind: SessionKind,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub energy_wh: Option<i64>,
    pub amount_ore: i64,
    pub vat_ore: i64,
    /// The judgement (`policies::model::Reason` bits): not 0, the session counts in
    /// `outside_months`.
    pub policy_flags: i64,
}

/// Changes to the rollups, summed per key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deltas {
    pub days: HashMap<GroupKey, Measures>,
    pub months: HashMap<GroupKey, Measures>,
    pub members: HashMap<MonthKey, Measures>,
    pub outside: HashMap<OutsideKey, Measures>,
}

impl Deltas {
    /// Adds (`sign` 1) or subtracts (`sign` -1) one session, on its local day in `tz`.
    pub fn add(&mut self, tz: Tz, f: &Fact, sign: i64) {
        let m = Measures::of(f, sign);
        let day = local_day(tz, f.started_at);
        let month = month_of_day(day);
        let group = |at| GroupKey {
            company_id: f.company_id,
            at,
            cost_center: f.cost_center_id.unwrap_or(NONE),
            facility_id: f.facility_id,
            kind: f.kind,
        };
        self.days.entry(group(day)).or_default().add(&m);
        self.months.entry(group(month)).or_default().add(&m);
        self.members
            .entry(MonthKey {
                company_id: f.company_id,
                month,
                user: f.user_id.unwrap_or(NONE),
            })
            .or_default()
            .add(&m);
        if f.policy_flags != 0 {
            self.add_outside(
                OutsideKey {
                    company_id: f.company_id,
                    month,
                    cost_center: f.cost_center_id.unwrap_or(NONE),
                    user: f.user_id.unwrap_or(NONE),
                },
                f.amount_ore,
                sign,
            );
        }
    }

    /// Adds (`sign` 1) or subtracts (`sign` -1) one session outside policy of `amount_ore`:
    /// what a new judgement of a stored session changes.
    pub fn add_outside(&mut self, key: OutsideKey, amount_ore: i64, sign: i64) {
        self.outside.entry(key).or_default().add(&Measures {
            sessions: sign,
            amount_ore: sign * amount_ore,
            ..Measures::default()
        });
    }

    /// Without the groups that sum to nothing (what a comparison of two rollups looks at).
    pub fn without_zeros(mut self) -> Deltas {
        self.days.retain(|_, m| !m.is_zero());
        self.months.retain(|_, m| !m.is_zero());
        self.members.retain(|_, m| !m.is_zero());
        self.outside.retain(|_, m| !m.is_zero());
        self
    }
}

/// The companies' time zones (a company's rollup days are its local days).
pub async fn zones(tx: &mut Tx, companies: &[Uuid]) -> Result<HashMap<Uuid, Tz>, sqlx::Error> {
    if companies.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, String)> = with_tx!(tx, |conn| {
        let mut qb = sqlx::QueryBuilder::new("SELECT id, time_zone FROM companies WHERE id IN ");
        crate::push_in_list!(qb, companies.iter().copied());
        qb.build_query_as()
            .persistent(false)
            .fetch_all(&mut *conn)
            .await
    })?;
    rows.into_iter()
        .map(|(id, name)| Ok((id, zone_named(&name)?)))
        .collect()
}

/// A company's stored time zone; an unknown name fails the row as a decode error.
pub fn zone_named(name: &str) -> Result<Tz, sqlx::Error> {
    crate::calendar::zone(name)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown time zone {name:?}").into()))
}

/// On PostgreSQL, takes each company's rollup lock until the transaction ends (in one order,
/// so two writers cannot deadlock). Every writer of a company's sessions holds it, so the
/// facts a writer reads before its upsert are the ones it replaces. SQLite: nothing to do
/// (`Db::begin` takes the database's write lock).
pub async fn lock_companies(tx: &mut Tx, companies: &BTreeSet<Uuid>) -> Result<(), sqlx::Error> {
    let keys: Vec<i64> = companies.iter().map(|id| lock_key(*id)).collect();
    crate::db::lock_keys(tx, &keys).await
}

/// A company's advisory-lock number: the first eight bytes of its id, tagged so it does not
/// collide with another use of advisory locks by chance.
fn lock_key(company: Uuid) -> i64 {
    let b = company.as_bytes();
    i64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) ^ 0x524f_4c4c_5550_0000
}

/// Adds the deltas to the stored rollups (a group that is new is inserted): the four
/// tables' upserts in one round trip on PostgreSQL (`db::bulk_execute_all`; each table's rows
/// are only ever written under the company's lock, so they cannot deadlock each other).
pub async fn apply(tx: &mut Tx, d: &Deltas) -> Result<(), sqlx::Error> {
    crate::db::bulk_execute_all(
        tx,
        &[
            add_groups(GroupTable::Days, &d.days),
            add_groups(GroupTable::Months, &d.months),
            add_members(&d.members),
            add_outside(&d.outside),
        ],
    )
    .await
}

/// The two tables of [`GroupKey`]s.
#[derive(Debug, Clone, Copy)]
enum GroupTable {
    Days,
    Months,
}

impl GroupTable {
    /// (table, key column): constants, the only text that varies in the SQL below.
    fn names(self) -> (&'static str, &'static str) {
        match self {
            GroupTable::Days => ("session_days", "day"),
            GroupTable::Months => ("session_months", "month"),
        }
    }
}

/// The rows to write, groups of zeros left out, in one order of keys for every writer (two
/// transactions touching the same groups lock their rows in the same order).
fn sorted<K: Ord + Copy>(map: &HashMap<K, Measures>) -> Vec<(K, Measures)> {
    let mut v: Vec<(K, Measures)> = map
        .iter()
        .filter(|(_, m)| !m.is_zero())
        .map(|(k, m)| (*k, *m))
        .collect();
    v.sort_by_key(|(k, _)| *k);
    v
}

/// `ON CONFLICT … DO UPDATE` adding the new values of `columns` to the stored ones.
fn add_tail(table: &str, key: &str, columns: &[&str]) -> String {
    let set: Vec<String> = columns
        .iter()
        .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
        .collect();
    format!(" ON CONFLICT ({key}) DO UPDATE SET {}", set.join(", "))
}

/// The measure columns of `session_days`, `session_months` and `member_months`.
const MEASURE_COLUMNS: [&str; 5] = [
    "sessions",
    "parking_seconds",
    "energy_wh",
    "amount_ore",
    "vat_ore",
];

/// The upsert adding a day or month rollup's deltas (no rows: nothing to do).
fn add_groups(table: GroupTable, map: &HashMap<GroupKey, Measures>) -> BulkStatement {
    let rows = sorted(map);
    let (name, at) = table.names();
    let head = format!(
        "INSERT INTO {name} (company_id, {at}, cost_center_key, facility_id, kind,
             sessions, parking_seconds, energy_wh, amount_ore, vat_ore) "
    );
    let tail = add_tail(
        name,
        &format!("company_id, {at}, cost_center_key, facility_id, kind"),
        &MEASURE_COLUMNS,
    );
    let m = |f: fn(&Measures) -> i64| Column::I64(rows.iter().map(|(_, m)| f(m)).collect());
    let columns = vec![
        Column::Uuid(rows.iter().map(|(k, _)| k.company_id).collect()),
        Column::I32(rows.iter().map(|(k, _)| k.at).collect()),
        Column::Uuid(rows.iter().map(|(k, _)| k.cost_center).collect()),
        Column::Uuid(rows.iter().map(|(k, _)| k.facility_id).collect()),
        Column::Text(
            rows.iter()
                .map(|(k, _)| k.kind.as_str().to_owned())
                .collect(),
        ),
        m(|m| m.sessions),
        m(|m| m.parking_seconds),
        m(|m| m.energy_wh),
        m(|m| m.amount_ore),
        m(|m| m.vat_ore),
    ];
    BulkStatement {
        head,
        columns,
        tail,
    }
}

/// The upsert adding the members' month deltas (no rows: nothing to do).
fn add_members(map: &HashMap<MonthKey, Measures>) -> BulkStatement {
    let rows = sorted(map);
    let head = "INSERT INTO member_months (company_id, month, user_key,
                    sessions, parking_seconds, energy_wh, amount_ore, vat_ore) ";
    let tail = add_tail(
        "member_months",
        "company_id, month, user_key",
        &MEASURE_COLUMNS,
    );
    let m = |f: fn(&Measures) -> i64| Column::I64(rows.iter().map(|(_, m)| f(m)).collect());
    let columns = vec![
        Column::Uuid(rows.iter().map(|(k, _)| k.company_id).collect()),
        Column::I32(rows.iter().map(|(k, _)| k.month).collect()),
        Column::Uuid(rows.iter().map(|(k, _)| k.user).collect()),
        m(|m| m.sessions),
        m(|m| m.parking_seconds),
        m(|m| m.energy_wh),
        m(|m| m.amount_ore),
        m(|m| m.vat_ore),
    ];
    BulkStatement {
        head: head.to_owned(),
        columns,
        tail,
    }
}

/// The upsert adding the outside-policy deltas (no rows: nothing to do).
fn add_outside(map: &HashMap<OutsideKey, Measures>) -> BulkStatement {
    let rows = sorted(map);
    let head = "INSERT INTO outside_months (company_id, month, cost_center_key, user_key,
                    sessions, amount_ore) ";
    let tail = add_tail(
        "outside_months",
        "company_id, month, cost_center_key, user_key",
        &["sessions", "amount_ore"],
    );
    let columns = vec![
        Column::Uuid(rows.iter().map(|(k, _)| k.company_id).collect()),
        Column::I32(rows.iter().map(|(k, _)| k.month).collect()),
        Column::Uuid(rows.iter().map(|(k, _)| k.cost_center).collect()),
        Column::Uuid(rows.iter().map(|(k, _)| k.user).collect()),
        Column::I64(rows.iter().map(|(_, m)| m.sessions).collect()),
        Column::I64(rows.iter().map(|(_, m)| m.amount_ore).collect()),
    ];
    BulkStatement {
        head: head.to_owned(),
        columns,
        tail,
    }
}

/// The columns of a [`Fact`] (`history::store::stored_versions` reads them with the
/// versions).
pub(crate) const FACT_COLUMNS: &str =
    "company_id, user_id, cost_center_id, facility_id, kind, started_at,
    ended_at, energy_wh, amount_ore, vat_ore, policy_flags";

/// Both rollups of one company computed afresh from its sessions: what the fill writes and
/// what the consistency test compares the stored rollups with.
pub async fn recompute(tx: &mut Tx, scope: CompanyScope) -> Result<Deltas, sqlx::Error> {
    use futures::TryStreamExt;
    let id = scope.company_id();
    let tz = zones(tx, &[id])
        .await?
        .remove(&id)
        .ok_or(sqlx::Error::RowNotFound)?;
    let mut d = Deltas::default();
    let sql = format!("SELECT {FACT_COLUMNS} FROM sessions WHERE company_id = $1");
    with_tx!(tx, |conn| {
        let mut rows = sqlx::query_as::<_, Fact>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id)
            .fetch(&mut *conn);
        while let Some(f) = rows.try_next().await? {
            d.add(tz, &f, 1);
        }
        Ok::<_, sqlx::Error>(())
    })?;
    Ok(d.without_zeros())
}

/// The four rollups of one company as stored, groups of zeros left out.
pub async fn stored(db: &Db, scope: CompanyScope) -> Result<Deltas, sqlx::Error> {
    let mut d = Deltas::default();
    for table in [GroupTable::Days, GroupTable::Months] {
        let (name, at) = table.names();
        let rows: Vec<GroupRow> = with_pool!(db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT company_id, {at} AS at, cost_center_key, facility_id, kind, {MEASURES}
                 FROM {name} WHERE company_id = $1"
            )))
            .bind(scope.company_id())
            .fetch_all(pool)
            .await
        })?;
        let map = match table {
            GroupTable::Days => &mut d.days,
            GroupTable::Months => &mut d.months,
        };
        for r in rows {
            map.insert(r.key(), r.m);
        }
    }
    let rows: Vec<MemberRow> = with_pool!(db, |pool| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT company_id, month, user_key, {MEASURES} FROM member_months WHERE company_id = $1"
        )))
        .bind(scope.company_id())
        .fetch_all(pool)
        .await
    })?;
    for r in rows {
        d.members.insert(
            MonthKey {
                company_id: r.company_id,
                month: r.month,
                user: r.user_key,
            },
            r.m,
        );
    }
    let rows: Vec<(i32, Uuid, Uuid, i64, i64)> = with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT month, cost_center_key, user_key, sessions, amount_ore
             FROM outside_months WHERE company_id = $1",
        )
        .bind(scope.company_id())
        .fetch_all(pool)
        .await
    })?;
    for (month, cost_center, user, sessions, amount_ore) in rows {
        d.outside.insert(
            OutsideKey {
                company_id: scope.company_id(),
                month,
                cost_center,
                user,
            },
            Measures {
                sessions,
                amount_ore,
                ..Measures::default()
            },
        );
    }
    Ok(d.without_zeros())
}

/// The measure columns, read as they are stored.
const MEASURES: &str = "sessions, parking_seconds, energy_wh, amount_ore, vat_ore";

/// A stored group of `session_days` or `session_months`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupRow {
    pub company_id: Uuid,
    pub at: i32,
    pub cost_center_key: Uuid,
    pub facility_id: Uuid,
    #[sqlx(try_from = "String")]
    pub kind: SessionKind,
    #[sqlx(flatten)]
    pub m: Measures,
}

impl GroupRow {
    fn key(&self) -> GroupKey {
        GroupKey {
            company_id: self.company_id,
            at: self.at,
            cost_center: self.cost_center_key,
            facility_id: self.facility_id,
            kind: self.kind,
        }
    }
}

/// A stored group of `member_months`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    pub company_id: Uuid,
    pub month: i32,
    pub user_key: Uuid,
    #[sqlx(flatten)]
    pub m: Measures,
}

/// Builds the rollups of every company not yet filled (a database that had sessions before
/// migration 0006), each in a transaction of its own. Called at start-up after the
/// migrations, before the server serves; safe when several instances start at once (the
/// company's lock, then the mark checked again). Returns the companies filled.
pub async fn fill_missing(db: &Db) -> Result<usize, sqlx::Error> {
    let missing: Vec<Uuid> = with_pool!(db, |pool| {
        sqlx::query_scalar(
            "SELECT id FROM companies WHERE id NOT IN (SELECT company_id FROM rollup_filled)",
        )
        .fetch_all(pool)
        .await
    })?;
    let mut filled = 0;
    for id in missing {
        // The system at start-up acts with the operator's access (no person is signed in).
        let scope = crate::auth::OperatorAccess::command_line().scope(id);
        let mut tx = db.begin().await?;
        lock_companies(&mut tx, &BTreeSet::from([id])).await?;
        let done: Option<i64> = with_tx!(&mut tx, |conn| {
            sqlx::query_scalar("SELECT filled_at FROM rollup_filled WHERE company_id = $1")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await
        })?;
        if done.is_some() {
            continue;
        }
        let d = recompute(&mut tx, scope).await?;
        with_tx!(&mut tx, |conn| {
            async {
                sqlx::query("DELETE FROM session_days WHERE company_id = $1")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("DELETE FROM session_months WHERE company_id = $1")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("DELETE FROM member_months WHERE company_id = $1")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("DELETE FROM outside_months WHERE company_id = $1")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                Ok::<_, sqlx::Error>(())
            }
            .await
        })?;
        apply(&mut tx, &d).await?;
        mark_filled(&mut tx, id).await?;
        tx.commit().await?;
        filled += 1;
    }
    Ok(filled)
}

/// Forgets that any company's rollups were built, so that the next [`fill_missing`] builds
/// them all again (`portal migrate --rebuild-rollups`).
pub async fn forget_filled(db: &Db) -> Result<(), sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query("DELETE FROM rollup_filled")
            .execute(pool)
            .await
            .map(|_| ())
    })
}

/// Records that a company's rollups are complete (a new company's empty ones are).
pub async fn mark_filled(tx: &mut Tx, company: Uuid) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO rollup_filled (company_id, filled_at) VALUES ($1, $2)
             ON CONFLICT (company_id) DO NOTHING",
        )
        .bind(company)
        .bind(crate::db::now_ts())
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The totals of a history filter made of rollup dimensions (no member, plate or text):
/// the day rollup's groups of the filter's days, summed.
pub async fn filter_totals(db: &Db, f: &super::filter::Filter) -> Result<Measures, sqlx::Error> {
    use super::filter::CostCenterChoice;
    use super::filter::Period;
    use crate::calendar::month_index;
    // Whole months from the month table (a few hundred groups a month), other days from the
    // day table.
    let (table, (first, end)) = match f.period {
        Period::Month(y, m) => (
            GroupTable::Months,
            (month_index(y, m), month_index(y, m) + 1),
        ),
        Period::Year(y) => (
            GroupTable::Months,
            (month_index(y, 1), month_index(y + 1, 1)),
        ),
        Period::Range(..) => (GroupTable::Days, super::filter::period_days(f.period)),
    };
    let (name, at) = table.names();
    let center = match f.cost_center {
        None => None,
        Some(CostCenterChoice::Unassigned) => Some(NONE),
        Some(CostCenterChoice::Is(c)) => Some(c),
    };
    // Placeholders in order: company, first, end, then the optional filters present.
    let mut sql =
        format!("SELECT {SUMS} FROM {name} WHERE company_id = $1 AND {at} >= $2 AND {at} < $3");
    let mut n = 3;
    let mut next = |col: &str, sql: &mut String| {
        n += 1;
        sql.push_str(&format!(" AND {col} = ${n}"));
    };
    if center.is_some() {
        next("cost_center_key", &mut sql);
    }
    if f.facility.is_some() {
        next("facility_id", &mut sql);
    }
    if f.kind.is_some() {
        next("kind", &mut sql);
    }
    with_pool!(db, |pool| {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(f.scope.company_id())
            .bind(first)
            .bind(end);
        if let Some(c) = center {
            q = q.bind(c);
        }
        if let Some(fac) = f.facility {
            q = q.bind(fac);
        }
        if let Some(k) = f.kind {
            q = q.bind(k.as_str());
        }
        q.fetch_one(pool).await
    })
}

/// The measures summed, as `Measures` reads them (CAST keeps PostgreSQL's SUM(bigint) =
/// numeric out of the way).
pub const SUMS: &str = "CAST(COALESCE(SUM(sessions), 0) AS BIGINT) AS sessions,
    CAST(COALESCE(SUM(parking_seconds), 0) AS BIGINT) AS parking_seconds,
    CAST(COALESCE(SUM(energy_wh), 0) AS BIGINT) AS energy_wh,
    CAST(COALESCE(SUM(amount_ore), 0) AS BIGINT) AS amount_ore,
    CAST(COALESCE(SUM(vat_ore), 0) AS BIGINT) AS vat_ore";
