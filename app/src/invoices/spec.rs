//! The rules of the invoice pages: the derived status, the year and status filter, and the
//! specification's groups — by member (through each line's session; guests and fees in
//! groups of their own) and by cost center (the line's own) — whose subtotals add up to the
//! invoice's total, because every line is in exactly one group of each.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, TimeZone};
use uuid::Uuid;

use super::{
    store::{self, InvoiceRow, SpecLine},
    InvoiceItem, InvoiceList, InvoiceQuery, InvoiceSpec, InvoiceStatus, SpecCsvRow, SpecGroup,
    SpecLineView, SPEC_ALL_LINES,
};
use crate::{
    audit::{store as audit, AuditAction},
    auth::TenantCtx,
    db::Db,
    error::{AppError, Reason},
    i18n::Lang,
    url::with_query,
};

/// Group keys that are not ids.
pub const GUESTS: &str = "guests";
pub const FEES: &str = "fees";
pub const NO_COST_CENTER: &str = "none";

/// Today in the company's calendar: an invoice due today is overdue from its local midnight.
fn today(ctx: &TenantCtx, now: i64) -> NaiveDate {
    crate::calendar::local_date(ctx.company().zone(), now)
}

fn item(r: &InvoiceRow, today: NaiveDate, currency: &str, lang: Lang) -> InvoiceItem {
    let t = lang.texts();
    InvoiceItem {
        id: r.id,
        number: r.number.clone(),
        period: format!(
            "{} {}",
            t.months[r.period_start.month0() as usize],
            r.period_start.year()
        ),
        issued_on: r.issued_on.to_string(),
        due_on: r.due_on.to_string(),
        amount: lang.money(r.amount_ore, currency),
        amount_excl_vat: lang.money(r.amount_ore - r.vat_ore, currency),
        vat: lang.money(r.vat_ore, currency),
        status: InvoiceStatus::shown(r.status, r.due_on, today),
        paid_on: r.paid_on.map(|d| d.to_string()).unwrap_or_default(),
    }
}

/// The list, filtered by year (the period's) and shown status.
pub async fn list(
    db: &Db,
    ctx: &TenantCtx,
    q: &InvoiceQuery,
    now: i64,
    lang: Lang,
) -> Result<InvoiceList, AppError> {
    let year = crate::calendar::parse_year(&q.year)?;
    let status = match q.status.trim() {
        "" => None,
        s => Some(
            InvoiceStatus::parse(s).ok_or_else(|| AppError::invalid("status", Reason::Unknown))?,
        ),
    };
    let range = year.map(|y| {
        (
            NaiveDate::from_ymd_opt(y, 1, 1).expect("checked year"),
            NaiveDate::from_ymd_opt(y + 1, 1, 1).expect("checked year"),
        )
    });
    let scope = ctx.scope();
    let (rows, bounds) = tokio::try_join!(store::rows(db, scope, range), store::years(db, scope))?;
    let today = today(ctx, now);
    let currency = &ctx.company().currency;
    let mut outstanding = 0;
    let mut overdue_count = 0;
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        let shown = InvoiceStatus::shown(r.status, r.due_on, today);
        if shown.needs_attention() {
            outstanding += r.amount_ore;
        }
        if shown == InvoiceStatus::Overdue {
            overdue_count += 1;
        }
        if status.is_none_or(|s| s == shown) {
            items.push(item(r, today, currency, lang));
        }
    }
    let years = match (bounds.iter().min(), bounds.iter().max()) {
        (Some(a), Some(b)) => (a.year()..=b.year()).rev().collect(),
        _ => Vec::new(),
    };
    Ok(InvoiceList {
        items,
        years,
        outstanding: lang.money(outstanding, currency),
        overdue_count,
    })
}

/// A line's member group: the member's id, guests (a session without a member) or fees (a
/// line without a session).
fn member_key(l: &SpecLine) -> String {
    match (l.session_id, l.user_id) {
        (None, _) => FEES.to_owned(),
        (Some(_), None) => GUESTS.to_owned(),
        (Some(_), Some(u)) => u.to_string(),
    }
}

fn center_key(l: &SpecLine) -> String {
    l.cost_center_id
        .map(|c| c.to_string())
        .unwrap_or_else(|| NO_COST_CENTER.to_owned())
}

/// Groups lines by `key`, titled by `title`, largest subtotal first (fees, guests and "no
/// cost center" last); `show` says whose lines to include.
fn groups(
    lines: &[SpecLine],
    key: impl Fn(&SpecLine) -> String,
    title: impl Fn(&SpecLine) -> String,
    show: impl Fn(&str) -> bool,
    view: impl Fn(&SpecLine) -> SpecLineView,
    currency: &str,
    lang: Lang,
) -> Vec<SpecGroup> {
    struct Acc {
        title: String,
        count: usize,
        amount: i64,
        vat: i64,
        lines: Vec<SpecLineView>,
    }
    let mut by: HashMap<String, Acc> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for l in lines {
        let k = key(l);
        let acc = by.entry(k.clone()).or_insert_with(|| {
            order.push(k.clone());
            Acc {
                title: title(l),
                count: 0,
                amount: 0,
                vat: 0,
                lines: Vec::new(),
            }
        });
        acc.count += 1;
        acc.amount += l.amount_ore;
        acc.vat += l.vat_ore;
        if show(&k) {
            acc.lines.push(view(l));
        }
    }
    let special = |k: &str| matches!(k, FEES | GUESTS | NO_COST_CENTER);
    order.sort_by(|a, b| {
        let (x, y) = (&by[a], &by[b]);
        special(a)
            .cmp(&special(b))
            .then(y.amount.cmp(&x.amount))
            .then(x.title.cmp(&y.title))
    });
    order
        .into_iter()
        .map(|k| {
            let a = by.remove(&k).expect("every key was added");
            SpecGroup {
                key: k,
                title: a.title,
                count: a.count,
                subtotal: lang.money(a.amount, currency),
                subtotal_excl_vat: lang.money(a.amount - a.vat, currency),
                lines: a.lines,
            }
        })
        .collect()
}

/// Subtotals of the specification's groups in öre, for tests: (by member, by cost center).
pub fn subtotals(lines: &[SpecLine]) -> (HashMap<String, i64>, HashMap<String, i64>) {
    let mut m: HashMap<String, i64> = HashMap::new();
    let mut c: HashMap<String, i64> = HashMap::new();
    for l in lines {
        *m.entry(member_key(l)).or_default() += l.amount_ore;
        *c.entry(center_key(l)).or_default() += l.amount_ore;
    }
    (m, c)
}

pub async fn specification(
    db: &Db,
    ctx: &TenantCtx,
    id: Uuid,
    group: &str,
    now: i64,
    lang: Lang,
) -> Result<InvoiceSpec, AppError> {
    let t = lang.texts();
    let scope = ctx.scope();
    let head = store::row(db, scope, id).await?.ok_or(AppError::NotFound)?;
    let lines = store::spec_lines(db, scope, id).await?;
    let company = ctx.company();
    let tz = company.zone();
    let currency = company.currency.as_str();
    let all = lines.len() <= SPEC_ALL_LINES;
    let local = |ts: i64| {
        tz.timestamp_opt(ts, 0)
            .single()
            .map(|d| d.naive_local())
            .unwrap_or_default()
    };
    let view = |l: &SpecLine| SpecLineView {
        description: l.description.clone(),
        member: l.member.clone(),
        plate: l.plate.clone().unwrap_or_default(),
        start: l
            .started_at
            .map(|s| local(s).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default(),
        cost_center: l.cost_center.clone(),
        amount: lang.money(l.amount_ore, currency),
        amount_excl_vat: lang.money(l.amount_ore - l.vat_ore, currency),
        // The session in the history: its plate on its day.
        href: match (&l.plate, l.started_at) {
            (Some(p), Some(s)) => {
                let day = local(s).date().to_string();
                Some(with_query(
                    "/history",
                    &[("from", &day), ("to", &day), ("plate", p)],
                ))
            }
            _ => None,
        },
    };
    let by_member = groups(
        &lines,
        member_key,
        |l| match member_key(l).as_str() {
            FEES => t.invoice_fees.to_owned(),
            GUESTS => t.history_guest.to_owned(),
            _ => l.member.clone(),
        },
        |k| all || k == group,
        view,
        currency,
        lang,
    );
    let by_cost_center = groups(
        &lines,
        center_key,
        |l| {
            if l.cost_center.is_empty() {
                t.without_cost_center.to_owned()
            } else {
                l.cost_center.clone()
            }
        },
        |_| false,
        view,
        currency,
        lang,
    );
    Ok(InvoiceSpec {
        item: item(&head, today(ctx, now), currency, lang),
        company: company.name.clone(),
        org_number: company.org_number.clone(),
        currency: company.currency.clone(),
        by_member,
        by_cost_center,
        line_count: lines.len(),
        all_lines_shown: all,
        total: lang.money(head.amount_ore, currency),
        total_excl_vat: lang.money(head.amount_ore - head.vat_ore, currency),
        vat: lang.money(head.vat_ore, currency),
        file_name: format!("invoice-{}.csv", crate::history::filter::slug(&head.number)),
    })
}

/// Every line for the CSV, in the specification's order; the export is written to the
/// audit log with the invoice's number and line count.
pub async fn export(
    db: &Db,
    ctx: &TenantCtx,
    id: Uuid,
    now: i64,
) -> Result<Vec<SpecCsvRow>, AppError> {
    let scope = ctx.scope();
    let head = store::row(db, scope, id).await?.ok_or(AppError::NotFound)?;
    let lines = store::spec_lines(db, scope, id).await?;
    let tz = ctx.company().zone();
    let rows: Vec<SpecCsvRow> = lines
        .into_iter()
        .map(|l| {
            let start = l
                .started_at
                .and_then(|s| tz.timestamp_opt(s, 0).single())
                .map(|d| d.naive_local().format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default();
            (
                l.member,
                l.plate.unwrap_or_default(),
                start,
                l.description,
                l.cost_center,
                l.amount_ore,
                l.vat_ore,
            )
        })
        .collect();
    let entry = audit::NewAuditEntry {
        actor: Some(ctx.user_id()),
        action: AuditAction::InvoiceExported,
        subject: None,
        details: serde_json::json!({ "invoice": head.number, "rows": rows.len() }).to_string(),
        at: now,
    };
    let mut tx = db.begin().await?;
    audit::append(&mut tx, scope, &entry).await?;
    tx.commit().await?;
    Ok(rows)
}
