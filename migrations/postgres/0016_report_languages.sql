-- The monthly report in every language the portal speaks (issue 33): a Finnish company's
-- report in Finnish, a Norwegian one's in Norwegian. 0007 allowed Swedish and English only.
-- Widening the check keeps the previous release working (it writes 'sv' and 'en' only).
ALTER TABLE report_settings DROP CONSTRAINT report_settings_lang_check;
ALTER TABLE report_settings ADD CONSTRAINT report_settings_lang_check
    CHECK (lang IN ('sv', 'en', 'fi', 'nb'));
