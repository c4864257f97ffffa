-- The "Nuovo PIN" window, as in SQLite's 004.
ALTER TABLE professionals ADD COLUMN pin_reset_until BIGINT NOT NULL DEFAULT 0;
