//! The audit domain's server functions: authorise, call the service or store, answer.

use super::model::*;
#[cfg(feature = "ssr")]
use super::store;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::error::Reason;
use leptos::prelude::*;

#[server(prefix = "/api", endpoint = "audit", input = server_fn::codec::GetUrl)]
pub async fn list_audit(query: AuditQuery) -> Result<Vec<AuditEntryView>, AppError> {
    use chrono::TimeZone;
    crate::answer::json(async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        if !ctx.role().sees_company_records() {
            return Err(AppError::Forbidden);
        }
        let action = match query.action.trim() {
            "" => None,
            a => Some(AuditAction::parse(a).ok_or(AppError::invalid("action", Reason::Unknown))?),
        };
        let person = query.person.trim();
        if person.chars().count() > 100 {
            return Err(AppError::invalid("person", Reason::TooLong));
        }
        let company = ctx.company();
        let tz = company.zone();
        let lang = crate::i18n::lang_of_request();
        let range = match query.month.trim() {
            "" => None,
            m => {
                let parsed = m
                    .split_once('-')
                    .and_then(|(y, mo)| Some((y.parse::<i32>().ok()?, mo.parse::<u32>().ok()?)))
                    .and_then(|(y, mo)| crate::calendar::month_bounds(tz, y, mo));
                Some(parsed.ok_or(AppError::invalid("month", Reason::NotAMonth))?)
            }
        };
        let filter = store::AuditFilter {
            action,
            person: (!person.is_empty()).then_some(person),
            range,
        };
        let rows = store::search(&state.db, ctx.scope(), &filter, AUDIT_LIMIT, 0).await?;
        Ok(rows
            .into_iter()
            .map(|r| AuditEntryView {
                action: r.action,
                actor: r.actor_email,
                subject: r.subject_email,
                details: r.details,
                at: tz
                    .timestamp_opt(r.at, 0)
                    .single()
                    .map(|d| lang.chrono_datetime(d))
                    .unwrap_or_default(),
            })
            .collect())
    })
    .await
}
