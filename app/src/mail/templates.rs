//! The texts of the mails, per language. Every mail has a text and an HTML part.

use super::{escape_html, Message};
use crate::i18n::Lang;

fn html_page(lang: Lang, title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family:system-ui,sans-serif;color:#1b2430;max-width:36rem;margin:0 auto;padding:1rem\">\
         {body}<p style=\"color:#52606d;font-size:0.9rem\">Aimo Park</p></body></html>",
        lang.code(),
        escape_html(title)
    )
}

/// The sign-in code mail. `code` is shown as `123 456`.
pub fn sign_in_code(lang: Lang, to: &str, code: &str, minutes: i64) -> Message {
    let shown = crate::auth::crypto::display_code(code);
    let (subject, intro, validity, ignore) = match lang {
        Lang::Sv => (
            format!("Din inloggningskod: {shown}"),
            "Här är din kod för att logga in i Aimo Parks företagsportal:",
            format!("Koden gäller i {minutes} minuter och kan användas en gång."),
            "Har du inte försökt logga in kan du bortse från det här mejlet.",
        ),
        Lang::En => (
            format!("Your sign-in code: {shown}"),
            "Here is your code for signing in to the Aimo Park business portal:",
            format!("The code is valid for {minutes} minutes and can be used once."),
            "If you did not try to sign in, you can ignore this email.",
        ),
    };
    let text = format!("{intro}\n\n    {shown}\n\n{validity}\n{ignore}\n");
    let html = html_page(
        lang,
        &subject,
        &format!(
            "<p>{}</p><p style=\"font-size:2rem;font-weight:700;letter-spacing:0.2em\">{}</p><p>{}</p><p>{}</p>",
            escape_html(intro),
            escape_html(&shown),
            escape_html(&validity),
            escape_html(ignore)
        ),
    );
    Message {
        to: to.to_owned(),
        subject,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_mail_has_both_parts_in_the_chosen_language() {
        let m = sign_in_code(Lang::Sv, "anna@example.se", "042917", 10);
        assert_eq!(m.subject, "Din inloggningskod: 042 917");
        assert!(m.text.contains("042 917") && m.text.contains("10 minuter"));
        assert!(m.html.contains("042 917") && m.html.contains("lang=\"sv\""));
        let e = sign_in_code(Lang::En, "anna@example.se", "042917", 10);
        assert!(e.text.contains("valid for 10 minutes"));
    }
}
