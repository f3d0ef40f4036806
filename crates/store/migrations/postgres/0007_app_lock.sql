-- "Toegangscode vergrendeling": the app lock of a session (= device). The PIN's keyed hash is
-- bound to the session; lock_key is the keyed hash of the unlock cookie of the current browser
-- run (NULL while locked). The practice sets the minutes without activity before the lock.
ALTER TABLE sessions ADD COLUMN lock_pin BYTEA;
ALTER TABLE sessions ADD COLUMN lock_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN lock_key BYTEA;
ALTER TABLE sessions ADD COLUMN lock_biometric SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE practice ADD COLUMN lock_minutes BIGINT NOT NULL DEFAULT 5;
