-- A team may keep its own weekly hours (Planbureau answers from 08:00, the practice opens at
-- 09:00): the seven weekdays as in practice.office_hours; empty means the practice's apply.
ALTER TABLE teams ADD COLUMN office_hours TEXT NOT NULL DEFAULT '';
