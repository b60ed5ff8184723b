//! `/policies`: one level's rules (the company's, a cost center's or a member's), its form for
//! owners and admins, a member's rules in force with where each comes from, and their
//! registered vehicles. The level is in the URL (`?cost_center=…`, `?member=…`), chosen with
//! plain GET forms; every change is a plain form post without JavaScript and a server action
//! with it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{model::Level, policies, PolicyView, RulesForm, SavePolicy, SetVehicle};
use crate::{
    auth::use_session,
    error::{AppError, Reason},
    i18n::{use_lang, use_texts, Lang},
    ids,
    ui::{error_text, load_failure, query_error, Csrf},
};

/// A form error in the rules page's words: the field's label, then what is wrong with it.
fn policy_error(e: &AppError, lang: Lang, currency: &str) -> String {
    let pt = lang.policies();
    let AppError::Invalid { field, reason } = e else {
        return error_text(e, lang.texts());
    };
    let label = match field.as_str() {
        "days" | "day" => pt.days,
        "hours_from" | "hours_to" => pt.hours,
        "parking" => pt.parking,
        "charging" => pt.charging,
        "max_stay_hours" => pt.max_stay,
        "session_cap" => pt.session_cap,
        "monthly_cap" => pt.monthly_cap,
        "only_registered" => pt.vehicles_rule,
        "facilities" => pt.facilities,
        "plate" => pt.plate,
        "member" => pt.level_member,
        "valid_from" => pt.valid_from_date,
        _ => return error_text(e, lang.texts()),
    }
    .replace("{currency}", currency);
    let what = match reason {
        Reason::NotATime => pt.err_not_a_time,
        Reason::NotANumber => pt.err_not_a_number,
        Reason::OutOfRange => pt.err_out_of_range,
        Reason::Missing if field == "day" => pt.err_day_missing,
        Reason::Missing => pt.err_missing,
        Reason::Unknown if field == "facilities" => pt.err_facility,
        Reason::Unknown => pt.err_unknown,
        Reason::NotAPlate => pt.err_plate,
        Reason::NotAMember => pt.err_member,
        Reason::NotADate => pt.err_not_a_date,
        _ => return error_text(e, lang.texts()),
    };
    format!("{label}: {what}")
}

#[component]
pub fn PoliciesPage() -> impl IntoView {
    let lang = use_lang();
    let t = use_texts();
    let pt = lang.policies();
    let session = use_session();
    let q = use_query_map();
    let save = ServerAction::<SavePolicy>::new();
    let vehicle = ServerAction::<SetVehicle>::new();
    let data = Resource::new(
        move || {
            (
                q.with(|m| {
                    (
                        m.get("cost_center").unwrap_or_default(),
                        m.get("member").unwrap_or_default(),
                    )
                }),
                save.version().get(),
                vehicle.version().get(),
            )
        },
        |((cost_center, member), _, _)| policies(cost_center, member),
    );
    let from_query = query_error();
    let error = Signal::derive(move || {
        [
            save.value().get().map(|r| r.map(|_| ())),
            vehicle.value().get().map(|r| r.map(|_| ())),
        ]
        .into_iter()
        .flatten()
        .find_map(|r| r.err())
        .or_else(|| from_query.get())
    });
    let body = move || {
        Suspend::new(async move {
            let v = match data.await {
                Ok(v) => v,
                Err(e @ AppError::Invalid { .. }) => {
                    return view! { <p class="error" role="alert" id=ids::FORM_ERROR>{policy_error(&e, lang, "")}</p> }.into_any()
                }
                Err(e) => return load_failure(e, t, t.forbidden),
            };
            let csrf = session.session.await.map(|s| s.csrf).unwrap_or_default();
            let currency = v.currency.clone();
            let error_line = {
                let currency = currency.clone();
                move || {
                    error.get().map(|e| view! {
                        <p class="error" role="alert" id=ids::FORM_ERROR>{policy_error(&e, lang, &currency)}</p>
                    })
                }
            };
            view! {
                <LevelPicker v=v.clone() />
                <section class="panel">
                    <h2>{v.heading.clone()}</h2>
                    {error_line}
                    {match v.since.clone() {
                        Some(when) => view! { <p class="hint">{pt.in_force_since.replace("{when}", &when)}</p> }.into_any(),
                        None => view! { <p class="hint">{pt.never_set}</p> }.into_any(),
                    }}
                    <RulesEditor v=v.clone() csrf=csrf.clone() save />
                </section>
                {(v.level == Level::Member).then(|| view! {
                    <Effective v=v.clone() />
                    <Vehicles v=v.clone() csrf=csrf.clone() vehicle />
                })}
            }
            .into_any()
        })
    };
    view! {
        <Title text=pt.title />
        <section class="page policies">
            <h1>{pt.title}</h1>
            <p class="intro">{pt.intro}</p>
            <p class="notice">{pt.change_rule}</p>
            <Transition fallback=move || view! { <p class="loading">{t.loading}</p> }>{body}</Transition>
        </section>
    }
}

/// Which level to show: the company, a cost center, an employee by email. Plain GET forms.
#[component]
fn LevelPicker(v: PolicyView) -> impl IntoView {
    let pt = use_lang().policies();
    if !v.can_manage && v.level == Level::Member && v.cost_centers.is_empty() {
        return ().into_any();
    }
    let chosen = (v.level == Level::CostCenter)
        .then_some(v.target_id)
        .flatten();
    let options = v
        .cost_centers
        .iter()
        .map(|(id, label)| {
            view! { <option value=id.to_string() selected={chosen == Some(*id)}>{label.clone()}</option> }
        })
        .collect_view();
    let member_value = if v.level == Level::Member {
        v.member_email.clone()
    } else {
        String::new()
    };
    view! {
        <nav class="panel level-picker" aria-label=pt.level>
            <p><a href="/policies" aria-current=(v.level == Level::Company).then_some("page")>{pt.level_company}</a></p>
            <form method="get" action="/policies" class="filters" id=ids::POLICY_CENTER_PICK>
                <div class="field">
                    <label for="policy-cost-center">{pt.level_cost_center}</label>
                    <select id="policy-cost-center" name="cost_center">{options}</select>
                </div>
                <div class="actions"><button type="submit" class="button secondary">{pt.show}</button></div>
            </form>
            <form method="get" action="/policies" class="filters" id=ids::POLICY_MEMBER_LOOKUP>
                <div class="field">
                    <label for="policy-member">{pt.level_member}</label>
                    <input type="email" id="policy-member" name="member" required autocomplete="off" value=member_value />
                    <p class="hint">{pt.employee_hint}</p>
                </div>
                <div class="actions"><button type="submit" class="button secondary">{pt.show}</button></div>
            </form>
        </nav>
    }
    .into_any()
}

/// The level's rules form: each rule "as the level above" (empty) or set.
#[component]
fn RulesEditor(v: PolicyView, csrf: String, save: ServerAction<SavePolicy>) -> impl IntoView {
    let pt = use_lang().policies();
    let f: RulesForm = v.form.clone();
    let inherit = if v.level == Level::Company {
        pt.no_rule
    } else {
        pt.inherit
    };
    let disabled = !v.can_manage;
    let level = match v.level {
        Level::Company => "company",
        Level::CostCenter => "cost_center",
        Level::Member => "member",
    };
    let id = v.target_id.map(|i| i.to_string()).unwrap_or_default();
    let choice = move |name: &'static str,
                       label: &'static str,
                       value: String,
                       yes: &'static str,
                       no: &'static str| {
        let input_id = format!("policy-{name}");
        view! {
            <div class="field">
                <label for=input_id.clone()>{label}</label>
                <select id=input_id name=format!("form[{name}]") disabled=disabled>
                    <option value="" selected=value.is_empty()>{inherit}</option>
                    <option value="yes" selected={value == "yes"}>{yes}</option>
                    <option value="no" selected={value == "no"}>{no}</option>
                </select>
            </div>
        }
    };
    let days = f.chosen_days();
    let day_boxes = (0..7)
        .map(|d| {
            let name = format!("form[day{d}]");
            let box_id = format!("policy-day{d}");
            let for_id = box_id.clone();
            view! {
                <label class="check" for=for_id>
                    <input type="checkbox" id=box_id name=name checked=days[d] disabled=disabled />
                    {pt.weekdays[d]}
                </label>
            }
        })
        .collect_view();
    let text = move |name: &'static str,
                     label: String,
                     value: String,
                     mode: &'static str,
                     hint: Option<&'static str>| {
        let input_id = format!("policy-{name}");
        let hint_id = format!("{input_id}-hint");
        view! {
            <div class="field">
                <label for=input_id.clone()>{label}</label>
                <input type="text" inputmode=mode id=input_id name=format!("form[{name}]") value=value
                    disabled=disabled autocomplete="off" aria-describedby=hint.map(|_| hint_id.clone()) />
                {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
            </div>
        }
    };
    // Who may not change the rules reads the ticked facilities as a list (disabled boxes in a
    // scrolling box could not be reached with the keyboard).
    let ticked: Vec<String> = v
        .facilities
        .iter()
        .filter(|(fid, _)| f.has_facility(*fid))
        .map(|(_, label)| label.clone())
        .collect();
    let read_only_facilities = if ticked.is_empty() {
        view! { <p>{inherit}</p> }.into_any()
    } else {
        let items = ticked
            .into_iter()
            .map(|l| view! { <li>{l}</li> })
            .collect_view();
        view! { <ul class="policy-facilities">{items}</ul> }.into_any()
    };
    let facility_boxes = v
        .facilities
        .iter()
        .enumerate()
        .map(|(i, (fid, label))| {
            let box_id = format!("policy-facility{i}");
            let for_id = box_id.clone();
            view! {
                <label class="check" for=for_id>
                    <input type="checkbox" id=box_id name=format!("form[facility][{}]", RulesForm::facility_key(*fid))
                        checked=f.has_facility(*fid) disabled=disabled />
                    {label.clone()}
                </label>
            }
        })
        .collect_view();
    let session_cap_label = pt.session_cap.replace("{currency}", &v.currency);
    let monthly_cap_label = pt.monthly_cap.replace("{currency}", &v.currency);
    view! {
        <ActionForm action=save attr:class="policy-form" attr:id=ids::POLICY_FORM>
            <Csrf token=csrf />
            <input type="hidden" name="level" value=level />
            <input type="hidden" name="id" value=id />
            <fieldset class="days">
                <legend>{pt.days}</legend>
                <div class="field">
                    <label for="policy-days" class="visually-hidden">{pt.days}</label>
                    <select id="policy-days" name="form[days]" disabled=disabled>
                        <option value="" selected=f.days.is_empty()>{inherit}</option>
                        <option value="every" selected={f.days == "every"}>{pt.days_every}</option>
                        <option value="weekdays" selected={f.days == "weekdays"}>{pt.days_weekdays}</option>
                        <option value="custom" selected={f.days == "custom"}>{pt.days_custom}</option>
                    </select>
                </div>
                <div class="day-boxes">{day_boxes}</div>
            </fieldset>
            <fieldset class="hours">
                <legend>{pt.hours}</legend>
                <div class="field-row">
                    {text("hours_from", pt.hours_from.to_owned(), f.hours_from.clone(), "numeric", None)}
                    {text("hours_to", pt.hours_to.to_owned(), f.hours_to.clone(), "numeric", None)}
                </div>
                <p class="hint">{pt.hours_hint}</p>
            </fieldset>
            <div class="field-row">
                {choice("parking", pt.parking, f.parking.clone(), pt.allowed, pt.not_allowed)}
                {choice("charging", pt.charging, f.charging.clone(), pt.allowed, pt.not_allowed)}
                {choice("only_registered", pt.vehicles_rule, f.only_registered.clone(), pt.only_registered, pt.any_vehicle)}
            </div>
            <div class="field-row">
                {text("max_stay_hours", pt.max_stay.to_owned(), f.max_stay_hours.clone(), "decimal", None)}
                {text("session_cap", session_cap_label, f.session_cap.clone(), "decimal", Some(pt.amount_hint))}
                {text("monthly_cap", monthly_cap_label, f.monthly_cap.clone(), "decimal", None)}
            </div>
            <fieldset class="facilities" aria-describedby="policy-facilities-hint">
                <legend>{pt.facilities}</legend>
                <p class="hint" id="policy-facilities-hint">{pt.facilities_hint}</p>
                {if disabled {
                    read_only_facilities
                } else {
                    view! { <div class="facility-boxes">{facility_boxes}</div> }.into_any()
                }}
            </fieldset>
            {v.can_manage.then(|| view! {
                <fieldset class="valid-from">
                    <legend>{pt.valid_from}</legend>
                    <div class="field">
                        <label for="policy-valid-from">{pt.valid_from_date}</label>
                        <input type="date" id="policy-valid-from" name="valid_from" aria-describedby="policy-valid-from-hint" />
                        <p class="hint" id="policy-valid-from-hint">{pt.valid_from_hint}</p>
                    </div>
                    <label class="check" for="policy-recheck">
                        <input type="checkbox" id="policy-recheck" name="recheck" />
                        {pt.recheck}
                    </label>
                </fieldset>
                <div class="actions"><button type="submit" class="button">{pt.save}</button></div>
            })}
        </ActionForm>
    }
}

/// A member's rules in force, rule by rule, with the level each comes from.
#[component]
fn Effective(v: PolicyView) -> impl IntoView {
    let pt = use_lang().policies();
    let name = v.member_name.clone();
    let rows = v
        .effective
        .into_iter()
        .map(
            |l| view! { <tr><th scope="row">{l.rule}</th><td>{l.value}</td><td>{l.from}</td></tr> },
        )
        .collect_view();
    view! {
        <section class="panel" id=ids::POLICY_EFFECTIVE>
            <h2>{pt.effective_title.replace("{name}", &name)}</h2>
            <p class="hint">{pt.effective_intro}</p>
            <div class="table-scroll">
                <table class="costs-table">
                    <thead><tr><th scope="col">{pt.rule}</th><th scope="col">{pt.value}</th><th scope="col">{pt.set_by}</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
    }
}

/// A member's registered vehicles, with remove buttons and the add form.
#[component]
fn Vehicles(v: PolicyView, csrf: String, vehicle: ServerAction<SetVehicle>) -> impl IntoView {
    let pt = use_lang().policies();
    let user = v.target_id.map(|i| i.to_string()).unwrap_or_default();
    let edit = v.may_edit_vehicles;
    let list = if v.vehicles.is_empty() {
        view! { <p class="empty">{pt.vehicles_none}</p> }.into_any()
    } else {
        let items = v
            .vehicles
            .into_iter()
            .map(|plate| {
                let (csrf, user, value) = (csrf.clone(), user.clone(), plate.clone());
                let remove = edit.then(move || {
                    let label = pt.remove_vehicle.replace("{plate}", &value);
                    view! {
                        <ActionForm action=vehicle attr:class="inline-form">
                            <Csrf token=csrf />
                            <input type="hidden" name="user_id" value=user />
                            <input type="hidden" name="plate" value=value />
                            <input type="hidden" name="add" value="no" />
                            <button type="submit" class="button secondary small" aria-label=label>{crate::i18n::use_texts().remove}</button>
                        </ActionForm>
                    }
                });
                view! { <li data-plate=plate.clone()><span class="plate">{plate.clone()}</span>{remove}</li> }
            })
            .collect_view();
        view! { <ul class="vehicle-list">{items}</ul> }.into_any()
    };
    view! {
        <section class="panel" id=ids::POLICY_VEHICLES>
            <h2>{pt.vehicles_title}</h2>
            <p class="hint">{pt.vehicles_intro}</p>
            {list}
            {edit.then(|| view! {
                <ActionForm action=vehicle attr:class="filters" attr:id=ids::POLICY_VEHICLE_ADD>
                    <Csrf token=csrf.clone() />
                    <input type="hidden" name="user_id" value=user.clone() />
                    <input type="hidden" name="add" value="yes" />
                    <div class="field">
                        <label for="policy-plate">{pt.plate}</label>
                        <input type="text" id="policy-plate" name="plate" required maxlength="20" autocomplete="off" autocapitalize="characters" />
                    </div>
                    <div class="actions"><button type="submit" class="button">{pt.add_vehicle}</button></div>
                </ActionForm>
            })}
        </section>
    }
}
