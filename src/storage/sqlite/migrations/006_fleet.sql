-- The fleet: each kiosk's public receipt keys, so that any desk on a shared
-- database verifies receipts and signed heads of any kiosk (a private key
-- never leaves its kiosk), and each kiosk's last heartbeat for the
-- technician's view of the branch. A standalone kiosk keeps them too.
CREATE TABLE receipt_keys (
  key_id       TEXT    PRIMARY KEY,  -- first 16 hex digits of SHA-256 of the key
  kiosk_id     TEXT    NOT NULL,
  public_key   TEXT    NOT NULL,     -- Ed25519, 64 hex digits
  published_at INTEGER NOT NULL
);
CREATE TRIGGER receipt_keys_no_update BEFORE UPDATE ON receipt_keys
BEGIN SELECT RAISE(ABORT, 'receipt keys are append-only'); END;

CREATE TABLE kiosks (
  kiosk_id         TEXT    PRIMARY KEY,
  branch_code      TEXT    NOT NULL DEFAULT '',
  branch_name      TEXT    NOT NULL DEFAULT '',
  version          TEXT    NOT NULL DEFAULT '',
  started_at       INTEGER NOT NULL DEFAULT 0,
  last_seen        INTEGER NOT NULL DEFAULT 0,
  head_id          INTEGER NOT NULL DEFAULT 0,   -- the audit head it last signed
  head_hash        TEXT    NOT NULL DEFAULT '',
  devices          TEXT    NOT NULL DEFAULT '',  -- "printer=ready scanner=…"
  outbox_pending   INTEGER NOT NULL DEFAULT 0,
  outbox_failed    INTEGER NOT NULL DEFAULT 0,
  selftest_at      INTEGER NOT NULL DEFAULT 0,
  selftest_ok      INTEGER NOT NULL DEFAULT 0,
  selftest_summary TEXT    NOT NULL DEFAULT ''
);
