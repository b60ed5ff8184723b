//! The export's signed cursor (`<cursor>~<mac>`): checking any text never panics, and a MAC
//! made for one (filter, cursor) never passes for another.
#![no_main]
use app::crypto::{export_cursor_mac, export_cursor_matches, SecretKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|parts: (&[u8], &str, &str, &str, &str)| {
    let (session, filter, submitted, other_filter, other_cursor) = parts;
    let key = SecretKey::new(b"fuzzing only: a key of 32 or more bytes".to_vec()).unwrap();
    if let Some((cursor, mac)) = submitted.split_once('~') {
        let _ = export_cursor_matches(&key, session, filter, cursor, mac);
        let real = export_cursor_mac(&key, session, filter, cursor);
        assert!(export_cursor_matches(&key, session, filter, cursor, &real));
        if (other_filter, other_cursor) != (filter, cursor) {
            assert!(!export_cursor_matches(&key, session, other_filter, other_cursor, &real));
        }
    }
});
