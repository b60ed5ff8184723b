//! The reports domain's types and pure rules, shared by the server and the browser.

use crate::companies::Role;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientChoice {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub chosen: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSettingsView {
    pub people: Vec<RecipientChoice>,
    /// `sv` or `en`; empty when the report was never set up.
    pub lang: String,
    /// `2026-03`, the last month sent.
    pub last_sent: Option<String>,
}
