-- A notification being sent, as in SQLite's 011.
ALTER TABLE outbox ADD COLUMN in_flight INTEGER NOT NULL DEFAULT 0;
