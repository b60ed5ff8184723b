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
#[cfg(feature = "ssr")]
use crate::error::Reason;

/// What the log records. Stored as [`AuditAction::as_str`]; the filter offers [`AuditAction::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    InvitationSent,
    InvitationResent,
    InvitationCancelled,
    InvitationAccepted,
    MemberRoleChanged,
    MemberRemoved,
    MemberLeft,
    OwnershipTransferred,
    CompanyCreated,
    CompanyOwnerSet,
    HistoryExported,
    InvoiceExported,
    CostCenterCreated,
    CostCenterRenamed,
    CostCenterArchived,
    CostCenterRestored,
    DefaultCostCenterSet,
    ReportSettingsChanged,
    ReportSent,
    GuestRegistered,
    GuestExtended,
    GuestCancelled,
    GuestCostCenterSet,
}

impl AuditAction {
    pub const ALL: [AuditAction; 23] = [
        AuditAction::InvitationSent,
        AuditAction::InvitationResent,
        AuditAction::InvitationCancelled,
        AuditAction::InvitationAccepted,
        AuditAction::MemberRoleChanged,
        AuditAction::MemberRemoved,
        AuditAction::MemberLeft,
        AuditAction::OwnershipTransferred,
        AuditAction::CompanyCreated,
        AuditAction::CompanyOwnerSet,
        AuditAction::HistoryExported,
        AuditAction::InvoiceExported,
        AuditAction::CostCenterCreated,
        AuditAction::CostCenterRenamed,
        AuditAction::CostCenterArchived,
        AuditAction::CostCenterRestored,
        AuditAction::DefaultCostCenterSet,
        AuditAction::ReportSettingsChanged,
        AuditAction::ReportSent,
        AuditAction::GuestRegistered,
        AuditAction::GuestExtended,
        AuditAction::GuestCancelled,
        AuditAction::GuestCostCenterSet,
    ];

    /// The stored name (also the filter's value in the URL).
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::InvitationSent => "invitation.sent",
            AuditAction::InvitationResent => "invitation.resent",
            AuditAction::InvitationCancelled => "invitation.cancelled",
            AuditAction::InvitationAccepted => "invitation.accepted",
            AuditAction::MemberRoleChanged => "member.role_changed",
            AuditAction::MemberRemoved => "member.removed",
            AuditAction::MemberLeft => "member.left",
            AuditAction::OwnershipTransferred => "ownership.transferred",
            AuditAction::CompanyCreated => "company.created",
            AuditAction::CompanyOwnerSet => "company.owner_set",
            AuditAction::HistoryExported => "history.exported",
            AuditAction::InvoiceExported => "invoice.exported",
            AuditAction::CostCenterCreated => "cost_center.created",
            AuditAction::CostCenterRenamed => "cost_center.renamed",
            AuditAction::CostCenterArchived => "cost_center.archived",
            AuditAction::CostCenterRestored => "cost_center.restored",
            AuditAction::DefaultCostCenterSet => "member.default_cost_center_set",
            AuditAction::ReportSettingsChanged => "report.settings_changed",
            AuditAction::ReportSent => "report.sent",
            AuditAction::GuestRegistered => "guest.registered",
            AuditAction::GuestExtended => "guest.extended",
            AuditAction::GuestCancelled => "guest.cancelled",
            AuditAction::GuestCostCenterSet => "guest.cost_center_set",
        }
    }

    pub fn parse(s: &str) -> Option<AuditAction> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

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
