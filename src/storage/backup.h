// Backups of an embedded (SQLite) kiosk: an online, consistent copy of the
// database taken with VACUUM INTO while the kiosk runs, and the schema
// version of a database file. PostgreSQL kiosks are backed up by the
// database server (pg_dump), not here.
#pragma once

#include <string>

#include "core/error.h"

namespace kiosk::storage {

// Writes a consistent copy of the SQLite database `db_path` to `dest` (which
// must not exist). Safe while the kiosk writes: it reads one snapshot.
Status backupSqlite(const std::string& db_path, const std::string& dest);

// The newest migration applied to the SQLite file at `path` (opened read-only).
Result<int> sqliteSchemaVersion(const std::string& path);

// The newest SQLite migration this program knows.
int knownSchemaVersion();

// 422 schema_newer when a database at schema `applied` was written by a
// newer program (a restore, a downgrade): refused rather than half understood.
// `known`: the newest migration of the database's engine.
Status refuseNewer(int applied, int known = knownSchemaVersion());

}  // namespace kiosk::storage
