//! The one i18n layer. Every string the user sees comes from a [`Texts`] table; a string
//! missing from one language is a compile error, because both tables fill the same struct.
//! Swedish is the default, English the second language. Numbers and money are formatted
//! per language here too.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Name of the cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "portal_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    Sv,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Sv, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }

    /// Parses a language code (`sv`, `en`, also `en-GB`); unknown codes give `None`.
    pub fn from_code(code: &str) -> Option<Self> {
        match code.trim().get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("sv") => Some(Lang::Sv),
            Some("en") => Some(Lang::En),
            _ => None,
        }
    }

    /// The language's own name, for the language switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::Sv => "Svenska",
            Lang::En => "English",
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Sv => &SV,
            Lang::En => &EN,
        }
    }

    /// Formats an integer with the language's digit grouping: `1 234` (sv), `1,234` (en).
    pub fn int(self, n: i64) -> String {
        let sep = match self {
            Lang::Sv => '\u{a0}',
            Lang::En => ',',
        };
        let digits = n.unsigned_abs().to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        if n < 0 {
            out.push('-');
        }
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(ch);
        }
        out
    }

    /// Formats minor units (öre) as money: `1 234,50 kr` (sv), `SEK 1,234.50` (en).
    pub fn money(self, minor: i64, currency: &str) -> String {
        let sign = if minor < 0 { "-" } else { "" };
        let abs = minor.unsigned_abs();
        let whole = self.int((abs / 100) as i64);
        let cents = abs % 100;
        match self {
            Lang::Sv => {
                let unit = match currency {
                    "SEK" => "kr",
                    "NOK" => "kr",
                    "EUR" => "€",
                    other => other,
                };
                format!("{sign}{whole},{cents:02}\u{a0}{unit}")
            }
            Lang::En => format!("{sign}{currency}\u{a0}{whole}.{cents:02}"),
        }
    }
}

/// The language a request asks for: the language cookie if set, else Swedish.
#[cfg(feature = "ssr")]
pub fn request_lang(headers: &axum::http::HeaderMap) -> Lang {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == LANG_COOKIE).then(|| Lang::from_code(v)).flatten()
        })
        .unwrap_or_default()
}

/// The language of the current request (server) or page (browser).
pub fn use_lang() -> Lang {
    use_context::<Lang>().unwrap_or_default()
}

/// The text table of the current language.
pub fn use_texts() -> &'static Texts {
    use_lang().texts()
}

/// Every user-visible string. Add a field here, and both tables below must fill it.
pub struct Texts {
    pub brand: &'static str,
    pub portal_name: &'static str,
    pub skip_to_content: &'static str,
    pub nav_facilities: &'static str,
    pub language: &'static str,
    pub facilities_title: &'static str,
    pub facilities_intro: &'static str,
    pub search_label: &'static str,
    pub search_placeholder: &'static str,
    pub city_label: &'static str,
    pub all_cities: &'static str,
    pub kind_label: &'static str,
    pub all_kinds: &'static str,
    pub search_button: &'static str,
    pub clear_filters: &'static str,
    pub kind_street: &'static str,
    pub kind_camera_garage: &'static str,
    pub kind_barrier_garage: &'static str,
    pub kind_surface: &'static str,
    pub accepts_yes: &'static str,
    pub accepts_some: &'static str,
    pub accepts_no: &'static str,
    pub has_chargers: &'static str,
    pub facilities_count_one: &'static str,
    pub facilities_count_many: &'static str,
    pub no_facilities: &'static str,
    pub loading: &'static str,
    pub error_generic: &'static str,
    pub error_invalid: &'static str,
    pub not_found_title: &'static str,
    pub not_found_body: &'static str,
    pub back_to_start: &'static str,
    pub sign_in_nav: &'static str,
    pub sign_in_title: &'static str,
    pub sign_in_intro: &'static str,
    pub email_label: &'static str,
    pub send_code_button: &'static str,
    pub code_sent: &'static str,
    pub code_hint: &'static str,
    pub code_label: &'static str,
    pub verify_button: &'static str,
    pub resend_button: &'static str,
    pub resend_wait: &'static str,
    pub seconds: &'static str,
    pub use_other_email: &'static str,
    pub invalid_code: &'static str,
    pub invalid_email: &'static str,
    pub rate_limited: &'static str,
    pub forbidden: &'static str,
    pub sign_out: &'static str,
    pub company_label: &'static str,
    pub switch_button: &'static str,
    pub your_role: &'static str,
    pub role_owner: &'static str,
    pub role_admin: &'static str,
    pub role_finance: &'static str,
    pub role_member: &'static str,
    pub choose_company_title: &'static str,
    pub choose_company_intro: &'static str,
    pub no_company_title: &'static str,
    pub no_company_body: &'static str,
    pub nav_members: &'static str,
    pub nav_history: &'static str,
    pub nav_costs: &'static str,
    pub members_blurb: &'static str,
    pub history_blurb: &'static str,
    pub costs_blurb: &'static str,
    pub coming_soon: &'static str,
    pub welcome: &'static str,
    pub members_title: &'static str,
    pub members_intro: &'static str,
    pub search_members_label: &'static str,
    pub sort_label: &'static str,
    pub sort_name: &'static str,
    pub sort_email: &'static str,
    pub sort_role: &'static str,
    pub sort_last_session: &'static str,
    pub col_cost_center: &'static str,
    pub no_name: &'static str,
    pub app_yes: &'static str,
    pub app_no: &'static str,
    pub members_count: &'static str,
    pub page_label: &'static str,
    pub prev_page: &'static str,
    pub next_page: &'static str,
    pub invite_title: &'static str,
    pub invite_intro: &'static str,
    pub cost_center_label: &'static str,
    pub no_cost_center: &'static str,
    pub invite_button: &'static str,
    pub invite_sent: &'static str,
    pub invitations_title: &'static str,
    pub inv_pending: &'static str,
    pub inv_accepted: &'static str,
    pub inv_expired: &'static str,
    pub inv_cancelled: &'static str,
    pub inv_failed: &'static str,
    pub resend: &'static str,
    pub cancel_invite: &'static str,
    pub remove: &'static str,
    pub leave: &'static str,
    pub confirm_remove: &'static str,
    pub confirm_remove_body: &'static str,
    pub confirm_yes: &'static str,
    pub confirm_no: &'static str,
    pub change_role_button: &'static str,
    pub no_owner_banner: &'static str,
    pub members_forbidden: &'static str,
    pub invite_page_title: &'static str,
    pub invite_for: &'static str,
    pub invite_as: &'static str,
    pub invite_sign_in_as: &'static str,
    pub invite_accept_button: &'static str,
    pub invite_wrong_account: &'static str,
    pub invite_invalid: &'static str,
    pub err_already_member: &'static str,
    pub err_already_invited: &'static str,
    pub err_role_not_allowed: &'static str,
    pub err_unknown_cost_center: &'static str,
    pub err_last_owner: &'static str,
    pub err_not_found: &'static str,
    pub audit_title: &'static str,
    pub audit_intro: &'static str,
    pub audit_action: &'static str,
    pub audit_all_actions: &'static str,
    pub audit_person: &'static str,
    pub audit_month: &'static str,
    pub audit_empty: &'static str,
    pub audit_by: &'static str,
    pub audit_subject: &'static str,
    pub audit_customer_service: &'static str,
    pub transfer: &'static str,
    pub transfer_title: &'static str,
    pub transfer_body: &'static str,
    pub transfer_send_code: &'static str,
    pub transfer_code_sent: &'static str,
    pub transfer_confirm: &'static str,
    pub err_transfer_to_admin_only: &'static str,
    pub bulk_title: &'static str,
    pub bulk_intro: &'static str,
    pub bulk_template: &'static str,
    pub bulk_csv_label: &'static str,
    pub bulk_mode_preview: &'static str,
    pub bulk_mode_import: &'static str,
    pub bulk_submit: &'static str,
    pub bulk_summary_good: &'static str,
    pub bulk_summary_good_one: &'static str,
    pub bulk_summary_bad: &'static str,
    pub bulk_imported: &'static str,
    pub bulk_line: &'static str,
    pub bulk_ok: &'static str,
    pub err_duplicate: &'static str,
    pub err_bad_csv: &'static str,
}

pub static SV: Texts = Texts {
    brand: "Aimo Park",
    portal_name: "Företagsportal",
    skip_to_content: "Hoppa till innehållet",
    nav_facilities: "Anläggningar",
    language: "Språk",
    facilities_title: "Var fungerar företagskontot?",
    facilities_intro: "Se vilka av våra anläggningar som tar emot betalning med företagskonto. \
        Kameragarage fungerar oftast, bomgarage inte än.",
    search_label: "Sök anläggning",
    search_placeholder: "Namn, adress eller stad",
    city_label: "Stad",
    all_cities: "Alla städer",
    kind_label: "Typ",
    all_kinds: "Alla typer",
    search_button: "Sök",
    clear_filters: "Rensa filter",
    kind_street: "Gatuparkering",
    kind_camera_garage: "Kameragarage",
    kind_barrier_garage: "Bomgarage",
    kind_surface: "Markparkering",
    accepts_yes: "Företagskonto fungerar",
    accepts_some: "Fungerar delvis",
    accepts_no: "Fungerar inte",
    has_chargers: "Laddplatser",
    facilities_count_one: "anläggning",
    facilities_count_many: "anläggningar",
    no_facilities: "Inga anläggningar matchar din sökning.",
    loading: "Laddar…",
    error_generic: "Något gick fel. Försök igen om en stund.",
    error_invalid: "Ogiltigt värde i fältet",
    not_found_title: "Sidan finns inte",
    not_found_body: "Adressen kan vara fel, eller så har sidan flyttats.",
    back_to_start: "Till startsidan",
    sign_in_nav: "Logga in",
    sign_in_title: "Logga in i företagsportalen",
    sign_in_intro: "Använd den e-postadress som ert företag angav som kontaktadress vid beställningen – eller den adress som din inbjudan skickades till. Vi mejlar dig en engångskod; inga lösenord behövs.",
    email_label: "E-postadress",
    send_code_button: "Skicka kod",
    code_sent: "Om adressen kan logga in har vi skickat en kod till",
    code_hint: "Koden gäller i 10 minuter. Hittar du den inte? Titta i skräpposten.",
    code_label: "Kod från mejlet (6 siffror)",
    verify_button: "Logga in",
    resend_button: "Skicka en ny kod",
    resend_wait: "Ny kod kan skickas om",
    seconds: "s",
    use_other_email: "Använd en annan adress",
    invalid_code: "Ogiltig eller utgången kod.",
    invalid_email: "Skriv en giltig e-postadress, till exempel namn@foretag.se.",
    rate_limited: "För många försök. Försök igen om",
    forbidden: "Sidan kunde inte skickas. Ladda om sidan och försök igen.",
    sign_out: "Logga ut",
    company_label: "Företag",
    switch_button: "Byt",
    your_role: "Din roll",
    role_owner: "Ägare",
    role_admin: "Administratör",
    role_finance: "Ekonomi (läsbehörighet)",
    role_member: "Medlem",
    choose_company_title: "Välj företag",
    choose_company_intro: "Du tillhör flera företag. Vilket vill du arbeta med nu? Du kan byta när som helst i sidhuvudet.",
    no_company_title: "Du är inloggad",
    no_company_body: "Du tillhör inget företag ännu. Har du fått en inbjudan? Öppna länken i inbjudningsmejlet för att gå med.",
    nav_members: "Medlemmar",
    nav_history: "Parkeringar och laddningar",
    nav_costs: "Kostnader och fakturor",
    members_blurb: "Bjud in och ta bort anställda som parkerar på företagets konto.",
    history_blurb: "Se vem som parkerade eller laddade var och när, filtrera och exportera.",
    costs_blurb: "Följ kostnader per kostnadsställe och läs fakturorna.",
    coming_soon: "Kommer snart",
    welcome: "Välkommen",
    members_title: "Medlemmar",
    members_intro: "Alla som parkerar och laddar på företagets konto. Namnen visas som personerna själva angett i appen.",
    search_members_label: "Sök på namn, e-post eller regnummer",
    sort_label: "Sortera",
    sort_name: "Namn",
    sort_email: "E-post",
    sort_role: "Roll",
    sort_last_session: "Senaste parkering",
    col_cost_center: "Kostnadsställe",
    no_name: "(inget namn i appen än)",
    app_yes: "Inloggad i appen",
    app_no: "Inte inloggad i appen än – kontrollera att rätt e-post används",
    members_count: "medlemmar",
    page_label: "Sida",
    prev_page: "Föregående",
    next_page: "Nästa",
    invite_title: "Bjud in",
    invite_intro: "Inbjudan skickas med e-post och gäller i 7 dagar.",
    cost_center_label: "Kostnadsställe",
    no_cost_center: "Inget",
    invite_button: "Skicka inbjudan",
    invite_sent: "Inbjudan skickad.",
    invitations_title: "Inbjudningar",
    inv_pending: "Väntar",
    inv_accepted: "Accepterad",
    inv_expired: "Utgången",
    inv_cancelled: "Avbruten",
    inv_failed: "Kunde inte levereras",
    resend: "Skicka igen",
    cancel_invite: "Avbryt inbjudan",
    remove: "Ta bort",
    leave: "Lämna företaget",
    confirm_remove: "Ta bort",
    confirm_remove_body: "Personen kan inte längre använda portalen för företaget eller parkera på företagets konto. Det går att bjuda in igen.",
    confirm_yes: "Ja, ta bort",
    confirm_no: "Avbryt",
    change_role_button: "Ändra",
    no_owner_banner: "Företagskontot har ingen ägare. Ägaren kan lägga till och ta bort administratörer. Be kundservice att göra den som står som kontakt på beställningen till ägare.",
    members_forbidden: "Den här sidan är för ägare, administratörer och ekonomi.",
    invite_page_title: "Inbjudan",
    invite_for: "Du är inbjuden till",
    invite_as: "som",
    invite_sign_in_as: "Logga in som",
    invite_accept_button: "Gå med",
    invite_wrong_account: "Inbjudan gäller en annan adress. Logga ut och logga in som",
    invite_invalid: "Länken gäller inte längre: den har använts, avbrutits, ersatts av en ny eller gått ut. Be den som bjöd in dig att skicka en ny.",
    err_already_member: "Personen är redan medlem.",
    err_already_invited: "Personen har redan en inbjudan som väntar – skicka den igen i listan nedan.",
    err_role_not_allowed: "Du kan inte ge den rollen.",
    err_unknown_cost_center: "Okänt kostnadsställe.",
    err_last_owner: "Den sista ägaren kan inte tas bort eller lämna företaget.",
    err_not_found: "Hittades inte.",
    audit_title: "Händelselogg",
    audit_intro: "Vem gjorde vad med vem, och när: inbjudningar, roller, borttagningar, ägarbyten och exporter.",
    audit_action: "Händelse",
    audit_all_actions: "Alla händelser",
    audit_person: "Person (e-post)",
    audit_month: "Månad",
    audit_empty: "Inga händelser för det här filtret.",
    audit_by: "Av",
    audit_subject: "Gäller",
    audit_customer_service: "Kundservice",
    transfer: "Överlåt ägarskapet",
    transfer_title: "Överlåt ägarskapet till",
    transfer_body: "Personen blir ägare och du blir administratör. Bekräfta med en kod som vi mejlar till dig.",
    transfer_send_code: "Skicka kod till min e-post",
    transfer_code_sent: "Koden är skickad.",
    transfer_confirm: "Överlåt",
    err_transfer_to_admin_only: "Ägarskapet kan bara överlåtas till en administratör.",
    bulk_title: "Bjud in flera (CSV)",
    bulk_intro: "Klistra in en CSV med kolumnerna email, role och cost_center, avgränsade med ; eller ,. Rollen är member, admin eller finance; kostnadsstället anges med kod eller namn. Förhandsgranska först: rader med fel markeras och importeras aldrig.",
    bulk_template: "Ladda ner mall (CSV)",
    bulk_csv_label: "CSV",
    bulk_mode_preview: "Förhandsgranska",
    bulk_mode_import: "Skicka inbjudningar till de giltiga raderna",
    bulk_submit: "Fortsätt",
    bulk_summary_good: "giltiga",
    bulk_summary_good_one: "giltig",
    bulk_summary_bad: "med fel – rätta i texten och förhandsgranska igen",
    bulk_imported: "inbjudningar skickade",
    bulk_line: "Rad",
    bulk_ok: "OK",
    err_duplicate: "Finns två gånger i filen.",
    err_bad_csv: "Filen kunde inte läsas: kontrollera att första raden har kolumnen email och att citattecken är stängda.",
};

pub static EN: Texts = Texts {
    brand: "Aimo Park",
    portal_name: "Business portal",
    skip_to_content: "Skip to content",
    nav_facilities: "Facilities",
    language: "Language",
    facilities_title: "Where does the business account work?",
    facilities_intro: "See which of our facilities accept payment with a business account. \
        Camera garages mostly do, barrier garages not yet.",
    search_label: "Search facilities",
    search_placeholder: "Name, address or city",
    city_label: "City",
    all_cities: "All cities",
    kind_label: "Type",
    all_kinds: "All types",
    search_button: "Search",
    clear_filters: "Clear filters",
    kind_street: "Street parking",
    kind_camera_garage: "Camera garage",
    kind_barrier_garage: "Barrier garage",
    kind_surface: "Surface lot",
    accepts_yes: "Business account works",
    accepts_some: "Works in part",
    accepts_no: "Does not work",
    has_chargers: "EV chargers",
    facilities_count_one: "facility",
    facilities_count_many: "facilities",
    no_facilities: "No facilities match your search.",
    loading: "Loading…",
    error_generic: "Something went wrong. Please try again in a moment.",
    error_invalid: "Invalid value in the field",
    not_found_title: "Page not found",
    not_found_body: "The address may be wrong, or the page has moved.",
    back_to_start: "Back to the start page",
    sign_in_nav: "Sign in",
    sign_in_title: "Sign in to the business portal",
    sign_in_intro: "Use the email address your company gave as its contact when ordering – or the address your invitation was sent to. We email you a one-time code; no password needed.",
    email_label: "Email address",
    send_code_button: "Send code",
    code_sent: "If this address can sign in, we have sent a code to",
    code_hint: "The code is valid for 10 minutes. Can't find it? Check your spam folder.",
    code_label: "Code from the email (6 digits)",
    verify_button: "Sign in",
    resend_button: "Send a new code",
    resend_wait: "A new code can be sent in",
    seconds: "s",
    use_other_email: "Use another address",
    invalid_code: "Invalid or expired code.",
    invalid_email: "Enter a valid email address, for example name@company.com.",
    rate_limited: "Too many attempts. Try again in",
    forbidden: "The form could not be sent. Reload the page and try again.",
    sign_out: "Sign out",
    company_label: "Company",
    switch_button: "Switch",
    your_role: "Your role",
    role_owner: "Owner",
    role_admin: "Administrator",
    role_finance: "Finance (read-only)",
    role_member: "Member",
    choose_company_title: "Choose a company",
    choose_company_intro: "You belong to several companies. Which one do you want to work with now? You can switch at any time in the header.",
    no_company_title: "You are signed in",
    no_company_body: "You do not belong to a company yet. Got an invitation? Open the link in the invitation email to join.",
    nav_members: "Members",
    nav_history: "Parking and charging",
    nav_costs: "Costs and invoices",
    members_blurb: "Invite and remove the employees who park on the company's account.",
    history_blurb: "See who parked or charged where and when, filter and export.",
    costs_blurb: "Follow costs per cost center and read the invoices.",
    coming_soon: "Coming soon",
    welcome: "Welcome",
    members_title: "Members",
    members_intro: "Everyone who parks and charges on the company's account. Names show as people set them in the app.",
    search_members_label: "Search by name, email or plate",
    sort_label: "Sort",
    sort_name: "Name",
    sort_email: "Email",
    sort_role: "Role",
    sort_last_session: "Last session",
    col_cost_center: "Cost center",
    no_name: "(no name in the app yet)",
    app_yes: "Signed in to the app",
    app_no: "Not signed in to the app yet – check the right email is used",
    members_count: "members",
    page_label: "Page",
    prev_page: "Previous",
    next_page: "Next",
    invite_title: "Invite",
    invite_intro: "The invitation is sent by email and is valid for 7 days.",
    cost_center_label: "Cost center",
    no_cost_center: "None",
    invite_button: "Send invitation",
    invite_sent: "Invitation sent.",
    invitations_title: "Invitations",
    inv_pending: "Pending",
    inv_accepted: "Accepted",
    inv_expired: "Expired",
    inv_cancelled: "Cancelled",
    inv_failed: "Delivery failed",
    resend: "Send again",
    cancel_invite: "Cancel invitation",
    remove: "Remove",
    leave: "Leave the company",
    confirm_remove: "Remove",
    confirm_remove_body: "They can no longer use the portal for the company or park on its account. You can invite them again.",
    confirm_yes: "Yes, remove",
    confirm_no: "Cancel",
    change_role_button: "Change",
    no_owner_banner: "The business account has no owner. The owner can add and remove administrators. Ask customer service to make the contact person on the order the owner.",
    members_forbidden: "This page is for owners, administrators and finance.",
    invite_page_title: "Invitation",
    invite_for: "You are invited to",
    invite_as: "as",
    invite_sign_in_as: "Sign in as",
    invite_accept_button: "Join",
    invite_wrong_account: "This invitation is for another address. Sign out and sign in as",
    invite_invalid: "The link is no longer valid: it was used, cancelled, replaced by a newer one or has expired. Ask the person who invited you to send a new one.",
    err_already_member: "That person is already a member.",
    err_already_invited: "That person already has a pending invitation – send it again from the list below.",
    err_role_not_allowed: "You cannot grant that role.",
    err_unknown_cost_center: "Unknown cost center.",
    err_last_owner: "The last owner cannot be removed or leave.",
    err_not_found: "Not found.",
    audit_title: "Audit log",
    audit_intro: "Who did what to whom, and when: invitations, roles, removals, ownership changes and exports.",
    audit_action: "Action",
    audit_all_actions: "All actions",
    audit_person: "Person (email)",
    audit_month: "Month",
    audit_empty: "No entries for this filter.",
    audit_by: "By",
    audit_subject: "Concerning",
    audit_customer_service: "Customer service",
    transfer: "Hand over ownership",
    transfer_title: "Hand over ownership to",
    transfer_body: "They become the owner and you become an administrator. Confirm with a code we email to you.",
    transfer_send_code: "Email me a code",
    transfer_code_sent: "The code is sent.",
    transfer_confirm: "Hand over",
    err_transfer_to_admin_only: "Ownership can only be handed to an administrator.",
    bulk_title: "Invite several (CSV)",
    bulk_intro: "Paste a CSV with the columns email, role and cost_center, separated by ; or ,. The role is member, admin or finance; the cost center by code or name. Preview first: rows with errors are marked and never imported.",
    bulk_template: "Download a template (CSV)",
    bulk_csv_label: "CSV",
    bulk_mode_preview: "Preview",
    bulk_mode_import: "Send invitations to the valid rows",
    bulk_submit: "Continue",
    bulk_summary_good: "valid",
    bulk_summary_good_one: "valid",
    bulk_summary_bad: "with errors – fix them in the text and preview again",
    bulk_imported: "invitations sent",
    bulk_line: "Line",
    bulk_ok: "OK",
    err_duplicate: "Appears twice in the file.",
    err_bad_csv: "The file could not be read: check that the first line has an email column and that quotes are closed.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_groups_thousands_with_a_non_breaking_space() {
        assert_eq!(Lang::Sv.int(1234567), "1\u{a0}234\u{a0}567");
        assert_eq!(Lang::Sv.int(999), "999");
        assert_eq!(Lang::En.int(-1234), "-1,234");
    }

    #[test]
    fn money_uses_the_language_decimal_sign() {
        assert_eq!(Lang::Sv.money(123450, "SEK"), "1\u{a0}234,50\u{a0}kr");
        assert_eq!(Lang::En.money(123450, "SEK"), "SEK\u{a0}1,234.50");
        assert_eq!(Lang::Sv.money(-5, "SEK"), "-0,05\u{a0}kr");
    }

    #[test]
    fn language_codes_parse_leniently() {
        assert_eq!(Lang::from_code("en-GB"), Some(Lang::En));
        assert_eq!(Lang::from_code("SV"), Some(Lang::Sv));
        assert_eq!(Lang::from_code("fi"), None);
        assert_eq!(Lang::from_code(""), None);
    }
}
