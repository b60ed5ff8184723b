//! The email and plate normalisers: the normal form of a normal form is itself.
#![no_main]
use app::{companies::Email, plate::Plate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    if let Some(email) = Email::parse(raw) {
        assert_eq!(Email::parse(email.as_str()), Some(email.clone()));
    }
    if let Some(plate) = Plate::parse(raw) {
        assert_eq!(Plate::parse(plate.as_str()), Some(plate.clone()));
    }
});
