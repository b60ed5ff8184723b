//! The CSV export's chunks: ids from the sessions, names looked up once per chunk.

use uuid::Uuid;

use super::{keyset_sql, narrowed, split_page, where_sql, Arg};
use crate::{
    db::Db,
    history::{filter::Filter, SessionKind},
    with_pool,
};

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
    pub policy_flags: i64,
}

/// The export's row query: newest first from the filter's cursor, `f.limit + 1` rows, no
/// joins (names are looked up once per chunk).
fn export_rows(f: &Filter) -> (String, Vec<Arg>) {
    let mut f = f.clone();
    f.sort = crate::history::filter::Sort::Start;
    let f = narrowed(&f);
    let mut args = Vec::new();
    let w = where_sql(&f, &mut args);
    let k = keyset_sql(&f, &mut args, f.limit + 1);
    let sql = format!(
        "SELECT s.id, s.user_id, s.plate, s.facility_id, s.kind, s.started_at, s.ended_at,
                s.energy_wh, s.amount_ore, s.vat_ore, s.cost_center_id, s.policy_flags
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
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "history::fetch_export_rows")
)]
pub async fn fetch_export_rows(db: &Db, f: &Filter) -> Result<Vec<ExportRow>, sqlx::Error> {
    match db {
        Db::Sqlite(pool) => {
            let (sql, args) = export_rows(f);
            let sql = format!(
                "SELECT json_group_array(json_array(hex(id), hex(user_id), plate, hex(facility_id),
                          kind, started_at, ended_at, energy_wh, amount_ore, vat_ore,
                          hex(cost_center_id), policy_flags))
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
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "history::export_rows_one_by_one")
)]
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
        i64,
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
                policy_flags: r.11,
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
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "history::export_rows_raw")
)]
pub async fn export_rows_raw(db: &Db, f: &Filter) -> Result<(usize, Option<String>), sqlx::Error> {
    let rows = fetch_export_rows(db, f).await?;
    let (rows, next) = split_page(rows, f.limit, |r| (r.started_at, r.id));
    Ok((rows.len(), next))
}

/// One chunk of the export (always newest first, from the filter's cursor, `f.limit` rows),
/// dictionary-encoded.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "history::export_chunk")
)]
pub async fn export_chunk(db: &Db, f: &Filter) -> Result<crate::history::ExportChunk, sqlx::Error> {
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
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "history::export_chunk_with")
)]
pub async fn export_chunk_with(
    db: &Db,
    f: &Filter,
    names: &mut ExportNames,
) -> Result<crate::history::ExportChunk, sqlx::Error> {
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
    let mut out = crate::history::ExportChunk::default();
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
            r.policy_flags,
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
