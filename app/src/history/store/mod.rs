//! Sessions in the database. Writes are idempotent and ordered on (source, external_ref,
//! version): a session the back office sends twice is stored once, and an older version
//! never replaces a newer one ([`upsert_sessions`], called by `crate::ingest`).
//!
//! - [`write`]: storing sessions (and keeping the cost rollups in step);
//! - [`read`]: the history table's pages and totals;
//! - [`export`]: the CSV export's chunks (with one SQLite-only fast path, on purpose).
//!
//! This file holds the filter's SQL, which all reads start from.

use uuid::Uuid;

use crate::{
    db::Db,
    history::filter::{CostCenterChoice, Filter},
    scope::CompanyScope,
    with_pool,
};

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
    if let Some(spellings) = &f.plate {
        let list: Vec<String> = spellings
            .iter()
            .map(|p| next(Arg::T(p.clone()), args))
            .collect();
        w.push_str(&format!(" AND s.plate IN ({})", list.join(", ")));
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
    // `policy_flags <> 0` as written is what lets both engines use the partial index
    // `sessions_outside_policy` (migrations/*/0010_policies.sql).
    match f.policy {
        None => {}
        Some(crate::history::ANY_POLICY_REASON) => w.push_str(" AND s.policy_flags <> 0"),
        Some(bits) => w.push_str(&format!(
            " AND s.policy_flags <> 0 AND (s.policy_flags & {}) <> 0",
            next(Arg::I(bits), args)
        )),
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
            crate::history::filter::cursor_text(k, id)
        })
    } else {
        None
    };
    (rows, next)
}

mod export;
mod read;
mod write;

pub use export::*;
pub use read::*;
pub use write::*;

/// When the company's first session started, if it has any (the filter's first year).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "history::first_session_at")
)]
pub async fn first_session_at(db: &Db, scope: CompanyScope) -> Result<Option<i64>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_scalar("SELECT MIN(started_at) FROM sessions WHERE company_id = $1")
            .bind(scope.company_id())
            .fetch_one(pool)
            .await
    })
}

/// How the filter names one of the company's people: the name they set, else their address.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "history::person_name")
)]
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
