//! The cost page's reads. Company-wide figures come from the rollups that
//! `history::store::upsert_sessions` keeps (`session_months`, `member_months`, `outside_months`: see
//! `history/rollup.rs`), never from summing sessions; a member's own figures come from their
//! sessions (a member's year is a few hundred rows, read through their index).

use std::collections::HashMap;

use uuid::Uuid;

use crate::{
    db::Db,
    history::{
        rollup::{Fact, Measures, NONE, SUMS},
        SessionKind,
    },
    scope::CompanyScope,
    with_pool,
};

/// One group of a breakdown: the month index, the group's key, its sums.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Grouped {
    pub month: i32,
    pub key: Uuid,
    #[sqlx(flatten)]
    pub m: Measures,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
struct KindRow {
    month: i32,
    #[sqlx(try_from = "String")]
    kind: SessionKind,
    #[sqlx(flatten)]
    m: Measures,
}

/// Months `[first, end)` of the company per kind (the chart).
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "costs::by_kind"))]
pub async fn by_kind(
    db: &Db,
    scope: CompanyScope,
    first: i32,
    end: i32,
) -> Result<Vec<(i32, SessionKind, Measures)>, sqlx::Error> {
    let sql = format!(
        "SELECT month, kind, {SUMS} FROM session_months
         WHERE company_id = $1 AND month >= $2 AND month < $3 GROUP BY month, kind"
    );
    let rows: Vec<KindRow> = with_pool!(db, |pool| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(scope.company_id())
            .bind(first)
            .bind(end)
            .fetch_all(pool)
            .await
    })?;
    Ok(rows.into_iter().map(|r| (r.month, r.kind, r.m)).collect())
}

/// What a month's groups are keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    CostCenter,
    Facility,
}

/// Months `[first, end)` of the company per cost center (nil: none) or per facility, groups
/// without sessions left out.
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "costs::grouped"))]
pub async fn grouped(
    db: &Db,
    scope: CompanyScope,
    by: GroupBy,
    first: i32,
    end: i32,
) -> Result<Vec<Grouped>, sqlx::Error> {
    let col = match by {
        GroupBy::CostCenter => "cost_center_key",
        GroupBy::Facility => "facility_id",
    };
    let sql = format!(
        "SELECT month, {col} AS key, {SUMS} FROM session_months
         WHERE company_id = $1 AND month >= $2 AND month < $3
         GROUP BY month, {col} HAVING SUM(sessions) <> 0"
    );
    with_pool!(db, |pool| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(scope.company_id())
            .bind(first)
            .bind(end)
            .fetch_all(pool)
            .await
    })
}

/// The members (nil: guests) of a month with the highest cost, and those whose cost rose
/// most from the month before: "who drove it up". At most `limit` of each.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "costs::leading_members")
)]
pub async fn leading_members(
    db: &Db,
    scope: CompanyScope,
    month: i32,
    limit: i64,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let (top, risers): (Vec<Uuid>, Vec<Uuid>) = with_pool!(db, |pool| {
        async {
            let top = sqlx::query_scalar(
                "SELECT user_key FROM member_months
                 WHERE company_id = $1 AND month = $2 AND sessions <> 0
                 ORDER BY amount_ore DESC, user_key LIMIT $3",
            )
            .bind(scope.company_id())
            .bind(month)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            let risers = sqlx::query_scalar(
                "SELECT user_key FROM member_months
                 WHERE company_id = $1 AND (month = $2 OR month = $3)
                 GROUP BY user_key
                 HAVING SUM(CASE WHEN month = $2 THEN amount_ore ELSE -amount_ore END) > 0
                 ORDER BY SUM(CASE WHEN month = $2 THEN amount_ore ELSE -amount_ore END) DESC, user_key
                 LIMIT $4",
            )
            .bind(scope.company_id())
            .bind(month)
            .bind(month - 1)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            Ok::<_, sqlx::Error>((top, risers))
        }
        .await
    })?;
    let mut out = top;
    for id in risers {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

/// Every member's (nil: guests) sums in months `[first, end)`: the page that names everyone.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "costs::every_member")
)]
pub async fn every_member(
    db: &Db,
    scope: CompanyScope,
    first: i32,
    end: i32,
) -> Result<Vec<Grouped>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT month, user_key AS key, sessions, parking_seconds, energy_wh, amount_ore, vat_ore
             FROM member_months WHERE company_id = $1 AND month >= $2 AND month < $3",
        )
        .bind(scope.company_id())
        .bind(first)
        .bind(end)
        .fetch_all(pool)
        .await
    })
}

/// These members' (nil: guests) sums in months `[first, end)`.
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "costs::members"))]
pub async fn members(
    db: &Db,
    scope: CompanyScope,
    users: &[Uuid],
    first: i32,
    end: i32,
) -> Result<Vec<Grouped>, sqlx::Error> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    with_pool!(db, |pool| {
        let mut qb = sqlx::QueryBuilder::new(
            "SELECT month, user_key AS key, sessions, parking_seconds, energy_wh, amount_ore, vat_ore
             FROM member_months WHERE company_id = ",
        );
        qb.push_bind(scope.company_id())
            .push(" AND month >= ")
            .push_bind(first)
            .push(" AND month < ")
            .push_bind(end)
            .push(" AND user_key IN ");
        crate::push_in_list!(qb, users.iter().copied());
        qb.build_query_as().persistent(false).fetch_all(pool).await
    })
}

/// How many members (guests included) had sessions in a month.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "costs::member_count")
)]
pub async fn member_count(db: &Db, scope: CompanyScope, month: i32) -> Result<i64, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM member_months WHERE company_id = $1 AND month = $2 AND sessions <> 0",
        )
        .bind(scope.company_id())
        .bind(month)
        .fetch_one(pool)
        .await
    })
}

/// One member's sessions that started in `[from, to)` (UTC seconds), as the rollups see them.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "costs::own_facts")
)]
pub async fn own_facts(
    db: &Db,
    scope: CompanyScope,
    user: Uuid,
    from: i64,
    to: i64,
) -> Result<Vec<Fact>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT company_id, user_id, cost_center_id, facility_id, kind, started_at, ended_at,
                    energy_wh, amount_ore, vat_ore, policy_flags
             FROM sessions WHERE company_id = $1 AND user_id = $2 AND started_at >= $3 AND started_at < $4",
        )
        .bind(scope.company_id())
        .bind(user)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await
    })
}

/// Names for the breakdowns: the company's cost centers (archived ones too: history keeps
/// them) as `code name`, the facilities and the people asked for (named as the history
/// table names them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    pub cost_centers: HashMap<Uuid, String>,
    pub facilities: HashMap<Uuid, String>,
    pub people: HashMap<Uuid, String>,
}

#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "costs::names"))]
pub async fn names(
    db: &Db,
    scope: CompanyScope,
    facilities: &[Uuid],
    people: &[Uuid],
) -> Result<Names, sqlx::Error> {
    type Pairs = Vec<(Uuid, String)>;
    let (centers, fac, ppl): (Pairs, Pairs, Pairs) = with_pool!(db, |pool| {
        async {
            let centers = sqlx::query_as(
                "SELECT id, code || ' ' || name FROM cost_centers WHERE company_id = $1",
            )
            .bind(scope.company_id())
            .fetch_all(pool)
            .await?;
            let fac = if facilities.is_empty() {
                Vec::new()
            } else {
                let mut qb = sqlx::QueryBuilder::new(
                    "SELECT id, name || ', ' || city FROM facilities WHERE id IN ",
                );
                crate::push_in_list!(qb, facilities.iter().copied());
                qb.build_query_as()
                    .persistent(false)
                    .fetch_all(pool)
                    .await?
            };
            let ppl = if people.is_empty() {
                Vec::new()
            } else {
                // As the history table names them (the people of the company's sessions).
                let mut qb = sqlx::QueryBuilder::new(
                    "SELECT id, COALESCE(NULLIF(display_name, ''), email) FROM users WHERE id IN ",
                );
                crate::push_in_list!(qb, people.iter().copied());
                qb.build_query_as()
                    .persistent(false)
                    .fetch_all(pool)
                    .await?
            };
            Ok::<_, sqlx::Error>((centers, fac, ppl))
        }
        .await
    })?;
    Ok(Names {
        cost_centers: centers.into_iter().collect(),
        facilities: fac.into_iter().collect(),
        people: ppl.into_iter().collect(),
    })
}

/// The company's monthly budgets: (the cost center, none for the company's own; amount).
#[tracing::instrument(name = "db", level = "debug", skip_all, fields(op = "costs::budgets"))]
pub async fn budgets(
    db: &Db,
    scope: CompanyScope,
) -> Result<Vec<(Option<Uuid>, i64)>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as("SELECT cost_center_id, amount_ore FROM budgets WHERE company_id = $1")
            .bind(scope.company_id())
            .fetch_all(pool)
            .await
    })
}

/// Sets (or with `None` removes) the company's budget or a cost center's.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "costs::set_budget")
)]
pub async fn set_budget(
    tx: &mut crate::db::Tx,
    scope: CompanyScope,
    cost_center: Option<Uuid>,
    amount: Option<i64>,
    now: i64,
) -> Result<(), sqlx::Error> {
    crate::with_tx!(tx, |conn| {
        async {
            sqlx::query(
                "DELETE FROM budgets WHERE company_id = $1
                 AND (cost_center_id = $2 OR (cost_center_id IS NULL AND $2 IS NULL))",
            )
            .bind(scope.company_id())
            .bind(cost_center)
            .execute(&mut *conn)
            .await?;
            if let Some(amount) = amount {
                sqlx::query(
                    "INSERT INTO budgets (company_id, cost_center_id, amount_ore, updated_at)
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(scope.company_id())
                .bind(cost_center)
                .bind(amount)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            }
            Ok::<_, sqlx::Error>(())
        }
        .await
    })
}

/// What was spent outside policy, per cost center and member, in a month (a month index,
/// `calendar::month_index`): read from the rollup `outside_months`, which holds only groups
/// with such sessions (a handful of rows where the sessions number tens of thousands).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Outside {
    pub cost_center_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub sessions: i64,
    pub amount_ore: i64,
}

#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "costs::outside_policy")
)]
pub async fn outside_policy(
    db: &Db,
    scope: CompanyScope,
    user: Option<Uuid>,
    month: i32,
) -> Result<Vec<Outside>, sqlx::Error> {
    let rows: Vec<(Uuid, Uuid, i64, i64)> = with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT cost_center_key, user_key, sessions, amount_ore FROM outside_months
             WHERE company_id = $1 AND month = $2 AND sessions <> 0
               AND ($3 IS NULL OR user_key = $3)",
        )
        .bind(scope.company_id())
        .bind(month)
        .bind(user)
        .fetch_all(pool)
        .await
    })?;
    let key = |k: Uuid| (k != NONE).then_some(k);
    Ok(rows
        .into_iter()
        .map(|(center, user, sessions, amount_ore)| Outside {
            cost_center_id: key(center),
            user_id: key(user),
            sessions,
            amount_ore,
        })
        .collect())
}

/// The companies with a budget and their time zones (operator-wide: the budget check).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "costs::companies_with_budgets")
)]
pub async fn companies_with_budgets(db: &Db) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT c.id, c.time_zone FROM companies c
             WHERE EXISTS (SELECT 1 FROM budgets b WHERE b.company_id = c.id) ORDER BY c.id",
        )
        .fetch_all(pool)
        .await
    })
}
