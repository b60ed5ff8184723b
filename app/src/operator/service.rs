//! The operator's commands: each checks everything first, then changes the database in one
//! transaction with its audit entry and the owner's welcome mail.

use uuid::Uuid;

use crate::{
    audit::{store as audit, AuditAction},
    auth::OperatorAccess,
    companies::{
        store::{self as companies, CompanyRow, IfActive, NewMembership},
        Email, Role,
    },
    db::{Db, Tx},
    i18n::Lang,
    mail::templates,
    scope::CompanyScope,
};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OperatorError {
    #[error("--{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("no company with organisation number {0}")]
    NoSuchCompany(String),
    #[error("database error: {0}")]
    Db(String),
}

impl From<sqlx::Error> for OperatorError {
    fn from(e: sqlx::Error) -> Self {
        OperatorError::Db(e.to_string())
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> OperatorError {
    OperatorError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// Inside the command's transaction: finds or creates the owner's user, makes them owner of
/// the company, writes the audit entry and queues the welcome mail.
async fn make_owner(
    tx: &mut Tx,
    scope: CompanyScope,
    email: &Email,
    action: AuditAction,
    mail: &crate::mailer::Message,
    now: i64,
) -> Result<(), sqlx::Error> {
    let user_id = companies::upsert_user(&mut *tx, Uuid::new_v4(), email, "", now).await?;
    let owner = NewMembership {
        user_id,
        role: Role::Owner,
        default_cost_center_id: None,
        invited_email: Some(email.clone()),
    };
    companies::upsert_membership(tx, scope, &owner, IfActive::SetRole, now).await?;
    let entry = audit::NewAuditEntry {
        actor: None,
        action,
        subject: Some(user_id),
        details: audit::details(&[("by", "customer service")]),
        at: now,
    };
    audit::append(tx, scope, &entry).await?;
    crate::mail::store::enqueue(tx, mail, "welcome_owner", Some(scope.company_id()), now).await
}

pub struct NewCompany<'a> {
    pub name: &'a str,
    pub org_number: &'a str,
    pub owner_email: &'a str,
    pub time_zone: &'a str,
    pub currency: &'a str,
}

/// Creates a company from an order; the order's contact email becomes its owner.
pub async fn create_company(
    db: &Db,
    access: &OperatorAccess,
    c: &NewCompany<'_>,
    public_url: &str,
    lang: Lang,
    now: i64,
) -> Result<Uuid, OperatorError> {
    let name = c.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(invalid("name", "must be 1 to 200 characters"));
    }
    // A new company's number must be right to the check digit; its shape names its country.
    let (_country, org) =
        crate::org_number::validate(c.org_number).map_err(|e| invalid("org-number", e.reason()))?;
    let email = Email::parse(c.owner_email)
        .ok_or_else(|| invalid("owner-email", "not an email address"))?;
    if crate::calendar::zone(c.time_zone).is_none() {
        return Err(invalid(
            "time-zone",
            "not an IANA time zone such as Europe/Stockholm",
        ));
    }
    let currency = c.currency.trim().to_uppercase();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(invalid("currency", "must be a 3-letter code such as SEK"));
    }
    if companies::company_by_org_number(db, &org).await?.is_some() {
        return Err(invalid(
            "org-number",
            format!("{org} already has a company"),
        ));
    }
    let row = CompanyRow {
        id: Uuid::new_v4(),
        name: name.to_owned(),
        org_number: org,
        time_zone: c.time_zone.to_owned(),
        currency,
    };
    let mail =
        templates::welcome_owner(lang, email.as_str(), name, &format!("{public_url}/sign-in"));
    let mut tx = db.begin().await?;
    companies::insert_company(&mut tx, &row, now).await?;
    // A new company's empty rollups are complete.
    crate::history::rollup::mark_filled(&mut tx, row.id).await?;
    let scope = access.scope(row.id);
    make_owner(
        &mut tx,
        scope,
        &email,
        AuditAction::CompanyCreated,
        &mail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(row.id)
}

/// Gives an ownerless company an owner (the FAQ: "older accounts may lack an owner").
pub async fn set_owner(
    db: &Db,
    access: &OperatorAccess,
    org_number: &str,
    owner_email: &str,
    public_url: &str,
    lang: Lang,
    now: i64,
) -> Result<(), OperatorError> {
    let (_, org) = crate::org_number::parse(org_number)
        .ok_or_else(|| invalid("org-number", crate::org_number::SHAPES))?;
    let email =
        Email::parse(owner_email).ok_or_else(|| invalid("email", "not an email address"))?;
    let company = companies::company_by_org_number(db, &org)
        .await?
        .ok_or(OperatorError::NoSuchCompany(org.clone()))?;
    let scope = access.scope(company.id);
    if crate::members::store::owner_count(db, scope).await? > 0 {
        return Err(invalid(
            "org-number",
            "this company already has an owner; ownership moves by transfer in the portal",
        ));
    }
    let mail = templates::welcome_owner(
        lang,
        email.as_str(),
        &company.name,
        &format!("{public_url}/sign-in"),
    );
    let mut tx = db.begin().await?;
    make_owner(
        &mut tx,
        scope,
        &email,
        AuditAction::CompanyOwnerSet,
        &mail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Every company with its member count and owner (the operator's list).
pub async fn list_companies(db: &Db) -> Result<Vec<companies::CompanyOverview>, OperatorError> {
    Ok(companies::overview(db).await?)
}
