//! DOM ids and test hooks that the browser tests rely on. `end2end/ids.js` mirrors this file
//! and a unit test below keeps the two in step: rename an id here and the test tells you to
//! rename it there.

pub const MAIN: &str = "main";
pub const LANG_SWITCH: &str = "lang-switch";
pub const FACILITY_FORM: &str = "facility-form";
pub const FACILITY_SEARCH: &str = "facility-search";
pub const FACILITY_CITY: &str = "facility-city";
pub const FACILITY_KIND: &str = "facility-kind";
pub const FACILITY_SUBMIT: &str = "facility-submit";
pub const FACILITY_LIST: &str = "facility-list";
pub const FACILITY_COUNT: &str = "facility-count";
/// The error message of a form.
pub const FORM_ERROR: &str = "form-error";
pub const SIGN_IN_EMAIL_FORM: &str = "sign-in-email-form";
pub const SIGN_IN_EMAIL: &str = "sign-in-email";
pub const SIGN_IN_SEND: &str = "sign-in-send";
pub const SIGN_IN_SENT: &str = "sign-in-sent";
pub const SIGN_IN_CODE_FORM: &str = "sign-in-code-form";
pub const SIGN_IN_CODE: &str = "sign-in-code";
pub const SIGN_IN_VERIFY: &str = "sign-in-verify";
pub const SIGN_IN_RESEND_FORM: &str = "sign-in-resend-form";
pub const SIGN_IN_RESEND: &str = "sign-in-resend";
pub const HOME_COMPANY: &str = "home-company";
pub const HOME_ROLE: &str = "home-role";
pub const HOME_MEMBERS_LINK: &str = "home-members-link";
pub const HOME_AUDIT_LINK: &str = "home-audit-link";
pub const AUDIT_LIST: &str = "audit-list";
pub const TRANSFER_PANEL: &str = "transfer-panel";
pub const TRANSFER_SEND_CODE: &str = "transfer-send-code";
pub const TRANSFER_CODE: &str = "transfer-code";
pub const TRANSFER_CONFIRM: &str = "transfer-confirm";
pub const BULK_FORM: &str = "bulk-form";
pub const BULK_CSV: &str = "bulk-csv";
pub const BULK_IMPORT_GOOD: &str = "bulk-import-good";
pub const BULK_SUBMIT: &str = "bulk-submit";
pub const BULK_SUMMARY: &str = "bulk-summary";
pub const BULK_TABLE: &str = "bulk-table";
pub const BULK_FILE: &str = "bulk-file";
pub const BULK_PROGRESS: &str = "bulk-progress";
pub const HISTORY_FORM: &str = "history-form";
pub const FRAME_COOKIES_BLOCKED: &str = "frame-cookies-blocked";
pub const FRAME_ALLOW: &str = "frame-allow";
pub const FRAME_OWN_TAB: &str = "frame-own-tab";
pub const HISTORY_FILTERS_FOLD: &str = "history-filters-fold";
pub const HISTORY_YEAR: &str = "history-year";
pub const HISTORY_MONTH: &str = "history-month";
pub const HISTORY_FROM: &str = "history-from";
pub const HISTORY_TO: &str = "history-to";
pub const HISTORY_MEMBER: &str = "history-member";
pub const HISTORY_PLATE: &str = "history-plate";
pub const HISTORY_COST_CENTER: &str = "history-cost-center";
pub const HISTORY_FACILITY: &str = "history-facility";
pub const HISTORY_KIND: &str = "history-kind";
pub const HISTORY_SORT: &str = "history-sort";
pub const HISTORY_SIZE: &str = "history-size";
pub const HISTORY_SUBMIT: &str = "history-submit";
pub const HISTORY_TOTALS: &str = "history-totals";
pub const HISTORY_TOTAL_SESSIONS: &str = "history-total-sessions";
pub const HISTORY_TOTAL_HOURS: &str = "history-total-hours";
pub const HISTORY_TOTAL_KWH: &str = "history-total-kwh";
pub const HISTORY_TOTAL_COST: &str = "history-total-cost";
pub const HISTORY_TOTAL_EXCL: &str = "history-total-excl";
pub const HISTORY_TABLE: &str = "history-table";
pub const HISTORY_COUNT: &str = "history-count";
pub const HISTORY_NEXT: &str = "history-next";
pub const HISTORY_FIRST: &str = "history-first";
pub const HISTORY_EMPTY: &str = "history-empty";
pub const HISTORY_EARLIER: &str = "history-earlier";
pub const HISTORY_PERIOD: &str = "history-period";
pub const HISTORY_ERROR: &str = "history-error";
pub const EXPORT_PANEL: &str = "export-panel";
pub const EXPORT_SEPARATOR: &str = "export-separator";
pub const EXPORT_DECIMAL: &str = "export-decimal";
pub const EXPORT_START: &str = "export-start";
pub const EXPORT_PROGRESS: &str = "export-progress";
pub const EXPORT_CANCEL: &str = "export-cancel";
pub const EXPORT_DONE: &str = "export-done";
pub const HOME_HISTORY_LINK: &str = "home-history-link";
pub const COMPANY_CHOICES: &str = "company-choices";
pub const COMPANY_SWITCH: &str = "company-switch";
pub const COMPANY_SELECT: &str = "company-select";
pub const HEADER_USER: &str = "header-user";
pub const SIGN_OUT_FORM: &str = "sign-out-form";
pub const SIGN_OUT: &str = "sign-out";
pub const MEMBER_SEARCH: &str = "member-search";
pub const MEMBER_COUNT: &str = "member-count";
pub const MEMBER_LIST: &str = "member-list";
pub const INVITE_FORM: &str = "invite-form";
pub const INVITE_EMAIL: &str = "invite-email";
pub const INVITE_ROLE: &str = "invite-role";
pub const INVITE_SUBMIT: &str = "invite-submit";
pub const CONFIRM_REMOVE: &str = "confirm-remove";
pub const CONFIRM_REMOVE_YES: &str = "confirm-remove-yes";
pub const INVITATION_LIST: &str = "invitation-list";
pub const INVITE_HEADING: &str = "invite-heading";
pub const INVITE_STATE: &str = "invite-state";
pub const INVITE_SIGN_IN: &str = "invite-sign-in";
pub const INVITE_ACCEPT: &str = "invite-accept";
/// Set on `<html>` once the WASM has hydrated the page; tests wait for it.
pub const HYDRATED_ATTR: &str = "data-hydrated";

/// Every id above, by its constant's name, for the mirror test.
/// The rules page (`/policies`) and the history's policy filter.
pub const POLICY_FORM: &str = "policy-form";
pub const POLICY_EFFECTIVE: &str = "policy-effective";
pub const POLICY_VEHICLES: &str = "policy-vehicles";
pub const POLICY_VEHICLE_ADD: &str = "policy-vehicle-add";
pub const POLICY_MEMBER_LOOKUP: &str = "policy-member-lookup";
pub const POLICY_CENTER_PICK: &str = "policy-center-pick";
pub const COSTS_BUDGETS: &str = "costs-budgets";
pub const COSTS_BUDGET_FORM: &str = "costs-budget-form";
pub const NOTICES_LIST: &str = "notices-list";
pub const NOTICES_SETTINGS: &str = "notices-settings";
pub const NOTICES_MARK_READ: &str = "notices-mark-read";
pub const HEADER_NOTICES: &str = "header-notices";
pub const UNSUBSCRIBE_FORM: &str = "unsubscribe-form";
pub const HISTORY_POLICY: &str = "history-policy";

pub const ALL: &[(&str, &str)] = &[
    ("MAIN", MAIN),
    ("LANG_SWITCH", LANG_SWITCH),
    ("FACILITY_FORM", FACILITY_FORM),
    ("FACILITY_SEARCH", FACILITY_SEARCH),
    ("FACILITY_CITY", FACILITY_CITY),
    ("FACILITY_KIND", FACILITY_KIND),
    ("FACILITY_SUBMIT", FACILITY_SUBMIT),
    ("FACILITY_LIST", FACILITY_LIST),
    ("FACILITY_COUNT", FACILITY_COUNT),
    ("FORM_ERROR", FORM_ERROR),
    ("SIGN_IN_EMAIL_FORM", SIGN_IN_EMAIL_FORM),
    ("SIGN_IN_EMAIL", SIGN_IN_EMAIL),
    ("SIGN_IN_SEND", SIGN_IN_SEND),
    ("SIGN_IN_SENT", SIGN_IN_SENT),
    ("SIGN_IN_CODE_FORM", SIGN_IN_CODE_FORM),
    ("SIGN_IN_CODE", SIGN_IN_CODE),
    ("SIGN_IN_VERIFY", SIGN_IN_VERIFY),
    ("SIGN_IN_RESEND_FORM", SIGN_IN_RESEND_FORM),
    ("SIGN_IN_RESEND", SIGN_IN_RESEND),
    ("HOME_COMPANY", HOME_COMPANY),
    ("HOME_ROLE", HOME_ROLE),
    ("HOME_MEMBERS_LINK", HOME_MEMBERS_LINK),
    ("HOME_AUDIT_LINK", HOME_AUDIT_LINK),
    ("AUDIT_LIST", AUDIT_LIST),
    ("TRANSFER_PANEL", TRANSFER_PANEL),
    ("TRANSFER_SEND_CODE", TRANSFER_SEND_CODE),
    ("TRANSFER_CODE", TRANSFER_CODE),
    ("TRANSFER_CONFIRM", TRANSFER_CONFIRM),
    ("BULK_FORM", BULK_FORM),
    ("BULK_CSV", BULK_CSV),
    ("BULK_IMPORT_GOOD", BULK_IMPORT_GOOD),
    ("BULK_SUBMIT", BULK_SUBMIT),
    ("BULK_SUMMARY", BULK_SUMMARY),
    ("BULK_TABLE", BULK_TABLE),
    ("BULK_FILE", BULK_FILE),
    ("BULK_PROGRESS", BULK_PROGRESS),
    ("HISTORY_FORM", HISTORY_FORM),
    ("FRAME_COOKIES_BLOCKED", FRAME_COOKIES_BLOCKED),
    ("FRAME_ALLOW", FRAME_ALLOW),
    ("FRAME_OWN_TAB", FRAME_OWN_TAB),
    ("HISTORY_FILTERS_FOLD", HISTORY_FILTERS_FOLD),
    ("HISTORY_YEAR", HISTORY_YEAR),
    ("HISTORY_MONTH", HISTORY_MONTH),
    ("HISTORY_FROM", HISTORY_FROM),
    ("HISTORY_TO", HISTORY_TO),
    ("HISTORY_MEMBER", HISTORY_MEMBER),
    ("HISTORY_PLATE", HISTORY_PLATE),
    ("HISTORY_COST_CENTER", HISTORY_COST_CENTER),
    ("HISTORY_FACILITY", HISTORY_FACILITY),
    ("HISTORY_KIND", HISTORY_KIND),
    ("HISTORY_SORT", HISTORY_SORT),
    ("HISTORY_SIZE", HISTORY_SIZE),
    ("HISTORY_SUBMIT", HISTORY_SUBMIT),
    ("HISTORY_TOTALS", HISTORY_TOTALS),
    ("HISTORY_TOTAL_SESSIONS", HISTORY_TOTAL_SESSIONS),
    ("HISTORY_TOTAL_HOURS", HISTORY_TOTAL_HOURS),
    ("HISTORY_TOTAL_KWH", HISTORY_TOTAL_KWH),
    ("HISTORY_TOTAL_COST", HISTORY_TOTAL_COST),
    ("HISTORY_TOTAL_EXCL", HISTORY_TOTAL_EXCL),
    ("HISTORY_TABLE", HISTORY_TABLE),
    ("HISTORY_COUNT", HISTORY_COUNT),
    ("HISTORY_NEXT", HISTORY_NEXT),
    ("HISTORY_FIRST", HISTORY_FIRST),
    ("HISTORY_EMPTY", HISTORY_EMPTY),
    ("HISTORY_EARLIER", HISTORY_EARLIER),
    ("HISTORY_PERIOD", HISTORY_PERIOD),
    ("HISTORY_ERROR", HISTORY_ERROR),
    ("EXPORT_PANEL", EXPORT_PANEL),
    ("EXPORT_SEPARATOR", EXPORT_SEPARATOR),
    ("EXPORT_DECIMAL", EXPORT_DECIMAL),
    ("EXPORT_START", EXPORT_START),
    ("EXPORT_PROGRESS", EXPORT_PROGRESS),
    ("EXPORT_CANCEL", EXPORT_CANCEL),
    ("EXPORT_DONE", EXPORT_DONE),
    ("HOME_HISTORY_LINK", HOME_HISTORY_LINK),
    ("COMPANY_CHOICES", COMPANY_CHOICES),
    ("COMPANY_SWITCH", COMPANY_SWITCH),
    ("COMPANY_SELECT", COMPANY_SELECT),
    ("HEADER_USER", HEADER_USER),
    ("SIGN_OUT_FORM", SIGN_OUT_FORM),
    ("SIGN_OUT", SIGN_OUT),
    ("MEMBER_SEARCH", MEMBER_SEARCH),
    ("MEMBER_COUNT", MEMBER_COUNT),
    ("MEMBER_LIST", MEMBER_LIST),
    ("INVITE_FORM", INVITE_FORM),
    ("INVITE_EMAIL", INVITE_EMAIL),
    ("INVITE_ROLE", INVITE_ROLE),
    ("INVITE_SUBMIT", INVITE_SUBMIT),
    ("CONFIRM_REMOVE", CONFIRM_REMOVE),
    ("CONFIRM_REMOVE_YES", CONFIRM_REMOVE_YES),
    ("INVITATION_LIST", INVITATION_LIST),
    ("INVITE_HEADING", INVITE_HEADING),
    ("INVITE_STATE", INVITE_STATE),
    ("INVITE_SIGN_IN", INVITE_SIGN_IN),
    ("INVITE_ACCEPT", INVITE_ACCEPT),
    ("HYDRATED_ATTR", HYDRATED_ATTR),
    ("COSTS_MONTH", COSTS_MONTH),
    ("COSTS_YEAR", COSTS_YEAR),
    ("COSTS_SHOW", COSTS_SHOW),
    ("COSTS_PERIOD", COSTS_PERIOD),
    ("COSTS_TOTAL", COSTS_TOTAL),
    ("COSTS_REPORT_LINK", COSTS_REPORT_LINK),
    ("COSTS_CHART_TABLE", COSTS_CHART_TABLE),
    ("COSTS_COST_CENTERS", COSTS_COST_CENTERS),
    ("COSTS_MEMBERS", COSTS_MEMBERS),
    ("COSTS_FACILITIES", COSTS_FACILITIES),
    ("COSTS_KINDS", COSTS_KINDS),
    ("HOME_COSTS_LINK", HOME_COSTS_LINK),
    ("HOME_INVOICES_LINK", HOME_INVOICES_LINK),
    ("HOME_COST_CENTERS_LINK", HOME_COST_CENTERS_LINK),
    ("INVOICES_YEAR", INVOICES_YEAR),
    ("INVOICES_STATUS", INVOICES_STATUS),
    ("INVOICES_SUBMIT", INVOICES_SUBMIT),
    ("INVOICES_TABLE", INVOICES_TABLE),
    ("INVOICES_OUTSTANDING", INVOICES_OUTSTANDING),
    ("INVOICES_OVERDUE_COUNT", INVOICES_OVERDUE_COUNT),
    ("INVOICE_TOTAL", INVOICE_TOTAL),
    ("INVOICE_COST_CENTERS", INVOICE_COST_CENTERS),
    ("INVOICE_MEMBERS", INVOICE_MEMBERS),
    ("INVOICE_MEMBER_GROUPS", INVOICE_MEMBER_GROUPS),
    ("INVOICE_EXPORT", INVOICE_EXPORT),
    ("INVOICE_EXPORTED", INVOICE_EXPORTED),
    ("INVOICE_PRINT", INVOICE_PRINT),
    ("COST_CENTERS_TABLE", COST_CENTERS_TABLE),
    ("COST_CENTERS_RULE", COST_CENTERS_RULE),
    ("COST_CENTER_CREATE", COST_CENTER_CREATE),
    ("COST_CENTER_NEW_CODE", COST_CENTER_NEW_CODE),
    ("COST_CENTER_NEW_NAME", COST_CENTER_NEW_NAME),
    ("CC_IMPORT_FILE", CC_IMPORT_FILE),
    ("CC_IMPORT_CSV", CC_IMPORT_CSV),
    ("CC_IMPORT_APPLY", CC_IMPORT_APPLY),
    ("CC_IMPORT_SUBMIT", CC_IMPORT_SUBMIT),
    ("CC_IMPORT_SUMMARY", CC_IMPORT_SUMMARY),
    ("CC_IMPORT_APPLIED", CC_IMPORT_APPLIED),
    ("CC_IMPORT_REFUSED", CC_IMPORT_REFUSED),
    ("CC_IMPORT_TABLE", CC_IMPORT_TABLE),
    ("REPORT_FORM", REPORT_FORM),
    ("REPORT_LANG", REPORT_LANG),
    ("REPORT_SAVE", REPORT_SAVE),
    ("REPORT_SAVED", REPORT_SAVED),
    ("REPORT_LAST", REPORT_LAST),
    ("FD_FORM", FD_FORM),
    ("FD_PLATE", FD_PLATE),
    ("FD_NAME", FD_NAME),
    ("FD_HOST", FD_HOST),
    ("FD_FACILITY", FD_FACILITY),
    ("FD_UNTIL_AT", FD_UNTIL_AT),
    ("FD_REGISTER", FD_REGISTER),
    ("FD_REGISTERED", FD_REGISTERED),
    ("FD_NEXT", FD_NEXT),
    ("FD_GUESTS", FD_GUESTS),
    ("FD_PARKED", FD_PARKED),
    ("FD_UPDATED", FD_UPDATED),
    ("FD_EXTEND_PANEL", FD_EXTEND_PANEL),
    ("FD_CANCEL_PANEL", FD_CANCEL_PANEL),
    ("FD_CANCEL_YES", FD_CANCEL_YES),
    ("GUEST_CC_FORM", GUEST_CC_FORM),
    ("GUEST_CC_SELECT", GUEST_CC_SELECT),
    ("HOME_FRONT_DESK_LINK", HOME_FRONT_DESK_LINK),
    ("POLICY_FORM", POLICY_FORM),
    ("POLICY_EFFECTIVE", POLICY_EFFECTIVE),
    ("POLICY_VEHICLES", POLICY_VEHICLES),
    ("POLICY_VEHICLE_ADD", POLICY_VEHICLE_ADD),
    ("POLICY_MEMBER_LOOKUP", POLICY_MEMBER_LOOKUP),
    ("POLICY_CENTER_PICK", POLICY_CENTER_PICK),
    ("COSTS_BUDGETS", COSTS_BUDGETS),
    ("COSTS_BUDGET_FORM", COSTS_BUDGET_FORM),
    ("NOTICES_LIST", NOTICES_LIST),
    ("NOTICES_SETTINGS", NOTICES_SETTINGS),
    ("NOTICES_MARK_READ", NOTICES_MARK_READ),
    ("HEADER_NOTICES", HEADER_NOTICES),
    ("UNSUBSCRIBE_FORM", UNSUBSCRIBE_FORM),
    ("HISTORY_POLICY", HISTORY_POLICY),
];

// Costs, invoices, cost centers, the monthly report (issue 14).
pub const COSTS_MONTH: &str = "costs-month";
pub const COSTS_YEAR: &str = "costs-year";
pub const COSTS_SHOW: &str = "costs-show";
pub const COSTS_PERIOD: &str = "costs-period";
pub const COSTS_TOTAL: &str = "costs-total";
pub const COSTS_REPORT_LINK: &str = "costs-report-link";
pub const COSTS_CHART_TABLE: &str = "costs-chart-table";
pub const COSTS_COST_CENTERS: &str = "costs-cost-centers";
pub const COSTS_MEMBERS: &str = "costs-members";
pub const COSTS_FACILITIES: &str = "costs-facilities";
pub const COSTS_KINDS: &str = "costs-kinds";
pub const HOME_COSTS_LINK: &str = "home-costs-link";
pub const HOME_INVOICES_LINK: &str = "home-invoices-link";
pub const HOME_COST_CENTERS_LINK: &str = "home-cost-centers-link";
pub const INVOICES_YEAR: &str = "invoices-year";
pub const INVOICES_STATUS: &str = "invoices-status";
pub const INVOICES_SUBMIT: &str = "invoices-submit";
pub const INVOICES_TABLE: &str = "invoices-table";
pub const INVOICES_OUTSTANDING: &str = "invoices-outstanding";
pub const INVOICES_OVERDUE_COUNT: &str = "invoices-overdue-count";
pub const INVOICE_TOTAL: &str = "invoice-total";
pub const INVOICE_COST_CENTERS: &str = "invoice-cost-centers";
pub const INVOICE_MEMBERS: &str = "invoice-members";
pub const INVOICE_MEMBER_GROUPS: &str = "invoice-member-groups";
pub const INVOICE_EXPORT: &str = "invoice-export";
pub const INVOICE_EXPORTED: &str = "invoice-exported";
pub const INVOICE_PRINT: &str = "invoice-print";
pub const COST_CENTERS_TABLE: &str = "cost-centers-table";
pub const COST_CENTERS_RULE: &str = "cost-centers-rule";
pub const COST_CENTER_CREATE: &str = "cost-center-create";
pub const COST_CENTER_NEW_CODE: &str = "cc-new-code";
pub const COST_CENTER_NEW_NAME: &str = "cc-new-name";
pub const CC_IMPORT_FILE: &str = "cc-import-file";
pub const CC_IMPORT_CSV: &str = "cc-import-csv";
pub const CC_IMPORT_APPLY: &str = "cc-import-apply";
pub const CC_IMPORT_SUBMIT: &str = "cc-import-submit";
pub const CC_IMPORT_SUMMARY: &str = "cc-import-summary";
pub const CC_IMPORT_APPLIED: &str = "cc-import-applied";
pub const CC_IMPORT_REFUSED: &str = "cc-import-refused";
pub const CC_IMPORT_TABLE: &str = "cc-import-table";
pub const REPORT_FORM: &str = "report-form";
pub const REPORT_LANG: &str = "report-lang";
pub const REPORT_SAVE: &str = "report-save";
pub const REPORT_SAVED: &str = "report-saved";
pub const REPORT_LAST: &str = "report-last";
pub const FD_FORM: &str = "fd-form";
pub const FD_PLATE: &str = "fd-plate";
pub const FD_NAME: &str = "fd-name";
pub const FD_HOST: &str = "fd-host";
pub const FD_FACILITY: &str = "fd-facility";
pub const FD_UNTIL_AT: &str = "fd-until-at";
pub const FD_REGISTER: &str = "fd-register";
pub const FD_REGISTERED: &str = "fd-registered";
pub const FD_NEXT: &str = "fd-next";
pub const FD_GUESTS: &str = "fd-guests";
pub const FD_PARKED: &str = "fd-parked";
pub const FD_UPDATED: &str = "fd-updated";
pub const FD_EXTEND_PANEL: &str = "fd-extend-panel";
pub const FD_CANCEL_PANEL: &str = "fd-cancel-panel";
pub const FD_CANCEL_YES: &str = "fd-cancel-yes";
pub const GUEST_CC_FORM: &str = "guest-cc-form";
pub const GUEST_CC_SELECT: &str = "guest-cc-select";
pub const HOME_FRONT_DESK_LINK: &str = "home-front-desk-link";

#[cfg(test)]
mod tests {
    #[test]
    fn end2end_ids_mirror_the_app_ids() {
        let js = include_str!("../../end2end/ids.js");
        for (name, value) in super::ALL {
            let line = format!("{name}: '{value}',");
            assert!(
                js.contains(&line),
                "end2end/ids.js must contain `{line}` (it mirrors app/src/ids.rs)"
            );
        }
        let entries = js.lines().filter(|l| l.trim_end().ends_with("',")).count();
        assert_eq!(
            entries,
            super::ALL.len(),
            "end2end/ids.js has ids app/src/ids.rs lacks"
        );
    }
}
