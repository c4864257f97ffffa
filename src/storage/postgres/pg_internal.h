// Internals of the PostgreSQL engine, shared by its source files only: the
// RAII wrappers over libpq (PgResult, PgConnection with its prepared
// statements), parameters, and PgTransaction. Not for use outside
// src/storage/postgres.
#pragma once

#include <libpq-fe.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/embedded_file.h"
#include "domain/audit.h"
#include "storage/postgres/pg_store.h"
#include "storage/rows.h"
#include "storage/sql_core.h"

namespace kiosk::storage {

std::span<const EmbeddedFile> postgresMigrations();  // generated from migrations/*.sql

// The class part of the "classid, objid" advisory locks: "KIOS".
inline constexpr std::int32_t kLockClass = 0x4B494F53;
inline constexpr std::int32_t kMigrationLockObject = 1;

// The database cannot be reached (down, restarting, network): 503.
inline Error databaseUnavailable(std::string detail) {
  Error e = Error::unavailable(
      "database_unavailable",
      "L'archivio dati comune non è raggiungibile in questo momento. Riprovi tra poco; se il "
      "problema continua, si rivolga al personale dello sportello.");
  e.detail = std::move(detail);
  return e;
}

// A PostgreSQL failure as the kiosk's error, by SQLSTATE.
Error pgError(PGconn* conn, const PGresult* res, std::string_view what);

// One result; cleared on scope exit.
class PgResult {
 public:
  explicit PgResult(PGresult* res) : res_(res, &PQclear) {}
  int rows() const { return PQntuples(res_.get()); }
  bool null(int row, int col) const { return PQgetisnull(res_.get(), row, col) != 0; }
  std::string_view value(int row, int col) const {
    return {PQgetvalue(res_.get(), row, col),
            static_cast<std::size_t>(PQgetlength(res_.get(), row, col))};
  }
  // Rows changed by an INSERT, UPDATE or DELETE.
  int affected() const {
    const char* n = PQcmdTuples(res_.get());
    return n && *n ? std::atoi(n) : 0;
  }
  PGresult* get() const { return res_.get(); }

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> res_;
};

// A row of a PgResult with the accessors the shared readers (rows.h) use.
// Text results only, except `bytes` on a binary result.
class PgRow {
 public:
  PgRow(const PgResult& r, int row) : r_(r), row_(row) {}
  std::string text(int col) const { return std::string(r_.value(row_, col)); }
  std::int64_t int64(int col) const {
    const auto v = r_.value(row_, col);
    std::int64_t out = 0;
    std::from_chars(v.data(), v.data() + v.size(), out);
    return out;
  }
  int integer(int col) const { return static_cast<int>(int64(col)); }
  std::string bytes(int col) const { return text(col); }

 private:
  const PgResult& r_;
  int row_;
};

// Parameters of one statement. Text values are copied; `bytes` points at the
// caller's buffer (REQUIRES: it outlives the execution), sent as binary.
class PgParams {
 public:
  PgParams& add(std::string_view text) {
    items_.push_back({std::string(text), nullptr, 0, 0, false});
    return *this;
  }
  PgParams& add(std::int64_t value) { return add(std::string_view(std::to_string(value))); }
  PgParams& add(int value) { return add(static_cast<std::int64_t>(value)); }
  // 0 is sent as NULL (optional references).
  PgParams& addId(std::int64_t value) {
    if (value == 0) {
      items_.push_back({{}, nullptr, 0, 0, true});
      return *this;
    }
    return add(value);
  }
  PgParams& addBytes(std::string_view data) {
    items_.push_back({{}, data.data(), static_cast<int>(data.size()), 1, false});
    return *this;
  }
  int size() const { return static_cast<int>(items_.size()); }

  struct Arrays {
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
  };
  Arrays arrays() const {
    Arrays a;
    for (const auto& i : items_) {
      if (i.null) {
        a.values.push_back(nullptr);
        a.lengths.push_back(0);
      } else if (i.external) {
        a.values.push_back(i.external);
        a.lengths.push_back(i.length);
      } else {
        a.values.push_back(i.owned.c_str());
        a.lengths.push_back(static_cast<int>(i.owned.size()));
      }
      a.formats.push_back(i.format);
    }
    return a;
  }

 private:
  struct Item {
    std::string owned;
    const char* external;
    int length;
    int format;  // 0 text, 1 binary
    bool null;
  };
  std::vector<Item> items_;
};

// A libpq connection and its prepared statements (named by SQL text).
class PgConnection {
 public:
  // `wait_ms`: how long a statement's answer is waited for (see awaitAnswer).
  explicit PgConnection(PGconn* conn, int wait_ms = 17000) : conn_(conn), wait_ms_(wait_ms) {}
  ~PgConnection() { PQfinish(conn_); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  PGconn* raw() const { return conn_; }
  // Closed, failed, or silent past its bound (a frozen server or network:
  // its state is unknown, so it is never used again).
  bool broken() const { return timed_out_ || PQstatus(conn_) != CONNECTION_OK; }
  void setWaitBound(int wait_ms) { wait_ms_ = wait_ms; }
  bool timedOut() const { return timed_out_; }
  // True while a transaction is open or failed (not idle).
  bool inTransaction() const { return PQtransactionStatus(conn_) != PQTRANS_IDLE; }
  // Fit for the pool: alive, and idle or only ending a read (rollbackLater).
  bool reusable() const { return !broken() && !poisoned_ && (ending_ || !inTransaction()); }

  // A statement without parameters (may hold several, e.g. "BEGIN; SELECT …").
  Result<PgResult> exec(const std::string& sql);
  // A prepared statement (prepared once per connection). result_format 1:
  // binary results (used for attachment bytes).
  Result<PgResult> run(const std::string& sql, const PgParams& params, int result_format = 0);

  // A read transaction's round trips: its BEGIN goes in one pipeline with
  // its first statement (and the PREPARE of a statement new to this
  // connection), and its end is sent without waiting for the answer, which
  // the connection's next use reads. A list page is then one round trip
  // instead of three.
  void deferBegin(std::string sql) { begin_ = std::move(sql); }
  bool beginDeferred() const { return !begin_.empty(); }
  void rollbackLater();

 private:
  // Reads the answer to rollbackLater's ROLLBACK, if one is due.
  Status settle();
  // Sends what libpq holds (the connection is non-blocking) and waits until
  // the next result can be read without blocking, at most wait_ms_ from
  // `deadline`'s start. False on a failure or when the server stays silent
  // (SIGSTOP, a black-holed network: TCP keepalives cannot tell, the kernel
  // still answers them); the connection is then broken for good.
  bool awaitAnswer(std::chrono::steady_clock::time_point deadline);
  std::chrono::steady_clock::time_point deadline() const {
    return std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms_);
  }
  Error silent(std::string_view what) const;
  // Every result of what was sent, the first failure or else the last result.
  Result<PgResult> collect(std::string_view what);
  Result<PgResult> pipelined(const std::string& sql,
                             const std::string& name,
                             bool prepare,
                             const PgParams& params,
                             int result_format);

  PGconn* conn_;
  int wait_ms_;
  bool timed_out_ = false;
  std::map<std::string, std::string, std::less<>> prepared_;
  std::uint64_t names_ = 0;  // statement names handed out ("k0", "k1", …)
  std::string begin_;        // a deferred BEGIN
  bool ending_ = false;      // a ROLLBACK sent, its answer not yet read
  bool poisoned_ = false;    // a pipeline left in an unknown state: not reused
};

class PgTransaction final : public SqlCore {
 public:
  // `read`: a read-only transaction whose BEGIN (`begin_sql`) is deferred.
  PgTransaction(PgStore& store,
                std::unique_ptr<PgConnection> conn,
                bool read = false,
                std::string begin_sql = {})
      : store_(store), conn_(std::move(conn)), read_(read), begin_sql_(std::move(begin_sql)) {}
  ~PgTransaction() override;

  Status commit() override;

  Result<PgResult> run(const std::string& sql, const PgParams& params = {}, int result_format = 0);
  // A word search. Through search_postings: the rarest word's threads newest
  // first (`walk`: each part one run of its B-tree, a whole word or a range
  // of words) and the other words, `others` (maybe empty), checked on each.
  // Through the GIN index: `indexed` finds the threads (empty: none can
  // match), `checked` (maybe empty) is checked on each of them.
  struct WalkPart {
    std::string low;       // term = low (no high), or from low on
    std::string high;      // up to, not including
    bool from_low = true;  // a range: low included
  };
  struct SearchQuery {
    std::vector<WalkPart> walk;
    std::string others;
    std::string indexed;
    std::string checked;
  };
  Result<SearchQuery> searchQuery(const std::vector<domain::SearchWord>& words);
  // The newest kCountCap + 1 threads that match `q` and `f`'s filters, as
  // (id, created_at), newest first by id.
  using SearchHits = std::vector<std::pair<std::int64_t, std::int64_t>>;
  Result<SearchHits> searchHits(const SearchQuery& q,
                                const domain::CommFilter& f,
                                const domain::SearchTerms& terms);
  Result<std::optional<SearchHits>> walkHits(const SearchQuery& q,
                                             const domain::CommFilter& f,
                                             const domain::SearchTerms& terms);
  Result<domain::CommPage> ownList(const std::string& where,
                                   PgParams params,
                                   int per_page,
                                   std::int64_t offset,
                                   std::int64_t professional_id);
  // Runs SQL statements with no parameters (a migration file). A migration
  // may rebuild an index over a million threads: it has 10 minutes.
  Status script(const std::string& sql) {
    conn_->setWaitBound(kMigrationMs + 2000);
    auto r =
        conn_->exec("SET LOCAL statement_timeout = " + std::to_string(kMigrationMs) + ";\n" + sql);
    conn_->setWaitBound(store_.statementWaitMs());
    if (!r) return fail(r.error());
    return {};
  }
  static constexpr int kMigrationMs = 10 * 60 * 1000;

  // Professionals, contacts, staff, sessions, the audit chain and the fleet:
  // SqlCore's shared SQL, over this driver.
  Status each(const std::string& sql, const SqlParams& params, const RowVisit& visit) override;
  Result<std::int64_t> change(const std::string& sql, const SqlParams& params) override;

  Result<domain::CommPage> listCommunications(const domain::CommFilter& f) override;
  Result<std::optional<domain::StoredFile>> attachmentById(std::int64_t id) override;

  // kWriteLate: the lock to take at serialize() (the advisory lock's SELECT).
  void serializeLater(std::string lock_sql) { lock_sql_ = std::move(lock_sql); }
  Status serialize() override;
  // Written now with no message (migration 013), before the fleet's lock:
  // their megabytes do not hold up other kiosks' writes.
  Status stageAttachments(std::span<const domain::NewAttachment> files) override;
  Result<std::vector<std::int64_t>> insertStagedAttachments(std::int64_t message_id) override;

  Result<std::vector<domain::OutboxItem>> claimOutbox(std::int64_t now,
                                                      std::int64_t lease_until,
                                                      int limit,
                                                      std::optional<Channel> channel) override;

 private:
  // Every row read with `read`.
  template <typename T, typename Read>
  Result<std::vector<T>> pgAll(const std::string& sql, const PgParams& params, Read read) {
    auto r = run(sql, params);
    if (!r) return fail(r.error());
    std::vector<T> out;
    out.reserve(static_cast<std::size_t>(r->rows()));
    for (int i = 0; i < r->rows(); ++i) out.push_back(read(PgRow(*r, i)));
    return out;
  }
  // The first column of the first row as an integer.
  Result<std::int64_t> pgScalar(const std::string& sql, const PgParams& params) {
    auto r = run(sql, params);
    if (!r) return fail(r.error());
    if (r->rows() == 0) return fail(Error::internal("no row: " + sql.substr(0, 60)));
    return PgRow(*r, 0).int64(0);
  }

  // `statement` on the connection, again on a new one when the pooled one
  // was dropped by the server before this transaction read anything.
  template <typename Statement>
  Result<PgResult> onConnection(Statement statement);

  PgStore& store_;
  std::unique_ptr<PgConnection> conn_;
  const bool read_;
  const std::string begin_sql_;
  bool done_ = false;
  // kWriteLate: the fleet's write lock is still to take (serialize()).
  std::string lock_sql_;
  std::vector<std::int64_t> staged_ids_;  // stageAttachments' rows, no message yet
};

}  // namespace kiosk::storage
