-- A notification being sent: set by the claim, cleared by the outcome. A row
-- claimed again while still set was in flight when its kiosk stopped (or lost
-- its lease): a PEC may then have gone out already and is held for a
-- technician instead of being sent a second time.
ALTER TABLE outbox ADD COLUMN in_flight INTEGER NOT NULL DEFAULT 0;
