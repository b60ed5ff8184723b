//! The company's audit log: who did what to whom, and when. Append-only: the store offers
//! no update or delete, and the database refuses both with a trigger. Owners, admins and
//! finance viewers read it at `/audit`, filtered by action, person and month.

mod page;
#[cfg(feature = "ssr")]
pub mod store;

pub use page::AuditPage;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The actions the log records (also the filter's choices).
pub const ACTIONS: &[&str] = &[
    "invitation.sent",
    "invitation.resent",
    "invitation.cancelled",
    "invitation.accepted",
    "member.role_changed",
    "member.removed",
    "member.left",
    "ownership.transferred",
    "company.created",
    "company.owner_set",
    "history.exported",
];

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    pub action: String,
    pub person: String,
    /// `YYYY-MM`, the company's calendar month.
    pub month: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntryView {
    pub action: String,
    pub actor: Option<String>,
    pub subject: Option<String>,
    pub details: String,
    /// `YYYY-MM-DD HH:MM` in the company's time zone.
    pub at: String,
}

pub const AUDIT_LIMIT: i64 = 200;

#[server(prefix = "/api", endpoint = "audit", input = server_fn::codec::GetUrl)]
pub async fn list_audit(query: AuditQuery) -> Result<Vec<AuditEntryView>, AppError> {
    use chrono::TimeZone;
    let state = crate::state::use_app_state()?;
    let ctx = crate::auth::tenant().await.map_err(AppError::with_status)?;
    if ctx.role() == crate::companies::Role::Member {
        return Err(AppError::Forbidden.with_status());
    }
    let action = match query.action.trim() {
        "" => None,
        a if ACTIONS.contains(&a) => Some(a),
        _ => return Err(AppError::invalid("action", "unknown action").with_status()),
    };
    let person = query.person.trim();
    if person.chars().count() > 100 {
        return Err(AppError::invalid("person", "at most 100 characters").with_status());
    }
    let company = ctx.company();
    let tz = crate::calendar::zone(&company.time_zone).unwrap_or(chrono_tz::Europe::Stockholm);
    let range = match query.month.trim() {
        "" => None,
        m => {
            let parsed = m
                .split_once('-')
                .and_then(|(y, mo)| Some((y.parse::<i32>().ok()?, mo.parse::<u32>().ok()?)))
                .and_then(|(y, mo)| crate::calendar::month_bounds(tz, y, mo));
            Some(
                parsed
                    .ok_or_else(|| AppError::invalid("month", "must be YYYY-MM").with_status())?,
            )
        }
    };
    let filter = store::AuditFilter {
        action,
        person: (!person.is_empty()).then_some(person),
        range,
    };
    let rows = store::search(&state.db, ctx.company_id(), &filter, AUDIT_LIMIT, 0).await?;
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
                .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default(),
        })
        .collect())
}
