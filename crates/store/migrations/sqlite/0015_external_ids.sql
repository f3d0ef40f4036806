-- A conversation can carry the practice system's (HIS/EPD) patient or episode number, set and
-- searched through the API.
ALTER TABLE conversations ADD COLUMN external_id TEXT;
CREATE INDEX conversations_external_id ON conversations (external_id);
