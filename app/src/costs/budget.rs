//! Budgets and what was spent outside policy: the cost page's figures beyond the rollups.
//! A budget is monthly, for the whole company or one cost center, the same every month
//! (`budgets` table); the page sets it against the chosen month's costs with what remains
//! and, for the current month, a forecast at the pace so far. The budget alerts at 80 % and
//! 100 % are the alerts domain's (`alerts::service::check_budgets`), from the same figures.

use std::collections::HashMap;

use chrono_tz::Tz;
use uuid::Uuid;

use super::{
    labels::history_link,
    service::{Line, Report},
    store, BudgetChoice, BudgetLine, BudgetState, CostsView,
};
use crate::{
    audit::{store as audit, AuditAction},
    auth::TenantCtx,
    calendar::month_of_index,
    companies::Role,
    db::Db,
    error::{AppError, Reason},
    history::{filter::NO_COST_CENTER, rollup::NONE},
    i18n::Lang,
    scope::CompanyScope,
};

pub fn may_set(role: Role) -> bool {
    matches!(role, Role::Owner | Role::Admin)
}

/// `[start, end)` of a month in the company's calendar, as timestamps.
pub fn month_bounds(tz: Tz, month: i32) -> (i64, i64) {
    let first = |m: i32| {
        let (y, mo) = month_of_index(m);
        crate::calendar::local_midnight(
            tz,
            chrono::NaiveDate::from_ymd_opt(y, mo, 1).expect("a valid month"),
        )
    };
    (first(month), first(month + 1))
}

/// The month's total at the pace so far: none before the month starts or in its first hour
/// (too little to go on), the actual once it is over.
pub fn forecast(actual: i64, (start, end): (i64, i64), now: i64) -> Option<i64> {
    if now >= end {
        return Some(actual);
    }
    let elapsed = now - start;
    if elapsed < 3600 {
        return None;
    }
    Some((actual as i128 * (end - start) as i128 / elapsed as i128) as i64)
}

/// Spent this month per budget target: the company (None) and each cost center.
pub fn actuals(report: &Report) -> HashMap<Option<Uuid>, i64> {
    let mut out: HashMap<Option<Uuid>, i64> = report
        .cost_centers
        .iter()
        .filter(|l| l.key != NONE)
        .map(|l| (Some(l.key), l.now.amount_ore))
        .collect();
    out.insert(None, report.total.now.amount_ore);
    out
}

/// Adds the budgets, the budget form's choices (owners and admins) and the amounts outside
/// policy to the company's cost view of `report`'s month.
pub async fn complete_view(
    db: &Db,
    ctx: &TenantCtx,
    report: &Report,
    view: &mut CostsView,
    lang: Lang,
    now: i64,
) -> Result<(), AppError> {
    let scope = ctx.scope();
    let tz = ctx.company().zone();
    let bounds = month_bounds(tz, report.month);
    let own = (!ctx.role().sees_company_records()).then(|| ctx.user_id());
    let (outside, budgets, centers) = tokio::try_join!(
        store::outside_policy(db, scope, own, report.month),
        store::budgets(db, scope),
        crate::companies::store::cost_centers(db, scope),
    )?;
    add_outside(view, report, &outside, lang);
    if own.is_some() {
        return Ok(());
    }
    let currency = ctx.company().currency.clone();
    let names: HashMap<Uuid, String> = centers
        .iter()
        .map(|c| (c.id, format!("{} {}", c.code, c.name)))
        .collect();
    let at = actuals(report);
    let a = lang.alerts();
    let mut lines: Vec<(Option<Uuid>, i64)> = budgets;
    // The company first, then the cost centers by name.
    lines.sort_by_key(|(c, _)| (c.is_some(), c.and_then(|id| names.get(&id).cloned())));
    view.budgets = lines
        .iter()
        .map(|&(center, budget)| {
            let actual = at.get(&center).copied().unwrap_or(0);
            let label = match center {
                None => a.budget_company.to_owned(),
                Some(id) => names
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| lang.texts().costs_unknown.to_owned()),
            };
            let href = match center {
                None => history_link(report.month, &[]),
                Some(id) => history_link(report.month, &[("cost_center", &id.to_string())]),
            };
            let left = budget - actual;
            let forecast = forecast(actual, bounds, now).filter(|_| now < bounds.1);
            BudgetLine {
                label,
                href,
                budget: lang.money(budget, &currency),
                actual: lang.money(actual, &currency),
                remaining: if left >= 0 {
                    lang.money(left, &currency)
                } else {
                    Lang::fill(a.over_by, &[("amount", &lang.money(-left, &currency))])
                },
                percent: (actual.max(0) as i128 * 100 / budget.max(1) as i128) as u32,
                state: BudgetState::of(actual, budget),
                forecast: forecast.map(|f| lang.money(f, &currency)),
                forecast_over: forecast.is_some_and(|f| f > budget),
            }
        })
        .collect();
    if may_set(ctx.role()) {
        // Each choice says its budget now: "2010 Projekt Norr (3 703,00 kr)".
        let choice = |c: Option<Uuid>, name: String| {
            let budget = lines.iter().find(|(k, _)| *k == c).map(|(_, v)| *v);
            BudgetChoice {
                value: c.map(|id| id.to_string()).unwrap_or_default(),
                label: match budget {
                    Some(v) => format!("{name} ({})", lang.money(v, &currency)),
                    None => name,
                },
                current: budget.map(crate::money::form_value).unwrap_or_default(),
            }
        };
        view.budget_choices = std::iter::once(choice(None, a.budget_company.to_owned()))
            .chain(
                centers
                    .iter()
                    .map(|c| choice(Some(c.id), format!("{} {}", c.code, c.name))),
            )
            .collect();
    }
    Ok(())
}

/// The amounts outside policy on the cost center and member rows (the rows are in the
/// report's order; "the others" row gets none).
fn add_outside(view: &mut CostsView, report: &Report, rows: &[store::Outside], lang: Lang) {
    let currency = view.currency.clone();
    let month = report.month;
    let mut by_center: HashMap<Uuid, i64> = HashMap::new();
    let mut by_member: HashMap<Uuid, i64> = HashMap::new();
    for r in rows {
        *by_center
            .entry(r.cost_center_id.unwrap_or(NONE))
            .or_default() += r.amount_ore;
        *by_member.entry(r.user_id.unwrap_or(NONE)).or_default() += r.amount_ore;
    }
    let mark = |line: &mut super::CostLine, amount: Option<&i64>, filter: (&str, String)| {
        if let Some(&amount) = amount {
            line.outside = lang.money(amount, &currency);
            line.outside_href = Some(history_link(
                month,
                &[(filter.0, &filter.1), ("policy", "outside")],
            ));
        }
    };
    for (line, l) in view.cost_centers.iter_mut().zip(&report.cost_centers) {
        let value = if l.key == NONE {
            NO_COST_CENTER.to_owned()
        } else {
            l.key.to_string()
        };
        mark(line, by_center.get(&l.key), ("cost_center", value));
    }
    let members: &[Line<Uuid>] = &report.members;
    for (line, l) in view.members.iter_mut().zip(members) {
        let value = if l.key == NONE {
            crate::history::filter::GUESTS.to_owned()
        } else {
            l.key.to_string()
        };
        mark(line, by_member.get(&l.key), ("member", value));
    }
    if !rows.is_empty() {
        view.total.outside = lang.money(by_center.values().sum::<i64>(), &currency);
        view.total.outside_href = Some(history_link(month, &[("policy", "outside")]));
    }
}

/// Sets (an amount) or removes (empty) the monthly budget of the company (`cost_center`
/// empty) or of one of its cost centers; audited.
pub async fn save(
    db: &Db,
    ctx: &TenantCtx,
    cost_center: &str,
    amount: &str,
    now: i64,
) -> Result<(), AppError> {
    if !may_set(ctx.role()) {
        return Err(AppError::Forbidden);
    }
    let scope: CompanyScope = ctx.scope();
    let center = match cost_center.trim() {
        "" => None,
        raw => {
            let id = Uuid::parse_str(raw)
                .map_err(|_| AppError::invalid("cost_center", Reason::UnknownCostCenter))?;
            let known = crate::companies::store::cost_centers(db, scope).await?;
            if !known.iter().any(|c| c.id == id) {
                return Err(AppError::invalid("cost_center", Reason::UnknownCostCenter));
            }
            Some(id)
        }
    };
    let amount = crate::money::parse("amount", amount)?;
    if amount == Some(0) {
        return Err(AppError::invalid("amount", Reason::OutOfRange));
    }
    let mut tx = db.begin().await?;
    store::set_budget(&mut tx, scope, center, amount, now).await?;
    audit::record(
        &mut tx,
        ctx,
        AuditAction::BudgetChanged,
        None,
        serde_json::json!({ "cost_center": center, "amount_ore": amount }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The thresholds that raise a budget alert, in per cent.
pub const THRESHOLDS: [u32; 2] = [80, 100];

/// How many days into a month the previous month's budgets are still checked: the sessions of
/// a month's last days can arrive days later (a back office's backfill, a correction), and
/// may still take that month past a threshold.
pub const LATE_DAYS: u32 = 7;

/// Raises the budget alerts of the current month (each company's own calendar), and of the
/// previous one in a month's first [`LATE_DAYS`] days: for every budget whose month has
/// reached 80 % or 100 %, one alert per threshold, once (`alerts::service::for_budget`'s key),
/// however often or on however many instances this runs. Returns the alerts newly raised.
/// Run by the server's alerts job once a minute.
pub async fn check(db: &Db, now: i64) -> Result<u64, AppError> {
    let access = crate::auth::OperatorAccess::command_line();
    let mut raised = 0;
    for (company, zone) in store::companies_with_budgets(db).await? {
        let scope = access.scope(company);
        let tz = crate::calendar::zone(&zone).unwrap_or(chrono_tz::Europe::Stockholm);
        let today = crate::calendar::local_date(tz, now);
        let current = crate::calendar::month_index(
            chrono::Datelike::year(&today),
            chrono::Datelike::month(&today),
        );
        let months = if chrono::Datelike::day(&today) <= LATE_DAYS {
            vec![current, current - 1]
        } else {
            vec![current]
        };
        let budgets = store::budgets(db, scope).await?;
        for month in months {
            raised += check_month(db, scope, &budgets, month, now).await?;
        }
    }
    Ok(raised)
}

/// [`check`] of one company's month.
async fn check_month(
    db: &Db,
    scope: crate::scope::CompanyScope,
    budgets: &[(Option<Uuid>, i64)],
    month: i32,
    now: i64,
) -> Result<u64, AppError> {
    let groups = store::grouped(db, scope, store::GroupBy::CostCenter, month, month + 1).await?;
    let mut spent: HashMap<Option<Uuid>, i64> = HashMap::new();
    for g in &groups {
        *spent.entry(None).or_default() += g.m.amount_ore;
        if g.key != NONE {
            *spent.entry(Some(g.key)).or_default() += g.m.amount_ore;
        }
    }
    let alerts: Vec<_> = budgets
        .iter()
        .flat_map(|&(center, budget)| {
            let actual = spent.get(&center).copied().unwrap_or(0);
            THRESHOLDS
                .into_iter()
                .filter(move |t| actual as i128 * 100 >= budget as i128 * i128::from(*t))
                .map(move |threshold| {
                    crate::alerts::service::for_budget(&crate::alerts::service::BudgetDetails {
                        cost_center: center,
                        month,
                        threshold,
                        spent: actual,
                        budget,
                    })
                })
        })
        .map(|a| (scope, a))
        .collect();
    if alerts.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    let raised = crate::alerts::store::raise(&mut tx, &alerts, now).await?;
    tx.commit().await?;
    Ok(raised)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forecast_goes_at_the_pace_so_far() {
        let (start, end) = (0, 30 * 86_400);
        assert_eq!(forecast(1_000, (start, end), 10 * 86_400), Some(3_000));
        assert_eq!(forecast(1_000, (start, end), end + 5), Some(1_000));
        assert_eq!(forecast(1_000, (start, end), 60), None);
        assert_eq!(forecast(0, (start, end), 2 * 86_400), Some(0));
    }

    #[test]
    fn a_budget_is_near_from_80_and_over_from_100_per_cent() {
        assert_eq!(BudgetState::of(7_999, 10_000), BudgetState::Under);
        assert_eq!(BudgetState::of(8_000, 10_000), BudgetState::Near);
        assert_eq!(BudgetState::of(9_999, 10_000), BudgetState::Near);
        assert_eq!(BudgetState::of(10_000, 10_000), BudgetState::Over);
    }
}
