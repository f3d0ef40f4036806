-- Session codes (the e-mailed second step) and sessions that wait for one.
ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT 'full';

CREATE TABLE session_codes (
    id TEXT PRIMARY KEY,
    session_hash BLOB NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    code_hash BLOB NOT NULL,
    requested_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    next_path TEXT NOT NULL
);
CREATE INDEX session_codes_session ON session_codes (session_hash, requested_at);

-- Which second step the practice asks after the password, for patients and for staff.
ALTER TABLE practice ADD COLUMN patient_second_step TEXT NOT NULL DEFAULT 'session_code';
ALTER TABLE practice ADD COLUMN staff_second_step TEXT NOT NULL DEFAULT 'none';
