-- A professional's list version: moved on by every change to their threads,
-- in the changing transaction, by whichever desk makes it. A kiosk keeps a
-- list page in memory with the version it was read with, and serves it again
-- after one indexed read finds the version unchanged (PgStore's page cache).
ALTER TABLE professionals ADD COLUMN list_version BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION kiosk_list_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    UPDATE professionals SET list_version = list_version + 1 WHERE id = OLD.professional_id;
  END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.professional_id <> OLD.professional_id) THEN
    UPDATE professionals SET list_version = list_version + 1 WHERE id = NEW.professional_id;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER communications_list_version AFTER INSERT OR UPDATE OR DELETE ON communications
  FOR EACH ROW EXECUTE FUNCTION kiosk_list_changed();
