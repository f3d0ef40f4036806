-- Passkeys (WebAuthn): the credential as the WebAuthn library serialises it, sealed with the
-- key ring and bound to its row; its id is unique across all accounts.
CREATE TABLE passkeys (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    credential_id BLOB NOT NULL UNIQUE,
    credential BLOB NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX passkeys_by_user ON passkeys (user_id);

-- The server-side state of a WebAuthn ceremony between its two requests (so any node can
-- finish what another started), under the keyed hash of its random id; taken back once.
CREATE TABLE webauthn_ceremonies (
    id_hash BLOB PRIMARY KEY,
    user_id TEXT REFERENCES users (id),
    purpose TEXT NOT NULL,
    state BLOB NOT NULL,
    expires_at BIGINT NOT NULL
);
