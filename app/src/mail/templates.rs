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

/// How a code is shown in a mail: `123 456` (`auth::crypto::normalize_code` reads it back).
pub fn display_code(code: &str) -> String {
    match code.get(..3).zip(code.get(3..)) {
        Some((a, b)) => format!("{a} {b}"),
        None => code.to_owned(),
    }
}

/// The sign-in code mail. `code` is shown as `123 456`, in the body only: a subject is kept
/// by every mail server and client, lists, notifications and the outbox (shared/security.md,
/// "Codes at rest").
pub fn sign_in_code(lang: Lang, to: &str, code: &str, minutes: i64) -> Message {
    let shown = display_code(code);
    let (subject, intro, validity, ignore) = match lang {
        Lang::Sv => (
            "Din inloggningskod till Aimo Park".to_owned(),
            "Här är din kod för att logga in i Aimo Parks företagsportal:",
            format!("Koden gäller i {minutes} minuter och kan användas en gång."),
            "Har du inte försökt logga in kan du bortse från det här mejlet.",
        ),
        Lang::En => (
            "Your Aimo Park sign-in code".to_owned(),
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

/// A code that confirms a sensitive action (handing over ownership) by a signed-in person.
pub fn confirm_code(lang: Lang, to: &str, code: &str, minutes: i64) -> Message {
    let shown = display_code(code);
    let (subject, intro, validity) = match lang {
        Lang::Sv => (
            "Bekräftelsekod för att överlåta ägarskapet".to_owned(),
            "Du har bett om en kod för att överlåta ägarskapet av företagskontot. Koden är:",
            format!("Koden gäller i {minutes} minuter. Har du inte bett om den, kontakta kundservice."),
        ),
        Lang::En => (
            "Confirmation code for handing over ownership".to_owned(),
            "You asked for a code to hand over ownership of the business account. The code is:",
            format!("The code is valid for {minutes} minutes. If you did not ask for it, contact customer service."),
        ),
    };
    let text = format!("{intro}\n\n    {shown}\n\n{validity}\n");
    let html = html_page(
        lang,
        &subject,
        &format!(
            "<p>{}</p><p style=\"font-size:2rem;font-weight:700;letter-spacing:0.2em\">{}</p><p>{}</p>",
            escape_html(intro),
            escape_html(&shown),
            escape_html(&validity)
        ),
    );
    Message {
        to: to.to_owned(),
        subject,
        text,
        html,
    }
}

/// The invitation mail: who invites, to which company, as what, the link, and — the FAQ's
/// most common problem — which address to use in the parking app.
pub fn invitation(
    lang: Lang,
    to: &str,
    company: &str,
    inviter: &str,
    role: crate::companies::Role,
    link: &str,
) -> Message {
    let t = lang.texts();
    let role_label = role.label(t);
    let (subject, intro, button, app_note, expiry) = match lang {
        Lang::Sv => (
            format!("Inbjudan till {company} i Aimo Parks företagsportal"),
            format!("{inviter} har bjudit in dig till företagskontot för {company} som {}.", role_label.to_lowercase()),
            "Öppna inbjudan",
            format!(
                "Viktigt: logga in i Aimo Park-appen med just den här adressen, {to}. Använder du en \
                 annan adress (till exempel din privata) kopplas du inte till företagskontot."
            ),
            "Länken gäller i 7 dagar och kan användas en gång.",
        ),
        Lang::En => (
            format!("Invitation to {company} in the Aimo Park business portal"),
            format!("{inviter} has invited you to the business account of {company} as {}.", role_label.to_lowercase()),
            "Open the invitation",
            format!(
                "Important: sign in to the Aimo Park app with exactly this address, {to}. If you use \
                 another address (your private one, say), you will not be connected to the business account."
            ),
            "The link is valid for 7 days and can be used once.",
        ),
    };
    let text = format!("{intro}\n\n{button}: {link}\n\n{app_note}\n\n{expiry}\n");
    let html = html_page(
        lang,
        &subject,
        &format!(
            "<p>{}</p><p><a href=\"{}\" style=\"display:inline-block;padding:0.7rem 1.2rem;background:#00365c;\
             color:#fff;border-radius:8px;text-decoration:none;font-weight:600\">{}</a></p><p><strong>{}</strong></p><p>{}</p>",
            escape_html(&intro),
            escape_html(link),
            escape_html(button),
            escape_html(&app_note),
            escape_html(expiry)
        ),
    );
    Message {
        to: to.to_owned(),
        subject,
        text,
        html,
    }
}

/// One line of the monthly report: a label, the month's cost, the change from the month
/// before (all formatted by the caller).
pub type ReportLine = (String, String, String);

/// The monthly cost report: last month's totals per cost center and per kind, the change
/// from the month before, and a link to the cost page of that month.
pub fn monthly_report(
    lang: Lang,
    to: &str,
    company: &str,
    month: &str,
    total: &ReportLine,
    sections: &[(&str, Vec<ReportLine>)],
    link: &str,
) -> Message {
    let (subject, intro, button, change) = match lang {
        Lang::Sv => (
            format!("Kostnader {month} – {company}"),
            format!("Så här mycket kostade parkering och laddning för {company} i {month}."),
            "Öppna kostnaderna i portalen",
            "jämfört med månaden före",
        ),
        Lang::En => (
            format!("Costs {month} – {company}"),
            format!("This is what parking and charging cost {company} in {month}."),
            "Open the costs in the portal",
            "compared with the month before",
        ),
    };
    let mut text = format!(
        "{intro}\n\n{}: {} ({change}: {})\n",
        total.0, total.1, total.2
    );
    let mut html = format!(
        "<p>{}</p><p style=\"font-size:1.2rem\"><strong>{}: {}</strong> ({}: {})</p>",
        escape_html(&intro),
        escape_html(&total.0),
        escape_html(&total.1),
        escape_html(change),
        escape_html(&total.2)
    );
    for (title, lines) in sections {
        text.push_str(&format!("\n{title}\n"));
        html.push_str(&format!(
            "<h2 style=\"font-size:1rem;margin:1rem 0 0.3rem\">{}</h2><table style=\"border-collapse:collapse;width:100%\">",
            escape_html(title)
        ));
        for (label, cost, delta) in lines {
            text.push_str(&format!("  {label}: {cost} ({delta})\n"));
            html.push_str(&format!(
                "<tr><td style=\"padding:0.2rem 0.4rem;border-bottom:1px solid #d3dae1\">{}</td>\
                 <td style=\"padding:0.2rem 0.4rem;border-bottom:1px solid #d3dae1;text-align:right\">{}</td>\
                 <td style=\"padding:0.2rem 0.4rem;border-bottom:1px solid #d3dae1;text-align:right;color:#52606d\">{}</td></tr>",
                escape_html(label),
                escape_html(cost),
                escape_html(delta)
            ));
        }
        html.push_str("</table>");
    }
    text.push_str(&format!("\n{button}: {link}\n"));
    html.push_str(&format!(
        "<p><a href=\"{}\" style=\"display:inline-block;padding:0.7rem 1.2rem;background:#00365c;\
         color:#fff;border-radius:8px;text-decoration:none;font-weight:600\">{}</a></p>",
        escape_html(link),
        escape_html(button)
    ));
    Message {
        to: to.to_owned(),
        subject: subject.clone(),
        text,
        html: html_page(lang, &subject, &html),
    }
}

/// To the owner of a company customer service has just set up (or given an owner).
pub fn welcome_owner(lang: Lang, to: &str, company: &str, sign_in_url: &str) -> Message {
    let (subject, body) = match lang {
        Lang::Sv => (
            format!("Du är ägare till företagskontot för {company}"),
            format!(
                "Du är nu ägare till Aimo Parks företagskonto för {company}.\n\nLogga in i företagsportalen på \
                 {sign_in_url} med den här adressen, {to}. Du får en engångskod med e-post – inga lösenord.\n\n\
                 Som ägare bjuder du in medarbetare och administratörer och ser vem som parkerat var och när."
            ),
        ),
        Lang::En => (
            format!("You are the owner of the business account of {company}"),
            format!(
                "You are now the owner of Aimo Park's business account for {company}.\n\nSign in to the business \
                 portal at {sign_in_url} with this address, {to}. You get a one-time code by email – no passwords.\n\n\
                 As the owner you invite employees and administrators and see who parked where and when."
            ),
        ),
    };
    let html = html_page(
        lang,
        &subject,
        &body
            .split("\n\n")
            .map(|p| format!("<p>{}</p>", escape_html(p)))
            .collect::<String>(),
    );
    Message {
        to: to.to_owned(),
        subject,
        text: body,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_invitation_says_which_address_to_use_in_the_app() {
        let m = invitation(
            Lang::Sv,
            "bo@acme.se",
            "Acme AB",
            "Anna",
            crate::companies::Role::Member,
            "http://x/invite/t",
        );
        assert!(m.text.contains("http://x/invite/t"));
        assert!(m
            .text
            .contains("Aimo Park-appen med just den här adressen, bo@acme.se"));
        assert!(m.html.contains("href=\"http://x/invite/t\""));
        let e = invitation(
            Lang::En,
            "bo@acme.se",
            "Acme <AB>",
            "Anna",
            crate::companies::Role::Admin,
            "http://x",
        );
        assert!(
            e.html.contains("Acme &lt;AB&gt;"),
            "names are escaped in HTML"
        );
    }

    #[test]
    fn the_code_mail_has_both_parts_in_the_chosen_language() {
        let m = sign_in_code(Lang::Sv, "anna@example.se", "042917", 10);
        assert_eq!(m.subject, "Din inloggningskod till Aimo Park");
        assert!(!m.subject.contains("042"), "never a code in the subject");
        assert_eq!(display_code("042917"), "042 917");
        assert!(m.text.contains("042 917") && m.text.contains("10 minuter"));
        assert!(m.html.contains("042 917") && m.html.contains("lang=\"sv\""));
        let e = sign_in_code(Lang::En, "anna@example.se", "042917", 10);
        assert!(e.text.contains("valid for 10 minutes"));
    }
}
