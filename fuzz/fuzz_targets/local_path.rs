//! The one redirect check: what passes is a path on this site, and passes again unchanged.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|target: &str| {
    if let Some(path) = app::url::local_path(target) {
        assert!(path.starts_with('/') && !path.starts_with("//"));
        assert!(!path.chars().any(|c| c == '\\' || c.is_control() || c.is_whitespace()));
        assert_eq!(app::url::local_path(path), Some(path));
    }
});
