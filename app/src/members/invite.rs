//! The invite forms of `/members`: one person, or a CSV file (previewed, then sent in parts
//! with a progress bar).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{BulkInvite, InviteMember};
use crate::{
    companies::Role,
    error::AppError,
    i18n::use_texts,
    ids,
    ui::{error_text, Csrf, CsvFilePicker},
};

#[component]
pub(super) fn InviteForm(
    csrf: String,
    invite: ServerAction<InviteMember>,
    grantable: Vec<Role>,
    cost_centers: Vec<super::CostCenterChoice>,
    invite_ok: Signal<bool>,
) -> impl IntoView {
    let t = use_texts();
    view! {
        <details class="panel" open=true>
            <summary class="disclosure"><h2>{t.invite_title}</h2></summary>
            <p class="hint">{t.invite_intro}</p>
            <ActionForm action=invite attr:id=ids::INVITE_FORM attr:class="filters">
                <Csrf token=csrf />
                <div class="field grow">
                    <label for=ids::INVITE_EMAIL>{t.email_label}</label>
                    <input type="email" id=ids::INVITE_EMAIL name="email" required autocomplete="off" />
                </div>
                <div class="field">
                    <label for=ids::INVITE_ROLE>{t.sort_role}</label>
                    <select id=ids::INVITE_ROLE name="role">
                        {grantable
                            .into_iter()
                            .rev()
                            .map(|r| view! { <option value=r.as_str()>{r.label(t)}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="invite-cost-center">{t.cost_center_label}</label>
                    <select id="invite-cost-center" name="cost_center">
                        <option value="">{t.no_cost_center}</option>
                        {cost_centers
                            .into_iter()
                            .map(|c| view! { <option value=c.id.to_string()>{c.label}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="actions">
                    <button type="submit" class="button" id=ids::INVITE_SUBMIT>{t.invite_button}</button>
                    <span class="hint" role="status">{move || invite_ok.get().then_some(t.invite_sent)}</span>
                </div>
            </ActionForm>
        </details>
    }
}

#[component]
pub(super) fn BulkForm(
    csrf: String,
    bulk: ServerAction<BulkInvite>,
    sent: RwSignal<u32>,
) -> impl IntoView {
    let t = use_texts();
    let q = use_query_map();
    // A plain form post (no JavaScript) comes back with its result in the query.
    let from_query = move || {
        q.with(|m| {
            m.get("bulk").and_then(|counts| {
                super::bulk_result_from_query(&counts, &m.get("bulk_lines").unwrap_or_default())
            })
        })
    };
    let csv_ref = NodeRef::<leptos::html::Textarea>::new();
    let import_ref = NodeRef::<leptos::html::Input>::new();
    // The file picker and the part-by-part import need the WASM; without it the form posts
    // the pasted text as a plain form.
    let progress = RwSignal::new(None::<(usize, usize)>);
    let stopped = RwSignal::new(None::<AppError>);
    // A file too large to send is refused before it is read (nothing was sent: not a stop).
    let too_large = RwSignal::new(None::<AppError>);
    let loaded = Callback::new(move |csv: String| {
        stopped.set(None);
        too_large.set(None);
        bulk.dispatch(BulkInvite {
            csv,
            import: None,
            part: None,
        });
    });
    let refused = Callback::new(move |e: AppError| too_large.set(Some(e)));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let csv = csv_ref
            .get_untracked()
            .map(|el| el.value())
            .unwrap_or_default();
        let import = import_ref.get_untracked().is_some_and(|el| el.checked());
        stopped.set(None);
        too_large.set(None);
        let rows = crate::csv_io::read::parse(&csv)
            .map(|r| r.len())
            .unwrap_or(0);
        if !import || rows <= super::BULK_PART_ROWS {
            let import = import.then(|| "good".to_owned());
            bulk.dispatch(BulkInvite {
                csv,
                import,
                part: None,
            });
            return;
        }
        // A large file goes part by part, so the bar shows how far it has come. The server
        // checks the whole file each time, so what is sent is what one request would send.
        leptos::task::spawn_local(async move {
            let mut total = super::BulkResult::default();
            progress.set(Some((0, rows)));
            for part in 0..rows.div_ceil(super::BULK_PART_ROWS) {
                match super::bulk_invite(csv.clone(), Some("good".into()), Some(part)).await {
                    Ok(r) => {
                        total.good += r.good;
                        total.bad += r.bad;
                        total.imported += r.imported;
                        total.rows.extend(r.rows);
                        progress.set(Some((total.rows.len(), rows)));
                    }
                    Err(e) => {
                        stopped.set(Some(e));
                        break;
                    }
                }
            }
            progress.set(None);
            bulk.value().set(Some(Ok(total)));
            sent.update(|n| *n += 1);
        });
    };
    let result = move || {
        bulk.value().get().and_then(|r| r.ok()).or_else(from_query).map(|r| {
            let rows = r
                .rows
                .into_iter()
                .map(|row| {
                    let problem = row.problem.map(|reason| {
                        error_text(&AppError::Invalid { field: "row".into(), reason }, t)
                    });
                    let class = if problem.is_some() { "bulk-row bad" } else { "bulk-row good" };
                    view! {
                        <tr class=class>
                            <td>{row.line}</td>
                            <td>{row.email}</td>
                            <td>{row.role}</td>
                            <td>{row.cost_center}</td>
                            <td>{problem.unwrap_or_else(|| t.bulk_ok.to_owned())}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <p class="notice" role="status" id=ids::BULK_SUMMARY>
                    {format!("{} {}, {} {}", r.good, if r.good == 1 { t.bulk_summary_good_one } else { t.bulk_summary_good }, r.bad, t.bulk_summary_bad)}
                    {(r.imported > 0).then(|| format!(" · {} {}", r.imported, t.bulk_imported))}
                </p>
                <div class="table-scroll">
                    <table class="bulk-table" id=ids::BULK_TABLE>
                        <thead><tr>
                            <th>{t.bulk_line}</th><th>{t.email_label}</th><th>{t.sort_role}</th>
                            <th>{t.cost_center_label}</th><th></th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            }
        })
    };
    let progress_bar = move || {
        progress.get().map(|(done, total)| {
            view! {
                <div class="progress" role="status" id=ids::BULK_PROGRESS>
                    <progress max=total value=done></progress>
                    <span>{format!("{done} / {total} {}", t.bulk_rows_sent)}</span>
                </div>
            }
        })
    };
    let stopped_note = move || {
        if let Some(e) = too_large.get() {
            return Some(view! { <p class="error" role="alert">{error_text(&e, t)}</p> });
        }
        stopped.get().map(|e| {
            view! { <p class="error" role="alert">{format!("{} {}", error_text(&e, t), t.bulk_stopped)}</p> }
        })
    };
    let open = move || from_query().is_some() || bulk.value().with(Option::is_some);
    let bulk_path = <BulkInvite as server_fn::ServerFn>::PATH;
    view! {
        <details class="panel" open=open>
            <summary class="disclosure"><h2>{t.bulk_title}</h2></summary>
            <p class="hint">{t.bulk_intro}" "<a href="/members/template.csv" download="inbjudningar.csv">{t.bulk_template}</a></p>
            <form method="post" action=bulk_path id=ids::BULK_FORM class="stack" on:submit=on_submit>
                <Csrf token=csrf />
                <CsvFilePicker id=ids::BULK_FILE label=t.bulk_file_label target=csv_ref max_bytes=super::BULK_MAX_BYTES loaded refused />
                <label for=ids::BULK_CSV>{t.bulk_csv_label}</label>
                <textarea id=ids::BULK_CSV name="csv" rows="6" required spellcheck="false" node_ref=csv_ref></textarea>
                <fieldset class="choices">
                    <label><input type="radio" name="import" value="" checked=true />" "{t.bulk_mode_preview}</label>
                    <label><input type="radio" name="import" value="good" id=ids::BULK_IMPORT_GOOD node_ref=import_ref />" "{t.bulk_mode_import}</label>
                </fieldset>
                <button type="submit" class="button" id=ids::BULK_SUBMIT disabled=move || progress.with(Option::is_some)>{t.bulk_submit}</button>
            </form>
            {progress_bar}
            {stopped_note}
            {result}
        </details>
    }
}
