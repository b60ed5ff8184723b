-- At most one pending invitation per (company, email), enforced by the database
-- (shared/security.md, "Invitations"); before, two could coexist (check, then insert).
-- A new status 'replaced': an expired invitation that its company replaced by a new one for
-- the same address (the stored status stays what a person did; "expired" is still derived).
-- migrations/sqlite/0004_invitation_rules.sql is the same for SQLite.
ALTER TABLE invitations DROP CONSTRAINT invitations_status_check;
ALTER TABLE invitations ADD CONSTRAINT invitations_status_check
    CHECK (status IN ('pending', 'accepted', 'cancelled', 'replaced'));

-- Older duplicates: the newest pending invitation of an address stays, the others are replaced.
UPDATE invitations SET status = 'replaced'
WHERE status = 'pending' AND EXISTS (
    SELECT 1 FROM invitations n
    WHERE n.company_id = invitations.company_id AND n.email = invitations.email AND n.status = 'pending'
      AND (n.created_at > invitations.created_at OR (n.created_at = invitations.created_at AND n.id > invitations.id))
);
CREATE UNIQUE INDEX invitations_one_pending ON invitations (company_id, email) WHERE status = 'pending';
