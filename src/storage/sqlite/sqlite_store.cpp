#include "storage/sqlite/sqlite_store.h"

#include <sys/statvfs.h>

#include <mutex>

#include "storage/backup.h"
#include "storage/sqlite/sqlite_internal.h"

namespace kiosk::storage {

SqliteStore::SqliteStore(std::string path, StoreOptions options)
    : path_(std::move(path)),
      options_(options),
      pool_(options.pool_size, options.busy_timeout_ms) {}

SqliteStore::~SqliteStore() {
  if (!checkpointer_.joinable()) return;
  {
    std::lock_guard lock(checkpoint_mutex_);
    checkpoint_stop_ = true;
  }
  checkpoint_wake_.notify_all();
  checkpointer_.join();
}

void SqliteStore::wakeCheckpointer() {
  {
    std::lock_guard lock(checkpoint_mutex_);
    checkpoint_due_ = true;
  }
  checkpoint_wake_.notify_one();
}

// Right after a commit left 4 MiB in the WAL, else every second. Copying a
// send's pages takes less than the time between two sends, so the
// checkpoint completes and the next writer starts the WAL over.
void SqliteStore::checkpointLoop() {
  std::unique_lock lock(checkpoint_mutex_);
  while (true) {
    checkpoint_wake_.wait_for(lock, std::chrono::seconds(1),
                              [this] { return checkpoint_stop_ || checkpoint_due_; });
    if (checkpoint_stop_) return;
    checkpoint_due_ = false;
    lock.unlock();
    // PASSIVE: copies what no reader still needs, never waits for anyone.
    if (auto conn = acquire()) {
      if (auto st = (*conn)->exec("PRAGMA wal_checkpoint(PASSIVE)"); !st) {
        log::warn("checkpoint_failed", {{"detail", st.error().detail}});
      }
      release(std::move(*conn));
    }
    lock.lock();
  }
}

namespace {

// SQLite counts every allocation under one global mutex unless told not
// to: with many workers that mutex was a hot spot. Must run before SQLite's
// first use in the process (later it answers SQLITE_MISUSE and changes nothing).
void configureSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_initialize();
  });
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path,
                                                       const StoreOptions& options) {
  configureSqliteOnce();
  std::unique_ptr<SqliteStore> store(new SqliteStore(path, options));
  auto conn = store->acquire();
  if (!conn) return fail(conn.error());
  store->release(std::move(*conn));
  if (auto st = store->migrate(); !st) return fail(st.error());
  if (options.background_checkpoint) {
    store->checkpointer_ = std::thread([s = store.get()] { s->checkpointLoop(); });
  }
  return store;
}

Result<std::unique_ptr<Connection>> SqliteStore::acquire() {
  return pool_.acquire([&]() -> Result<std::unique_ptr<Connection>> {
    sqlite3* db = nullptr;
    const int rc =
        sqlite3_open_v2(path_.c_str(), &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    auto conn = std::make_unique<Connection>(db);
    if (rc != SQLITE_OK) {
      Error e = Error::unavailable("database_unavailable", "Archivio dati non disponibile.");
      e.detail = "cannot open " + path_ + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
      return fail(e);
    }
    sqlite3_busy_timeout(db, options_.busy_timeout_ms);
    sqlite3_extended_result_codes(db, 1);
    for (const char* pragma :
         {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON",
          "PRAGMA trusted_schema = OFF", "PRAGMA secure_delete = ON",
          // After a checkpoint the WAL is cut back to 4 MiB: a kiosk that ran
          // out of disk is not held down by a WAL as large as its last burst.
          "PRAGMA journal_size_limit = 4194304",
          // Files stored or read are dropped from the cache when their
          // transaction ends, and written through a small one (SqliteTransaction).
          kUsualCache}) {
      if (auto st = conn->exec(pragma); !st) return fail(st.error());
    }
    if (options_.background_checkpoint) {
      // Replaces SQLite's automatic checkpoint (itself a WAL hook): a commit
      // that leaves 4 MiB or more in the WAL only wakes the checkpointer.
      // Room for a few sends: cutting the WAL back to 4 MiB after each made
      // the next send grow the file again, and its fsync write metadata too.
      if (auto st = conn->exec("PRAGMA journal_size_limit = 33554432"); !st) {
        return fail(st.error());
      }
      sqlite3_wal_hook(
          db,
          [](void* self, sqlite3*, const char*, int frames) {
            if (frames >= 1000) static_cast<SqliteStore*>(self)->wakeCheckpointer();
            return SQLITE_OK;
          },
          this);
    }
    return conn;
  });
}

void SqliteStore::release(std::unique_ptr<Connection> conn) { pool_.release(std::move(conn)); }

Result<std::unique_ptr<domain::Transaction>> SqliteStore::begin(domain::TxMode mode) {
  auto conn = acquire();
  if (!conn) return fail(conn.error());
  // IMMEDIATE takes the write lock now, so a writer never fails half-way on
  // an upgrade; DEFERRED reads a snapshot.
  if (auto st = (*conn)->step(mode == domain::TxMode::kRead ? "BEGIN" : "BEGIN IMMEDIATE"); !st) {
    release(std::move(*conn));
    return fail(st.error());
  }
  return std::unique_ptr<domain::Transaction>(new SqliteTransaction(*this, std::move(*conn)));
}

std::optional<std::uint64_t> SqliteStore::freeBytes() {
  const auto slash = path_.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path_.substr(0, slash);
  struct statvfs fs {};
  if (::statvfs(dir.c_str(), &fs) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
}

// Each migration file in its own write transaction, with its row in
// schema_migrations: a file is applied whole or not at all.
Status SqliteStore::migrate() {
  auto writing = [this]() -> Result<std::unique_ptr<SqliteTransaction>> {
    auto tx = begin(domain::TxMode::kWrite);
    if (!tx) return fail(tx.error());
    return std::unique_ptr<SqliteTransaction>(static_cast<SqliteTransaction*>(tx->release()));
  };
  {
    auto tx = writing();
    if (!tx) return fail(tx.error());
    if (auto st = (*tx)->script(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name "
            "TEXT NOT NULL, applied_at INTEGER NOT NULL)");
        !st) {
      return st;
    }
    // A database written by a newer program (a restore, a downgrade) is
    // refused rather than half understood.
    {
      auto q = (*tx)->query("SELECT coalesce(max(version), 0) FROM schema_migrations");
      if (!q) return fail(q.error());
      if (auto row = q->step(); !row) return fail(row.error());
      if (auto st = refuseNewer(q->integer(0)); !st) return st;
    }
    if (auto st = (*tx)->commit(); !st) return st;
  }
  for (const auto& file : sqliteMigrations()) {
    const int version = std::stoi(std::string(file.name.substr(0, 3)));
    auto tx = writing();
    if (!tx) return fail(tx.error());
    {
      auto q = (*tx)->query("SELECT 1 FROM schema_migrations WHERE version = ?");
      if (!q) return fail(q.error());
      auto applied = q->bind(version).step();
      if (!applied) return fail(applied.error());
      if (*applied) continue;  // the transaction rolls back, having written nothing
    }
    if (auto st = (*tx)->script(std::string(file.content).c_str()); !st) return st;
    {
      auto q = (*tx)->query(
          "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, unixepoch())");
      if (!q) return fail(q.error());
      if (auto st = q->bind(version).bind(file.name).run(); !st) return st;
    }
    if (auto st = (*tx)->commit(); !st) return st;
    log::info("migration_applied",
              {{"version", std::to_string(version)}, {"name", std::string(file.name)}});
  }
  return {};
}

}  // namespace kiosk::storage
