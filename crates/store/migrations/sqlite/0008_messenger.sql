-- The messenger: how far each member has read (unread counts, "gelezen"), where a removed
-- member stopped seeing the conversation, the sender's own id of a message (a retry after a
-- lost acknowledgement finds the message instead of making a second), group names, and the
-- read receipts switch (practice-wide, and per person for their own).
ALTER TABLE conversation_members ADD COLUMN last_read_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversation_members ADD COLUMN left_seq BIGINT;
ALTER TABLE messages ADD COLUMN client_id TEXT;
CREATE UNIQUE INDEX messages_client_id ON messages (conversation_id, sender_id, client_id);
ALTER TABLE conversations ADD COLUMN name TEXT;
ALTER TABLE practice ADD COLUMN read_receipts SMALLINT NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN send_read_receipts SMALLINT NOT NULL DEFAULT 1;
