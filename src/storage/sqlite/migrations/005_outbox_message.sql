-- A receipt mailed to the PEC on request names the message it is for (a
-- message the professional added later has a receipt of its own); other
-- events leave it NULL.
ALTER TABLE outbox ADD COLUMN message_id INTEGER REFERENCES messages(id);
