-- A receipt mailed to the PEC names its message, as in SQLite's 005.
ALTER TABLE outbox ADD COLUMN message_id BIGINT REFERENCES messages(id);
