-- Two parts of issue 31: the rules reach the operator, and the rule "only these facilities".

-- The companies' rules reach the operator (issue 31): every change of a company's rules or of
-- its members' registered vehicles puts the whole of its rules, as `GET /ingest/v1/policies`
-- returns them, in this outbox, in the change's transaction; the policies sender POSTs each
-- message to PORTAL_OPERATOR_POLICIES_URL, signed, with retries (as operator_outbox does for
-- guest permits). The same on both engines but for the id type.

-- The company's rules version: one more with every change the operator is told of (a save of
-- rules, a vehicle added or removed). The back office keeps the highest it has seen.
ALTER TABLE companies ADD COLUMN policy_version BIGINT NOT NULL DEFAULT 0;
UPDATE companies SET policy_version = COALESCE(
    (SELECT MAX(r.version) FROM policy_rules r WHERE r.company_id = companies.id), 0);

CREATE TABLE policy_outbox (
    id              BLOB PRIMARY KEY,                 -- the message's idempotency key
    company_id      BLOB NOT NULL REFERENCES companies(id),
    version         BIGINT NOT NULL,                -- companies.policy_version the change made
    body            TEXT NOT NULL,                  -- JSON: policies::wire::PolicyList
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until     BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX policy_outbox_due ON policy_outbox (status, next_attempt_at);
CREATE INDEX policy_outbox_company ON policy_outbox (company_id, version);

-- The rule "only these facilities" (issue 31): a level's allowed facilities as a JSON array
-- of facility ids, NULL to leave the rule to the level above (at the company level: every
-- facility where the account works). Written only by policies::store::insert_version.
ALTER TABLE policy_rules ADD COLUMN facilities TEXT;
