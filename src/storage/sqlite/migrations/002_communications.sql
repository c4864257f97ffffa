-- Communications: threads between a professional and the Institute, their
-- messages and attachments, protocol counters, idempotency keys and the
-- notification outbox. Times are Unix seconds (UTC).

-- One counter per year: protocol numbers are sequential within a year.
CREATE TABLE protocol_counters (
  year INTEGER PRIMARY KEY,
  last INTEGER NOT NULL
);

CREATE TABLE communications (
  id                  INTEGER PRIMARY KEY,
  protocol            TEXT    NOT NULL UNIQUE,
  professional_id     INTEGER NOT NULL REFERENCES professionals(id),
  box                 TEXT    NOT NULL CHECK (box IN ('sent', 'received')),  -- who wrote first
  topic               TEXT    NOT NULL,
  subject             TEXT    NOT NULL,
  status              TEXT    NOT NULL CHECK (status IN ('aperta', 'in_carico', 'chiusa')),
  outcome             TEXT    NOT NULL DEFAULT '',
  contacts_version_id INTEGER REFERENCES contact_versions(id),  -- NULL: the professional had no contacts
  extra_email         TEXT    NOT NULL DEFAULT '',
  unread              INTEGER NOT NULL DEFAULT 0,  -- the Institute wrote since the professional last opened it
  assigned_staff_id   INTEGER REFERENCES staff_users(id),
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL
);
-- The professional's lists (box, optional filters, newest first) and the staff queue.
CREATE INDEX communications_by_owner ON communications (professional_id, box, created_at DESC, id DESC);
CREATE INDEX communications_by_owner_status ON communications (professional_id, box, status, created_at DESC, id DESC);
CREATE INDEX communications_unread ON communications (professional_id, unread) WHERE unread = 1;
CREATE INDEX communications_queue ON communications (status, created_at DESC, id DESC);
CREATE INDEX communications_by_date ON communications (created_at DESC, id DESC);

CREATE TABLE messages (
  id               INTEGER PRIMARY KEY,
  communication_id INTEGER NOT NULL REFERENCES communications(id),
  author           TEXT    NOT NULL CHECK (author IN ('professional', 'institute')),
  staff_id         INTEGER REFERENCES staff_users(id),
  body             TEXT    NOT NULL,
  created_at       INTEGER NOT NULL
);
CREATE INDEX messages_by_thread ON messages (communication_id, id);

CREATE TABLE attachments (
  id           INTEGER PRIMARY KEY,
  message_id   INTEGER NOT NULL REFERENCES messages(id),
  filename     TEXT    NOT NULL,  -- cleaned, for display only, never a path
  content_type TEXT    NOT NULL,
  size         INTEGER NOT NULL,
  sha256       TEXT    NOT NULL,
  content      BLOB    NOT NULL
);
CREATE INDEX attachments_by_message ON attachments (message_id, id);

CREATE TABLE idempotency_keys (
  professional_id  INTEGER NOT NULL REFERENCES professionals(id),
  key              TEXT    NOT NULL,
  communication_id INTEGER NOT NULL REFERENCES communications(id),
  created_at       INTEGER NOT NULL,
  PRIMARY KEY (professional_id, key)
);

-- Written in the same transaction as the event; sent by the dispatcher.
CREATE TABLE outbox (
  id               INTEGER PRIMARY KEY,
  communication_id INTEGER NOT NULL REFERENCES communications(id),
  event            TEXT    NOT NULL,  -- registered, replied, institute_wrote, closed
  channel          TEXT    NOT NULL CHECK (channel IN ('pec', 'email', 'sms')),
  recipient        TEXT    NOT NULL,
  status           TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL,
  last_error       TEXT    NOT NULL DEFAULT '',
  created_at       INTEGER NOT NULL,
  sent_at          INTEGER
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

-- Messages and attachments are never changed once registered.
CREATE TRIGGER messages_no_update BEFORE UPDATE ON messages
BEGIN SELECT RAISE(ABORT, 'messages are immutable'); END;
CREATE TRIGGER attachments_no_update BEFORE UPDATE ON attachments
BEGIN SELECT RAISE(ABORT, 'attachments are immutable'); END;
