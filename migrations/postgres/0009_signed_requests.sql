-- A signature means one request (issue 28): the ingestion API remembers each signature it
-- accepted until it could no longer be accepted anyway (its timestamp plus the 300-second
-- window), so a captured request cannot be sent again, to any instance. Pruned every minute
-- with the other sign-in state (app/src/auth/store.rs).
CREATE TABLE ingest_signatures_seen (
    mac            BYTEA PRIMARY KEY,
    remember_until BIGINT NOT NULL
);
CREATE INDEX ingest_signatures_seen_until ON ingest_signatures_seen (remember_until);
