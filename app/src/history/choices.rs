//! What the history's filter form offers: the company's cost centers, the facilities, the
//! years with sessions, and the name of a person the URL picks (never for a member).

use chrono::Datelike;
use uuid::Uuid;

use super::{store, FilterChoices};
use crate::{auth::TenantCtx, db::Db, error::AppError};

/// What the filter form offers.
pub async fn options(
    db: &Db,
    ctx: &TenantCtx,
    member: &str,
    now: i64,
    lang: crate::i18n::Lang,
) -> Result<FilterChoices, AppError> {
    let cost_centers = crate::companies::store::cost_centers(db, ctx.scope())
        .await?
        .into_iter()
        .map(|c| (c.id, format!("{} {}", c.code, c.name)))
        .collect();
    let facilities = crate::facilities::store::names(db).await?;
    let first = store::first_session_at(db, ctx.scope()).await?;
    let member_name = match Uuid::parse_str(member.trim()) {
        Ok(id) if ctx.role().sees_company_records() => {
            store::person_name(db, ctx.scope(), id).await?
        }
        Err(_) if member.trim() == super::filter::GUESTS && ctx.role().sees_company_records() => {
            Some(lang.texts().history_guests.to_owned())
        }
        _ => None,
    };
    let tz = ctx.company().zone();
    let local = |ts: i64| crate::calendar::local_date(tz, ts);
    let year = |ts: i64| local(ts).year();
    let this_year = year(now);
    let first_year = first.map(year).unwrap_or(this_year).min(this_year);
    Ok(FilterChoices {
        cost_centers,
        facilities: facilities
            .into_iter()
            .map(|f| (f.id, format!("{}, {}", f.name, f.city)))
            .collect(),
        years: (first_year..=this_year).rev().collect(),
        member_name,
        role_member: !ctx.role().sees_company_records(),
        current_year: this_year,
        current_month: local(now).month(),
        plate_example: crate::plate::example(ctx.company().country()).to_owned(),
    })
}
