//! The front desk's words: section `[frontdesk]` of `app/locales/<lang>.toml`, generated into
//! [`FrontDeskTexts`] by `app/build.rs` like the main table (the role's name and the home card
//! are in the main table).

pub use crate::i18n::FrontDeskTexts;
use crate::i18n::Lang;

pub fn texts(lang: Lang) -> &'static FrontDeskTexts {
    lang.frontdesk()
}
