//! The companies domain's types and pure rules, shared by the server and the browser.

use serde::{Deserialize, Serialize};

/// A person's role in one company (see the role table in `shared/security.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    Owner,
    Admin,
    Finance,
    Member,
    /// The reception's shared account: registers guests and sees who is parked now
    /// (`/frontdesk`), nothing else.
    FrontDesk,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Owner,
        Role::Admin,
        Role::Finance,
        Role::Member,
        Role::FrontDesk,
    ];

    /// The role's name in the user's language.
    pub fn label(self, t: &crate::i18n::Texts) -> &'static str {
        match self {
            Role::Owner => t.role_owner,
            Role::Admin => t.role_admin,
            Role::Finance => t.role_finance,
            Role::Member => t.role_member,
            Role::FrontDesk => t.role_front_desk,
        }
    }

    /// Owners, admins and finance viewers see the company's records (everyone's sessions,
    /// the member list, the audit log); a member sees only their own. The one place that
    /// says so (shared/security.md, the role table).
    pub fn sees_company_records(self) -> bool {
        matches!(self, Role::Owner | Role::Admin | Role::Finance)
    }

    /// Who may use the front desk (`/frontdesk`): the front desk itself, owners and admins.
    pub fn uses_front_desk(self) -> bool {
        matches!(self, Role::Owner | Role::Admin | Role::FrontDesk)
    }

    /// Where the role starts: the front desk's only page, everyone else's section cards.
    pub fn home(self) -> &'static str {
        match self {
            Role::FrontDesk => "/frontdesk",
            _ => "/",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Finance => "finance",
            Role::Member => "member",
            Role::FrontDesk => "front_desk",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// An email address, normalised (trimmed, lower-cased) the same way for every lookup, limit
/// and MAC. Construction validates the shape; it cannot prove the mailbox exists.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Option<Self> {
        let e = crate::nordic::composed(raw.trim()).to_lowercase();
        let (local, domain) = e.split_once('@')?;
        let ok = !local.is_empty()
            && e.len() <= 254
            && local.len() <= 64
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !e.contains(|c: char| {
                c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"')
            })
            && !domain.contains('@');
        ok.then_some(Email(e))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Anna.Berg@Example.SE ").unwrap().as_str(),
            "anna.berg@example.se"
        );
    }

    #[test]
    fn a_nordic_address_is_one_address_however_its_letters_are_encoded() {
        // "Åsa" typed, and "Åsa" from a file that writes å as a + combining ring.
        assert_eq!(
            Email::parse("A\u{30a}sa@Fj\u{e4}ll.se"),
            Email::parse("åsa@fjäll.se")
        );
        assert_eq!(
            Email::parse("A\u{30a}sa@x.se").unwrap().as_str(),
            "åsa@x.se"
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "anna",
            "anna@",
            "@example.se",
            "anna@example",
            "a b@example.se",
            "anna@ex..se",
            "a@b@c.se",
        ] {
            assert!(Email::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn roles_round_trip_through_their_stored_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }
}
