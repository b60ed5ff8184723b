-- The sessions outside policy per company, local month, cost center and member: what the
-- cost page's "outside policy" column and total read (issue 31 summed them from `sessions`
-- for every view, ~36 ms for a big company's month). Kept like the other rollups by the one
-- write of sessions and by a new judgement of stored ones (app/src/history/rollup.rs).
-- "None" is the nil UUID, as in 0006_costs.sql.
CREATE TABLE outside_months (
    company_id      BLOB NOT NULL REFERENCES companies(id),
    month           INTEGER NOT NULL,             -- year * 12 + month - 1
    cost_center_key BLOB NOT NULL,                 -- nil UUID: no cost center
    user_key        BLOB NOT NULL,                 -- nil UUID: no member (a guest)
    sessions        BIGINT NOT NULL,
    amount_ore      BIGINT NOT NULL,              -- incl. VAT
    PRIMARY KEY (company_id, month, cost_center_key, user_key)
);

-- Every company's rollups are built again from its sessions by `portal migrate` (or a local
-- run's start-up) right after this migration (rollup::fill_missing), which fills the new
-- table. Sessions an instance of the previous release writes during a rolling upgrade are not
-- in it: run `portal migrate --rebuild-rollups` once the last such instance has stopped
-- (docs/operations.md, "Expand, then contract").
DELETE FROM rollup_filled;
