//! The members domain's types and pure rules, shared by the server and the browser.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{companies::Role, error::Reason};

pub const PAGE_SIZE: i64 = 50;

/// The roles `actor` may invite, change to or from, and remove (security.md's role table:
/// owners manage admins, finance viewers, members and front desks; admins manage members and
/// front desks).
pub fn manageable_roles(actor: Role) -> &'static [Role] {
    match actor {
        Role::Owner => &[Role::Admin, Role::Finance, Role::FrontDesk, Role::Member],
        Role::Admin => &[Role::FrontDesk, Role::Member],
        Role::Finance | Role::Member | Role::FrontDesk => &[],
    }
}

pub fn may_manage(actor: Role, target: Role) -> bool {
    manageable_roles(actor).contains(&target)
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberQuery {
    /// Name, email or plate.
    pub q: String,
    /// `name` (default), `email`, `role`, `last_session`.
    pub sort: String,
    /// 1-based.
    pub page: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub user_id: Uuid,
    /// As the member set it in the app; empty until they have.
    pub name: String,
    /// The address the invitation went to (or the account's, for members from before).
    pub email: String,
    pub role: Role,
    pub cost_center: Option<String>,
    pub cost_center_id: Option<Uuid>,
    /// Whether this address has signed in to the parking app yet (the FAQ's "wrong email").
    pub app_signed_in: bool,
    /// Date of the last session, `YYYY-MM-DD` in the company's time zone.
    pub last_session: Option<String>,
}

impl MemberView {
    /// How a confirm step names the person: "Name (address)", or the address alone.
    pub fn who(&self) -> String {
        if self.name.is_empty() {
            self.email.clone()
        } else {
            format!("{} ({})", self.name, self.email)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostCenterChoice {
    pub id: Uuid,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberPage {
    pub members: Vec<MemberView>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    /// What the viewer may do here.
    pub viewer_role: Role,
    pub viewer_id: Uuid,
    pub grantable_roles: Vec<Role>,
    pub cost_centers: Vec<CostCenterChoice>,
    /// The company has no owner (older accounts): admins see how to get one.
    pub has_owner: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvitationStatus {
    Pending,
    /// Pending, and its mail has not gone out yet: the mail server did not take it (it is
    /// down or busy); the outbox keeps trying.
    NotDelivered,
    Accepted,
    Expired,
    Cancelled,
    DeliveryFailed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub id: Uuid,
    pub email: String,
    pub role: Role,
    pub status: InvitationStatus,
    /// The mail server's reason, when delivery failed.
    pub delivery_error: Option<String>,
    pub sent_on: String,
}

/// What an invitation link shows before it is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationSummary {
    pub company: String,
    pub email: String,
    pub role: Role,
    pub valid: bool,
}

/// One row of a bulk invitation, as the preview shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkRowView {
    pub line: i64,
    pub email: String,
    pub role: String,
    pub cost_center: String,
    /// Why this row cannot be imported (a reason code the page turns into words).
    pub problem: Option<Reason>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkResult {
    pub rows: Vec<BulkRowView>,
    pub good: i64,
    pub bad: i64,
    /// Invitations sent by this request (0 for a preview).
    pub imported: i64,
}

pub const BULK_MAX_BYTES: usize = 1_000_000;
pub const BULK_MAX_ROWS: usize = 5_000;
/// Rows sent per request when the page imports a large file part by part (with a progress bar).
pub const BULK_PART_ROWS: usize = 250;
/// A plain form post shows at most this many bad rows (they travel in the redirect's URL).
pub const BULK_PLAIN_MAX_LINES: usize = 50;

/// The counterpart of `bulk_result_url`: the result a plain form post's redirect carries.
pub fn bulk_result_from_query(counts: &str, lines: &str) -> Option<BulkResult> {
    let mut n = counts.split('.').map(|v| v.parse::<i64>().ok());
    let (good, bad, imported) = (n.next()??, n.next()??, n.next()??);
    let rows = lines
        .split(',')
        .filter_map(|item| {
            let (line, problem) = item.split_once(':')?;
            Some(BulkRowView {
                line: line.parse().ok()?,
                email: String::new(),
                role: String::new(),
                cost_center: String::new(),
                problem: Some(Reason::parse(problem)?),
            })
        })
        .collect();
    Some(BulkResult {
        rows,
        good,
        bad,
        imported,
    })
}

#[cfg(test)]
mod role_tests {
    use super::*;

    /// security.md's role table: owners and admins bring in the front desk; the front desk,
    /// like members and finance viewers, manages nobody.
    #[test]
    fn owners_and_admins_manage_the_front_desk_and_it_manages_nobody() {
        assert!(may_manage(Role::Owner, Role::FrontDesk));
        assert!(may_manage(Role::Admin, Role::FrontDesk));
        assert!(!may_manage(Role::Admin, Role::Finance));
        assert!(!may_manage(Role::Admin, Role::Admin));
        for nobody in [Role::FrontDesk, Role::Member, Role::Finance] {
            assert!(manageable_roles(nobody).is_empty(), "{nobody:?}");
        }
        // The invite form lists the grantable roles reversed: a plain member comes first.
        assert_eq!(manageable_roles(Role::Owner).last(), Some(&Role::Member));
        assert_eq!(manageable_roles(Role::Admin).last(), Some(&Role::Member));
    }
}
