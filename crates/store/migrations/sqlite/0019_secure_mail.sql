-- "Veilig mailen" (seed 003; DESIGN.md "Secure e-mail"): a staff member sends a secure message
-- to anyone with an e-mail address. The message has its own key (mail_key, sealed by the key
-- ring); subject and posts are sealed with it, so deleting that one key destroys the content
-- when the message expires. Addresses and phone numbers are sealed by the key ring. A copy
-- per recipient holds how they prove who they are (access code hash, phone), its status with
-- times, and the count of wrong codes and locks. Every notification has its own link
-- (secure_mail_links); a guest who gave the right code gets a session on that one copy.
CREATE TABLE secure_mails (
    id TEXT PRIMARY KEY,
    sender_id TEXT NOT NULL REFERENCES users (id),
    team_id TEXT REFERENCES teams (id),
    mail_key BLOB,
    subject BLOB,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT,
    destroyed_at BIGINT,
    last_seq BIGINT NOT NULL DEFAULT 0,
    last_activity BIGINT NOT NULL,
    lang TEXT NOT NULL DEFAULT 'nl'
);
CREATE INDEX secure_mails_sender ON secure_mails (sender_id, last_activity);
CREATE INDEX secure_mails_team ON secure_mails (team_id, last_activity);
CREATE INDEX secure_mails_expiry ON secure_mails (expires_at) WHERE destroyed_at IS NULL;

CREATE TABLE secure_mail_recipients (
    id TEXT PRIMARY KEY,
    mail_id TEXT NOT NULL REFERENCES secure_mails (id),
    position BIGINT NOT NULL,
    email BLOB NOT NULL,
    line TEXT NOT NULL,
    method TEXT NOT NULL,
    phone BLOB,
    access_code_hash BLOB,
    status TEXT NOT NULL,
    notice_id TEXT,
    sent_at BIGINT NOT NULL,
    delivered_at BIGINT,
    failed_at BIGINT,
    opened_at BIGINT,
    replied_at BIGINT,
    wrong_number_at BIGINT,
    code_failures BIGINT NOT NULL DEFAULT 0,
    locks BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT
);
CREATE INDEX secure_mail_recipients_mail ON secure_mail_recipients (mail_id, position);
CREATE INDEX secure_mail_recipients_notice ON secure_mail_recipients (notice_id);

CREATE TABLE secure_mail_links (
    hash BLOB PRIMARY KEY,
    recipient_id TEXT NOT NULL REFERENCES secure_mail_recipients (id),
    created_at BIGINT NOT NULL
);

CREATE TABLE secure_mail_posts (
    id TEXT PRIMARY KEY,
    mail_id TEXT NOT NULL REFERENCES secure_mails (id),
    seq BIGINT NOT NULL,
    author_id TEXT REFERENCES users (id),
    recipient_id TEXT REFERENCES secure_mail_recipients (id),
    body BLOB,
    created_at BIGINT NOT NULL,
    UNIQUE (mail_id, seq)
);

CREATE TABLE secure_mail_reads (
    mail_id TEXT NOT NULL REFERENCES secure_mails (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    last_read_seq BIGINT NOT NULL,
    PRIMARY KEY (mail_id, user_id)
);

CREATE TABLE guest_sessions (
    id_hash BLOB PRIMARY KEY,
    recipient_id TEXT NOT NULL REFERENCES secure_mail_recipients (id),
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX guest_sessions_expiry ON guest_sessions (expires_at);

-- Sms and e-mail codes of copies that open that way: only the newest open one works.
CREATE TABLE secure_mail_codes (
    id TEXT PRIMARY KEY,
    recipient_id TEXT NOT NULL REFERENCES secure_mail_recipients (id),
    code_hash BLOB NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    tries BIGINT NOT NULL DEFAULT 0,
    state TEXT NOT NULL
);
CREATE INDEX secure_mail_codes_recipient ON secure_mail_codes (recipient_id, created_at);

-- Text messages, through their own outbox like e-mail: number and text sealed (the text holds
-- a code), retried with backoff; a permanent failure marks the copy "niet afgeleverd".
CREATE TABLE sms_outbox (
    id TEXT PRIMARY KEY,
    recipient_id TEXT REFERENCES secure_mail_recipients (id),
    to_number BLOB NOT NULL,
    body BLOB,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    sent_at BIGINT,
    last_error TEXT
);
CREATE INDEX sms_outbox_due ON sms_outbox (status, next_attempt_at);

-- The practice's rules for secure e-mail: days until a message expires (0 = never), whether a
-- code by e-mail is allowed, and whether a notification may carry the message's subject.
ALTER TABLE practice ADD COLUMN secure_mail_expiry_days BIGINT NOT NULL DEFAULT 30;
ALTER TABLE practice ADD COLUMN secure_mail_email_code SMALLINT NOT NULL DEFAULT 1;
ALTER TABLE practice ADD COLUMN secure_mail_subject_in_notice SMALLINT NOT NULL DEFAULT 0;
