//! Properties of the inputs every request meets (issue 12, "Fuzzed inputs"): the bounded slice
//! that runs in `make test` (proptest, a few hundred cases each); the long coverage-guided runs
//! of the same inputs are `make fuzz` (fuzz/). No input panics, what parses round-trips, and a
//! bulk file's bad rows never change data. A counterexample proptest finds is kept in
//! `app/tests/properties.proptest-regressions` and becomes a named regression test below.

use app::{
    companies::Email,
    crypto::{export_cursor_mac, export_cursor_matches, SecretKey},
    csv_io::read as csv,
    history::{
        filter::{cursor_text, parse_cursor, parse_period, period_bounds},
        HistoryQuery,
    },
    plate::Plate,
    url::local_path,
};
use chrono::NaiveDate;
use proptest::prelude::*;
use uuid::Uuid;

/// Text of the kinds that break readers: separators, quotes, line breaks, spaces, non-ASCII.
fn tricky(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            4 => proptest::char::range('a', 'z'),
            1 => Just('@'),
            1 => Just('.'),
            1 => Just(';'),
            1 => Just(','),
            1 => Just('"'),
            1 => Just('\n'),
            1 => Just('\r'),
            1 => Just(' '),
            1 => Just('\t'),
            1 => Just('å'),
            1 => Just('\u{feff}'),
            1 => Just('\0'),
        ],
        0..max,
    )
    .prop_map(|v| v.into_iter().collect())
}

/// One CSV field as Excel writes it: quoted when it holds the separator, a quote or a line
/// break, quotes doubled.
fn quoted(field: &str, sep: char) -> String {
    if field.contains([sep, '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

fn key() -> SecretKey {
    SecretKey::new(b"a test key that is long enough to be accepted, 32+".to_vec()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_csv_reader_never_panics(text in tricky(400)) {
        let _ = csv::parse(&text);
    }

    #[test]
    fn the_csv_reader_never_panics_on_any_text(text in any::<String>()) {
        let _ = csv::parse(&text);
    }

    /// Whatever Excel or LibreOffice would write, the reader reads back: every non-blank row,
    /// in order, each field trimmed, on the line it starts on.
    #[test]
    fn what_a_spreadsheet_writes_the_csv_reader_reads_back(
        rows in proptest::collection::vec((tricky(24), tricky(12), tricky(12)), 0..12),
        semicolon in any::<bool>(),
        crlf in any::<bool>(),
        bom in any::<bool>(),
    ) {
        let sep = if semicolon { ';' } else { ',' };
        let eol = if crlf { "\r\n" } else { "\n" };
        // A BOM inside a field is text; only the file's first character may be one.
        let rows: Vec<(String, String, String)> = rows
            .into_iter()
            .map(|(a, b, c)| {
                let strip = |s: String| s.replace(['\u{feff}', '\0'], "");
                (strip(a), strip(b), strip(c))
            })
            .collect();
        let mut text = String::from(if bom { "\u{feff}" } else { "" });
        text.push_str(&format!("email{sep}role{sep}cost_center{eol}"));
        let mut expected = Vec::new();
        for (email, role, cc) in &rows {
            let line = 1 + text.matches('\n').count();
            text.push_str(&format!("{}{sep}{}{sep}{}{eol}", quoted(email, sep), quoted(role, sep), quoted(cc, sep)));
            let fields = (email.trim(), role.trim(), cc.trim());
            if !(fields.0.is_empty() && fields.1.is_empty() && fields.2.is_empty()) {
                expected.push((line, fields.0.to_owned(), fields.1.to_owned(), fields.2.to_owned()));
            }
        }
        let read: Vec<_> = csv::parse(&text)
            .unwrap()
            .into_iter()
            .map(|r| (r.line, r.email, r.role, r.cost_center))
            .collect();
        prop_assert_eq!(read, expected, "{:?}", text);
    }

    /// A local path is local (one leading slash, no backslash, no control character or
    /// space), and checking it again changes nothing.
    #[test]
    fn a_local_path_stays_on_this_site(raw in any::<String>(), suffix in tricky(30)) {
        for target in [raw.clone(), format!("/{suffix}"), format!("/{raw}")] {
            if let Some(path) = local_path(&target) {
                prop_assert!(path.starts_with('/') && !path.starts_with("//"), "{path:?}");
                prop_assert!(!path.contains('\\'), "{path:?}");
                prop_assert!(!path.chars().any(|c| c.is_control() || c.is_whitespace()), "{path:?}");
                prop_assert_eq!(local_path(path), Some(path));
            }
        }
    }

    /// An address normalises once: the normal form of a normal form is itself.
    #[test]
    fn an_email_normalises_once(raw in any::<String>(), tricky_raw in tricky(40)) {
        for raw in [raw, tricky_raw, "  A.B@X.SE ".to_owned()] {
            if let Some(email) = Email::parse(&raw) {
                prop_assert_eq!(Email::parse(email.as_str()), Some(email.clone()));
                prop_assert!(email.as_str().contains('@'));
            }
        }
    }

    #[test]
    fn a_plate_normalises_once(raw in "[a-zA-Z0-9 -]{0,10}", any_raw in any::<String>()) {
        for raw in [raw, any_raw] {
            if let Some(plate) = Plate::parse(&raw) {
                prop_assert_eq!(Plate::parse(plate.as_str()), Some(plate.clone()));
                prop_assert_eq!(plate.as_str().len(), 7);
            }
        }
    }

    /// A page cursor round-trips, and no text parses into a cursor it does not print as
    /// (other than the forms of one number, `+5` or `05`).
    #[test]
    fn a_history_cursor_round_trips(key in any::<i64>(), id in any::<u128>(), raw in any::<String>()) {
        let id = Uuid::from_u128(id);
        prop_assert_eq!(parse_cursor(&cursor_text(key, id)).unwrap(), Some((key, id)));
        if let Ok(Some((k, i))) = parse_cursor(&raw) {
            prop_assert_eq!(parse_cursor(&cursor_text(k, i)).unwrap(), Some((k, i)));
        }
    }

    /// Whatever the URL says about the period, the parser answers (a period or a field's
    /// error) and the period has bounds: no panic, and `from <= to`.
    #[test]
    fn any_period_in_the_url_is_answered(
        year in prop_oneof![Just(String::new()), "[0-9]{1,6}", any::<String>()],
        month in prop_oneof![Just(String::new()), Just("all".to_owned()), "[0-9]{1,3}", any::<String>()],
        from in prop_oneof![Just(String::new()), "[+-]?[0-9]{1,6}-[0-9]{1,2}-[0-9]{1,2}", any::<String>()],
        to in prop_oneof![Just(String::new()), "[+-]?[0-9]{1,6}-[0-9]{1,2}-[0-9]{1,2}", any::<String>()],
    ) {
        let q = HistoryQuery { year, month, from, to, ..HistoryQuery::default() };
        let today = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        if let Ok(period) = parse_period(&q, today) {
            let (a, b) = period_bounds(chrono_tz::Europe::Stockholm, period);
            prop_assert!(a <= b, "{period:?}: {a} > {b}");
        }
    }

    /// An export cursor's MAC binds its session, its filter and its cursor: changing any one
    /// of them (to anything, separators included) makes it fail.
    #[test]
    fn an_export_cursor_is_bound_to_its_filter_and_position(
        session in proptest::collection::vec(any::<u8>(), 32),
        filter in tricky(40),
        cursor in tricky(30),
        other_filter in tricky(40),
        other_cursor in tricky(30),
    ) {
        let key = key();
        let mac = export_cursor_mac(&key, &session, &filter, &cursor);
        prop_assert!(export_cursor_matches(&key, &session, &filter, &cursor, &mac));
        if (other_filter.as_str(), other_cursor.as_str()) != (filter.as_str(), cursor.as_str()) {
            prop_assert!(!export_cursor_matches(&key, &session, &other_filter, &other_cursor, &mac));
        }
        let mut other_session = session.clone();
        other_session[0] ^= 1;
        prop_assert!(!export_cursor_matches(&key, &other_session, &filter, &cursor, &mac));
    }
}

/// Found by reasoning about the property above, kept as an example: with the parts only
/// separated by a NUL byte, the filter `a\0b` with the cursor `c` and the filter `a` with the
/// cursor `b\0c` had the same MAC. (Not reachable through the server, whose filter text is
/// percent-encoded; the MAC now length-prefixes every part.)
#[test]
fn a_separator_inside_a_part_cannot_move_the_boundary() {
    let key = key();
    let session = [7u8; 32];
    let mac = export_cursor_mac(&key, &session, "a\0b", "c");
    assert!(!export_cursor_matches(&key, &session, "a", "b\0c", &mac));
}

mod bulk {
    //! A bulk file never half-applies: after an import, the invitations in the database are
    //! exactly the rows the answer reports as sent, each with its one mail and one audit
    //! entry, and no refused row left anything behind. On both engines, few cases (each one a
    //! fresh database).

    use app::{
        auth::TenantCtx,
        db::{Backend, Db},
        i18n::Lang,
        members::service::{bulk, BulkMode},
        scope::CompanyScope,
        testing::TestDb,
        with_pool,
    };
    use proptest::prelude::*;
    use uuid::Uuid;

    const NOW: i64 = 1_800_000_000;

    /// A company with its owner, one member and the cost center `100 Sälj`, through the
    /// stores as every test builds its world.
    async fn owner(db: &Db) -> (TenantCtx, Uuid) {
        use app::companies::{
            store::{self as companies, CompanyRow, CostCenterRow, NewMembership},
            Email, Role,
        };
        let company = CompanyRow {
            id: Uuid::new_v4(),
            name: "P AB".into(),
            org_number: "556000-7777".into(),
            time_zone: "Europe/Stockholm".into(),
            currency: "SEK".into(),
        };
        companies::insert_company(db, &company, 0).await.unwrap();
        let scope = CompanyScope::for_tests(company.id);
        let mut owner = None;
        for (address, role) in [("owner@p.se", Role::Owner), ("member@p.se", Role::Member)] {
            let email = Email::parse(address).unwrap();
            let user_id = companies::upsert_user(db, Uuid::new_v4(), &email, "", 0)
                .await
                .unwrap();
            let m = NewMembership {
                user_id,
                role,
                default_cost_center_id: None,
                invited_email: None,
            };
            companies::add_membership(db, scope, &m, 0).await.unwrap();
            owner.get_or_insert(user_id);
        }
        let cc = CostCenterRow {
            id: Uuid::new_v4(),
            company_id: company.id,
            code: "100".into(),
            name: "Sälj".into(),
        };
        companies::insert_cost_center(db, scope, &cc, 0)
            .await
            .unwrap();
        let ctx = TenantCtx::from_database(db, owner.unwrap(), company.id)
            .await
            .unwrap();
        (ctx, company.id)
    }

    fn row() -> impl Strategy<Value = String> {
        let email = prop_oneof![
            "[a-c]{1,2}@p\\.se",
            Just("member@p.se".to_owned()),
            Just("not an address".to_owned()),
            Just(String::new()),
        ];
        let role = prop_oneof![
            Just("member"),
            Just("medlem"),
            Just("admin"),
            Just("owner"),
            Just("boss"),
            Just(""),
        ];
        let cc = prop_oneof![Just("100"), Just("sälj"), Just("999"), Just("")];
        (email, role, cc).prop_map(|(e, r, c)| format!("{e};{r};{c}"))
    }

    async fn check(backend: Backend, lines: &[String]) -> Result<(), TestCaseError> {
        let t = TestDb::fresh(backend).await;
        let (ctx, company) = owner(&t.db).await;
        let text = format!("email;role;cost_center\n{}\n", lines.join("\n"));
        let rows = app::csv_io::read::parse(&text).unwrap();
        let r = bulk(
            &t.db,
            &ctx,
            &rows,
            BulkMode::import_all(),
            "http://p",
            Lang::Sv,
            NOW,
        )
        .await
        .unwrap();
        let sent: std::collections::BTreeSet<String> = r
            .rows
            .iter()
            .filter(|row| row.problem.is_none())
            .map(|row| row.email.to_lowercase())
            .collect();
        prop_assert_eq!(sent.len() as i64, r.imported);
        let (invited, mails, audits): (Vec<String>, i64, i64) = with_pool!(&t.db, |pool| {
            async {
                let invited = sqlx::query_scalar("SELECT email FROM invitations WHERE company_id = $1 ORDER BY email")
                    .bind(company).fetch_all(pool).await?;
                let mails = sqlx::query_scalar("SELECT COUNT(*) FROM outbox o JOIN invitations i ON i.id = o.ref_id WHERE i.company_id = $1")
                    .bind(company).fetch_one(pool).await?;
                let audits = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE company_id = $1 AND action = 'invitation.sent'")
                    .bind(company).fetch_one(pool).await?;
                Ok::<_, sqlx::Error>((invited, mails, audits))
            }
            .await
        })
        .unwrap();
        let invited: std::collections::BTreeSet<String> = invited.into_iter().collect();
        prop_assert_eq!(
            &invited,
            &sent,
            "the database holds exactly the rows reported as sent"
        );
        prop_assert_eq!(mails, r.imported, "one mail per invitation");
        prop_assert_eq!(audits, r.imported, "one audit entry per invitation");
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

        #[test]
        fn a_bulk_file_never_half_applies(lines in proptest::collection::vec(row(), 1..25)) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            for backend in [Backend::Sqlite, Backend::Postgres] {
                rt.block_on(check(backend, &lines))?;
            }
        }
    }
}
