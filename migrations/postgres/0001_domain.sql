-- The portal's domain schema (PostgreSQL). migrations/sqlite/0001_domain.sql is the same
-- schema for SQLite; keep the two in step (the store conformance tests run on both).
-- Instants are BIGINT seconds since the Unix epoch (UTC) on both engines; money is BIGINT
-- minor units (öre) with the currency on the company; VAT is stored, never recomputed.

CREATE TABLE companies (
    id          UUID PRIMARY KEY,
    name        TEXT NOT NULL,
    org_number  TEXT NOT NULL UNIQUE,             -- Swedish organisationsnummer, 556677-8899
    time_zone   TEXT NOT NULL DEFAULT 'Europe/Stockholm',
    currency    TEXT NOT NULL DEFAULT 'SEK' CHECK (length(currency) = 3),
    created_at  BIGINT NOT NULL
);

CREATE TABLE users (
    id               UUID PRIMARY KEY,
    email            TEXT NOT NULL UNIQUE,         -- normalised: trimmed, lower-cased
    display_name     TEXT NOT NULL DEFAULT '',     -- as the person set it in the app
    app_signed_in_at BIGINT,                       -- first sign-in to the parking app with this email
    created_at       BIGINT NOT NULL
);

CREATE TABLE cost_centers (
    id          UUID PRIMARY KEY,
    company_id  UUID NOT NULL REFERENCES companies(id),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    archived_at BIGINT,
    created_at  BIGINT NOT NULL,
    UNIQUE (company_id, code),
    UNIQUE (company_id, id)
);

CREATE TABLE memberships (
    company_id             UUID NOT NULL REFERENCES companies(id),
    user_id                UUID NOT NULL REFERENCES users(id),
    role                   TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'finance', 'member')),
    status                 TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'removed')),
    default_cost_center_id UUID,
    invited_email          TEXT,                   -- the address the invitation went to
    created_at             BIGINT NOT NULL,
    PRIMARY KEY (company_id, user_id),
    -- the default cost center must belong to the same company
    FOREIGN KEY (company_id, default_cost_center_id) REFERENCES cost_centers (company_id, id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE facilities (
    id                   UUID PRIMARY KEY,
    external_ref         TEXT NOT NULL UNIQUE,     -- the operator's facility code
    name                 TEXT NOT NULL,
    address              TEXT NOT NULL,
    city                 TEXT NOT NULL,
    kind                 TEXT NOT NULL CHECK (kind IN ('street', 'camera_garage', 'barrier_garage', 'surface')),
    company_account      TEXT NOT NULL CHECK (company_account IN ('yes', 'some', 'no')),
    company_account_note TEXT NOT NULL DEFAULT '', -- why, when not a plain yes
    has_chargers         BOOLEAN NOT NULL DEFAULT FALSE,
    search_text          TEXT NOT NULL             -- lower-cased name, address, city (set by the store)
);
CREATE INDEX facilities_city ON facilities (city);

CREATE TABLE sessions (
    id             UUID PRIMARY KEY,
    company_id     UUID NOT NULL REFERENCES companies(id),
    user_id        UUID REFERENCES users(id),      -- NULL for a front-desk guest
    plate          TEXT NOT NULL,                  -- normalised: upper case, one space (ABC 123)
    facility_id    UUID NOT NULL REFERENCES facilities(id),
    kind           TEXT NOT NULL CHECK (kind IN ('parking', 'charging')),
    started_at     BIGINT NOT NULL,
    ended_at       BIGINT,                         -- NULL while ongoing
    energy_wh      BIGINT,                         -- charging only, watt-hours
    amount_ore     BIGINT NOT NULL,                -- incl. VAT
    vat_ore        BIGINT NOT NULL,
    cost_center_id UUID,
    source         TEXT NOT NULL,                  -- which back-office system sent it
    external_ref   TEXT NOT NULL,                  -- its id there: a session sent twice is stored once
    UNIQUE (source, external_ref),
    FOREIGN KEY (company_id, cost_center_id) REFERENCES cost_centers (company_id, id),
    CHECK (ended_at IS NULL OR ended_at >= started_at),
    CHECK (vat_ore <= amount_ore)
);
-- The history filters: always the company and a time range, optionally one more column.
-- `id` last makes (started_at, id) a unique keyset for pagination.
CREATE INDEX sessions_company_time ON sessions (company_id, started_at, id);
CREATE INDEX sessions_company_member_time ON sessions (company_id, user_id, started_at, id);
CREATE INDEX sessions_company_plate_time ON sessions (company_id, plate, started_at, id);
CREATE INDEX sessions_company_cost_center_time ON sessions (company_id, cost_center_id, started_at, id);

CREATE TABLE invoices (
    id           UUID PRIMARY KEY,
    company_id   UUID NOT NULL REFERENCES companies(id),
    number       TEXT NOT NULL UNIQUE,
    period_start DATE NOT NULL,                    -- first day of the invoiced month (company calendar)
    period_end   DATE NOT NULL,                    -- last day, inclusive
    issued_on    DATE NOT NULL,
    due_on       DATE NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('paid', 'unpaid', 'overdue', 'credited')),
    paid_on      DATE,
    amount_ore   BIGINT NOT NULL,                  -- incl. VAT
    vat_ore      BIGINT NOT NULL,
    UNIQUE (company_id, id)
);
CREATE INDEX invoices_company_period ON invoices (company_id, period_start);

CREATE TABLE invoice_lines (
    id             UUID PRIMARY KEY,
    company_id     UUID NOT NULL,
    invoice_id     UUID NOT NULL,
    session_id     UUID REFERENCES sessions(id),   -- NULL for fees that are not a session
    description    TEXT NOT NULL,
    amount_ore     BIGINT NOT NULL,
    vat_ore        BIGINT NOT NULL,
    cost_center_id UUID,
    FOREIGN KEY (company_id, invoice_id) REFERENCES invoices (company_id, id),
    FOREIGN KEY (company_id, cost_center_id) REFERENCES cost_centers (company_id, id)
);
CREATE INDEX invoice_lines_invoice ON invoice_lines (invoice_id);

-- Append-only: who did what to whom, when. Updates and deletes are refused by a trigger.
CREATE TABLE audit_log (
    id              UUID PRIMARY KEY,
    company_id      UUID REFERENCES companies(id), -- NULL for operator actions on no company
    actor_user_id   UUID REFERENCES users(id),     -- NULL for the operator CLI and the system
    action          TEXT NOT NULL,
    subject_user_id UUID REFERENCES users(id),
    details         TEXT NOT NULL DEFAULT '{}',    -- JSON
    at              BIGINT NOT NULL
);
CREATE INDEX audit_log_company_at ON audit_log (company_id, at);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
