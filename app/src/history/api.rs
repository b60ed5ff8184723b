//! The history domain's server functions: authorise, call the service or store, answer.

use super::model::*;
#[cfg(feature = "ssr")]
use super::{ahead, choices, filter, format, service, store};
use crate::error::AppError;
use leptos::prelude::*;

/// One page of the history table.
#[server(prefix = "/api", endpoint = "history", input = server_fn::codec::GetUrl)]
pub async fn list_history(query: HistoryQuery) -> Result<HistoryPageData, AppError> {
    crate::answer::json(async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        let f = filter::resolve(&ctx, &query, crate::db::now_ts()).await?;
        let lang = crate::i18n::lang_of_request();
        let fr = &f;
        let (rows, next) = state
            .read(|db| async move { store::page(&db, fr).await })
            .await?;
        Ok(HistoryPageData {
            rows: rows
                .into_iter()
                .map(|r| format::format_row(&f, r, lang))
                .collect(),
            next,
            period: f.period_label(lang),
            period_slug: f.period_slug(),
            company_slug: f.company_slug.clone(),
            currency: ctx.company().currency.clone(),
            members_only_own: f.own_only,
            earlier: f.earlier(lang),
        })
    })
    .await
}

/// The totals of the whole filter (paging does not change them).
#[server(prefix = "/api", endpoint = "history_totals", input = server_fn::codec::GetUrl)]
pub async fn history_totals(query: HistoryQuery) -> Result<TotalsView, AppError> {
    crate::answer::json(async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        let f = filter::resolve(&ctx, &query, crate::db::now_ts()).await?;
        let fr = &f;
        let totals = state
            .read(|db| async move { store::filter_totals(&db, fr).await })
            .await?;
        Ok(format::format_totals(
            &f,
            totals,
            crate::i18n::lang_of_request(),
        ))
    })
    .await
}

/// The choices of the filter form.
#[server(prefix = "/api", endpoint = "history_options", input = server_fn::codec::GetUrl)]
pub async fn history_options(member: String) -> Result<FilterChoices, AppError> {
    crate::answer::json(async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        let (ctx, member) = (&ctx, member.as_str());
        let (now, lang) = (crate::db::now_ts(), crate::i18n::lang_of_request());
        state
            .read(|db| async move { choices::options(&db, ctx, member, now, lang).await })
            .await
    })
    .await
}

/// One chunk of the CSV export: the same filter and authorisation as the table, ordered by
/// start (newest first), `EXPORT_CHUNK` rows from the cursor `after`. The first chunk (no
/// cursor) writes the export to the audit log with the filter and its row count. A POST, so
/// that writing the audit entry needs the CSRF token. The answer is postcard (compact
/// binary), not JSON: a chunk is a third of the bytes and decodes several times faster in
/// the WASM (docs/benchmarks.md, "CSV export").
#[server(
    prefix = "/api",
    endpoint = "history_export",
    client = crate::csrf_client::CsrfClient,
    output = server_fn::codec::Postcard
)]
pub async fn export_history(query: HistoryQuery) -> Result<ExportChunk, AppError> {
    crate::answer::json(async move {
        let state = crate::state::use_app_state()?;
        let ctx = crate::auth::tenant().await?;
        let session = crate::auth::request_session().ok_or(AppError::Unauthorized)?;
        // Provided by the server as its own context (not a field of `AppState`, which sits
        // below every domain and so may not name a history type).
        let read_ahead = use_context::<ahead::ReadAhead>().unwrap_or_default();
        let export = service::Export {
            state: &state,
            key: &state.key,
            session_token_hash: &session.row.token_hash,
            read_ahead: &read_ahead,
        };
        export.chunk(&ctx, query, crate::db::now_ts()).await
    })
    .await
}
