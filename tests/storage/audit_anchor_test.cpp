// The audit chain's signed heads on a real SQLite file, checked with the real
// verifier and the real Ed25519 key, against a forger who can write the file:
// rewriting entries with recomputed hashes, or cutting the last ones, no
// longer verifies.
#include <sqlite3.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/log.h"
#include "domain/audit.h"
#include "receipts/ed25519_signer.h"
#include "storage/open_store.h"
#include "support/temp_dir.h"

using namespace kiosk;
using namespace kiosk::domain;

namespace {

struct Chain {
  test::TempDir dir;
  std::unique_ptr<Store> store = std::move(*storage::openStore(dir.file("kiosk.db")));
  std::unique_ptr<receipts::Ed25519Signer> signer =
      std::move(*receipts::Ed25519Signer::open(dir.file("receipt.key")));

  void append(int n, std::int64_t at) {
    auto tx = store->begin(TxMode::kWrite);
    REQUIRE(tx);
    for (int i = 0; i < n; ++i) {
      REQUIRE((*tx)->appendAudit(
          {at + i, "staff:sportello", "reply", "INPS.0000.2026.000000" + std::to_string(i), ""}));
    }
    REQUIRE((*tx)->commit());
  }
  void anchor(std::int64_t at) {
    auto tx = store->begin(TxMode::kWrite);
    REQUIRE(tx);
    REQUIRE(anchorAudit(**tx, *signer, "K01", at));
    REQUIRE((*tx)->commit());
  }
  // What a forger with the file does: SQL straight on it, triggers dropped.
  void forge(const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(dir.file("kiosk.db").c_str(), &db) == SQLITE_OK);
    char* err = nullptr;
    const std::string all =
        "DROP TRIGGER IF EXISTS audit_log_no_update; "
        "DROP TRIGGER IF EXISTS audit_log_no_delete; " +
        sql;
    const int rc = sqlite3_exec(db, all.c_str(), nullptr, nullptr, &err);
    INFO((err ? err : ""));
    sqlite3_free(err);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
  }
  // Recomputes every hash from the first entry, as a careful forger would.
  void rehash() {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(dir.file("kiosk.db").c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db,
                       "SELECT id, at, actor, action, subject, detail FROM audit_log ORDER BY id",
                       -1, &q, nullptr);
    std::vector<std::pair<std::int64_t, AuditEntry>> rows;
    while (sqlite3_step(q) == SQLITE_ROW) {
      auto text = [&](int c) {
        return std::string(reinterpret_cast<const char*>(sqlite3_column_text(q, c)));
      };
      rows.push_back({sqlite3_column_int64(q, 0),
                      {sqlite3_column_int64(q, 1), text(2), text(3), text(4), text(5)}});
    }
    sqlite3_finalize(q);
    std::string prev = kAuditGenesis;
    for (const auto& [id, e] : rows) {
      const std::string hash = auditHash(prev, e);
      const std::string sql = "UPDATE audit_log SET prev_hash = '" + prev + "', hash = '" + hash +
                              "' WHERE id = " + std::to_string(id);
      REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
      prev = hash;
    }
    sqlite3_close(db);
  }
};

}  // namespace

TEST_CASE("signed heads: an intact chain verifies with every anchor", "[sqlite][audit]") {
  Chain c;
  c.append(3, 1000);
  c.anchor(1010);
  c.anchor(1011);  // the head has not moved: no second anchor
  c.append(2, 1020);
  c.anchor(1030);
  auto check = verifyAudit(*c.store, c.signer.get(), "K01");
  REQUIRE(check);
  CHECK_FALSE(check->first_broken);
  CHECK(check->entries == 5);
  CHECK(check->anchors == 2);
}

TEST_CASE("signed heads: a chain rewritten with recomputed hashes is caught", "[sqlite][audit]") {
  Chain c;
  c.append(4, 1000);
  c.anchor(1010);
  c.forge("UPDATE audit_log SET detail = 'falsificato' WHERE id = 2;");
  c.rehash();
  // The chain alone looks intact: that is what the forger aimed at…
  auto plain = verifyAudit(*c.store);
  REQUIRE(plain);
  CHECK_FALSE(plain->first_broken);
  // …but the signed head no longer matches.
  auto check = verifyAudit(*c.store, c.signer.get(), "K01");
  REQUIRE(check);
  REQUIRE(check->first_broken);
  CHECK(*check->first_broken == 4);
  CHECK(check->why.find("rewritten") != std::string::npos);
}

TEST_CASE("signed heads: cutting the last entries is caught", "[sqlite][audit]") {
  Chain c;
  c.append(5, 1000);
  c.anchor(1010);
  c.forge("DELETE FROM audit_log WHERE id >= 4;");
  auto check = verifyAudit(*c.store, c.signer.get(), "K01");
  REQUIRE(check);
  REQUIRE(check->first_broken);
  CHECK(check->why.find("cut") != std::string::npos);
}

TEST_CASE("signed heads: an anchor forged without the kiosk's key is caught", "[sqlite][audit]") {
  Chain c;
  c.append(2, 1000);
  c.anchor(1010);
  c.forge(
      "DROP TRIGGER IF EXISTS audit_anchors_no_update; "
      "UPDATE audit_anchors SET at = at + 1;");
  auto check = verifyAudit(*c.store, c.signer.get(), "K01");
  REQUIRE(check);
  REQUIRE(check->first_broken);
  CHECK(check->why.find("signature") != std::string::npos);
}

TEST_CASE("signed heads: a key published under another kiosk's id proves nothing about this one",
          "[sqlite][audit]") {
  Chain c;
  c.append(3, 1000);
  c.anchor(1010);
  // The forger rewrites the log, makes a key of their own, publishes it as
  // kiosk K99's and signs a new head naming K01 with it.
  c.forge("UPDATE audit_log SET detail = 'falso' WHERE id = 2;");
  c.rehash();
  c.forge("DROP TRIGGER IF EXISTS audit_anchors_no_delete; DELETE FROM audit_anchors;");
  auto forger = std::move(*receipts::Ed25519Signer::open(c.dir.file("forger.key")));
  {
    auto tx = *c.store->begin(TxMode::kWrite);
    REQUIRE(tx->publishReceiptKey({forger->keyId(), "K99", forger->publicKeyHex(), 1000}));
    REQUIRE(anchorAudit(*tx, *forger, "K01", 1020));
    REQUIRE(tx->commit());
  }
  auto check = verifyAudit(*c.store, c.signer.get(), "K01");
  REQUIRE(check);
  REQUIRE(check->first_broken);
  CHECK(check->why.find("signature of kiosk K01") != std::string::npos);
  // A desk without the private key checks heads with the published public keys.
  receipts::Ed25519Verifier public_only;
  auto from_desk = verifyAudit(*c.store, &public_only, "K02");
  REQUIRE(from_desk);
  CHECK(from_desk->first_broken);
}

TEST_CASE("signed heads: checked without the private key, with the public keys published",
          "[sqlite][audit]") {
  Chain c;
  c.append(2, 1000);
  c.anchor(1010);
  {
    auto tx = *c.store->begin(TxMode::kWrite);
    REQUIRE(tx->publishReceiptKey({c.signer->keyId(), "K01", c.signer->publicKeyHex(), 1000}));
    REQUIRE(tx->commit());
  }
  receipts::Ed25519Verifier public_only;
  auto check = verifyAudit(*c.store, &public_only, "K02");
  REQUIRE(check);
  CHECK_FALSE(check->first_broken);
  CHECK(check->anchors == 1);
}

namespace {

// What the kiosk's log writes on standard output (its journal) meanwhile.
class Journal {
 public:
  Journal() : saved_(::dup(STDOUT_FILENO)) {
    std::fflush(stdout);
    std::FILE* f = std::fopen(path_.c_str(), "w");
    REQUIRE(f);
    ::dup2(::fileno(f), STDOUT_FILENO);
    std::fclose(f);
  }
  ~Journal() { restore(); }
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;
  std::string text() {
    restore();
    std::ifstream in(path_);
    std::stringstream all;
    all << in.rdbuf();
    return all.str();
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stdout);
    ::dup2(saved_, STDOUT_FILENO);
    ::close(saved_);
    saved_ = -1;
  }
  test::TempDir dir_;
  std::string path_ = dir_.file("journal");
  int saved_;
};

std::uint64_t logged(std::string_view event) {
  for (const auto& e : log::eventCounts()) {
    if (e.event == event) return e.count;
  }
  return 0;
}

}  // namespace

TEST_CASE("a head is journalled only once its anchor is committed, a failure logged and counted",
          "[sqlite][audit]") {
  Chain c;
  c.append(2, 1000);
  {
    Journal journal;
    REQUIRE(anchorAuditNow(*c.store, *c.signer, "K01", 1010, "periodic"));
    CHECK(journal.text().find("\"event\":\"audit_anchor\"") != std::string::npos);
  }
  // A commit that fails: a deferred foreign key broken by every new anchor
  // (SQLite checks it at COMMIT, after the anchor row was written).
  c.forge(
      "CREATE TABLE parent (id INTEGER PRIMARY KEY); "
      "CREATE TABLE child (p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED); "
      "CREATE TRIGGER anchor_breaks_commit AFTER INSERT ON audit_anchors "
      "BEGIN INSERT INTO child VALUES (42); END;");
  c.append(1, 1020);
  const auto before = logged("audit_anchor_failed");
  Journal journal;
  CHECK_FALSE(anchorAuditNow(*c.store, *c.signer, "K01", 1030, "periodic"));
  const auto text = journal.text();
  CHECK(text.find("\"event\":\"audit_anchor\"") == std::string::npos);  // nothing unwritten told
  CHECK(text.find("\"event\":\"audit_anchor_failed\"") != std::string::npos);
  CHECK(text.find("\"for\":\"periodic\"") != std::string::npos);
  CHECK(text.find("FOREIGN KEY") != std::string::npos);  // the reason, not just "commit"
  CHECK(logged("audit_anchor_failed") == before + 1);    // what /metrics shows
}
