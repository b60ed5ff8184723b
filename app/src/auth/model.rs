//! The auth domain's types, shared by the server and the browser: the session as the page
//! sees it, the company choices, the cookie's and the CSRF token's names.

use crate::companies::Role;
/// Where the CSRF token travels; defined with the client that sends it (no arrow back up).
pub use crate::csrf_client::{CSRF_FIELD, CSRF_HEADER};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The cookie that carries the session token.
pub const SESSION_COOKIE: &str = "__Host-portal_session";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyChoice {
    pub id: Uuid,
    pub name: String,
    /// As the company's country writes it: shown beside the name, which two companies may
    /// share.
    pub org_number: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInUser {
    pub email: String,
    pub name: String,
    pub companies: Vec<CompanyChoice>,
    /// The company this session acts in, if one is chosen (and still a membership).
    pub current: Option<CompanyChoice>,
}

/// What the pages know about the visitor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// The CSRF token every form of this session carries.
    pub csrf: String,
    pub user: Option<SignedInUser>,
    /// During sign-in: the address a code was asked for.
    pub pending_email: Option<String>,
}
