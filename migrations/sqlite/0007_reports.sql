-- The monthly cost report (issue 14). The same on both engines but for the id type
-- (migrations/{postgres,sqlite}/0007_reports.sql).

-- A company's report: its language, and the first month it reports (the month it was set up
-- in: the first report goes out on the first day of the next month).
CREATE TABLE report_settings (
    company_id  BLOB PRIMARY KEY REFERENCES companies(id),
    lang        TEXT NOT NULL CHECK (lang IN ('sv', 'en')),
    since_month INTEGER NOT NULL,                 -- calendar::month_index
    updated_at  BIGINT NOT NULL
);

-- Who gets it: active owners, admins and finance viewers (checked again when it is sent).
CREATE TABLE report_recipients (
    company_id BLOB NOT NULL REFERENCES companies(id),
    user_id    BLOB NOT NULL REFERENCES users(id),
    PRIMARY KEY (company_id, user_id)
);

-- One row per company and reported month, written in the transaction that puts the mails
-- into the outbox: the lease that sends each report once, however many instances run the
-- job at once (the second insert waits for the first and then finds its row).
CREATE TABLE report_sends (
    company_id BLOB NOT NULL REFERENCES companies(id),
    month      INTEGER NOT NULL,                  -- the month reported
    sent_at    BIGINT NOT NULL,
    recipients INTEGER NOT NULL,
    PRIMARY KEY (company_id, month)
);
