//! Invoices with their lines; a line names a session of the same company.

use uuid::Uuid;

use super::{decoded, outcome, writes, Companies, Rejected};
use crate::ingest::{
    check::{distinct, Errors, Incoming},
    wire::*,
};
use crate::{
    auth::OperatorAccess,
    companies::store::{self as companies},
    db::Db,
    history::store::{self as history},
    invoices::{
        store::{self as invoices, IncomingInvoice, NewInvoice, NewInvoiceLine},
        InvoiceStatus,
    },
};

struct InvoiceDraft {
    index: usize,
    rec: InvoiceIn,
    org: String,
    head: NewInvoice,
}

fn check_invoice(e: &mut Errors, index: usize, rec: InvoiceIn) -> Option<InvoiceDraft> {
    let mut own = Errors::default();
    own.key(index, "number", &rec.number);
    own.version(index, rec.version);
    let org = own.org_number(index, "company", &rec.company);
    let period_start = own.date(index, "period_start", &rec.period_start);
    let period_end = own.date(index, "period_end", &rec.period_end);
    let issued_on = own.date(index, "issued_on", &rec.issued_on);
    let due_on = own.date(index, "due_on", &rec.due_on);
    if let (Some(s), Some(end)) = (period_start, period_end) {
        if end < s {
            own.add(index, "period_end", "is before period_start");
        }
    }
    if let (Some(i), Some(d)) = (issued_on, due_on) {
        if d < i {
            own.add(index, "due_on", "is before issued_on");
        }
    }
    let status = match rec.status {
        InvoiceStatusIn::Unpaid => InvoiceStatus::Unpaid,
        InvoiceStatusIn::Paid => InvoiceStatus::Paid,
        InvoiceStatusIn::Credited => InvoiceStatus::Credited,
    };
    let paid_on = match (status, rec.paid_on.as_deref()) {
        (InvoiceStatus::Paid, None) => {
            own.add(
                index,
                "paid_on",
                "a paid invoice needs the date it was paid",
            );
            None
        }
        (InvoiceStatus::Paid, Some(d)) => own.date(index, "paid_on", d),
        (_, Some(_)) => {
            own.add(
                index,
                "paid_on",
                "only a paid invoice has a paid date; send null",
            );
            None
        }
        (_, None) => None,
    };
    let too_large =
        format!("must be between -{MAX_INVOICE_AMOUNT} and {MAX_INVOICE_AMOUNT} (minor units)");
    if rec.amount_incl_vat.unsigned_abs() > MAX_INVOICE_AMOUNT.unsigned_abs() {
        own.add(index, "amount_incl_vat", too_large.clone());
    } else if rec.vat.unsigned_abs() > rec.amount_incl_vat.unsigned_abs() {
        own.add(index, "vat", "must not be more than amount_incl_vat");
    }
    let (mut amount, mut vat) = (0i128, 0i128);
    for (n, line) in rec.lines.iter().enumerate() {
        own.text(
            index,
            &format!("lines[{n}].description"),
            &line.description,
            500,
            true,
        );
        if line.amount_incl_vat.unsigned_abs() > MAX_INVOICE_AMOUNT.unsigned_abs() {
            own.add(
                index,
                format!("lines[{n}].amount_incl_vat"),
                too_large.clone(),
            );
        } else if line.vat.unsigned_abs() > line.amount_incl_vat.unsigned_abs() {
            own.add(
                index,
                format!("lines[{n}].vat"),
                "must not be more than amount_incl_vat",
            );
        }
        if let Some(s) = &line.session {
            own.key(index, &format!("lines[{n}].session"), s);
        }
        if let Some(c) = &line.cost_center {
            own.key(index, &format!("lines[{n}].cost_center"), c);
        }
        amount += i128::from(line.amount_incl_vat);
        vat += i128::from(line.vat);
    }
    if amount != i128::from(rec.amount_incl_vat) {
        own.add(
            index,
            "amount_incl_vat",
            format!(
                "is {} but the lines add up to {amount}",
                rec.amount_incl_vat
            ),
        );
    }
    if vat != i128::from(rec.vat) {
        own.add(
            index,
            "vat",
            format!("is {} but the lines' VAT adds up to {vat}", rec.vat),
        );
    }
    let clean = own.is_empty();
    e.extend(own.into_sorted());
    if !clean {
        return None;
    }
    Some(InvoiceDraft {
        index,
        org: org?,
        head: NewInvoice {
            id: Uuid::nil(),
            company_id: Uuid::nil(),
            number: rec.number.clone(),
            period_start: period_start?,
            period_end: period_end?,
            issued_on: issued_on?,
            due_on: due_on?,
            status,
            paid_on,
        },
        rec,
    })
}

/// Stores a batch of invoices with their lines; a session a line names must be the same
/// company's and already stored (from `source`).
pub async fn invoices(
    db: &Db,
    access: &OperatorAccess,
    source: &str,
    batch: Vec<Incoming<InvoiceIn>>,
) -> Result<BatchResult, Rejected> {
    let mut e = Errors::default();
    let drafts: Vec<InvoiceDraft> = decoded(batch, &mut e)
        .into_iter()
        .filter_map(|(index, rec)| check_invoice(&mut e, index, rec))
        .collect();
    e.duplicates(
        "number",
        drafts.iter().map(|d| (d.index, d.rec.number.as_str())),
    );

    let mut tx = db.begin().await?;
    let companies =
        Companies::load(&mut tx, distinct(drafts.iter().map(|d| d.org.as_str()))).await?;
    let scopes = companies.scopes(access);
    let lines = || drafts.iter().flat_map(|d| d.rec.lines.iter());
    let cost_centers = companies::cost_center_ids(
        &mut tx,
        &scopes,
        &distinct(lines().filter_map(|l| l.cost_center.as_deref())),
    )
    .await?;
    let sessions = history::stored_versions(
        &mut tx,
        source,
        &distinct(lines().filter_map(|l| l.session.as_deref())),
    )
    .await?;
    let stored = invoices::stored_versions(
        &mut tx,
        &distinct(drafts.iter().map(|d| d.rec.number.as_str())),
    )
    .await?;

    let mut result = BatchResult::default();
    let mut rows = Vec::new();
    for d in drafts {
        let Some(company_id) = companies.get(&mut e, d.index, &d.org) else {
            continue;
        };
        let before = stored.get(&d.rec.number);
        if before.is_some_and(|s| s.company_id != company_id) {
            e.add(
                d.index,
                "company",
                "this invoice is stored under another company; an invoice cannot move between companies",
            );
            continue;
        }
        let mut new_lines = Vec::with_capacity(d.rec.lines.len());
        for (n, line) in d.rec.lines.iter().enumerate() {
            let session_id = match &line.session {
                None => None,
                Some(s) => match sessions.get(s) {
                    Some(stored) if stored.fact.company_id == company_id => Some(stored.id),
                    _ => {
                        e.add(
                            d.index,
                            format!("lines[{n}].session"),
                            format!("the company has no session with the id {s:?}"),
                        );
                        None
                    }
                },
            };
            let cost_center_id = match &line.cost_center {
                None => None,
                Some(code) => {
                    let id = cost_centers.get(&(company_id, code.clone())).copied();
                    if id.is_none() {
                        e.add(
                            d.index,
                            format!("lines[{n}].cost_center"),
                            format!("the company has no cost center with the code {code:?}"),
                        );
                    }
                    id
                }
            };
            new_lines.push(NewInvoiceLine {
                description: line.description.trim().to_owned(),
                amount_ore: line.amount_incl_vat,
                vat_ore: line.vat,
                session_id,
                cost_center_id,
            });
        }
        let o = outcome(before.map(|s| s.version), d.rec.version);
        result.push(d.index, d.rec.number.clone(), o);
        if writes(o) {
            let mut head = d.head;
            head.id = before.map_or_else(Uuid::new_v4, |s| s.id);
            head.company_id = company_id;
            rows.push((
                access.scope(company_id),
                IncomingInvoice {
                    invoice: head,
                    amount_ore: d.rec.amount_incl_vat,
                    vat_ore: d.rec.vat,
                    version: d.rec.version,
                    lines: new_lines,
                },
            ));
        }
    }
    if !e.is_empty() {
        return Err(Rejected::Invalid(e.into_sorted()));
    }
    for (scope, invoice) in &rows {
        invoices::upsert_invoice(&mut tx, *scope, invoice).await?;
    }
    tx.commit().await?;
    Ok(result)
}
