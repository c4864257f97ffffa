#include "support/temp_store.h"

#include <sqlite3.h>

#include <catch2/catch.hpp>

#include "storage/open_store.h"
#include "storage/rows.h"

namespace kiosk::test {
namespace {

// A row of a plain sqlite3 statement, for the engines' own readers (rows.h).
struct Row {
  sqlite3_stmt* stmt;
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt, col);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
  std::int64_t int64(int col) const { return sqlite3_column_int64(stmt, col); }
  int integer(int col) const { return sqlite3_column_int(stmt, col); }
};

// Calls visit(row) for each row of `sql` with one optional integer parameter.
template <typename Visit>
void each(sqlite3* db, const std::string& sql, Visit visit, std::int64_t param = 0) {
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
  if (sqlite3_bind_parameter_count(stmt) > 0) sqlite3_bind_int64(stmt, 1, param);
  while (sqlite3_step(stmt) == SQLITE_ROW) visit(Row{stmt});
  sqlite3_finalize(stmt);
}

}  // namespace

TempStore::TempStore() {
  auto opened = storage::openStore(dir_.file("kiosk.db"));
  REQUIRE(opened);
  store_ = std::move(*opened);
}

TempStore::State TempStore::snapshot() const {
  State s;
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(dir_.file("kiosk.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
          SQLITE_OK);
  using namespace storage;
  each(db, selectOf<domain::Professional>() + "ORDER BY id",
       [&](const Row& r) { s.professionals[r.int64(0)] = readRow<domain::Professional>(r); });
  for (const auto& [id, p] : s.professionals) {
    each(
        db, selectOf<domain::ContactsVersion>() + "WHERE professional_id = ? ORDER BY version",
        [&, id = id](const Row& r) {
          s.contacts[id].push_back(readRow<domain::ContactsVersion>(r));
        },
        id);
  }
  each(db, selectOf<domain::StaffUser>() + "ORDER BY id",
       [&](const Row& r) { s.staff[r.int64(0)] = readRow<domain::StaffUser>(r); });
  each(db, selectOf<domain::Session>() + "ORDER BY id",
       [&](const Row& r) { s.sessions[r.int64(0)] = readRow<domain::Session>(r); });
  each(db, selectOf<domain::Communication>() + "ORDER BY c.id",
       [&](const Row& r) { s.communications[r.int64(0)] = readRow<domain::Communication>(r); });
  each(db, "SELECT year, last FROM protocol_counters ORDER BY year",
       [&](const Row& r) { s.protocol_counters[r.integer(0)] = r.int64(1); });
  each(db, selectOf<domain::OutboxItem>() + "ORDER BY o.id",
       [&](const Row& r) { s.outbox.push_back(readRow<domain::OutboxItem>(r)); });
  each(db, "SELECT at, actor, action, subject, detail FROM audit_log ORDER BY id",
       [&](const Row& r) {
         s.audit.push_back({r.int64(0), r.text(1), r.text(2), r.text(3), r.text(4)});
       });
  sqlite3_close(db);
  return s;
}

}  // namespace kiosk::test
