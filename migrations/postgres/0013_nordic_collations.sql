-- Names sorted as the three countries sort them (app/src/nordic.rs): Swedish and Finnish
-- "… z, å, ä, ö", Norwegian "… z, æ, ø, å". ICU collations (Debian's PostgreSQL is built with
-- ICU); SQLite registers collations of the same names on each connection (db.rs).
CREATE COLLATION IF NOT EXISTS nordic_sv (provider = icu, locale = 'sv-SE');
CREATE COLLATION IF NOT EXISTS nordic_no (provider = icu, locale = 'nb-NO');
