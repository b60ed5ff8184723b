//! The invoices domain's server functions: authorise, call the service or store, answer.

use super::model::*;
#[cfg(feature = "ssr")]
use super::spec;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::error::Reason;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use uuid::Uuid;

/// The company's invoices, filtered by year and status.
#[server(prefix = "/api", endpoint = "invoices", input = server_fn::codec::GetUrl)]
pub async fn list_invoices(query: InvoiceQuery) -> Result<InvoiceList, AppError> {
    crate::answer::json(async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        require_finance(&ctx)?;
        let (ctx, query) = (&ctx, &query);
        let (now, lang) = (crate::db::now_ts(), crate::i18n::lang_of_request());
        state
            .read(|db| async move { spec::list(&db, ctx, query, now, lang).await })
            .await
    })
    .await
}

/// One invoice's specification; `group` shows the lines of one group of a large invoice.
#[server(prefix = "/api", endpoint = "invoice", input = server_fn::codec::GetUrl)]
pub async fn invoice_specification(id: String, group: String) -> Result<InvoiceSpec, AppError> {
    crate::answer::json(async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        require_finance(&ctx)?;
        let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
        if group.chars().count() > 40 {
            return Err(AppError::invalid("group", Reason::TooLong));
        }
        let (ctx, group) = (&ctx, group.trim());
        let (now, lang) = (crate::db::now_ts(), crate::i18n::lang_of_request());
        state
            .read(|db| async move { spec::specification(&db, ctx, id, group, now, lang).await })
            .await
    })
    .await
}

/// Every line of an invoice for the CSV the browser builds. Writes the export to the audit
/// log (the lines name people), so a POST that needs the CSRF token.
#[server(
    prefix = "/api",
    endpoint = "invoice_export",
    client = crate::csrf_client::CsrfClient,
    output = server_fn::codec::Postcard
)]
pub async fn export_invoice(id: String) -> Result<Vec<SpecCsvRow>, AppError> {
    crate::answer::json(async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        require_finance(&ctx)?;
        let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
        spec::export(&state.db, &ctx, id, crate::db::now_ts()).await
    })
    .await
}

#[cfg(feature = "ssr")]
fn require_finance(ctx: &crate::auth::TenantCtx) -> Result<(), AppError> {
    if ctx.role().sees_company_records() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}
