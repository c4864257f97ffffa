// Internals of the SQLite engine, shared by its source files only: the
// pooled Connection with its statement cache, the Query helper, and
// SqliteTransaction (accounts, sessions and audit in sqlite_transaction.cpp;
// communications and the outbox in sqlite_communications.cpp). Not for use
// outside src/storage/sqlite.
#pragma once

#include <sqlite3.h>

#include <cstdio>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/embedded_file.h"
#include "core/log.h"
#include "domain/audit.h"
#include "storage/rows.h"
#include "storage/sql_core.h"
#include "storage/sqlite/sqlite_store.h"

namespace kiosk::storage {

// A connection's page cache: 4 MiB, where a staff search finds its word lists
// and rows instead of reading them again from the OS (a subject search at a
// million threads: 1,100 -> 3,500 req/s).
inline constexpr const char* kUsualCache = "PRAGMA cache_size = -4096";
// While a transaction writes files: their pages pass through the cache on
// their way to the WAL, and with the usual 4 MiB two sends in flight held
// 8 MiB of them, the largest part of the kiosk's peak memory. A small cache
// spills them to the WAL as they come (the same writes, earlier).
inline constexpr const char* kFilesCache = "PRAGMA cache_size = -256";

std::span<const EmbeddedFile> sqliteMigrations();  // generated from migrations/*.sql

// An SQLite result code as the kiosk's error: busy (503 database_busy), disk
// full (507 storage_full), read-only or I/O failure (503 storage_unavailable),
// anything else internal.
inline Error sqliteError(int code, std::string detail) {
  switch (code & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return databaseBusy(std::move(detail));
    case SQLITE_FULL:
      return Error::storageFull(std::move(detail));
    case SQLITE_READONLY:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
      return Error::storageUnavailable(std::move(detail));
    default:
      return Error::internal(std::move(detail));
  }
}

inline Error dbError(sqlite3* db, const char* what) {
  const int code = sqlite3_errcode(db);
  std::string detail = std::string(what) + ": " + sqlite3_errmsg(db);
  return sqliteError(code, std::move(detail));
}

// A connection and its cache of prepared statements (keyed by SQL text).
class Connection {
 public:
  explicit Connection(sqlite3* db) : db_(db) {}
  ~Connection() {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const { return db_; }

  Result<sqlite3_stmt*> prepare(const char* sql) {
    auto it = statements_.find(std::string_view(sql));
    if (it != statements_.end()) {
      sqlite3_reset(it->second);
      sqlite3_clear_bindings(it->second);
      return it->second;
    }
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
      return fail(dbError(db_, "prepare"));
    }
    statements_.emplace(sql, stmt);
    return stmt;
  }

  // One statement without rows, prepared once: BEGIN, COMMIT and ROLLBACK
  // (every transaction's) are not parsed again each time.
  Status step(const char* sql) {
    auto stmt = prepare(sql);
    if (!stmt) return fail(stmt.error());
    const int rc = sqlite3_step(*stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
      std::string detail = std::string(sql) + ": " + sqlite3_errmsg(db_);
      sqlite3_reset(*stmt);
      return fail(sqliteError(rc, std::move(detail)));
    }
    sqlite3_reset(*stmt);
    return {};
  }

  Status exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
      std::string detail = message ? message : "unknown";
      sqlite3_free(message);
      return fail(
          sqliteError(sqlite3_errcode(db_), std::string(sql).substr(0, 60) + ": " + detail));
    }
    return {};
  }

 private:
  sqlite3* db_;
  std::map<std::string, sqlite3_stmt*, std::less<>> statements_;  // found by string_view
};

// One execution of a cached statement: bind, step, read columns.
class Query {
 public:
  Query(Connection& conn, sqlite3_stmt* stmt) : conn_(conn), stmt_(stmt) {}
  ~Query() { sqlite3_reset(stmt_); }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind(std::string_view text) {
    sqlite3_bind_text(stmt_, ++index_, text.data(), static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Query& bind(std::int64_t value) {
    sqlite3_bind_int64(stmt_, ++index_, value);
    return *this;
  }
  Query& bind(int value) { return bind(static_cast<std::int64_t>(value)); }
  // 0 is stored as NULL (optional references).
  Query& bindId(std::int64_t value) {
    if (value == 0) {
      sqlite3_bind_null(stmt_, ++index_);
    } else {
      sqlite3_bind_int64(stmt_, ++index_, value);
    }
    return *this;
  }
  // By the number n of $n: SQLite numbers named parameters in the order they
  // first appear; a statement written with ? takes n as the position.
  int indexOf(int n) const {
    char name[16];  // no allocation: every shared statement binds through here
    std::snprintf(name, sizeof name, "$%d", n);
    const int i = sqlite3_bind_parameter_index(stmt_, name);
    return i > 0 ? i : n;
  }
  void bindAt(int n, std::string_view text) {
    sqlite3_bind_text(stmt_, indexOf(n), text.data(), static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
  }
  void bindAt(int n, std::int64_t value) { sqlite3_bind_int64(stmt_, indexOf(n), value); }
  void bindNullAt(int n) { sqlite3_bind_null(stmt_, indexOf(n)); }
  // REQUIRES: `data` outlives the step.
  void bindBlobAt(int n, std::string_view data) {
    sqlite3_bind_blob64(stmt_, indexOf(n), data.data(), data.size(), SQLITE_STATIC);
  }
  // REQUIRES: `data` outlives the step (no copy of large attachments).
  Query& bindBlob(std::string_view data) {
    sqlite3_bind_blob64(stmt_, ++index_, data.data(), data.size(), SQLITE_STATIC);
    return *this;
  }

  // true: a row is ready; false: done.
  // Calls visit(*this) for each row; a visit returning false stops early.
  template <typename Visit>
  Status each(Visit visit) {
    while (true) {
      auto row = step();
      if (!row) return fail(row.error());
      if (!*row) return {};
      if constexpr (std::is_same_v<decltype(visit(*this)), bool>) {
        if (!visit(*this)) return {};
      } else {
        visit(*this);
      }
    }
  }

  Result<bool> step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return fail(dbError(conn_.db(), sqlite3_sql(stmt_)));
  }
  Status run() {
    auto r = step();
    if (!r) return fail(r.error());
    return {};
  }

  std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  int integer(int col) const { return sqlite3_column_int(stmt_, col); }
  std::string blob(int col) const {
    const void* p = sqlite3_column_blob(stmt_, col);
    return p ? std::string(static_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }

 private:
  Connection& conn_;
  sqlite3_stmt* stmt_;
  int index_ = 0;
};

class SqliteTransaction final : public SqlCore {
 public:
  SqliteTransaction(SqliteStore& store, std::unique_ptr<Connection> conn)
      : store_(store), conn_(std::move(conn)) {}
  ~SqliteTransaction() override;

  Status commit() override;

  Result<Query> query(const char* sql);
  // Runs SQL statements with no parameters and no rows (a migration file).
  Status script(const char* sql) { return conn_->exec(sql); }

  // Professionals, contacts, staff, sessions, the audit chain and the fleet:
  // SqlCore's shared SQL, over this driver.
  Status each(const std::string& sql, const SqlParams& params, const RowVisit& visit) override;
  Result<std::int64_t> change(const std::string& sql, const SqlParams& params) override;
  Status beforeNamesChange(std::int64_t professional_id) override;
  Status afterNamesChange(std::int64_t professional_id) override;
  Status afterCommunicationInsert(std::int64_t id) override;
  void filesTouched() override;

  // --- communications ----------------------------------------------------

  Result<CommPage> listCommunications(const CommFilter& f) override;
  // A word search's matching ids (at most kCountCap, newest first), and their
  // count (kCountCap + 1: more).
  struct SearchHits {
    std::vector<std::int64_t> newest_first;
    std::int64_t count = 0;
  };
  Result<SearchHits> searchHits(const std::string& match, const ListWhere& where);

  Result<std::optional<StoredFile>> attachmentById(std::int64_t id) override;

  // --- outbox --------------------------------------------------------------

  Result<std::vector<OutboxItem>> claimOutbox(std::int64_t now,
                                              std::int64_t lease_until,
                                              int limit,
                                              std::optional<Channel> channel) override;

 private:
  // Runs a one-parameter query expected to give zero or one row.
  template <typename T, typename Param, typename Read>
  Result<std::optional<T>> oneRow(const char* sql, const Param& param, Read read) {
    auto q = query(sql);
    if (!q) return fail(q.error());
    q->bind(param);
    auto row = q->step();
    if (!row) return fail(row.error());
    if (!*row) return std::optional<T>();
    return std::optional<T>(read(*q));
  }

  SqliteStore& store_;
  std::unique_ptr<Connection> conn_;
  bool done_ = false;
  // Attachments went through the page cache (stored or read): dropped at the
  // end, so that the connection's cache holds indexes and rows, not files.
  bool files_in_cache_ = false;
  // Files were written: the page cache is small until the transaction ends.
  bool small_cache_ = false;
};

}  // namespace kiosk::storage
