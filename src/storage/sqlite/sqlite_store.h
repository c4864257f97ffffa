// SqliteStore: the embedded engine. One database file in WAL mode with
// foreign keys on, a busy timeout and synchronous=FULL (an acknowledged write
// survives a power cut). Migrations in migrations/*.sql are compiled in and
// applied in order at open, each in its own transaction.
//
// Thread safety: open() once; begin() from any thread. Each Transaction holds
// one pooled connection for its lifetime, so a connection is never used by
// two threads at once; a caller waits at most busy_timeout_ms for a free one
// (then 503 database_busy). Its twin for a shared database is
// storage/postgres/pg_store.h; both pass tests/storage/store_contract_test.cpp.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "domain/ports/store.h"
#include "storage/open_store.h"
#include "storage/pool.h"
#include "storage/sql_core.h"

namespace kiosk::storage {

class Connection;  // an sqlite3* with its prepared statements (sqlite_internal.h)
class SqliteTransaction;

class SqliteStore final : public SqlStore {
 public:
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path,
                                                   const StoreOptions& options);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Result<std::unique_ptr<domain::Transaction>> begin(domain::TxMode mode) override;
  std::optional<std::uint64_t> freeBytes() override;
  std::string describe() const override { return "sqlite:" + path_; }

 private:
  // A transaction leases one connection and gives it back when it ends:
  // only it (and the store itself) can.
  friend class SqliteTransaction;
  void release(std::unique_ptr<Connection> conn);

  SqliteStore(std::string path, StoreOptions options);
  Result<std::unique_ptr<Connection>> acquire();
  Status migrate();

  // options_.background_checkpoint: checkpoints until stopped.
  void checkpointLoop();
  void wakeCheckpointer();

  std::string path_;
  StoreOptions options_;
  ConnectionPool<Connection> pool_;
  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_wake_;
  bool checkpoint_stop_ = false;  // guarded by checkpoint_mutex_
  bool checkpoint_due_ = false;   // guarded by checkpoint_mutex_
  std::thread checkpointer_;
};

}  // namespace kiosk::storage
