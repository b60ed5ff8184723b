-- At most one pending invitation per (company, email), enforced by the database
-- (shared/security.md, "Invitations"); before, two could coexist (check, then insert).
-- A new status 'replaced': an expired invitation that its company replaced by a new one for
-- the same address (the stored status stays what a person did; "expired" is still derived).
-- SQLite cannot change a CHECK in place: the table is rebuilt (nothing references it).
CREATE TABLE invitations_new (
    id                     BLOB PRIMARY KEY,
    company_id             BLOB NOT NULL REFERENCES companies(id),
    email                  TEXT NOT NULL,
    role                   TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'finance', 'member')),
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

-- Older duplicates: the newest pending invitation of an address stays, the others are replaced.
UPDATE invitations SET status = 'replaced'
WHERE status = 'pending' AND EXISTS (
    SELECT 1 FROM invitations n
    WHERE n.company_id = invitations.company_id AND n.email = invitations.email AND n.status = 'pending'
      AND (n.created_at > invitations.created_at OR (n.created_at = invitations.created_at AND n.id > invitations.id))
);
CREATE UNIQUE INDEX invitations_one_pending ON invitations (company_id, email) WHERE status = 'pending';
