// The database a test runs on: an SQLite file in a temporary directory, or,
// when the test binary runs with KIOSK_TEST_DB=postgresql (tests/storage/
// pg_suite.sh does, inside pg_virtualenv), a fresh schema of that PostgreSQL
// server, dropped at scope exit. The same test then checks both engines.
#pragma once

#include <cstdint>
#include <string>

#include "support/temp_dir.h"

namespace kiosk::test {

// True when the tests run against PostgreSQL.
bool onPostgres();

class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  // What --db takes: a file path, or postgresql://…?options=-csearch_path=…
  const std::string& url() const { return url_; }
  // One number read outside the kiosk: the first column of the first row
  // ("SELECT count(*) FROM …"); -1 when there is none or the query fails.
  std::int64_t number(const std::string& sql) const;
  // Runs SQL outside the kiosk (as an intruder with database access would);
  // returns the engine's error text, empty on success.
  std::string exec(const std::string& sql) const;

 private:
  TempDir dir_;
  std::string schema_;  // PostgreSQL only
  std::string url_;
};

}  // namespace kiosk::test
