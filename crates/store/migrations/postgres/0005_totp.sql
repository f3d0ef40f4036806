-- Two-factor authentication with an authenticator app: the sealed secret, the last step
-- accepted (replays are refused) and single-use backup codes (keyed hashes).
CREATE TABLE totp_credentials (
    user_id TEXT PRIMARY KEY REFERENCES users (id),
    secret BYTEA NOT NULL,
    enabled SMALLINT NOT NULL DEFAULT 0,
    last_step BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE backup_codes (
    user_id TEXT NOT NULL REFERENCES users (id),
    code_hash BYTEA NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (user_id, code_hash)
);
