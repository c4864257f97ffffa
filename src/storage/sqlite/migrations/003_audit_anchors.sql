-- Audit anchors: the kiosk signs the audit chain's head (the newest entry's id
-- and hash) with its receipt key every minute and on every receipt. A chain
-- rewritten with recomputed hashes, or cut at the end, no longer matches the
-- signed heads: audit-verify says so. Append-only like the log itself.
CREATE TABLE audit_anchors (
  id         INTEGER PRIMARY KEY,
  at         INTEGER NOT NULL,             -- Unix seconds
  kiosk_id   TEXT    NOT NULL,
  head_id    INTEGER NOT NULL,             -- audit_log.id of the head
  head_hash  TEXT    NOT NULL,             -- its hash
  signature  TEXT    NOT NULL              -- Ed25519, base64url, over auditAnchorText()
);
CREATE TRIGGER audit_anchors_no_update BEFORE UPDATE ON audit_anchors
BEGIN SELECT RAISE(ABORT, 'audit anchors are append-only'); END;
CREATE TRIGGER audit_anchors_no_delete BEFORE DELETE ON audit_anchors
BEGIN SELECT RAISE(ABORT, 'audit anchors are append-only'); END;
