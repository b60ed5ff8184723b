//! Customer service's side of the FAQ, for the server's command line: create a company from
//! an order with its contact as owner, give an ownerless (older) account an owner, list
//! companies. Each command validates everything first and then changes the database in one
//! transaction, with its audit entry and the owner's welcome mail.

use uuid::Uuid;

use super::{Email, Role};
use crate::{db::Db, enqueue_mail, i18n::Lang, mail::templates, with_pool};

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

/// A Swedish organisation number: `NNNNNN-NNNN` (the dash optional on input).
pub fn parse_org_number(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(|c| *c != '-' && *c != ' ').collect();
    (digits.len() == 10 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("{}-{}", &digits[..6], &digits[6..]))
}

/// Inside a transaction of either engine: finds or creates the owner's user, makes them
/// owner of the company, and writes the audit entry. Evaluates to the user id.
macro_rules! make_owner {
    ($tx:expr, $company_id:expr, $email:expr, $action:expr, $now:expr) => {{
        let (user_id,): (Uuid,) = sqlx::query_as(
            "INSERT INTO users (id, email, display_name, created_at) VALUES ($1, $2, '', $3)
             ON CONFLICT (email) DO UPDATE SET email = excluded.email RETURNING id",
        )
        .bind(Uuid::new_v4())
        .bind($email.as_str())
        .bind($now)
        .fetch_one(&mut *$tx)
        .await?;
        sqlx::query(
            "INSERT INTO memberships (company_id, user_id, role, status, invited_email, created_at)
             VALUES ($1, $2, $3, 'active', $4, $5)
             ON CONFLICT (company_id, user_id) DO UPDATE SET role = excluded.role, status = 'active'",
        )
        .bind($company_id)
        .bind(user_id)
        .bind(Role::Owner.as_str())
        .bind($email.as_str())
        .bind($now)
        .execute(&mut *$tx)
        .await?;
        sqlx::query(
            "INSERT INTO audit_log (id, company_id, actor_user_id, action, subject_user_id, details, at)
             VALUES ($1, $2, NULL, $3, $4, '{\"by\":\"customer service\"}', $5)",
        )
        .bind(Uuid::new_v4())
        .bind($company_id)
        .bind($action)
        .bind(user_id)
        .bind($now)
        .execute(&mut *$tx)
        .await?;
        user_id
    }};
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
    c: &NewCompany<'_>,
    public_url: &str,
    lang: Lang,
    now: i64,
) -> Result<Uuid, OperatorError> {
    let name = c.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(invalid("name", "must be 1 to 200 characters"));
    }
    let org = parse_org_number(c.org_number)
        .ok_or_else(|| invalid("org-number", "must look like 556677-8899"))?;
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
    let exists: bool = with_pool!(db, |pool| {
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM companies WHERE org_number = $1)")
            .bind(&org)
            .fetch_one(pool)
            .await
    })?;
    if exists {
        return Err(invalid(
            "org-number",
            format!("{org} already has a company"),
        ));
    }
    let id = Uuid::new_v4();
    let mail =
        templates::welcome_owner(lang, email.as_str(), name, &format!("{public_url}/sign-in"));
    with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query("INSERT INTO companies (id, name, org_number, time_zone, currency, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id)
            .bind(name)
            .bind(&org)
            .bind(c.time_zone)
            .bind(&currency)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        make_owner!(tx, id, email, "company.created", now);
        enqueue_mail!(&mut *tx, mail, "welcome_owner", Some(id), now)?;
        tx.commit().await
    })?;
    Ok(id)
}

/// Gives an ownerless company an owner (the FAQ: "older accounts may lack an owner").
pub async fn set_owner(
    db: &Db,
    org_number: &str,
    owner_email: &str,
    public_url: &str,
    lang: Lang,
    now: i64,
) -> Result<(), OperatorError> {
    let org = parse_org_number(org_number)
        .ok_or_else(|| invalid("org-number", "must look like 556677-8899"))?;
    let email =
        Email::parse(owner_email).ok_or_else(|| invalid("email", "not an email address"))?;
    let company: Option<(Uuid, String)> = with_pool!(db, |pool| {
        sqlx::query_as("SELECT id, name FROM companies WHERE org_number = $1")
            .bind(&org)
            .fetch_optional(pool)
            .await
    })?;
    let (company_id, name) = company.ok_or(OperatorError::NoSuchCompany(org.clone()))?;
    if crate::members::store::owner_count(db, company_id).await? > 0 {
        return Err(invalid(
            "org-number",
            "this company already has an owner; ownership moves by transfer in the portal",
        ));
    }
    let mail = templates::welcome_owner(
        lang,
        email.as_str(),
        &name,
        &format!("{public_url}/sign-in"),
    );
    with_pool!(db, |pool| {
        let mut tx = pool.begin().await?;
        make_owner!(tx, company_id, email, "company.owner_set", now);
        enqueue_mail!(&mut *tx, mail, "welcome_owner", Some(company_id), now)?;
        tx.commit().await
    })?;
    Ok(())
}

/// (organisation number, name, active members, owner emails) of every company.
pub async fn list_companies(db: &Db) -> Result<Vec<(String, String, i64, String)>, OperatorError> {
    let rows: Vec<(String, String, i64, Option<String>)> = with_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT c.org_number, c.name,
                    (SELECT COUNT(*) FROM memberships m WHERE m.company_id = c.id AND m.status = 'active'),
                    (SELECT MIN(u.email) FROM memberships m JOIN users u ON u.id = m.user_id
                     WHERE m.company_id = c.id AND m.role = 'owner' AND m.status = 'active')
             FROM companies c ORDER BY c.name",
        )
        .fetch_all(pool)
        .await
    })?;
    Ok(rows
        .into_iter()
        .map(|(o, n, c, e)| (o, n, c, e.unwrap_or_else(|| "(no owner)".into())))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::parse_org_number;

    #[test]
    fn organisation_numbers_are_normalised() {
        assert_eq!(
            parse_org_number("5566778899").as_deref(),
            Some("556677-8899")
        );
        assert_eq!(
            parse_org_number(" 556677-8899").as_deref(),
            Some("556677-8899")
        );
        assert_eq!(parse_org_number("556677-889"), None);
        assert_eq!(parse_org_number("55667a-8899"), None);
    }
}
