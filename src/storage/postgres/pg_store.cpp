#include "storage/postgres/pg_store.h"

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

namespace {

Result<PgResult> checked(PGconn* conn, PGresult* raw, std::string_view what) {
  PgResult res(raw);
  const auto status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return fail(pgError(conn, raw, what));
  }
  return res;
}

}  // namespace

Result<PgResult> PgConnection::exec(const std::string& sql) {
  return checked(conn_, PQexec(conn_, sql.c_str()), sql);
}

Result<PgResult> PgConnection::run(const std::string& sql,
                                   const PgParams& params,
                                   int result_format) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "k" + std::to_string(prepared_.size());
    auto prepared =
        checked(conn_, PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr), "prepare " + sql);
    if (!prepared) return fail(prepared.error());
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  const auto a = params.arrays();
  return checked(conn_,
                 PQexecPrepared(conn_, it->second.c_str(), params.size(), a.values.data(),
                                a.lengths.data(), a.formats.data(), result_format),
                 sql);
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
  auto conn = std::make_unique<PgConnection>(PQconnectdbParams(keys, values, 1));
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
  const std::string settings = "SET lock_timeout = " + std::to_string(options_.busy_timeout_ms) +
                               "; SET statement_timeout = 60000"
                               "; SET idle_in_transaction_session_timeout = 60000"
                               "; SET TIME ZONE 'UTC'";
  if (auto st = conn->exec(settings); !st) return fail(st.error());
  return conn;
}

Result<std::unique_ptr<PgConnection>> PgStore::acquire() {
  return pool_.acquire([this] { return connect(); });
}

void PgStore::release(std::unique_ptr<PgConnection> conn) {
  // One the server dropped (restart, failover) is closed: a new one next time.
  const bool keep = !conn->broken() && !conn->inTransaction();
  pool_.release(std::move(conn), keep);
}

Result<std::unique_ptr<domain::Transaction>> PgStore::begin(domain::TxMode mode) {
  const std::string sql =
      mode == domain::TxMode::kWrite
          ? "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(" +
                std::to_string(kLockClass) + ", " + std::to_string(lock_key_) + ")"
          : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
  // A pooled connection may have died with a server restart: one more try on
  // a fresh connection before the caller hears database_unavailable.
  for (int attempt = 0;; ++attempt) {
    auto conn = acquire();
    if (!conn) return fail(conn.error());
    auto started = (*conn)->exec(sql);
    if (started) {
      return std::unique_ptr<domain::Transaction>(new PgTransaction(*this, std::move(*conn)));
    }
    const bool broken = (*conn)->broken();
    if ((*conn)->inTransaction() && !broken) (void)(*conn)->exec("ROLLBACK");
    release(std::move(*conn));
    if (!broken || attempt > 0) return fail(started.error());
    log::warn("database_reconnect", {{"detail", started.error().detail}});
  }
}

Status PgStore::checkWritable() {
  auto tx = begin(domain::TxMode::kWrite);
  if (!tx) return fail(tx.error());
  auto& t = static_cast<PgTransaction&>(**tx);
  auto probe = t.run(
      "UPDATE schema_migrations SET applied_at = applied_at "
      "WHERE version = (SELECT max(version) FROM schema_migrations)");
  if (!probe) return fail(probe.error());
  return (*tx)->commit();
}

Status PgStore::ping() {
  auto v = schemaVersion();
  if (!v) return fail(v.error());
  return {};
}

Result<int> PgStore::schemaVersion() {
  auto conn = acquire();
  if (!conn) return fail(conn.error());
  auto r = (*conn)->run("SELECT coalesce(max(version), 0) FROM schema_migrations", {});
  release(std::move(*conn));
  if (!r) return fail(r.error());
  return PgRow(*r, 0).integer(0);
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
  if (auto st = refuseNewer(applied); !st) return st;
  std::vector<std::pair<int, std::string_view>> done;
  for (const auto& file : postgresMigrations()) {
    const int version = std::stoi(std::string(file.name.substr(0, 3)));
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
