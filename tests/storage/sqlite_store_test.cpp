#include "storage/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "domain/audit.h"
#include "storage/open_store.h"
#include "support/temp_dir.h"
#include "support/test_database.h"

using namespace kiosk;
using namespace kiosk::domain;

namespace {

struct SqliteEngine {
  test::TempDir dir;
  std::unique_ptr<Store> store = std::move(*storage::openStore(dir.file("kiosk.db")));
};

// The engine under test (SQLite, or PostgreSQL in tests/storage/pg_suite.sh).
struct DbEngine {
  test::TestDatabase db;
  std::unique_ptr<Store> store = std::move(*storage::openStore(db.url()));
};

// Runs one SQL query on the file, outside the store (to look at what it wrote).
std::string sqlValue(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  sqlite3_stmt* stmt = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0)) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

// Executes SQL on the file outside the store; returns SQLite's error text.
std::string sqlExec(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  char* err = nullptr;
  sqlite3_exec(db, sql, nullptr, nullptr, &err);
  std::string out = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  return out;
}

Professional mario() {
  Professional p;
  p.codice_fiscale = "RSSMRA80A01H501U";
  p.surname = "Rossi";
  p.name = "Mario";
  return p;
}

}  // namespace

// --- The contract every engine keeps, the fake included (more in
// store_contract_test.cpp) -------------------------------------------------

TEMPLATE_TEST_CASE("a committed write is read back", "[store]", DbEngine) {
  TestType engine;
  {
    auto tx = *engine.store->begin(TxMode::kWrite);
    auto id = tx->insertProfessional(mario(), 100);
    REQUIRE(id);
    Contacts c;
    c.pec = "a@pec.it";
    c.notify = {"pec"};
    REQUIRE(tx->addContactsVersion(*id, c, ContactsSource::kArchive, 100));
    REQUIRE(tx->commit());
  }
  auto tx = *engine.store->begin(TxMode::kRead);
  auto p = tx->findProfessional("RSSMRA80A01H501U");
  REQUIRE(p);
  REQUIRE(*p);
  CHECK((*p)->name == "Mario");
  auto c = tx->currentContacts((*p)->id);
  REQUIRE(c);
  REQUIRE(*c);
  CHECK((*c)->version == 1);
  CHECK((*c)->contacts.pec == "a@pec.it");
  CHECK((*c)->contacts.notify == std::vector<std::string>{"pec"});
}

TEMPLATE_TEST_CASE("a transaction dropped without commit leaves nothing", "[store]", DbEngine) {
  TestType engine;
  {
    auto tx = *engine.store->begin(TxMode::kWrite);
    REQUIRE(tx->insertProfessional(mario(), 100));
  }
  auto tx = *engine.store->begin(TxMode::kRead);
  CHECK_FALSE(*tx->findProfessional("RSSMRA80A01H501U"));
}

TEMPLATE_TEST_CASE("contact versions count up per professional", "[store]", DbEngine) {
  TestType engine;
  auto tx = *engine.store->begin(TxMode::kWrite);
  const auto a = *tx->insertProfessional(mario(), 1);
  Professional other = mario();
  other.codice_fiscale = "GRCFNC70D52L219G";
  const auto b = *tx->insertProfessional(other, 1);
  CHECK(tx->addContactsVersion(a, {}, ContactsSource::kArchive, 1)->version == 1);
  CHECK(tx->addContactsVersion(a, {}, ContactsSource::kProfessional, 2)->version == 2);
  CHECK(tx->addContactsVersion(b, {}, ContactsSource::kArchive, 2)->version == 1);
  CHECK((*tx->currentContacts(a))->source == ContactsSource::kProfessional);
}

TEMPLATE_TEST_CASE("sessions are found by token hash and expire by time", "[store]", DbEngine) {
  TestType engine;
  auto tx = *engine.store->begin(TxMode::kWrite);
  Session s;
  s.token_hash = "h1";
  s.role = Role::kStaff;
  s.subject_id = 3;
  s.display_name = "Sportello";
  s.csrf_token = "c";
  s.created_at = 100;
  s.last_seen = 150;
  REQUIRE(tx->insertSession(s));
  auto found = tx->findSession("h1");
  REQUIRE(found);
  REQUIRE(*found);
  CHECK((*found)->role == Role::kStaff);
  CHECK((*found)->last_seen == 150);
  CHECK(*tx->deleteExpiredSessions(140, 50) == 0);
  CHECK(*tx->deleteExpiredSessions(151, 50) == 1);
  CHECK_FALSE(*tx->findSession("h1"));
}

TEMPLATE_TEST_CASE("staff upsert replaces the password and clears a lock", "[store]", DbEngine) {
  TestType engine;
  auto tx = *engine.store->begin(TxMode::kWrite);
  StaffUser u;
  u.username = "sportello";
  u.display_name = "Sportello";
  u.password_hash = "h1";
  const auto id = *tx->upsertStaff(u, 1);
  REQUIRE(tx->setLoginState(AccountKind::kStaff, id, {5, 999}));
  CHECK(*tx->countLockedAccounts(500) == 1);
  u.password_hash = "h2";
  u.role = Role::kTechnician;
  CHECK(*tx->upsertStaff(u, 2) == id);
  auto again = *tx->findStaff("sportello");
  REQUIRE(again);
  CHECK(again->password_hash == "h2");
  CHECK(again->role == Role::kTechnician);
  CHECK(again->login.locked_until == 0);
}

TEMPLATE_TEST_CASE("the Nuovo PIN window opens, is read back with the professional and closes",
                   "[store]",
                   DbEngine) {
  TestType engine;
  std::int64_t id = 0;
  {
    auto tx = *engine.store->begin(TxMode::kWrite);
    id = *tx->insertProfessional(mario(), 100);
    REQUIRE(tx->setPinReset(id, {700, "code-hash", 2}));
    REQUIRE(tx->commit());
  }
  {
    auto tx = *engine.store->begin(TxMode::kRead);
    const auto w = (*tx->findProfessional("RSSMRA80A01H501U"))->pin_reset;
    CHECK(w.until == 700);
    CHECK(w.code_hash == "code-hash");
    CHECK(w.wrong_codes == 2);
    CHECK((*tx->professionalById(id))->pin_reset.until == 700);
  }
  auto tx = *engine.store->begin(TxMode::kWrite);
  REQUIRE(tx->setPinReset(id, {}));
  REQUIRE(tx->commit());
  const auto closed =
      (*(*engine.store->begin(TxMode::kRead))->findProfessional("RSSMRA80A01H501U"))->pin_reset;
  CHECK(closed.until == 0);
  CHECK(closed.code_hash.empty());
}

TEMPLATE_TEST_CASE("hasAuditAnchors says whether this kiosk ever signed a head",
                   "[store]",
                   DbEngine) {
  TestType engine;
  auto tx = *engine.store->begin(TxMode::kWrite);
  CHECK(*tx->hasAuditAnchors("K01") == false);
  REQUIRE(tx->appendAudit({100, "system", "start", "", ""}));
  auto head = *tx->auditHead();
  REQUIRE(head);
  REQUIRE(tx->appendAuditAnchor({0, 100, "K01", *head, "firma"}));
  CHECK(*tx->hasAuditAnchors("K01") == true);
  CHECK(*tx->hasAuditAnchors("K02") == false);  // another kiosk on a shared database
}

// --- SQLite only ----------------------------------------------------------

TEST_CASE("the SQLite file is in WAL mode with the schema migrated", "[sqlite]") {
  test::TempDir dir;
  const auto path = dir.file("kiosk.db");
  auto store = storage::SqliteStore::open(path, {});
  REQUIRE(store);
  CHECK(*(*store)->schemaVersion() >= 1);
  CHECK(sqlValue(path, "PRAGMA journal_mode") == "wal");
  CHECK(sqlValue(path, "SELECT name FROM schema_migrations WHERE version = 1") ==
        "001_foundation.sql");
}

TEST_CASE("reopening a database applies no migration twice and keeps the data", "[sqlite]") {
  test::TempDir dir;
  const auto path = dir.file("kiosk.db");
  {
    auto store = *storage::openStore(path);
    auto tx = *store->begin(TxMode::kWrite);
    REQUIRE(tx->insertProfessional(mario(), 1));
    REQUIRE(tx->commit());
  }
  auto store = storage::openStore(path);
  REQUIRE(store);
  auto tx = *(*store)->begin(TxMode::kRead);
  CHECK(*tx->findProfessional("RSSMRA80A01H501U"));
  CHECK(sqlValue(path, "SELECT count(*) FROM schema_migrations") ==
        sqlValue(path, "SELECT max(version) FROM schema_migrations"));
}

TEST_CASE("foreign keys are enforced", "[sqlite]") {
  SqliteEngine engine;
  auto tx = *engine.store->begin(TxMode::kWrite);
  auto r = tx->addContactsVersion(424242, {}, ContactsSource::kArchive, 1);
  REQUIRE_FALSE(r);
  CHECK(r.error().detail.find("FOREIGN KEY") != std::string::npos);
}

TEST_CASE("the audit log is append-only and chained", "[sqlite]") {
  test::TempDir dir;
  const auto path = dir.file("kiosk.db");
  {
    auto store = *storage::openStore(path);
    auto tx = *store->begin(TxMode::kWrite);
    REQUIRE(tx->appendAudit({1, "system", "a", "s", ""}));
    REQUIRE(tx->appendAudit({2, "system", "b", "s", "d"}));
    REQUIRE(tx->commit());
  }
  const std::string first = sqlValue(path, "SELECT hash FROM audit_log WHERE id = 1");
  CHECK(first == auditHash(kAuditGenesis, {1, "system", "a", "s", ""}));
  CHECK(sqlValue(path, "SELECT prev_hash FROM audit_log WHERE id = 2") == first);
  CHECK(sqlExec(path, "UPDATE audit_log SET detail = 'x'").find("append-only") !=
        std::string::npos);
  CHECK(sqlExec(path, "DELETE FROM audit_log").find("append-only") != std::string::npos);
}

TEST_CASE("an unwritable path fails to open", "[sqlite]") {
  auto r = storage::openStore("/proc/no-such-dir/kiosk.db");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kUnavailable);
}

TEST_CASE("a serving store checkpoints in its own thread, so the WAL stays small under sends",
          "[storage]") {
  test::TempDir dir;
  const std::string path = dir.file("kiosk.db");
  storage::StoreOptions options;
  options.background_checkpoint = true;
  auto store = std::move(*storage::openStore(path, options));
  std::int64_t owner = 0;
  {
    auto tx = std::move(*store->begin(TxMode::kWrite));
    Professional p;
    p.codice_fiscale = "RSSMRA80A01H501U";
    p.surname = "Rossi";
    owner = *tx->insertProfessional(p, 1);
    REQUIRE(tx->commit());
  }
  // Forty sends of 1 MiB, a little apart as at a desk.
  for (int i = 0; i < 40; ++i) {
    auto tx = std::move(*store->begin(TxMode::kWrite));
    Communication c;
    c.protocol = "INPS.0001.2026." + std::to_string(1000 + i);
    c.professional_id = owner;
    c.topic = "contributi";
    c.subject = "Invio";
    const auto id = *tx->insertCommunication(c);
    Message m;
    m.communication_id = id;
    const auto mid = *tx->insertMessage(m);
    REQUIRE(tx->insertAttachment(mid, {"a.txt", "text/plain", "x", std::string(1 << 20, 'a')}));
    REQUIRE(tx->commit());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // The checkpointer copied the pages and the WAL started over (32 MiB kept
  // at most): without it the WAL would hold all 40 MiB.
  const auto wal = std::filesystem::path(path + "-wal");
  CHECK(std::filesystem::file_size(wal) <= 34u << 20);
  CHECK(sqlValue(path, "SELECT count(*) FROM attachments") == "40");
}

namespace {

// The page cache's bytes at their highest since the last call (SQLite's
// whole process; the tests run one at a time).
std::int64_t pageCachePeak() {
  sqlite3_int64 now = 0;
  sqlite3_int64 peak = 0;
  sqlite3_status64(SQLITE_STATUS_PAGECACHE_OVERFLOW, &now, &peak, 1);
  return peak;
}

}  // namespace

TEST_CASE("a send's files go through a small page cache, and the cache is whole again after",
          "[sqlite]") {
  test::TempDir dir;
  storage::StoreOptions options;
  options.pool_size = 1;  // one connection: the next transaction has the same cache
  auto store = std::move(*storage::openStore(dir.file("kiosk.db"), options));
  std::int64_t message = 0;
  {
    auto tx = std::move(*store->begin(TxMode::kWrite));
    Communication c;
    c.protocol = "INPS.0001.2026.0000001";
    c.professional_id = *tx->insertProfessional(mario(), 1);
    c.topic = "contributi";
    c.subject = "Invio";
    Message m;
    m.communication_id = *tx->insertCommunication(c);
    message = *tx->insertMessage(m);
    REQUIRE(tx->commit());
  }
  // Five files of 1 MiB in one transaction, as a send: the 4 MiB cache would
  // fill with their pages (two sends in flight held 8 MiB).
  pageCachePeak();
  {
    auto tx = std::move(*store->begin(TxMode::kWrite));
    for (int i = 0; i < 5; ++i) {
      REQUIRE(tx->insertAttachment(message, {"a.pdf", "application/pdf", "x",
                                             std::string(1 << 20, static_cast<char>('a' + i))}));
    }
    REQUIRE(tx->commit());
  }
  CHECK(pageCachePeak() < (1 << 20));
  // A transaction without files has the usual 4 MiB again: a 3 MiB message
  // body stays in the cache whole.
  {
    auto tx = std::move(*store->begin(TxMode::kWrite));
    Message m;
    m.communication_id = 1;
    m.body = std::string(3 << 20, 'b');
    REQUIRE(tx->insertMessage(m));
    REQUIRE(tx->commit());
  }
  CHECK(pageCachePeak() > (3 << 20));
  CHECK(sqlValue(dir.file("kiosk.db"), "SELECT count(*) FROM attachments") == "5");
}
