-- E-mail notices of unread messages: each person may switch them off, and gets at most one per
-- window (notified_at is when the last one went out). Sockets note who is online (one row per
-- open socket, a lease renewed while it lives), so nobody gets an e-mail while the messenger
-- is open in front of them; a crashed node's rows simply expire.
ALTER TABLE users ADD COLUMN notify_email SMALLINT NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN notified_at BIGINT;
CREATE TABLE presence (
    socket_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    until_at BIGINT NOT NULL
);
CREATE INDEX presence_user ON presence (user_id, until_at);
