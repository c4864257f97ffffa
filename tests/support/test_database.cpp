#include "support/test_database.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string_view>

namespace kiosk::test {

namespace {

struct PgLink {
  explicit PgLink(const std::string& url) : conn(PQconnectdb(url.c_str())) {
    if (PQstatus(conn) != CONNECTION_OK) {
      throw std::runtime_error(std::string("test database: ") + PQerrorMessage(conn));
    }
    PQsetNoticeProcessor(
        conn, [](void*, const char*) {}, nullptr);
  }
  ~PgLink() { PQfinish(conn); }
  PGconn* conn;
};

}  // namespace

bool onPostgres() {
  const char* engine = std::getenv("KIOSK_TEST_DB");
  return engine && std::string_view(engine) == "postgresql";
}

TestDatabase::TestDatabase() {
  if (!onPostgres()) {
    url_ = dir_.file("kiosk.db");
    return;
  }
  static std::atomic<int> counter{0};
  std::random_device rd;
  schema_ = "kt_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
            std::to_string(rd() % 100000);
  // The server comes from the environment (PGHOST, PGPORT, PGUSER, PGPASSWORD).
  url_ = "postgresql://?options=-csearch_path%3D" + schema_;
  PgLink link("");
  PGresult* r = PQexec(link.conn, ("CREATE SCHEMA " + schema_).c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) throw std::runtime_error("test database: cannot create schema " + schema_);
}

TestDatabase::~TestDatabase() {
  if (schema_.empty()) return;
  try {
    PgLink link("");
    PQclear(PQexec(link.conn, ("DROP SCHEMA " + schema_ + " CASCADE").c_str()));
  } catch (...) {
  }
}

std::int64_t TestDatabase::number(const std::string& sql) const {
  std::int64_t n = -1;
  if (!schema_.empty()) {
    PgLink link(url_);
    PGresult* r = PQexec(link.conn, sql.c_str());
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0)) {
      n = std::atoll(PQgetvalue(r, 0, 0));
    }
    PQclear(r);
    return n;
  }
  sqlite3* db = nullptr;
  sqlite3_open_v2(url_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
    n = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return n;
}

std::string TestDatabase::exec(const std::string& sql) const {
  if (!schema_.empty()) {
    PgLink link(url_);
    PGresult* r = PQexec(link.conn, sql.c_str());
    const auto status = PQresultStatus(r);
    std::string out = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK
                          ? ""
                          : std::string(PQresultErrorMessage(r));
    PQclear(r);
    return out;
  }
  sqlite3* db = nullptr;
  sqlite3_open_v2(url_.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  // The kiosk's own threads (heartbeat, dispatcher) may hold the write lock
  // for a moment: waited for, as the kiosk's connections do.
  sqlite3_busy_timeout(db, 5000);
  char* err = nullptr;
  sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string out = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  return out;
}

}  // namespace kiosk::test
