-- The history totals (count, hours, kWh, cost) of a period read only this index (an
-- index-only scan once the table is vacuumed): the summed columns ride along in INCLUDE.
CREATE INDEX sessions_company_time_totals
    ON sessions (company_id, started_at) INCLUDE (kind, ended_at, energy_wh, amount_ore, vat_ore);
