-- The front desk (issue 15): a 'front_desk' role, guest permits and their messages to the
-- operator. The same on both engines but for the id type and for how a CHECK is widened
-- (migrations/{postgres,sqlite}/0008_front_desk.sql).

ALTER TABLE memberships DROP CONSTRAINT memberships_role_check;
ALTER TABLE memberships ADD CONSTRAINT memberships_role_check
    CHECK (role IN ('owner', 'admin', 'finance', 'member', 'front_desk'));
ALTER TABLE invitations DROP CONSTRAINT invitations_role_check;
ALTER TABLE invitations ADD CONSTRAINT invitations_role_check
    CHECK (role IN ('owner', 'admin', 'finance', 'member', 'front_desk'));

-- Sessions remember when their person signed in: a session's limits depend on the role it
-- acts in (a front desk's working day is 10 hours, everyone else's 8; idle 10 h / 30 min),
-- and a company switch keeps the sign-in's clock. NULL for pre-sessions.
ALTER TABLE web_sessions ADD COLUMN signed_in_at BIGINT;

-- Which cost center the company's guest sessions (no app user) are billed to when the
-- operator's feed names none. One row per company that chose one.
CREATE TABLE guest_settings (
    company_id     UUID PRIMARY KEY REFERENCES companies(id),
    cost_center_id UUID NOT NULL,
    updated_at     BIGINT NOT NULL,
    FOREIGN KEY (company_id, cost_center_id) REFERENCES cost_centers (company_id, id)
);

-- A guest permit: lets the operator's garages and street parking bill a visitor's parking
-- to the company. The visitor's name is personal data: it never leaves the portal (the
-- operator gets plate, facility and times) and is erased 90 days after the visit.
CREATE TABLE guest_permits (
    id             UUID PRIMARY KEY,
    company_id     UUID NOT NULL REFERENCES companies(id),
    plate          TEXT NOT NULL,                  -- normalised display form (plate::normalise_any)
    plate_key      TEXT NOT NULL,                  -- letters and digits only: matches the feed's spelling
    visitor_name   TEXT,                           -- erased (NULL) 90 days after valid_until
    host_user_id   UUID REFERENCES users(id),
    facility_id    UUID NOT NULL REFERENCES facilities(id),
    valid_from     BIGINT NOT NULL,
    valid_until    BIGINT NOT NULL,
    cancelled_at   BIGINT,
    version        BIGINT NOT NULL,                -- grows with every change the operator is told of
    created_by     UUID REFERENCES users(id),
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    CHECK (valid_until >= valid_from)          -- equal: cancelled the second it was registered
);
CREATE INDEX guest_permits_company_until ON guest_permits (company_id, valid_until);
CREATE INDEX guest_permits_until ON guest_permits (valid_until);

-- Messages to the operator's back office (PORTAL_OPERATOR_PERMITS_URL), written in the
-- transaction of the change and sent by the outbox worker, signed, with retries. `id` is the
-- message's idempotency key; the body holds no visitor name.
CREATE TABLE operator_outbox (
    id              UUID PRIMARY KEY,
    permit_id       UUID NOT NULL REFERENCES guest_permits(id),
    version         BIGINT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until     BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX operator_outbox_due ON operator_outbox (status, next_attempt_at);
CREATE INDEX operator_outbox_permit ON operator_outbox (permit_id);
