-- The front desk (issue 15): a 'front_desk' role, guest permits and their messages to the
-- operator. The same on both engines but for the id type and for how a CHECK is widened
-- (migrations/{postgres,sqlite}/0008_front_desk.sql).

-- SQLite cannot change a CHECK in place: memberships and invitations are rebuilt with the
-- new role (nothing references either table).
CREATE TABLE memberships_new (
    company_id             BLOB NOT NULL REFERENCES companies(id),
    user_id                BLOB NOT NULL REFERENCES users(id),
    role                   TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'finance', 'member', 'front_desk')),
    status                 TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'removed')),
    default_cost_center_id BLOB,
    invited_email          TEXT,
    created_at             BIGINT NOT NULL,
    PRIMARY KEY (company_id, user_id),
    FOREIGN KEY (company_id, default_cost_center_id) REFERENCES cost_centers (company_id, id)
);
INSERT INTO memberships_new SELECT * FROM memberships;
DROP TABLE memberships;
ALTER TABLE memberships_new RENAME TO memberships;
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE invitations_new (
    id                     BLOB PRIMARY KEY,
    company_id             BLOB NOT NULL REFERENCES companies(id),
    email                  TEXT NOT NULL,
    role                   TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'finance', 'member', 'front_desk')),
    inviter_user_id        BLOB REFERENCES users(id),
    default_cost_center_id BLOB,
    token_hash             BLOB NOT NULL UNIQUE,
    status                 TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'cancelled', 'replaced')),
    expires_at             BIGINT NOT NULL,
    created_at             BIGINT NOT NULL,
    accepted_at            BIGINT,
    FOREIGN KEY (company_id, default_cost_center_id) REFERENCES cost_centers (company_id, id)
);
INSERT INTO invitations_new SELECT * FROM invitations;
DROP TABLE invitations;
ALTER TABLE invitations_new RENAME TO invitations;
CREATE INDEX invitations_email ON invitations (email, status);
CREATE INDEX invitations_company ON invitations (company_id, created_at);
CREATE UNIQUE INDEX invitations_one_pending ON invitations (company_id, email) WHERE status = 'pending';

-- Sessions remember when their person signed in: a session's limits depend on the role it
-- acts in (a front desk's working day is 10 hours, everyone else's 8; idle 10 h / 30 min),
-- and a company switch keeps the sign-in's clock. NULL for pre-sessions.
ALTER TABLE web_sessions ADD COLUMN signed_in_at BIGINT;

-- Which cost center the company's guest sessions (no app user) are billed to when the
-- operator's feed names none. One row per company that chose one.
CREATE TABLE guest_settings (
    company_id     BLOB PRIMARY KEY REFERENCES companies(id),
    cost_center_id BLOB NOT NULL,
    updated_at     BIGINT NOT NULL,
    FOREIGN KEY (company_id, cost_center_id) REFERENCES cost_centers (company_id, id)
);

-- A guest permit: lets the operator's garages and street parking bill a visitor's parking
-- to the company. The visitor's name is personal data: it never leaves the portal (the
-- operator gets plate, facility and times) and is erased 90 days after the visit.
CREATE TABLE guest_permits (
    id             BLOB PRIMARY KEY,
    company_id     BLOB NOT NULL REFERENCES companies(id),
    plate          TEXT NOT NULL,                  -- normalised display form (plate::normalise_any)
    plate_key      TEXT NOT NULL,                  -- letters and digits only: matches the feed's spelling
    visitor_name   TEXT,                           -- erased (NULL) 90 days after valid_until
    host_user_id   BLOB REFERENCES users(id),
    facility_id    BLOB NOT NULL REFERENCES facilities(id),
    valid_from     BIGINT NOT NULL,
    valid_until    BIGINT NOT NULL,
    cancelled_at   BIGINT,
    version        BIGINT NOT NULL,                -- grows with every change the operator is told of
    created_by     BLOB REFERENCES users(id),
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
    id              BLOB PRIMARY KEY,
    permit_id       BLOB NOT NULL REFERENCES guest_permits(id),
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
