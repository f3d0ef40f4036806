-- Where each session was started, for the list in "Instellingen".
ALTER TABLE sessions ADD COLUMN public_id TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
ALTER TABLE sessions ADD COLUMN client TEXT;
CREATE UNIQUE INDEX sessions_public_id ON sessions (public_id);
