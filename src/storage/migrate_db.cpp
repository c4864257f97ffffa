#include "storage/migrate_db.h"

#include <sqlite3.h>

#include "storage/open_store.h"
#include "storage/postgres/pg_internal.h"
#include "storage/rows.h"

namespace kiosk::storage {

namespace {

// In the order of their references; sessions stay behind.
constexpr const char* kTables[] = {
    "professionals", "contact_versions",  "staff_users",    "audit_log",
    "audit_anchors", "protocol_counters", "communications", "messages",
    "attachments",   "idempotency_keys",  "outbox",         "receipt_keys",
    "kiosks"};

// Tables whose id is an identity: its sequence continues after the copy.
bool hasIdentity(std::string_view table) {
  return table != "protocol_counters" && table != "idempotency_keys" && table != "receipt_keys" &&
         table != "kiosks";
}

struct SqliteFile {
  sqlite3* db = nullptr;
  ~SqliteFile() { sqlite3_close_v2(db); }
};

Result<std::int64_t> pgCount(PgConnection& c, const std::string& table) {
  auto r = c.exec("SELECT count(*) FROM " + table);
  if (!r) return fail(r.error());
  return PgRow(*r, 0).int64(0);
}

// Copies one table: SELECT * on SQLite, INSERT with the same columns on
// PostgreSQL (BLOBs as binary parameters). Returns the rows copied.
Result<std::int64_t> copyTable(sqlite3* from, PgConnection& to, const std::string& table) {
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(from, ("SELECT * FROM " + table + " ORDER BY rowid").c_str(), -1, &q,
                         nullptr) != SQLITE_OK) {
    return fail(Error::internal(table + ": " + sqlite3_errmsg(from)));
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(q, &sqlite3_finalize);
  const int columns = sqlite3_column_count(q);
  std::string sql = "INSERT INTO " + table + " (";
  std::string values;
  for (int i = 0; i < columns; ++i) {
    sql += std::string(i ? ", " : "") + sqlite3_column_name(q, i);
    values += (i ? ", $" : "$") + std::to_string(i + 1);
  }
  sql += ") VALUES (" + values + ")";
  std::int64_t rows = 0;
  while (true) {
    const int rc = sqlite3_step(q);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return fail(Error::internal(table + ": " + sqlite3_errmsg(from)));
    PgParams params;
    for (int i = 0; i < columns; ++i) {
      switch (sqlite3_column_type(q, i)) {
        case SQLITE_NULL:
          params.addId(0);
          break;
        case SQLITE_BLOB:
          params.addBytes({static_cast<const char*>(sqlite3_column_blob(q, i)),
                           static_cast<std::size_t>(sqlite3_column_bytes(q, i))});
          break;
        default:
          params.add(std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(q, i)),
                                      static_cast<std::size_t>(sqlite3_column_bytes(q, i))));
      }
    }
    if (auto st = to.run(sql, params); !st) return fail(st.error());
    ++rows;
  }
  return rows;
}

}  // namespace

Result<std::vector<TableCount>> copySqliteToPostgres(
    const std::string& sqlite_path,
    const std::string& postgres_url,
    const std::vector<domain::PublishedKey>& publish) {
  // Opening each store brings both to the newest schema.
  {
    auto source = openStore(sqlite_path);
    if (!source) return fail(source.error());
  }
  auto target = PgStore::open(postgres_url, {});
  if (!target) return fail(target.error());
  target->reset();

  SqliteFile file;
  if (sqlite3_open_v2(sqlite_path.c_str(), &file.db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    return fail(Error::storageUnavailable("cannot open " + sqlite_path));
  }
  PgConnection pg(PQconnectdb(postgres_url.c_str()));
  if (pg.broken()) return fail(databaseUnavailable(PQerrorMessage(pg.raw())));
  PQsetNoticeProcessor(
      pg.raw(), [](void*, const char*) {}, nullptr);
  // One snapshot of the source, one transaction on the target.
  if (auto st = pg.exec("BEGIN"); !st) return fail(st.error());
  if (sqlite3_exec(file.db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return fail(Error::internal(sqlite3_errmsg(file.db)));
  }
  for (const char* table : {"professionals", "staff_users", "communications", "audit_log"}) {
    auto n = pgCount(pg, table);
    if (!n) return fail(n.error());
    if (*n > 0) {
      return fail(
          Error::conflict("target_not_empty",
                          std::string("Il database di destinazione contiene già dati (tabella ") +
                              table + "): la migrazione si fa solo verso un database vuoto."));
    }
  }
  std::vector<TableCount> counts;
  for (const char* table : kTables) {
    auto copied = copyTable(file.db, pg, table);
    if (!copied) return fail(copied.error());
    if (hasIdentity(table)) {
      if (auto st =
              pg.exec(std::string("SELECT setval(pg_get_serial_sequence('") + table +
                      "', 'id'), coalesce((SELECT max(id) FROM " + table + "), 0) + 1, false)");
          !st) {
        return fail(st.error());
      }
    }
    auto n = pgCount(pg, table);
    if (!n) return fail(n.error());
    // Counted again on the source, apart from the copy's own tally.
    sqlite3_stmt* q = nullptr;
    std::int64_t source = -1;
    if (sqlite3_prepare_v2(file.db, (std::string("SELECT count(*) FROM ") + table).c_str(), -1, &q,
                           nullptr) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW) {
      source = sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
    if (source != *copied) {
      return fail(Error::internal(std::string(table) + ": copied " + std::to_string(*copied) +
                                  " rows of " + std::to_string(source)));
    }
    counts.push_back({table, source, *n});
  }
  for (const auto& k : publish) {
    if (auto st =
            pg.run(kPublishKeySql,
                   PgParams().add(k.key_id).add(k.kiosk_id).add(k.public_key).add(k.published_at));
        !st) {
      return fail(st.error());
    }
  }
  if (auto st = pg.exec("COMMIT"); !st) return fail(st.error());
  sqlite3_exec(file.db, "COMMIT", nullptr, nullptr, nullptr);
  return counts;
}

}  // namespace kiosk::storage
