-- A first or forgotten PIN at the counter: staff, after checking the identity
-- document, open a short window in which the professional types a new PIN on
-- the kiosk's PIN pad (staff never see it). 0: no window open.
ALTER TABLE professionals ADD COLUMN pin_reset_until INTEGER NOT NULL DEFAULT 0;
