-- The fleet (PostgreSQL), as in SQLite's 006: public receipt keys of every
-- kiosk and each kiosk's last heartbeat.
CREATE TABLE receipt_keys (
  key_id       TEXT    PRIMARY KEY,
  kiosk_id     TEXT    NOT NULL,
  public_key   TEXT    NOT NULL,
  published_at BIGINT  NOT NULL
);
CREATE TRIGGER receipt_keys_no_update BEFORE UPDATE ON receipt_keys
  FOR EACH ROW EXECUTE FUNCTION kiosk_refuse_change();

CREATE TABLE kiosks (
  kiosk_id         TEXT    PRIMARY KEY,
  branch_code      TEXT    NOT NULL DEFAULT '',
  branch_name      TEXT    NOT NULL DEFAULT '',
  version          TEXT    NOT NULL DEFAULT '',
  started_at       BIGINT  NOT NULL DEFAULT 0,
  last_seen        BIGINT  NOT NULL DEFAULT 0,
  head_id          BIGINT  NOT NULL DEFAULT 0,
  head_hash        TEXT    NOT NULL DEFAULT '',
  devices          TEXT    NOT NULL DEFAULT '',
  outbox_pending   BIGINT  NOT NULL DEFAULT 0,
  outbox_failed    BIGINT  NOT NULL DEFAULT 0,
  selftest_at      BIGINT  NOT NULL DEFAULT 0,
  selftest_ok      INTEGER NOT NULL DEFAULT 0,
  selftest_summary TEXT    NOT NULL DEFAULT ''
);
