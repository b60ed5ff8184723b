-- The operator's ingestion API (issue 13): every record it sends carries the operator's
-- version (a number that grows with each change of that record, e.g. its revision or its
-- updated-at in milliseconds). A record is stored when it is new or newer than the stored
-- one; the same version again is "unchanged" and an older one arriving late never
-- overwrites. Rows written before this migration are version 0.
-- The same for both engines (migrations/{postgres,sqlite}/0005_ingest.sql).

ALTER TABLE sessions ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE facilities ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN version BIGINT NOT NULL DEFAULT 0;

-- App users: the operator's id for the person (its app's account), and the version of the
-- profile (display name, first sign-in) it last sent. A user invited by email has no
-- operator id until the back office sends one.
ALTER TABLE users ADD COLUMN operator_user_id TEXT;
ALTER TABLE users ADD COLUMN app_version BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX users_operator_user_id ON users (operator_user_id);
