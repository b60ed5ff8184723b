//! The alerts' rules: what each says and links to, who gets it (active owners, admins and
//! finance viewers, each as they chose: not at all, in the portal, also by mail at once, or in
//! a daily digest at 07:00 in the company's time zone), delivery exactly once, and the signed
//! unsubscribe link that works without signing in.
//!
//! Exactly once, in two steps, each safe with several instances running:
//! 1. *Raised*: an event inserts one `alerts` row, unique per (company, kind, event key), in
//!    the transaction that found it (ingestion's batch, the overstay job's flags, the budget
//!    check); a second raise of the same event changes nothing.
//! 2. *Delivered*: [`deliver`] claims the row (`delivered_at`, a conditional UPDATE) in the
//!    transaction that writes the notices and queues the mails; a second instance's claim
//!    waits for the first and then finds it taken. Digests are claimed per person and day
//!    (`alert_digests`), as the monthly report is per month.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, TimeZone, Timelike};

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    model::{Kind, Mode, NoticeView, NoticesView, PAGE},
    store,
};
use crate::{
    auth::{OperatorAccess, TenantCtx},
    crypto::SecretKey,
    db::Db,
    error::{AppError, Reason},
    history::PolicyReason,
    i18n::Lang,
    mail::{store as outbox, templates},
    scope::CompanyScope,
    url::with_query,
};

/// What a budget alert is about (the `details` of its row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetDetails {
    /// None: the company's budget.
    pub cost_center: Option<Uuid>,
    pub month: i32,
    /// 80 or 100.
    pub threshold: u32,
    pub spent: i64,
    pub budget: i64,
}

/// The alert of a session judged outside policy, or of a car past its maximum stay.
pub fn for_session(kind: Kind, session: Uuid) -> store::NewAlert {
    store::NewAlert {
        kind,
        event_key: session.to_string(),
        session_id: Some(session),
        details: "{}".into(),
    }
}

/// The alert of a budget's threshold in a month: once per budget, month and threshold.
pub fn for_budget(d: &BudgetDetails) -> store::NewAlert {
    let target = d
        .cost_center
        .map_or_else(|| "company".to_owned(), |c| c.to_string());
    store::NewAlert {
        kind: Kind::Budget,
        event_key: format!("{target}:{}:{}", d.month, d.threshold),
        session_id: None,
        details: serde_json::to_string(d).expect("plain data serialises"),
    }
}

/// Who may get alerts: those who see the company's records.
pub fn may_receive(role: crate::companies::Role) -> bool {
    role.sees_company_records()
}

/// The company as an alert's words need it.
pub struct Company {
    pub name: String,
    pub tz: Tz,
    pub currency: String,
    /// Cost center id to `code name`.
    pub centers: HashMap<Uuid, String>,
}

impl Company {
    pub async fn load(db: &Db, scope: CompanyScope) -> Result<Option<Company>, AppError> {
        let (row, centers) = tokio::try_join!(
            crate::companies::store::company(db, scope),
            crate::companies::store::cost_centers(db, scope),
        )?;
        Ok(row.map(|r| Company {
            tz: crate::calendar::zone(&r.time_zone).unwrap_or(chrono_tz::Europe::Stockholm),
            name: r.name,
            currency: r.currency,
            centers: centers
                .into_iter()
                .map(|c| (c.id, format!("{} {}", c.code, c.name)))
                .collect(),
        }))
    }
}

/// The companies a job run has loaded, each once (a run delivers many alerts per company).
#[derive(Default)]
struct Companies(HashMap<Uuid, Option<Company>>);

impl Companies {
    /// The company of `scope` (none: it is gone).
    async fn get(&mut self, db: &Db, scope: CompanyScope) -> Result<Option<&Company>, AppError> {
        let id = scope.company_id();
        if let std::collections::hash_map::Entry::Vacant(e) = self.0.entry(id) {
            e.insert(Company::load(db, scope).await?);
        }
        Ok(self.0.get(&id).and_then(Option::as_ref))
    }
}

/// An alert in words: the mail's subject, the line, and the page of exactly what it is about.
pub struct Said {
    pub subject: String,
    pub line: String,
    pub href: String,
}

fn day_of(tz: Tz, t: i64) -> String {
    crate::calendar::local_date(tz, t).to_string()
}

/// What an alert says, in `lang`.
pub fn say(f: &store::Fact, c: &Company, lang: Lang) -> Said {
    let a = lang.alerts();
    let t = lang.texts();
    match f.kind {
        Kind::Policy | Kind::Overstay => {
            let plate = f.plate.clone().unwrap_or_default();
            let shown = crate::plate::display(&plate).unwrap_or_else(|| plate.clone());
            let who = f.member.clone().unwrap_or_else(|| a.guest.to_owned());
            let started = f.started_at.unwrap_or(f.created_at);
            let when = crate::calendar::format_local(c.tz, started);
            let facility = f.facility.clone().unwrap_or_default();
            let day = day_of(c.tz, started);
            let member = f.user_id.map(|u| u.to_string()).unwrap_or_default();
            let mut pairs = vec![
                ("from", day.as_str()),
                ("to", day.as_str()),
                ("plate", plate.as_str()),
                ("member", member.as_str()),
            ];
            let (subject, line) = if f.kind == Kind::Policy {
                pairs.push(("policy", "outside"));
                let pt = lang.policies();
                let reasons: Vec<&str> = PolicyReason::of(f.policy_flags.unwrap_or(0))
                    .map(|r| pt.reasons.get(r.index()).copied().unwrap_or_default())
                    .collect();
                let kind = match f.session_kind.as_deref() {
                    Some("charging") => t.kind_charging,
                    _ => t.kind_parking,
                };
                (
                    a.subject_policy,
                    Lang::fill(
                        a.policy_text,
                        &[
                            ("who", &who),
                            ("plate", &shown),
                            ("kind", kind),
                            ("facility", &facility),
                            ("when", &when),
                            ("reasons", &reasons.join(", ")),
                        ],
                    ),
                )
            } else {
                (
                    a.subject_overstay,
                    Lang::fill(
                        a.overstay_text,
                        &[
                            ("who", &who),
                            ("plate", &shown),
                            ("facility", &facility),
                            ("when", &when),
                        ],
                    ),
                )
            };
            Said {
                subject: Lang::fill(subject, &[("plate", &shown), ("company", &c.name)]),
                line,
                href: with_query("/history", &pairs),
            }
        }
        Kind::Budget => {
            let d: Option<BudgetDetails> = serde_json::from_str(&f.details).ok();
            let Some(d) = d else {
                return Said {
                    subject: c.name.clone(),
                    line: String::new(),
                    href: "/costs".into(),
                };
            };
            let target = match d.cost_center {
                None => a.budget_company.to_owned(),
                Some(id) => c
                    .centers
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| t.costs_unknown.to_owned()),
            };
            let (y, m) = crate::calendar::month_of_index(d.month);
            let month = format!("{} {y}", t.months[(m - 1) as usize]);
            let percent = d.threshold.to_string();
            Said {
                subject: Lang::fill(
                    a.subject_budget,
                    &[
                        ("percent", &percent),
                        ("target", &target),
                        ("company", &c.name),
                    ],
                ),
                line: Lang::fill(
                    a.budget_text,
                    &[
                        ("target", &target),
                        ("percent", &percent),
                        ("month", &month),
                        ("spent", &lang.money(d.spent, &c.currency)),
                        ("budget", &lang.money(d.budget, &c.currency)),
                    ],
                ),
                href: with_query(
                    "/costs",
                    &[("year", &y.to_string()), ("month", &m.to_string())],
                ),
            }
        }
    }
}

const UNSUBSCRIBE: &str = "alerts.unsubscribe";

fn unsubscribe_message(company: Uuid, user: Uuid, kind: Kind) -> String {
    format!("{company}|{user}|{}", kind.as_str())
}

/// The signed link that stops one kind of alert mail for one person, without signing in.
pub fn unsubscribe_link(
    key: &SecretKey,
    public_url: &str,
    company: Uuid,
    user: Uuid,
    kind: Kind,
) -> String {
    let sig = key.sign(UNSUBSCRIBE, &unsubscribe_message(company, user, kind));
    with_query(
        &format!("{}/notices/unsubscribe", public_url.trim_end_matches('/')),
        &[
            ("c", &company.to_string()),
            ("u", &user.to_string()),
            ("k", kind.as_str()),
            ("s", &sig),
        ],
    )
}

/// An unsubscribe link's person, checked: (company name, their address, the kind).
pub struct Unsubscribe {
    pub company: String,
    pub email: String,
    pub kind: Kind,
    scope: CompanyScope,
    user: Uuid,
}

/// Checks an unsubscribe link (`c`, `u`, `k`, `s`): a bad or altered link, or a person no
/// longer in the company, is refused.
pub async fn check_unsubscribe(
    db: &Db,
    key: &SecretKey,
    c: &str,
    u: &str,
    k: &str,
    s: &str,
) -> Result<Unsubscribe, AppError> {
    let bad = || AppError::invalid("link", Reason::Unknown);
    let company = Uuid::parse_str(c).map_err(|_| bad())?;
    let user = Uuid::parse_str(u).map_err(|_| bad())?;
    let kind = Kind::parse(k).ok_or_else(bad)?;
    if !key.verify(UNSUBSCRIBE, &unsubscribe_message(company, user, kind), s) {
        return Err(bad());
    }
    // The link's signature is the proof: the server signed it for this person and company.
    let scope = OperatorAccess::command_line().scope(company);
    let email = store::address(db, scope, user).await?.ok_or_else(bad)?;
    let name = crate::companies::store::company(db, scope)
        .await?
        .map(|r| r.name)
        .ok_or_else(bad)?;
    Ok(Unsubscribe {
        company: name,
        email,
        kind,
        scope,
        user,
    })
}

/// Stops the mails of the link's kind (the notices stay in the portal).
pub async fn unsubscribe(db: &Db, u: &Unsubscribe, lang: Lang) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    store::set_mode(&mut tx, u.scope, u.user, u.kind, Mode::Portal, lang.code()).await?;
    tx.commit().await?;
    Ok(())
}

/// Delivers every raised alert not yet delivered (the oldest 200 a run): notices for the
/// people who want them, mails for those who want them at once. Returns the mails queued.
/// Run once a minute by the server's job; a company's failure is logged and tried again.
pub async fn deliver(
    db: &Db,
    key: &SecretKey,
    public_url: &str,
    now: i64,
) -> Result<usize, AppError> {
    let access = OperatorAccess::command_line();
    let mut queued = 0;
    let mut companies = Companies::default();
    for p in store::undelivered(db, 200).await? {
        let scope = access.scope(p.company_id);
        let Some(company) = companies.get(db, scope).await? else {
            continue;
        };
        match deliver_one(db, key, public_url, scope, company, p.id, now).await {
            Ok(n) => queued += n,
            Err(e) => tracing::warn!(
                company = %p.company_id,
                error = ?e,
                "an alert could not be delivered; tried again on the next run"
            ),
        }
    }
    Ok(queued)
}

async fn deliver_one(
    db: &Db,
    key: &SecretKey,
    public_url: &str,
    scope: CompanyScope,
    company: &Company,
    alert: Uuid,
    now: i64,
) -> Result<usize, AppError> {
    let mut tx = db.begin().await?;
    if !store::claim(&mut tx, scope, alert, now).await? {
        return Ok(0);
    }
    let Some(fact) = store::facts(&mut tx, scope, &[alert]).await?.pop() else {
        return Ok(0);
    };
    let people = store::recipients(&mut tx, scope, fact.kind).await?;
    let notices: Vec<(Uuid, bool)> = people
        .iter()
        .map(|r| (r.user_id, r.mode == Mode::Digest.as_str()))
        .collect();
    store::add_notices(&mut tx, scope, alert, &notices, now).await?;
    let base = public_url.trim_end_matches('/');
    let mut queued = 0;
    for r in people.iter().filter(|r| r.mode == Mode::Immediate.as_str()) {
        let lang = r
            .lang
            .as_deref()
            .and_then(Lang::from_code)
            .unwrap_or_default();
        let said = say(&fact, company, lang);
        let a = lang.alerts();
        let kind_name = a.kinds[fact.kind.index()];
        let message = templates::alert(
            lang,
            &r.email,
            &said.subject,
            &Lang::fill(a.mail_intro, &[("company", &company.name)]),
            &[(said.line, format!("{base}{}", said.href))],
            &format!("{base}/notices"),
            (
                &Lang::fill(a.mail_unsubscribe, &[("kind", kind_name)]),
                &unsubscribe_link(key, public_url, scope.company_id(), r.user_id, fact.kind),
            ),
        );
        outbox::enqueue(&mut tx, &message, "alert", Some(r.user_id), now).await?;
        queued += 1;
    }
    tx.commit().await?;
    Ok(queued)
}

/// The hour of the daily digest, in the company's time zone.
pub const DIGEST_HOUR: u32 = 7;

/// Sends the daily digests that are due: for each person with notices waiting, once a day
/// from 07:00 in the company's time zone, the notices raised before today's 07:00 (later ones
/// wait for tomorrow's). Returns the mails queued.
pub async fn send_digests(
    db: &Db,
    key: &SecretKey,
    public_url: &str,
    now: i64,
) -> Result<usize, AppError> {
    let access = OperatorAccess::command_line();
    let mut queued = 0;
    let mut companies = Companies::default();
    for d in store::digests_due(db).await? {
        let scope = access.scope(d.company_id);
        let Some(company) = companies.get(db, scope).await? else {
            continue;
        };
        let local = company.tz.timestamp_opt(now, 0).single();
        let Some(local) = local.filter(|l| l.hour() >= DIGEST_HOUR) else {
            continue;
        };
        // 07:00 on the wall clock, also on the days of 23 and 25 hours (midnight + 7 h
        // would be 08:00 or 06:00 then).
        let seven = local
            .date_naive()
            .and_hms_opt(DIGEST_HOUR, 0, 0)
            .expect("a valid hour");
        let cutoff = company
            .tz
            .from_local_datetime(&seven)
            .earliest()
            .map_or(now, |t| t.timestamp());
        let day = day_number(local.date_naive());
        match digest_one(
            db, key, public_url, scope, company, d.user_id, day, cutoff, now,
        )
        .await
        {
            Ok(n) => queued += n,
            Err(e) => tracing::warn!(
                company = %d.company_id,
                error = ?e,
                "a digest could not be queued; tried again on the next run"
            ),
        }
    }
    Ok(queued)
}

#[allow(clippy::too_many_arguments)]
async fn digest_one(
    db: &Db,
    key: &SecretKey,
    public_url: &str,
    scope: CompanyScope,
    company: &Company,
    user: Uuid,
    day: i32,
    cutoff: i64,
    now: i64,
) -> Result<usize, AppError> {
    let mut tx = db.begin().await?;
    let pending = store::digest_pending(&mut tx, scope, user, cutoff).await?;
    if pending.is_empty() {
        return Ok(0);
    }
    if !store::claim_digest(&mut tx, scope, user, day, pending.len() as i32, now).await? {
        // Today's went out (here or on another instance): these wait for tomorrow's.
        return Ok(0);
    }
    let settings = store::settings(&mut tx, scope, user).await?;
    let Some(email) = store::address(&mut tx, scope, user).await? else {
        // No longer someone who gets alerts: nothing to send, nothing left waiting.
        store::digest_done(&mut tx, scope, user, cutoff).await?;
        tx.commit().await?;
        return Ok(0);
    };
    let lang = settings
        .iter()
        .find(|s| s.1 == Mode::Digest.as_str())
        .and_then(|s| Lang::from_code(&s.2))
        .unwrap_or_default();
    let facts = store::facts(&mut tx, scope, &pending).await?;
    let base = public_url.trim_end_matches('/');
    let a = lang.alerts();
    let lines: Vec<(String, String)> = facts
        .iter()
        .map(|f| {
            let said = say(f, company, lang);
            (said.line, format!("{base}{}", said.href))
        })
        .collect();
    // The unsubscribe link stops the digest of the kinds in it: the first kind's link, and
    // the page of choices for the rest.
    let kinds: HashSet<Kind> = facts.iter().map(|f| f.kind).collect();
    let kind = Kind::ALL
        .into_iter()
        .find(|k| kinds.contains(k))
        .unwrap_or(Kind::Policy);
    let message = templates::alert(
        lang,
        &email,
        &Lang::fill(
            a.subject_digest,
            &[("company", &company.name), ("n", &lines.len().to_string())],
        ),
        &Lang::fill(a.digest_intro, &[("company", &company.name)]),
        &lines,
        &format!("{base}/notices"),
        (
            &Lang::fill(a.mail_unsubscribe, &[("kind", a.kinds[kind.index()])]),
            &unsubscribe_link(key, public_url, scope.company_id(), user, kind),
        ),
    );
    outbox::enqueue(&mut tx, &message, "alert_digest", Some(user), now).await?;
    store::digest_done(&mut tx, scope, user, cutoff).await?;
    tx.commit().await?;
    Ok(1)
}

/// `/notices`: the caller's notices (a page of [`PAGE`], older than `before`, a timestamp)
/// and their choices.
pub async fn view(
    db: &Db,
    ctx: &TenantCtx,
    lang: Lang,
    before: &str,
) -> Result<NoticesView, AppError> {
    if !may_receive(ctx.role()) {
        return Err(AppError::Forbidden);
    }
    // The keyset of the previous page's last notice: `<created_at>.<id>`.
    let before = match before.trim() {
        "" => None,
        raw => {
            let bad = || AppError::invalid("before", Reason::Unknown);
            let (at, id) = raw.split_once('.').ok_or_else(bad)?;
            Some((
                at.parse::<i64>().map_err(|_| bad())?,
                Uuid::parse_str(id).map_err(|_| bad())?,
            ))
        }
    };
    let scope = ctx.scope();
    let (rows, unread, settings, company) = tokio::try_join!(
        async {
            Ok::<_, AppError>(store::notices(db, scope, ctx.user_id(), before, PAGE + 1).await?)
        },
        async { Ok::<_, AppError>(store::unread(db, scope, ctx.user_id()).await?) },
        async { Ok::<_, AppError>(store::settings(db, scope, ctx.user_id()).await?) },
        Company::load(db, scope),
    )?;
    let company = company.ok_or(AppError::NotFound)?;
    let more = rows.len() as i64 > PAGE;
    let rows = &rows[..rows.len().min(PAGE as usize)];
    let notices = rows
        .iter()
        .map(|r| {
            let said = say(&r.fact, &company, lang);
            NoticeView {
                kind: r.fact.kind,
                text: said.line,
                href: said.href,
                when: crate::calendar::format_local(company.tz, r.notice_created_at),
                unread: r.read_at.is_none(),
            }
        })
        .collect();
    let older_href = more.then(|| rows.last()).flatten().map(|r| {
        let key = format!("{}.{}", r.notice_created_at, r.notice_id);
        with_query("/notices", &[("before", &key)])
    });
    let settings = Kind::ALL
        .into_iter()
        .map(|k| {
            let mode = settings
                .iter()
                .find(|s| s.0 == k.as_str())
                .and_then(|s| Mode::parse(&s.1))
                .unwrap_or_default();
            (k, mode)
        })
        .collect();
    Ok(NoticesView {
        notices,
        unread,
        older_href,
        settings,
    })
}

/// The header's unread count (0 for those who get no alerts).
pub async fn unread(db: &Db, ctx: &TenantCtx) -> Result<i64, AppError> {
    if !may_receive(ctx.role()) {
        return Ok(0);
    }
    Ok(store::unread(db, ctx.scope(), ctx.user_id()).await?)
}

pub async fn mark_read(db: &Db, ctx: &TenantCtx, now: i64) -> Result<u64, AppError> {
    if !may_receive(ctx.role()) {
        return Err(AppError::Forbidden);
    }
    Ok(store::mark_read(db, ctx.scope(), ctx.user_id(), now).await?)
}

/// Saves the caller's choices (`policy`, `overstay`, `budget`: a mode each), in the language
/// of the request (their mails'). A bad value is refused by field; nothing changes. A kind
/// no longer in the digest leaves the digest at once.
pub async fn save_settings(
    db: &Db,
    ctx: &TenantCtx,
    form: &HashMap<String, String>,
    lang: Lang,
) -> Result<(), AppError> {
    if !may_receive(ctx.role()) {
        return Err(AppError::Forbidden);
    }
    let mut chosen = Vec::new();
    for kind in Kind::ALL {
        let raw = form.get(kind.as_str()).map(String::as_str).unwrap_or("");
        let mode = Mode::parse(raw.trim())
            .ok_or_else(|| AppError::invalid(kind.as_str(), Reason::Unknown))?;
        chosen.push((kind, mode));
    }
    let scope = ctx.scope();
    let mut tx = db.begin().await?;
    for (kind, mode) in &chosen {
        store::set_mode(&mut tx, scope, ctx.user_id(), *kind, *mode, lang.code()).await?;
    }
    if !chosen.iter().any(|(_, m)| *m == Mode::Digest) {
        store::digest_done(&mut tx, scope, ctx.user_id(), i64::MAX).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Days since 1970-01-01 of a local date (the digest's day).
pub fn day_number(d: chrono::NaiveDate) -> i32 {
    d.num_days_from_ce() - 719_163
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_threshold_is_one_event_per_budget_month_and_threshold() {
        let d = BudgetDetails {
            cost_center: None,
            month: 24_322,
            threshold: 80,
            spent: 8_000,
            budget: 10_000,
        };
        let again = BudgetDetails {
            spent: 9_000,
            ..d.clone()
        };
        assert_eq!(for_budget(&d).event_key, for_budget(&again).event_key);
        let hundred = BudgetDetails {
            threshold: 100,
            ..d.clone()
        };
        assert_ne!(for_budget(&d).event_key, for_budget(&hundred).event_key);
        let next_month = BudgetDetails { month: 24_323, ..d };
        assert_ne!(
            for_budget(&next_month).event_key,
            for_budget(&hundred).event_key
        );
    }

    #[test]
    fn an_unsubscribe_link_is_signed_for_its_person_and_kind() {
        let key = SecretKey::new(*b"0123456789abcdef0123456789abcdef").unwrap();
        let (c, u) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let link = unsubscribe_link(&key, "https://p.example/", c, u, Kind::Budget);
        assert!(
            link.starts_with("https://p.example/notices/unsubscribe?c="),
            "{link}"
        );
        let sig = link.rsplit("s=").next().unwrap();
        assert!(key.verify(UNSUBSCRIBE, &unsubscribe_message(c, u, Kind::Budget), sig));
        assert!(!key.verify(UNSUBSCRIBE, &unsubscribe_message(c, u, Kind::Policy), sig));
        assert!(!key.verify(UNSUBSCRIBE, &unsubscribe_message(u, c, Kind::Budget), sig));
        assert!(!key.verify("other", &unsubscribe_message(c, u, Kind::Budget), sig));
    }

    #[test]
    fn day_numbers_count_from_1970() {
        assert_eq!(
            day_number(chrono::NaiveDate::from_ymd_opt(1970, 1, 2).unwrap()),
            1
        );
    }
}
