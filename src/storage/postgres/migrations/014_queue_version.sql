-- The staff's queue version: moved on by every change to a thread, and to a
-- professional's codice fiscale or name (the queue shows them), in the
-- changing transaction, by whichever desk makes it. A kiosk keeps a queue page
-- in memory with the version it was read at and serves it again after one
-- read finds the version unchanged (CommunicationService::queueAnswer).
-- The version is the sum of the rows. A transaction moves on one row, once,
-- a row no other transaction in flight holds (its slot's advisory lock, class
-- "KIQV", taken without waiting): desks writing at once never queue on it (a
-- read mark, kWriteOwn, never waits behind another kiosk's send), and a bulk
-- load moves it once.
CREATE TABLE queue_versions (
  slot INTEGER PRIMARY KEY,
  version BIGINT NOT NULL
);

CREATE FUNCTION kiosk_queue_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  first INTEGER := pg_backend_pid() % 64;
  tried INTEGER := 0;
BEGIN
  -- Transaction-local: reset at commit or rollback (and at a savepoint's
  -- rollback, with the update it guards).
  IF current_setting('kiosk.queue_moved', true) IS DISTINCT FROM 'on' THEN
    -- The first free slot from this connection's own (all 64 busy: the last
    -- one, waited for).
    WHILE tried < 63 AND NOT pg_try_advisory_xact_lock(1263096150, (first + tried) % 64) LOOP
      tried := tried + 1;
    END LOOP;
    INSERT INTO queue_versions (slot, version) VALUES ((first + tried) % 64, 1)
      ON CONFLICT (slot) DO UPDATE SET version = queue_versions.version + 1;
    PERFORM set_config('kiosk.queue_moved', 'on', true);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER communications_queue_version AFTER INSERT OR UPDATE OR DELETE ON communications
  FOR EACH STATEMENT EXECUTE FUNCTION kiosk_queue_changed();
CREATE TRIGGER professionals_queue_version AFTER UPDATE OF codice_fiscale, surname, name
  ON professionals FOR EACH STATEMENT EXECUTE FUNCTION kiosk_queue_changed();
