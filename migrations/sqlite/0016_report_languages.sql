-- The monthly report in every language the portal speaks (issue 33): a Finnish company's
-- report in Finnish, a Norwegian one's in Norwegian. 0007 allowed Swedish and English only.
-- SQLite cannot change a CHECK in place: the table (nothing refers to it) is made again.
CREATE TABLE report_settings_new (
    company_id  BLOB PRIMARY KEY REFERENCES companies(id),
    lang        TEXT NOT NULL CHECK (lang IN ('sv', 'en', 'fi', 'nb')),
    since_month INTEGER NOT NULL,                 -- calendar::month_index
    updated_at  BIGINT NOT NULL
);
INSERT INTO report_settings_new (company_id, lang, since_month, updated_at)
    SELECT company_id, lang, since_month, updated_at FROM report_settings;
DROP TABLE report_settings;
ALTER TABLE report_settings_new RENAME TO report_settings;
