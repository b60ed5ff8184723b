-- The history totals (count, hours, kWh, cost) of a period read only this index: every
-- column they need is in it, so a month of a large company is summed without touching the
-- table rows.
CREATE INDEX sessions_company_time_totals
    ON sessions (company_id, started_at, kind, ended_at, energy_wh, amount_ore, vat_ore);
