//! The texts of the mails, per language. Every mail has a text and an HTML part.

use crate::i18n::Lang;
use crate::{html::escape_html, mailer::Message};

fn html_page(lang: Lang, title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family:system-ui,sans-serif;color:#1b2430;max-width:36rem;margin:0 auto;padding:1rem\">\
         {body}<p style=\"color:#52606d;font-size:0.9rem\">{}</p></body></html>",
        lang.code(),
        escape_html(title),
        escape_html(lang.mail().footer)
    )
}

/// How a code is shown in a mail: `123 456` (`crypto::normalize_code` reads it back).
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
    let m = lang.mail();
    let minutes = minutes.to_string();
    let (subject, intro, ignore) = (m.code_subject.to_owned(), m.code_intro, m.code_ignore);
    let validity = Lang::fill(m.code_validity, &[("minutes", &minutes)]);
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
    let m = lang.mail();
    let minutes = minutes.to_string();
    let (subject, intro) = (m.confirm_subject.to_owned(), m.confirm_intro);
    let validity = Lang::fill(m.confirm_validity, &[("minutes", &minutes)]);
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
    let m = lang.mail();
    let role = role_label.to_lowercase();
    let subject = Lang::fill(m.invite_subject, &[("company", company)]);
    let intro = Lang::fill(
        m.invite_intro,
        &[("inviter", inviter), ("company", company), ("role", &role)],
    );
    let (button, expiry) = (m.invite_button, m.invite_expiry);
    let app_note = Lang::fill(m.invite_app_note, &[("to", to)]);
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
    let m = lang.mail();
    let subject = Lang::fill(m.report_subject, &[("month", month), ("company", company)]);
    let intro = Lang::fill(m.report_intro, &[("month", month), ("company", company)]);
    let (button, change) = (m.report_button, m.report_change);
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
    let m = lang.mail();
    let subject = Lang::fill(m.welcome_subject, &[("company", company)]);
    let body = Lang::fill(
        m.welcome_body,
        &[
            ("company", company),
            ("sign_in_url", sign_in_url),
            ("to", to),
        ],
    );
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

/// An alert, or a day's alerts in one digest: the intro, each alert as a line with a link to
/// exactly what it is about, a button to `link`, and the unsubscribe link for this kind of
/// mail (`unsubscribe`: the line's label and the signed link).
pub fn alert(
    lang: Lang,
    to: &str,
    subject: &str,
    intro: &str,
    lines: &[(String, String)],
    link: &str,
    unsubscribe: (&str, &str),
) -> Message {
    let a = lang.alerts();
    let mut text = format!("{intro}\n\n");
    let mut html = format!(
        "<p>{}</p><ul style=\"padding-left:1.2rem\">",
        escape_html(intro)
    );
    for (line, href) in lines {
        text.push_str(&format!("- {line}\n  {href}\n"));
        html.push_str(&format!(
            "<li style=\"margin:0.3rem 0\"><a href=\"{}\" style=\"color:#00365c\">{}</a></li>",
            escape_html(href),
            escape_html(line)
        ));
    }
    html.push_str("</ul>");
    text.push_str(&format!("\n{}: {link}\n", a.mail_button));
    html.push_str(&format!(
        "<p><a href=\"{}\" style=\"display:inline-block;padding:0.7rem 1.2rem;background:#00365c;\
         color:#fff;border-radius:8px;text-decoration:none;font-weight:600\">{}</a></p>",
        escape_html(link),
        escape_html(a.mail_button)
    ));
    let (label, href) = unsubscribe;
    text.push_str(&format!("\n{label} {href}\n"));
    html.push_str(&format!(
        "<p style=\"font-size:0.85rem;color:#52606d\">{} <a href=\"{}\" style=\"color:#52606d\">{}</a></p>",
        escape_html(label),
        escape_html(href),
        escape_html(a.unsubscribe_button)
    ));
    Message {
        to: to.to_owned(),
        subject: subject.to_owned(),
        text,
        html: html_page(lang, subject, &html),
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
