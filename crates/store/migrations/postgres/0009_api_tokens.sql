-- Personal access tokens for the JSON API: shown once, stored as a keyed hash, revocable.
-- rate_per_minute: NULL is the default; an administrator may raise it, or set 0 for no limit.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    token_hash BYTEA NOT NULL UNIQUE,
    rate_per_minute BIGINT,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);
