//! The companies' monthly invoices, made from their generated sessions.

use app::{
    calendar,
    companies::store::CompanyRow,
    db::Db,
    ingest::{
        service as ingest_service,
        wire::{InvoiceIn, InvoiceLineIn, InvoiceStatusIn},
    },
};
use chrono::{Datelike, Days, NaiveDate};
use chrono_tz::Tz;
use rand::{rngs::StdRng, Rng};

use super::{
    parts::{ingest, InvoiceLine, DEMO_SOURCE},
    sessions::period_start,
};

/// One invoice per finished month, its lines the month's sessions: old ones paid, the last
/// one unpaid, the two before it unpaid past their due date (overdue, which the portal
/// derives) and one credited, so every status shows.
#[allow(clippy::too_many_arguments)]
pub(super) async fn generate_invoices(
    db: &Db,
    access: &app::auth::OperatorAccess,
    rng: &mut StdRng,
    company: &CompanyRow,
    mut lines: Vec<InvoiceLine>,
    until: NaiveDate,
    tz: Tz,
    company_index: usize,
) -> Result<usize, Box<dyn std::error::Error>> {
    lines.sort_by_key(|l| l.started_at);
    let mut month = period_start(until);
    let this_month = until.with_day(1).unwrap_or(until);
    let mut records = Vec::new();
    let mut seq = 1;
    while month < this_month {
        let (y, m) = (month.year(), month.month());
        let (from, to) = calendar::month_bounds(tz, y, m).ok_or("bad month")?;
        let period_end = calendar::last_day(y, m).ok_or("bad month")?;
        let issued_on = period_end + Days::new(3);
        let due_on = issued_on + Days::new(30);
        let months_back = (this_month.year() - y) * 12 + this_month.month() as i32 - m as i32;
        let status = match months_back {
            1 | 2 => InvoiceStatusIn::Unpaid,
            5 => InvoiceStatusIn::Credited,
            _ => InvoiceStatusIn::Paid,
        };
        let paid_on = (status == InvoiceStatusIn::Paid)
            .then(|| (due_on - Days::new(rng.gen_range(0..10))).to_string());
        let of_month: Vec<InvoiceLineIn> = lines
            .iter()
            .filter(|l| l.started_at >= from && l.started_at < to)
            .map(|l| InvoiceLineIn {
                description: l.description.clone(),
                amount_incl_vat: l.amount,
                vat: l.vat,
                session: Some(l.id.clone()),
                cost_center: (!l.cost_center.is_empty()).then(|| l.cost_center.clone()),
            })
            .collect();
        records.push(InvoiceIn {
            number: format!("F{}{:02}-{}{:03}", y, m, company_index + 1, seq),
            version: 1,
            company: company.org_number.clone(),
            period_start: month.to_string(),
            period_end: period_end.to_string(),
            issued_on: issued_on.to_string(),
            due_on: due_on.to_string(),
            status,
            paid_on,
            amount_incl_vat: of_month.iter().map(|l| l.amount_incl_vat).sum(),
            vat: of_month.iter().map(|l| l.vat).sum(),
            lines: of_month,
        });
        seq += 1;
        month = month
            .checked_add_months(chrono::Months::new(1))
            .ok_or("bad month")?;
    }
    let count = records.len();
    if count > 0 {
        ingest("invoices", records, async |batch| {
            ingest_service::invoices(db, access, DEMO_SOURCE, batch).await
        })
        .await?;
    }
    Ok(count)
}
