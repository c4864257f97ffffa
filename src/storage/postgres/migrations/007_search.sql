-- The staff's partial search (protocol digits, codice fiscale, surname,
-- subject words): one lower-case text a thread, indexed by trigrams
-- (pg_trgm, a trusted extension: the database's owner may create it), kept by
-- triggers in the same transaction as the write that changes it.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

ALTER TABLE communications ADD COLUMN search_text TEXT NOT NULL DEFAULT '';

CREATE FUNCTION kiosk_search_text() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT lower(NEW.protocol || ' ' || p.codice_fiscale || ' ' || p.surname || ' ' || NEW.subject)
    INTO NEW.search_text FROM professionals p WHERE p.id = NEW.professional_id;
  RETURN NEW;
END $$;
CREATE TRIGGER communications_search BEFORE INSERT OR UPDATE OF protocol, subject, professional_id
  ON communications FOR EACH ROW EXECUTE FUNCTION kiosk_search_text();

CREATE FUNCTION kiosk_search_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE communications SET subject = subject WHERE professional_id = NEW.id;
  RETURN NULL;
END $$;
CREATE TRIGGER professionals_search AFTER UPDATE OF codice_fiscale, surname
  ON professionals FOR EACH ROW EXECUTE FUNCTION kiosk_search_owner();

UPDATE communications SET subject = subject;

CREATE INDEX communications_search_trgm ON communications USING gin (search_text public.gin_trgm_ops);
-- The staff queue filtered by topic, newest first.
CREATE INDEX communications_by_topic ON communications (topic, created_at DESC, id DESC);
