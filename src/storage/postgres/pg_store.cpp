#include "storage/postgres/pg_store.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/log.h"
#include "storage/backup.h"
#include "storage/postgres/pg_internal.h"

namespace kiosk::storage {

Error pgError(PGconn* conn, const PGresult* res, std::string_view what) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const std::string code = state ? state : "";
  std::string detail =
      std::string(what.substr(0, 80)) + ": " +
      (res && *PQresultErrorMessage(res) ? PQresultErrorMessage(res) : PQerrorMessage(conn));
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
  if (!code.empty()) detail += " [" + code + "]";
  if (PQstatus(conn) != CONNECTION_OK || code.starts_with("08") || code.starts_with("57P") ||
      (code.starts_with("53") && code != "53100")) {
    return databaseUnavailable(std::move(detail));
  }
  if (code == "40001" || code == "40P01" || code == "55P03" || code == "57014") {
    return databaseBusy(std::move(detail));
  }
  if (code == "53100") return Error::storageFull(std::move(detail));
  // A standby (after a failover, before the URL points at the new primary).
  if (code == "25006") return Error::storageUnavailable(std::move(detail));
  return Error::internal(std::move(detail));
}

bool PgConnection::awaitAnswer(std::chrono::steady_clock::time_point until) {
  if (timed_out_) return false;
  const int fd = PQsocket(conn_);
  for (;;) {
    const int flushed = PQflush(conn_);  // 0: all sent, 1: more to send
    if (flushed < 0) return false;
    if (flushed == 0 && !PQisBusy(conn_)) return true;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0 || fd < 0) {
      timed_out_ = true;
      return false;
    }
    pollfd p{fd, static_cast<short>(POLLIN | (flushed == 1 ? POLLOUT : 0)), 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) return false;
    if (n > 0 && (p.revents & (POLLIN | POLLERR | POLLHUP)) && PQconsumeInput(conn_) != 1) {
      return false;
    }
  }
}

Error PgConnection::silent(std::string_view what) const {
  if (!timed_out_) return pgError(conn_, nullptr, what);
  return databaseUnavailable(std::string(what.substr(0, 80)) + ": no answer within " +
                             std::to_string(wait_ms_) + " ms");
}

Result<PgResult> PgConnection::collect(std::string_view what) {
  const auto until = deadline();
  std::optional<Error> error;
  PgResult last(nullptr);
  for (;;) {
    if (!awaitAnswer(until)) {
      poisoned_ = true;
      return fail(silent(what));
    }
    PGresult* r = PQgetResult(conn_);
    if (!r) break;
    const auto status = PQresultStatus(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      if (!error) error = pgError(conn_, r, what);
      PQclear(r);
      continue;
    }
    last = PgResult(r);
  }
  if (error) return fail(std::move(*error));
  if (!last.get()) return fail(pgError(conn_, nullptr, what));
  return last;
}

Result<PgResult> PgConnection::exec(const std::string& sql) {
  if (auto st = settle(); !st) return fail(st.error());
  if (PQsendQuery(conn_, sql.c_str()) != 1) return fail(pgError(conn_, nullptr, sql));
  return collect(sql);
}

Result<PgResult> PgConnection::run(const std::string& sql,
                                   const PgParams& params,
                                   int result_format) {
  if (auto st = settle(); !st) return fail(st.error());
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    // A fresh name each try: a PREPARE stays on the server even when the
    // statement's first run fails, and a reused name would fail with 42P05.
    return pipelined(sql, "k" + std::to_string(names_++), true, params, result_format);
  }
  if (!begin_.empty()) return pipelined(sql, it->second, false, params, result_format);
  const auto a = params.arrays();
  if (PQsendQueryPrepared(conn_, it->second.c_str(), params.size(), a.values.data(),
                          a.lengths.data(), a.formats.data(), result_format) != 1) {
    return fail(pgError(conn_, nullptr, sql));
  }
  return collect(sql);
}

// The deferred BEGIN, the PREPARE and the statement, sent at once; their
// answers read in order up to the pipeline's sync. The first failure is the
// answer (the server skips the rest of the pipeline after it).
Result<PgResult> PgConnection::pipelined(const std::string& sql,
                                         const std::string& name,
                                         bool prepare,
                                         const PgParams& params,
                                         int result_format) {
  if (PQenterPipelineMode(conn_) != 1) return fail(pgError(conn_, nullptr, "pipeline " + sql));
  const auto a = params.arrays();
  const bool begin = !begin_.empty();
  bool sent = !begin || PQsendQueryParams(conn_, begin_.c_str(), 0, nullptr, nullptr, nullptr,
                                          nullptr, 0) == 1;
  sent = sent && (!prepare || PQsendPrepare(conn_, name.c_str(), sql.c_str(), 0, nullptr) == 1);
  sent = sent && PQsendQueryPrepared(conn_, name.c_str(), params.size(), a.values.data(),
                                     a.lengths.data(), a.formats.data(), result_format) == 1;
  sent = sent && PQpipelineSync(conn_) == 1;
  begin_.clear();
  if (!sent) {
    poisoned_ = true;
    return fail(pgError(conn_, nullptr, sql));
  }
  const int commands = (begin ? 1 : 0) + (prepare ? 1 : 0) + 1;
  std::optional<Error> error;
  bool parsed = false;  // the PREPARE succeeded (it outlives a failed run)
  PgResult answer(nullptr);
  const auto until = deadline();
  // Each command's answer is followed by a NULL; the sync's answer ends it.
  for (int ended = 0;;) {
    if (!awaitAnswer(until)) {
      poisoned_ = true;
      return fail(silent(sql));
    }
    PGresult* r = PQgetResult(conn_);
    if (!r) {
      if (++ended > commands) break;  // no sync: the connection failed
      continue;
    }
    const auto status = PQresultStatus(r);
    if (status == PGRES_PIPELINE_SYNC) {
      PQclear(r);
      break;
    }
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK &&
        status != PGRES_PIPELINE_ABORTED && !error) {
      error = pgError(conn_, r, sql);
    }
    if (prepare && ended == commands - 2 && status == PGRES_COMMAND_OK) parsed = true;
    if (ended == commands - 1) {
      answer = PgResult(r);
    } else {
      PQclear(r);
    }
  }
  if (PQexitPipelineMode(conn_) != 1) poisoned_ = true;
  if (parsed) prepared_.emplace(sql, name);
  if (error) return fail(std::move(*error));
  if (!answer.get()) {
    poisoned_ = true;
    return fail(pgError(conn_, nullptr, sql));
  }
  return answer;
}

void PgConnection::rollbackLater() {
  begin_.clear();
  if (PQsendQuery(conn_, "ROLLBACK") == 1 && PQflush(conn_) >= 0) {
    ending_ = true;
  } else {
    poisoned_ = true;
  }
}

Status PgConnection::settle() {
  if (!ending_) return {};
  ending_ = false;
  auto r = collect("ROLLBACK");  // bounded like any answer
  if (!r || broken() || inTransaction()) {
    poisoned_ = true;
    return fail(r ? pgError(conn_, nullptr, "ROLLBACK") : r.error());
  }
  return {};
}

PgStore::PgStore(std::string url, StoreOptions options)
    : url_(std::move(url)), options_(options), pool_(options.pool_size, options.busy_timeout_ms) {}

PgStore::~PgStore() = default;

Result<std::unique_ptr<PgStore>> PgStore::open(const std::string& url,
                                               const StoreOptions& options) {
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(url.c_str(), &parse_error);
  if (!parsed) {
    std::string why = parse_error ? parse_error : "out of memory";
    PQfreemem(parse_error);
    return fail(Error::invalid("invalid_db", "URL PostgreSQL non valido: " + why));
  }
  bool has_password = false;
  for (auto* o = parsed; o->keyword; ++o) {
    if (std::strcmp(o->keyword, "password") == 0 && o->val && *o->val) has_password = true;
  }
  PQconninfoFree(parsed);
  if (has_password) {
    return fail(Error::invalid(
        "password_in_url",
        "La password non va scritta nell'URL del database: usare ~/.pgpass o PGPASSFILE."));
  }
  std::unique_ptr<PgStore> store(new PgStore(url, options));
  auto conn = store->acquire();
  if (!conn) return fail(conn.error());
  PGconn* raw = (*conn)->raw();
  store->description_ = std::string("postgresql://") + PQuser(raw) + "@" +
                        (PQhost(raw) ? PQhost(raw) : "") + ":" + PQport(raw) + "/" + PQdb(raw);
  auto key = (*conn)->exec("SELECT coalesce(hashtext(current_schema()), 0)");
  if (!key) {
    store->release(std::move(*conn));
    return fail(key.error());
  }
  store->lock_key_ = static_cast<std::int32_t>(PgRow(*key, 0).int64(0));
  store->release(std::move(*conn));
  if (auto st = store->migrate(); !st) return fail(st.error());
  return store;
}

Result<std::unique_ptr<PgConnection>> PgStore::connect() {
  // connect_timeout and the application name come first: the URL overrides them.
  const std::string timeout = std::to_string(std::max(1, options_.busy_timeout_ms / 1000));
  const char* keys[] = {"connect_timeout",
                        "fallback_application_name",
                        "keepalives_idle",
                        "keepalives_interval",
                        "keepalives_count",
                        "dbname",
                        nullptr};
  const char* values[] = {timeout.c_str(), "cassetto-kiosk", "10", "5", "3", url_.c_str(), nullptr};
  auto conn = std::make_unique<PgConnection>(PQconnectdbParams(keys, values, 1),
                                             options_.statement_timeout_ms + 2000);
  if (!conn->raw() || conn->broken()) {
    std::string why = conn->raw() ? PQerrorMessage(conn->raw()) : "out of memory";
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return fail(databaseUnavailable("connect: " + why));
  }
  // Notices (e.g. "relation already exists, skipping") are not for the log.
  PQsetNoticeProcessor(
      conn->raw(), [](void*, const char*) {}, nullptr);
  // Bounded waits: a writer waits for the fleet's write lock as long as an
  // SQLite writer waits for its file; no statement or idle transaction
  // holds a connection forever.
  // The kiosk waits 2 s longer than the server's own statement_timeout, so
  // that a slow statement ends with the server's clean cancel; a server that
  // says nothing at all (frozen host or network) is given up on then.
  if (PQsetnonblocking(conn->raw(), 1) != 0) {
    return fail(databaseUnavailable("connect: cannot make the connection non-blocking"));
  }
  const std::string settings =
      "SET lock_timeout = " + std::to_string(options_.busy_timeout_ms) +
      "; SET statement_timeout = " + std::to_string(options_.statement_timeout_ms) +
      "; SET idle_in_transaction_session_timeout = 60000"
      "; SET TIME ZONE 'UTC'";
  if (auto st = conn->exec(settings); !st) return fail(st.error());
  return conn;
}

Result<std::unique_ptr<PgConnection>> PgStore::acquire() {
  return pool_.acquire([this] { return connect(); });
}

Result<std::shared_ptr<const PgStore::WordShares>> PgStore::wordShares(PgTransaction& tx) {
  constexpr auto kReadAgain = std::chrono::minutes(10);
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(shares_mutex_);
    if (shares_known_ && now - shares_read_ < kReadAgain) {
      return shares_;
    }
    // One reader; the others go on with the shares they have, once there are
    // some (before, each reads: a search walked by its commonest word).
    shares_read_ = now;
  }
  // most_common_elem_freqs ends with three more figures than there are
  // words (their least, their most, the share of empty rows): unnest pads
  // the words with NULLs there.
  auto r = tx.run(
      "SELECT u.word, u.share FROM pg_stats s, unnest(s.most_common_elems::text::text[], "
      "s.most_common_elem_freqs) AS u(word, share) WHERE s.schemaname = current_schema() AND "
      "s.tablename = 'communications' AND s.attname = 'search_words' AND u.word IS NOT NULL");
  if (!r) return fail(r.error());  // this transaction is over; read again in ten minutes
  auto read = std::make_shared<WordShares>();
  for (int i = 0; i < r->rows(); ++i) {
    double share = 0;
    const auto v = r->value(i, 1);
    std::from_chars(v.data(), v.data() + v.size(), share);
    read->emplace(std::string(r->value(i, 0)), share);
  }
  std::lock_guard lock(shares_mutex_);
  shares_ = std::move(read);
  shares_known_ = true;
  return shares_;
}

void PgStore::release(std::unique_ptr<PgConnection> conn) {
  // A read that ended having sent nothing leaves no BEGIN for the next user.
  conn->deferBegin({});
  // One the server dropped (restart, failover) is closed: a new one next time.
  const bool keep = conn->reusable();
  pool_.release(std::move(conn), keep);
}

Result<std::unique_ptr<domain::Transaction>> PgStore::begin(domain::TxMode mode) {
  if (mode == domain::TxMode::kRead) {
    // Begun with its first statement (PgConnection::deferBegin).
    static const std::string read = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
    auto conn = acquire();
    if (!conn) return fail(conn.error());
    (*conn)->deferBegin(read);
    return std::unique_ptr<domain::Transaction>(
        new PgTransaction(*this, std::move(*conn), true, read));
  }
  // kWriteOwn: row locks only, never behind the fleet's write lock;
  // kWriteLate: the lock at serialize().
  const std::string lock = "SELECT pg_advisory_xact_lock(" + std::to_string(kLockClass) + ", " +
                           std::to_string(lock_key_) + ")";
  const std::string sql = mode == domain::TxMode::kWrite
                              ? "BEGIN ISOLATION LEVEL READ COMMITTED; " + lock
                              : std::string("BEGIN ISOLATION LEVEL READ COMMITTED");
  // A pooled connection may have died with a server restart: one more try on
  // a fresh connection before the caller hears database_unavailable.
  for (int attempt = 0;; ++attempt) {
    auto conn = acquire();
    if (!conn) return fail(conn.error());
    auto started = (*conn)->exec(sql);
    if (started) {
      auto tx = std::make_unique<PgTransaction>(*this, std::move(*conn));
      if (mode == domain::TxMode::kWriteLate) tx->serializeLater(lock);
      return std::unique_ptr<domain::Transaction>(std::move(tx));
    }
    const bool broken = (*conn)->broken();
    if ((*conn)->inTransaction() && !broken) (void)(*conn)->exec("ROLLBACK");
    release(std::move(*conn));
    if (!broken || attempt > 0) return fail(started.error());
    log::warn("database_reconnect", {{"detail", started.error().detail}});
  }
}

// Every missing migration file in one write transaction: it holds the
// fleet's write lock, so kiosks starting together wait for it and then find
// the work done.
Status PgStore::migrate() {
  auto begun = begin(domain::TxMode::kWrite);
  if (!begun) return fail(begun.error());
  auto& tx = static_cast<PgTransaction&>(**begun);
  if (auto st = tx.run(
          "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT "
          "NOT NULL, applied_at BIGINT NOT NULL)");
      !st) {
    return fail(st.error());
  }
  auto newest = tx.run("SELECT coalesce(max(version), 0) FROM schema_migrations");
  if (!newest) return fail(newest.error());
  const int applied = PgRow(*newest, 0).integer(0);
  const auto versionOf = [](const EmbeddedFile& file) {
    return std::stoi(std::string(file.name.substr(0, 3)));
  };
  int known = 0;
  for (const auto& file : postgresMigrations()) known = std::max(known, versionOf(file));
  if (auto st = refuseNewer(applied, known); !st) return st;
  std::vector<std::pair<int, std::string_view>> done;
  for (const auto& file : postgresMigrations()) {
    const int version = versionOf(file);
    if (version <= applied) continue;
    if (auto st = tx.script(std::string(file.content)); !st) return st;
    if (auto st = tx.run("INSERT INTO schema_migrations (version, name, applied_at) "
                         "VALUES ($1, $2, extract(epoch FROM now())::bigint)",
                         PgParams().add(version).add(file.name));
        !st) {
      return fail(st.error());
    }
    done.emplace_back(version, file.name);
  }
  if (auto st = tx.commit(); !st) return st;
  for (const auto& [version, name] : done) {
    log::info("migration_applied",
              {{"version", std::to_string(version)}, {"name", std::string(name)}});
  }
  return {};
}

}  // namespace kiosk::storage
