//! The history's rules that need more than one read: the CSV export's chunks (a signed
//! cursor per session and filter, the audit entry on the first chunk, the next chunk built
//! ahead while the browser handles this one). The table, the totals and the filter's choices
//! are one store read each and stay in `api.rs`.

use super::{ahead, filter, store, ExportChunk, HistoryQuery, EXPORT_CHUNK};
use crate::{
    auth::TenantCtx,
    crypto::{export_cursor_mac, export_cursor_matches, SecretKey},
    error::{AppError, Reason},
    state::AppState,
};

/// What one session's export needs besides the request: the databases (the primary for the
/// audit entry, a read replica when there is one for the rows), the key that signs its
/// cursors, the session they are signed for, and the read-ahead cache.
pub struct Export<'a> {
    pub state: &'a AppState,
    pub key: &'a SecretKey,
    pub session_token_hash: &'a [u8],
    pub read_ahead: &'a ahead::ReadAhead,
}

impl Export<'_> {
    /// One chunk of the export: the same filter and authorisation as the table, ordered by
    /// start (newest first), `EXPORT_CHUNK` rows from the cursor `query.after`. The first
    /// chunk (no cursor) writes the export to the audit log with the filter and its row count
    /// and carries the total.
    pub async fn chunk(
        &self,
        ctx: &TenantCtx,
        query: HistoryQuery,
        now: i64,
    ) -> Result<ExportChunk, AppError> {
        let filter_text = crate::url::with_query("", &query.without_paging().pairs());
        // Later chunks carry the cursor the previous chunk handed out, signed for this session
        // and filter (`<cursor>~<mac>`); a cursor made up by the client is refused, so no
        // export gets past the first chunk, which writes the audit entry.
        let original_after = query.after.clone();
        let after = match query.after.split_once('~') {
            None if query.after.is_empty() => String::new(),
            Some((cursor, mac))
                if export_cursor_matches(
                    self.key,
                    self.session_token_hash,
                    &filter_text,
                    cursor,
                    mac,
                ) =>
            {
                cursor.to_owned()
            }
            _ => return Err(AppError::invalid("after", Reason::NotAPosition)),
        };
        let query = HistoryQuery {
            sort: String::new(),
            size: String::new(),
            after,
            ..query
        };
        let mut f = filter::resolve(ctx, &query, now).await?;
        f.limit = EXPORT_CHUNK;
        let total = if query.after.is_empty() {
            let fr = &f;
            let rows = (self.state)
                .read(|db| async move { store::filter_totals(&db, fr).await })
                .await?
                .sessions;
            filter::audit_export(&self.state.db, ctx, &query, rows, now).await?;
            Some(rows)
        } else {
            None
        };
        // Built ahead while the browser fetched the previous chunk (ahead.rs), or now.
        let ahead_key = |signed: &str| ahead::ReadAhead::key(self.session_token_hash, signed);
        let built = if original_after.is_empty() {
            None
        } else {
            self.read_ahead.take(&ahead_key(&original_after), &f).await
        };
        let (mut chunk, names) = match built {
            Some(built) => built,
            None => {
                let fr = &f;
                (self.state)
                    .read(|db| async move {
                        let mut names = store::ExportNames::default();
                        let chunk = store::export_chunk_with(&db, fr, &mut names).await?;
                        Ok::<_, sqlx::Error>((chunk, names))
                    })
                    .await?
            }
        };
        chunk.total = total;
        if let Some(cursor) = chunk.next.take() {
            let mac = export_cursor_mac(self.key, self.session_token_hash, &filter_text, &cursor);
            let signed = format!("{cursor}~{mac}");
            if let Ok(after) = filter::parse_cursor(&cursor) {
                let next = filter::Filter { after, ..f };
                self.read_ahead
                    .start(ahead_key(&signed), self.state.read_db(), next, names);
            }
            chunk.next = Some(signed);
        }
        Ok(chunk)
    }
}
