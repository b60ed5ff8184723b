//! `/history?year=…&month=…&plate=…`: the sessions table with its filters (a plain GET form,
//! so it works without JavaScript and every view is a URL), the totals of the whole filter,
//! keyset paging, and the export panel (`export.rs`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Form, hooks::use_query_map};

use super::{
    history_options, history_totals, list_history, FilterChoices, HistoryPageData, HistoryQuery,
    HistoryRow, TotalsView, PAGE_SIZES,
};
use crate::{
    error::AppError,
    i18n::{use_lang, use_texts},
    ids,
    ui::error_text,
    url::with_query,
};

pub const PATH: &str = "/history";

fn query_from(m: &leptos_router::params::ParamsMap) -> HistoryQuery {
    HistoryQuery::from_params(|k| m.get(k))
}

/// The label of a field an `Invalid` error names, for "check the field X".
fn field_label(field: &str, lang: crate::i18n::Lang) -> String {
    let t = lang.texts();
    match field {
        "year" => t.history_year,
        "month" => t.history_month,
        "from" => t.history_from,
        "to" => t.history_to,
        "member" => t.history_member,
        "plate" => t.history_plate,
        "cost_center" => t.cost_center_label,
        "facility" => t.history_facility,
        "kind" => t.history_kind,
        "policy" => lang.policies().policy,
        "sort" => t.history_sort,
        "size" => t.history_size,
        "after" => t.history_page,
        other => other,
    }
    .to_owned()
}

fn problem_text(e: &AppError, lang: crate::i18n::Lang) -> String {
    let t = lang.texts();
    match e {
        AppError::Invalid { field, .. } => {
            format!("{} ”{}”.", t.error_invalid, field_label(field, lang))
        }
        AppError::Forbidden | AppError::Unauthorized => t.members_forbidden.to_owned(),
        e => error_text(e, t),
    }
}

#[component]
pub fn HistoryPage() -> impl IntoView {
    let t = use_texts();
    let q = use_query_map();
    let query = Memo::new(move |_| q.with(query_from));
    // Where the page starts in the whole filter (for "51–100 of 1 234"); only for display.
    let pos = Memo::new(move |_| {
        q.with(|m| {
            m.get("pos")
                .and_then(|p| p.parse::<i64>().ok())
                .unwrap_or(0)
        })
    });
    let filter_only = Memo::new(move |_| query.get().without_paging());
    let page = Resource::new(move || query.get(), list_history);
    let totals = Resource::new(move || filter_only.get(), history_totals);
    let options = Resource::new(move || query.with(|q| q.member.clone()), history_options);
    let (pending, set_pending) = signal(false);

    let form = move || {
        Suspend::new(async move {
            let opts = options.await.unwrap_or_default();
            view! { <FilterForm opts query /> }
        })
    };
    let summary = move || {
        Suspend::new(async move {
            match totals.await {
                Ok(tot) => view! { <Totals tot /> }.into_any(),
                Err(_) => ().into_any(),
            }
        })
    };
    let table = move || {
        Suspend::new(async move {
            let data = match page.await {
                Ok(d) => d,
                Err(AppError::Unauthorized) => {
                    return view! { <leptos_router::components::Redirect path="/sign-in?next=/history" /> }
                        .into_any()
                }
                Err(e) => {
                    return view! { <p class="error" role="alert" id=ids::HISTORY_ERROR>{problem_text(&e, use_lang())}</p> }
                        .into_any()
                }
            };
            let total = totals.await.map(|t| t.sessions).unwrap_or(0);
            view! { <Table data total pos=pos.get_untracked() query=query.get_untracked() /> }
                .into_any()
        })
    };
    let export = move || {
        Suspend::new(async move {
            let Ok(data) = page.await else {
                return ().into_any();
            };
            let total = totals.await.map(|t| t.sessions).unwrap_or(0);
            // Nothing to export: no panel, so the empty state (and its way to the period
            // before) comes right under the totals, on a phone too.
            if total == 0 {
                return ().into_any();
            }
            view! { <super::export::ExportPanel query=filter_only total data /> }.into_any()
        })
    };
    view! {
        <Title text=t.history_title />
        <section class="page wide">
            <h1>{t.history_title}</h1>
            <p class="intro">{t.history_intro}</p>
            <Transition fallback=move || view! { <div class="filters placeholder"></div> }>{form}</Transition>
            <div class="totals-slot">
                <Transition fallback=move || view! { <Totals tot=TotalsView::default() /> }>{summary}</Transition>
            </div>
            <Transition fallback=|| ()>{export}</Transition>
            <div class="history-results" class:busy=pending aria-busy=move || pending.get().to_string()>
                <Transition fallback=move || view! { <p class="loading">{t.loading}</p> } set_pending>
                    {table}
                </Transition>
            </div>
        </section>
    }
}

/// What each control shows for a query: (element id, value). A query without a period means
/// this month, so year and month show it.
fn control_values(q: &HistoryQuery, opts: &FilterChoices) -> Vec<(&'static str, String)> {
    let range = !q.from.is_empty() || !q.to.is_empty();
    let default_month = q.year.is_empty() && q.month.is_empty() && !range;
    let (year, month) = if default_month {
        (
            opts.current_year.to_string(),
            opts.current_month.to_string(),
        )
    } else {
        (
            q.year.clone(),
            if q.month.is_empty() {
                "all".into()
            } else {
                q.month.clone()
            },
        )
    };
    let mut v = vec![
        (ids::HISTORY_YEAR, year),
        (ids::HISTORY_MONTH, month),
        (ids::HISTORY_FROM, q.from.clone()),
        (ids::HISTORY_TO, q.to.clone()),
        (ids::HISTORY_PLATE, q.plate.clone()),
        (ids::HISTORY_COST_CENTER, q.cost_center.clone()),
        (ids::HISTORY_FACILITY, q.facility.clone()),
        (ids::HISTORY_KIND, q.kind.clone()),
        (ids::HISTORY_POLICY, q.policy.clone()),
        (ids::HISTORY_SORT, q.sort.clone()),
        (ids::HISTORY_SIZE, q.size.clone()),
    ];
    if opts.member_name.is_none() {
        v.push((ids::HISTORY_MEMBER, q.member.clone()));
    }
    v
}

#[component]
fn FilterForm(opts: FilterChoices, query: Memo<HistoryQuery>) -> impl IntoView {
    let t = use_texts();
    // The form is rendered once; when the URL changes under it (back, forward, a link), the
    // controls are set to the URL's values here. Not on the first run: that would overwrite
    // what someone typed before the WASM arrived.
    {
        let opts = opts.clone();
        Effect::new(move |first: Option<()>| {
            let q = query.get();
            if first.is_none() {
                return;
            }
            #[cfg(feature = "hydrate")]
            for (id, value) in control_values(&q, &opts) {
                if let Some(el) = document().get_element_by_id(id) {
                    let _ = js_sys::Reflect::set(&el, &"value".into(), &value.into());
                }
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = control_values(&q, &opts);
        });
    }
    let query = query.get_untracked();
    // Selects apply at once after hydration; without JavaScript the button does it.
    let on_change = move |_| {
        #[cfg(feature = "hydrate")]
        {
            use leptos::wasm_bindgen::JsCast;
            if let Some(form) = document()
                .get_element_by_id(ids::HISTORY_FORM)
                .and_then(|el| el.dyn_into::<web_sys::HtmlFormElement>().ok())
            {
                let _ = form.request_submit();
            }
        }
    };
    let range = !query.from.is_empty() || !query.to.is_empty();
    let default_month = query.year.is_empty() && query.month.is_empty() && !range;
    let year_now = opts.years.first().copied().unwrap_or(opts.current_year);
    let sel_year = if default_month {
        year_now.to_string()
    } else {
        query.year.clone()
    };
    let sel_month = if default_month {
        opts.current_month.to_string()
    } else {
        query.month.clone()
    };
    let years = opts
        .years
        .iter()
        .map(|y| {
            let y = y.to_string();
            view! { <option value=y.clone() selected=sel_year == y>{y.clone()}</option> }
        })
        .collect_view();
    let months = (1..=12u32)
        .map(|m| {
            let v = m.to_string();
            view! { <option value=v.clone() selected=sel_month == v>{t.months[(m - 1) as usize]}</option> }
        })
        .collect_view();
    let select = move |name: &'static str,
                       id: &'static str,
                       label: &'static str,
                       all: &'static str,
                       items: Vec<(String, String)>,
                       current: String| {
        let items = items
            .into_iter()
            .map(|(v, text)| {
                let selected = v == current;
                view! { <option value=v selected=selected>{text}</option> }
            })
            .collect_view();
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <select id=id name=name on:change=on_change>
                    <option value="">{all}</option>
                    {items}
                </select>
            </div>
        }
    };
    // "No cost center" last: the sessions nobody tagged (the cost page links here for them).
    let centers = opts
        .cost_centers
        .iter()
        .map(|(id, n)| (id.to_string(), n.clone()))
        .chain([("none".to_owned(), t.without_cost_center.to_owned())])
        .collect();
    let facilities = opts
        .facilities
        .iter()
        .map(|(id, n)| (id.to_string(), n.clone()))
        .collect();
    let kinds = vec![
        ("parking".to_owned(), t.kind_parking.to_owned()),
        ("charging".to_owned(), t.kind_charging.to_owned()),
    ];
    let pt = use_lang().policies();
    let policies: Vec<(String, String)> =
        std::iter::once(("outside".to_owned(), pt.outside.to_owned()))
            .chain(crate::history::PolicyReason::ALL.into_iter().map(|r| {
                (
                    r.code().to_owned(),
                    format!("{}: {}", pt.outside, pt.reasons[r.index()]),
                )
            }))
            .collect();
    let sorts = vec![
        ("cost".to_owned(), t.history_sort_cost.to_owned()),
        ("duration".to_owned(), t.history_sort_duration.to_owned()),
    ];
    let sizes: Vec<(String, String)> = PAGE_SIZES
        .iter()
        .filter(|n| **n != super::DEFAULT_PAGE_SIZE)
        .map(|n| (n.to_string(), format!("{n} {}", t.history_per_page)))
        .collect();
    // The member filter shows the person's name when it holds an id from a table link.
    let member_field = (!opts.role_member).then(|| match &opts.member_name {
        Some(name) => view! {
            <div class="field">
                <span class="label">{t.history_member}</span>
                <input type="hidden" name="member" value=query.member.clone() />
                <span class="chip">{name.clone()}" "
                    <a href=with_query(PATH, &HistoryQuery { member: String::new(), after: String::new(), ..query.clone() }.pairs()) aria-label=t.history_clear_member>"×"</a>
                </span>
            </div>
        }
        .into_any(),
        None => view! {
            <div class="field">
                <label for=ids::HISTORY_MEMBER>{t.history_member}</label>
                <input type="search" id=ids::HISTORY_MEMBER name="member" value=query.member.clone() autocomplete="off" placeholder=t.history_member_hint />
            </div>
        }
        .into_any(),
    });
    // On a phone the filters fold behind one control that says how many are set (style.css
    // shows them always from 700 px where the browser can style the fold's content).
    let set = [
        &query.from,
        &query.to,
        &query.member,
        &query.plate,
        &query.cost_center,
        &query.facility,
        &query.kind,
        &query.policy,
    ]
    .into_iter()
    .filter(|v| !v.is_empty())
    .count();
    let fold_label = if set == 0 {
        t.history_filters.to_owned()
    } else {
        format!("{} ({set})", t.history_filters)
    };
    view! {
        <details class="filters-fold" id=ids::HISTORY_FILTERS_FOLD>
        <summary class="disclosure">{fold_label}</summary>
        <Form method="GET" action=PATH attr:class="filters history-filters" attr:role="search" attr:id=ids::HISTORY_FORM>
            <div class="field">
                <label for=ids::HISTORY_YEAR>{t.history_year}</label>
                <select id=ids::HISTORY_YEAR name="year" on:change=on_change>{years}</select>
            </div>
            <div class="field">
                <label for=ids::HISTORY_MONTH>{t.history_month}</label>
                <select id=ids::HISTORY_MONTH name="month" on:change=on_change>
                    <option value="all" selected=!default_month && query.month.is_empty()>{t.history_whole_year}</option>
                    {months}
                </select>
            </div>
            <details class="field range" open=range>
                <summary class="disclosure">{t.history_range}</summary>
                <div class="range-fields">
                    <label>{t.history_from}" "<input type="date" name="from" id=ids::HISTORY_FROM value=query.from.clone() /></label>
                    <label>{t.history_to}" "<input type="date" name="to" id=ids::HISTORY_TO value=query.to.clone() /></label>
                </div>
            </details>
            {member_field}
            <div class="field">
                <label for=ids::HISTORY_PLATE>{t.history_plate}</label>
                <input type="search" id=ids::HISTORY_PLATE name="plate" value=query.plate.clone() autocomplete="off" placeholder=opts.plate_example.clone() autocapitalize="characters" />
            </div>
            {select("cost_center", ids::HISTORY_COST_CENTER, t.cost_center_label, t.history_all, centers, query.cost_center.clone())}
            {select("facility", ids::HISTORY_FACILITY, t.history_facility, t.history_all, facilities, query.facility.clone())}
            {select("kind", ids::HISTORY_KIND, t.history_kind, t.history_both_kinds, kinds, query.kind.clone())}
            {select("policy", ids::HISTORY_POLICY, pt.policy, pt.any_session, policies, query.policy.clone())}
            {select("sort", ids::HISTORY_SORT, t.history_sort, t.history_sort_start, sorts, query.sort.clone())}
            {select("size", ids::HISTORY_SIZE, t.history_size, t.history_size_default, sizes, query.size.clone())}
            <div class="actions">
                <button type="submit" class="button" id=ids::HISTORY_SUBMIT>{t.history_apply}</button>
                <a class="button secondary" href=PATH>{t.clear_filters}</a>
            </div>
        </Form>
        </details>
    }
}

#[component]
fn Totals(tot: TotalsView) -> impl IntoView {
    let t = use_texts();
    let item = |label: &'static str, value: String, id: &'static str| {
        view! { <div class="total"><dt>{label}</dt><dd id=id>{value}</dd></div> }
    };
    // Which period all of this is for, at a glance (the filters fold away on a phone).
    let period = (!tot.period.is_empty()).then(|| {
        view! { <p class="period-shown" id=ids::HISTORY_PERIOD>{t.history_showing}" "<strong>{tot.period.clone()}</strong></p> }
    });
    view! {
        {period}
        <dl class="totals" id=ids::HISTORY_TOTALS>
            {item(t.history_total_sessions, tot.sessions_text, ids::HISTORY_TOTAL_SESSIONS)}
            {item(t.history_total_hours, tot.parking_hours, ids::HISTORY_TOTAL_HOURS)}
            {item(t.history_total_kwh, tot.kwh, ids::HISTORY_TOTAL_KWH)}
            {item(t.history_total_cost, tot.cost, ids::HISTORY_TOTAL_COST)}
            {item(t.history_total_excl, tot.cost_excl_vat, ids::HISTORY_TOTAL_EXCL)}
        </dl>
    }
}

#[component]
fn Table(data: HistoryPageData, total: i64, pos: i64, query: HistoryQuery) -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    if data.rows.is_empty() {
        if pos > 0 {
            return view! { <p class="empty" id=ids::HISTORY_EMPTY>{t.history_no_more}</p> }
                .into_any();
        }
        // The same filter one period back, in one click: on the first days of a month the
        // default, this month, is empty or nearly so.
        let earlier = data.earlier.map(|e| {
            let href = with_query(
                PATH,
                &HistoryQuery {
                    year: e.year.to_string(),
                    month: if e.month == 0 {
                        String::new()
                    } else {
                        e.month.to_string()
                    },
                    from: String::new(),
                    to: String::new(),
                    after: String::new(),
                    ..query.clone()
                }
                .pairs(),
            );
            view! {
                <a class="button secondary" href=href id=ids::HISTORY_EARLIER>
                    {format!("{} {}", t.history_show_earlier, e.label)}
                </a>
            }
        });
        return view! {
            <div class="empty-state">
                <p class="empty" id=ids::HISTORY_EMPTY>{format!("{} {}.", t.history_empty, data.period)}</p>
                {earlier}
            </div>
        }
        .into_any();
    }
    let shown = data.rows.len() as i64;
    let range = format!(
        "{}–{} {} {} · {}",
        lang.int(pos + 1),
        lang.int(pos + shown),
        t.history_of,
        lang.int(total.max(pos + shown)),
        data.period
    );
    let own = data.members_only_own;
    let rows = data
        .rows
        .into_iter()
        .map(|r| view! { <Row r own query=query.clone() /> })
        .collect_view();
    let next = data.next.map(|after| {
        let next_query = HistoryQuery {
            after,
            ..query.clone()
        };
        let mut pairs = next_query.pairs();
        let p = (pos + shown).to_string();
        pairs.push(("pos", &p));
        let href = with_query(PATH, &pairs);
        view! { <a class="button" href=href id=ids::HISTORY_NEXT rel="next">{t.history_next}</a> }
    });
    let first = (pos > 0).then(|| {
        let href = with_query(
            PATH,
            &HistoryQuery {
                after: String::new(),
                ..query.clone()
            }
            .pairs(),
        );
        view! { <a class="button secondary" href=href id=ids::HISTORY_FIRST>{t.history_first}</a> }
    });
    view! {
        <p class="result-count" id=ids::HISTORY_COUNT>{range}</p>
        <div class="table-scroll">
            <table class="history-table" id=ids::HISTORY_TABLE>
                <thead>
                    <tr>
                        <th scope="col">{t.history_member}</th>
                        <th scope="col">{t.history_plate_short}</th>
                        <th scope="col">{t.history_facility}</th>
                        <th scope="col">{t.history_kind}</th>
                        <th scope="col">{t.history_start}</th>
                        <th scope="col">{t.history_end}</th>
                        <th scope="col">{t.history_duration}</th>
                        <th scope="col" class="num">"kWh"</th>
                        <th scope="col" class="num">{t.history_cost}</th>
                        <th scope="col" class="num">{t.history_cost_excl}</th>
                        <th scope="col">{t.cost_center_label}</th>
                        <th scope="col">{use_lang().policies().policy}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <nav class="pager" aria-label=t.history_pages>{first}{next}</nav>
    }
    .into_any()
}

#[component]
fn Row(r: HistoryRow, own: bool, query: HistoryQuery) -> impl IntoView {
    let t = use_texts();
    let pt = use_lang().policies();
    let member = match (own, r.member_id) {
        (false, Some(id)) => {
            let href = with_query(
                PATH,
                &HistoryQuery {
                    member: id.to_string(),
                    after: String::new(),
                    ..query
                }
                .pairs(),
            );
            view! { <a href=href>{r.member.clone()}</a> }.into_any()
        }
        _ => view! { <span>{r.member.clone()}</span> }.into_any(),
    };
    let facility_href = with_query("/facilities", &[("q", r.facility.as_str())]);
    let kind = if r.charging {
        t.kind_charging
    } else {
        t.kind_parking
    };
    view! {
        <tr data-id=r.id.to_string()>
            <td data-label=t.history_member class="member">{member}</td>
            <td data-label=t.history_plate class="plate">{r.plate}</td>
            <td data-label=t.history_facility><a href=facility_href>{r.facility}</a><span class="city">{r.city}</span></td>
            <td data-label=t.history_kind><span class="badge kind" data-kind=if r.charging { "charging" } else { "parking" }>{kind}</span></td>
            <td data-label=t.history_start class="time">{r.start}</td>
            <td data-label=t.history_end class="time">{r.end}</td>
            <td data-label=t.history_duration class="nowrap" class:blank=r.duration.is_empty()>{r.duration.clone()}</td>
            <td data-label="kWh" class="num" class:blank=r.kwh.is_empty()>{r.kwh.clone()}</td>
            <td data-label=t.history_cost class="num cost">{r.cost}</td>
            <td data-label=t.history_cost_excl class="num">{r.cost_excl_vat}</td>
            <td data-label=t.cost_center_label class:blank=r.cost_center.is_empty()>{r.cost_center.clone()}</td>
            <td data-label=pt.policy class="policy" class:blank=r.policy.is_empty()>
                {(!r.policy.is_empty()).then(|| view! {
                    <span class="badge outside-policy">{pt.outside}</span>
                    <ul class="reasons">{r.policy.iter().map(|reason| view! { <li>{reason.clone()}</li> }).collect_view()}</ul>
                })}
            </td>
        </tr>
    }
}
