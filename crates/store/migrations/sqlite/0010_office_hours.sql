-- Office hours: the seven weekdays ("08:00-17:00" or empty, separated by ';'), closed days
-- (yyyy-mm-dd, one per line) and the emergency text patients see outside them.
ALTER TABLE practice ADD COLUMN office_hours TEXT NOT NULL DEFAULT '';
ALTER TABLE practice ADD COLUMN closed_days TEXT NOT NULL DEFAULT '';
ALTER TABLE practice ADD COLUMN emergency_text TEXT NOT NULL DEFAULT 'Niet voor spoed: bel bij spoed de huisartsenpost of 112.';
