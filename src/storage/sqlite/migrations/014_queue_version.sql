-- The staff's queue version: moved on by every change to a thread, and to a
-- professional's codice fiscale or name (the queue shows them), in the
-- changing transaction, by whichever process makes it. The kiosk keeps a
-- queue page in memory with the version it was read at and serves it again
-- after one read finds the version unchanged (CommunicationService::
-- queueAnswer). Read as the sum of its rows: PostgreSQL keeps one row for each
-- slot of connections, so that desks writing at once never wait for each other
-- on it; SQLite has one writer and one row.
CREATE TABLE queue_versions (
  slot INTEGER PRIMARY KEY,
  version INTEGER NOT NULL
);
INSERT INTO queue_versions (slot, version) VALUES (0, 0);

CREATE TRIGGER communications_queue_insert AFTER INSERT ON communications BEGIN
  UPDATE queue_versions SET version = version + 1 WHERE slot = 0;
END;

CREATE TRIGGER communications_queue_update AFTER UPDATE ON communications BEGIN
  UPDATE queue_versions SET version = version + 1 WHERE slot = 0;
END;

CREATE TRIGGER communications_queue_delete AFTER DELETE ON communications BEGIN
  UPDATE queue_versions SET version = version + 1 WHERE slot = 0;
END;

CREATE TRIGGER professionals_queue_update AFTER UPDATE OF codice_fiscale, surname, name
  ON professionals BEGIN
  UPDATE queue_versions SET version = version + 1 WHERE slot = 0;
END;
