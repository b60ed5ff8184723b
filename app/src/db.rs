//! The database handle. SQLite is the embedded default, PostgreSQL the scale-out engine; the
//! backend is chosen by the URL scheme. Most SQL text is shared (sqlx's SQLite driver takes
//! PostgreSQL-style `$1` placeholders), and every store function runs the same query through
//! [`with_pool!`] on whichever pool this is. Differences stay in the migrations:
//! UUIDs are `UUID` on PostgreSQL and 16-byte `BLOB`s on SQLite; instants are `BIGINT`
//! seconds since the Unix epoch (UTC) on both, which sorts and indexes identically everywhere.

use std::{str::FromStr, time::Duration};

use sqlx::{
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPool, PgPoolOptions},
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
    },
};

pub static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
pub static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Replaces SQLite's `lower()` on this connection with Unicode's (Rust's `to_lowercase`):
/// the built-in changes ASCII only, so a search for "åsa" missed "Åsa" on SQLite while
/// PostgreSQL found it (`app/src/nordic.rs`). No index uses `lower()`, so none is built with
/// the other one.
async fn unicode_lower(conn: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
    use libsqlite3_sys as ffi;
    use std::ffi::c_int;

    /// `lower(text)`: NULL stays NULL; anything else is read as text and lower-cased.
    unsafe extern "C" fn lower(
        ctx: *mut ffi::sqlite3_context,
        argc: c_int,
        argv: *mut *mut ffi::sqlite3_value,
    ) {
        // SAFETY: SQLite calls this with `argc` values in `argv` (registered with one
        // argument); the text pointer and its length are valid until the value changes,
        // and SQLITE_TRANSIENT makes SQLite copy the result before `lowered` is dropped.
        unsafe {
            if argc != 1 {
                ffi::sqlite3_result_null(ctx);
                return;
            }
            let value = *argv;
            if ffi::sqlite3_value_type(value) == ffi::SQLITE_NULL {
                ffi::sqlite3_result_null(ctx);
                return;
            }
            let text = ffi::sqlite3_value_text(value);
            let len = ffi::sqlite3_value_bytes(value);
            let bytes = if text.is_null() || len <= 0 {
                &[][..]
            } else {
                std::slice::from_raw_parts(text, len as usize)
            };
            let lowered = crate::nordic::lower(&String::from_utf8_lossy(bytes));
            ffi::sqlite3_result_text(
                ctx,
                lowered.as_ptr().cast(),
                lowered.len() as c_int,
                ffi::SQLITE_TRANSIENT(),
            );
        }
    }

    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    // SAFETY: `db` is this connection's open handle, held locked for the call; the name is a
    // NUL-terminated literal; no user data and no destructor.
    let rc = unsafe {
        ffi::sqlite3_create_function_v2(
            db,
            c"lower".as_ptr(),
            1,
            ffi::SQLITE_UTF8 | ffi::SQLITE_DETERMINISTIC,
            std::ptr::null_mut(),
            Some(lower),
            None,
            None,
            None,
        )
    };
    if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(sqlx::Error::Configuration(
            format!("registering SQLite's Unicode lower() failed: code {rc}").into(),
        ))
    }
}

/// A pool on one of the two engines. Cheap to clone (the pools are reference-counted).
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same body with `$pool` bound to whichever pool `$db` holds. The body is compiled
/// once per engine, so a query that only one engine's types support fails to compile.
#[macro_export]
macro_rules! with_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// A transaction on either engine. Services open one when several writes must commit
/// together (a change, its audit entry, its mail) and hand it to the store functions, which
/// hold the SQL; dropping it without [`Tx::commit`] rolls everything back.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs the same body with `$conn` bound to the connection of whichever engine `$tx`
/// (a `&mut Tx`) is on, like [`with_pool!`] for a pool. Use `&mut *$conn` as the executor.
#[macro_export]
macro_rules! with_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(t) => {
                let $conn: &mut sqlx::SqliteConnection = &mut **t;
                $body
            }
            $crate::db::Tx::Postgres(t) => {
                let $conn: &mut sqlx::PgConnection = &mut **t;
                $body
            }
        }
    };
}

/// Appends `($1, $2, …)` binding each item, for `… IN <list>` in a `sqlx::QueryBuilder`
/// (the same text on both engines). The list must not be empty: callers return early.
///
/// Run such a query with `.persistent(false)`: a prepared statement would let PostgreSQL keep
/// a generic plan made while the table was small (a sequential scan), and a lookup of 1,000
/// keys then scans the whole table — seen as ingestion falling from 14,000 to 500 sessions a
/// second as `sessions` grew to 100,000 rows. Unprepared, each batch is planned for the
/// table as it is.
#[macro_export]
macro_rules! push_in_list {
    ($qb:expr, $items:expr) => {{
        $qb.push("(");
        let mut list = $qb.separated(", ");
        for item in $items {
            list.push_bind(item);
        }
        $qb.push(")");
    }};
}

/// Where a store function runs its statement: on the pool (a statement of its own) or inside
/// a service's transaction. A store function that is called both ways takes
/// `impl Into<Conn<'_>>` and runs its SQL through [`with_conn!`], so there is one function
/// instead of a pool twin and a transaction twin: callers pass `db` or `&mut *tx`.
pub enum Conn<'a> {
    Pool(&'a Db),
    Tx(&'a mut Tx),
}

impl<'a> From<&'a Db> for Conn<'a> {
    fn from(db: &'a Db) -> Self {
        Conn::Pool(db)
    }
}

impl<'a> From<&'a mut Tx> for Conn<'a> {
    fn from(tx: &'a mut Tx) -> Self {
        Conn::Tx(tx)
    }
}

/// Runs the same body with `$c` bound to a connection of whichever engine and executor `$conn`
/// (anything `Into<Conn>`) is: a connection taken from the pool for this statement, or the
/// transaction's. Use `&mut *$c` as the executor; the enclosing function returns
/// `sqlx::Error` (taking a pooled connection can fail).
#[macro_export]
macro_rules! with_conn {
    ($conn:expr, |$c:ident| $body:expr) => {{
        let conn: $crate::db::Conn<'_> = $conn.into();
        match conn {
            $crate::db::Conn::Pool($crate::db::Db::Sqlite(pool)) => {
                let mut held = pool.acquire().await?;
                let $c: &mut sqlx::SqliteConnection = &mut *held;
                $body
            }
            $crate::db::Conn::Pool($crate::db::Db::Postgres(pool)) => {
                let mut held = pool.acquire().await?;
                let $c: &mut sqlx::PgConnection = &mut *held;
                $body
            }
            $crate::db::Conn::Tx($crate::db::Tx::Sqlite(t)) => {
                let $c: &mut sqlx::SqliteConnection = &mut **t;
                $body
            }
            $crate::db::Conn::Tx($crate::db::Tx::Postgres(t)) => {
                let $c: &mut sqlx::PgConnection = &mut **t;
                $body
            }
        }
    }};
}

/// A `SELECT` that looks rows up by lists of keys (ingestion's "which of these 1,000 do we
/// have?"), written once for both engines: each list becomes one array parameter on
/// PostgreSQL (`= ANY($n)`: one plan whatever the count) and `IN ($1, $2, …)` on SQLite,
/// which has no arrays. Run unprepared (see [`push_in_list!`] for why). Build it in the
/// order of the SQL text:
///
/// ```ignore
/// KeyLookup::new("SELECT id, version FROM sessions WHERE source = ")
///     .bind(source)
///     .sql(" AND external_ref")
///     .in_texts(refs)
///     .fetch_all(tx)
///     .await?
/// ```
///
/// A list must not be empty (callers return early); chunk long lists (SQLite's limit is
/// 32,766 parameters).
pub struct KeyLookup<'a> {
    pieces: Vec<Piece<'a>>,
}

enum Piece<'a> {
    Sql(String),
    Text(&'a str),
    Texts(&'a [&'a str]),
    Uuids(Vec<uuid::Uuid>),
}

impl<'a> KeyLookup<'a> {
    pub fn new(sql: impl Into<String>) -> Self {
        KeyLookup {
            pieces: vec![Piece::Sql(sql.into())],
        }
    }

    /// More SQL text.
    pub fn sql(mut self, sql: impl Into<String>) -> Self {
        self.pieces.push(Piece::Sql(sql.into()));
        self
    }

    /// One text parameter, where the SQL so far ends.
    pub fn bind(mut self, value: &'a str) -> Self {
        self.pieces.push(Piece::Text(value));
        self
    }

    /// ` = ANY(…)` / ` IN (…)` of these texts, after the column the SQL so far ends with.
    pub fn in_texts(mut self, keys: &'a [&'a str]) -> Self {
        self.pieces.push(Piece::Texts(keys));
        self
    }

    /// ` = ANY(…)` / ` IN (…)` of these ids, after the column the SQL so far ends with.
    pub fn in_uuids(mut self, keys: impl IntoIterator<Item = uuid::Uuid>) -> Self {
        self.pieces.push(Piece::Uuids(keys.into_iter().collect()));
        self
    }

    /// The rows, in the transaction (what ingestion reads must be what it then writes).
    pub async fn fetch_all<T>(self, tx: &mut Tx) -> Result<Vec<T>, sqlx::Error>
    where
        T: Send
            + Unpin
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>,
    {
        match tx {
            Tx::Postgres(t) => {
                let mut sql = String::new();
                let mut n = 0;
                for piece in &self.pieces {
                    match piece {
                        Piece::Sql(s) => sql.push_str(s),
                        Piece::Text(_) => {
                            n += 1;
                            sql.push_str(&format!("${n}"));
                        }
                        Piece::Texts(_) | Piece::Uuids(_) => {
                            n += 1;
                            sql.push_str(&format!(" = ANY(${n})"));
                        }
                    }
                }
                let mut q = sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(sql));
                for piece in self.pieces {
                    q = match piece {
                        Piece::Sql(_) => q,
                        Piece::Text(v) => q.bind(v),
                        Piece::Texts(v) => q.bind(v),
                        Piece::Uuids(v) => q.bind(v),
                    };
                }
                q.persistent(false).fetch_all(&mut **t).await
            }
            Tx::Sqlite(t) => {
                let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new("");
                for piece in self.pieces {
                    match piece {
                        Piece::Sql(s) => {
                            qb.push(s);
                        }
                        Piece::Text(v) => {
                            qb.push_bind(v);
                        }
                        Piece::Texts(v) => {
                            qb.push(" IN ");
                            crate::push_in_list!(qb, v.iter().copied());
                        }
                        Piece::Uuids(v) => {
                            qb.push(" IN ");
                            crate::push_in_list!(qb, v);
                        }
                    }
                }
                qb.build_query_as::<T>()
                    .persistent(false)
                    .fetch_all(&mut **t)
                    .await
            }
        }
    }
}

/// One column of a [`bulk_write`]: every row's value, in row order.
pub enum Column {
    Uuid(Vec<uuid::Uuid>),
    OptUuid(Vec<Option<uuid::Uuid>>),
    Text(Vec<String>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    OptI64(Vec<Option<i64>>),
}

impl Column {
    fn len(&self) -> usize {
        match self {
            Column::Uuid(v) => v.len(),
            Column::OptUuid(v) => v.len(),
            Column::Text(v) => v.len(),
            Column::I32(v) => v.len(),
            Column::I64(v) => v.len(),
            Column::OptI64(v) => v.len(),
        }
    }

    /// PostgreSQL's array type for `UNNEST`.
    fn pg_array(&self) -> &'static str {
        match self {
            Column::Uuid(_) | Column::OptUuid(_) => "uuid[]",
            Column::Text(_) => "text[]",
            Column::I32(_) => "int4[]",
            Column::I64(_) | Column::OptI64(_) => "int8[]",
        }
    }
}

/// Writes many rows with one text for both engines: `head` (`INSERT INTO t (a, b, …) `), the
/// rows, then `tail` (`ON CONFLICT … DO UPDATE …`, `RETURNING …`). On PostgreSQL the rows are
/// `SELECT * FROM UNNEST($1::uuid[], …)`, one array parameter per column: a statement of a
/// dozen parameters whatever the batch size, cheap to parse and plan (docs/benchmarks.md,
/// "Ingestion"). SQLite has no arrays: multi-row `VALUES`, in statements of at most 2,000 rows
/// under its parameter limit. Returns the rows `tail`'s `RETURNING` gives ([`bulk_execute`]
/// when there is none). Every column must have the same length.
pub async fn bulk_write<T>(
    tx: &mut Tx,
    head: &str,
    columns: &[Column],
    tail: &str,
) -> Result<Vec<T>, sqlx::Error>
where
    T: Send
        + Unpin
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>,
{
    let rows = columns.first().map_or(0, Column::len);
    debug_assert!(
        columns.iter().all(|c| c.len() == rows),
        "columns of one length"
    );
    if rows == 0 {
        return Ok(Vec::new());
    }
    match tx {
        Tx::Postgres(t) => {
            let sql = pg_unnest(head, columns, tail, 0);
            let mut q = sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(sql));
            for c in columns {
                q = bind_array(q, c);
            }
            q.fetch_all(&mut **t).await
        }
        Tx::Sqlite(t) => {
            let per_statement = (32_000 / columns.len().max(1)).clamp(1, 2_000);
            let mut out = Vec::new();
            let mut start = 0;
            while start < rows {
                let end = (start + per_statement).min(rows);
                let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(head);
                qb.push_values(start..end, |mut b, i| {
                    for c in columns {
                        match c {
                            Column::Uuid(v) => b.push_bind(v[i]),
                            Column::OptUuid(v) => b.push_bind(v[i]),
                            Column::Text(v) => b.push_bind(v[i].as_str()),
                            Column::I32(v) => b.push_bind(v[i]),
                            Column::I64(v) => b.push_bind(v[i]),
                            Column::OptI64(v) => b.push_bind(v[i]),
                        };
                    }
                });
                qb.push(tail);
                out.extend(
                    qb.build_query_as::<T>()
                        .persistent(false)
                        .fetch_all(&mut **t)
                        .await?,
                );
                start = end;
            }
            Ok(out)
        }
    }
}

/// `{head} SELECT * FROM UNNEST($n::type[], …) {tail}`, the columns' parameters numbered after
/// the `offset` ones before them.
fn pg_unnest(head: &str, columns: &[Column], tail: &str, offset: usize) -> String {
    let arrays: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("${}::{}", offset + i + 1, c.pg_array()))
        .collect();
    format!("{head} SELECT * FROM UNNEST({}) {tail}", arrays.join(", "))
}

/// Binds a column as one PostgreSQL array.
fn bind_array<'q, T>(
    q: sqlx::query::QueryAs<'q, sqlx::Postgres, T, sqlx::postgres::PgArguments>,
    c: &'q Column,
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, T, sqlx::postgres::PgArguments> {
    match c {
        Column::Uuid(v) => q.bind(v),
        Column::OptUuid(v) => q.bind(v),
        Column::Text(v) => q.bind(v),
        Column::I32(v) => q.bind(v),
        Column::I64(v) => q.bind(v),
        Column::OptI64(v) => q.bind(v),
    }
}

/// One statement of [`bulk_execute_all`]: as [`bulk_execute`]'s arguments.
pub struct BulkStatement {
    pub head: String,
    pub columns: Vec<Column>,
    pub tail: String,
}

/// Several [`bulk_execute`]s in one round trip on PostgreSQL: each but the last a
/// data-modifying `WITH` of the one statement (which PostgreSQL runs to completion whether or
/// not the last reads it). They see one snapshot, so no statement may depend on another's
/// effect: writes to different tables, as the cost rollups' three (`history::rollup::apply`).
/// SQLite runs them one after the other (a round trip there is a function call). Statements
/// without rows are left out.
pub async fn bulk_execute_all(
    tx: &mut Tx,
    statements: &[BulkStatement],
) -> Result<(), sqlx::Error> {
    let statements: Vec<&BulkStatement> = statements
        .iter()
        .filter(|s| s.columns.first().is_some_and(|c| c.len() > 0))
        .collect();
    match tx {
        Tx::Postgres(t) if statements.len() > 1 => {
            let mut sql = String::new();
            let mut offset = 0;
            let last = statements.len() - 1;
            for (i, s) in statements.iter().enumerate() {
                let one = pg_unnest(&s.head, &s.columns, &s.tail, offset);
                offset += s.columns.len();
                if i == last {
                    sql.push_str(&one);
                } else {
                    sql.push_str(if i == 0 { "WITH " } else { ", " });
                    sql.push_str(&format!("w{i} AS ({one})"));
                    sql.push(' ');
                }
            }
            let mut q = sqlx::query_as::<_, NoRow>(sqlx::AssertSqlSafe(sql));
            for s in &statements {
                for c in &s.columns {
                    q = bind_array(q, c);
                }
            }
            q.fetch_all(&mut **t).await.map(drop)
        }
        _ => {
            for s in statements {
                bulk_execute(tx, &s.head, &s.columns, &s.tail).await?;
            }
            Ok(())
        }
    }
}

/// [`bulk_write`] of a statement without `RETURNING` (no rows come back).
pub async fn bulk_execute(
    tx: &mut Tx,
    head: &str,
    columns: &[Column],
    tail: &str,
) -> Result<(), sqlx::Error> {
    bulk_write::<NoRow>(tx, head, columns, tail).await.map(drop)
}

/// The row of a statement that returns none.
struct NoRow;

impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for NoRow {
    fn from_row(_: &'r R) -> Result<Self, sqlx::Error> {
        Ok(NoRow)
    }
}

/// Serialises writers per key: on PostgreSQL, transaction-level advisory locks on every key,
/// taken in ascending order in one round trip (so two writers cannot deadlock), released when
/// `tx` ends. On SQLite nothing is needed: [`Db::begin`] already holds the database's write
/// lock.
pub async fn lock_keys(tx: &mut Tx, keys: &[i64]) -> Result<(), sqlx::Error> {
    if let Tx::Postgres(t) = tx {
        let mut keys = keys.to_vec();
        keys.sort_unstable();
        keys.dedup();
        // A volatile function in the select list is evaluated after the sort, so the locks
        // are taken in key order.
        sqlx::query("SELECT pg_advisory_xact_lock(k) FROM UNNEST($1::int8[]) AS k ORDER BY k")
            .bind(keys)
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

/// Makes an enum a column type on both engines: stored as its text (`as_str`) and decoded
/// through its `parse`, so a row struct holds the enum itself and an unknown stored value
/// fails the row with a message naming it, never a silent default. Binds stay
/// `.bind(value.as_str())`. Use it beside the store that reads the column:
/// `crate::stored_as_text!(Role);`.
#[macro_export]
macro_rules! stored_as_text {
    ($ty:ty) => {
        impl sqlx::Type<sqlx::Sqlite> for $ty {
            fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
                <&str as sqlx::Type<sqlx::Sqlite>>::type_info()
            }
            fn compatible(ty: &sqlx::sqlite::SqliteTypeInfo) -> bool {
                <&str as sqlx::Type<sqlx::Sqlite>>::compatible(ty)
            }
        }
        impl sqlx::Type<sqlx::Postgres> for $ty {
            fn type_info() -> sqlx::postgres::PgTypeInfo {
                <&str as sqlx::Type<sqlx::Postgres>>::type_info()
            }
            fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
                <&str as sqlx::Type<sqlx::Postgres>>::compatible(ty)
            }
        }
        impl<'r> sqlx::Decode<'r, sqlx::Sqlite> for $ty {
            fn decode(
                value: sqlx::sqlite::SqliteValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&str as sqlx::Decode<sqlx::Sqlite>>::decode(value)?;
                <$ty>::parse(text)
                    .ok_or_else(|| format!("unknown {} {text:?}", stringify!($ty)).into())
            }
        }
        impl<'r> sqlx::Decode<'r, sqlx::Postgres> for $ty {
            fn decode(
                value: sqlx::postgres::PgValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&str as sqlx::Decode<sqlx::Postgres>>::decode(value)?;
                <$ty>::parse(text)
                    .ok_or_else(|| format!("unknown {} {text:?}", stringify!($ty)).into())
            }
        }
    };
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }
}

impl Db {
    /// The pool's connections now: (in use, idle, maximum), for the metrics.
    pub fn pool_state(&self) -> (u32, u32, u32) {
        let (size, idle, max) = match self {
            Db::Sqlite(p) => (p.size(), p.num_idle(), p.options().get_max_connections()),
            Db::Postgres(p) => (p.size(), p.num_idle(), p.options().get_max_connections()),
        };
        let idle = u32::try_from(idle).unwrap_or(u32::MAX);
        (size.saturating_sub(idle), idle, max)
    }

    /// Connects to `sqlite:…` or `postgres://…`. A SQLite file (and its folder) is created if
    /// missing, in WAL mode with foreign keys on.
    pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
                // Names in the three countries' orders (app/src/nordic.rs); PostgreSQL has
                // ICU collations of the same names (migration 0013).
                .collation("nordic_sv", |a, b| {
                    crate::nordic::compare(a, b, crate::nordic::Order::Swedish)
                })
                .collation("nordic_no", |a, b| {
                    crate::nordic::compare(a, b, crate::nordic::Order::Norwegian)
                });
            let path = opts.get_filename();
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .after_connect(|conn, _| Box::pin(unicode_lower(conn)))
                .connect_with(opts)
                .await?;
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // A request waits at most 3 s for a connection: while the server restarts or fails
            // over, requests answer 503 promptly rather than queueing (AppError::Unavailable).
            // No `extra_float_digits` at connect: PgBouncer refuses unknown startup
            // parameters, and PostgreSQL ≥ 12 already sends floats exactly (sqlx reads them in
            // binary anyway). The application name shows the portal in pg_stat_activity.
            let opts = PgConnectOptions::from_str(url)?
                .extra_float_digits(None)
                .application_name("portal");
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(3))
                .connect_with(opts)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            Err(sqlx::Error::Configuration(
                "DATABASE_URL must start with sqlite: or postgres://".into(),
            ))
        }
    }

    /// Starts a transaction (see [`Tx`]). On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a transaction that reads first and writes later would otherwise
    /// fail at its first write with SQLITE_BUSY whenever another connection wrote since its
    /// read began (WAL's snapshot rule, which the busy timeout does not wait out) — two
    /// ingestion batches at once did exactly that. Now the second waits for the first
    /// (up to the 5 s busy timeout). Transactions here are services' writes.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        let started = std::time::Instant::now();
        let tx = match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        };
        crate::metrics::db_begin(started.elapsed());
        Ok(tx)
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    fn migrator(&self) -> &'static Migrator {
        match self {
            Db::Sqlite(_) => &SQLITE_MIGRATIONS,
            Db::Postgres(_) => &POSTGRES_MIGRATIONS,
        }
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        let migrator = self.migrator();
        with_pool!(self, |pool| migrator.run(pool).await)
    }

    /// True when the database answers and every migration this binary knows is applied:
    /// what `/readyz` reports.
    pub async fn is_ready(&self) -> bool {
        self.schema().await.is_ok_and(|s| s.pending.is_empty())
    }

    /// The schema as this binary sees it: which of its migrations are not applied, and which
    /// applied migrations it does not know (a newer release migrated). No table yet means
    /// every migration is pending.
    pub async fn schema(&self) -> Result<Schema, sqlx::Error> {
        // One query on the common path (`/readyz` asks every half second per balancer); only
        // when it fails, a second to tell an empty database from an unreachable one.
        let versions = with_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT version FROM _sqlx_migrations WHERE success = TRUE ORDER BY version",
            )
            .fetch_all(pool)
            .await
        });
        let applied: Vec<i64> = match versions {
            Ok(v) => v,
            Err(e) => {
                let table: Option<String> = with_pool!(self, |pool| {
                    sqlx::query_scalar(match self {
                        Db::Sqlite(_) => "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
                        Db::Postgres(_) => "SELECT tablename::TEXT FROM pg_tables WHERE tablename = '_sqlx_migrations' AND schemaname = current_schema()",
                    })
                    .fetch_optional(pool)
                    .await
                })?;
                if table.is_some() {
                    return Err(e);
                }
                Vec::new()
            }
        };
        let known: Vec<i64> = self
            .migrator()
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .map(|m| m.version)
            .collect();
        Ok(Schema {
            pending: known
                .iter()
                .copied()
                .filter(|v| !applied.contains(v))
                .collect(),
            unknown: applied.into_iter().filter(|v| !known.contains(v)).collect(),
        })
    }

    pub async fn close(&self) {
        with_pool!(self, |pool| pool.close().await)
    }
}

/// Refreshes PostgreSQL's planner statistics of the whole database (`ANALYZE`), after a bulk
/// load and before reading it back: what autovacuum does on its own minutes later. Without
/// statistics a lookup of 2,000 sessions by operator id (`source = $1 AND external_ref =
/// ANY($2)`) uses the unique index for `source` alone and filters every row of the table —
/// ~0.5 s at 2,000,000 sessions instead of ~11 ms (docs/benchmarks.md, "The demo generator").
/// The demo generator calls it between a company's sessions and its invoices. SQLite: nothing
/// (its planner takes the unique index for both columns without statistics).
pub async fn analyze(db: &Db) -> Result<(), sqlx::Error> {
    if let Db::Postgres(pool) = db {
        sqlx::query("ANALYZE").execute(pool).await?;
    }
    Ok(())
}

/// Copies a SQLite database to `path` while it serves: `VACUUM INTO` reads one consistent
/// snapshot (WAL readers do not block writers), into `<path>.partial`, renamed when complete
/// so that a half-written copy never carries the final name. Returns the copy's size.
/// PostgreSQL is backed up with `pg_dump -Fc` (docs/operations.md).
pub async fn backup(db: &Db, path: &std::path::Path) -> Result<u64, String> {
    let Db::Sqlite(pool) = db else {
        return Err(
            "portal backup is for SQLite; back PostgreSQL up with pg_dump -Fc (docs/operations.md)"
                .into(),
        );
    };
    if path.exists() {
        return Err(format!(
            "{}: exists already; name a new file",
            path.display()
        ));
    }
    let partial = path.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    let target = partial
        .to_str()
        .ok_or_else(|| format!("{}: not a UTF-8 path", path.display()))?;
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(pool)
        .await
        .map_err(|e| format!("backup to {}: {e}", path.display()))?;
    std::fs::rename(&partial, path).map_err(|e| format!("{}: {e}", path.display()))?;
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Where the database's schema stands against this binary's migrations ([`Db::schema`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    /// Migrations this binary has that the database lacks: `portal migrate` applies them.
    pub pending: Vec<i64>,
    /// Migrations the database has that this binary does not know: a newer release migrated.
    pub unknown: Vec<i64>,
}

impl Schema {
    /// Why a deployed `portal serve` must not start on this schema, if it must not.
    pub fn refusal(&self) -> Option<String> {
        let list = |v: &[i64]| {
            v.iter()
                .map(|n| format!("{n:04}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !self.unknown.is_empty() {
            Some(format!(
                "the database is newer than this binary: it has migration(s) {} that this release does not know. Start the release that applied them (a rollback past a migration needs that release's own rollback plan, docs/operations.md)",
                list(&self.unknown)
            ))
        } else if !self.pending.is_empty() {
            Some(format!(
                "the database schema is behind this binary: migration(s) {} are pending. Run `portal migrate` first (the release step; over PORTAL_MIGRATION_DATABASE_URL when DATABASE_URL is a pooler)",
                list(&self.pending)
            ))
        } else {
            None
        }
    }
}

/// The one LIKE pattern builder: `%text%` with `%`, `_` and `\` escaped, so user text matches
/// literally inside `LIKE … ESCAPE '\'` (every LIKE on user text says `ESCAPE '\'`).
/// The text is put in Unicode's composed form first, as stored names and addresses are
/// (`nordic::composed`).
pub fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for ch in crate::nordic::composed(text).chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

/// An outbox table (`outbox` for mail, `operator_outbox` for guest permits): rows with
/// `id`, `status` (`pending`, `sending`, `sent`, `failed`), `next_attempt_at` and
/// `lease_until`. Its SQL text is fixed by the caller, never user input.
pub struct OutboxTable {
    pub table: &'static str,
    /// The `ORDER BY` of which due rows go first.
    pub order_by: &'static str,
    /// The columns the claim returns (the row type's fields).
    pub returning: &'static str,
}

/// Hands back claims this worker took and never attempted (an instance shutting down): the
/// rows are due again at once for any instance, instead of after their lease. Only rows still
/// under this worker's claim (`lease_until` as it set it) change; one whose lease already ran
/// out and passed to another worker is left alone. Returns how many were handed back.
pub async fn release_claims(
    db: &Db,
    outbox: &OutboxTable,
    ids: &[uuid::Uuid],
    lease_until: i64,
) -> Result<u64, sqlx::Error> {
    let table = outbox.table;
    let sql = format!(
        "UPDATE {table} SET status = 'pending', lease_until = NULL
         WHERE id = $1 AND status = 'sending' AND lease_until = $2"
    );
    let mut released = 0;
    for id in ids {
        released += with_pool!(db, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(*id)
                .bind(lease_until)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    Ok(released)
}

/// Claims up to `limit` due rows of an outbox for this worker under a lease of `lease`
/// seconds: pending rows whose time has come, and rows whose previous worker's lease ran out.
/// On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several instances claim side by side; SQLite
/// has one writer. Rows come back in no particular order.
pub async fn claim_due<T>(
    db: &Db,
    outbox: &OutboxTable,
    now: i64,
    lease: i64,
    limit: i64,
) -> Result<Vec<T>, sqlx::Error>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    let OutboxTable {
        table,
        order_by,
        returning,
    } = outbox;
    let pick = format!(
        "SELECT id FROM {table}
         WHERE (status = 'pending' AND next_attempt_at <= $1) OR (status = 'sending' AND lease_until < $1)
         ORDER BY {order_by} LIMIT $3"
    );
    let head = format!("UPDATE {table} SET status = 'sending', lease_until = $2 WHERE id IN (");
    match db {
        Db::Postgres(pool) => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{head}{pick} FOR UPDATE SKIP LOCKED) RETURNING {returning}"
            )))
            .bind(now)
            .bind(now + lease)
            .bind(limit)
            .fetch_all(pool)
            .await
        }
        Db::Sqlite(pool) => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{head}{pick}) RETURNING {returning}"
            )))
            .bind(now)
            .bind(now + lease)
            .bind(limit)
            .fetch_all(pool)
            .await
        }
    }
}

/// What an outbox holds for the metrics: messages not yet delivered (pending or being sent)
/// and the age in seconds of the oldest one that is due now and not taken by a live claim
/// (0 when none): an outbox that keeps up holds this near 0.
pub async fn outbox_state(
    db: &Db,
    outbox: &OutboxTable,
    now: i64,
) -> Result<(i64, i64), sqlx::Error> {
    let table = outbox.table;
    let sql = format!(
        "SELECT COUNT(*), MIN(CASE WHEN status = 'pending' AND next_attempt_at <= $1 THEN next_attempt_at
                                   WHEN status = 'sending' AND lease_until < $1 THEN lease_until END)
         FROM {table} WHERE status IN ('pending', 'sending')"
    );
    let (depth, oldest): (i64, Option<i64>) = with_pool!(db, |pool| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(now)
            .fetch_one(pool)
            .await
    })?;
    Ok((depth, oldest.map_or(0, |t| now - t)))
}

/// A claim's lease on a message to the operator: longer than the longest batch can take (the
/// sender checks this at compile time against its batch size and request timeout), so that
/// no message is claimed again while its first sender may still be posting it.
pub const OPERATOR_LEASE_SECONDS: i64 = 300;

/// A message of an outbox to the operator's back office (`operator_outbox` for guest permits,
/// `policy_outbox` for the companies' rules), as a claim returns it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OperatorMessage {
    /// The message's idempotency key.
    pub id: uuid::Uuid,
    /// What the message is about: the permit, the company.
    pub subject: uuid::Uuid,
    pub version: i64,
    pub body: String,
    pub attempts: i32,
    pub created_at: i64,
    /// The end of this claim's lease: the claim's token. Marking the outcome checks it, so an
    /// instance whose lease ran out (and whose message another instance took) changes nothing.
    pub lease_until: i64,
}

/// Marks a claimed message delivered; false (and nothing changed) when the claim is no
/// longer this sender's: its lease ran out and another sender took the message.
pub async fn mark_sent(
    db: &Db,
    outbox: &OutboxTable,
    row: &OperatorMessage,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let table = outbox.table;
    let sql = format!(
        "UPDATE {table} SET status = 'sent', sent_at = $2, lease_until = NULL,
                attempts = attempts + 1, last_error = NULL
         WHERE id = $1 AND status = 'sending' AND lease_until = $3"
    );
    let changed = with_pool!(db, |pool| {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(row.id)
            .bind(now)
            .bind(row.lease_until)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(changed == 1)
}

/// A failed attempt: retried with backoff (10 s doubling up to 5 minutes) until the message
/// is older than `give_up_after` or the failure is permanent; then `failed`, with the reason.
/// Returns whether it gave up, or `None` when the claim is no longer this sender's (see
/// [`mark_sent`]): a message another sender delivered is never shown as failed.
pub async fn mark_failed(
    db: &Db,
    outbox: &OutboxTable,
    row: &OperatorMessage,
    permanent: bool,
    reason: &str,
    give_up_after: i64,
    now: i64,
) -> Result<Option<bool>, sqlx::Error> {
    let give_up = permanent || now - row.created_at >= give_up_after;
    let table = outbox.table;
    let sql = format!(
        "UPDATE {table} SET status = $2, attempts = $3, next_attempt_at = $4,
                lease_until = NULL, last_error = $5
         WHERE id = $1 AND status = 'sending' AND lease_until = $6"
    );
    let changed = with_pool!(db, |pool| {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(row.id)
            .bind(if give_up { "failed" } else { "pending" })
            .bind(row.attempts + 1)
            .bind(now + backoff(row.attempts, 300))
            .bind(reason)
            .bind(row.lease_until)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok((changed == 1).then_some(give_up))
}

/// The wait before the next attempt of a delivery that failed `attempts` times: 10 s, 20 s,
/// 40 s, … at most `max`.
pub fn backoff(attempts: i32, max: i64) -> i64 {
    (10 * (1i64 << attempts.clamp(0, 10))).min(max)
}

/// Seconds since the Unix epoch, the unit of every `*_at` column.
pub fn now_ts() -> i64 {
    chrono::Utc::now().timestamp()
}
