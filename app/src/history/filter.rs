//! From the URL's text to a checked filter (the form's choices are `choices.rs`).
//! The one place that decides which sessions a caller may see: a member is pinned to their
//! own sessions here, whatever the URL asks for.

use chrono::{Datelike, NaiveDate, Offset, TimeZone};
use chrono_tz::Tz;
use uuid::Uuid;

use super::{HistoryQuery, SessionKind};
use crate::{
    audit::{store as audit, AuditAction},
    auth::TenantCtx,
    db::Db,
    error::{AppError, Reason},
    i18n::Lang,
    scope::CompanyScope,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Month(i32, u32),
    Year(i32),
    /// Both days included.
    Range(NaiveDate, NaiveDate),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Newest first.
    Start,
    /// Most expensive first.
    Cost,
    /// Longest first.
    Duration,
}

impl Sort {
    /// The SQL expression the keyset orders by (with `s.id` as the tie-breaker).
    pub fn key_sql(self) -> &'static str {
        match self {
            Sort::Start => "s.started_at",
            Sort::Cost => "s.amount_ore",
            Sort::Duration => "(COALESCE(s.ended_at, s.started_at) - s.started_at)",
        }
    }
}

/// A checked filter: the company, a `[from, to)` range of UTC seconds from the company's
/// calendar, and the optional columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// The company whose sessions these are (from the caller's [`TenantCtx`]).
    pub scope: CompanyScope,
    pub company_slug: String,
    pub currency: String,
    pub tz: Tz,
    pub period: Period,
    pub from: i64,
    pub to: i64,
    /// True for a member: only their own sessions, whatever the URL says.
    pub own_only: bool,
    /// `None`: everyone. `Some(ids)`: only these people.
    pub users: Option<Vec<Uuid>>,
    /// Only guests' sessions (no member: a front desk's visitors, `member=guests` in the URL;
    /// the cost page's guests row links here).
    pub guests: bool,
    /// A `LIKE` pattern (escaped): only the company's people whose name or email matches.
    pub member_like: Option<String>,
    /// Every stored form of the plate asked for (`crate::plate::spellings`): a Finnish
    /// `ABC-123` and a Swedish `ABC 123` are found by either spelling.
    pub plate: Option<Vec<String>>,
    pub cost_center: Option<CostCenterChoice>,
    pub facility: Option<Uuid>,
    pub kind: Option<SessionKind>,
    /// Only sessions outside policy for any of these reasons (`policies::model::Reason` bits).
    pub policy: Option<i64>,
    pub sort: Sort,
    pub limit: i64,
    /// Keyset cursor: (sort key, id) of the last row of the previous page.
    pub after: Option<(i64, Uuid)>,
}

impl Period {
    /// `mars 2026`, `2026`, `2026-03-01 – 2026-03-15`.
    pub fn label(self, lang: Lang) -> String {
        match self {
            Period::Month(y, m) => format!("{} {y}", lang.texts().months[(m - 1) as usize]),
            Period::Year(y) => y.to_string(),
            Period::Range(a, b) => format!("{a} – {b}"),
        }
    }

    /// The month before a month, the year before a year; none for a range of days.
    pub fn before(self) -> Option<Period> {
        match self {
            Period::Month(y, 1) => Some(Period::Month(y - 1, 12)),
            Period::Month(y, m) => Some(Period::Month(y, m - 1)),
            Period::Year(y) => Some(Period::Year(y - 1)),
            Period::Range(..) => None,
        }
    }
}

/// The cost-center filter: one cost center, or the sessions without one (`none` in the URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CostCenterChoice {
    Unassigned,
    Is(Uuid),
}

/// The URL's value for "no cost center".
pub const NO_COST_CENTER: &str = "none";

/// The member filter's value for guests: the sessions that belong to no member.
pub const GUESTS: &str = "guests";

/// `[first, end)` of a period as local day numbers (`calendar::day_number`): the same days
/// as [`period_bounds`]'s instants, the rollups' key.
pub fn period_days(period: Period) -> (i32, i32) {
    use crate::calendar::day_number;
    let first_of = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, 1).expect("checked month");
    match period {
        Period::Month(y, m) => {
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            (day_number(first_of(y, m)), day_number(first_of(ny, nm)))
        }
        Period::Year(y) => (day_number(first_of(y, 1)), day_number(first_of(y + 1, 1))),
        Period::Range(a, b) => (day_number(a), day_number(b) + 1),
    }
}

pub fn parse_period(q: &HistoryQuery, today: NaiveDate) -> Result<Period, AppError> {
    let date = |field: &str, v: &str| {
        NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::invalid(field, Reason::NotADate))
    };
    match (q.from.trim(), q.to.trim()) {
        ("", "") => {}
        (from, to) => {
            let from = if from.is_empty() {
                today.with_day(1).unwrap_or(today)
            } else {
                date("from", from)?
            };
            let to = if to.is_empty() {
                today
            } else {
                date("to", to)?
            };
            if to < from {
                return Err(AppError::invalid("to", Reason::EndBeforeStart));
            }
            return Ok(Period::Range(from, to));
        }
    }
    let year = crate::calendar::parse_year(&q.year)?;
    let month = crate::calendar::parse_month(&q.month)?;
    Ok(match (year, month) {
        (None, None) => Period::Month(today.year(), today.month()),
        (Some(y), None) => Period::Year(y),
        (y, Some(m)) => Period::Month(y.unwrap_or(today.year()), m),
    })
}

/// `[from, to)` in UTC seconds for a period of the company's calendar.
pub fn period_bounds(tz: Tz, period: Period) -> (i64, i64) {
    use crate::calendar::{local_midnight, month_bounds};
    match period {
        Period::Month(y, m) => month_bounds(tz, y, m).unwrap_or((0, 0)),
        Period::Year(y) => {
            let first = NaiveDate::from_ymd_opt(y, 1, 1).expect("checked year");
            let next = NaiveDate::from_ymd_opt(y + 1, 1, 1).expect("checked year");
            (local_midnight(tz, first), local_midnight(tz, next))
        }
        Period::Range(a, b) => (
            local_midnight(tz, a),
            local_midnight(tz, b.succ_opt().unwrap_or(b)),
        ),
    }
}

/// A keyset position as `cursor_text` writes it (`<sort key>.<id>`); empty is the start.
pub fn parse_cursor(raw: &str) -> Result<Option<(i64, Uuid)>, AppError> {
    if raw.is_empty() {
        return Ok(None);
    }
    raw.split_once('.')
        .and_then(|(k, id)| Some((k.parse().ok()?, Uuid::parse_str(id).ok()?)))
        .map(Some)
        .ok_or_else(|| AppError::invalid("after", Reason::NotAPosition))
}

pub fn cursor_text(key: i64, id: Uuid) -> String {
    format!("{key}.{id}")
}

/// A file-name-friendly company name: `Nordström Bygg AB` → `nordstrom-bygg-ab`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'å' | 'ä' | 'á' | 'à' => 'a',
            'ö' | 'ø' | 'ó' => 'o',
            'é' | 'è' => 'e',
            'ü' => 'u',
            'æ' => 'a',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// Checks every field of the query (a bad one is an `Invalid` naming it) and pins a member
/// to their own sessions.
pub async fn resolve(ctx: &TenantCtx, q: &HistoryQuery, now: i64) -> Result<Filter, AppError> {
    let company = ctx.company();
    let tz = company.zone();
    let today = crate::calendar::local_date(tz, now);
    let period = parse_period(q, today)?;
    let (from, to) = period_bounds(tz, period);
    let own_only = !ctx.role().sees_company_records();
    let guests = !own_only && q.member.trim() == GUESTS;
    let (users, member_like) = if own_only {
        (Some(vec![ctx.user_id()]), None)
    } else {
        match q.member.trim() {
            "" | GUESTS => (None, None),
            m => match Uuid::parse_str(m) {
                Ok(id) => (Some(vec![id]), None),
                Err(_) if m.chars().count() > 100 => {
                    return Err(AppError::invalid("member", Reason::TooLong))
                }
                Err(_) => (None, Some(crate::db::like_pattern(&m.to_lowercase()))),
            },
        }
    };
    let plate = match q.plate.trim() {
        "" => None,
        p => Some(
            crate::plate::spellings(p)
                .ok_or_else(|| AppError::invalid("plate", Reason::NotAPlate))?,
        ),
    };
    let id = |field: &str, v: &str| match v.trim() {
        "" => Ok(None),
        v => Uuid::parse_str(v)
            .map(Some)
            .map_err(|_| AppError::invalid(field, Reason::Unknown)),
    };
    let kind = match q.kind.trim() {
        "" => None,
        k => Some(SessionKind::parse(k).ok_or_else(|| AppError::invalid("kind", Reason::Unknown))?),
    };
    let policy = match q.policy.trim() {
        "" => None,
        "outside" => Some(crate::history::ANY_POLICY_REASON),
        code => Some(
            crate::history::PolicyReason::parse(code)
                .ok_or_else(|| AppError::invalid("policy", Reason::Unknown))?
                .bit(),
        ),
    };
    let sort = match q.sort.trim() {
        "" | "start" => Sort::Start,
        "cost" => Sort::Cost,
        "duration" => Sort::Duration,
        _ => return Err(AppError::invalid("sort", Reason::Unknown)),
    };
    let limit = match q.size.trim() {
        "" => super::DEFAULT_PAGE_SIZE,
        s => s
            .parse::<i64>()
            .ok()
            .filter(|n| super::PAGE_SIZES.contains(n))
            .ok_or_else(|| AppError::invalid("size", Reason::Unknown))?,
    };
    Ok(Filter {
        scope: ctx.scope(),
        company_slug: slug(&company.name),
        currency: company.currency.clone(),
        tz,
        period,
        from,
        to,
        own_only,
        users,
        guests,
        member_like,
        plate,
        cost_center: match q.cost_center.trim() {
            NO_COST_CENTER => Some(CostCenterChoice::Unassigned),
            v => id("cost_center", v)?.map(CostCenterChoice::Is),
        },
        facility: id("facility", &q.facility)?,
        kind,
        policy,
        sort,
        limit,
        after: parse_cursor(q.after.trim())?,
    })
}

impl Filter {
    pub fn period_label(&self, lang: Lang) -> String {
        self.period.label(lang)
    }

    /// The period before this one, for the empty state's link (none before the year 2000,
    /// which the URL's year refuses).
    pub fn earlier(&self, lang: Lang) -> Option<super::EarlierPeriod> {
        let before = self.period.before()?;
        let (year, month) = match before {
            Period::Month(y, m) => (y, m as i32),
            Period::Year(y) => (y, 0),
            Period::Range(..) => return None,
        };
        (year >= 2000).then(|| super::EarlierPeriod {
            year,
            month,
            label: before.label(lang),
        })
    }

    pub fn period_slug(&self) -> String {
        match self.period {
            Period::Month(y, m) => format!("{y}-{m:02}"),
            Period::Year(y) => y.to_string(),
            Period::Range(a, b) => format!("{a}_{b}"),
        }
    }

    /// Seconds to add to a UTC instant to get the company's wall-clock time then.
    pub fn offset_at(&self, utc: i64) -> i64 {
        self.tz
            .offset_from_utc_datetime(
                &chrono::DateTime::from_timestamp(utc, 0)
                    .unwrap_or_default()
                    .naive_utc(),
            )
            .fix()
            .local_minus_utc() as i64
    }

    /// A UTC instant as the company's wall-clock time, in the language's date form.
    pub(super) fn local(&self, utc: i64, lang: crate::i18n::Lang) -> String {
        let (y, m, d, h, mi) = crate::csv_io::write::local_parts(utc + self.offset_at(utc));
        lang.datetime(y, m, d, h, mi)
    }
}

/// Writes an export to the audit log: who (the actor), when, the filter and the row count.
pub async fn audit_export(
    db: &Db,
    ctx: &TenantCtx,
    q: &HistoryQuery,
    rows: i64,
    now: i64,
) -> Result<(), AppError> {
    let mut map = serde_json::Map::new();
    for (k, v) in q.without_paging().pairs() {
        map.insert(k.to_owned(), serde_json::Value::String(v.to_owned()));
    }
    map.insert("rows".into(), serde_json::Value::from(rows));
    let entry = audit::NewAuditEntry {
        actor: Some(ctx.user_id()),
        action: AuditAction::HistoryExported,
        subject: None,
        details: serde_json::Value::Object(map).to_string(),
        at: now,
    };
    let mut tx = db.begin().await?;
    audit::append(&mut tx, ctx.scope(), &entry).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> HistoryQuery {
        let mut q = HistoryQuery::default();
        for (k, v) in pairs {
            let v = v.to_string();
            match *k {
                "year" => q.year = v,
                "month" => q.month = v,
                "from" => q.from = v,
                "to" => q.to = v,
                _ => unreachable!(),
            }
        }
        q
    }

    #[test]
    fn the_period_before_crosses_the_turn_of_the_year_and_a_range_has_none() {
        assert_eq!(
            Period::Month(2027, 1).before(),
            Some(Period::Month(2026, 12))
        );
        assert_eq!(
            Period::Month(2026, 12).before(),
            Some(Period::Month(2026, 11))
        );
        assert_eq!(Period::Year(2027).before(), Some(Period::Year(2026)));
        let day = NaiveDate::from_ymd_opt(2027, 3, 28).unwrap();
        assert_eq!(Period::Range(day, day).before(), None);
        assert_eq!(
            Period::Month(2027, 1).before().unwrap().label(Lang::Sv),
            "december 2026"
        );
    }

    #[test]
    fn the_default_period_is_this_month_and_a_year_alone_is_the_whole_year() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(
            parse_period(&q(&[]), today).unwrap(),
            Period::Month(2026, 11)
        );
        assert_eq!(
            parse_period(&q(&[("year", "2025")]), today).unwrap(),
            Period::Year(2025)
        );
        assert_eq!(
            parse_period(&q(&[("year", "2025"), ("month", "all")]), today).unwrap(),
            Period::Year(2025)
        );
        assert_eq!(
            parse_period(&q(&[("month", "3")]), today).unwrap(),
            Period::Month(2026, 3)
        );
        let range = parse_period(&q(&[("from", "2026-03-01"), ("to", "2026-03-15")]), today);
        assert_eq!(
            range.unwrap(),
            Period::Range(
                NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
                NaiveDate::from_ymd_opt(2026, 3, 15).unwrap()
            )
        );
    }

    #[test]
    fn bad_period_values_name_their_field() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        for (pairs, field) in [
            (vec![("year", "20x6")], "year"),
            (vec![("year", "1999")], "year"),
            (vec![("month", "13")], "month"),
            (vec![("from", "2026-02-30")], "from"),
            (vec![("from", "2026-03-10"), ("to", "2026-03-01")], "to"),
        ] {
            let err = parse_period(&q(&pairs), today).unwrap_err();
            assert!(
                matches!(&err, AppError::Invalid { field: f, .. } if f == field),
                "{pairs:?}: {err:?}"
            );
        }
    }

    #[test]
    fn a_range_includes_its_last_day_in_local_time() {
        let tz = chrono_tz::Europe::Stockholm;
        let a = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let b = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        let (from, to) = period_bounds(tz, Period::Range(a, b));
        assert_eq!(
            (from, to),
            crate::calendar::month_bounds(tz, 2026, 3).unwrap()
        );
        // 2026 in Stockholm: 365 days, minus nothing, because both DST changes cancel out.
        let (y0, y1) = period_bounds(tz, Period::Year(2026));
        assert_eq!(y1 - y0, 365 * 86_400);
    }

    #[test]
    fn slugs_are_file_name_friendly() {
        assert_eq!(slug("Nordström Bygg AB"), "nordstrom-bygg-ab");
        assert_eq!(slug("  Åre & Co. "), "are-co");
    }
}
