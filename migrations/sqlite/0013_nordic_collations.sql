-- Nothing to store: SQLite's collations nordic_sv and nordic_no, and its Unicode lower(), are
-- registered on each connection (app/src/db.rs, app/src/nordic.rs). This file keeps the two
-- engines' migration numbers in step with PostgreSQL's 0013, which creates its collations.
SELECT 1;
