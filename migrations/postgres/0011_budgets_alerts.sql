-- Budgets and alerts (issue 31, second part). The same on both engines but for the id and
-- boolean types (migrations/{postgres,sqlite}/0011_budgets_alerts.sql).

-- A monthly budget, the same every month: the company's (cost_center_id NULL) or a cost
-- center's. A save replaces it (costs::store::set_budget); the audit log keeps the history.
CREATE TABLE budgets (
    company_id     UUID NOT NULL REFERENCES companies(id),
    cost_center_id UUID,
    amount_ore     BIGINT NOT NULL CHECK (amount_ore > 0),
    updated_at     BIGINT NOT NULL,
    FOREIGN KEY (company_id, cost_center_id) REFERENCES cost_centers (company_id, id)
);
CREATE UNIQUE INDEX budgets_company ON budgets (company_id) WHERE cost_center_id IS NULL;
CREATE UNIQUE INDEX budgets_cost_center ON budgets (company_id, cost_center_id) WHERE cost_center_id IS NOT NULL;

-- One row per event worth telling someone about, unique by its key: a session outside
-- policy (raised by ingestion in the batch's transaction), a car parked past its maximum
-- stay, a budget's 80 % or 100 % in a month. The unique key is what makes an alert once,
-- however many instances raise it; `delivered_at` is set in the transaction that writes the
-- notices and queues the mails (alerts::service::deliver), so each is delivered once.
CREATE TABLE alerts (
    id           UUID PRIMARY KEY,
    company_id   UUID NOT NULL REFERENCES companies(id),
    kind         TEXT NOT NULL CHECK (kind IN ('policy', 'overstay', 'budget')),
    event_key    TEXT NOT NULL,
    session_id   UUID,
    details      TEXT NOT NULL,                   -- JSON: alerts::model::Details
    created_at   BIGINT NOT NULL,
    delivered_at BIGINT,
    UNIQUE (company_id, kind, event_key)
);
CREATE INDEX alerts_undelivered ON alerts (created_at) WHERE delivered_at IS NULL;

-- Who gets what, chosen per person and alert kind. No row: 'portal' (a notice, no mail).
-- `lang`: the language the person chose in (their mails are written in it).
CREATE TABLE alert_settings (
    company_id UUID NOT NULL REFERENCES companies(id),
    user_id    UUID NOT NULL REFERENCES users(id),
    kind       TEXT NOT NULL CHECK (kind IN ('policy', 'overstay', 'budget')),
    mode       TEXT NOT NULL CHECK (mode IN ('off', 'portal', 'immediate', 'digest')),
    lang       TEXT NOT NULL CHECK (lang IN ('sv', 'en', 'fi', 'nb')),
    PRIMARY KEY (company_id, user_id, kind)
);

-- A person's notices: one per alert and person, read or unread. `digest_pending`: to go out
-- in the person's next daily digest.
CREATE TABLE notices (
    id             UUID PRIMARY KEY,
    company_id     UUID NOT NULL REFERENCES companies(id),
    user_id        UUID NOT NULL REFERENCES users(id),
    alert_id       UUID NOT NULL REFERENCES alerts(id),
    created_at     BIGINT NOT NULL,
    read_at        BIGINT,
    digest_pending BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (user_id, alert_id)
);
CREATE INDEX notices_person ON notices (company_id, user_id, created_at);
CREATE INDEX notices_digest ON notices (company_id, user_id) WHERE digest_pending;

-- One digest per person and day (the company's calendar), claimed in the transaction that
-- queues it, as report_sends does for the monthly report.
CREATE TABLE alert_digests (
    company_id UUID NOT NULL REFERENCES companies(id),
    user_id    UUID NOT NULL REFERENCES users(id),
    day        INTEGER NOT NULL,                  -- days since 1970-01-01, company calendar
    sent_at    BIGINT NOT NULL,
    notices    INTEGER NOT NULL,
    PRIMARY KEY (company_id, user_id, day)
);
