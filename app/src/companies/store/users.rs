//! People: portal users and the operator's app users (the ingestion API creates and links them).

use uuid::Uuid;

use crate::{
    companies::Email,
    db::{Conn, Db, KeyLookup, Tx},
    with_conn, with_pool, with_tx,
};

/// Finds the user with this email, or creates one (with `id` and `display_name`); returns
/// the user's id. An existing user keeps their id and name.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::upsert_user")
)]
pub async fn upsert_user<'c>(
    conn: impl Into<Conn<'c>>,
    id: Uuid,
    email: &Email,
    display_name: &str,
    now: i64,
) -> Result<Uuid, sqlx::Error> {
    with_conn!(conn, |conn| {
        sqlx::query_scalar(
            "INSERT INTO users (id, email, display_name, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (email) DO UPDATE SET display_name = users.display_name
             RETURNING id",
        )
        .bind(id)
        .bind(email.as_str())
        .bind(display_name)
        .bind(now)
        .fetch_one(&mut *conn)
        .await
    })
}

#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::set_app_signed_in")
)]
pub async fn set_app_signed_in(db: &Db, user_id: Uuid, at: i64) -> Result<(), sqlx::Error> {
    with_pool!(db, |pool| {
        sqlx::query(
            "UPDATE users SET app_signed_in_at = $2 WHERE id = $1 AND app_signed_in_at IS NULL",
        )
        .bind(user_id)
        .bind(at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// A user as the ingestion API matches them: by email or by the operator's id.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserKeys {
    pub id: Uuid,
    pub email: String,
    pub operator_user_id: Option<String>,
    pub app_version: i64,
}

/// Which column [`users_by`] matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserKey {
    Email,
    OperatorId,
}

/// The users with these emails (normalised) or operator ids.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::users_by")
)]
pub async fn users_by(
    tx: &mut Tx,
    key: UserKey,
    values: &[&str],
) -> Result<Vec<UserKeys>, sqlx::Error> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let column = match key {
        UserKey::Email => "email",
        UserKey::OperatorId => "operator_user_id",
    };
    KeyLookup::new(format!(
        "SELECT id, email, operator_user_id, app_version FROM users WHERE {column}"
    ))
    .in_texts(values)
    .fetch_all(tx)
    .await
}

/// An app user's profile as the operator sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppUserProfile {
    pub email: Email,
    pub operator_user_id: Option<String>,
    pub display_name: String,
    pub app_signed_in_at: Option<i64>,
    pub app_version: i64,
}

/// Creates users that do not exist yet (a user already holding the email or the operator id
/// is left alone); returns how many were created. Look the ids up with [`users_by`] after.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::insert_app_users")
)]
pub async fn insert_app_users(
    tx: &mut Tx,
    users: &[(Uuid, &AppUserProfile)],
    now: i64,
) -> Result<u64, sqlx::Error> {
    let mut created = 0;
    // 7 parameters a row: far under both engines' limits at 1,000 rows.
    for chunk in users.chunks(2_000) {
        created += with_tx!(tx, |conn| {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO users (id, email, operator_user_id, display_name, app_signed_in_at,
                                    app_version, created_at) ",
            );
            qb.push_values(chunk, |mut b, (id, u)| {
                b.push_bind(*id)
                    .push_bind(u.email.as_str())
                    .push_bind(u.operator_user_id.as_deref())
                    .push_bind(u.display_name.as_str())
                    .push_bind(u.app_signed_in_at)
                    .push_bind(u.app_version)
                    .push_bind(now);
            });
            qb.push(" ON CONFLICT DO NOTHING");
            qb.build()
                .execute(&mut *conn)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    Ok(created)
}

/// Links a user to the operator's id (when it has none) and takes the profile when it is
/// newer than the stored one; an older profile changes nothing. Returns whether it changed.
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::update_app_user")
)]
pub async fn update_app_user(
    tx: &mut Tx,
    user_id: Uuid,
    u: &AppUserProfile,
) -> Result<bool, sqlx::Error> {
    let r = with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE users SET
                operator_user_id = COALESCE(operator_user_id, $2),
                display_name = CASE WHEN app_version < $5 THEN $3 ELSE display_name END,
                app_signed_in_at = CASE WHEN app_version < $5 THEN $4 ELSE app_signed_in_at END,
                app_version = CASE WHEN app_version < $5 THEN $5 ELSE app_version END
             WHERE id = $1 AND (app_version < $5 OR (operator_user_id IS NULL AND $2 IS NOT NULL))",
        )
        .bind(user_id)
        .bind(u.operator_user_id.as_deref())
        .bind(u.display_name.as_str())
        .bind(u.app_signed_in_at)
        .bind(u.app_version)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(r > 0)
}

/// Gives a user the operator's id when they have none yet (an invited member whose first
/// session names both their email and their app account).
#[tracing::instrument(
    name = "db",
    level = "debug",
    skip_all,
    fields(op = "companies::link_operator_id")
)]
pub async fn link_operator_id(
    tx: &mut Tx,
    user_id: Uuid,
    operator_user_id: &str,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE users SET operator_user_id = $2 WHERE id = $1 AND operator_user_id IS NULL",
        )
        .bind(user_id)
        .bind(operator_user_id)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}
