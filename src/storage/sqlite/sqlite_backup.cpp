#include <sqlite3.h>

#include <algorithm>
#include <memory>

#include "storage/backup.h"
#include "storage/sqlite/sqlite_internal.h"

namespace kiosk::storage {
namespace {

struct Db {
  sqlite3* db = nullptr;
  ~Db() { sqlite3_close(db); }
};

Error sqliteError(sqlite3* db, const std::string& what) {
  Error e = Error::unavailable("backup_failed", "Copia dell'archivio non riuscita.");
  e.detail = what + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
  return e;
}

}  // namespace

Status backupSqlite(const std::string& db_path, const std::string& dest) {
  Db src;
  if (sqlite3_open_v2(db_path.c_str(), &src.db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    return fail(sqliteError(src.db, "open " + db_path));
  }
  sqlite3_busy_timeout(src.db, 10000);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(src.db, "VACUUM INTO ?", -1, &stmt, nullptr) != SQLITE_OK) {
    return fail(sqliteError(src.db, "prepare"));
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(stmt, sqlite3_finalize);
  sqlite3_bind_text(stmt, 1, dest.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(stmt) != SQLITE_DONE) return fail(sqliteError(src.db, "VACUUM INTO " + dest));
  return {};
}

Result<int> sqliteSchemaVersion(const std::string& path) {
  Db db;
  if (sqlite3_open_v2(path.c_str(), &db.db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    return fail(sqliteError(db.db, "open " + path));
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db.db, "SELECT coalesce(max(version), 0) FROM schema_migrations", -1,
                         &stmt, nullptr) != SQLITE_OK) {
    return fail(sqliteError(db.db, "read schema_migrations"));
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(stmt, sqlite3_finalize);
  if (sqlite3_step(stmt) != SQLITE_ROW) return fail(sqliteError(db.db, "read schema_migrations"));
  return sqlite3_column_int(stmt, 0);
}

int knownSchemaVersion() {
  int newest = 0;
  for (const auto& file : sqliteMigrations()) {
    newest = std::max(newest, std::stoi(std::string(file.name.substr(0, 3))));
  }
  return newest;
}

Status refuseNewer(int applied, int known) {
  if (applied <= known) return {};
  return fail(Error::invalid("schema_newer",
                             "L'archivio è di una versione più recente del programma (schema " +
                                 std::to_string(applied) + ", il programma conosce fino al " +
                                 std::to_string(known) + "): aggiornare il programma."));
}

}  // namespace kiosk::storage
