//! The CSV export on `/history`: the panel (choices, progress, cancel, the finished file)
//! and, in the browser, the loop that fetches the chunks and builds the file.

use leptos::prelude::*;

use super::{HistoryPageData, HistoryQuery};
use crate::{
    error::AppError,
    i18n::{use_lang, use_texts},
    ids,
    ui::error_text,
};

/// Export state shown by the panel (changed only by the browser's export loop).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum ExportState {
    Idle,
    Running { done: i64, total: i64 },
    Done { rows: i64, file: String },
    Cancelled,
    Failed(AppError),
}

#[component]
pub(super) fn ExportPanel(
    query: Memo<HistoryQuery>,
    total: i64,
    data: HistoryPageData,
) -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    let defaults = crate::csv_io::write::CsvOptions::for_lang(lang);
    let state = RwSignal::new(ExportState::Idle);
    let cancel = RwSignal::new(false);
    let separator = RwSignal::new(defaults.separator);
    let decimal_comma = RwSignal::new(defaults.decimal_comma);
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let file = super::csv::file_name(&data.company_slug, &data.period_slug);
    let currency = data.currency.clone();
    let start = move |_| {
        cancel.set(false);
        let opt = crate::csv_io::write::CsvOptions {
            separator: separator.get_untracked(),
            decimal_comma: decimal_comma.get_untracked(),
        };
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(browser::run(
            query.get_untracked(),
            opt,
            lang,
            currency.clone(),
            file.clone(),
            state,
            cancel,
        ));
        #[cfg(not(feature = "hydrate"))]
        let _ = (opt, &file, &currency, query);
    };
    let running = move || matches!(state.get(), ExportState::Running { .. });
    let status = move || {
        match state.get() {
        ExportState::Idle => ().into_any(),
        ExportState::Running { done, total } => view! {
            <div class="progress" role="status" id=ids::EXPORT_PROGRESS>
                <progress max=total.max(1) value=done></progress>
                <span>{format!("{} / {} {}", lang.int(done), lang.int(total), t.history_rows)}</span>
                <button type="button" class="button secondary small" id=ids::EXPORT_CANCEL on:click=move |_| cancel.set(true)>{t.cancel}</button>
            </div>
        }
        .into_any(),
        ExportState::Done { rows, file } => view! {
            <p class="notice" role="status" id=ids::EXPORT_DONE>{format!("{} {} {} ({file}).", t.history_exported, lang.int(rows), t.history_rows)}</p>
        }
        .into_any(),
        ExportState::Cancelled => view! { <p class="notice" role="status">{t.history_export_cancelled}</p> }.into_any(),
        ExportState::Failed(e) => view! { <p class="error" role="alert">{error_text(&e, t)}</p> }.into_any(),
    }
    };
    view! {
        <details class="panel export" id=ids::EXPORT_PANEL>
            <summary class="disclosure"><h2>{t.history_export_title}</h2></summary>
            <p class="hint">{t.history_export_intro}</p>
            <div class="export-options">
                <div class="field">
                    <label for=ids::EXPORT_SEPARATOR>{t.history_separator}</label>
                    <select id=ids::EXPORT_SEPARATOR on:change=move |ev| separator.set(if event_target_value(&ev) == "," { ',' } else { ';' })>
                        <option value=";" selected=defaults.separator == ';'>"; "{t.history_semicolon}</option>
                        <option value="," selected=defaults.separator == ','>", "{t.history_comma}</option>
                    </select>
                </div>
                <div class="field">
                    <label for=ids::EXPORT_DECIMAL>{t.history_decimal}</label>
                    <select id=ids::EXPORT_DECIMAL on:change=move |ev| decimal_comma.set(event_target_value(&ev) == "comma")>
                        <option value="comma" selected=defaults.decimal_comma>"12,50"</option>
                        <option value="point" selected=!defaults.decimal_comma>"12.50"</option>
                    </select>
                </div>
                <button type="button" class="button" id=ids::EXPORT_START disabled=move || !hydrated.get() || running() || total == 0 on:click=start>
                    {format!("{} ({} {})", t.history_export_button, lang.int(total), t.history_rows)}
                </button>
            </div>
            <noscript><p class="hint">{t.history_export_needs_js}</p></noscript>
            <div aria-live="polite">{status}</div>
        </details>
    }
}

/// The export loop, in the browser: fetch chunk n+1 while building chunk n's CSV, collect the
/// text parts, and hand one Blob to the browser's download.
#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use leptos::wasm_bindgen::JsValue;

    use super::{super::csv, ExportState};
    use crate::{error::AppError, history::HistoryQuery};

    fn now_ms() -> f64 {
        web_sys::window()
            .and_then(|w| w.performance())
            .map(|p| p.now())
            .unwrap_or(0.0)
    }

    /// Lets the tasks queued so far run up to their next await.
    async fn yield_to_microtasks() {
        let resolved = js_sys::Promise::resolve(&JsValue::UNDEFINED);
        let _ = wasm_bindgen_futures::JsFuture::from(resolved).await;
    }

    fn fetch(
        query: HistoryQuery,
    ) -> futures::channel::oneshot::Receiver<Result<crate::history::ExportChunk, AppError>> {
        let (tx, rx) = futures::channel::oneshot::channel();
        leptos::task::spawn_local(async move {
            let _ = tx.send(crate::history::export_history(query).await);
        });
        rx
    }

    pub async fn run(
        query: HistoryQuery,
        opt: crate::csv_io::write::CsvOptions,
        lang: crate::i18n::Lang,
        currency: String,
        file: String,
        state: RwSignal<ExportState>,
        cancel: RwSignal<bool>,
    ) {
        let started = now_ms();
        let mut build_ms = 0.0;
        let mut longest_build_ms: f64 = 0.0;
        // Each chunk's text becomes a Blob at once: its bytes leave the JS heap for the
        // browser's blob store, so a million rows do not sit in memory as strings.
        let parts = js_sys::Array::new();
        let piece = |text: &str| {
            web_sys::Blob::new_with_str_sequence(&js_sys::Array::of1(&JsValue::from_str(text)))
        };
        let mut text = String::from(crate::csv_io::write::BOM);
        csv::push_header(&mut text, lang.texts(), &currency, opt);
        match piece(&text) {
            Ok(b) => parts.push(&b),
            Err(_) => return state.set(ExportState::Failed(AppError::internal())),
        };
        let mut total = 0;
        let mut done = 0i64;
        state.set(ExportState::Running { done: 0, total: 0 });
        let mut pending = Some(fetch(HistoryQuery {
            after: String::new(),
            ..query.clone()
        }));
        while let Some(rx) = pending.take() {
            let chunk = match rx.await {
                Ok(Ok(c)) => c,
                Ok(Err(e)) => return state.set(ExportState::Failed(e)),
                Err(_) => return state.set(ExportState::Failed(AppError::internal())),
            };
            if cancel.get_untracked() {
                return state.set(ExportState::Cancelled);
            }
            if let Some(n) = chunk.total {
                total = n;
            }
            // Ask for the next chunk before building this one: the network and the
            // database work while the CSV is being built.
            pending = chunk.next.clone().map(|after| {
                fetch(HistoryQuery {
                    after,
                    ..query.clone()
                })
            });
            // `spawn_local` only queues the fetch: let it run up to its first await, which
            // sends the request, before the synchronous build below holds the main thread —
            // otherwise the request leaves only after the build and the two never overlap.
            yield_to_microtasks().await;
            let t0 = now_ms();
            text.clear();
            csv::push_chunk(&mut text, &chunk, lang, opt);
            match piece(&text) {
                Ok(b) => parts.push(&b),
                Err(_) => return state.set(ExportState::Failed(AppError::internal())),
            };
            let spent = now_ms() - t0;
            build_ms += spent;
            longest_build_ms = longest_build_ms.max(spent);
            done += chunk.rows.len() as i64;
            state.set(ExportState::Running {
                done,
                total: total.max(done),
            });
        }
        if cancel.get_untracked() {
            return state.set(ExportState::Cancelled);
        }
        let bag = web_sys::BlobPropertyBag::new();
        bag.set_type("text/csv;charset=utf-8");
        let Ok(blob) = web_sys::Blob::new_with_blob_sequence_and_options(&parts, &bag) else {
            return state.set(ExportState::Failed(AppError::internal()));
        };
        let blob_ms = now_ms() - started;
        // Figures for the benchmark (end2end/bench-export.js) and for anyone curious.
        if let Some(w) = web_sys::window() {
            let stats = js_sys::Object::new();
            for (k, v) in [
                ("rows", done as f64),
                ("totalMs", blob_ms),
                ("buildMs", build_ms),
                ("longestBuildMs", longest_build_ms),
                ("bytes", blob.size()),
            ] {
                let _ = js_sys::Reflect::set(&stats, &JsValue::from_str(k), &JsValue::from_f64(v));
            }
            let _ = js_sys::Reflect::set(&w, &JsValue::from_str("__portalExport"), &stats);
            // The file itself stays reachable only when the benchmark asked for it (it
            // compares papaparse on the same rows): personal data is not left lying around.
            let bench = js_sys::Reflect::get(&w, &JsValue::from_str("__portalBenchmark"))
                .map(|v| v.is_truthy())
                .unwrap_or(false);
            if bench {
                let _ = js_sys::Reflect::set(&w, &JsValue::from_str("__portalExportBlob"), &blob);
            }
        }
        if !crate::csv_io::write::download(&blob, &file) {
            return state.set(ExportState::Failed(AppError::internal()));
        }
        state.set(ExportState::Done { rows: done, file });
    }
}
