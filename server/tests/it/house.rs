//! The rules that give the code its shape, read from the source the way
//! `app::scope::scopes_are_granted_only_by_auth` reads it, so that the next capability cannot
//! quietly undo them (docs/architecture.md, "The shape of the house").
//!
//! The two lists at the top are ratchets: files that still break a rule the house is moving
//! towards. A new offender fails the test; so does a listed file that no longer offends (take
//! it off the list, so it cannot slip back).

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

/// Domain stores that still match on the engine (`Db::Sqlite`, `Tx::Postgres`, …) instead of
/// asking `app::db` for one of its helpers. `history/store/export.rs` keeps one on purpose: the CSV
/// export's rows come from SQLite as one JSON text, 3× faster than sqlx's row-by-row transfer
/// (docs/benchmarks.md, "CSV export").
const STORES_THAT_NAME_AN_ENGINE: &[&str] = &["history/store/export.rs"];

/// Domains whose `mod.rs` still holds types or server functions instead of only declaring
/// and re-exporting. Empty since issue 27: every domain has a thin face (model.rs, api.rs);
/// the list stays so that an exception, if one is ever needed, is named here.
const DOMAINS_WITH_A_FAT_FACE: &[&str] = &[];

/// The domains from the bottom up: a domain may import the ones before it, never one after
/// it (so there is no circle between domains, and every arrow runs down).
const DOMAINS_BOTTOM_UP: &[&str] = &[
    "companies",
    "mail",
    "auth",
    "audit",
    "facilities",
    "frontdesk",
    "history",
    "alerts",
    "policies",
    "costs",
    "cost_centers",
    "members",
    "invoices",
    "reports",
    "ingest",
    "operator",
];

/// Files directly under `app/src` that are not the base layer: the crate root, the app's top
/// (the HTML shell with its routes, and the landing page, which show every domain) and the
/// test support.
const APP_TOP: &[&str] = &["lib.rs", "shell.rs", "home.rs", "testing.rs"];

/// Folders of `app/src` that belong to the base layer (a base module grown into files).
const BASE_FOLDERS: &[&str] = &["csv_io", "config"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file under `dir`, by its path relative to `dir`.
fn sources(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    out
}

/// The code without comments (doc comments name other modules in links).
fn code(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules of the crate that `text` names: `crate::x::…` anywhere, and the
/// first segment of each path inside a `use crate::{…}` group.
fn crate_modules(text: &str) -> BTreeSet<String> {
    let text = code(text);
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Depth-1 items of the group: `a::b`, `c`, `d::{e, f}`.
            let (mut depth, mut start) = (0usize, true);
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && !c.is_whitespace() => {
                        let name = ident(&group[j..]);
                        if !name.is_empty() {
                            out.insert(name);
                        }
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

fn app_src() -> BTreeMap<String, String> {
    sources(&root().join("app/src"))
}

/// The domain a file of `app/src` belongs to (its folder), if any.
fn domain_of(rel: &str) -> Option<&str> {
    let (dir, _) = rel.split_once('/')?;
    DOMAINS_BOTTOM_UP.iter().copied().find(|d| *d == dir)
}

#[test]
fn every_folder_of_app_src_is_a_known_domain_or_the_base_layer() {
    let mut dirs = BTreeSet::new();
    for rel in app_src().keys() {
        if let Some((dir, _)) = rel.split_once('/') {
            dirs.insert(dir.to_owned());
        }
    }
    let unknown: Vec<_> = dirs
        .iter()
        .filter(|d| !DOMAINS_BOTTOM_UP.contains(&d.as_str()) && !BASE_FOLDERS.contains(&d.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "folders of app/src in no layer (add a domain to DOMAINS_BOTTOM_UP, in its place): {unknown:?}"
    );
}

#[test]
fn the_base_layer_imports_no_domain() {
    let mut offenders = Vec::new();
    for (rel, text) in app_src() {
        let base = match rel.split_once('/') {
            None => !APP_TOP.contains(&rel.as_str()),
            Some((dir, _)) => BASE_FOLDERS.contains(&dir),
        };
        if !base {
            continue;
        }
        for m in crate_modules(&text) {
            if DOMAINS_BOTTOM_UP.contains(&m.as_str()) {
                offenders.push(format!("{rel} -> {m}"));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "base files importing a domain: {offenders:?}"
    );
}

#[test]
fn domains_import_only_the_domains_below_them() {
    let rank = |d: &str| DOMAINS_BOTTOM_UP.iter().position(|x| *x == d);
    let mut offenders = Vec::new();
    for (rel, text) in app_src() {
        let Some(domain) = domain_of(&rel) else {
            continue;
        };
        for m in crate_modules(&text) {
            if let (Some(to), Some(from)) = (rank(&m), rank(domain)) {
                if to > from {
                    offenders.push(format!("{rel} -> {m}"));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "imports that run up (or a circle between domains): {offenders:?}"
    );
}

/// Whether a `mod.rs` only declares modules and re-exports (`pub use`) their names.
fn is_thin_face(text: &str) -> bool {
    let mut in_use = false;
    for l in code(text).lines().map(str::trim).filter(|l| !l.is_empty()) {
        if in_use {
            in_use = !l.ends_with(';');
            continue;
        }
        if l.starts_with("#[cfg(") || l.starts_with("mod ") || l.starts_with("pub mod ") {
            continue;
        }
        if l.starts_with("pub use ") || l.starts_with("use ") {
            in_use = !l.ends_with(';');
            continue;
        }
        return false;
    }
    true
}

#[test]
fn a_domains_face_only_declares_and_re_exports() {
    let mut fat = BTreeSet::new();
    for (rel, text) in app_src() {
        let Some(domain) = domain_of(&rel) else {
            continue;
        };
        // The domain's own face; a folder inside it (`store/mod.rs`) is not one.
        if rel != format!("{domain}/mod.rs") {
            continue;
        }
        let holds_code = !is_thin_face(&text);
        if holds_code {
            fat.insert(domain.to_owned());
        }
    }
    let listed: BTreeSet<String> = DOMAINS_WITH_A_FAT_FACE
        .iter()
        .map(|s| s.to_string())
        .collect();
    let new: Vec<_> = fat.difference(&listed).collect();
    let slimmed: Vec<_> = listed.difference(&fat).collect();
    assert!(
        new.is_empty(),
        "a domain's mod.rs holds code again: {new:?}"
    );
    assert!(
        slimmed.is_empty(),
        "these faces are thin now: take them off DOMAINS_WITH_A_FAT_FACE: {slimmed:?}"
    );
}

#[test]
fn no_domain_store_names_an_engine_beyond_the_listed_ones() {
    let engines = [
        "Db::Sqlite",
        "Db::Postgres",
        "Tx::Sqlite",
        "Tx::Postgres",
        "Backend::",
    ];
    let mut naming = BTreeSet::new();
    for (rel, text) in app_src() {
        if domain_of(&rel).is_none() {
            continue;
        }
        let text = code(&text);
        if engines.iter().any(|e| text.contains(e)) {
            naming.insert(rel);
        }
    }
    let listed: BTreeSet<String> = STORES_THAT_NAME_AN_ENGINE
        .iter()
        .map(|s| s.to_string())
        .collect();
    let new: Vec<_> = naming.difference(&listed).collect();
    let cleaned: Vec<_> = listed.difference(&naming).collect();
    assert!(
        new.is_empty(),
        "engine branches belong in app/src/db.rs (a helper there), not in: {new:?}"
    );
    assert!(
        cleaned.is_empty(),
        "these no longer name an engine: take them off STORES_THAT_NAME_AN_ENGINE: {cleaned:?}"
    );
}

#[test]
fn server_src_holds_no_test_or_benchmark_files() {
    let src = root().join("server/src");
    let mut offenders = Vec::new();
    for (rel, text) in sources(&src) {
        if rel.ends_with("_tests.rs") || rel.ends_with("_bench.rs") || rel.ends_with("tests.rs") {
            offenders.push(format!(
                "{rel}: a test file (its place is server/tests/it/)"
            ));
        }
        // A small `#[cfg(test)]` module beside the code it tests is fine; a big one is a test
        // file in hiding.
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            if l.trim() == "#[cfg(test)]" {
                let len = lines[i + 1..]
                    .iter()
                    .position(|l| *l == "}")
                    .map_or(lines.len() - i, |n| n + 1);
                if len > 120 {
                    offenders.push(format!("{rel}:{}: a test module of {len} lines", i + 1));
                }
            }
        }
        if text.contains("#[ignore = \"a benchmark") {
            offenders.push(format!("{rel}: a benchmark (its place is server/benches/)"));
        }
    }
    assert!(offenders.is_empty(), "{offenders:#?}");
}

#[test]
fn the_import_reader_sees_groups_and_paths() {
    let text = "use crate::{a::b, c, d::{e, f::g}};\nfn x() { crate::h::i(); }\n// crate::j\n";
    let got: Vec<String> = crate_modules(text).into_iter().collect();
    assert_eq!(got, ["a", "c", "d", "h"]);
}

#[test]
fn no_store_function_has_a_pool_twin_and_a_transaction_twin() {
    // `f` and `f_in` doing the same on a pool and in a transaction: one function taking
    // `impl Into<db::Conn>` does both.
    let mut twins = Vec::new();
    for (rel, text) in app_src() {
        let text = code(&text);
        let names: BTreeSet<&str> = text
            .split("fn ")
            .skip(1)
            .filter_map(|rest| rest.split(['(', '<']).next())
            .collect();
        for name in &names {
            if let Some(stem) = name.strip_suffix("_in") {
                if names.contains(stem) {
                    twins.push(format!("{rel}: {stem} / {name}"));
                }
            }
        }
    }
    assert!(twins.is_empty(), "pool/transaction twins: {twins:?}");
}
