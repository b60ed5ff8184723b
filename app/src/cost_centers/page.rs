//! `/cost-centers`: the list with rename and archive/restore, the create form and the
//! defaults import. Every form is a plain form post without JavaScript and a server action
//! with it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    import_result_from_query, list_cost_centers, ArchiveCostCenter, CostCenterView,
    CreateCostCenter, ImportDefaults, ImportResult, RenameCostCenter, SetGuestCostCenter,
    IMPORT_MAX_BYTES,
};
use crate::{
    auth::use_session,
    error::AppError,
    frontdesk::texts::texts as fd_texts,
    i18n::use_lang,
    i18n::use_texts,
    ids,
    ui::{error_text, load_failure, query_error, Csrf, CsvFilePicker, FormError},
};

#[component]
pub fn CostCentersPage() -> impl IntoView {
    let t = use_texts();
    let session = use_session();
    let create = ServerAction::<CreateCostCenter>::new();
    let rename = ServerAction::<RenameCostCenter>::new();
    let archive = ServerAction::<ArchiveCostCenter>::new();
    let import = ServerAction::<ImportDefaults>::new();
    let guest = ServerAction::<SetGuestCostCenter>::new();
    let changes = move || {
        (
            guest.version().get(),
            create.version().get(),
            rename.version().get(),
            archive.version().get(),
            import
                .value()
                .with(|v| matches!(v, Some(Ok(r)) if r.applied > 0)),
        )
    };
    let list = Resource::new(changes, |_| list_cost_centers());
    let from_query = query_error();
    let error = Signal::derive(move || {
        [
            create.value().get(),
            rename.value().get(),
            archive.value().get(),
            guest.value().get(),
        ]
        .into_iter()
        .flatten()
        .find_map(|r| r.err())
        .or_else(|| from_query.get())
    });
    let body = move || {
        Suspend::new(async move {
            let l = match list.await {
                Ok(l) => l,
                Err(e) => return load_failure(e, t, t.members_forbidden),
            };
            let csrf = session.session.await.map(|s| s.csrf).unwrap_or_default();
            let manage = l.can_manage;
            let guest_panel = view! {
                <GuestPanel centers=l.centers.clone() chosen=l.guest_cost_center csrf=csrf.clone() manage guest />
            };
            let rows = l
                .centers
                .into_iter()
                .map(|c| view! { <CenterRow c csrf=csrf.clone() manage rename archive /> })
                .collect_view();
            let table = view! {
                <div class="table-scroll">
                    <table class="costs-table" id=ids::COST_CENTERS_TABLE>
                        <thead>
                            <tr>
                                <th scope="col">{t.cost_center_code}</th>
                                <th scope="col">{t.cost_center_name}</th>
                                <th scope="col">{t.invoice_status}</th>
                                <th scope="col" class="num">{t.cost_center_members}</th>
                                {manage.then(|| view! { <th scope="col">{t.cost_center_archive}</th> })}
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            };
            view! {
                {table}
                {guest_panel}
                {manage.then(|| view! {
                    <CreateForm csrf=csrf.clone() create />
                    <ImportPanel csrf=csrf.clone() import />
                })}
            }
            .into_any()
        })
    };
    view! {
        <Title text=t.cost_centers_title />
        <section class="page cost-centers">
            <h1>{t.cost_centers_title}</h1>
            <p class="intro">{t.cost_centers_intro}</p>
            <p class="notice" id=ids::COST_CENTERS_RULE>{t.cost_centers_retag_rule}</p>
            <FormError error=error />
            <Transition fallback=move || view! { <p class="loading">{t.loading}</p> }>{body}</Transition>
        </section>
    }
}

#[component]
fn CenterRow(
    c: CostCenterView,
    csrf: String,
    manage: bool,
    rename: ServerAction<RenameCostCenter>,
    archive: ServerAction<ArchiveCostCenter>,
) -> impl IntoView {
    let t = use_texts();
    let id = c.id.to_string();
    let name_cell = if manage {
        let input_id = format!("cc-name-{id}");
        let (csrf, id) = (csrf.clone(), id.clone());
        view! {
            <ActionForm action=rename attr:class="inline-form">
                <Csrf token=csrf.clone() />
                <input type="hidden" name="id" value=id.clone() />
                <label class="visually-hidden" for=input_id.clone()>{t.cost_center_name}</label>
                <input type="text" name="name" id=input_id required maxlength="100" value=c.name.clone() />
                <button type="submit" class="button secondary small">{t.cost_center_rename}</button>
            </ActionForm>
        }
        .into_any()
    } else {
        view! { <span>{c.name.clone()}</span> }.into_any()
    };
    let status = if c.archived {
        t.cost_center_archived
    } else {
        t.cost_center_active
    };
    let action = manage.then(|| {
        let (value, label) = if c.archived {
            ("false", t.cost_center_restore)
        } else {
            ("true", t.cost_center_archive)
        };
        view! {
            <td>
                <ActionForm action=archive attr:class="inline-form">
                    <Csrf token=csrf.clone() />
                    <input type="hidden" name="id" value=id.clone() />
                    <input type="hidden" name="archive" value=value />
                    <button type="submit" class="button secondary small">{label}</button>
                </ActionForm>
            </td>
        }
    });
    view! {
        <tr data-code=c.code.clone() class:archived=c.archived>
            <th scope="row" class="plate">{c.code.clone()}</th>
            <td>{name_cell}</td>
            <td><span class="badge kind" data-archived=c.archived.to_string()>{status}</span></td>
            <td class="num">{c.members}</td>
            {action}
        </tr>
    }
}

#[component]
fn CreateForm(csrf: String, create: ServerAction<CreateCostCenter>) -> impl IntoView {
    let t = use_texts();
    view! {
        <section class="panel">
            <h2>{t.cost_center_create}</h2>
            <ActionForm action=create attr:class="filters" attr:id=ids::COST_CENTER_CREATE>
                <Csrf token=csrf />
                <div class="field">
                    <label for=ids::COST_CENTER_NEW_CODE>{t.cost_center_code}</label>
                    <input type="text" id=ids::COST_CENTER_NEW_CODE name="code" required maxlength="20" autocomplete="off" />
                </div>
                <div class="field">
                    <label for=ids::COST_CENTER_NEW_NAME>{t.cost_center_name}</label>
                    <input type="text" id=ids::COST_CENTER_NEW_NAME name="name" required maxlength="100" autocomplete="off" />
                </div>
                <div class="actions">
                    <button type="submit" class="button">{t.cost_center_create}</button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn ImportPanel(csrf: String, import: ServerAction<ImportDefaults>) -> impl IntoView {
    let t = use_texts();
    let q = use_query_map();
    let from_query = move || {
        q.with(|m| {
            m.get("import").and_then(|counts| {
                import_result_from_query(&counts, &m.get("import_lines").unwrap_or_default())
            })
        })
    };
    let csv_ref = NodeRef::<leptos::html::Textarea>::new();
    // A file too large to send is refused before it is read, with the server's own error.
    let too_large = RwSignal::new(None::<AppError>);
    let loaded = Callback::new(move |csv: String| {
        too_large.set(None);
        import.dispatch(ImportDefaults { csv, apply: None });
    });
    let refused = Callback::new(move |e: AppError| too_large.set(Some(e)));
    // A new preview or import (from a file or the form) replaces that error.
    Effect::new(move |_| {
        if import.input().with(Option::is_some) {
            too_large.set(None);
        }
    });
    let result = move || {
        let r: Option<Result<ImportResult, AppError>> = too_large
            .get()
            .map(Err)
            .or_else(|| import.value().get())
            .or_else(|| from_query().map(Ok));
        r.map(|r| match r {
            Err(e) => view! { <p class="error" role="alert">{error_text(&e, t)}</p> }.into_any(),
            Ok(r) => view! { <ImportReport r /> }.into_any(),
        })
    };
    view! {
        <section class="panel" id="cost-centers-import">
            <h2>{t.cost_centers_import_title}</h2>
            <p class="hint">{t.cost_centers_import_intro}</p>
            <ActionForm action=import attr:class="stack" attr:id="cost-centers-import-form">
                <Csrf token=csrf />
                <CsvFilePicker id=ids::CC_IMPORT_FILE label=t.cost_centers_file target=csv_ref max_bytes=IMPORT_MAX_BYTES loaded refused />
                <label for=ids::CC_IMPORT_CSV>{t.bulk_csv_label}</label>
                <textarea id=ids::CC_IMPORT_CSV name="csv" rows="6" required spellcheck="false" node_ref=csv_ref
                    placeholder="email;cost_center_code"></textarea>
                <fieldset class="choices">
                    <label><input type="radio" name="apply" value="" checked=true />" "{t.cost_centers_preview}</label>
                    <label><input type="radio" name="apply" value="yes" id=ids::CC_IMPORT_APPLY />" "{t.cost_centers_apply}</label>
                </fieldset>
                <button type="submit" class="button" id=ids::CC_IMPORT_SUBMIT>{t.bulk_submit}</button>
            </ActionForm>
            <div aria-live="polite">{result}</div>
        </section>
    }
}

#[component]
fn ImportReport(r: ImportResult) -> impl IntoView {
    let t = use_texts();
    let summary = format!(
        "{} {}, {} {} · {}: {}",
        r.good,
        t.cost_centers_rows_ok,
        r.bad,
        t.cost_centers_rows_bad,
        t.cost_centers_change,
        r.changes
    );
    let outcome = if r.applied > 0 {
        Some(view! { <p class="notice" role="status" id=ids::CC_IMPORT_APPLIED>{format!("{} ({}).", t.cost_centers_applied, r.applied)}</p> }.into_any())
    } else if r.refused || r.bad > 0 {
        Some(view! { <p class="error" role="alert" id=ids::CC_IMPORT_REFUSED>{t.cost_centers_fix_first}</p> }.into_any())
    } else {
        None
    };
    let rows = r
        .rows
        .into_iter()
        .map(|row| {
            let problem = row.problem.map(|p| {
                error_text(
                    &AppError::Invalid {
                        field: "row".into(),
                        reason: p,
                    },
                    t,
                )
            });
            let class = if problem.is_some() {
                "bulk-row bad"
            } else {
                "bulk-row good"
            };
            let change = if row.from == row.to {
                "–".to_owned()
            } else {
                format!("{} → {}", dash(&row.from), dash(&row.to))
            };
            view! {
                <tr class=class>
                    <td>{row.line}</td>
                    <td>{row.email}</td>
                    <td>{row.code}</td>
                    <td>{problem.unwrap_or(change)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p role="status" id=ids::CC_IMPORT_SUMMARY>{summary}</p>
        {outcome}
        <div class="table-scroll">
            <table class="bulk-table" id=ids::CC_IMPORT_TABLE>
                <thead>
                    <tr>
                        <th>{t.cost_centers_line}</th>
                        <th>{t.email_label}</th>
                        <th>{t.cost_center_code}</th>
                        <th>{t.cost_centers_from_to}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

fn dash(s: &str) -> &str {
    if s.is_empty() {
        "–"
    } else {
        s
    }
}

/// The cost center of guests' parking (front-desk permits, sessions without an app user).
#[component]
fn GuestPanel(
    centers: Vec<CostCenterView>,
    chosen: Option<uuid::Uuid>,
    csrf: String,
    manage: bool,
    guest: ServerAction<SetGuestCostCenter>,
) -> impl IntoView {
    let t = use_texts();
    let fd = fd_texts(use_lang());
    let current = centers
        .iter()
        .find(|c| Some(c.id) == chosen)
        .map(|c| format!("{} {}", c.code, c.name))
        .unwrap_or_else(|| t.no_cost_center.to_owned());
    let control = if manage {
        let options = centers
            .into_iter()
            .filter(|c| !c.archived || Some(c.id) == chosen)
            .map(|c| {
                let selected = Some(c.id) == chosen;
                view! { <option value=c.id.to_string() selected=selected>{format!("{} {}", c.code, c.name)}</option> }
            })
            .collect_view();
        view! {
            <ActionForm action=guest attr:class="inline-form" attr:id=ids::GUEST_CC_FORM>
                <Csrf token=csrf />
                <label class="visually-hidden" for=ids::GUEST_CC_SELECT>{fd.guest_cost_center}</label>
                <select id=ids::GUEST_CC_SELECT name="cost_center">
                    <option value="" selected=chosen.is_none()>{t.no_cost_center}</option>
                    {options}
                </select>
                <button type="submit" class="button secondary small">{fd.guest_cost_center_save}</button>
            </ActionForm>
        }
        .into_any()
    } else {
        view! { <p><strong>{current}</strong></p> }.into_any()
    };
    view! {
        <section class="panel">
            <h2>{fd.guest_cost_center}</h2>
            <p class="hint">{fd.guest_cost_center_intro}</p>
            {control}
        </section>
    }
}
