//! The audit domain's types and pure rules, shared by the server and the browser.

use serde::{Deserialize, Serialize};

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
    PolicyChanged,
    VehicleAdded,
    VehicleRemoved,
    PolicyRechecked,
    BudgetChanged,
}

impl AuditAction {
    pub const ALL: [AuditAction; 28] = [
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
        AuditAction::PolicyChanged,
        AuditAction::VehicleAdded,
        AuditAction::VehicleRemoved,
        AuditAction::PolicyRechecked,
        AuditAction::BudgetChanged,
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
            AuditAction::PolicyChanged => "policy.changed",
            AuditAction::VehicleAdded => "vehicle.added",
            AuditAction::VehicleRemoved => "vehicle.removed",
            AuditAction::PolicyRechecked => "policy.rechecked",
            AuditAction::BudgetChanged => "budget.changed",
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
