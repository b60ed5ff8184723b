-- Company policies (issue 31): the rules a company sets for who may park and charge where
-- and when, the vehicles its members registered, and each session's judgement. The same on
-- both engines but for the id and boolean types (migrations/{postgres,sqlite}/0010_policies.sql).

-- One version of the rules at one level: the company (cost_center_id and user_id NULL), a
-- cost center, or a member. A save inserts a new version valid from that moment; a session
-- is judged by the versions in force when it started, so older versions are never updated.
-- A NULL rule column means "as the level above" (the most specific level that sets a rule
-- wins, field by field: policies::model::effective).
CREATE TABLE policy_rules (
    id               UUID PRIMARY KEY,
    company_id       UUID NOT NULL REFERENCES companies(id),
    cost_center_id   UUID,
    user_id          UUID REFERENCES users(id),
    valid_from       BIGINT NOT NULL,
    -- The company's saves counted 1, 2, …: of two versions with the same valid_from the
    -- later save wins (policies::store::insert_version, under the company's lock).
    version          BIGINT NOT NULL,
    created_by       UUID REFERENCES users(id),
    weekdays         INTEGER CHECK (weekdays BETWEEN 0 AND 127),      -- bit 0 Monday … bit 6 Sunday
    from_minute      INTEGER CHECK (from_minute BETWEEN 0 AND 1439),  -- allowed start, company time
    to_minute        INTEGER CHECK (to_minute BETWEEN 1 AND 1440),    -- below from_minute: past midnight
    parking_allowed  BOOLEAN,
    charging_allowed BOOLEAN,
    max_stay_minutes INTEGER CHECK (max_stay_minutes > 0),
    session_cap_ore  BIGINT CHECK (session_cap_ore >= 0),
    monthly_cap_ore  BIGINT CHECK (monthly_cap_ore >= 0),
    only_registered  BOOLEAN,
    UNIQUE (company_id, version),
    CHECK (cost_center_id IS NULL OR user_id IS NULL),
    CHECK ((from_minute IS NULL) = (to_minute IS NULL)),
    FOREIGN KEY (company_id, cost_center_id) REFERENCES cost_centers (company_id, id)
);
CREATE INDEX policy_rules_company ON policy_rules (company_id, valid_from);

-- The vehicles a member registered with the company: the rule "only registered vehicles".
-- `plate_key` is letters and digits only, so any spelling of the plate matches the feed's.
CREATE TABLE vehicles (
    company_id UUID NOT NULL REFERENCES companies(id),
    user_id    UUID NOT NULL REFERENCES users(id),
    plate_key  TEXT NOT NULL,
    plate      TEXT NOT NULL,                      -- as shown (plate::normalise_any)
    added_at   BIGINT NOT NULL,
    PRIMARY KEY (company_id, user_id, plate_key)
);

-- Each session's judgement: a bit per reason (policies::model::Reason), 0 within policy.
-- Written by the one write of sessions (history::store::upsert_sessions) with the session.
ALTER TABLE sessions ADD COLUMN policy_flags BIGINT NOT NULL DEFAULT 0;
-- "Outside policy" in the history: few rows, so a partial index.
CREATE INDEX sessions_outside_policy ON sessions (company_id, started_at, id) WHERE policy_flags <> 0;
-- The sessions still open (no end): the periodic check for cars parked past their maximum
-- stay reads them every few minutes (policies::service::flag_overstays).
CREATE INDEX sessions_open ON sessions (company_id, started_at) WHERE ended_at IS NULL;
