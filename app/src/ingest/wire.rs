//! What the back office sends and what it gets back: the ingestion API's JSON, one type per
//! record. The OpenAPI document (`/ingest/v1/openapi.json`) is generated from these types, so
//! the text on each field is what a back-office developer reads.
//!
//! Conventions, the same on every resource:
//! - `id` is the operator's id of the record, the key: a record sent twice is stored once.
//! - `version` grows with every change of the record in the back office (a revision number,
//!   or its updated-at in milliseconds). A newer version updates the stored record, the same
//!   version is "unchanged", an older one arriving late is "outdated" and changes nothing.
//! - Instants are RFC 3339 with an offset (`2026-11-20T08:15:00+01:00` or `…Z`); dates are
//!   `YYYY-MM-DD`; money is an integer in the company's currency's minor unit (öre, cent).
//! - Unknown fields are refused, so a misspelt field is an error rather than silently lost.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Records per request, on every resource.
pub const MAX_BATCH: usize = 1_000;

/// The most one session may cost, in minor units (1,000,000 kronor or euros): no parking or
/// charging session comes near it, and with it no sum the portal keeps (a month's rollup, a
/// history total, a year of costs) can leave an `i64` — 9.2 × 10¹⁸ / 10⁸ is 92 billion sessions.
pub const MAX_SESSION_AMOUNT: i64 = 100_000_000;
/// The most energy one charging session may carry, in watt-hours (10 MWh; a heavy truck's
/// whole day of charging is about 1 MWh).
pub const MAX_ENERGY_WH: i64 = 10_000_000;
/// The largest invoice or invoice line, either sign, in minor units (10 billion kronor or
/// euros). The lines' sum is checked in 128 bits, so no batch can wrap it.
pub const MAX_INVOICE_AMOUNT: i64 = 1_000_000_000_000;

/// `POST /ingest/v1/sessions`
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionBatch {
    #[schema(min_items = 1, max_items = 1000)]
    pub sessions: Vec<SessionIn>,
}

/// A parking or charging session on a company's account.
///
/// The company, the facility and the cost center must be known to the portal (send
/// facilities first; companies and cost centers are set up by customer service and the
/// company's administrators): a session naming an unknown one is an error. An app user the
/// portal does not know yet is created (the operator is the source of truth for its users)
/// but is not made a member of the company: the session is stored and shows under its plate
/// until the person is invited and becomes a member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "id": "S-2026-0000123",
    "version": 2,
    "company": "556677-1001",
    "app_user": { "email": "anna.lindberg@nordstrombygg.example" },
    "plate": "ABC 123",
    "facility": "AIMO-SE-0101",
    "kind": "parking",
    "started_at": "2026-11-20T07:55:00+01:00",
    "ended_at": "2026-11-20T16:40:00+01:00",
    "energy_wh": null,
    "amount_incl_vat": 16000,
    "vat": 3200,
    "cost_center": "2010"
}))]
pub struct SessionIn {
    /// The operator's id of the session (1–100 characters): the key.
    #[schema(min_length = 1, max_length = 100)]
    pub id: String,
    /// Grows with each change of this session (it ended, its cost was corrected).
    #[schema(minimum = 0)]
    pub version: i64,
    /// The company's organisation number as its country writes it: Swedish `NNNNNN-NNNN`,
    /// Finnish Y-tunnus `NNNNNNN-N` or Norwegian `NNN NNN NNN` (dashes and spaces optional).
    /// A number no company has is refused; when its check digit is wrong, the error says so.
    #[schema(example = "556677-1001")]
    pub company: String,
    /// Who parked: the app user by the operator's id, the email they were invited with, or
    /// both; `null` for a guest's session (no app user).
    #[serde(default)]
    pub app_user: Option<AppUserRef>,
    /// The vehicle's plate, stored the way the facility's country writes its plates (Swedish
    /// `ABC 123`, Finnish `ABC-123`, Norwegian `AB 12345`); a foreign plate upper-cased with
    /// single spaces.
    #[schema(example = "ABC 123")]
    pub plate: String,
    /// The facility's id (its code, as sent to `/ingest/v1/facilities`).
    #[schema(example = "AIMO-SE-0101")]
    pub facility: String,
    pub kind: SessionKindIn,
    /// When it started (RFC 3339).
    #[schema(format = DateTime)]
    pub started_at: String,
    /// When it ended (RFC 3339); `null` while it is ongoing.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub ended_at: Option<String>,
    /// Charged energy in watt-hours (1 kWh = 1000); charging sessions only.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub energy_wh: Option<i64>,
    /// The cost including VAT, in minor units (öre, cent); at most 100,000,000.
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub amount_incl_vat: i64,
    /// The VAT in it, in minor units; at most `amount_incl_vat`.
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub vat: i64,
    /// The company's cost center code; when `null`, the member's default cost center (or
    /// none, for someone who is not a member).
    #[serde(default)]
    pub cost_center: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionKindIn {
    Parking,
    Charging,
}

/// An app user named by the operator's id, by email, or both (at least one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppUserRef {
    /// The operator's id of the app user. An id the portal does not know needs `email` too.
    #[serde(default)]
    pub id: Option<String>,
    /// The address the person uses in the app (and was invited with).
    #[serde(default)]
    #[schema(format = Email)]
    pub email: Option<String>,
}

/// `POST /ingest/v1/facilities`
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FacilityBatch {
    #[schema(min_items = 1, max_items = 1000)]
    pub facilities: Vec<FacilityIn>,
}

/// A place to park, shared by every company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "id": "AIMO-SE-9901", "version": 1, "name": "Garage Klara", "address": "Klarabergsgatan 29",
    "city": "Stockholm", "kind": "barrier_garage", "company_account": "some",
    "company_account_note": "Only levels 1–2", "has_chargers": true
}))]
pub struct FacilityIn {
    /// The facility's code: the key, and how sessions name it.
    #[schema(min_length = 1, max_length = 100)]
    pub id: String,
    #[schema(minimum = 0)]
    pub version: i64,
    pub name: String,
    pub address: String,
    pub city: String,
    pub kind: FacilityKindIn,
    /// Whether the company account works here: `yes`, `some` (a note says where), `no`.
    pub company_account: AcceptanceIn,
    /// Why, when the account does not simply work; required for `some` and `no`.
    #[serde(default)]
    pub company_account_note: String,
    #[serde(default)]
    pub has_chargers: bool,
    /// The country the facility is in (default `SE`). Plates parked here are stored and shown
    /// the way it writes its own: Swedish `ABC 123`, Finnish `ABC-123`, Norwegian `AB 12345`;
    /// foreign plates as they come.
    #[serde(default)]
    pub country: CountryIn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub enum CountryIn {
    #[default]
    #[serde(rename = "SE")]
    Se,
    #[serde(rename = "FI")]
    Fi,
    #[serde(rename = "NO")]
    No,
}

impl From<CountryIn> for crate::org_number::Country {
    fn from(c: CountryIn) -> Self {
        match c {
            CountryIn::Se => Self::Se,
            CountryIn::Fi => Self::Fi,
            CountryIn::No => Self::No,
        }
    }
}

impl From<crate::org_number::Country> for CountryIn {
    fn from(c: crate::org_number::Country) -> Self {
        use crate::org_number::Country;
        match c {
            Country::Se => Self::Se,
            Country::Fi => Self::Fi,
            Country::No => Self::No,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FacilityKindIn {
    Street,
    CameraGarage,
    BarrierGarage,
    Surface,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AcceptanceIn {
    Yes,
    Some,
    No,
}

/// `POST /ingest/v1/app-users`
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppUserBatch {
    #[schema(min_items = 1, max_items = 1000)]
    pub app_users: Vec<AppUserIn>,
}

/// A person's profile in the parking app. A user the portal knows by this email (an invited
/// member) is linked to the id; an unknown one is created, without any membership.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "id": "U-48213", "version": 5, "email": "new.person@nordstrombygg.example",
    "display_name": "Nya Personen", "app_signed_in_at": "2026-03-02T10:12:00Z"
}))]
pub struct AppUserIn {
    /// The operator's id of the app user: the key.
    #[schema(min_length = 1, max_length = 100)]
    pub id: String,
    #[schema(minimum = 0)]
    pub version: i64,
    /// The address the person signs in to the app with. It cannot change through this API
    /// yet: a different address for a known id is an error.
    #[schema(format = Email)]
    pub email: String,
    /// The name as the person set it in the app (may be empty).
    #[serde(default)]
    pub display_name: String,
    /// When the person first signed in to the app with this address; `null` if never.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub app_signed_in_at: Option<String>,
}

/// `POST /ingest/v1/invoices`
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceBatch {
    #[schema(min_items = 1, max_items = 1000)]
    pub invoices: Vec<InvoiceIn>,
}

/// An invoice with its lines. A later status change (paid, credited) is the same invoice sent
/// again with a higher version; its lines are replaced by the ones sent. "Overdue" is not sent:
/// the portal derives it from the due date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "number": "F202610-9001", "version": 1, "company": "556677-1001",
    "period_start": "2026-10-01", "period_end": "2026-10-31",
    "issued_on": "2026-11-03", "due_on": "2026-12-03", "status": "unpaid", "paid_on": null,
    "amount_incl_vat": 16000, "vat": 3200,
    "lines": [{ "description": "Parkering ABC 123", "amount_incl_vat": 16000, "vat": 3200,
                "session": "S-2026-0000123", "cost_center": "2010" }]
}))]
pub struct InvoiceIn {
    /// The invoice number: the key.
    #[schema(min_length = 1, max_length = 100)]
    pub number: String,
    #[schema(minimum = 0)]
    pub version: i64,
    /// The company's organisation number.
    pub company: String,
    #[schema(format = Date)]
    pub period_start: String,
    /// The last day of the period, inclusive.
    #[schema(format = Date)]
    pub period_end: String,
    #[schema(format = Date)]
    pub issued_on: String,
    #[schema(format = Date)]
    pub due_on: String,
    pub status: InvoiceStatusIn,
    /// Required when `status` is `paid`, otherwise `null`.
    #[serde(default)]
    #[schema(format = Date)]
    pub paid_on: Option<String>,
    /// The total including VAT, in minor units: the sum of the lines (negative for a credit;
    /// at most 10¹² either way).
    #[schema(minimum = -1_000_000_000_000_i64, maximum = 1_000_000_000_000_i64)]
    pub amount_incl_vat: i64,
    /// The VAT in it: the sum of the lines' VAT.
    #[schema(minimum = -1_000_000_000_000_i64, maximum = 1_000_000_000_000_i64)]
    pub vat: i64,
    #[schema(max_items = 100000)]
    pub lines: Vec<InvoiceLineIn>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatusIn {
    Unpaid,
    Paid,
    Credited,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceLineIn {
    #[schema(min_length = 1, max_length = 500)]
    pub description: String,
    /// At most 10¹² minor units either way.
    #[schema(minimum = -1_000_000_000_000_i64, maximum = 1_000_000_000_000_i64)]
    pub amount_incl_vat: i64,
    #[schema(minimum = -1_000_000_000_000_i64, maximum = 1_000_000_000_000_i64)]
    pub vat: i64,
    /// The session this line bills (its id), if it is a session; it must be the company's.
    #[serde(default)]
    pub session: Option<String>,
    /// The company's cost center code, if any.
    #[serde(default)]
    pub cost_center: Option<String>,
}

/// What happened to one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// New: stored.
    Inserted,
    /// A newer version than the stored one: stored.
    Updated,
    /// The stored version: nothing changed.
    Unchanged,
    /// Older than the stored version (arrived late): nothing changed.
    Outdated,
}

/// 200: the batch is stored, one result per record in the order sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BatchResult {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub outdated: usize,
    pub results: Vec<RecordResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RecordResult {
    /// The record's position in the batch, from 0.
    pub index: usize,
    pub id: String,
    pub outcome: Outcome,
}

impl BatchResult {
    pub fn push(&mut self, index: usize, id: String, outcome: Outcome) {
        match outcome {
            Outcome::Inserted => self.inserted += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Outdated => self.outdated += 1,
        }
        self.results.push(RecordResult { index, id, outcome });
    }
}

/// 422: nothing of the batch was stored; every bad record is listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InvalidBatch {
    /// Always `invalid_batch`.
    pub error: String,
    pub reason: String,
    pub errors: Vec<RecordError>,
}

/// One problem in one record. A record may have several.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
pub struct RecordError {
    /// The record's position in the batch, from 0.
    pub index: usize,
    /// The field, as a path (`app_user.email`, `lines[2].amount_incl_vat`).
    pub field: String,
    pub reason: String,
}

/// 400, 401, 404, 413, 503: what went wrong, for the developer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// A stable code: `bad_request`, `unauthorized`, `not_found`, `too_large`,
    /// `not_configured`, `unavailable`.
    pub error: String,
    pub reason: String,
}

/// `GET /ingest/v1/guest-permits`: the guest permits valid now, in id order, a page at a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GuestPermitList {
    pub permits: Vec<GuestPermitOut>,
    /// Pass as `after` for the next page; `null` on the last page.
    pub next: Option<String>,
}

/// A guest permit: a visitor's car that the company pays for at one facility, for a time.
/// The same fields (and `status`) are POSTed to the operator's permit endpoint on every
/// change; the visitor's name never leaves the portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GuestPermitOut {
    /// The portal's id of the permit (a UUID).
    pub id: String,
    /// Grows with every change (an extension, a cancellation): keep the highest.
    pub version: i64,
    /// The company's organisation number.
    #[schema(example = "556677-1001")]
    pub company: String,
    /// The facility's code, as sent to `/ingest/v1/facilities`.
    #[schema(example = "AIMO-SE-0101")]
    pub facility: String,
    /// The plate as the front desk typed it, normalised (upper case, one space between
    /// parts). Compare letters and digits only.
    #[schema(example = "ABC 123")]
    pub plate: String,
    /// RFC 3339, UTC.
    #[schema(format = DateTime)]
    pub valid_from: String,
    /// RFC 3339, UTC: the permit does not cover parking that starts at or after it.
    #[schema(format = DateTime)]
    pub valid_until: String,
}

/// The rules' wire types are the policies domain's (it builds the same list for the pushes).
pub use crate::policies::wire::{PolicyLevelOut, PolicyList, VehicleOut};
