//! The rules of the cost page: which month, whose costs, and the report's figures (raw
//! numbers; `format.rs` turns them into the page's text).

use std::collections::HashMap;

use chrono::NaiveDate;
use uuid::Uuid;

use super::{store, CostsQuery};
use crate::{
    auth::TenantCtx,
    calendar::{month_index, month_of_index},
    db::Db,
    error::AppError,
    history::{
        rollup::{Deltas, Measures, NONE},
        SessionKind,
    },
    scope::CompanyScope,
};

/// Months in the chart: the chosen one and the twelve before it.
pub const CHART_MONTHS: i32 = 13;
/// Members listed by name: the most expensive and the biggest risers, this many of each.
pub const LEADING_MEMBERS: i64 = 15;

/// The month the query asks for (`year`, `month`), by default the last complete month of
/// the company's calendar.
pub fn resolve_month(q: &CostsQuery, today: NaiveDate) -> Result<i32, AppError> {
    let last_complete = crate::calendar::last_complete_month(today);
    let year = crate::calendar::parse_year(&q.year)?;
    let month = crate::calendar::parse_month(&q.month)?;
    Ok(match (year, month) {
        (None, None) => last_complete,
        (Some(y), None) => month_index(y, 12).min(last_complete.max(month_index(y, 1))),
        (y, Some(m)) => month_index(y.unwrap_or(month_of_index(last_complete).0), m),
    })
}

/// One line of a breakdown: this month's sums and the month before's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line<K> {
    pub key: K,
    pub now: Measures,
    pub before: Measures,
}

/// The cost page's figures for one month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The chosen month (`calendar::month_index`).
    pub month: i32,
    /// Every member listed by name (`Members::All`).
    pub all_members: bool,
    /// Only the caller's own sessions (a member).
    pub own_only: bool,
    /// The chosen month and the twelve before it, oldest first: (month, parking, charging).
    pub chart: Vec<(i32, Measures, Measures)>,
    /// Nil: no cost center.
    pub cost_centers: Vec<Line<Uuid>>,
    /// Nil: guests (sessions without a member). The leading members only, most expensive
    /// first; `others` holds the rest.
    pub members: Vec<Line<Uuid>>,
    pub others: Option<(i64, Line<()>)>,
    pub facilities: Vec<Line<Uuid>>,
    pub kinds: Vec<Line<SessionKind>>,
    pub total: Line<()>,
    pub names: store::Names,
}

/// Folds (month, key, sums) groups into lines of `month` against `month - 1`, most expensive
/// first.
fn lines<K: Copy + Eq + std::hash::Hash + Ord>(
    groups: impl IntoIterator<Item = (i32, K, Measures)>,
    month: i32,
) -> Vec<Line<K>> {
    let mut by: HashMap<K, Line<K>> = HashMap::new();
    for (m, key, sums) in groups {
        let line = by.entry(key).or_insert_with(|| Line {
            key,
            now: Measures::default(),
            before: Measures::default(),
        });
        if m == month {
            line.now.add(&sums);
        } else if m == month - 1 {
            line.before.add(&sums);
        }
    }
    let mut out: Vec<Line<K>> = by
        .into_values()
        .filter(|l| l.now.sessions != 0 || l.before.sessions != 0)
        .collect();
    out.sort_by(|a, b| {
        b.now
            .amount_ore
            .cmp(&a.now.amount_ore)
            .then(b.before.amount_ore.cmp(&a.before.amount_ore))
            .then(a.key.cmp(&b.key))
    });
    out
}

fn sum<K>(lines: &[Line<K>]) -> Line<()> {
    let mut total = Line {
        key: (),
        now: Measures::default(),
        before: Measures::default(),
    };
    for l in lines {
        total.now.add(&l.now);
        total.before.add(&l.before);
    }
    total
}

/// Which members the members' breakdown lists by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Members {
    /// The [`LEADING_MEMBERS`] most expensive and biggest risers; the rest in `others`.
    Leading,
    /// Everyone with sessions in the month (the others row's link: its sessions, by name).
    All,
}

/// The report of `month` for the caller: the company's (owners, admins, finance viewers,
/// from the rollups) or the caller's own (a member, from their sessions).
pub async fn report(
    db: &Db,
    ctx: &TenantCtx,
    month: i32,
    members: Members,
) -> Result<Report, AppError> {
    let own = (!ctx.role().sees_company_records()).then(|| (ctx.user_id(), ctx.company().zone()));
    report_for(db, ctx.scope(), own, month, members).await
}

/// The company's report of `month` (the monthly report mail's figures).
pub async fn company_report(db: &Db, scope: CompanyScope, month: i32) -> Result<Report, AppError> {
    report_for(db, scope, None, month, Members::Leading).await
}

/// `own`: one member's report (their id and the company's time zone), else the company's.
async fn report_for(
    db: &Db,
    scope: CompanyScope,
    own: Option<(Uuid, chrono_tz::Tz)>,
    month: i32,
    named: Members,
) -> Result<Report, AppError> {
    let first = month - (CHART_MONTHS - 1);
    let (kind_groups, centers, facilities, member_groups, others_count) = match own {
        None => {
            let named_members = async {
                match named {
                    Members::Leading => {
                        let leading =
                            store::leading_members(db, scope, month, LEADING_MEMBERS).await?;
                        store::members(db, scope, &leading, month - 1, month + 1).await
                    }
                    Members::All => store::every_member(db, scope, month - 1, month + 1).await,
                }
            };
            let (kinds, centers, facilities, members, count) = tokio::try_join!(
                store::by_kind(db, scope, first, month + 1),
                store::grouped(db, scope, store::GroupBy::CostCenter, month - 1, month + 1),
                store::grouped(db, scope, store::GroupBy::Facility, month - 1, month + 1),
                named_members,
                store::member_count(db, scope, month),
            )?;
            let g = |v: Vec<store::Grouped>| v.into_iter().map(|g| (g.month, g.key, g.m)).collect();
            (kinds, g(centers), g(facilities), g(members), Some(count))
        }
        // A member: their own sessions, rolled up here the way the rollups are.
        Some((user, tz)) => {
            let (y0, m0) = month_of_index(first);
            let (y1, m1) = month_of_index(month + 1);
            let bound = |y, m| {
                crate::calendar::local_midnight(
                    tz,
                    NaiveDate::from_ymd_opt(y, m, 1).expect("valid month"),
                )
            };
            let facts = store::own_facts(db, scope, user, bound(y0, m0), bound(y1, m1)).await?;
            let mut d = Deltas::default();
            for f in &facts {
                d.add(tz, f, 1);
            }
            let mut kinds: HashMap<(i32, SessionKind), Measures> = HashMap::new();
            let mut centers: HashMap<(i32, Uuid), Measures> = HashMap::new();
            let mut facilities: HashMap<(i32, Uuid), Measures> = HashMap::new();
            for (k, m) in &d.months {
                kinds.entry((k.at, k.kind)).or_default().add(m);
                centers.entry((k.at, k.cost_center)).or_default().add(m);
                facilities.entry((k.at, k.facility_id)).or_default().add(m);
            }
            let flat = |h: HashMap<(i32, Uuid), Measures>| {
                h.into_iter()
                    .map(|((m, k), v)| (m, k, v))
                    .collect::<Vec<_>>()
            };
            (
                kinds.into_iter().map(|((m, k), v)| (m, k, v)).collect(),
                flat(centers),
                flat(facilities),
                d.members
                    .into_iter()
                    .map(|(k, v)| (k.month, k.user, v))
                    .collect::<Vec<_>>(),
                None,
            )
        }
    };

    let mut chart: Vec<(i32, Measures, Measures)> = (first..=month)
        .map(|m| (m, Measures::default(), Measures::default()))
        .collect();
    for (m, kind, sums) in &kind_groups {
        if let Some(bar) = chart.iter_mut().find(|b| b.0 == *m) {
            match kind {
                SessionKind::Parking => bar.1.add(sums),
                SessionKind::Charging => bar.2.add(sums),
            }
        }
    }
    let kinds = lines(kind_groups.iter().copied(), month);
    let total = sum(&kinds);
    let cost_centers = lines(centers, month);
    let facilities = lines(facilities, month);
    let members = lines(member_groups, month);
    // The members not listed: the total less the listed ones.
    let others = others_count.and_then(|count| {
        let listed = sum(&members);
        let rest = count - members.iter().filter(|l| l.now.sessions != 0).count() as i64;
        let mut line = Line {
            key: (),
            now: total.now,
            before: total.before,
        };
        line.now.sub(&listed.now);
        line.before.sub(&listed.before);
        (rest > 0 || line.now.sessions != 0 || line.before.sessions != 0).then_some((rest, line))
    });
    let facility_ids: Vec<Uuid> = facilities.iter().map(|l| l.key).collect();
    let people: Vec<Uuid> = members
        .iter()
        .map(|l| l.key)
        .filter(|k| *k != NONE)
        .collect();
    let names = store::names(db, scope, &facility_ids, &people).await?;
    Ok(Report {
        month,
        all_members: named == Members::All,
        own_only: own.is_some(),
        chart,
        cost_centers,
        members,
        others,
        facilities,
        kinds,
        total,
        names,
    })
}

/// Today in the company's calendar.
pub fn today(ctx: &TenantCtx, now: i64) -> NaiveDate {
    crate::calendar::local_date(ctx.company().zone(), now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(year: &str, month: &str) -> CostsQuery {
        CostsQuery {
            year: year.into(),
            month: month.into(),
            members: String::new(),
        }
    }

    #[test]
    fn the_default_month_is_the_last_complete_one() {
        let today = NaiveDate::from_ymd_opt(2026, 4, 15).unwrap();
        assert_eq!(resolve_month(&q("", ""), today), Ok(month_index(2026, 3)));
        let january = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        assert_eq!(
            resolve_month(&q("", ""), january),
            Ok(month_index(2025, 12))
        );
        assert_eq!(
            resolve_month(&q("2025", "2"), today),
            Ok(month_index(2025, 2))
        );
        assert_eq!(resolve_month(&q("", "2"), today), Ok(month_index(2026, 2)));
    }

    #[test]
    fn a_bad_month_or_year_is_named() {
        let today = NaiveDate::from_ymd_opt(2026, 4, 15).unwrap();
        assert!(
            matches!(resolve_month(&q("", "13"), today), Err(AppError::Invalid { field, .. }) if field == "month")
        );
        assert!(
            matches!(resolve_month(&q("20x6", ""), today), Err(AppError::Invalid { field, .. }) if field == "year")
        );
    }
}
