//! `/costs?year=2026&month=3`: a month's costs, the chart of the year before it, and the
//! breakdowns, each row a link to the history behind it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Form, hooks::use_query_map};

use super::{
    cost_report, BudgetChoice, BudgetLine, ChartRow, CostLine, CostsQuery, CostsView, SaveBudget,
};
use crate::{
    auth::use_session,
    i18n::{use_lang, use_texts, Texts},
    ids,
    ui::{error_text, load_failure, query_error, Csrf},
};

#[component]
pub fn CostsPage() -> impl IntoView {
    let t = use_texts();
    let q = use_query_map();
    let query = Memo::new(move |_| {
        q.with(|m| CostsQuery {
            year: m.get("year").unwrap_or_default(),
            month: m.get("month").unwrap_or_default(),
            members: m.get("members").unwrap_or_default(),
        })
    });
    let save = ServerAction::<SaveBudget>::new();
    let report = Resource::new(
        move || (query.get(), save.version().get()),
        |(q, _)| cost_report(q),
    );
    let body = move || {
        Suspend::new(async move {
            match report.await {
                Ok(v) => view! { <Report v=v save /> }.into_any(),
                Err(e) => load_failure(e, t, t.members_forbidden),
            }
        })
    };
    view! {
        <Title text=t.costs_title />
        <section class="page costs">
            <h1>{t.costs_title}</h1>
            <Transition fallback=move || view! { <p class="loading">{t.loading}</p> }>{body}</Transition>
        </section>
    }
}

#[component]
fn Report(v: CostsView, save: ServerAction<SaveBudget>) -> impl IntoView {
    let t = use_texts();
    let pt = use_lang().policies();
    let months = t
        .months
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let n = (i + 1) as u32;
            view! { <option value=n.to_string() selected=n == v.month>{*name}</option> }
        })
        .collect_view();
    let next = v
        .next_href
        .clone()
        .map(|h| view! { <a class="button secondary" href=h rel="next">{t.costs_next_month}</a> });
    let intro = if v.own_only {
        t.costs_intro_own
    } else {
        t.costs_intro
    };
    let prev_col = format!("{} {}", t.costs_change_from, v.previous);
    view! {
        <p class="intro">{intro}</p>
        <Form method="GET" action="/costs" attr:class="filters month-picker" attr:role="search">
            <div class="field">
                <label for=ids::COSTS_MONTH>{t.history_month}</label>
                <select id=ids::COSTS_MONTH name="month">{months}</select>
            </div>
            <div class="field">
                <label for=ids::COSTS_YEAR>{t.history_year}</label>
                <input id=ids::COSTS_YEAR name="year" type="number" inputmode="numeric" min="2000" max="2100"
                    value=v.year.to_string() />
            </div>
            <div class="actions">
                <button type="submit" class="button" id=ids::COSTS_SHOW>{t.costs_show}</button>
                <a class="button secondary" href=v.prev_href.clone() rel="prev">{t.costs_prev_month}</a>
                {next}
            </div>
        </Form>
        <h2 id=ids::COSTS_PERIOD>{v.period.clone()}</h2>
        <dl class="totals costs-total" id=ids::COSTS_TOTAL>
            <div><dt>{t.history_cost}</dt><dd class="cost">{v.total.cost.clone()}</dd></div>
            <div><dt>{t.history_cost_excl}</dt><dd>{v.total.cost_excl_vat.clone()}</dd></div>
            <div><dt>{prev_col.clone()}</dt><dd class=v.total.trend.class()>{v.total.change.clone()}</dd></div>
            <div><dt>{t.costs_sessions}</dt><dd>{v.total.sessions.clone()}</dd></div>
            {(!v.total.outside.is_empty()).then(|| view! {
                <div><dt>{pt.outside}</dt><dd><a href=v.total.outside_href.clone().unwrap_or_default()>{v.total.outside.clone()}</a></dd></div>
            })}
        </dl>
        {(!v.own_only).then(|| view! {
            <Budgets lines=v.budgets.clone() choices=v.budget_choices.clone() currency=v.currency.clone() year=v.year month=v.month save />
        })}
        <p class="links">
            <a href=v.history_href.clone()>{t.costs_see_history}</a>
            {v.sets_up_report.then(|| view! { " · "<a href="/costs/report" id=ids::COSTS_REPORT_LINK>{t.report_link}</a> })}
        </p>
        <figure class="chart-figure">
            <div class="chart-box" inner_html=v.chart_svg.clone()></div>
            <figcaption>
                <span class="legend parking">{t.kind_parking}</span>
                <span class="legend charging">{t.kind_charging}</span>
            </figcaption>
        </figure>
        <details class="chart-table">
            <summary class="disclosure">{t.costs_chart_as_table}</summary>
            <ChartTable rows=v.chart_rows.clone() />
        </details>
        <Breakdown id=ids::COSTS_COST_CENTERS title=t.costs_by_cost_center lines=v.cost_centers.clone() prev_col=prev_col.clone() outside=true />
        <Breakdown id=ids::COSTS_MEMBERS title=if v.own_only { t.costs_by_member_own } else { t.costs_by_member } lines=v.members.clone() prev_col=prev_col.clone() outside=true />
        <Breakdown id=ids::COSTS_FACILITIES title=t.costs_by_facility lines=v.facilities.clone() prev_col=prev_col.clone() outside=false />
        <Breakdown id=ids::COSTS_KINDS title=t.costs_by_kind lines=v.kinds.clone() prev_col=prev_col outside=false />
    }
}

#[component]
fn ChartTable(rows: Vec<ChartRow>) -> impl IntoView {
    let t = use_texts();
    view! {
        <div class="table-scroll">
            <table class="costs-table" id=ids::COSTS_CHART_TABLE>
                <caption>{t.costs_chart_title}</caption>
                <thead>
                    <tr>
                        <th scope="col">{t.history_month}</th>
                        <th scope="col" class="num">{t.kind_parking}</th>
                        <th scope="col" class="num">{t.kind_charging}</th>
                        <th scope="col" class="num">{t.costs_total}</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|r| {
                            view! {
                                <tr class:chosen=r.chosen>
                                    <th scope="row"><a href=r.href>{r.label}</a></th>
                                    <td class="num">{r.parking}</td>
                                    <td class="num">{r.charging}</td>
                                    <td class="num">{r.total}</td>
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
fn Breakdown(
    id: &'static str,
    title: &'static str,
    lines: Vec<CostLine>,
    prev_col: String,
    /// A column of what was spent outside policy (cost centers and members).
    outside: bool,
) -> impl IntoView {
    let t: &'static Texts = use_texts();
    let pt = use_lang().policies();
    let body = if lines.is_empty() {
        view! { <p class="empty">{t.costs_empty}</p> }.into_any()
    } else {
        view! {
            <div class="table-scroll">
                <table class="costs-table" id=id>
                    <thead>
                        <tr>
                            <th scope="col">{title}</th>
                            <th scope="col" class="num">{t.costs_sessions}</th>
                            <th scope="col" class="num">{t.costs_hours}</th>
                            <th scope="col" class="num">"kWh"</th>
                            <th scope="col" class="num">{t.history_cost}</th>
                            <th scope="col" class="num">{t.history_cost_excl}</th>
                            <th scope="col" class="num">{prev_col.clone()}</th>
                            {outside.then(|| view! { <th scope="col" class="num">{pt.outside}</th> })}
                        </tr>
                    </thead>
                    <tbody>
                        {lines
                            .into_iter()
                            .map(|l| {
                                let label = match l.href {
                                    Some(h) => view! { <a href=h>{l.label}</a> }.into_any(),
                                    None => view! { <span>{l.label}</span> }.into_any(),
                                };
                                view! {
                                    <tr>
                                        <th scope="row" data-label=title>{label}</th>
                                        <td data-label=t.costs_sessions class="num">{l.sessions}</td>
                                        <td data-label=t.costs_hours class="num">{l.hours}</td>
                                        <td data-label="kWh" class="num">{l.kwh}</td>
                                        <td data-label=t.history_cost class="num cost">{l.cost}</td>
                                        <td data-label=t.history_cost_excl class="num">{l.cost_excl_vat}</td>
                                        <td data-label=prev_col.clone() class=format!("num {}", l.trend.class())>{l.change}</td>
                                        {outside.then(|| match l.outside_href {
                                            Some(h) => view! { <td data-label=pt.outside class="num outside"><a href=h>{l.outside}</a></td> }.into_any(),
                                            None => view! { <td data-label=pt.outside class="num">"–"</td> }.into_any(),
                                        })}
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="breakdown" aria-labelledby=format!("{id}-h")>
            <h2 id=format!("{id}-h")>{title}</h2>
            {body}
        </section>
    }
}

/// The budgets against the month, and (owners and admins) the form that sets them.
#[component]
fn Budgets(
    lines: Vec<BudgetLine>,
    choices: Vec<BudgetChoice>,
    currency: String,
    year: i32,
    month: u32,
    save: ServerAction<SaveBudget>,
) -> impl IntoView {
    let a = use_lang().alerts();
    let session = use_session();
    let from_query = query_error();
    let error = Signal::derive(move || {
        save.value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| from_query.get())
    });
    let table = if lines.is_empty() {
        view! { <p class="empty">{a.budgets_none}</p> }.into_any()
    } else {
        view! {
            <div class="table-scroll">
                <table class="costs-table budgets" id=ids::COSTS_BUDGETS>
                    <thead>
                        <tr>
                            <th scope="col">{a.budget_for}</th>
                            <th scope="col" class="num">{a.budget}</th>
                            <th scope="col" class="num">{a.spent}</th>
                            <th scope="col" class="num">{a.remaining}</th>
                            <th scope="col" class="num">{a.forecast}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {lines
                            .into_iter()
                            .map(|b| {
                                // An SVG bar: its width is an attribute, which the page's
                                // content security policy allows (an inline style it does not).
                                let width = b.percent.min(100).to_string();
                                let forecast_class = if b.forecast_over { "num forecast over" } else { "num forecast" };
                                let spent = format!("{} ({}\u{a0}%)", b.actual, b.percent);
                                view! {
                                    <tr class=b.state.class()>
                                        <th scope="row" data-label=a.budget_for>
                                            <a href=b.href>{b.label}</a>
                                            <svg class="meter" viewBox="0 0 100 4" preserveAspectRatio="none" aria-hidden="true">
                                                <rect class="track" width="100" height="4" rx="2" />
                                                <rect class="fill" width=width height="4" rx="2" />
                                            </svg>
                                        </th>
                                        <td data-label=a.budget class="num">{b.budget}</td>
                                        <td data-label=a.spent class="num">{spent}</td>
                                        <td data-label=a.remaining class="num remaining">{b.remaining}</td>
                                        <td data-label=a.forecast class=forecast_class>{b.forecast.unwrap_or_else(|| "–".to_owned())}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        }
        .into_any()
    };
    let form = (!choices.is_empty()).then(|| {
        let back = format!("/costs?year={year}&month={month}");
        let label = a.budget_amount.replace("{currency}", &currency);
        let options = choices
            .into_iter()
            .map(|c| {
                view! { <option value=c.value>{c.label}</option> }
            })
            .collect_view();
        let csrf = Suspend::new(async move {
            let token = session.session.await.map(|s| s.csrf).unwrap_or_default();
            view! { <Csrf token /> }
        });
        view! {
            <ActionForm action=save attr:class="filters budget-form" attr:id=ids::COSTS_BUDGET_FORM>
                <Suspense>{csrf}</Suspense>
                <input type="hidden" name="back" value=back />
                <div class="field">
                    <label for="budget-target">{a.budget_for}</label>
                    <select id="budget-target" name="cost_center">{options}</select>
                </div>
                <div class="field">
                    <label for="budget-amount">{label}</label>
                    <input id="budget-amount" name="amount" inputmode="decimal" autocomplete="off" aria-describedby="budget-amount-hint" />
                    <p class="hint" id="budget-amount-hint">{a.budget_amount_hint}</p>
                </div>
                <div class="actions">
                    <button type="submit" class="button">{a.budget_save}</button>
                </div>
            </ActionForm>
        }
    });
    view! {
        <section class="breakdown budgets-section" aria-labelledby="budgets-h">
            <h2 id="budgets-h">{a.budgets_title}</h2>
            <p class="hint">{a.budgets_intro}</p>
            {move || error.get().map(|e| view! {
                <p class="error" role="alert" id=ids::FORM_ERROR>{budget_error(&e)}</p>
            })}
            {table}
            {form}
        </section>
    }
}

/// A refused budget, named by its field in the user's language.
fn budget_error(e: &crate::error::AppError) -> String {
    use crate::error::{AppError, Reason};
    let lang = use_lang();
    let (a, pt) = (lang.alerts(), lang.policies());
    match e {
        AppError::Invalid { field, reason } if field == "amount" => {
            let what = match reason {
                Reason::OutOfRange => a.budget_err_range,
                _ => pt.err_not_a_number,
            };
            format!("{}: {what}", a.budget)
        }
        e => error_text(e, lang.texts()),
    }
}
