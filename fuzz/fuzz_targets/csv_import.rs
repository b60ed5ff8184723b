//! The bulk-invitation CSV reader: no input panics, and every row it reads names its line
//! inside the file.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(rows) = app::csv_io::read::parse(text) {
        let lines = 1 + text.matches('\n').count();
        for row in rows {
            assert!(row.line >= 1 && row.line <= lines, "line {} of {lines}", row.line);
        }
    }
});
