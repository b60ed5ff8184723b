-- Sign-in with emailed one-time codes, web sessions, rate limits, the mail outbox and
-- invitations (SQLite; migrations/postgres/0002_auth.sql is the same for PostgreSQL).
-- Rules: shared/security.md. Nothing here holds a code or a token in the clear, except an
-- unsent mail body in the outbox, which the sender empties once the mail is out.

-- One live code per (email, purpose): a resend overwrites the row.
CREATE TABLE login_codes (
    email      TEXT NOT NULL,                      -- normalised
    purpose    TEXT NOT NULL,                      -- 'sign_in', 'transfer_ownership'
    code_mac   TEXT NOT NULL,                      -- hex HMAC-SHA256(key, purpose 0 email 0 code)
    attempts   INTEGER NOT NULL DEFAULT 0,         -- counted before comparing; 5 kill the code
    expires_at BIGINT NOT NULL,
    consumed_at BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (email, purpose)
);

-- Rate-limit events, one row each, counted over a sliding window. Shared by every server
-- instance because they live here. Rows older than a day are pruned.
CREATE TABLE rate_events (
    bucket TEXT NOT NULL,                          -- 'send:email:…', 'send:ip:…', 'send:global', 'fail:email:…'
    at     BIGINT NOT NULL
);
CREATE INDEX rate_events_bucket_at ON rate_events (bucket, at);

-- Browser sessions. The cookie holds 32 random bytes; only their SHA-256 is stored. A row
-- without a user is a pre-session: a sign-in in progress (its CSRF token covers the forms).
CREATE TABLE web_sessions (
    token_hash          BLOB PRIMARY KEY,
    user_id             BLOB REFERENCES users(id),
    company_id          BLOB REFERENCES companies(id),
    pending_email       TEXT,                      -- pre-session: where the code was sent
    created_at          BIGINT NOT NULL,
    last_seen_at        BIGINT NOT NULL,
    idle_expires_at     BIGINT NOT NULL,           -- 30 min after the last request
    absolute_expires_at BIGINT NOT NULL            -- 8 h after sign-in
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);
CREATE INDEX web_sessions_expiry ON web_sessions (idle_expires_at);

-- Mail is written here in the same transaction as the change that causes it and sent by a
-- background worker with retries; a permanent failure stays visible with the server's reason.
CREATE TABLE outbox (
    id              BLOB PRIMARY KEY,
    to_email        TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    kind            TEXT NOT NULL,                 -- 'sign_in_code', 'invitation', …
    ref_id          BLOB,                          -- what it belongs to, e.g. an invitation
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until     BIGINT,                        -- a worker's claim; expired claims are retaken
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_ref ON outbox (ref_id);

-- Bound to (company, email, role, inviter); only the token's SHA-256 is stored. "Expired" is
-- derived from expires_at; the stored status is what a person did.
CREATE TABLE invitations (
    id                     BLOB PRIMARY KEY,
    company_id             BLOB NOT NULL REFERENCES companies(id),
    email                  TEXT NOT NULL,
    role                   TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'finance', 'member')),
    inviter_user_id        BLOB REFERENCES users(id),
    default_cost_center_id BLOB,
    token_hash             BLOB NOT NULL UNIQUE,
    status                 TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'cancelled')),
    expires_at             BIGINT NOT NULL,
    created_at             BIGINT NOT NULL,
    accepted_at            BIGINT,
    FOREIGN KEY (company_id, default_cost_center_id) REFERENCES cost_centers (company_id, id)
);
CREATE INDEX invitations_email ON invitations (email, status);
CREATE INDEX invitations_company ON invitations (company_id, created_at);
