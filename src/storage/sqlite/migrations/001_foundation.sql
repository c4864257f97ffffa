-- Foundation: professionals, their contact versions, staff, sessions, audit log.
-- Times are Unix seconds (UTC).

CREATE TABLE professionals (
  id              INTEGER PRIMARY KEY,
  codice_fiscale  TEXT    NOT NULL UNIQUE,
  surname         TEXT    NOT NULL,
  name            TEXT    NOT NULL,
  pin_hash        TEXT    NOT NULL DEFAULT '',
  failed_attempts INTEGER NOT NULL DEFAULT 0,
  locked_until    INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);

-- Append-only: the highest version of a professional is in force; older
-- versions stay because communications point at the one they were sent with.
CREATE TABLE contact_versions (
  id              INTEGER PRIMARY KEY,
  professional_id INTEGER NOT NULL REFERENCES professionals(id),
  version         INTEGER NOT NULL,
  pec             TEXT    NOT NULL DEFAULT '',
  email           TEXT    NOT NULL DEFAULT '',
  mobile          TEXT    NOT NULL DEFAULT '',
  phone           TEXT    NOT NULL DEFAULT '',
  fax             TEXT    NOT NULL DEFAULT '',
  notify          TEXT    NOT NULL DEFAULT '',   -- comma-separated: pec,email,sms
  source          TEXT    NOT NULL CHECK (source IN ('archive', 'professional')),
  created_at      INTEGER NOT NULL,
  UNIQUE (professional_id, version)
);

CREATE TRIGGER contact_versions_no_update BEFORE UPDATE ON contact_versions
BEGIN SELECT RAISE(ABORT, 'contact versions are append-only'); END;

CREATE TABLE staff_users (
  id              INTEGER PRIMARY KEY,
  username        TEXT    NOT NULL UNIQUE,
  display_name    TEXT    NOT NULL,
  role            TEXT    NOT NULL CHECK (role IN ('staff', 'technician')),
  password_hash   TEXT    NOT NULL,
  failed_attempts INTEGER NOT NULL DEFAULT 0,
  locked_until    INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL
);

CREATE TABLE sessions (
  id           INTEGER PRIMARY KEY,
  token_hash   TEXT    NOT NULL UNIQUE,   -- SHA-256 of the cookie token
  role         TEXT    NOT NULL CHECK (role IN ('professional', 'staff', 'technician')),
  subject_id   INTEGER NOT NULL,
  principal    TEXT    NOT NULL,            -- codice fiscale or user name, for the audit log
  display_name TEXT    NOT NULL,
  csrf_token   TEXT    NOT NULL,
  created_at   INTEGER NOT NULL,
  last_seen    INTEGER NOT NULL
);
CREATE INDEX sessions_last_seen ON sessions (last_seen);

-- Append-only and chained: hash = SHA-256(prev_hash | at | actor | action | subject | detail).
CREATE TABLE audit_log (
  id        INTEGER PRIMARY KEY,
  at        INTEGER NOT NULL,
  actor     TEXT    NOT NULL,
  action    TEXT    NOT NULL,
  subject   TEXT    NOT NULL,
  detail    TEXT    NOT NULL,
  prev_hash TEXT    NOT NULL,
  hash      TEXT    NOT NULL
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
