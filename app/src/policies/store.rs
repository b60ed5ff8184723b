//! Policies in the database: the versions of each level's rules (`policy_rules`, only ever
//! inserted) and the members' registered vehicles (`vehicles`). Every function takes the
//! company's scope; the judgements themselves are stored with the sessions
//! (`sessions.policy_flags`, written by `history::store::upsert_sessions`).

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::model::{Rules, Target, Version};
use crate::{db::Tx, scope::CompanyScope, with_conn, with_tx};

#[derive(sqlx::FromRow)]
struct VersionRow {
    company_id: Uuid,
    cost_center_id: Option<Uuid>,
    user_id: Option<Uuid>,
    valid_from: i64,
    version: i64,
    weekdays: Option<i32>,
    from_minute: Option<i32>,
    to_minute: Option<i32>,
    parking_allowed: Option<bool>,
    charging_allowed: Option<bool>,
    max_stay_minutes: Option<i32>,
    session_cap_ore: Option<i64>,
    monthly_cap_ore: Option<i64>,
    only_registered: Option<bool>,
    /// JSON: the allowed facilities' ids (`Rules::facilities`).
    facilities: Option<String>,
    /// The company's time zone ([`versions_and_zones`] keeps it).
    time_zone: String,
}

impl From<VersionRow> for Version {
    fn from(r: VersionRow) -> Version {
        let target = match (r.cost_center_id, r.user_id) {
            (Some(c), _) => Target::CostCenter(c),
            (None, Some(u)) => Target::Member(u),
            (None, None) => Target::Company,
        };
        Version {
            company_id: r.company_id,
            target,
            valid_from: r.valid_from,
            number: r.version,
            rules: Rules {
                weekdays: r.weekdays.map(|w| w as u8),
                hours: r
                    .from_minute
                    .zip(r.to_minute)
                    .map(|(f, t)| (f as u16, t as u16)),
                parking_allowed: r.parking_allowed,
                charging_allowed: r.charging_allowed,
                max_stay_minutes: r.max_stay_minutes.map(i64::from),
                session_cap: r.session_cap_ore,
                monthly_cap: r.monthly_cap_ore,
                only_registered: r.only_registered,
                // Written by `insert_version` only; a list that does not read (never seen)
                // would leave the rule to the level above rather than fail every judgement.
                facilities: r.facilities.and_then(|f| {
                    serde_json::from_str::<Vec<Uuid>>(&f)
                        .inspect_err(
                            |e| tracing::error!(error = %e, "unreadable facilities of a rule"),
                        )
                        .ok()
                }),
            },
        }
    }
}

/// The versions of these companies' rules with each company's time zone (a correlated
/// subquery over a handful of rows): one text for [`versions`] and [`versions_and_zones`].
const VERSION_COLUMNS: &str = "SELECT company_id, cost_center_id, user_id, valid_from, version, weekdays, from_minute, to_minute,
        parking_allowed, charging_allowed, max_stay_minutes, session_cap_ore, monthly_cap_ore, only_registered,
        facilities, (SELECT time_zone FROM companies c WHERE c.id = policy_rules.company_id) AS time_zone
 FROM policy_rules WHERE company_id IN ";

/// Every version of every level of these companies' rules, oldest first (a company has a
/// handful: the judgement picks the one in force per session, `model::Versions`).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "policies::versions")
)]
pub async fn versions<'c>(
    conn: impl Into<crate::db::Conn<'c>>,
    scopes: &[CompanyScope],
) -> Result<Vec<Version>, sqlx::Error> {
    Ok(version_rows(conn, scopes)
        .await?
        .into_iter()
        .map(Version::from)
        .collect())
}

async fn version_rows<'c>(
    conn: impl Into<crate::db::Conn<'c>>,
    scopes: &[CompanyScope],
) -> Result<Vec<VersionRow>, sqlx::Error> {
    if scopes.is_empty() {
        return Ok(Vec::new());
    }
    with_conn!(conn, |c| {
        let mut qb = sqlx::QueryBuilder::new(VERSION_COLUMNS);
        crate::push_in_list!(qb, scopes.iter().map(|s| s.company_id()));
        qb.push(" ORDER BY valid_from, version");
        qb.build_query_as()
            .persistent(false)
            .fetch_all(&mut *c)
            .await
    })
}

/// [`versions`] and, from the same rows, the time zone of each company that has any: what a
/// batch's judgement reads first (`service::Judge`), in one round trip.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "policies::versions_and_zones")
)]
pub async fn versions_and_zones(
    tx: &mut Tx,
    scopes: &[CompanyScope],
) -> Result<(Vec<Version>, HashMap<Uuid, chrono_tz::Tz>), sqlx::Error> {
    let rows = version_rows(&mut *tx, scopes).await?;
    let mut zones = HashMap::new();
    let mut versions = Vec::with_capacity(rows.len());
    for r in rows {
        if let std::collections::hash_map::Entry::Vacant(e) = zones.entry(r.company_id) {
            e.insert(crate::history::rollup::zone_named(&r.time_zone)?);
        }
        versions.push(Version::from(r));
    }
    Ok((versions, zones))
}

/// Stores a new version of one level's rules, in force from `valid_from`, numbered after the
/// company's last save (so of two versions with the same `valid_from` the later one wins; the
/// caller holds the company's lock, `history::rollup::lock_companies`, or is alone). The cost
/// center or member must be the company's (the caller checked; the foreign keys hold it too).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "policies::insert_version")
)]
pub async fn insert_version(
    tx: &mut Tx,
    scope: CompanyScope,
    target: Target,
    rules: &Rules,
    valid_from: i64,
    actor: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    let (center, user) = match target {
        Target::Company => (None, None),
        Target::CostCenter(c) => (Some(c), None),
        Target::Member(u) => (None, Some(u)),
    };
    let r = rules;
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO policy_rules (id, company_id, cost_center_id, user_id, valid_from, created_by,
                 weekdays, from_minute, to_minute, parking_allowed, charging_allowed, max_stay_minutes,
                 session_cap_ore, monthly_cap_ore, only_registered, facilities, version)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                    COALESCE(MAX(version), 0) + 1
             FROM policy_rules WHERE company_id = $2",
        )
        .bind(Uuid::new_v4())
        .bind(scope.company_id())
        .bind(center)
        .bind(user)
        .bind(valid_from)
        .bind(actor)
        .bind(r.weekdays.map(i32::from))
        .bind(r.hours.map(|(f, _)| i32::from(f)))
        .bind(r.hours.map(|(_, t)| i32::from(t)))
        .bind(r.parking_allowed)
        .bind(r.charging_allowed)
        .bind(r.max_stay_minutes.map(|m| m as i32))
        .bind(r.session_cap)
        .bind(r.monthly_cap)
        .bind(r.only_registered)
        .bind(
            r.facilities
                .as_ref()
                .map(|f| serde_json::to_string(f).expect("ids serialise")),
        )
        .execute(&mut *conn)
        .await
        .map(|_| ())
    })
}

/// What the judgement of a batch needs of its members, in one round trip: their registered
/// vehicles as (company, member, plate key) when `cars`, and their month totals as recorded
/// (`member_months`) for `months` (none: not read).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "policies::member_facts")
)]
pub async fn member_facts(
    tx: &mut Tx,
    scopes: &[CompanyScope],
    users: &[Uuid],
    cars: bool,
    months: &[i32],
) -> Result<BatchMembers, sqlx::Error> {
    let mut facts = BatchMembers::default();
    if scopes.is_empty() || users.is_empty() || (!cars && months.is_empty()) {
        return Ok(facts);
    }
    type Row = (Uuid, Uuid, Option<String>, Option<i32>, Option<i64>);
    let rows: Vec<Row> = with_tx!(tx, |conn| {
        let mut qb = sqlx::QueryBuilder::new("");
        if cars {
            qb.push(
                "SELECT company_id, user_id, plate_key, CAST(NULL AS INTEGER) AS month,
                        CAST(NULL AS BIGINT) AS amount_ore
                 FROM vehicles WHERE company_id IN ",
            );
            crate::push_in_list!(qb, scopes.iter().map(|s| s.company_id()));
            qb.push(" AND user_id IN ");
            crate::push_in_list!(qb, users.iter().copied());
        }
        if !months.is_empty() {
            if cars {
                qb.push(" UNION ALL ");
            }
            qb.push(
                "SELECT company_id, user_key, CAST(NULL AS TEXT), month, amount_ore
                 FROM member_months WHERE company_id IN ",
            );
            crate::push_in_list!(qb, scopes.iter().map(|s| s.company_id()));
            qb.push(" AND user_key IN ");
            crate::push_in_list!(qb, users.iter().copied());
            qb.push(" AND month IN ");
            crate::push_in_list!(qb, months.iter().copied());
        }
        qb.build_query_as()
            .persistent(false)
            .fetch_all(&mut *conn)
            .await
    })?;
    for (company, user, plate_key, month, amount) in rows {
        match (plate_key, month, amount) {
            (Some(key), _, _) => {
                facts.registered.insert((company, user, key));
            }
            (None, Some(m), Some(a)) => {
                facts.totals.insert((company, user, m), a);
            }
            _ => {}
        }
    }
    Ok(facts)
}

/// See [`member_facts`].
#[derive(Debug, Default)]
pub struct BatchMembers {
    pub registered: HashSet<(Uuid, Uuid, String)>,
    pub totals: HashMap<(Uuid, Uuid, i32), i64>,
}

/// One member's registered vehicles, as shown, in plate order.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "policies::vehicles")
)]
pub async fn vehicles<'c>(
    conn: impl Into<crate::db::Conn<'c>>,
    scope: CompanyScope,
    user: Uuid,
) -> Result<Vec<String>, sqlx::Error> {
    with_conn!(conn, |c| {
        sqlx::query_scalar(
            "SELECT plate FROM vehicles WHERE company_id = $1 AND user_id = $2 ORDER BY plate_key",
        )
        .bind(scope.company_id())
        .bind(user)
        .fetch_all(&mut *c)
        .await
    })
}

/// The companies that have ever set a maximum stay at some level (the overstay check's
/// companies). Not scoped: the periodic job asks for every company, as the operator.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "policies::companies_with_max_stay")
)]
pub async fn companies_with_max_stay(db: &crate::db::Db) -> Result<Vec<Uuid>, sqlx::Error> {
    crate::with_pool!(db, |pool| {
        sqlx::query_scalar(
            "SELECT DISTINCT company_id FROM policy_rules WHERE max_stay_minutes IS NOT NULL",
        )
        .fetch_all(pool)
        .await
    })
}

/// Registers a vehicle; `false` when the member already has it (in any spelling).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "policies::add_vehicle")
)]
pub async fn add_vehicle(
    tx: &mut Tx,
    scope: CompanyScope,
    user: Uuid,
    plate: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let key = crate::plate::key(plate);
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO vehicles (company_id, user_id, plate_key, plate, added_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (company_id, user_id, plate_key) DO NOTHING",
        )
        .bind(scope.company_id())
        .bind(user)
        .bind(&key)
        .bind(plate)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected() == 1)
    })
}

/// Removes a vehicle by any spelling of its plate; `false` when the member had none such.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "policies::remove_vehicle")
)]
pub async fn remove_vehicle(
    tx: &mut Tx,
    scope: CompanyScope,
    user: Uuid,
    plate: &str,
) -> Result<bool, sqlx::Error> {
    let key = crate::plate::key(plate);
    with_tx!(tx, |conn| {
        sqlx::query(
            "DELETE FROM vehicles WHERE company_id = $1 AND user_id = $2 AND plate_key = $3",
        )
        .bind(scope.company_id())
        .bind(user)
        .bind(&key)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected() == 1)
    })
}

/// Whether the user is an active member of the company.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "policies::is_member")
)]
pub async fn is_member(tx: &mut Tx, scope: CompanyScope, user: Uuid) -> Result<bool, sqlx::Error> {
    let n: i64 = with_tx!(tx, |conn| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM memberships WHERE company_id = $1 AND user_id = $2 AND status = 'active'",
        )
        .bind(scope.company_id())
        .bind(user)
        .fetch_one(&mut *conn)
        .await
    })?;
    Ok(n > 0)
}

/// A member as the rules page shows them: id, name (else email), email and default cost
/// center. Found by id, or by email (any case), among the company's active members.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberFacts {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub default_cost_center_id: Option<Uuid>,
}

#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "policies::member")
)]
pub async fn member(
    db: &crate::db::Db,
    scope: CompanyScope,
    id: Option<Uuid>,
    email: &str,
) -> Result<Option<MemberFacts>, sqlx::Error> {
    crate::with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT u.id, COALESCE(NULLIF(u.display_name, ''), u.email) AS name, u.email,
                    m.default_cost_center_id
             FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.company_id = $1 AND m.status = 'active' AND (u.id = $2 OR u.email = $3)",
        )
        .bind(scope.company_id())
        .bind(id.unwrap_or(Uuid::nil()))
        .bind(email.trim().to_lowercase())
        .fetch_optional(pool)
        .await
    })
}

/// Every registered vehicle of the company's members, with the member's address: (address,
/// plate as shown), by address and plate (the operator's read of the rules).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "policies::all_vehicles")
)]
pub async fn all_vehicles<'c>(
    conn: impl Into<crate::db::Conn<'c>>,
    scope: CompanyScope,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    with_conn!(conn, |c| {
        sqlx::query_as(
            "SELECT u.email, v.plate FROM vehicles v JOIN users u ON u.id = v.user_id
             WHERE v.company_id = $1 ORDER BY u.email, v.plate_key",
        )
        .bind(scope.company_id())
        .fetch_all(&mut *c)
        .await
    })
}

/// The addresses of these users (the operator's read names members by address).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "policies::emails")
)]
pub async fn emails<'c>(
    conn: impl Into<crate::db::Conn<'c>>,
    users: &[Uuid],
) -> Result<HashMap<Uuid, String>, sqlx::Error> {
    if users.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, String)> = with_conn!(conn, |c| {
        let mut qb = sqlx::QueryBuilder::new("SELECT id, email FROM users WHERE id IN ");
        crate::push_in_list!(qb, users.iter().copied());
        qb.build_query_as()
            .persistent(false)
            .fetch_all(&mut *c)
            .await
    })?;
    Ok(rows.into_iter().collect())
}

// --- the operator's outbox of rule changes -----------------------------------------------

/// The rules' outbox (the `db` functions claim, mark and count its rows; `subject` is the
/// company).
pub const OUTBOX: crate::db::OutboxTable = crate::db::OutboxTable {
    table: "policy_outbox",
    order_by: "next_attempt_at, created_at, version",
    returning: "id, company_id AS subject, version, body, attempts, created_at, lease_until",
};

/// Puts a message with the company's rules into the operator's outbox, in the change's
/// transaction.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "policies::enqueue_message")
)]
pub async fn enqueue_message(
    tx: &mut Tx,
    scope: CompanyScope,
    version: i64,
    body: &str,
    now: i64,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::new_v4();
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO policy_outbox (id, company_id, version, body, status, attempts, next_attempt_at, created_at)
             VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)",
        )
        .bind(id)
        .bind(scope.company_id())
        .bind(version)
        .bind(body)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(id)
}

/// The rules' outbox's depth and the age of its oldest due message (`db::outbox_state`).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "policies::outbox_state")
)]
pub async fn outbox_state(db: &crate::db::Db, now: i64) -> Result<(i64, i64), sqlx::Error> {
    crate::db::outbox_state(db, &OUTBOX, now).await
}

/// Sent messages are kept this long, then deleted (the operator has them; the company's
/// `policy_version` keeps counting).
pub const MESSAGE_RETENTION: i64 = 30 * 86_400;

/// Deletes the sent messages older than [`MESSAGE_RETENTION`].
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "policies::prune_sent")
)]
pub async fn prune_sent(db: &crate::db::Db, now: i64) -> Result<u64, sqlx::Error> {
    let before = now - MESSAGE_RETENTION;
    crate::with_pool!(db, |pool| {
        sqlx::query("DELETE FROM policy_outbox WHERE status = 'sent' AND created_at < $1")
            .bind(before)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })
}
