-- Files sent in conversations. The content is in the blob store under the file's id, encrypted
-- with the file's own key; the key is kept here sealed by the key ring, the name sealed too
-- (a name can say much about a patient). A file is pending (message_id NULL) until the message
-- that carries it is committed; nobody sees a pending file, and stale ones are removed.
CREATE TABLE files (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    uploader_id TEXT NOT NULL REFERENCES users (id),
    message_id TEXT,
    name BLOB NOT NULL,
    file_key BLOB NOT NULL,
    content_type TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL DEFAULT 'other',
    size BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX files_conversation ON files (conversation_id, created_at);
CREATE INDEX files_pending ON files (created_at) WHERE message_id IS NULL;
ALTER TABLE messages ADD COLUMN file_id TEXT;
