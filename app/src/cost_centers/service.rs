//! The rules of cost centers: who may change them (owners and admins; finance viewers read),
//! what a code and a name may be, that an archived cost center is not offered for new
//! assignments, and the defaults import (all rows valid, then all applied in one
//! transaction, or nothing). Every change goes to the audit log in the same transaction.
//!
//! A changed default re-tags nothing: it applies to sessions that arrive afterwards (the
//! ingestion service reads it then). The page says so.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::{ImportResult, ImportRowView};
use crate::{
    audit::{store as audit, AuditAction},
    auth::TenantCtx,
    companies::{
        store::{self as companies, CostCenterRow},
        Email, Role,
    },
    csv_io::read::CsvRow,
    db::{Db, Tx},
    error::{AppError, Reason},
};

pub const MAX_CODE: usize = 20;
pub const MAX_NAME: usize = 100;

/// Owners and admins manage cost centers and defaults.
pub fn may_manage(role: Role) -> bool {
    matches!(role, Role::Owner | Role::Admin)
}

fn require_manager(ctx: &TenantCtx) -> Result<(), AppError> {
    if may_manage(ctx.role()) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// A trimmed, non-empty text of at most `max` characters without control characters.
fn text(field: &str, raw: &str, max: usize) -> Result<String, AppError> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(AppError::invalid(field, Reason::Missing));
    }
    if v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(AppError::invalid(field, Reason::TooLong));
    }
    Ok(v.to_owned())
}

pub async fn create(
    db: &Db,
    ctx: &TenantCtx,
    code: &str,
    name: &str,
    now: i64,
) -> Result<Uuid, AppError> {
    require_manager(ctx)?;
    let code = text("code", code, MAX_CODE)?;
    let name = text("name", name, MAX_NAME)?;
    let scope = ctx.scope();
    let row = CostCenterRow {
        id: Uuid::new_v4(),
        company_id: scope.company_id(),
        code: code.clone(),
        name: name.clone(),
    };
    let mut tx = db.begin().await?;
    let taken = companies::cost_center_ids(&mut tx, &[scope], &[code.as_str()])
        .await?
        .contains_key(&(scope.company_id(), code.clone()));
    if taken {
        return Err(AppError::invalid("code", Reason::Taken));
    }
    companies::insert_cost_center(&mut tx, scope, &row, now).await?;
    audit::record(
        &mut tx,
        ctx,
        AuditAction::CostCenterCreated,
        None,
        serde_json::json!({ "code": code, "name": name }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(row.id)
}

pub async fn rename(
    db: &Db,
    ctx: &TenantCtx,
    id: Uuid,
    name: &str,
    now: i64,
) -> Result<(), AppError> {
    require_manager(ctx)?;
    let name = text("name", name, MAX_NAME)?;
    let mut tx = db.begin().await?;
    let before = companies::cost_center_entry(&mut tx, ctx.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if before.name == name {
        return Ok(());
    }
    companies::rename_cost_center(&mut tx, ctx.scope(), id, &name).await?;
    audit::record(
        &mut tx,
        ctx,
        AuditAction::CostCenterRenamed,
        None,
        serde_json::json!({ "code": before.code, "from": before.name, "to": name }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Archives or restores. History and costs keep an archived cost center; it is only no
/// longer offered (nor accepted) for new defaults.
pub async fn set_archived(
    db: &Db,
    ctx: &TenantCtx,
    id: Uuid,
    archived: bool,
    now: i64,
) -> Result<(), AppError> {
    require_manager(ctx)?;
    let mut tx = db.begin().await?;
    let before = companies::cost_center_entry(&mut tx, ctx.scope(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if before.archived_at.is_some() == archived {
        return Ok(());
    }
    companies::set_cost_center_archived(&mut tx, ctx.scope(), id, archived.then_some(now)).await?;
    let action = if archived {
        AuditAction::CostCenterArchived
    } else {
        AuditAction::CostCenterRestored
    };
    audit::record(
        &mut tx,
        ctx,
        action,
        None,
        serde_json::json!({ "code": before.code, "name": before.name }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The company's cost center by id, refused when unknown or archived.
async fn assignable(tx: &mut Tx, ctx: &TenantCtx, id: Uuid) -> Result<String, AppError> {
    let cc = companies::cost_center_entry(tx, ctx.scope(), id)
        .await?
        .ok_or(AppError::invalid("cost_center", Reason::UnknownCostCenter))?;
    if cc.archived_at.is_some() {
        return Err(AppError::invalid("cost_center", Reason::Archived));
    }
    Ok(cc.code)
}

/// Sets one member's default (`None`: none).
pub async fn set_default(
    db: &Db,
    ctx: &TenantCtx,
    user_id: Uuid,
    cost_center: Option<Uuid>,
    now: i64,
) -> Result<(), AppError> {
    require_manager(ctx)?;
    let mut tx = db.begin().await?;
    let code = match cost_center {
        Some(id) => Some(assignable(&mut tx, ctx, id).await?),
        None => None,
    };
    if !companies::set_default_cost_center(&mut tx, ctx.scope(), user_id, cost_center).await? {
        return Err(AppError::invalid("member", Reason::NotAMember));
    }
    audit::record(
        &mut tx,
        ctx,
        AuditAction::DefaultCostCenterSet,
        Some(user_id),
        serde_json::json!({ "cost_center": code }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Checks every row of a defaults file (`email;cost_center_code`; an empty code clears the
/// default) and, when `apply` and every row is valid, sets them all in one transaction with
/// one audit entry per changed member. A file with any bad row changes nothing.
pub async fn import_defaults(
    db: &Db,
    ctx: &TenantCtx,
    rows: &[CsvRow],
    apply: bool,
    now: i64,
) -> Result<ImportResult, AppError> {
    require_manager(ctx)?;
    let scope = ctx.scope();
    let mut tx = db.begin().await?;
    let emails: Vec<Email> = rows.iter().filter_map(|r| Email::parse(&r.email)).collect();
    let members = companies::active_members_by_email(
        &mut tx,
        scope,
        &emails.iter().map(Email::as_str).collect::<Vec<_>>(),
    )
    .await?;
    let centers: HashMap<String, (Uuid, bool, String)> = companies::cost_center_entries(db, scope)
        .await?
        .into_iter()
        .map(|c| {
            (
                c.code.clone(),
                (
                    c.id,
                    c.archived_at.is_some(),
                    format!("{} {}", c.code, c.name),
                ),
            )
        })
        .collect();
    let names_by_id: HashMap<Uuid, String> = centers
        .values()
        .map(|(id, _, label)| (*id, label.clone()))
        .collect();
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Vec::with_capacity(rows.len());
    // (user, new default, code) of the valid rows that change something.
    let mut changes: Vec<(Uuid, Option<Uuid>, String)> = Vec::new();
    for r in rows {
        let mut view = ImportRowView {
            line: r.line,
            email: r.email.clone(),
            code: r.cost_center.clone(),
            from: String::new(),
            to: String::new(),
            problem: None,
        };
        let problem = (|| {
            let email = Email::parse(&r.email).ok_or(Reason::NotEmail)?;
            if !seen.insert(email.as_str().to_owned()) {
                return Err(Reason::Duplicate);
            }
            let (user, current) = *members.get(email.as_str()).ok_or(Reason::NotAMember)?;
            let code = r.cost_center.trim();
            let target = if code.is_empty() {
                None
            } else {
                let (id, archived, _) = centers.get(code).ok_or(Reason::UnknownCostCenter)?;
                if *archived {
                    return Err(Reason::Archived);
                }
                Some(*id)
            };
            Ok((user, current, target, code.to_owned()))
        })();
        match problem {
            Ok((user, current, target, code)) => {
                view.from = current
                    .and_then(|c| names_by_id.get(&c).cloned())
                    .unwrap_or_default();
                view.to = target
                    .and_then(|c| names_by_id.get(&c).cloned())
                    .unwrap_or_default();
                if current != target {
                    changes.push((user, target, code));
                }
            }
            Err(reason) => view.problem = Some(reason),
        }
        out.push(view);
    }
    let bad = out.iter().filter(|r| r.problem.is_some()).count();
    let good = out.len() - bad;
    let mut applied = 0;
    if apply && bad == 0 {
        for (user, target, code) in &changes {
            companies::set_default_cost_center(&mut tx, scope, *user, *target).await?;
            audit::record(&mut tx, ctx,
                AuditAction::DefaultCostCenterSet,
                Some(*user),
                serde_json::json!({ "cost_center": (!code.is_empty()).then_some(code), "import": true }),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        applied = changes.len();
    }
    Ok(ImportResult {
        rows: out,
        good,
        bad,
        changes: changes.len(),
        applied,
        refused: apply && bad > 0,
    })
}
