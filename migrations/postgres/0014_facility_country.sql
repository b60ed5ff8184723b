-- Where a facility is: the plates parked there are stored and shown the way that country
-- writes its own (app/src/plate.rs, normalise_in). Every facility so far is Swedish.
ALTER TABLE facilities ADD COLUMN country TEXT NOT NULL DEFAULT 'SE'
    CHECK (country IN ('SE', 'FI', 'NO'));
