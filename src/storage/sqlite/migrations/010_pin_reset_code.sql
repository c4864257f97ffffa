-- "Nuovo PIN" with a one-time code: staff hand the professional a code at the
-- counter, typed at the kiosk with the new PIN; a few wrong codes close the
-- window. A new PIN ends the professional's sessions, found by this index.
ALTER TABLE professionals ADD COLUMN pin_reset_code TEXT NOT NULL DEFAULT '';
ALTER TABLE professionals ADD COLUMN pin_reset_wrong INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sessions_subject ON sessions (subject_id, role);
