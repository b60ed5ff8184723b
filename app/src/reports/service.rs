//! The monthly report's rules: who may set it up (owners and admins), who may receive it
//! (active owners, admins and finance viewers), and the job that sends last month's report
//! once on the first day of the month in the company's time zone — or, after a server was
//! down, when it is back: a report is due whenever the last complete month has not been
//! sent, and only the latest (a server down for two months sends one report, not two).

use std::collections::HashMap;

use chrono::Datelike;
use uuid::Uuid;

use super::store;
use crate::{
    audit::{store as audit, AuditAction},
    auth::{OperatorAccess, TenantCtx},
    calendar::month_index,
    companies::Role,
    db::Db,
    error::{AppError, Reason},
    i18n::Lang,
    mail::{store as outbox, templates},
};

pub fn may_manage(role: Role) -> bool {
    matches!(role, Role::Owner | Role::Admin)
}

/// Saves the language and the recipients (form fields: `lang`, and one `r-<user id>` per
/// chosen person). A person who may not receive it is refused by field; nothing changes.
pub async fn save(
    db: &Db,
    ctx: &TenantCtx,
    form: &HashMap<String, String>,
    now: i64,
) -> Result<(), AppError> {
    if !may_manage(ctx.role()) {
        return Err(AppError::Forbidden);
    }
    // Any language the portal speaks (the form offers them all).
    let lang = match form.get("lang").map(String::as_str) {
        Some(l) if Lang::ALL.iter().any(|x| x.code() == l) => l,
        _ => return Err(AppError::invalid("lang", Reason::Unknown)),
    };
    let scope = ctx.scope();
    let eligible = store::eligible(db, scope).await?;
    let mut chosen = Vec::new();
    for key in form.keys() {
        if let Some(id) = key.strip_prefix("r-") {
            let id = Uuid::parse_str(id)
                .map_err(|_| AppError::invalid("recipients", Reason::NotAMember))?;
            if !eligible.iter().any(|e| e.user_id == id) {
                return Err(AppError::invalid("recipients", Reason::NotAMember));
            }
            chosen.push(id);
        }
    }
    chosen.sort();
    let today = crate::calendar::local_date(ctx.company().zone(), now);
    let since = store::settings(db, scope)
        .await?
        .map(|(_, since)| since)
        .unwrap_or(month_index(today.year(), today.month()));
    let mut tx = db.begin().await?;
    store::save(&mut tx, scope, lang, since, &chosen, now).await?;
    let entry = audit::NewAuditEntry {
        actor: Some(ctx.user_id()),
        action: AuditAction::ReportSettingsChanged,
        subject: None,
        details: serde_json::json!({ "lang": lang, "recipients": chosen }).to_string(),
        at: now,
    };
    audit::append(&mut tx, scope, &entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Sends every report that is due (see the module comment); returns the mails queued. Run by
/// the server's background job once a minute and at start; safe on several instances. A
/// company whose report fails is logged and tried again on the next run; it never stops the
/// reports of the companies after it.
pub async fn send_due(db: &Db, public_url: &str, now: i64) -> Result<usize, AppError> {
    let access = OperatorAccess::command_line();
    let mut queued = 0;
    for due in store::with_reports(db).await? {
        match send_one(db, &access, public_url, &due, now).await {
            Ok(n) => queued += n,
            // Nothing of it was stored (one transaction): the claim is free for the next run.
            Err(e) => tracing::warn!(
                company = %due.company_id,
                error = ?e,
                "a monthly report could not be queued; tried again on the next run"
            ),
        }
    }
    Ok(queued)
}

/// One company's report, if due: the mails queued (0 when not due, or sent by another
/// instance).
async fn send_one(
    db: &Db,
    access: &OperatorAccess,
    public_url: &str,
    due: &store::Due,
    now: i64,
) -> Result<usize, AppError> {
    let Some(tz) = crate::calendar::zone(&due.time_zone) else {
        return Ok(0);
    };
    // The month before this one in the company's own calendar: due from its first minute.
    let month = crate::calendar::last_complete_month(crate::calendar::local_date(tz, now));
    if month < due.since_month || due.last_month.is_some_and(|m| m >= month) {
        return Ok(0);
    }
    let scope = access.scope(due.company_id);
    let lang = Lang::from_code(&due.lang).unwrap_or_default();
    // The figures first (reads), then one transaction: the claim, the mails, the audit.
    let report = crate::costs::service::company_report(db, scope, month).await?;
    let mut tx = db.begin().await?;
    let recipients = store::recipient_addresses(&mut tx, scope).await?;
    if recipients.is_empty() {
        return Ok(0);
    }
    if !store::claim(&mut tx, scope, month, recipients.len() as i32, now).await? {
        // Another instance sent it.
        return Ok(0);
    }
    let (total, sections) = crate::costs::mail_lines(&report, &due.currency, lang);
    let (y, m) = crate::calendar::month_of_index(month);
    let link = crate::url::with_query(
        &format!("{}/costs", public_url.trim_end_matches('/')),
        &[("year", &y.to_string()), ("month", &m.to_string())],
    );
    let month_label = crate::costs::month_label(month, lang);
    let t = lang.texts();
    let sections: Vec<(&str, Vec<templates::ReportLine>)> = vec![
        (t.costs_by_cost_center, sections.0),
        (t.costs_by_kind, sections.1),
    ];
    // "Virtasen Rakennus Oy (1234567-1)": the name and the number as its country writes it.
    let company = format!("{} ({})", due.name, due.org_number);
    for (user, to) in &recipients {
        let message =
            templates::monthly_report(lang, to, &company, &month_label, &total, &sections, &link);
        outbox::enqueue(&mut tx, &message, "monthly_report", Some(*user), now).await?;
    }
    let entry = audit::NewAuditEntry {
        actor: None,
        action: AuditAction::ReportSent,
        subject: None,
        details:
            serde_json::json!({ "month": format!("{y}-{m:02}"), "recipients": recipients.len() })
                .to_string(),
        at: now,
    };
    audit::append(&mut tx, scope, &entry).await?;
    tx.commit().await?;
    Ok(recipients.len())
}
