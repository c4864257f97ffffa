-- Each kiosk numbers its signed heads 1, 2, 3… and signs the number with the
-- head: a head deleted from the middle leaves a gap that audit-verify names.
-- Heads signed before this migration keep 0 (their signature covers no number).
ALTER TABLE audit_anchors ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX audit_anchors_by_kiosk ON audit_anchors (kiosk_id, seq);
