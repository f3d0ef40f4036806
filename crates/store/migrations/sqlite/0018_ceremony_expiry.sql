-- Expired passkey ceremonies are deleted by their expiry at every new one: found by an index,
-- not by scanning the table.
CREATE INDEX webauthn_ceremonies_expires ON webauthn_ceremonies (expires_at);
