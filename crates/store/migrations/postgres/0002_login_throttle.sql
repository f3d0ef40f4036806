-- Login throttling: failures per login name (hashed) and per client address.
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failure BIGINT,
    blocked_until BIGINT
);
