-- A professional's list version: moved on by every change to their threads,
-- in the changing transaction, by whichever process makes it. The kiosk keeps
-- a list page in memory with the version it was read with, and serves it
-- again after one indexed read finds the version unchanged (ListMemo).
ALTER TABLE professionals ADD COLUMN list_version INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER communications_list_insert AFTER INSERT ON communications BEGIN
  UPDATE professionals SET list_version = list_version + 1 WHERE id = NEW.professional_id;
END;

CREATE TRIGGER communications_list_update AFTER UPDATE ON communications BEGIN
  UPDATE professionals SET list_version = list_version + 1
    WHERE id IN (OLD.professional_id, NEW.professional_id);
END;

CREATE TRIGGER communications_list_delete AFTER DELETE ON communications BEGIN
  UPDATE professionals SET list_version = list_version + 1 WHERE id = OLD.professional_id;
END;
