-- A send writes its attachments before it takes the fleet's write lock
-- (their megabytes are most of its time), with no message yet; under the
-- lock the same transaction gives them their message. That one change is
-- the only one allowed: an attachment is otherwise as unchangeable as
-- before, and none is left without a message when its transaction commits.
ALTER TABLE attachments ALTER COLUMN message_id DROP NOT NULL;

DROP TRIGGER attachments_no_update ON attachments;
-- Any column but message_id named in an UPDATE: refused (the column list
-- keeps the trigger from reading a megabyte of content to compare).
CREATE TRIGGER attachments_no_update BEFORE UPDATE OF id, filename, content_type, size, sha256,
  content ON attachments FOR EACH ROW EXECUTE FUNCTION kiosk_refuse_change();

CREATE FUNCTION kiosk_attachment_placed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.message_id IS NOT NULL OR NEW.message_id IS NULL THEN
    RAISE EXCEPTION 'attachments is append-only';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER attachments_placed_once BEFORE UPDATE OF message_id ON attachments
  FOR EACH ROW EXECUTE FUNCTION kiosk_attachment_placed();

-- Checked at commit: a staged attachment was given its message.
CREATE FUNCTION kiosk_attachment_has_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT message_id FROM attachments WHERE id = NEW.id) IS NULL THEN
    RAISE EXCEPTION 'attachment % has no message', NEW.id USING ERRCODE = 'not_null_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER attachments_have_message AFTER INSERT ON attachments
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION kiosk_attachment_has_message();
