-- Teams (seed 001; DESIGN.md "Who to talk to"): a patient writes to a team instead of a person.
-- Every member of the team is in the team's conversations and any of them may answer; one takes
-- a conversation ("Ik pak dit op", assignee_id) and may hand it to a colleague, so a team never
-- needs a shared password. One conversation per patient per team (team_key). Two teams exist
-- from the start; the practice gives them members.
CREATE TABLE teams (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    purpose TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE team_members (
    team_id TEXT NOT NULL REFERENCES teams (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);
ALTER TABLE conversations ADD COLUMN team_id TEXT;
ALTER TABLE conversations ADD COLUMN team_key TEXT;
ALTER TABLE conversations ADD COLUMN assignee_id TEXT;
CREATE UNIQUE INDEX conversations_team_key ON conversations (team_key);
INSERT INTO teams (id, name, purpose, created_at) VALUES
    ('0190c0de-7ea0-7000-8000-000000000001', 'Planbureau', 'Afspraken maken, verzetten of afzeggen, en formulieren insturen.', 0),
    ('0190c0de-7ea0-7000-8000-000000000002', 'Cliëntensupport', 'Vragen over het gebruik van de messenger.', 0);
