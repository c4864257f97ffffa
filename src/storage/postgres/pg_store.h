// PgStore: the shared engine. Many kiosks and staff desks on one PostgreSQL
// (15) database, through libpq with a small RAII layer (pg_internal.h).
//
// - Connections: a pool of at most `pool_size` per process; a caller waits at
//   most `busy_timeout_ms` for one (then 503 database_busy). A connection the
//   server dropped (restart, failover) is thrown away and a new one opened on
//   the next transaction, so the kiosk recovers by itself.
// - Write transactions take one transaction-level advisory lock, the same for
//   every kiosk on the schema: writers are serialised across the fleet exactly
//   as SQLite's BEGIN IMMEDIATE serialises them in one file. Protocol counters,
//   the audit chain's head, lockout counters and idempotency keys therefore
//   need no retry logic; the lock wait is bounded by lock_timeout.
//   kWriteOwn transactions (a read mark, sessions' idle times, a kiosk's own
//   signed heads: targeted statements) take row locks only, so a read that
//   writes never queues behind a send holding the fleet's lock.
//   Read transactions are REPEATABLE READ READ ONLY snapshots and never wait;
//   their BEGIN travels with their first statement (one round trip).
// - A professional's list version (migration 009) is moved on by a trigger at
//   every change to their threads, from any desk: the domain keeps a page in
//   memory with it (ListMemo) and asks for it again only when it moved.
// - Migrations are migrations/*.sql (PostgreSQL's own), applied at open in
//   one transaction under an advisory lock: ten kiosks starting at once
//   migrate once.
// - The URL is a libpq URI. A password in it is refused: use ~/.pgpass or
//   PGPASSFILE (or PGPASSWORD in tests).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "domain/ports/store.h"
#include "storage/open_store.h"
#include "storage/pool.h"
#include "storage/sql_core.h"

namespace kiosk::storage {

class PgConnection;  // a PGconn with its prepared statements (pg_internal.h)
class PgTransaction;

class PgStore final : public SqlStore {
 public:
  static Result<std::unique_ptr<PgStore>> open(const std::string& url, const StoreOptions& options);
  ~PgStore() override;
  PgStore(const PgStore&) = delete;
  PgStore& operator=(const PgStore&) = delete;

  Result<std::unique_ptr<domain::Transaction>> begin(domain::TxMode mode) override;
  // The database's disk is the server's: the kiosk does not watch it.
  std::optional<std::uint64_t> freeBytes() override { return std::nullopt; }
  std::string describe() const override { return description_; }
  // A kept page is checked against the server at most this often: another
  // desk's change shows here within it (this kiosk's own at once).
  std::chrono::milliseconds listNewsDelay() const override { return kListNewsDelay; }
  static constexpr std::chrono::milliseconds kListNewsDelay{250};

 private:
  // A transaction leases one connection and gives it back (a broken one is
  // closed) when it ends: only it (and the store itself) can.
  friend class PgTransaction;
  void release(std::unique_ptr<PgConnection> conn);
  // The share of threads whose search words hold each of the commonest
  // words, from the server's statistics (pg_stats, kept by ANALYZE and
  // autovacuum), read through `tx` at most every ten minutes. Empty when the
  // table was never analysed (every word then counts as a rare one, which
  // only costs time).
  using WordShares = std::map<std::string, double, std::less<>>;
  Result<std::shared_ptr<const WordShares>> wordShares(PgTransaction& tx);
  int statementWaitMs() const { return options_.statement_timeout_ms + 2000; }

  PgStore(std::string url, StoreOptions options);
  Result<std::unique_ptr<PgConnection>> acquire();
  Result<std::unique_ptr<PgConnection>> connect();
  Status migrate();

  std::string url_;
  std::string description_;
  StoreOptions options_;
  std::int32_t lock_key_ = 0;  // this schema's write lock (hashtext of the schema name)
  ConnectionPool<PgConnection> pool_;
  std::mutex shares_mutex_;
  std::shared_ptr<const WordShares> shares_ = std::make_shared<const WordShares>();
  std::chrono::steady_clock::time_point shares_read_{};
  bool shares_known_ = false;  // read once
};

}  // namespace kiosk::storage
