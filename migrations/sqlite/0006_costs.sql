-- Costs (issue 14). The same on both engines (migrations/{postgres,sqlite}/0006_costs.sql)
-- but for the types and the way "overdue" is refused.
--
-- Three rollups of `sessions`, derived data kept exactly in step with it by the one write of
-- sessions (app/src/history/store.rs, upsert_sessions) in the same transaction, and filled
-- for a database that had sessions before this migration by app/src/history/rollup.rs at
-- start-up (SQLite has no time zones, so the local day cannot be computed in SQL here).
-- "None" (a session without a cost center or without a member) is the nil UUID, so the
-- keys have no NULLs and the upserts' ON CONFLICT matches on both engines.

-- Per company and local day (the company's calendar): what the history totals of a custom
-- range of days read.
CREATE TABLE session_days (
    company_id      BLOB NOT NULL REFERENCES companies(id),
    day             INTEGER NOT NULL,             -- local date, days since 1970-01-01
    cost_center_key BLOB NOT NULL,                 -- nil UUID: no cost center
    facility_id     BLOB NOT NULL,
    kind            TEXT NOT NULL,
    sessions        BIGINT NOT NULL,
    parking_seconds BIGINT NOT NULL,              -- ended parking sessions only
    energy_wh       BIGINT NOT NULL,
    amount_ore      BIGINT NOT NULL,              -- incl. VAT
    vat_ore         BIGINT NOT NULL,
    PRIMARY KEY (company_id, day, cost_center_key, facility_id, kind)
);

-- The same per local month: what the cost page's chart and breakdowns and the history
-- totals of a month or a year read (a month of a big company is a few hundred groups here,
-- tens of thousands in session_days).
CREATE TABLE session_months (
    company_id      BLOB NOT NULL REFERENCES companies(id),
    month           INTEGER NOT NULL,             -- year * 12 + month - 1
    cost_center_key BLOB NOT NULL,
    facility_id     BLOB NOT NULL,
    kind            TEXT NOT NULL,
    sessions        BIGINT NOT NULL,
    parking_seconds BIGINT NOT NULL,
    energy_wh       BIGINT NOT NULL,
    amount_ore      BIGINT NOT NULL,
    vat_ore         BIGINT NOT NULL,
    PRIMARY KEY (company_id, month, cost_center_key, facility_id, kind)
);

-- Per company, local month and member: the cost page's "per member" (a day-level table by
-- member would be as large as the sessions of a big company).
CREATE TABLE member_months (
    company_id      BLOB NOT NULL REFERENCES companies(id),
    month           INTEGER NOT NULL,             -- year * 12 + month - 1
    user_key        BLOB NOT NULL,                 -- nil UUID: no member (a guest)
    sessions        BIGINT NOT NULL,
    parking_seconds BIGINT NOT NULL,
    energy_wh       BIGINT NOT NULL,
    amount_ore      BIGINT NOT NULL,
    vat_ore         BIGINT NOT NULL,
    PRIMARY KEY (company_id, month, user_key)
);

-- Companies whose rollups were built from their sessions. The operator's `company create`
-- records a new company at once (its empty rollups are exact); any other company is built
-- from its sessions at the next start-up.
CREATE TABLE rollup_filled (
    company_id BLOB PRIMARY KEY REFERENCES companies(id),
    filled_at  BIGINT NOT NULL
);

-- "Overdue" is derived (unpaid and past due in the company's calendar), no longer stored.
UPDATE invoices SET status = 'unpaid' WHERE status = 'overdue';
-- SQLite cannot change a column's CHECK in place: a trigger refuses 'overdue' from now on.
CREATE TRIGGER invoices_status_not_overdue_insert BEFORE INSERT ON invoices WHEN NEW.status = 'overdue'
BEGIN SELECT RAISE(ABORT, 'overdue is derived, not stored'); END;
CREATE TRIGGER invoices_status_not_overdue_update BEFORE UPDATE OF status ON invoices WHEN NEW.status = 'overdue'
BEGIN SELECT RAISE(ABORT, 'overdue is derived, not stored'); END;
