//! `/invoices?year=…&status=…` (the list) and `/invoices/{id}?group=…` (the specification).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::Form,
    hooks::{use_params_map, use_query_map},
};

use super::{
    invoice_specification, list_invoices, InvoiceItem, InvoiceQuery, InvoiceSpec, InvoiceStatus,
    SpecGroup,
};
use crate::{
    error::AppError,
    i18n::{use_lang, use_texts},
    ids,
    ui::{error_text, load_failure},
    url::with_query,
};

fn failure(e: AppError, t: &'static crate::i18n::Texts) -> AnyView {
    match e {
        AppError::NotFound => {
            view! { <p class="error" role="alert">{t.invoice_not_found}</p> }.into_any()
        }
        e => load_failure(e, t, t.members_forbidden),
    }
}

#[component]
fn StatusBadge(status: InvoiceStatus) -> impl IntoView {
    let t = use_texts();
    view! { <span class="badge status" data-status=status.as_str()>{status.label(t)}</span> }
}

#[component]
pub fn InvoicesPage() -> impl IntoView {
    let t = use_texts();
    let q = use_query_map();
    let query = Memo::new(move |_| {
        q.with(|m| InvoiceQuery {
            year: m.get("year").unwrap_or_default(),
            status: m.get("status").unwrap_or_default(),
        })
    });
    let list = Resource::new(move || query.get(), list_invoices);
    let body = move || {
        Suspend::new(async move {
            let l = match list.await {
                Ok(l) => l,
                Err(e) => return failure(e, t),
            };
            let q = query.get_untracked();
            let years = l
                .years
                .iter()
                .map(|y| {
                    let y = y.to_string();
                    let selected = q.year == y;
                    view! { <option value=y.clone() selected=selected>{y.clone()}</option> }
                })
                .collect_view();
            let statuses = InvoiceStatus::ALL
                .into_iter()
                .map(|s| {
                    let selected = q.status == s.as_str();
                    view! { <option value=s.as_str() selected=selected>{s.label(t)}</option> }
                })
                .collect_view();
            let rows = if l.items.is_empty() {
                view! { <p class="empty">{t.invoices_empty}</p> }.into_any()
            } else {
                view! { <InvoiceTable items=l.items /> }.into_any()
            };
            view! {
                <Form method="GET" action="/invoices" attr:class="filters" attr:role="search">
                    <div class="field">
                        <label for=ids::INVOICES_YEAR>{t.history_year}</label>
                        <select id=ids::INVOICES_YEAR name="year">
                            <option value="">{t.invoices_all_years}</option>
                            {years}
                        </select>
                    </div>
                    <div class="field">
                        <label for=ids::INVOICES_STATUS>{t.invoice_status}</label>
                        <select id=ids::INVOICES_STATUS name="status">
                            <option value="">{t.invoices_all_statuses}</option>
                            {statuses}
                        </select>
                    </div>
                    <div class="actions">
                        <button type="submit" class="button" id=ids::INVOICES_SUBMIT>{t.search_button}</button>
                    </div>
                </Form>
                <dl class="totals">
                    <div><dt>{t.invoices_outstanding}</dt><dd class="cost" id=ids::INVOICES_OUTSTANDING>{l.outstanding}</dd></div>
                    <div><dt>{t.invoices_overdue_count}</dt><dd id=ids::INVOICES_OVERDUE_COUNT class:attention={l.overdue_count > 0}>{l.overdue_count}</dd></div>
                </dl>
                {rows}
            }
            .into_any()
        })
    };
    view! {
        <Title text=t.invoices_title />
        <section class="page invoices">
            <h1>{t.invoices_title}</h1>
            <p class="intro">{t.invoices_intro}</p>
            <Transition fallback=move || view! { <p class="loading">{t.loading}</p> }>{body}</Transition>
        </section>
    }
}

#[component]
fn InvoiceTable(items: Vec<InvoiceItem>) -> impl IntoView {
    let t = use_texts();
    view! {
        <div class="table-scroll">
            <table class="invoice-table" id=ids::INVOICES_TABLE>
                <thead>
                    <tr>
                        <th scope="col">{t.invoice_number}</th>
                        <th scope="col">{t.invoice_period}</th>
                        <th scope="col">{t.invoice_issued}</th>
                        <th scope="col">{t.invoice_due}</th>
                        <th scope="col" class="num">{t.invoice_amount}</th>
                        <th scope="col" class="num">{t.invoice_amount_excl}</th>
                        <th scope="col">{t.invoice_status}</th>
                        <th scope="col">{t.invoice_paid_on}</th>
                    </tr>
                </thead>
                <tbody>
                    {items
                        .into_iter()
                        .map(|i| {
                            let href = format!("/invoices/{}", i.id);
                            view! {
                                <tr class:attention=i.status.needs_attention() data-status=i.status.as_str()>
                                    <th scope="row" data-label=t.invoice_number><a href=href>{i.number}</a></th>
                                    <td data-label=t.invoice_period>{i.period}</td>
                                    <td data-label=t.invoice_issued class="time">{i.issued_on}</td>
                                    <td data-label=t.invoice_due class="time">{i.due_on}</td>
                                    <td data-label=t.invoice_amount class="num cost">{i.amount}</td>
                                    <td data-label=t.invoice_amount_excl class="num">{i.amount_excl_vat}</td>
                                    <td data-label=t.invoice_status><StatusBadge status=i.status /></td>
                                    <td data-label=t.invoice_paid_on class="time" class:blank=i.paid_on.is_empty()>{i.paid_on.clone()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
pub fn InvoicePage() -> impl IntoView {
    let t = use_texts();
    let params = use_params_map();
    let q = use_query_map();
    let key = Memo::new(move |_| {
        (
            params.with(|p| p.get("id").unwrap_or_default()),
            q.with(|m| m.get("group").unwrap_or_default()),
        )
    });
    let spec = Resource::new(
        move || key.get(),
        |(id, group)| invoice_specification(id, group),
    );
    let body = move || {
        Suspend::new(async move {
            match spec.await {
                Ok(s) => view! { <Spec s=s /> }.into_any(),
                Err(e) => failure(e, t),
            }
        })
    };
    view! {
        <section class="page invoice-spec">
            <p class="no-print"><a href="/invoices">{format!("← {}", t.invoice_back)}</a></p>
            <Transition fallback=move || view! { <p class="loading">{t.loading}</p> }>{body}</Transition>
        </section>
    }
}

#[component]
fn Spec(s: InvoiceSpec) -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    let title = format!(
        "{} {} – {}",
        t.invoice_spec_title, s.item.number, s.item.period
    );
    let id = s.item.id.to_string();
    let hint = (!s.all_lines_shown).then(|| view! { <p class="hint">{t.invoice_large_hint}</p> });
    // A small invoice: every group with its lines. A large one: the chosen group's lines
    // first, then a table of every group with a link to its lines.
    let members = if s.all_lines_shown {
        s.by_member
            .into_iter()
            .map(|g| view! { <Group g=g /> })
            .collect_view()
            .into_any()
    } else {
        let chosen = s
            .by_member
            .iter()
            .find(|g| !g.lines.is_empty())
            .cloned()
            .map(|g| view! { <div id="invoice-group-lines"><Group g=g /></div> });
        let rows = s
            .by_member
            .into_iter()
            .map(|g| {
                let href = format!(
                    "{}#invoice-group-lines",
                    with_query(&format!("/invoices/{id}"), &[("group", &g.key)])
                );
                view! {
                    <tr data-group=g.key.clone()>
                        <th scope="row" data-label=t.history_member>{g.title}</th>
                        <td data-label=t.invoice_lines class="num">{lang.int(g.count as i64)}</td>
                        <td data-label=t.invoice_amount_excl class="num">{g.subtotal_excl_vat}</td>
                        <td data-label=t.invoice_amount class="num cost">{g.subtotal}</td>
                        <td class="no-print"><a class="button secondary small" href=href>{t.invoice_show_lines}</a></td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            {chosen}
            <div class="table-scroll">
                <table class="costs-table" id=ids::INVOICE_MEMBER_GROUPS>
                    <thead>
                        <tr>
                            <th scope="col">{t.history_member}</th>
                            <th scope="col" class="num">{t.invoice_lines}</th>
                            <th scope="col" class="num">{t.invoice_amount_excl}</th>
                            <th scope="col" class="num">{t.invoice_amount}</th>
                            <th scope="col" class="no-print"><span class="visually-hidden">{t.invoice_show_lines}</span></th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    let centers = s
        .by_cost_center
        .into_iter()
        .map(|g| {
            view! {
                <tr>
                    <th scope="row">{g.title}</th>
                    <td class="num">{lang.int(g.count as i64)}</td>
                    <td class="num">{g.subtotal_excl_vat}</td>
                    <td class="num cost">{g.subtotal}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <Title text=title.clone() />
        <h1>{title}</h1>
        <p class="intro">{s.company.clone()}" · "{t.org_number}" "<span class="org-number">{s.org_number.clone()}</span></p>
        <dl class="totals invoice-head">
            <div><dt>{t.invoice_status}</dt><dd><StatusBadge status=s.item.status /></dd></div>
            <div><dt>{t.invoice_issued}</dt><dd>{s.item.issued_on.clone()}</dd></div>
            <div><dt>{t.invoice_due}</dt><dd>{s.item.due_on.clone()}</dd></div>
            {(!s.item.paid_on.is_empty()).then(|| view! { <div><dt>{t.invoice_paid_on}</dt><dd>{s.item.paid_on.clone()}</dd></div> })}
            <div><dt>{t.invoice_amount_excl}</dt><dd>{s.total_excl_vat.clone()}</dd></div>
            <div><dt>{t.invoice_vat}</dt><dd>{s.vat.clone()}</dd></div>
            <div><dt>{t.invoice_amount}</dt><dd class="cost" id=ids::INVOICE_TOTAL>{s.total.clone()}</dd></div>
        </dl>
        <SpecActions id=id.clone() file=s.file_name.clone() currency=s.currency.clone() />
        <section class="breakdown">
            <h2>{t.invoice_by_cost_center}</h2>
            <div class="table-scroll">
                <table class="costs-table" id=ids::INVOICE_COST_CENTERS>
                    <thead>
                        <tr>
                            <th scope="col">{t.cost_center_label}</th>
                            <th scope="col" class="num">{t.invoice_lines}</th>
                            <th scope="col" class="num">{t.invoice_amount_excl}</th>
                            <th scope="col" class="num">{t.invoice_amount}</th>
                        </tr>
                    </thead>
                    <tbody>{centers}</tbody>
                    <tfoot>
                        <tr>
                            <th scope="row">{t.costs_total}</th>
                            <td class="num">{lang.int(s.line_count as i64)}</td>
                            <td class="num">{s.total_excl_vat.clone()}</td>
                            <td class="num cost">{s.total.clone()}</td>
                        </tr>
                    </tfoot>
                </table>
            </div>
        </section>
        <section class="breakdown" id=ids::INVOICE_MEMBERS>
            <h2>{t.invoice_by_member}</h2>
            {hint}
            {members}
        </section>
    }
}

#[component]
fn Group(g: SpecGroup) -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    let count = format!("{} {}", lang.int(g.count as i64), t.invoice_lines);
    let lines = (!g.lines.is_empty()).then(|| {
        view! {
            <div class="table-scroll">
                <table class="spec-lines">
                    <thead>
                        <tr>
                            <th scope="col">{t.history_start}</th>
                            <th scope="col">{t.history_plate_short}</th>
                            <th scope="col">{t.invoice_description}</th>
                            <th scope="col">{t.cost_center_label}</th>
                            <th scope="col" class="num">{t.invoice_amount_excl}</th>
                            <th scope="col" class="num">{t.invoice_amount}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {g.lines
                            .into_iter()
                            .map(|l| {
                                let start = match l.href {
                                    Some(h) => view! { <a href=h title=t.invoice_session>{l.start}</a> }.into_any(),
                                    None => view! { <span>{l.start}</span> }.into_any(),
                                };
                                view! {
                                    <tr>
                                        <td data-label=t.history_start class="time">{start}</td>
                                        <td data-label=t.history_plate_short class="plate">{l.plate}</td>
                                        <td data-label=t.invoice_description>{l.description}</td>
                                        <td data-label=t.cost_center_label>{l.cost_center}</td>
                                        <td data-label=t.invoice_amount_excl class="num">{l.amount_excl_vat}</td>
                                        <td data-label=t.invoice_amount class="num cost">{l.amount}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        }
    });
    view! {
        <section class="spec-group" data-group=g.key.clone()>
            <h3>
                <span>{g.title}</span>
                <span class="subtotal">{format!("{} · {}: {}", count, t.invoice_subtotal, g.subtotal)}</span>
            </h3>
            {lines}
        </section>
    }
}

/// Print (the browser's own dialog, with the print stylesheet) and the CSV export, built in
/// the browser. Both need JavaScript; without it the page says so and the browser's own
/// print command still works.
#[component]
fn SpecActions(id: String, file: String, currency: String) -> impl IntoView {
    let t = use_texts();
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let state: RwSignal<Option<Result<usize, AppError>>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let export = move |_| {
        busy.set(true);
        #[cfg(feature = "hydrate")]
        {
            let (id, file, currency) = (id.clone(), file.clone(), currency.clone());
            let lang = crate::i18n::use_lang();
            leptos::task::spawn_local(async move {
                let result = match super::export_invoice(id).await {
                    Ok(rows) => {
                        let text = super::csv::build(
                            &rows,
                            lang.texts(),
                            &currency,
                            crate::csv_io::write::CsvOptions::for_lang(lang),
                        );
                        let bag = web_sys::BlobPropertyBag::new();
                        bag.set_type("text/csv;charset=utf-8");
                        let parts =
                            js_sys::Array::of1(&leptos::wasm_bindgen::JsValue::from_str(&text));
                        match web_sys::Blob::new_with_str_sequence_and_options(&parts, &bag) {
                            Ok(blob) if crate::csv_io::write::download(&blob, &file) => {
                                Ok(rows.len())
                            }
                            _ => Err(AppError::internal()),
                        }
                    }
                    Err(e) => Err(e),
                };
                state.set(Some(result));
                busy.set(false);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (&id, &file, &currency);
    };
    let print = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    let status = move || {
        match state.get() {
        None => ().into_any(),
        Some(Ok(n)) => view! { <p class="notice" role="status" id=ids::INVOICE_EXPORTED>{format!("{} ({n} {}).", t.invoice_exported, t.invoice_lines)}</p> }.into_any(),
        Some(Err(e)) => view! { <p class="error" role="alert">{error_text(&e, t)}</p> }.into_any(),
    }
    };
    view! {
        <div class="actions no-print spec-actions">
            <button type="button" class="button" id=ids::INVOICE_EXPORT disabled=move || !hydrated.get() || busy.get() on:click=export>{t.invoice_export_csv}</button>
            <button type="button" class="button secondary" id=ids::INVOICE_PRINT disabled=move || !hydrated.get() on:click=print>{t.invoice_print}</button>
        </div>
        <noscript><p class="hint no-print">{t.history_export_needs_js}</p></noscript>
        <div aria-live="polite">{status}</div>
    }
}
