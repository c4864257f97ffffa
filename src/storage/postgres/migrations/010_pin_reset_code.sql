-- "Nuovo PIN" with a one-time code, as in SQLite's 010.
ALTER TABLE professionals ADD COLUMN pin_reset_code TEXT NOT NULL DEFAULT '';
ALTER TABLE professionals ADD COLUMN pin_reset_wrong INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sessions_subject ON sessions (subject_id, role);
